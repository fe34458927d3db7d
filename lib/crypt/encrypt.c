#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define ENC_MAGIC 0x66456e63u
enum { S_CONFIG, S_STREAM, S_DONE, S_FAILED };

struct fuin_encryptor {
    uint32_t magic;
    int state;
    char errmsg[FUIN_ERRMSG_MAX];
    uint8_t (*rcpts)[32];
    size_t nrcpt;
    char *pass; /* sodium_malloc */
    size_t passlen;
    int log_n;
    int has_label, label_written;
    char approval[65]; /* "" or the hex id of a provide approval */
    fuin_label label;
    int armor, threads;
    fuin_write_fn out;
    void *ctx;
    uint8_t *keys; /* sodium_malloc: file key (16) || payload key (32) */
    fuin__pool *pool;
    fuin__batch b[FUIN__NBATCH];
    int nb; /* batches in use: 2, or FUIN__NBATCH with the writer */
    int cur, pending;
    fuin__writer w; /* fuin_encrypt_fd: the writer thread */
    uint64_t counter;
    fuin__armor_enc aenc;
    char *abuf;
};

#define ABUF_CAP ((size_t)FUIN__BATCH * FUIN__ENC_CHUNK / 3 * 4 + \
                  (size_t)FUIN__BATCH * FUIN__ENC_CHUNK / 48 + 256)

static fuin_status fail(fuin_encryptor *e, fuin_status st, const char *msg)
{
    e->state = S_FAILED;
    if (msg != NULL)
        fuin__seterr(e->errmsg, "%s", msg);
    else if (e->errmsg[0] == '\0')
        fuin__seterr(e->errmsg, "%s", fuin_strerror(st));
    return st;
}

fuin_encryptor *fuin_encryptor_new(void)
{
    fuin_encryptor *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->magic = ENC_MAGIC;
    e->pending = -1;
    return e;
}

void fuin_encryptor_free(fuin_encryptor *e)
{
    if (e == NULL || e->magic != ENC_MAGIC)
        return;
    fuin__writer_stop(&e->w);
    if (e->pool != NULL) {
        /* never free slots while workers may still touch them */
        for (int i = 0; i < FUIN__NBATCH; i++)
            if (e->b[i].busy)
                fuin__pool_wait(e->pool, &e->b[i].job);
        fuin__pool_free(e->pool);
    }
    for (int i = 0; i < FUIN__NBATCH; i++)
        fuin__batch_free(&e->b[i]);
    free(e->rcpts);
    if (e->pass != NULL)
        sodium_free(e->pass);
    if (e->keys != NULL)
        sodium_free(e->keys);
    free(e->abuf);
    e->magic = 0;
    free(e);
}

const char *fuin_encryptor_errmsg(const fuin_encryptor *e)
{
    if (e == NULL || e->magic != ENC_MAGIC)
        return "invalid handle";
    return e->errmsg[0] ? e->errmsg : "no error";
}

static int configurable(const fuin_encryptor *e)
{
    return e != NULL && e->magic == ENC_MAGIC && e->state == S_CONFIG;
}

fuin_status fuin_encryptor_add_recipient(fuin_encryptor *e, const char *recipient)
{
    uint8_t pk[32];
    void *n;
    int r;
    if (!configurable(e))
        return FUIN_E_STATE;
    if (e->pass != NULL) {
        fuin__seterr(e->errmsg, "recipients and a passphrase are exclusive");
        return FUIN_E_INVALID;
    }
    r = recipient == NULL ? -1 : fuin__recipient_parse(recipient, pk);
    if (r != 0) {
        fuin__seterr(e->errmsg, "invalid recipient \"%.90s\": %s", recipient ? recipient : "",
                     r == -2 ? "bad checksum" : "not an age1 X25519 recipient");
        return FUIN_E_KEY;
    }
    n = realloc(e->rcpts, (e->nrcpt + 1) * sizeof *e->rcpts);
    if (n == NULL)
        return FUIN_E_NOMEM;
    e->rcpts = n;
    memcpy(e->rcpts[e->nrcpt++], pk, 32);
    return FUIN_OK;
}

fuin_status fuin_encryptor_set_passphrase(fuin_encryptor *e, const char *pass,
                                          size_t len, int log_n)
{
    if (!configurable(e))
        return FUIN_E_STATE;
    if (e->nrcpt > 0 || e->pass != NULL) {
        fuin__seterr(e->errmsg, "recipients and a passphrase are exclusive");
        return FUIN_E_INVALID;
    }
    if (pass == NULL || len == 0 || log_n < 1 || log_n > FUIN_MAX_SCRYPT_LOG_N)
        return FUIN_E_INVALID;
    e->pass = sodium_malloc(len);
    if (e->pass == NULL)
        return FUIN_E_NOMEM;
    memcpy(e->pass, pass, len);
    e->passlen = len;
    e->log_n = log_n;
    return FUIN_OK;
}

fuin_status fuin_encryptor_set_label(fuin_encryptor *e, const fuin_label *l)
{
    char buf[16];
    const char *args[FUIN__MAX_ARGS];
    if (!configurable(e))
        return FUIN_E_STATE;
    if (l == NULL || fuin__label_to_args(l, args, FUIN__MAX_ARGS, buf, sizeof buf) < 1) {
        fuin__seterr(e->errmsg, "invalid label");
        return FUIN_E_LABEL;
    }
    e->label = *l;
    e->has_label = 1;
    return FUIN_OK;
}

fuin_status fuin_encryptor_set_approval(fuin_encryptor *e, const char *id)
{
    if (!configurable(e))
        return FUIN_E_STATE;
    if (id == NULL || strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64) {
        fuin__seterr(e->errmsg, "invalid approval id");
        return FUIN_E_INVALID;
    }
    memcpy(e->approval, id, 65);
    return FUIN_OK;
}

int fuin_encryptor_label_written(const fuin_encryptor *e)
{
    return e != NULL && e->magic == ENC_MAGIC && e->label_written;
}

fuin_status fuin_encryptor_set_armor(fuin_encryptor *e, int on)
{
    if (!configurable(e))
        return FUIN_E_STATE;
    e->armor = on != 0;
    return FUIN_OK;
}

fuin_status fuin_encryptor_set_threads(fuin_encryptor *e, int n)
{
    if (!configurable(e))
        return FUIN_E_STATE;
    if (n < 0)
        return FUIN_E_INVALID;
    e->threads = n;
    return FUIN_OK;
}

/* Everything written goes through here (armor applied when enabled). */
/* Write p[0..len), armored if asked: FUIN_OK or FUIN_E_IO ("write
 * failed").  No other side effect on the handle: the writer thread calls
 * it. */
static fuin_status emit_raw(fuin_encryptor *e, const uint8_t *p, size_t len)
{
    while (len > 0) {
        if (!e->armor) {
            if (e->out(e->ctx, p, len) != 0)
                return FUIN_E_IO;
            return FUIN_OK;
        } else if (e->aenc.fill == 0 && len >= 48 * 64) {
            /* whole lines encode in parallel */
            size_t lines = len / 48;
            if (lines > (size_t)FUIN__BATCH * FUIN__ENC_CHUNK / 48)
                lines = (size_t)FUIN__BATCH * FUIN__ENC_CHUNK / 48;
            fuin__armor_enc_lines(e->pool, p, lines, e->abuf);
            if (e->out(e->ctx, (uint8_t *)e->abuf, lines * 65) != 0)
                return FUIN_E_IO;
            p += lines * 48;
            len -= lines * 48;
        } else {
            /* complete a partial line, or encode a short tail */
            size_t take = e->aenc.fill ? 48 - e->aenc.fill : len;
            size_t t;
            if (take > len)
                take = len;
            t = fuin__armor_enc_update(&e->aenc, p, take, e->abuf);
            if (t > 0 && e->out(e->ctx, (uint8_t *)e->abuf, t) != 0)
                return FUIN_E_IO;
            p += take;
            len -= take;
        }
    }
    return FUIN_OK;
}

static fuin_status emit(fuin_encryptor *e, const uint8_t *p, size_t len)
{
    fuin_status st = emit_raw(e, p, len);
    return st == FUIN_OK ? st : fail(e, st, "write failed");
}

static fuin_status build_header(fuin_encryptor *e, char **hdr, size_t *hlen)
{
    size_t cap = 512 + 256 * (e->nrcpt + 1), pos = 0, n = 0;
    char *h = malloc(cap);
    uint8_t hk[32], mac[32];
    fuin_status st = FUIN_OK;

    if (h == NULL)
        return FUIN_E_NOMEM;
    memcpy(h, "age-encryption.org/v1\n", 22);
    pos = 22;
    if (e->pass != NULL) {
        st = fuin__scrypt_wrap(e->pass, e->passlen, e->log_n, e->keys, h + pos,
                               cap - pos, &n);
        pos += n;
    } else {
        if (e->has_label) {
            const char *args[FUIN__MAX_ARGS + 1];
            char cls[16];
            int na = fuin__label_to_args(&e->label, args + 1, FUIN__MAX_ARGS,
                                         cls, sizeof cls);
            args[0] = FUIN__LABEL_STANZA;
            n = fuin__stanza_write(h + pos, cap - pos, args, na + 1, NULL, 0);
            if (n == 0)
                st = FUIN_E_LABEL;
            pos += n;
            e->label_written = 1;
        }
        if (st == FUIN_OK && e->approval[0] != '\0') {
            const char *args[2] = {FUIN__APPROVAL_STANZA, e->approval};
            n = fuin__stanza_write(h + pos, cap - pos, args, 2, NULL, 0);
            if (n == 0)
                st = FUIN_E_INVALID;
            pos += n;
        }
        for (size_t i = 0; st == FUIN_OK && i < e->nrcpt; i++) {
            st = fuin__x25519_wrap(e->rcpts[i], e->keys, h + pos, cap - pos, &n);
            pos += n;
        }
    }
    if (st != FUIN_OK) {
        free(h);
        return st;
    }
    memcpy(h + pos, "---", 3);
    pos += 3;
    fuin__hkdf_sha256(hk, 32, NULL, 0, e->keys, FUIN__FILE_KEY, "header");
    crypto_auth_hmacsha256(mac, (const uint8_t *)h, pos, hk);
    sodium_memzero(hk, sizeof hk);
    h[pos++] = ' ';
    fuin__b64_encode(h + pos, mac, 32);
    pos += 43;
    h[pos++] = '\n';
    *hdr = h;
    *hlen = pos;
    return FUIN_OK;
}

fuin_status fuin_encrypt_begin(fuin_encryptor *e, fuin_write_fn out, void *ctx)
{
    char *hdr = NULL;
    size_t hlen = 0;
    uint8_t nonce[16];
    fuin_status st;

    if (!configurable(e))
        return FUIN_E_STATE;
    if (out == NULL)
        return FUIN_E_INVALID;
    if (e->nrcpt == 0 && e->pass == NULL) {
        fuin__seterr(e->errmsg, "no recipients and no passphrase");
        return FUIN_E_INVALID;
    }
    if (e->pass != NULL && e->approval[0] != '\0')
        return fail(e, FUIN_E_POLICY,
                    "a passphrase-encrypted file cannot carry an approval id (age allows "
                    "only the scrypt stanza): encrypt to the recipient's key");
    if (e->pass != NULL && e->has_label && e->label.confidentiality >= 3)
        return fail(e, FUIN_E_POLICY,
                    "confidentiality 3 files may only be encrypted to recipient keys");
    e->out = out;
    e->ctx = ctx;
    e->keys = sodium_malloc(FUIN__FILE_KEY + 32);
    if (e->keys == NULL)
        return fail(e, FUIN_E_NOMEM, NULL);
    e->pool = fuin__pool_new(e->threads ? e->threads : fuin__ncpus());
    int bad = e->pool == NULL;
    e->nb = 2;
    for (int i = 0; !bad && i < e->nb; i++)
        bad = fuin__batch_init(&e->b[i], 0, e->keys + FUIN__FILE_KEY) != 0;
    if (bad)
        return fail(e, FUIN_E_NOMEM, NULL);
    if (e->armor && (e->abuf = malloc(ABUF_CAP)) == NULL)
        return fail(e, FUIN_E_NOMEM, NULL);

    randombytes_buf(e->keys, FUIN__FILE_KEY);
    if ((st = build_header(e, &hdr, &hlen)) != FUIN_OK)
        return fail(e, st, NULL);
    if (e->pass != NULL) {
        sodium_free(e->pass);
        e->pass = NULL;
    }
    randombytes_buf(nonce, sizeof nonce);
    fuin__hkdf_sha256(e->keys + FUIN__FILE_KEY, 32, nonce, 16, e->keys,
                      FUIN__FILE_KEY, "payload");
    sodium_memzero(e->keys, FUIN__FILE_KEY);

    e->state = S_STREAM;
    if (e->armor && e->out(e->ctx, (const uint8_t *)FUIN__ARMOR_BEGIN "\n",
                           sizeof FUIN__ARMOR_BEGIN) != 0)
        st = fail(e, FUIN_E_IO, "write failed");
    if (st == FUIN_OK)
        st = emit(e, (const uint8_t *)hdr, hlen);
    free(hdr);
    if (st == FUIN_OK)
        st = emit(e, nonce, sizeof nonce);
    return st;
}

/* Wait for a batch's encryption and write it (fuin__flush_fn: on the
 * writer thread when there is one). */
static fuin_status flush_batch(void *owner, fuin__batch *b, char *msg)
{
    fuin_encryptor *e = owner;
    size_t total;
    fuin_status st;
    fuin__pool_wait(e->pool, &b->job);
    b->busy = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->ok[i] != 1) {
            fuin__seterr(msg, "the cipher failed (out of memory?)");
            return FUIN_E_NOMEM;
        }
    total = (b->n - 1) * FUIN__ENC_CHUNK + b->len[b->n - 1] + FUIN__TAG;
    if ((st = emit_raw(e, b->buf, total)) != FUIN_OK)
        fuin__seterr(msg, "write failed");
    return st;
}

static fuin_status write_batch(fuin_encryptor *e, fuin__batch *b)
{
    char msg[FUIN_ERRMSG_MAX];
    fuin_status st = flush_batch(e, b, msg);
    return st == FUIN_OK ? st : fail(e, st, msg);
}

/* Submit the current batch and move to the next slot: with the writer
 * thread, once the writer is done with that slot; else after writing the
 * batch before this one. */
static fuin_status rotate(fuin_encryptor *e, int final)
{
    fuin__batch *b = &e->b[e->cur];
    fuin_status st = FUIN_OK;

    b->last_final = final;
    b->counter = e->counter;
    e->counter += b->n;
    fuin__batch_submit(e->pool, b);
    if (e->w.running) {
        fuin__writer_push(&e->w, b);
        e->cur = (e->cur + 1) % e->nb;
        if ((st = fuin__writer_wait(&e->w, &e->b[e->cur])) != FUIN_OK)
            st = fail(e, st, e->w.msg);
    } else {
        if (e->pending >= 0)
            st = write_batch(e, &e->b[e->pending]);
        e->pending = e->cur;
        e->cur = (e->cur + 1) % e->nb;
    }
    e->b[e->cur].n = 0;
    return st;
}

fuin_status fuin_encrypt_update(fuin_encryptor *e, const uint8_t *in, size_t len)
{
    if (e == NULL || e->magic != ENC_MAGIC || e->state != S_STREAM)
        return FUIN_E_STATE;
    if (in == NULL && len > 0)
        return FUIN_E_INVALID;
    while (len > 0) {
        fuin__batch *b = &e->b[e->cur];
        size_t take;
        uint8_t *dst;
        if (b->n == 0 || b->len[b->n - 1] == FUIN_CHUNK_SIZE) {
            /* a full chunk is final only if no data follows: now some does */
            if (b->n == FUIN__BATCH) {
                fuin_status st = rotate(e, 0);
                if (st != FUIN_OK)
                    return st;
                continue;
            }
            b->len[b->n++] = 0;
        }
        dst = b->buf + (b->n - 1) * FUIN__ENC_CHUNK + b->len[b->n - 1];
        take = FUIN_CHUNK_SIZE - b->len[b->n - 1];
        if (take > len)
            take = len;
        memcpy(dst, in, take);
        b->len[b->n - 1] += take;
        in += take;
        len -= take;
    }
    return FUIN_OK;
}

fuin_status fuin_encrypt_final(fuin_encryptor *e)
{
    fuin_status st;
    if (e == NULL || e->magic != ENC_MAGIC || e->state != S_STREAM)
        return FUIN_E_STATE;
    if (e->b[e->cur].n == 0) /* empty plaintext: one empty final chunk */
        e->b[e->cur].len[e->b[e->cur].n++] = 0;
    st = rotate(e, 1);
    if (e->w.running) {
        fuin_status ws = fuin__writer_finish(&e->w);
        if (st == FUIN_OK && ws != FUIN_OK)
            st = fail(e, ws, e->w.msg);
    } else if (st == FUIN_OK) {
        st = write_batch(e, &e->b[e->pending]);
    }
    e->pending = -1;
    if (st == FUIN_OK && e->armor) {
        size_t t = fuin__armor_enc_final(&e->aenc, e->abuf);
        if (e->out(e->ctx, (uint8_t *)e->abuf, t) != 0)
            st = fail(e, FUIN_E_IO, "write failed");
    }
    if (st != FUIN_OK)
        return st;
    e->state = S_DONE;
    return FUIN_OK;
}

char *fuin__encryptor_errbuf(fuin_encryptor *e)
{
    return e->errmsg;
}

static fuin_status begin_cb(void *h, fuin_write_fn out, void *ctx)
{
    return fuin_encrypt_begin(h, out, ctx);
}
static fuin_status update_cb(void *h, const uint8_t *in, size_t len)
{
    return fuin_encrypt_update(h, in, len);
}
static fuin_status final_cb(void *h)
{
    return fuin_encrypt_final(h);
}

static void reserve_cb(void *h, uint8_t **p, size_t *cap)
{
    fuin_encryptor *e = h;
    fuin__batch_reserve(&e->b[e->cur], FUIN_CHUNK_SIZE, p, cap);
}
static void commit_cb(void *h, size_t n)
{
    fuin_encryptor *e = h;
    fuin__batch_commit(&e->b[e->cur], FUIN_CHUNK_SIZE, n);
}
/* The writer thread is used for armored output only.  Measured on the
 * 2-core reference machine (bench/README.md, "Pipelined writer"): with
 * armor, writing overlaps the base64 stage and the whole runs 12 % faster;
 * a binary stream is already CPU-bound there (reading and writing on this
 * thread balance the two workers), and a fourth thread made it 7 % slower. */
static fuin_status pipeline_cb(void *h, int on)
{
    fuin_encryptor *e = h;
    if (!on) {
        /* what is queued is still checked and written, in order, so that
         * the earliest failure in the stream is the one told, every time */
        fuin_status ws = fuin__writer_finish(&e->w);
        return ws == FUIN_OK ? ws : fail(e, ws, e->w.msg);
    }
    /* before any batch is submitted: the third slot, then the thread */
    if (e->state == S_STREAM && e->armor && !e->w.running && e->counter == 0 &&
        e->b[e->cur].n == 0 && (e->threads ? e->threads : fuin__ncpus()) > 1 &&
        fuin__batch_init(&e->b[2], 0, e->keys + FUIN__FILE_KEY) == 0 &&
        fuin__writer_start(&e->w, e->pool, flush_batch, e) == 0)
        e->nb = FUIN__NBATCH;
    return FUIN_OK;
}

fuin_status fuin_encrypt_fd(fuin_encryptor *e, int in_fd, const char *out_path,
                            int out_fd, unsigned flags)
{
    static const fuin__stream_ops ops = {begin_cb, update_cb, final_cb, reserve_cb,
                                         commit_cb, NULL, pipeline_cb};
    if (!configurable(e))
        return FUIN_E_STATE;
    return fuin__run_fd(e, &ops, in_fd, out_path, out_fd, flags, 0644, e->errmsg);
}
