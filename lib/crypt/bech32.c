#include <ctype.h>
#include <string.h>

#include "internal.h"

/* Bech32 as in BIP 173, the encoding age uses for keys.  Unlike BIP 173,
 * age sets no 90-character limit, so none is enforced here. */

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t pre)
{
    uint8_t b = pre >> 25;
    return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
           (-((b >> 1) & 1) & 0x26508e6dUL) ^ (-((b >> 2) & 1) & 0x1ea119faUL) ^
           (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static int charset_rev(char c)
{
    const char *p;
    if (c == '\0')
        return -1;
    p = strchr(charset, c);
    return p ? (int)(p - charset) : -1;
}

/* Regroup bits; pad=1 when encoding.  Returns -1 on non-zero padding. */
static int convert_bits(uint8_t *out, size_t *outlen, size_t cap, int outbits,
                        const uint8_t *in, size_t inlen, int inbits, int pad)
{
    uint32_t val = 0, maxv = (1u << outbits) - 1;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < inlen; i++) {
        val = (val << inbits) | in[i];
        bits += inbits;
        while (bits >= outbits) {
            bits -= outbits;
            if (n >= cap)
                return -1;
            out[n++] = (val >> bits) & maxv;
        }
    }
    if (pad) {
        if (bits) {
            if (n >= cap)
                return -1;
            out[n++] = (val << (outbits - bits)) & maxv;
        }
    } else if (bits >= inbits || ((val << (outbits - bits)) & maxv)) {
        return -1;
    }
    *outlen = n;
    return 0;
}

int fuin__bech32_encode(char *out, size_t cap, const char *hrp,
                        const uint8_t *data, size_t len, int upper)
{
    uint8_t five[1024];
    size_t n5 = 0, hrplen = strlen(hrp), pos = 0;
    uint32_t chk = 1;

    if (convert_bits(five, &n5, sizeof five, 5, data, len, 8, 1) != 0)
        return -1;
    if (hrplen + 1 + n5 + 6 + 1 > cap)
        return -1;
    for (size_t i = 0; i < hrplen; i++)
        chk = polymod_step(chk) ^ ((uint8_t)tolower((unsigned char)hrp[i]) >> 5);
    chk = polymod_step(chk);
    for (size_t i = 0; i < hrplen; i++) {
        char c = (char)tolower((unsigned char)hrp[i]);
        chk = polymod_step(chk) ^ ((uint8_t)c & 0x1f);
        out[pos++] = c;
    }
    out[pos++] = '1';
    for (size_t i = 0; i < n5; i++) {
        chk = polymod_step(chk) ^ five[i];
        out[pos++] = charset[five[i]];
    }
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk);
    chk ^= 1;
    for (int i = 0; i < 6; i++)
        out[pos++] = charset[(chk >> ((5 - i) * 5)) & 0x1f];
    out[pos] = '\0';
    if (upper)
        for (size_t i = 0; i < pos; i++)
            out[i] = (char)toupper((unsigned char)out[i]);
    return 0;
}

int fuin__bech32_decode(char *hrp_out, size_t hrp_cap, uint8_t *data,
                        size_t cap, size_t *len, const char *in)
{
    size_t inlen = strlen(in), sep = 0, n5 = 0;
    int has_lower = 0, has_upper = 0;
    uint8_t five[1024];
    uint32_t chk = 1;

    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 33 || c > 126)
            return -1;
        if (islower(c))
            has_lower = 1;
        if (isupper(c))
            has_upper = 1;
        if (c == '1')
            sep = i;
    }
    if (has_lower && has_upper)
        return -1;
    if (sep == 0 || sep + 7 > inlen || sep + 1 > hrp_cap)
        return -1;
    if (inlen - sep - 1 > sizeof five)
        return -1;
    for (size_t i = 0; i < sep; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        hrp_out[i] = c;
        chk = polymod_step(chk) ^ ((uint8_t)c >> 5);
    }
    hrp_out[sep] = '\0';
    chk = polymod_step(chk);
    for (size_t i = 0; i < sep; i++)
        chk = polymod_step(chk) ^ ((uint8_t)hrp_out[i] & 0x1f);
    for (size_t i = sep + 1; i < inlen; i++) {
        int v = charset_rev((char)tolower((unsigned char)in[i]));
        if (v < 0)
            return -1;
        chk = polymod_step(chk) ^ (uint32_t)v;
        if (i + 6 < inlen)
            five[n5++] = (uint8_t)v;
    }
    if (chk != 1)
        return -2;
    if (convert_bits(data, len, cap, 8, five, n5, 5, 0) != 0)
        return -1;
    return 0;
}
