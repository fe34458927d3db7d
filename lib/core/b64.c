#include <string.h>

#include <sodium.h>

#include "internal.h"

/* age uses standard base64 without padding and requires the canonical
 * encoding; libsodium's decoder rejects non-zero trailing bits, so the only
 * extra checks are the length and the absence of '=' and whitespace. */
int fuin__b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
                     size_t inlen)
{
    const char *end = NULL;
    size_t n = 0;

    if (inlen % 4 == 1)
        return -1;
    for (size_t i = 0; i < inlen; i++) {
        char c = in[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return -1;
    }
    if (inlen == 0) {
        *outlen = 0;
        return 0;
    }
    if (sodium_base642bin(out, cap, in, inlen, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
        end != in + inlen)
        return -1;
    *outlen = n;
    return 0;
}

size_t fuin__b64_len(size_t len)
{
    return (len / 3) * 4 + ((len % 3) ? (len % 3) + 1 : 0);
}

void fuin__b64_encode(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2base64(out, fuin__b64_len(len) + 1, in, len,
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}
