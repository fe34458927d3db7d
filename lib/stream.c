#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

/* ---- STREAM (age payload): ChaCha20-Poly1305, 64 KiB chunks, nonce =
 * 11-byte big-endian counter || last-chunk flag.  Each chunk is encrypted
 * or decrypted in place inside its slot, so a batch can be written straight
 * from its buffer. */

int fuin__batch_init(fuin__batch *b, int decrypt, const uint8_t *key)
{
    memset(b, 0, sizeof *b);
    b->buf = malloc((size_t)FUIN__BATCH * FUIN__ENC_CHUNK);
    if (decrypt)
        b->out = malloc((size_t)FUIN__BATCH * FUIN__ENC_CHUNK);
    b->decrypt = decrypt;
    b->key = key;
    return (b->buf && (!decrypt || b->out)) ? 0 : -1;
}

void fuin__batch_free(fuin__batch *b)
{
    if (b->buf != NULL) {
        /* slots held plaintext */
        sodium_memzero(b->buf, (size_t)FUIN__BATCH * FUIN__ENC_CHUNK);
        free(b->buf);
    }
    if (b->out != NULL) {
        sodium_memzero(b->out, (size_t)FUIN__BATCH * FUIN__ENC_CHUNK);
        free(b->out);
    }
    b->buf = NULL;
    b->out = NULL;
}

static void chunk_task(void *ctx, size_t i)
{
    fuin__batch *b = ctx;
    uint8_t nonce[12] = {0};
    uint64_t c = b->counter + i;
    uint8_t *p = b->buf + i * FUIN__ENC_CHUNK;

    for (int k = 0; k < 8; k++)
        nonce[10 - k] = (uint8_t)(c >> (8 * k));
    nonce[11] = (b->last_final && i + 1 == b->n) ? 1 : 0;
    if (!b->decrypt) {
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            p, p + b->len[i], NULL, p, b->len[i], NULL, 0, NULL, nonce, b->key);
        b->ok[i] = 1;
    } else if (b->len[i] < FUIN__TAG) {
        b->ok[i] = 0;
    } else {
        size_t m = b->len[i] - FUIN__TAG;
        uint8_t *o = b->out + i * FUIN__ENC_CHUNK;
        b->ok[i] = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                       o, NULL, p, m, p + m, NULL, 0, nonce, b->key) == 0;
        /* Tell "final chunk followed by trailing data" and "full chunk
         * where the final one is missing" apart from tampering, and
         * release what did authenticate, as the age reference does. */
        if (!b->ok[i] && (nonce[11] == 0 || b->len[i] == FUIN__ENC_CHUNK)) {
            nonce[11] ^= 1;
            if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                    o, NULL, p, m, p + m, NULL, 0, nonce, b->key) == 0)
                b->ok[i] = 2;
        }
    }
}

void fuin__batch_submit(fuin__pool *p, fuin__batch *b)
{
    b->busy = 1;
    fuin__pool_submit(p, &b->job, chunk_task, b, b->n);
}

/* ---- armor base64 ------------------------------------------------------
 * libsodium's base64 is constant-time, which matters for secrets but runs
 * at ~0.2 GB/s.  The armor body is ciphertext only, public by definition,
 * so a table-driven codec is used for it; keys and stanza bodies keep
 * libsodium's. */
static const char enc_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t enc_block(char *out, const uint8_t *in, size_t len, int pad)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = enc_tab[v >> 18];
        out[o++] = enc_tab[(v >> 12) & 63];
        out[o++] = enc_tab[(v >> 6) & 63];
        out[o++] = enc_tab[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = enc_tab[v >> 18];
        out[o++] = enc_tab[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = enc_tab[v >> 18];
        out[o++] = enc_tab[(v >> 12) & 63];
        out[o++] = enc_tab[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    return o;
}

size_t fuin__armor_enc_update(fuin__armor_enc *a, const uint8_t *in, size_t len,
                              char *out)
{
    size_t o = 0;
    if (a->fill > 0) {
        size_t take = 48 - a->fill < len ? 48 - a->fill : len;
        memcpy(a->line + a->fill, in, take);
        a->fill += take;
        in += take;
        len -= take;
        if (a->fill < 48)
            return 0;
        o += enc_block(out + o, a->line, 48, 1);
        out[o++] = '\n';
        a->fill = 0;
    }
    while (len >= 48) {
        o += enc_block(out + o, in, 48, 1);
        out[o++] = '\n';
        in += 48;
        len -= 48;
    }
    memcpy(a->line, in, len);
    a->fill = len;
    return o;
}

size_t fuin__armor_enc_final(fuin__armor_enc *a, char *out)
{
    size_t o = 0;
    if (a->fill > 0) {
        o += enc_block(out, a->line, a->fill, 1);
        out[o++] = '\n';
    }
    a->fill = 0;
    memcpy(out + o, FUIN__ARMOR_END "\n", sizeof FUIN__ARMOR_END);
    return o + sizeof FUIN__ARMOR_END;
}

static const int8_t dec_tab[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

long fuin__b64_fast_decode(uint8_t *out, const char *in, size_t len)
{
    size_t o = 0, pad = 0;
    if (len % 4 != 0)
        return -1;
    if (len >= 1 && in[len - 1] == '=')
        pad = (len >= 2 && in[len - 2] == '=') ? 2 : 1;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int8_t a = dec_tab[(uint8_t)in[i]], b = dec_tab[(uint8_t)in[i + 1]];
        int8_t c = (last && pad == 2) ? 0 : dec_tab[(uint8_t)in[i + 2]];
        int8_t d = (last && pad >= 1) ? 0 : dec_tab[(uint8_t)in[i + 3]];
        uint32_t v;
        if ((a | b | c | d) < 0)
            return -1;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(v >> 16);
        if (last && pad == 2) {
            if (v & 0xffff) /* non-canonical: stray low bits */
                return -1;
            break;
        }
        out[o++] = (uint8_t)(v >> 8);
        if (last && pad == 1) {
            if (v & 0xff)
                return -1;
            break;
        }
        out[o++] = (uint8_t)v;
    }
    return (long)o;
}
