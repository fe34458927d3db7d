#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "internal.h"

/* ---- STREAM (age payload): ChaCha20-Poly1305, 64 KiB chunks, nonce =
 * 11-byte big-endian counter || last-chunk flag.  Each chunk is encrypted
 * or decrypted in place inside its slot, so a batch can be written straight
 * from its buffer. */

#define BATCH_BYTES ((size_t)FUIN__BATCH * FUIN__ENC_CHUNK)

int fuin__batch_init(fuin__batch *b, int decrypt, const uint8_t *key)
{
    memset(b, 0, sizeof *b);
    /* the slots hold plaintext: outside core dumps, locked if allowed */
    b->buf = fuin__secure_alloc(BATCH_BYTES);
    if (decrypt)
        b->out = fuin__secure_alloc(BATCH_BYTES);
    b->decrypt = decrypt;
    b->key = key;
    if (b->buf == NULL || (decrypt && b->out == NULL))
        return -1;
    /* The cipher is OpenSSL's: on x86-64 about 1.7 times libsodium's speed
     * for 64 KiB chunks (bench/README.md); the bytes are the same, as the
     * C2SP testkit and the stock-age tests check.  Each chunk sets the key
     * (the encryptor derives it only after this, and setting a ChaCha20
     * key is a copy) and its nonce; OpenSSL cleanses its copy when the
     * context is freed. */
    for (size_t i = 0; i < FUIN__BATCH; i++)
        if ((b->ctx[i] = EVP_CIPHER_CTX_new()) == NULL ||
            EVP_CipherInit_ex(b->ctx[i], EVP_chacha20_poly1305(), NULL, NULL, NULL,
                              decrypt ? 0 : 1) != 1)
            return -1;
    return 0;
}

void fuin__batch_free(fuin__batch *b)
{
    fuin__secure_free(b->buf, BATCH_BYTES);
    fuin__secure_free(b->out, BATCH_BYTES);
    for (size_t i = 0; i < FUIN__BATCH; i++)
        EVP_CIPHER_CTX_free(b->ctx[i]);
    memset(b->ctx, 0, sizeof b->ctx);
    b->buf = NULL;
    b->out = NULL;
}

/* Seal p[0..len) in place and put the tag at p + len. */
static int seal(EVP_CIPHER_CTX *c, const uint8_t *key, const uint8_t nonce[12], uint8_t *p,
                size_t len)
{
    int l;
    return EVP_CipherInit_ex(c, NULL, NULL, key, nonce, 1) == 1 &&
           (len == 0 || EVP_CipherUpdate(c, p, &l, p, (int)len) == 1) &&
           EVP_CipherFinal_ex(c, p + len, &l) == 1 &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, FUIN__TAG, p + len) == 1;
}

/* Open in[0..m) with its tag into o; 1 when it authenticates. */
static int open_chunk(EVP_CIPHER_CTX *c, const uint8_t *key, const uint8_t nonce[12],
                      uint8_t *o, const uint8_t *in, size_t m)
{
    int l;
    return EVP_CipherInit_ex(c, NULL, NULL, key, nonce, 0) == 1 &&
           (m == 0 || EVP_CipherUpdate(c, o, &l, in, (int)m) == 1) &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, FUIN__TAG, (void *)(in + m)) == 1 &&
           EVP_CipherFinal_ex(c, o + m, &l) == 1;
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
        /* cannot fail with a valid context; if it did, the chunk would not
         * authenticate, which the tests of every encryption would see */
        b->ok[i] = seal(b->ctx[i], b->key, nonce, p, b->len[i]);
    } else if (b->len[i] < FUIN__TAG) {
        b->ok[i] = 0;
    } else {
        size_t m = b->len[i] - FUIN__TAG;
        uint8_t *o = b->out + i * FUIN__ENC_CHUNK;
        b->ok[i] = open_chunk(b->ctx[i], b->key, nonce, o, p, m);
        /* Tell "final chunk followed by trailing data" and "full chunk
         * where the final one is missing" apart from tampering, and
         * release what did authenticate, as the age reference does. */
        if (!b->ok[i] && (nonce[11] == 0 || b->len[i] == FUIN__ENC_CHUNK)) {
            nonce[11] ^= 1;
            if (open_chunk(b->ctx[i], b->key, nonce, o, p, m))
                b->ok[i] = 2;
        }
    }
}

void fuin__batch_reserve(fuin__batch *b, size_t chunk, uint8_t **p, size_t *cap)
{
    if (b->n > 0 && b->len[b->n - 1] < chunk) {
        *p = b->buf + (b->n - 1) * FUIN__ENC_CHUNK + b->len[b->n - 1];
        *cap = chunk - b->len[b->n - 1];
    } else if (b->n < FUIN__BATCH) {
        /* a new chunk is opened only by commit(), once data really came */
        *p = b->buf + b->n * FUIN__ENC_CHUNK;
        *cap = chunk;
    } else {
        /* batch full: rotating needs to know more data exists */
        *p = NULL;
        *cap = 0;
    }
}

void fuin__batch_commit(fuin__batch *b, size_t chunk, size_t n)
{
    if (n == 0)
        return;
    if (b->n > 0 && b->len[b->n - 1] < chunk)
        b->len[b->n - 1] += n;
    else
        b->len[b->n++] = n;
}

void fuin__batch_submit(fuin__pool *p, fuin__batch *b)
{
    b->busy = 1;
    fuin__pool_submit(p, &b->job, chunk_task, b, b->n);
}

/* ---- the pipeline's writer -------------------------------------------- */

static void *writer_main(void *arg)
{
    fuin__writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        fuin__batch *b;
        fuin_status st;
        char msg[FUIN_ERRMSG_MAX];
        int keep;
        while (w->tail == w->head && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->tail == w->head)
            break;
        b = w->q[w->tail % FUIN__NBATCH];
        keep = w->st == FUIN_OK && w->stop != 2;
        pthread_mutex_unlock(&w->mu);
        msg[0] = '\0';
        if (keep) {
            st = w->flush(w->owner, b, msg);
        } else {
            /* dropped, but never reused while workers may touch it */
            fuin__pool_wait(w->pool, &b->job);
            b->busy = 0;
            st = FUIN_OK;
        }
        pthread_mutex_lock(&w->mu);
        if (st != FUIN_OK && w->st == FUIN_OK) {
            w->st = st;
            memcpy(w->msg, msg, sizeof msg);
        }
        b->queued = 0;
        w->tail++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int fuin__writer_start(fuin__writer *w, fuin__pool *p, fuin__flush_fn f, void *owner)
{
    memset(w, 0, sizeof *w);
    w->pool = p;
    w->flush = f;
    w->owner = owner;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    w->running = 1;
    return 0;
}

void fuin__writer_push(fuin__writer *w, fuin__batch *b)
{
    pthread_mutex_lock(&w->mu);
    b->queued = 1;
    w->q[w->head % FUIN__NBATCH] = b;
    w->head++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

fuin_status fuin__writer_wait(fuin__writer *w, const fuin__batch *b)
{
    fuin_status st;
    pthread_mutex_lock(&w->mu);
    while (b->queued)
        pthread_cond_wait(&w->cv, &w->mu);
    st = w->st;
    pthread_mutex_unlock(&w->mu);
    return st;
}

static void writer_end(fuin__writer *w, int keep)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = keep ? 1 : 2;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    w->running = 0;
}

fuin_status fuin__writer_finish(fuin__writer *w)
{
    writer_end(w, 1);
    return w->st; /* after the join: no lock needed */
}

void fuin__writer_stop(fuin__writer *w)
{
    writer_end(w, 0);
}

/* ---- armor base64 ------------------------------------------------------
 * libsodium's base64 is constant-time, which matters for secrets but runs
 * at ~0.2 GB/s.  The armor body is ciphertext only, public by definition,
 * so a table-driven codec is used for it; keys and stanza bodies keep
 * libsodium's. */
static const char enc_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 12 bits -> two characters: one lookup per half of a 3-byte group. */
static uint16_t enc_pair[4096];
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

static void enc_init(void)
{
    for (int i = 0; i < 4096; i++) {
        uint8_t two[2] = {(uint8_t)enc_tab[i >> 6], (uint8_t)enc_tab[i & 63]};
        memcpy(&enc_pair[i], two, 2);
    }
}

static size_t enc_block(char *out, const uint8_t *in, size_t len, int pad)
{
    size_t o = 0, i = 0;
    pthread_once(&enc_once, enc_init);
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        memcpy(out + o, &enc_pair[v >> 12], 2);
        memcpy(out + o + 2, &enc_pair[v & 4095], 2);
        o += 4;
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
    if (len == 0) /* in may be NULL then */
        return 0;
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

/* Four pre-shifted tables: one OR per 4 characters gives 24 bits, and bit
 * 31 marks a character outside the alphabet. */
#define BAD 0x80000000u
static uint32_t tab[4][256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_init(void)
{
    for (int k = 0; k < 4; k++)
        for (int c = 0; c < 256; c++)
            tab[k][c] = BAD;
    for (int i = 0; i < 64; i++)
        for (int k = 0; k < 4; k++)
            tab[k][(uint8_t)enc_tab[i]] = (uint32_t)i << (18 - 6 * k);
}

long fuin__b64_fast_decode(uint8_t *out, const char *in, size_t len)
{
    const uint8_t *u = (const uint8_t *)in;
    size_t o = 0, full, pad = 0;
    uint32_t v, acc = 0;

    pthread_once(&tab_once, tab_init);
    if (len % 4 != 0)
        return -1;
    if (len >= 1 && in[len - 1] == '=')
        pad = (len >= 2 && in[len - 2] == '=') ? 2 : 1;
    full = pad ? len - 4 : len;
    for (size_t i = 0; i < full; i += 4) {
        v = tab[0][u[i]] | tab[1][u[i + 1]] | tab[2][u[i + 2]] | tab[3][u[i + 3]];
        acc |= v;
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
        o += 3;
    }
    if (acc & BAD)
        return -1;
    if (pad) {
        size_t i = len - 4;
        v = tab[0][u[i]] | tab[1][u[i + 1]] | (pad == 1 ? tab[2][u[i + 2]] : 0);
        /* canonical: the bits below the last whole byte must be zero */
        if ((v & BAD) || (v & (pad == 2 ? 0xffffu : 0xffu)))
            return -1;
        out[o++] = (uint8_t)(v >> 16);
        if (pad == 1)
            out[o++] = (uint8_t)(v >> 8);
    }
    return (long)o;
}

#define LINES_PER_TASK 1024

typedef struct {
    const uint8_t *bin;
    const char *text;
    uint8_t *bout;
    char *tout;
    size_t lines;
    int bad;
} lines_job;

static void enc_lines_task(void *ctx, size_t t)
{
    lines_job *j = ctx;
    size_t first = t * LINES_PER_TASK;
    size_t last = first + LINES_PER_TASK < j->lines ? first + LINES_PER_TASK : j->lines;
    for (size_t k = first; k < last; k++) {
        enc_block(j->tout + k * 65, j->bin + k * 48, 48, 0);
        j->tout[k * 65 + 64] = '\n';
    }
}

static void dec_lines_task(void *ctx, size_t t)
{
    lines_job *j = ctx;
    size_t first = t * LINES_PER_TASK;
    size_t last = first + LINES_PER_TASK < j->lines ? first + LINES_PER_TASK : j->lines;
    uint32_t acc = 0;
    for (size_t k = first; k < last; k++) {
        const uint8_t *u = (const uint8_t *)j->text + k * 65;
        uint8_t *o = j->bout + k * 48;
        if (u[64] != '\n')
            acc |= BAD;
        for (size_t i = 0; i < 64; i += 4) {
            uint32_t v = tab[0][u[i]] | tab[1][u[i + 1]] | tab[2][u[i + 2]] | tab[3][u[i + 3]];
            acc |= v;
            o[0] = (uint8_t)(v >> 16);
            o[1] = (uint8_t)(v >> 8);
            o[2] = (uint8_t)v;
            o += 3;
        }
    }
    if (acc & BAD)
        __atomic_store_n(&j->bad, 1, __ATOMIC_RELAXED);
}

void fuin__armor_enc_lines(fuin__pool *p, const uint8_t *in, size_t lines, char *out)
{
    lines_job j = {in, NULL, NULL, out, lines, 0};
    fuin__job job;
    fuin__pool_submit(p, &job, enc_lines_task, &j,
                      (lines + LINES_PER_TASK - 1) / LINES_PER_TASK);
    fuin__pool_wait(p, &job);
}

int fuin__armor_dec_lines(fuin__pool *p, const char *in, size_t lines, uint8_t *out)
{
    lines_job j = {NULL, in, out, NULL, lines, 0};
    fuin__job job;
    pthread_once(&tab_once, tab_init);
    fuin__pool_submit(p, &job, dec_lines_task, &j,
                      (lines + LINES_PER_TASK - 1) / LINES_PER_TASK);
    fuin__pool_wait(p, &job);
    return j.bad ? -1 : 0;
}
