/* Placeholder: filled in by the trust module (issue 3). */
#ifndef FUIN_TRUST_H
#define FUIN_TRUST_H
#ifndef FUIN_H
#error "include <fuin.h>"
#endif
#endif
