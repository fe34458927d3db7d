/* libFuzzer target for lib/approval/approval.c: fuin_request_parse on the
 * input.  What parses must have a non-empty asset, printable one-line
 * values, the kind "disposal" and the input's SHA-256 as its hash; what
 * does not must leave the info empty with the one message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuin.h"

static void printable(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuin_request_info r;
    char err[256];
    static int init;
    if (!init) {
        if (fuin_init() != FUIN_OK)
            abort();
        init = 1;
    }
    fuin_status s = fuin_request_parse((const char *)data, size, &r, err, sizeof err);
    if (s == FUIN_OK) {
        uint8_t h[32];
        char hex[65];
        if (r.asset[0] == '\0' || strcmp(r.kind, "disposal") != 0)
            abort();
        printable(r.asset, sizeof r.asset);
        printable(r.class_text, sizeof r.class_text);
        printable(r.reason, sizeof r.reason);
        printable(r.requester, sizeof r.requester);
        printable(r.created, sizeof r.created);
        crypto_hash_sha256(h, data, size);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, r.hash) != 0)
            abort();
    } else if (s != FUIN_E_SYNTAX || strcmp(err, "not a valid disposal request") != 0 ||
               r.asset[0] != '\0') {
        abort();
    }
    return 0;
}
