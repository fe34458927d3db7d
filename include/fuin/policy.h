/* Placeholder: filled in by the policy module (issue 3). */
#ifndef FUIN_POLICY_H
#define FUIN_POLICY_H
#ifndef FUIN_H
#error "include <fuin.h>"
#endif
#endif
