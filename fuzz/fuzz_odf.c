/* libFuzzer target for lib/label/odf.c and lib/label/zipdoc.c: the same
 * harness as fuzz_ooxml.c (its comment says what is checked), with the
 * OpenDocument reader and writer and OpenDocument seeds.  One harness for
 * both, so that neither format is held to less. */
#define FUZZ_ODF 1
#include "fuzz_ooxml.c"
