#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF): the
 * labels, policies, cards and messages fuin handles are all UTF-8 text. */
size_t fuin__utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long c, min;
    size_t len;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        c = s[0];
        len = 1;
        min = 0;
    } else if ((s[0] & 0xe0) == 0xc0) {
        c = s[0] & 0x1f;
        len = 2;
        min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        c = s[0] & 0x0f;
        len = 3;
        min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        c = s[0] & 0x07;
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    if (cp != NULL)
        *cp = c;
    return len;
}

int fuin__utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = fuin__utf8_decode(u + i, n - i, NULL);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* vsnprintf truncates at a byte: drop a partial character left at the end
 * so a truncated message is still valid UTF-8. */
void fuin__utf8_trim_tail(char *s)
{
    size_t len = strlen(s), start = len, want;
    unsigned char b;

    while (start > 0 && len - start < 3 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0)
        return;
    start--;
    b = (unsigned char)s[start];
    if (b < 0x80)
        return;
    want = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : 4;
    if (len - start < want)
        s[start] = '\0';
}

/* Characters a terminal would act on instead of showing, or that show
 * text other than what the bytes say: C0 and C1 controls, DEL, the bidi
 * embeddings, overrides, isolates and marks, zero-width characters, line
 * and paragraph separators, the BOM. */
static int unsafe_cp(unsigned long c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
           (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
           (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

char *fuin_text_escape(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;
    char *out;

    if (s == NULL)
        return NULL;
    /* at most "\\u" + 4 hex (6 bytes) for a 2- or 3-byte character,
     * "\\xNN" (4) for one byte */
    if (n > (SIZE_MAX - 1) / 4 || (out = malloc(n * 4 + 1)) == NULL)
        return NULL;
    while (i < n) {
        unsigned long c;
        size_t k = fuin__utf8_decode(u + i, n - i, &c);
        if (k == 0) { /* not UTF-8: the byte, in hex */
            o += (size_t)sprintf(out + o, "\\x%02x", u[i]);
            i++;
        } else if (!unsafe_cp(c)) {
            memcpy(out + o, u + i, k);
            o += k;
            i += k;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
            i += k;
        } else if (c < 0x80) {
            o += (size_t)sprintf(out + o, "\\x%02lx", c);
            i += k;
        } else {
            o += (size_t)sprintf(out + o, "\\u%04lx", c);
            i += k;
        }
    }
    out[o] = '\0';
    return out;
}
