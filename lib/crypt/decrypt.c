#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define DEC_MAGIC 0x66446563u
#define MAX_PASSES 8
#define HBUF_CAP (FUIN_MAX_HEADER_BYTES + 16)
#define ARMOR_PIECE (1u << 20)

enum { S_CONFIG, S_DETECT, S_HEADER, S_NONCE, S_PAYLOAD, S_DONE, S_FAILED };

/* Passphrase-protected identity files, opened only when a header needs an
 * X25519 identity (as age does), so that a passphrase-encrypted file never
 * asks for the identity's passphrase. */
#define MAX_ID_FILES 8
#define ID_FILE_MAX (64u * 1024u) /* plaintext of an identity file */
typedef struct {
    char *name;          /* for messages                              */
    uint8_t *text;       /* the encrypted file (not secret), malloc() */
    size_t len;
    fuin_passphrase_fn cb;
    void *ctx;
} id_file;

struct fuin_decryptor {
    uint32_t magic;
    int state;
    char errmsg[FUIN_ERRMSG_MAX];
    uint8_t *ids; /* sodium_malloc: nids * 32 */
    size_t nids;
    char *pass[MAX_PASSES]; /* sodium_malloc each */
    size_t passlen[MAX_PASSES];
    int npass;
    fuin_passphrase_fn pass_cb;
    void *pass_ctx;
    id_file idf[MAX_ID_FILES];
    int nidf, idf_opened;
    fuin_header_fn hdr_cb;
    void *hdr_ctx;
    int threads, armor_mode;
    fuin_write_fn out;
    void *ctx;
    size_t ws_pending;
    int armored;
    fuin__armor_dec *adec;
    uint8_t *abuf;
    uint8_t *hbuf;
    size_t hlen, header_len;
    int has_label, label_ok;
    int label_stamped; /* fuin_decrypt_fd put it on the output's xattrs */
    fuin_label label;
    uint8_t *keys; /* file key (16) || payload key (32) */
    fuin__pool *pool;
    fuin__batch b[FUIN__NBATCH];
    int nb; /* batches in use: 2, or FUIN__NBATCH with the writer */
    int cur, pending;
    uint64_t counter, released;
    int want_writer; /* fuin_decrypt_fd: a writer thread once the payload starts */
    fuin__writer w;
};

static fuin_status fail(fuin_decryptor *d, fuin_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
#include <stdio.h>
static fuin_status fail(fuin_decryptor *d, fuin_status st, const char *fmt, ...)
{
    d->state = S_FAILED;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->errmsg, sizeof d->errmsg, fmt, ap);
        va_end(ap);
    } else if (d->errmsg[0] == '\0') {
        fuin__seterr(d->errmsg, "%s", fuin_strerror(st));
    }
    return st;
}

fuin_decryptor *fuin_decryptor_new(void)
{
    fuin_decryptor *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->magic = DEC_MAGIC;
    d->pending = -1;
    return d;
}

void fuin_decryptor_free(fuin_decryptor *d)
{
    if (d == NULL || d->magic != DEC_MAGIC)
        return;
    fuin__writer_stop(&d->w);
    if (d->pool != NULL) {
        for (int i = 0; i < FUIN__NBATCH; i++)
            if (d->b[i].busy)
                fuin__pool_wait(d->pool, &d->b[i].job);
        fuin__pool_free(d->pool);
    }
    for (int i = 0; i < FUIN__NBATCH; i++)
        fuin__batch_free(&d->b[i]);
    if (d->ids != NULL)
        sodium_free(d->ids);
    for (int i = 0; i < d->npass; i++)
        sodium_free(d->pass[i]);
    for (int i = 0; i < d->nidf; i++) {
        free(d->idf[i].name);
        free(d->idf[i].text);
    }
    if (d->keys != NULL)
        sodium_free(d->keys);
    fuin__armor_dec_free(d->adec);
    free(d->abuf);
    free(d->hbuf);
    d->magic = 0;
    free(d);
}

const char *fuin_decryptor_errmsg(const fuin_decryptor *d)
{
    if (d == NULL || d->magic != DEC_MAGIC)
        return "invalid handle";
    return d->errmsg[0] ? d->errmsg : "no error";
}

static int configurable(const fuin_decryptor *d)
{
    return d != NULL && d->magic == DEC_MAGIC && d->state == S_CONFIG;
}

fuin_status fuin_decryptor_add_identity(fuin_decryptor *d, const char *identity)
{
    uint8_t *n;
    int r;
    if (!configurable(d))
        return FUIN_E_STATE;
    if (identity == NULL)
        return FUIN_E_INVALID;
    n = sodium_malloc((d->nids + 1) * 32);
    if (n == NULL)
        return FUIN_E_NOMEM;
    if (d->nids > 0)
        memcpy(n, d->ids, d->nids * 32);
    r = fuin__identity_parse(identity, n + d->nids * 32);
    if (r != 0) {
        sodium_free(n);
        fuin__seterr(d->errmsg, r == -2 ? "invalid identity (bad checksum)"
                                        : "invalid identity (not an AGE-SECRET-KEY-1 key)");
        return FUIN_E_KEY;
    }
    if (d->ids != NULL)
        sodium_free(d->ids);
    d->ids = n;
    d->nids++;
    return FUIN_OK;
}

/* Is this the text of an age file (binary or armored) rather than an
 * identity file? */
static int is_age_file(const char *text, size_t len)
{
    static const char bin[] = "age-encryption.org/v1\n";
    static const char arm[] = "-----BEGIN AGE ENCRYPTED FILE-----";
    size_t i = 0;
    if (len >= sizeof bin - 1 && memcmp(text, bin, sizeof bin - 1) == 0)
        return 1;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                       text[i] == '\n'))
        i++;
    return len - i >= sizeof arm - 1 && memcmp(text + i, arm, sizeof arm - 1) == 0;
}

fuin_status fuin_decryptor_add_identities(fuin_decryptor *d, const char *text,
                                          size_t len)
{
    char *line;
    size_t pos = 0, lineno = 0, found = 0;
    fuin_status st = FUIN_OK;

    if (!configurable(d))
        return FUIN_E_STATE;
    if (text == NULL)
        return FUIN_E_INVALID;
    if (is_age_file(text, len)) {
        fuin__seterr(d->errmsg, "the identity file is passphrase-protected (an "
                                "age-encrypted identity): open it with its "
                                "passphrase");
        return FUIN_E_KEY;
    }
    line = sodium_malloc(len + 1);
    if (line == NULL)
        return FUIN_E_NOMEM;
    while (pos < len && st == FUIN_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        memcpy(line, text + pos, n);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        pos = nl ? (size_t)(nl - text) + 1 : len;
        {
            size_t a = 0, b = n;
            while (a < b && (line[a] == ' ' || line[a] == '\t'))
                a++;
            while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
                b--;
            line[b] = '\0';
            if (a == b || line[a] == '#')
                continue;
            st = fuin_decryptor_add_identity(d, line + a);
            if (st == FUIN_E_KEY) {
                char tmp[FUIN_ERRMSG_MAX];
                memcpy(tmp, d->errmsg, sizeof tmp);
                fuin__seterr(d->errmsg, "line %zu: %s", lineno, tmp);
            }
            found++;
        }
    }
    sodium_free(line);
    if (st == FUIN_OK && found == 0) {
        fuin__seterr(d->errmsg, "no identities found");
        st = FUIN_E_KEY;
    }
    return st;
}

fuin_status fuin_decryptor_add_identity_file(fuin_decryptor *d, const char *name,
                                             const char *text, size_t len,
                                             fuin_passphrase_fn cb, void *ctx)
{
    id_file *f;
    if (!configurable(d))
        return FUIN_E_STATE;
    if (text == NULL || name == NULL)
        return FUIN_E_INVALID;
    if (!is_age_file(text, len)) {
        fuin_status st = fuin_decryptor_add_identities(d, text, len);
        if (st != FUIN_OK) {
            char tmp[FUIN_ERRMSG_MAX];
            memcpy(tmp, d->errmsg, sizeof tmp);
            fuin__seterr(d->errmsg, "%s: %s", name, tmp);
        }
        return st;
    }
    if (cb == NULL)
        return FUIN_E_INVALID;
    if (d->nidf == MAX_ID_FILES || len > FUIN_MAX_HEADER_BYTES + 2 * ID_FILE_MAX) {
        fuin__seterr(d->errmsg, "%s: too many or too large identity files", name);
        return FUIN_E_LIMIT;
    }
    f = &d->idf[d->nidf];
    f->name = strdup(name);
    f->text = malloc(len ? len : 1);
    if (f->name == NULL || f->text == NULL) {
        free(f->name);
        free(f->text);
        return FUIN_E_NOMEM;
    }
    memcpy(f->text, text, len);
    f->len = len;
    f->cb = cb;
    f->ctx = ctx;
    d->nidf++;
    return FUIN_OK;
}

/* Plaintext of an identity file, collected in sodium_malloc() memory. */
typedef struct {
    char *buf;
    size_t len;
    int over;
} id_plain;

static int id_plain_write(void *ctx, const uint8_t *buf, size_t len)
{
    id_plain *p = ctx;
    if (len > ID_FILE_MAX - p->len) {
        p->over = 1;
        return -1;
    }
    memcpy(p->buf + p->len, buf, len);
    p->len += len;
    return 0;
}

/* Decrypt one protected identity file, its passphrase from its own
 * callback, and add the identities it holds. */
static fuin_status open_id_file(fuin_decryptor *d, const id_file *f)
{
    fuin_decryptor *in = fuin_decryptor_new();
    id_plain p = {NULL, 0, 0};
    fuin_status st;

    if (in == NULL || (p.buf = sodium_malloc(ID_FILE_MAX)) == NULL) {
        st = FUIN_E_NOMEM;
        goto done;
    }
    st = fuin_decryptor_set_passphrase_cb(in, f->cb, f->ctx);
    if (st == FUIN_OK)
        st = fuin_decryptor_set_threads(in, 1);
    if (st == FUIN_OK)
        st = fuin_decrypt_begin(in, id_plain_write, &p);
    if (st == FUIN_OK)
        st = fuin_decrypt_update(in, f->text, f->len);
    if (st == FUIN_OK)
        st = fuin_decrypt_final(in);
    if (st == FUIN_E_NO_MATCH &&
        strcmp(fuin_decryptor_errmsg(in), "incorrect passphrase") == 0) {
        fuin__seterr(d->errmsg, "%s: incorrect passphrase for the identity file",
                     f->name);
        goto done;
    }
    if (st == FUIN_E_NO_MATCH) {
        /* encrypted to a key, not to a passphrase: not an identity file */
        fuin__seterr(d->errmsg, "%s: not a passphrase-protected identity file",
                     f->name);
        st = FUIN_E_KEY;
        goto done;
    }
    if (st != FUIN_OK) {
        fuin__seterr(d->errmsg, "%s: %s", f->name,
                     p.over ? "identity file too large"
                            : fuin_decryptor_errmsg(in));
        if (st == FUIN_E_IO)
            st = FUIN_E_LIMIT;
        goto done;
    }
    st = fuin_decryptor_add_identities(d, p.buf, p.len);
    if (st != FUIN_OK) {
        char tmp[FUIN_ERRMSG_MAX];
        memcpy(tmp, d->errmsg, sizeof tmp);
        fuin__seterr(d->errmsg, "%s (decrypted): %s", f->name, tmp);
    }
done:
    fuin_decryptor_free(in);
    if (p.buf != NULL) {
        sodium_memzero(p.buf, ID_FILE_MAX);
        sodium_free(p.buf);
    }
    return st;
}

fuin_status fuin_decryptor_add_passphrase(fuin_decryptor *d, const char *pass,
                                          size_t len)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    if (pass == NULL || len == 0 || d->npass == MAX_PASSES)
        return FUIN_E_INVALID;
    d->pass[d->npass] = sodium_malloc(len);
    if (d->pass[d->npass] == NULL)
        return FUIN_E_NOMEM;
    memcpy(d->pass[d->npass], pass, len);
    d->passlen[d->npass++] = len;
    return FUIN_OK;
}

fuin_status fuin_decryptor_set_passphrase_cb(fuin_decryptor *d,
                                             fuin_passphrase_fn cb, void *ctx)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    d->pass_cb = cb;
    d->pass_ctx = ctx;
    return FUIN_OK;
}

fuin_status fuin_decryptor_set_threads(fuin_decryptor *d, int n)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    if (n < 0)
        return FUIN_E_INVALID;
    d->threads = n;
    return FUIN_OK;
}

fuin_status fuin_decryptor_set_armor(fuin_decryptor *d, int mode)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    if (mode != FUIN_ARMOR_AUTO && mode != FUIN_ARMOR_REQUIRE && mode != FUIN_ARMOR_NONE)
        return FUIN_E_INVALID;
    d->armor_mode = mode;
    return FUIN_OK;
}

fuin_status fuin_decryptor_set_header_cb(fuin_decryptor *d, fuin_header_fn cb,
                                         void *ctx)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    d->hdr_cb = cb;
    d->hdr_ctx = ctx;
    return FUIN_OK;
}

const fuin_label *fuin_decryptor_label(const fuin_decryptor *d)
{
    if (d == NULL || d->magic != DEC_MAGIC || !d->has_label || !d->label_ok)
        return NULL;
    return &d->label;
}

uint64_t fuin_decryptor_plaintext_bytes(const fuin_decryptor *d)
{
    return (d != NULL && d->magic == DEC_MAGIC) ? d->released : 0;
}

fuin_status fuin_decrypt_begin(fuin_decryptor *d, fuin_write_fn out, void *ctx)
{
    if (!configurable(d))
        return FUIN_E_STATE;
    if (out == NULL)
        return FUIN_E_INVALID;
    d->out = out;
    d->ctx = ctx;
    d->hbuf = malloc(HBUF_CAP);
    d->keys = sodium_malloc(FUIN__FILE_KEY + 32);
    if (d->hbuf == NULL || d->keys == NULL)
        return fail(d, FUIN_E_NOMEM, NULL);
    d->pool = fuin__pool_new(d->threads ? d->threads : fuin__ncpus());
    if (d->pool == NULL)
        return fail(d, FUIN_E_NOMEM, NULL);
    d->state = S_DETECT;
    return FUIN_OK;
}

/* ---- header ------------------------------------------------------------ */

static fuin_status try_scrypt(fuin_decryptor *d, const fuin__stanza *s)
{
    fuin_status st = fuin__scrypt_check(s, d->errmsg);
    if (st != FUIN_OK)
        return st;
    for (int i = 0; i < d->npass; i++) {
        st = fuin__scrypt_unwrap(s, d->pass[i], d->passlen[i], d->keys, d->errmsg);
        if (st != FUIN_E_NO_MATCH)
            return st;
    }
    if (d->pass_cb != NULL) {
        char *buf = sodium_malloc(1024);
        size_t n = 0;
        if (buf == NULL)
            return FUIN_E_NOMEM;
        if (d->pass_cb(d->pass_ctx, 0, buf, 1024, &n) != 0 || n == 0 || n > 1024) {
            sodium_free(buf);
            fuin__seterr(d->errmsg, "no passphrase given for a passphrase-encrypted file");
            return FUIN_E_PASSPHRASE;
        }
        st = fuin__scrypt_unwrap(s, buf, n, d->keys, d->errmsg);
        sodium_free(buf);
        if (st == FUIN_E_NO_MATCH)
            fuin__seterr(d->errmsg, "incorrect passphrase");
        return st;
    }
    if (d->npass > 0) {
        fuin__seterr(d->errmsg, "incorrect passphrase");
        return FUIN_E_NO_MATCH;
    }
    fuin__seterr(d->errmsg, "file is passphrase-encrypted and no passphrase was given");
    return FUIN_E_NO_MATCH;
}

static fuin_status open_header(fuin_decryptor *d, fuin__header *h)
{
    size_t nscrypt = 0, nlabel = 0;
    const fuin__stanza *scrypt = NULL;
    fuin_status st = FUIN_E_NO_MATCH;
    uint8_t hk[32], mac[32];

    for (size_t i = 0; i < h->n; i++) {
        const fuin__stanza *s = &h->stanzas[i];
        if (strcmp(s->type, "scrypt") == 0) {
            nscrypt++;
            scrypt = s;
        } else if (strcmp(s->type, FUIN__LABEL_STANZA) == 0) {
            if (++nlabel > 1 || s->body_len != 0 ||
                fuin__label_from_args(s->args, s->nargs, &d->label) != FUIN_OK)
                return fail(d, FUIN_E_HEADER, "malformed fuin-label stanza");
            d->has_label = 1;
        }
    }
    if (nscrypt > 0 && h->n != 1)
        return fail(d, FUIN_E_HEADER, "an scrypt stanza must be the only stanza");

    {
        size_t nx = 0, k = 0;
        for (size_t i = 0; i < h->n; i++)
            if (strcmp(h->stanzas[i].type, "X25519") == 0)
                nx++;
        for (;;) {
            for (; k < d->nids && st == FUIN_E_NO_MATCH; k++)
                for (size_t i = 0; i < h->n && st == FUIN_E_NO_MATCH; i++)
                    if (strcmp(h->stanzas[i].type, "X25519") == 0)
                        st = fuin__x25519_unwrap(&h->stanzas[i], d->ids + 32 * k,
                                                 d->keys, d->errmsg);
            /* Nothing matched yet: open the next protected identity file,
             * which only now has a reason to ask for its passphrase. */
            if (st != FUIN_E_NO_MATCH || nx == 0 || d->idf_opened == d->nidf)
                break;
            {
                fuin_status os;
                int saved = d->state;
                d->state = S_CONFIG; /* add_identities wants a configurable handle */
                os = open_id_file(d, &d->idf[d->idf_opened++]);
                d->state = saved;
                if (os != FUIN_OK)
                    return fail(d, os, NULL);
            }
        }
    }
    if (st == FUIN_E_NO_MATCH && scrypt != NULL) {
        st = try_scrypt(d, scrypt);
    } else if (st == FUIN_E_NO_MATCH) {
        fuin__seterr(d->errmsg, d->nids == 0 && d->nidf == 0
                                    ? "no identity given, and the file is not passphrase-encrypted"
                                    : "no identity matched a recipient");
    }
    if (st != FUIN_OK)
        return fail(d, st, NULL);

    fuin__hkdf_sha256(hk, 32, NULL, 0, d->keys, FUIN__FILE_KEY, "header");
    crypto_auth_hmacsha256(mac, d->hbuf, h->mac_input_len, hk);
    sodium_memzero(hk, sizeof hk);
    if (sodium_memcmp(mac, h->mac, 32) != 0)
        return fail(d, FUIN_E_HMAC, "header MAC does not verify: the header was modified");
    d->label_ok = 1;
    if (d->hdr_cb != NULL && d->hdr_cb(d->hdr_ctx, d->has_label ? &d->label : NULL) != 0)
        return fail(d, FUIN_E_POLICY, "refused by the caller after reading the label");
    return FUIN_OK;
}

/* ---- payload ----------------------------------------------------------- */

/* Wait for a batch's decryption, check it and release its plaintext
 * (fuin__flush_fn: on the writer thread when there is one, so it reports
 * through `msg` and changes nothing but d->released). */
#define FLUSH_FAIL(st, ...) (snprintf(msg, FUIN_ERRMSG_MAX, __VA_ARGS__), (st))
static fuin_status flush_batch(void *owner, fuin__batch *b, char *msg)
{
    fuin_decryptor *d = owner;
    int last_of_stream = b->last_final;
    fuin__pool_wait(d->pool, &b->job);
    b->busy = 0;
    if (b->last_final && b->len[b->n - 1] == FUIN__TAG && b->counter + b->n - 1 > 0)
        b->ok[b->n - 1] = -1; /* empty final chunk after data */
    for (size_t i = 0; i < b->n; i++) {
        size_t m;
        if (b->ok[i] == 0 || b->ok[i] == -1) {
            uint64_t idx = b->counter + i;
            if (b->ok[i] == -1)
                return FLUSH_FAIL(FUIN_E_PAYLOAD, "invalid empty final chunk after chunk %llu",
                                  (unsigned long long)idx);
            if (b->len[i] < FUIN__TAG)
                return FLUSH_FAIL(FUIN_E_PAYLOAD, "file is truncated (partial final chunk)");
            if (last_of_stream && i + 1 == b->n)
                return FLUSH_FAIL(FUIN_E_PAYLOAD,
                                  "file is truncated or its end was modified (final chunk %llu does not authenticate)",
                                  (unsigned long long)idx);
            return FLUSH_FAIL(FUIN_E_PAYLOAD,
                              "payload chunk %llu does not authenticate: the file was modified",
                              (unsigned long long)idx);
        }
        m = b->len[i] - FUIN__TAG;
        if (m > 0 && d->out(d->ctx, b->out + i * FUIN__ENC_CHUNK, m) != 0)
            return FLUSH_FAIL(FUIN_E_IO, "write failed");
        d->released += m;
        if (b->ok[i] == 2) {
            if (last_of_stream && i + 1 == b->n)
                return FLUSH_FAIL(FUIN_E_PAYLOAD, "file is truncated: the final chunk is missing");
            return FLUSH_FAIL(FUIN_E_PAYLOAD, "trailing data after the final chunk");
        }
    }
    return FUIN_OK;
}
#undef FLUSH_FAIL

static fuin_status finish_batch(fuin_decryptor *d, fuin__batch *b)
{
    char msg[FUIN_ERRMSG_MAX];
    fuin_status st = flush_batch(d, b, msg);
    return st == FUIN_OK ? st : fail(d, st, "%s", msg);
}

/* Submit the current batch and move to the next slot: with the writer
 * thread, once the writer is done with that slot; else after checking
 * and releasing the batch before this one. */
static fuin_status rotate(fuin_decryptor *d, int final)
{
    fuin__batch *b = &d->b[d->cur];
    fuin_status st = FUIN_OK;
    b->last_final = final;
    b->counter = d->counter;
    d->counter += b->n;
    fuin__batch_submit(d->pool, b);
    if (d->w.running) {
        fuin__writer_push(&d->w, b);
        d->cur = (d->cur + 1) % d->nb;
        if ((st = fuin__writer_wait(&d->w, &d->b[d->cur])) != FUIN_OK)
            st = fail(d, st, "%s", d->w.msg);
    } else {
        if (d->pending >= 0)
            st = finish_batch(d, &d->b[d->pending]);
        d->pending = d->cur;
        d->cur = (d->cur + 1) % d->nb;
    }
    d->b[d->cur].n = 0;
    return st;
}

static fuin_status payload_update(fuin_decryptor *d, const uint8_t *in, size_t len)
{
    while (len > 0) {
        fuin__batch *b = &d->b[d->cur];
        size_t take;
        if (b->n == 0 || b->len[b->n - 1] == FUIN__ENC_CHUNK) {
            if (b->n == FUIN__BATCH) {
                fuin_status st = rotate(d, 0);
                if (st != FUIN_OK)
                    return st;
                continue;
            }
            b->len[b->n++] = 0;
        }
        take = FUIN__ENC_CHUNK - b->len[b->n - 1];
        if (take > len)
            take = len;
        memcpy(b->buf + (b->n - 1) * FUIN__ENC_CHUNK + b->len[b->n - 1], in, take);
        b->len[b->n - 1] += take;
        in += take;
        len -= take;
    }
    return FUIN_OK;
}

static fuin_status start_payload(fuin_decryptor *d, const uint8_t *nonce)
{
    fuin__hkdf_sha256(d->keys + FUIN__FILE_KEY, 32, nonce, 16, d->keys,
                      FUIN__FILE_KEY, "payload");
    sodium_memzero(d->keys, FUIN__FILE_KEY);
    d->nb = 2;
    for (int i = 0; i < d->nb; i++)
        if (fuin__batch_init(&d->b[i], 1, d->keys + FUIN__FILE_KEY) != 0)
            return fail(d, FUIN_E_NOMEM, NULL);
    d->state = S_PAYLOAD;
    /* armored input only: see pipeline_cb in encrypt.c for the measurement */
    if (d->want_writer && d->armored && (d->threads ? d->threads : fuin__ncpus()) > 1 &&
        fuin__batch_init(&d->b[2], 1, d->keys + FUIN__FILE_KEY) == 0 &&
        fuin__writer_start(&d->w, d->pool, flush_batch, d) == 0)
        d->nb = FUIN__NBATCH;
    return FUIN_OK;
}

static fuin_status bin_update(fuin_decryptor *d, const uint8_t *in, size_t len, int at_eof)
{
    fuin_status st;
    if (d->state == S_HEADER) {
        fuin__header h;
        size_t take = HBUF_CAP - d->hlen < len ? HBUF_CAP - d->hlen : len;
        if (take > 0) { /* in may be NULL when len is 0: no arithmetic on it */
            memcpy(d->hbuf + d->hlen, in, take);
            d->hlen += take;
            in += take;
            len -= take;
        }
        st = fuin__header_parse(d->hbuf, d->hlen, at_eof && len == 0, &h, d->errmsg);
        if (st == FUIN_E_STATE)
            return FUIN_OK;
        if (st != FUIN_OK)
            return fail(d, st, NULL);
        d->header_len = h.header_len;
        st = open_header(d, &h);
        fuin__header_free(&h);
        if (st != FUIN_OK)
            return st;
        d->state = S_NONCE;
        /* bytes after the header that are already buffered */
        if (d->hlen > d->header_len) {
            size_t extra = d->hlen - d->header_len;
            memmove(d->hbuf, d->hbuf + d->header_len, extra);
            d->hlen = extra;
        } else {
            d->hlen = 0;
        }
        if (d->hlen >= 16) {
            uint8_t nonce[16];
            size_t rest = d->hlen - 16;
            memcpy(nonce, d->hbuf, 16);
            if ((st = start_payload(d, nonce)) != FUIN_OK)
                return st;
            if (rest > 0 && (st = payload_update(d, d->hbuf + 16, rest)) != FUIN_OK)
                return st;
        }
    }
    if (d->state == S_NONCE && len > 0) {
        size_t take = 16 - d->hlen < len ? 16 - d->hlen : len;
        memcpy(d->hbuf + d->hlen, in, take);
        d->hlen += take;
        in += take;
        len -= take;
        if (d->hlen == 16 && (st = start_payload(d, d->hbuf)) != FUIN_OK)
            return st;
    }
    if (d->state == S_PAYLOAD && len > 0)
        return payload_update(d, in, len);
    return FUIN_OK;
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static fuin_status armor_feed(fuin_decryptor *d, const uint8_t *in, size_t len)
{
    while (len > 0) {
        size_t take, n = 0;
        fuin_status st;
        if (fuin__armor_dec_can_bulk(d->adec)) {
            /* whole LF-terminated 64-column lines decode in parallel; find
             * how many there are first, so the short last line, the END
             * line or CRLF never make a bulk attempt fail */
            size_t lines = 0, max = len / 65;
            if (max > ARMOR_PIECE / 48)
                max = ARMOR_PIECE / 48;
            while (lines < max && in[lines * 65 + 64] == '\n')
                lines++;
            if (lines >= 64) {
                if (fuin__armor_dec_lines(d->pool, (const char *)in, lines, d->abuf) == 0) {
                    if ((st = bin_update(d, d->abuf, lines * 48, 0)) != FUIN_OK)
                        return st;
                    in += lines * 65;
                    len -= lines * 65;
                    continue;
                }
                /* a bad character: the strict decoder takes the whole span
                 * and names the problem */
                take = lines * 65;
                goto strict;
            }
        }
        /* otherwise line by line, so bulk can resume at the next line */
        {
            const uint8_t *nl = memchr(in, '\n', len < ARMOR_PIECE ? len : ARMOR_PIECE);
            take = nl ? (size_t)(nl - in) + 1 : (len < ARMOR_PIECE ? len : ARMOR_PIECE);
        }
    strict:
        st = fuin__armor_dec_update(d->adec, in, take, d->abuf, &n, d->errmsg);
        if (st != FUIN_OK)
            return fail(d, st, NULL);
        if (n > 0 && (st = bin_update(d, d->abuf, n, 0)) != FUIN_OK)
            return st;
        in += take;
        len -= take;
    }
    return FUIN_OK;
}

static fuin_status set_armored(fuin_decryptor *d)
{
    static const uint8_t spaces[64] = {
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
    d->armored = 1;
    d->adec = fuin__armor_dec_new();
    d->abuf = malloc(ARMOR_PIECE);
    if (d->adec == NULL || d->abuf == NULL)
        return fail(d, FUIN_E_NOMEM, NULL);
    d->state = S_HEADER;
    /* leading whitespace only counts toward the armor's limit */
    while (d->ws_pending > 0) {
        size_t n = d->ws_pending < sizeof spaces ? d->ws_pending : sizeof spaces;
        fuin_status st = armor_feed(d, spaces, n);
        if (st != FUIN_OK)
            return st;
        d->ws_pending -= n;
    }
    return FUIN_OK;
}

fuin_status fuin_decrypt_update(fuin_decryptor *d, const uint8_t *in, size_t len)
{
    if (d == NULL || d->magic != DEC_MAGIC || d->state < S_DETECT || d->state >= S_DONE)
        return FUIN_E_STATE;
    if (in == NULL && len > 0)
        return FUIN_E_INVALID;
    if (d->state == S_DETECT && d->armor_mode == FUIN_ARMOR_REQUIRE) {
        fuin_status st = set_armored(d);
        if (st != FUIN_OK)
            return st;
    } else if (d->state == S_DETECT && d->armor_mode == FUIN_ARMOR_NONE) {
        d->state = S_HEADER;
    }
    if (d->state == S_DETECT) {
        size_t i = 0;
        fuin_status st;
        while (i < len && is_ws(in[i]))
            i++;
        d->ws_pending += i;
        if (i == len)
            return FUIN_OK;
        /* armored files start with "-----BEGIN", binary ones with "age-" */
        if (in[i] == '-') {
            if ((st = set_armored(d)) != FUIN_OK)
                return st;
            in += i;
            len -= i;
        } else {
            if (d->ws_pending > 0)
                return fail(d, FUIN_E_HEADER, "not an age file (leading whitespace)");
            d->state = S_HEADER;
        }
    }
    if (d->armored)
        return armor_feed(d, in, len);
    return bin_update(d, in, len, 0);
}

fuin_status fuin_decrypt_final(fuin_decryptor *d)
{
    fuin_status st;
    fuin__batch *b;

    if (d == NULL || d->magic != DEC_MAGIC || d->state < S_DETECT || d->state >= S_DONE)
        return FUIN_E_STATE;
    if (d->state == S_DETECT && d->armor_mode == FUIN_ARMOR_REQUIRE) {
        if ((st = set_armored(d)) != FUIN_OK)
            return st;
    } else if (d->state == S_DETECT) {
        return fail(d, FUIN_E_HEADER, "empty input: not an age file");
    }
    if (d->armored) {
        size_t n = 0;
        st = fuin__armor_dec_final(d->adec, d->abuf, &n, d->errmsg);
        if (st != FUIN_OK)
            return fail(d, st, NULL);
        if ((st = bin_update(d, d->abuf, n, 1)) != FUIN_OK)
            return st;
    }
    if (d->state == S_HEADER) {
        if ((st = bin_update(d, NULL, 0, 1)) != FUIN_OK)
            return st;
        if (d->state == S_HEADER)
            return fail(d, FUIN_E_HEADER, "truncated age header");
    }
    if (d->state == S_NONCE)
        return fail(d, FUIN_E_HEADER, "file is truncated: payload nonce missing");
    b = &d->b[d->cur];
    if (b->n == 0)
        return fail(d, FUIN_E_PAYLOAD, "file is truncated: no payload after the header");
    st = rotate(d, 1);
    if (d->w.running) {
        fuin_status ws = fuin__writer_finish(&d->w);
        if (st == FUIN_OK && ws != FUIN_OK)
            st = fail(d, ws, "%s", d->w.msg);
    } else if (st == FUIN_OK) {
        st = finish_batch(d, &d->b[d->pending]);
    }
    d->pending = -1;
    if (st != FUIN_OK)
        return st;
    sodium_memzero(d->keys, FUIN__FILE_KEY + 32);
    d->state = S_DONE;
    return FUIN_OK;
}

char *fuin__decryptor_errbuf(fuin_decryptor *d)
{
    return d->errmsg;
}

static fuin_status begin_cb(void *h, fuin_write_fn out, void *ctx)
{
    return fuin_decrypt_begin(h, out, ctx);
}
static fuin_status update_cb(void *h, const uint8_t *in, size_t len)
{
    return fuin_decrypt_update(h, in, len);
}
static fuin_status final_cb(void *h)
{
    return fuin_decrypt_final(h);
}

static void reserve_cb(void *h, uint8_t **p, size_t *cap)
{
    fuin_decryptor *d = h;
    if (d->state != S_PAYLOAD || d->armored) {
        *p = NULL;
        *cap = 0;
        return;
    }
    fuin__batch_reserve(&d->b[d->cur], FUIN__ENC_CHUNK, p, cap);
}
static void commit_cb(void *h, size_t n)
{
    fuin_decryptor *d = h;
    fuin__batch_commit(&d->b[d->cur], FUIN__ENC_CHUNK, n);
}
static fuin_status pipeline_cb(void *h, int on)
{
    fuin_decryptor *d = h;
    fuin_status ws;
    d->want_writer = on;
    if (on)
        return FUIN_OK;
    /* what is queued is still checked and written, in order, so that the
     * earliest failure in the stream is the one told, every time */
    ws = fuin__writer_finish(&d->w);
    return ws == FUIN_OK ? ws : fail(d, ws, "%s", d->w.msg);
}

/* The authenticated label goes onto the plaintext file (user.fuin.label,
 * user.fuin.class), so that it survives the round trip; a file system
 * without user xattrs (FAT) is not an error, and the caller can ask. */
static fuin_status stamp_cb(void *h, int fd)
{
    fuin_decryptor *d = h;
    const fuin_label *l = fuin_decryptor_label(d);
    if (l == NULL)
        return FUIN_OK;
    if (fuin_label_xattr_set_fd(fd, l) == FUIN_OK) {
        d->label_stamped = 1;
        return FUIN_OK;
    }
    if (errno == ENOTSUP || errno == ENOSYS)
        return FUIN_OK;
    fuin__seterr(d->errmsg, "cannot stamp the label on the output: %s", strerror(errno));
    return FUIN_E_IO;
}

int fuin_decryptor_label_stamped(const fuin_decryptor *d)
{
    return d != NULL && d->label_stamped;
}

fuin_status fuin_decrypt_fd(fuin_decryptor *d, int in_fd, const char *out_path,
                            int out_fd, unsigned flags)
{
    static const fuin__stream_ops ops = {begin_cb, update_cb, final_cb, reserve_cb,
                                         commit_cb, stamp_cb, pipeline_cb};
    if (!configurable(d))
        return FUIN_E_STATE;
    /* plaintext of classified files: owner-only */
    return fuin__run_fd(d, &ops, in_fd, out_path, out_fd, flags, 0600, d->errmsg);
}
