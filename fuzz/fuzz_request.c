/* libFuzzer target for lib/approval/approval.c: fuin_request_parse on the
 * input, both formats.  What parses must have printable one-line values,
 * the input's SHA-256 as its hash, and: for "fuin-disposal-request: 1" a
 * non-empty asset and the kind "disposal"; for "fuin-request: 1" the kind
 * provide, carry or exception, a sha256:/asset: object (empty only for an
 * exception), a period that does not end before it starts.  What does
 * not parse must leave the info empty with a "not a valid ..." message.
 * What parses must also format again (fuin_request_format) and parse to
 * the same fields. */
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
        if (r.format == 1 && (r.asset[0] == '\0' || strcmp(r.kind, "disposal") != 0))
            abort();
        if (r.format == 2) {
            fuin_request_info again;
            char *t = NULL;
            size_t tl = 0;
            if (strcmp(r.kind, "disposal") == 0 || !fuin_request_kind_valid(r.kind) ||
                r.valid_until < r.valid_from ||
                (r.object[0] == '\0' && strcmp(r.kind, "exception") != 0) ||
                (r.object[0] != '\0' && strncmp(r.object, "sha256:", 7) != 0 &&
                 strncmp(r.object, "asset:", 6) != 0))
                abort();
            printable(r.object, sizeof r.object);
            printable(r.destination, sizeof r.destination);
            /* what parsed formats again, to the same request (the
             * created time may be after valid-until in a parsed one) */
            if (r.valid_until >= r.created_at &&
                fuin_request_format(&r, &t, &tl, NULL, 0) == FUIN_OK) {
                if (fuin_request_parse(t, tl, &again, NULL, 0) != FUIN_OK ||
                    strcmp(again.kind, r.kind) != 0 || strcmp(again.object, r.object) != 0 ||
                    strcmp(again.destination, r.destination) != 0 ||
                    again.valid_until != r.valid_until)
                    abort();
                free(t);
            }
        } else if (r.format != 1) {
            abort();
        }
        printable(r.asset, sizeof r.asset);
        printable(r.class_text, sizeof r.class_text);
        printable(r.reason, sizeof r.reason);
        printable(r.requester, sizeof r.requester);
        printable(r.created, sizeof r.created);
        crypto_hash_sha256(h, data, size);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, r.hash) != 0)
            abort();
    } else if (s != FUIN_E_SYNTAX || strncmp(err, "not a valid ", 12) != 0 ||
               r.asset[0] != '\0' || r.kind[0] != '\0') {
        abort();
    }
    return 0;
}
