#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Strict decoder for age's ASCII armor (C2SP age, "ASCII armor"): the
 * BEGIN line, canonical padded base64 in 64-column lines with only the last
 * one shorter, the END line; LF or CRLF line ends; whitespace is tolerated
 * only before BEGIN and after END, at most 1 KiB each. */

#define WS_LIMIT 1024
#define LINE_CAP 80

enum { A_LEADING, A_BEGIN, A_BODY, A_TRAILING };

struct fuin__armor_dec {
    int state;
    int saw_short;      /* a short (last) body line was seen */
    size_t ws;          /* whitespace bytes counted in LEADING/TRAILING */
    size_t linelen;
    char line[LINE_CAP];
};

fuin__armor_dec *fuin__armor_dec_new(void)
{
    return calloc(1, sizeof(fuin__armor_dec));
}

void fuin__armor_dec_free(fuin__armor_dec *a)
{
    free(a);
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static fuin_status body_line(fuin__armor_dec *a, const char *l, size_t n,
                             uint8_t *out, size_t *outlen, char *err)
{
    long dl;
    int has_pad;

    if (n == sizeof FUIN__ARMOR_END - 1 && memcmp(l, FUIN__ARMOR_END, n) == 0) {
        a->state = A_TRAILING;
        a->ws = 0;
        return FUIN_OK;
    }
    if (a->saw_short) {
        fuin__seterr(err, "armor: expected the END line after a short line");
        return FUIN_E_ARMOR;
    }
    if (n == 0 || n > 64 || n % 4 != 0) {
        fuin__seterr(err, n > 64 ? "armor: line longer than 64 columns"
                                 : "armor: bad line length");
        return FUIN_E_ARMOR;
    }
    /* the table decoder rejects any character outside the alphabet */
    has_pad = l[n - 1] == '=';
    dl = fuin__b64_fast_decode(out + *outlen, l, n);
    if (dl < 0) {
        fuin__seterr(err, "armor: invalid base64 (bad character, padding, or non-canonical)");
        return FUIN_E_ARMOR;
    }
    *outlen += (size_t)dl;
    if (n < 64 || has_pad)
        a->saw_short = 1;
    return FUIN_OK;
}

static fuin_status process_line(fuin__armor_dec *a, char *l, size_t n,
                                uint8_t *out, size_t *outlen, char *err)
{
    if (n > 0 && l[n - 1] == '\r')
        n--;
    if (a->state == A_BEGIN) {
        if (n != sizeof FUIN__ARMOR_BEGIN - 1 || memcmp(l, FUIN__ARMOR_BEGIN, n) != 0) {
            fuin__seterr(err, "armor: invalid BEGIN line");
            return FUIN_E_ARMOR;
        }
        a->state = A_BODY;
        return FUIN_OK;
    }
    return body_line(a, l, n, out, outlen, err);
}

fuin_status fuin__armor_dec_update(fuin__armor_dec *a, const uint8_t *in,
                                   size_t len, uint8_t *out, size_t *outlen,
                                   char *err)
{
    size_t i = 0;
    fuin_status st;

    *outlen = 0;
    while (i < len) {
        if (a->state == A_LEADING) {
            if (is_ws(in[i])) {
                if (++a->ws > WS_LIMIT) {
                    fuin__seterr(err, "armor: too much leading whitespace");
                    return FUIN_E_ARMOR;
                }
                i++;
                continue;
            }
            a->state = A_BEGIN;
        }
        if (a->state == A_TRAILING) {
            if (!is_ws(in[i])) {
                fuin__seterr(err, "armor: trailing data after the END line");
                return FUIN_E_ARMOR;
            }
            if (++a->ws > WS_LIMIT) {
                fuin__seterr(err, "armor: too much trailing whitespace");
                return FUIN_E_ARMOR;
            }
            i++;
            continue;
        }
        /* Fast path: whole lines straight from the input. */
        if (a->linelen == 0) {
            const uint8_t *nl = memchr(in + i, '\n', len - i);
            if (nl != NULL) {
                size_t n = (size_t)(nl - (in + i));
                if (n > LINE_CAP) {
                    fuin__seterr(err, "armor: line longer than 64 columns");
                    return FUIN_E_ARMOR;
                }
                st = process_line(a, (char *)(in + i), n, out, outlen, err);
                if (st != FUIN_OK)
                    return st;
                i += n + 1;
                continue;
            }
        }
        if (in[i] == '\n') {
            st = process_line(a, a->line, a->linelen, out, outlen, err);
            a->linelen = 0;
            if (st != FUIN_OK)
                return st;
        } else {
            if (a->linelen == LINE_CAP) {
                fuin__seterr(err, "armor: line longer than 64 columns");
                return FUIN_E_ARMOR;
            }
            a->line[a->linelen++] = (char)in[i];
        }
        i++;
    }
    return FUIN_OK;
}

int fuin__armor_dec_can_bulk(const fuin__armor_dec *a)
{
    return a->state == A_BODY && a->linelen == 0 && !a->saw_short;
}

fuin_status fuin__armor_dec_final(fuin__armor_dec *a, uint8_t *out,
                                  size_t *outlen, char *err)
{
    *outlen = 0;
    if (a->linelen > 0 && a->state != A_TRAILING) {
        fuin_status st = process_line(a, a->line, a->linelen, out, outlen, err);
        a->linelen = 0;
        if (st != FUIN_OK)
            return st;
    }
    if (a->state != A_TRAILING) {
        fuin__seterr(err, a->state == A_LEADING ? "armor: no BEGIN line"
                                                : "armor: missing END line");
        return FUIN_E_ARMOR;
    }
    return FUIN_OK;
}
