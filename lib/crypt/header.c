#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define VERSION_LINE "age-encryption.org/v1\n"
#define AGE_PREFIX "age-encryption.org/"

void fuin__header_free(fuin__header *h)
{
    if (h == NULL)
        return;
    free(h->stanzas);
    free(h->storage);
    memset(h, 0, sizeof *h);
}

static int is_vchar(uint8_t c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* Find the end of the header (the \n after the first line starting with
 * "---").  Body lines are base64 and stanza lines start with "->", so the
 * first such line is the MAC line. */
static fuin_status find_end(const uint8_t *buf, size_t len, int at_eof,
                            size_t *end, char *err)
{
    size_t vlen = sizeof VERSION_LINE - 1;
    size_t cmp = len < vlen ? len : vlen;
    size_t limit = len < FUIN_MAX_HEADER_BYTES ? len : FUIN_MAX_HEADER_BYTES;
    size_t line = vlen;

    if (memcmp(buf, VERSION_LINE, cmp) != 0) {
        size_t plen = sizeof AGE_PREFIX - 1;
        if (len >= plen && memcmp(buf, AGE_PREFIX, plen) == 0)
            fuin__seterr(err, "unsupported age format version");
        else if (len == 0)
            fuin__seterr(err, "empty input: not an age file");
        else
            fuin__seterr(err, "not an age file (no age-encryption.org/v1 header)");
        return FUIN_E_HEADER;
    }
    if (len < vlen) {
        if (at_eof) {
            fuin__seterr(err, len == 0 ? "empty input: not an age file"
                                       : "truncated age header");
            return FUIN_E_HEADER;
        }
        return FUIN_E_STATE;
    }
    for (size_t i = vlen; i < limit; i++) {
        if (buf[i] != '\n')
            continue;
        if (i - line >= 3 && memcmp(buf + line, "---", 3) == 0 && line >= vlen) {
            *end = i + 1;
            return FUIN_OK;
        }
        line = i + 1;
    }
    if (limit - line >= 3 && memcmp(buf + line, "---", 3) == 0 && line >= vlen &&
        at_eof && limit == len) {
        fuin__seterr(err, "truncated age header (MAC line incomplete)");
        return FUIN_E_HEADER;
    }
    if (len >= FUIN_MAX_HEADER_BYTES) {
        fuin__seterr(err, "age header larger than %u bytes", FUIN_MAX_HEADER_BYTES);
        return FUIN_E_LIMIT;
    }
    if (at_eof) {
        fuin__seterr(err, "truncated age header");
        return FUIN_E_HEADER;
    }
    return FUIN_E_STATE;
}

fuin_status fuin__header_parse(const uint8_t *buf, size_t len, int at_eof,
                               fuin__header *h, char *err)
{
    size_t end = 0, pos, cap_stanzas = 0, vlen = sizeof VERSION_LINE - 1;
    fuin_status st;
    char *s;
    uint8_t *bodies;
    size_t bodypos = 0;

    memset(h, 0, sizeof *h);
    st = find_end(buf, len, at_eof, &end, err);
    if (st != FUIN_OK)
        return st;

    /* One allocation: a NUL-terminated copy of the header for the strings,
     * then room for decoded bodies (never larger than their text). */
    h->storage = malloc(2 * end + 2);
    if (h->storage == NULL)
        return FUIN_E_NOMEM;
    s = h->storage;
    memcpy(s, buf, end);
    s[end] = '\0';
    bodies = (uint8_t *)s + end + 1;

    pos = vlen;
    for (;;) {
        char *line = s + pos;
        char *nl = memchr(line, '\n', end - pos);
        size_t linelen;
        if (nl == NULL) {
            fuin__seterr(err, "malformed age header: missing newline");
            goto bad;
        }
        linelen = (size_t)(nl - line);
        if (linelen >= 3 && memcmp(line, "---", 3) == 0) {
            size_t maclen = 0;
            if (linelen != 3 + 1 + 43 || line[3] != ' ' ||
                fuin__b64_decode(h->mac, sizeof h->mac, &maclen, line + 4, 43) != 0 ||
                maclen != 32) {
                fuin__seterr(err, "malformed header MAC line");
                goto bad;
            }
            if (h->n == 0) {
                fuin__seterr(err, "malformed age header: no recipient stanza");
                goto bad;
            }
            h->mac_input_len = pos + 3;
            h->header_len = end;
            return FUIN_OK;
        }
        if (linelen < 3 || memcmp(line, "-> ", 3) != 0) {
            fuin__seterr(err, "malformed age header: unexpected line");
            goto bad;
        }
        if (h->n == cap_stanzas) {
            size_t nc = cap_stanzas ? cap_stanzas * 2 : 4;
            fuin__stanza *ns = realloc(h->stanzas, nc * sizeof *ns);
            if (ns == NULL) {
                fuin__header_free(h);
                return FUIN_E_NOMEM;
            }
            h->stanzas = ns;
            cap_stanzas = nc;
        }
        {
            fuin__stanza *sz = &h->stanzas[h->n];
            char *p = line + 3;
            memset(sz, 0, sizeof *sz);
            *nl = '\0';
            /* arguments: non-empty runs of VCHAR separated by one space */
            for (;;) {
                char *q = p;
                while (*q != '\0' && *q != ' ') {
                    if (!is_vchar((uint8_t)*q)) {
                        fuin__seterr(err, "malformed stanza: invalid character");
                        goto bad;
                    }
                    q++;
                }
                if (q == p) {
                    fuin__seterr(err, "malformed stanza: empty argument");
                    goto bad;
                }
                if (sz->type == NULL)
                    sz->type = p;
                else if (sz->nargs < FUIN__MAX_ARGS)
                    sz->args[sz->nargs++] = p;
                else {
                    fuin__seterr(err, "malformed stanza: too many arguments");
                    goto bad;
                }
                if (*q == '\0')
                    break;
                *q = '\0';
                p = q + 1;
            }
            pos = (size_t)(nl - s) + 1;
            sz->body = bodies + bodypos;
            /* body: full 64-column lines, ended by a shorter (maybe empty) one */
            for (;;) {
                char *bl = s + pos;
                char *bnl = memchr(bl, '\n', end - pos);
                size_t bll, dl = 0;
                if (bnl == NULL || (bnl - bl >= 3 && memcmp(bl, "---", 3) == 0) ||
                    (bnl - bl >= 2 && memcmp(bl, "->", 2) == 0)) {
                    fuin__seterr(err, "malformed stanza: missing final body line");
                    goto bad;
                }
                bll = (size_t)(bnl - bl);
                if (bll > 64 ||
                    fuin__b64_decode(bodies + bodypos, end + 1 - bodypos, &dl, bl, bll) != 0) {
                    fuin__seterr(err, "malformed stanza body");
                    goto bad;
                }
                bodypos += dl;
                sz->body_len += dl;
                pos = (size_t)(bnl - s) + 1;
                if (bll < 64)
                    break;
            }
            h->n++;
        }
    }
bad:
    fuin__header_free(h);
    return FUIN_E_HEADER;
}
