#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PIECE (1u << 20)
#define HBUF_CAP (FUIN_MAX_HEADER_BYTES + 16)

typedef struct {
    uint8_t *hbuf;
    size_t hlen;
    uint64_t total; /* binary bytes seen */
} acc;

static void add(acc *a, const uint8_t *p, size_t n)
{
    size_t take = HBUF_CAP - a->hlen < n ? HBUF_CAP - a->hlen : n;
    memcpy(a->hbuf + a->hlen, p, take);
    a->hlen += take;
    a->total += n;
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

fuin_status fuin_inspect(fuin_read_fn in, void *ctx, fuin_info *info, char *err,
                         size_t errcap)
{
    char msg[FUIN_ERRMSG_MAX] = "";
    uint8_t *buf = malloc(PIECE), *dec = malloc(PIECE);
    fuin__armor_dec *ad = NULL;
    acc a = {malloc(HBUF_CAP), 0, 0};
    fuin_status st = FUIN_OK;
    int decided = 0;
    fuin__header h;

    if (info == NULL || in == NULL) {
        st = FUIN_E_INVALID;
        goto out;
    }
    memset(info, 0, sizeof *info);
    if (buf == NULL || dec == NULL || a.hbuf == NULL) {
        st = FUIN_E_NOMEM;
        goto out;
    }
    for (;;) {
        long n = in(ctx, buf, PIECE);
        size_t off = 0;
        if (n < 0) {
            fuin__seterr(msg, "read failed");
            st = FUIN_E_IO;
            goto out;
        }
        if (n == 0)
            break;
        if (!decided) {
            while (off < (size_t)n && is_ws(buf[off]))
                off++;
            if (off < (size_t)n) {
                decided = 1;
                if (buf[off] == '-') {
                    info->armored = 1;
                    ad = fuin__armor_dec_new();
                    if (ad == NULL) {
                        st = FUIN_E_NOMEM;
                        goto out;
                    }
                }
                off = 0;
            } else {
                continue; /* leading whitespace only so far */
            }
        }
        if (info->armored) {
            size_t dn = 0;
            st = fuin__armor_dec_update(ad, buf, (size_t)n, dec, &dn, msg);
            if (st != FUIN_OK)
                goto out;
            add(&a, dec, dn);
        } else {
            add(&a, buf, (size_t)n);
        }
    }
    if (info->armored) {
        size_t dn = 0;
        st = fuin__armor_dec_final(ad, dec, &dn, msg);
        if (st != FUIN_OK)
            goto out;
        add(&a, dec, dn);
    }
    st = fuin__header_parse(a.hbuf, a.hlen, 1, &h, msg);
    if (st != FUIN_OK)
        goto out;
    info->n_stanzas = h.n;
    for (size_t i = 0; i < h.n; i++) {
        if (i < FUIN_INSPECT_MAX_STANZAS)
            snprintf(info->stanza_types[i], sizeof info->stanza_types[i], "%s",
                     h.stanzas[i].type);
        if (strcmp(h.stanzas[i].type, FUIN__LABEL_STANZA) == 0) {
            if (info->has_label || h.stanzas[i].body_len != 0 ||
                fuin__label_from_args(h.stanzas[i].args, h.stanzas[i].nargs,
                                      &info->label) != FUIN_OK) {
                fuin__seterr(msg, "malformed fuin-label stanza");
                fuin__header_free(&h);
                st = FUIN_E_HEADER;
                goto out;
            }
            info->has_label = 1;
        } else if (strcmp(h.stanzas[i].type, FUIN__APPROVAL_STANZA) == 0) {
            const char *id = h.stanzas[i].nargs == 1 ? h.stanzas[i].args[0] : "";
            if (info->approval[0] != '\0' || h.stanzas[i].body_len != 0 || strlen(id) != 64 ||
                strspn(id, "0123456789abcdef") != 64) {
                fuin__seterr(msg, "malformed fuin-approval stanza");
                fuin__header_free(&h);
                st = FUIN_E_HEADER;
                goto out;
            }
            memcpy(info->approval, id, 65);
        }
    }
    info->header_bytes = h.header_len;
    info->payload_bytes = a.total - h.header_len;
    fuin__header_free(&h);
    if (info->payload_bytes >= 16 + FUIN__TAG) {
        uint64_t p = info->payload_bytes - 16;
        uint64_t full = p / FUIN__ENC_CHUNK, rem = p % FUIN__ENC_CHUNK;
        if (rem == 0) {
            info->plaintext_bytes = full * FUIN_CHUNK_SIZE;
            info->plaintext_known = 1;
        } else if (rem > FUIN__TAG || (rem == FUIN__TAG && full == 0)) {
            info->plaintext_bytes = full * FUIN_CHUNK_SIZE + rem - FUIN__TAG;
            info->plaintext_known = 1;
        }
    }
out:
    if (st != FUIN_OK && err != NULL && errcap > 0)
        snprintf(err, errcap, "%s", msg[0] ? msg : fuin_strerror(st));
    fuin__armor_dec_free(ad);
    free(buf);
    free(dec);
    free(a.hbuf);
    return st;
}
