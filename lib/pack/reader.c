/* fuin verify / unpack: a received package (or any tar or zip) read in one
 * pass.  libarchive parses the archive, fuin's decryptor opens the age
 * layer as it streams, the manifest's signature is checked before the
 * first file, and every file is compared with the manifest as it passes.
 * Extraction goes to a private directory beneath the destination (see
 * extract.c); nothing becomes visible before everything was checked. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <locale.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zip.h>
#include <sodium.h>

#include "extract.h"

#define READ_BUF (1u << 20)
#define UNPACK_ERR 1536

struct fuin_unpacker {
    fuin_decryptor *dec;
    const fuin_pubkey *root;
    const fuin_revocations *rl;
    const fuin_policy *pol;
    fuin_policy *own_pol;
    fuin_unpack_limits lim;
    char *dest;
    int foreign, rename_unsafe, require_rl;
    fuin_passphrase_fn zip_cb;
    void *zip_ctx;

    fuin_unpack_result res;
    fuin__pentries ents;      /* the manifest's, or (foreign) what came */
    fuin__strset keys;        /* collision keys of what came            */
    char err[UNPACK_ERR];

    /* input */
    int fd;
    uint8_t *inbuf;
    size_t pending;           /* sniffed bytes still to hand over       */
    int encrypted, eof;
    uint8_t *plain;
    size_t plain_len, plain_cap;
    fuin_status read_status;
    char read_err[512];
    /* zips */
    int is_zip, zip_aes;       /* a zip; every file in it is AES-encrypted */
    int zip_seekable;          /* in a regular file                      */
    char *zip_pass;            /* sodium_malloc()ed, from zip_cb          */
};

fuin_unpacker *fuin_unpacker_new(void)
{
    fuin_unpacker *u = calloc(1, sizeof *u);
    if (u != NULL)
        fuin_unpack_limits_default(&u->lim);
    return u;
}

void fuin_unpack_limits_default(fuin_unpack_limits *l)
{
    l->max_entries = 1000000;
    l->max_file_bytes = 64ull << 30;
    l->max_total_bytes = 256ull << 30;
    l->max_ratio = 1000;
}

static void reset_result(fuin_unpacker *u)
{
    fuin_release_result_clear(&u->res.release);
    memset(&u->res, 0, sizeof u->res);
    fuin__pentries_clear(&u->ents);
    fuin__strset_clear(&u->keys);
}

void fuin_unpacker_free(fuin_unpacker *u)
{
    if (u == NULL)
        return;
    reset_result(u);
    if (u->zip_pass != NULL)
        sodium_free(u->zip_pass);
    fuin_policy_free(u->own_pol);
    free(u->dest);
    free(u->inbuf);
    free(u->plain);
    free(u);
}

const char *fuin_unpacker_errmsg(const fuin_unpacker *u)
{
    return u == NULL ? "invalid handle" : u->err[0] ? u->err : "no error";
}

fuin_status fuin_unpacker_set_decryptor(fuin_unpacker *u, fuin_decryptor *d)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->dec = d;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_trust(fuin_unpacker *u, const fuin_pubkey *root,
                                    const fuin_revocations *rl)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->root = root;
    u->rl = rl;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_policy(fuin_unpacker *u, const fuin_policy *pol)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->pol = pol;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_limits(fuin_unpacker *u, const fuin_unpack_limits *l)
{
    if (u == NULL || l == NULL || l->max_ratio == 0)
        return FUIN_E_INVALID;
    u->lim = *l;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_dest(fuin_unpacker *u, const char *dir)
{
    char *d = NULL;
    if (u == NULL)
        return FUIN_E_INVALID;
    if (dir != NULL && (d = strdup(dir)) == NULL)
        return FUIN_E_NOMEM;
    free(u->dest);
    u->dest = d;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_foreign(fuin_unpacker *u, int allow)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->foreign = allow != 0;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_require_revocation(fuin_unpacker *u, int on)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->require_rl = on != 0;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_rename_unsafe(fuin_unpacker *u, int on)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->rename_unsafe = on != 0;
    return FUIN_OK;
}

fuin_status fuin_unpacker_set_zip_passphrase_cb(fuin_unpacker *u, fuin_passphrase_fn cb,
                                                void *ctx)
{
    if (u == NULL)
        return FUIN_E_INVALID;
    u->zip_cb = cb;
    u->zip_ctx = ctx;
    return FUIN_OK;
}

const fuin_unpack_result *fuin_unpacker_result(const fuin_unpacker *u)
{
    return u ? &u->res : NULL;
}

size_t fuin_unpacker_count(const fuin_unpacker *u)
{
    return u ? u->ents.n : 0;
}

const fuin_pack_entry *fuin_unpacker_entry(const fuin_unpacker *u, size_t i)
{
    return u != NULL && i < u->ents.n ? &u->ents.v[i].pub : NULL;
}

/* ---- input: plain, or decrypted as it streams --------------------------- */
static int plain_sink(void *ctx, const uint8_t *buf, size_t len)
{
    fuin_unpacker *u = ctx;
    if (u->plain_len + len > u->plain_cap) {
        size_t cap = u->plain_cap ? u->plain_cap : READ_BUF;
        uint8_t *n;
        while (cap < u->plain_len + len)
            cap *= 2;
        if ((n = realloc(u->plain, cap)) == NULL)
            return -1;
        u->plain = n;
        u->plain_cap = cap;
    }
    memcpy(u->plain + u->plain_len, buf, len);
    u->plain_len += len;
    return 0;
}

/* Set by fuin_unpack_interrupt() from a signal handler. */
static volatile sig_atomic_t interrupted;

void fuin_unpack_interrupt(void)
{
    interrupted = 1;
}

static ssize_t read_raw(fuin_unpacker *u, size_t cap)
{
    ssize_t r;
    if (interrupted) {
        snprintf(u->read_err, sizeof u->read_err, "interrupted");
        errno = EINTR;
        return -1;
    }
    if (u->pending > 0) {
        r = (ssize_t)u->pending;
        u->pending = 0;
        return r;
    }
    do
        r = read(u->fd, u->inbuf, cap);
    while (r < 0 && errno == EINTR && !interrupted);
    if (r < 0)
        snprintf(u->read_err, sizeof u->read_err, "%s",
                 interrupted ? "interrupted" : strerror(errno));
    return r;
}

static la_ssize_t archive_reader(struct archive *a, void *arg, const void **buf)
{
    fuin_unpacker *u = arg;
    (void)a;
    if (!u->encrypted) {
        ssize_t r = read_raw(u, READ_BUF);
        if (r < 0) {
            u->read_status = FUIN_E_IO;
            return -1;
        }
        *buf = u->inbuf;
        return r;
    }
    u->plain_len = 0;
    while (u->plain_len == 0 && !u->eof) {
        ssize_t r = read_raw(u, 256u * 1024u);
        fuin_status s;
        if (r < 0) {
            u->read_status = FUIN_E_IO;
            return -1;
        }
        if (r == 0) {
            u->eof = 1;
            s = fuin_decrypt_final(u->dec);
        } else
            s = fuin_decrypt_update(u->dec, u->inbuf, (size_t)r);
        if (s != FUIN_OK) {
            u->read_status = s;
            snprintf(u->read_err, sizeof u->read_err, "%s", fuin_decryptor_errmsg(u->dec));
            return -1;
        }
    }
    *buf = u->plain;
    return (la_ssize_t)u->plain_len;
}

/* A zip in a regular file is read from its central directory (as 7-Zip
 * and Windows read it), which needs seeking. */
static la_int64_t archive_seeker(struct archive *a, void *arg, la_int64_t off, int whence)
{
    fuin_unpacker *u = arg;
    (void)a;
    u->pending = 0;
    return (la_int64_t)lseek(u->fd, (off_t)off, whence);
}

/* ---- SHA-256 on its own thread -------------------------------------------
 * The main thread parses, decrypts (on the pool) and writes; hashing the
 * files beside it keeps unpack and verify near the speed of reading.  A
 * ring of HASH_SLOTS copies of libarchive's blocks feeds the thread. */
#define HASH_SLOTS 4
enum { H_DATA, H_INIT, H_FINAL, H_STOP };
typedef struct {
    int kind;
    size_t len;
    uint8_t *data;
} hslot;
typedef struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hslot slot[HASH_SLOTS];
    unsigned head, tail;   /* head: next to fill, tail: next to hash */
    unsigned finals;       /* H_FINAL done */
    uint8_t out[32];
    EVP_MD_CTX *md;
    int started;
} hasher;

static void *hasher_main(void *arg)
{
    hasher *h = arg;
    for (;;) {
        hslot *sl;
        pthread_mutex_lock(&h->mu);
        while (h->tail == h->head)
            pthread_cond_wait(&h->cv, &h->mu);
        sl = &h->slot[h->tail % HASH_SLOTS];
        pthread_mutex_unlock(&h->mu);
        if (sl->kind == H_STOP)
            return NULL;
        if (sl->kind == H_INIT)
            EVP_DigestInit_ex(h->md, EVP_sha256(), NULL);
        else if (sl->kind == H_DATA)
            EVP_DigestUpdate(h->md, sl->data, sl->len);
        pthread_mutex_lock(&h->mu);
        if (sl->kind == H_FINAL) {
            EVP_DigestFinal_ex(h->md, h->out, NULL);
            h->finals++;
        }
        h->tail++;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
}

static void hasher_put(hasher *h, int kind, const uint8_t *p, size_t n)
{
    hslot *sl;
    pthread_mutex_lock(&h->mu);
    while (h->head - h->tail == HASH_SLOTS)
        pthread_cond_wait(&h->cv, &h->mu);
    sl = &h->slot[h->head % HASH_SLOTS];
    pthread_mutex_unlock(&h->mu);
    sl->kind = kind;
    sl->len = n;
    if (n > 0)
        memcpy(sl->data, p, n);
    pthread_mutex_lock(&h->mu);
    h->head++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void hasher_final(hasher *h, uint8_t out[32])
{
    unsigned want;
    pthread_mutex_lock(&h->mu);
    want = h->finals + 1;
    pthread_mutex_unlock(&h->mu);
    hasher_put(h, H_FINAL, NULL, 0);
    pthread_mutex_lock(&h->mu);
    while (h->finals < want)
        pthread_cond_wait(&h->cv, &h->mu);
    memcpy(out, h->out, 32);
    pthread_mutex_unlock(&h->mu);
}

static int hasher_start(hasher *h)
{
    memset(h, 0, sizeof *h);
    if ((h->md = EVP_MD_CTX_new()) == NULL)
        return -1;
    for (int i = 0; i < HASH_SLOTS; i++)
        if ((h->slot[i].data = malloc(READ_BUF)) == NULL)
            return -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->th, NULL, hasher_main, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        return -1;
    }
    h->started = 1;
    return 0;
}

static void hasher_stop(hasher *h)
{
    if (h->started) {
        hasher_put(h, H_STOP, NULL, 0);
        pthread_join(h->th, NULL);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
    }
    for (int i = 0; i < HASH_SLOTS; i++)
        free(h->slot[i].data);
    EVP_MD_CTX_free(h->md);
    memset(h, 0, sizeof *h);
}

/* ---- the run ------------------------------------------------------------ */
typedef struct {
    fuin_unpacker *u;
    struct archive *a;
    fuin__extract *x;          /* NULL: verify only */
    uint8_t *buf;
    EVP_MD_CTX *md;
    hasher hs;                 /* SHA-256 of file members */
    uint64_t fill_to;          /* foreign: a sparse file's size (a hole at its end) */
    int use_hasher;            /* while a file member is read */
    uint64_t total;
    /* verify only, foreign: the tree's shape as extraction would see it */
    fuin__strset v_files, v_dirs, v_links;
} run_ctx;

static fuin_status fail(fuin_unpacker *u, fuin_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fuin_status fail(fuin_unpacker *u, fuin_status s, const char *fmt, ...)
{
    va_list ap;
    if (u->err[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(u->err, sizeof u->err, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* What libarchive's failure means: our input callback's status, else a
 * malformed or truncated archive. */
static fuin_status archive_failed(run_ctx *c, const char *what)
{
    fuin_unpacker *u = c->u;
    if (u->read_status != FUIN_OK) {
        fuin_status s = u->read_status;
        if (s == FUIN_E_PAYLOAD)
            return fail(u, FUIN_E_MISMATCH, "%s", u->read_err);
        return fail(u, s, "%s", u->read_err);
    }
    const char *m = archive_error_string(c->a);
    if (u->zip_aes && m != NULL && strcasestr(m, "passphrase") != NULL)
        return fail(u, FUIN_E_NO_MATCH, "%s: wrong passphrase for the zip (%s)", what, m);
    if (u->res.is_package)
        return fail(u, FUIN_E_MISMATCH, "%s: %s (truncated or damaged)", what,
                    m ? m : "archive error");
    return fail(u, FUIN_E_HEADER, "%s: %s", what, m ? m : "archive error");
}

static fuin_status limits_check(run_ctx *c, uint64_t add)
{
    fuin_unpacker *u = c->u;
    uint64_t raw = (uint64_t)archive_filter_bytes(c->a, -1);
    c->total += add;
    if (c->total > u->lim.max_total_bytes)
        return fail(u, FUIN_E_LIMIT, "more than %llu bytes in all (--max-size)",
                    (unsigned long long)u->lim.max_total_bytes);
    if (raw < (1u << 20))
        raw = 1u << 20;
    if (c->total / u->lim.max_ratio > raw)
        return fail(u, FUIN_E_LIMIT,
                    "expands more than %llu times (%llu bytes from %llu): an archive "
                    "bomb? (--max-ratio)",
                    (unsigned long long)u->lim.max_ratio, (unsigned long long)c->total,
                    (unsigned long long)archive_filter_bytes(c->a, -1));
    return FUIN_OK;
}

/* Read a member's data: to the extractor (fd >= 0), into the hash and the
 * BLAKE2b state (for the manifest), or into `line_fn`. */
typedef fuin_status (*chunk_fn)(void *ctx, const uint8_t *p, size_t n);

static fuin_status read_data(run_ctx *c, const char *name, uint64_t max, chunk_fn fn,
                             void *ctx, uint64_t *got)
{
    *got = 0;
    for (;;) {
        const void *blk;
        size_t n;
        la_int64_t off;
        fuin_status s;
        int r;
        if (interrupted)
            return fail(c->u, FUIN_E_IO, "interrupted");
        /* libarchive's own buffer: no copy */
        r = archive_read_data_block(c->a, &blk, &n, &off);
        if (r == ARCHIVE_EOF && c->fill_to > *got && c->fill_to <= max) {
            off = (la_int64_t)c->fill_to; /* the final hole */
            n = 0;
            r = ARCHIVE_OK;
        } else if (r == ARCHIVE_EOF)
            return FUIN_OK;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return archive_failed(c, name);
        /* a hole of a sparse file: zeros */
        while (off >= 0 && (uint64_t)off > *got) {
            uint64_t gap = (uint64_t)off - *got;
            size_t z = gap > READ_BUF ? READ_BUF : (size_t)gap;
            memset(c->buf, 0, z);
            *got += z;
            if (*got > max)
                return fail(c->u, FUIN_E_LIMIT, "%s: larger than %llu bytes (--max-file-size)",
                            name, (unsigned long long)max);
            if ((s = limits_check(c, z)) != FUIN_OK)
                return s;
            if (fn != NULL && (s = fn(ctx, c->buf, z)) != FUIN_OK)
                return s;
        }
        if (n == 0)
            continue;
        *got += n;
        if (*got > max)
            return fail(c->u, FUIN_E_LIMIT, "%s: larger than %llu bytes (--max-file-size)", name,
                        (unsigned long long)max);
        if ((s = limits_check(c, n)) != FUIN_OK)
            return s;
        if (fn != NULL && (s = fn(ctx, blk, n)) != FUIN_OK)
            return s;
    }
}

/* ---- the manifest -------------------------------------------------------- */
typedef struct {
    run_ctx *c;
    crypto_generichash_state hs;
    char *line;
    size_t len;
    unsigned lineno;
    fuin__strset dirs;       /* directories listed so far (exact paths) */
    uint64_t files_bytes;
    char above[1024];        /* the first entry labelled above the class */
} manifest_ctx;

static fuin_status manifest_line(manifest_ctx *m)
{
    fuin_unpacker *u = m->c->u;
    char msg[512];
    fuin_status s;
    m->lineno++;
    if (m->lineno == 1) {
        s = fuin__manifest_parse_info(m->line, m->len, &u->res.info, msg, sizeof msg);
        if (s != FUIN_OK)
            return fail(u, s, "%s line 1: %s", FUIN_MANIFEST_NAME, msg);
        u->res.has_manifest = 1;
        if (u->res.info.entries > u->lim.max_entries)
            return fail(u, FUIN_E_LIMIT, "%s: %llu entries, more than %llu (--max-files)",
                        FUIN_MANIFEST_NAME, (unsigned long long)u->res.info.entries,
                        (unsigned long long)u->lim.max_entries);
        return FUIN_OK;
    }
    fuin__pentry *e = fuin__pentries_push(&u->ents);
    if (e == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    if (u->ents.n > u->res.info.entries)
        return fail(u, FUIN_E_SYNTAX, "%s: more entries than the %llu it announces",
                    FUIN_MANIFEST_NAME, (unsigned long long)u->res.info.entries);
    s = fuin__manifest_parse_entry(m->line, m->len, e, msg, sizeof msg);
    if (s != FUIN_OK) {
        u->ents.n--;
        free(e->path);
        return fail(u, s, "%s line %u: %s", FUIN_MANIFEST_NAME, m->lineno, msg);
    }
    /* each name once, also after case folding and normalisation */
    {
        char *key = fuin_entry_collision_key(e->path, strlen(e->path));
        int r = fuin__strset_add(&u->keys, key);
        if (r < 0)
            return fail(u, FUIN_E_NOMEM, "out of memory");
        if (r == 0)
            return fail(u, FUIN_E_UNSAFE,
                        "%s line %u: \"%s\" is listed twice (or collides after case "
                        "folding or Unicode normalisation)",
                        FUIN_MANIFEST_NAME, m->lineno, e->path);
    }
    /* a directory before its contents */
    {
        const char *slash = strrchr(e->path, '/');
        if (slash != NULL) {
            char *parent = strndup(e->path, (size_t)(slash - e->path));
            int ok = parent != NULL && fuin__strset_has(&m->dirs, parent);
            free(parent);
            if (!ok)
                return fail(u, FUIN_E_SYNTAX,
                            "%s line %u: \"%s\" comes before its directory",
                            FUIN_MANIFEST_NAME, m->lineno, e->path);
        }
        if (e->pub.type == FUIN_ENTRY_DIR) {
            char *d = strdup(e->path);
            if (fuin__strset_add(&m->dirs, d) < 0)
                return fail(u, FUIN_E_NOMEM, "out of memory");
        }
    }
    /* Judged after the signature: a manifest edited to say so is first of
     * all a manifest whose signature fails. */
    if (e->pub.has_label && !fuin__label_within(&e->pub.label, &u->res.info.class_label) &&
        m->above[0] == '\0') {
        char a[256], b[256];
        fuin_label_format(&e->pub.label, a, sizeof a);
        fuin_label_format(&u->res.info.class_label, b, sizeof b);
        snprintf(m->above, sizeof m->above,
                 "%.600s is labelled %.100s, above the package class %.100s (a package takes the "
                 "highest class of anything inside)",
                 e->path, a, b);
    }
    m->files_bytes += e->pub.size;
    return FUIN_OK;
}

static fuin_status manifest_chunk(void *ctx, const uint8_t *p, size_t n)
{
    manifest_ctx *m = ctx;
    crypto_generichash_update(&m->hs, p, n);
    for (size_t i = 0; i < n; i++) {
        fuin_status s;
        if (p[i] != '\n') {
            if (m->len == FUIN_MANIFEST_MAX_LINE)
                return fail(m->c->u, FUIN_E_LIMIT, "%s line %u: longer than %u bytes",
                            FUIN_MANIFEST_NAME, m->lineno + 1, FUIN_MANIFEST_MAX_LINE);
            m->line[m->len++] = (char)p[i];
            continue;
        }
        if ((s = manifest_line(m)) != FUIN_OK)
            return s;
        m->len = 0;
    }
    return FUIN_OK;
}

static fuin_status read_manifest(run_ctx *c, struct archive_entry *ae, manifest_ctx *m)
{
    fuin_unpacker *u = c->u;
    uint64_t got;
    fuin_status s;
    if (archive_entry_filetype(ae) != AE_IFREG)
        return fail(u, FUIN_E_SYNTAX, "%s is not a regular file", FUIN_MANIFEST_NAME);
    crypto_generichash_init(&m->hs, NULL, 0, crypto_generichash_BYTES_MAX);
    if ((m->line = malloc(FUIN_MANIFEST_MAX_LINE)) == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    s = read_data(c, FUIN_MANIFEST_NAME, UINT64_MAX, manifest_chunk, m, &got);
    if (s != FUIN_OK)
        return s;
    if (m->len != 0 || m->lineno == 0)
        return fail(u, FUIN_E_SYNTAX, "%s: %s", FUIN_MANIFEST_NAME,
                    m->lineno == 0 ? "empty" : "the last line has no line end");
    if (u->ents.n != u->res.info.entries || m->files_bytes != u->res.info.bytes)
        return fail(u, FUIN_E_SYNTAX,
                    "%s: lists %zu entries and %llu bytes, but announces %llu and %llu",
                    FUIN_MANIFEST_NAME, u->ents.n, (unsigned long long)m->files_bytes,
                    (unsigned long long)u->res.info.entries,
                    (unsigned long long)u->res.info.bytes);
    return FUIN_OK;
}

/* ---- the signature and the policy --------------------------------------- */
typedef struct {
    char *text;
    size_t len;
} membuf;

static fuin_status collect(void *ctx, const uint8_t *p, size_t n)
{
    membuf *b = ctx;
    char *t = realloc(b->text, b->len + n + 1);
    if (t == NULL)
        return FUIN_E_NOMEM;
    memcpy(t + b->len, p, n);
    b->len += n;
    t[b->len] = '\0';
    b->text = t;
    return FUIN_OK;
}

static fuin_status check_signature(run_ctx *c, manifest_ctx *m, const membuf *sig)
{
    fuin_unpacker *u = c->u;
    fuin_verifier *v = fuin_verifier_new();
    fuin_release_result *r = &u->res.release;
    char a[256], b[256];
    fuin_status s;
    if (v == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    u->res.signed_ = 1;
    if ((s = fuin_verifier_load(v, sig->text, sig->len)) != FUIN_OK ||
        (s = fuin__verifier_set_hash_state(v, &m->hs)) != FUIN_OK) {
        fail(u, s, "%s: %s", FUIN_MANIFEST_SIG_NAME, fuin_verifier_errmsg(v));
        fuin_verifier_free(v);
        return s;
    }
    if (u->root == NULL) {
        fuin_verifier_free(v);
        return fail(u, FUIN_E_UNTRUSTED,
                    "the manifest is signed, but no trust root was given to check the "
                    "signer against");
    }
    s = fuin_release_check(u->root, u->rl, v, r);
    fuin_verifier_free(v);
    u->res.revocation_checked = u->rl != NULL;
    if (s != FUIN_OK)
        return fail(u, s, "manifest signature: %s", r->reason);
    if (u->rl == NULL && u->require_rl)
        return fail(u, FUIN_E_UNTRUSTED,
                    "revocation could not be checked (no revocation list), and it is "
                    "required");
    if (!r->has_meta || !r->meta.has_label ||
        memcmp(&r->meta.label, &u->res.info.class_label, sizeof r->meta.label) != 0 ||
        strcmp(r->meta.file, FUIN_MANIFEST_NAME) != 0) {
        fuin_label_format(&u->res.info.class_label, a, sizeof a);
        if (r->has_meta && r->meta.has_label)
            fuin_label_format(&r->meta.label, b, sizeof b);
        else
            snprintf(b, sizeof b, "none");
        return fail(u, FUIN_E_SIGNATURE,
                    "the signature is not a package manifest signature for class %s "
                    "(it says class %s, file \"%s\")",
                    a, b, r->has_meta ? r->meta.file : "");
    }
    return FUIN_OK;
}

static fuin_status check_policy(fuin_unpacker *u)
{
    const fuin_label *cl = &u->res.info.class_label;
    char msg[1024];
    fuin_status s;
    msg[0] = '\0';
    if (u->res.encrypted && u->res.has_age_label &&
        memcmp(&u->res.age_label, cl, sizeof *cl) != 0) {
        char a[256], b[256];
        fuin_label_format(&u->res.age_label, a, sizeof a);
        fuin_label_format(cl, b, sizeof b);
        return fail(u, FUIN_E_MISMATCH,
                    "the age header's label %s is not the manifest's class %s", a, b);
    }
    if (u->zip_aes && (s = fuin_policy_check_zip(u->pol, cl, msg, sizeof msg)) != FUIN_OK)
        return fail(u, s, "policy: the package arrived as a password zip: %s", msg);
    if (!u->res.encrypted && !u->zip_aes &&
        (s = fuin_policy_check_unencrypted(u->pol, cl, msg, sizeof msg)) != FUIN_OK)
        return fail(u, s, "policy: the package arrived unencrypted: %s", msg);
    if (!u->res.signed_ &&
        (s = fuin_policy_check_unsigned(u->pol, cl, msg, sizeof msg)) != FUIN_OK)
        return fail(u, s, "policy: the package is not signed: %s", msg);
    if (u->res.signed_ &&
        (s = fuin_policy_check_verify(u->pol, cl, 1, msg, sizeof msg)) != FUIN_OK)
        return fail(u, s, "policy: %s", msg);
    return FUIN_OK;
}

/* ---- the members ---------------------------------------------------------- */
typedef struct {
    run_ctx *c;
    int fd;
} data_ctx;

static fuin_status to_file(void *ctx, const uint8_t *p, size_t n)
{
    data_ctx *d = ctx;
    int err;
    if (d->c->use_hasher)
        for (size_t off = 0; off < n; off += READ_BUF) /* a slot holds READ_BUF */
            hasher_put(&d->c->hs, H_DATA, p + off, n - off < READ_BUF ? n - off : READ_BUF);
    else if (d->c->md != NULL)
        EVP_DigestUpdate(d->c->md, p, n);
    if (d->fd >= 0 && (err = fuin__write_all(d->fd, p, n)) != 0)
        return fail(d->c->u, FUIN_E_IO, "cannot write: %s", strerror(err));
    return FUIN_OK;
}

static void file_hash_begin(run_ctx *c)
{
    if (c->hs.started) {
        c->use_hasher = 1;
        hasher_put(&c->hs, H_INIT, NULL, 0);
    } else
        EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
}

static void file_hash_end(run_ctx *c, uint8_t out[32])
{
    if (c->use_hasher)
        hasher_final(&c->hs, out);
    else
        EVP_DigestFinal_ex(c->md, out, NULL);
    c->use_hasher = 0;
}

static fuin_status expect_text(run_ctx *c, struct archive_entry *ae, const char *name,
                               const uint8_t want[32])
{
    uint8_t got_hash[32];
    uint64_t got;
    data_ctx d = {c, -1};
    fuin_status s;
    const char *path = archive_entry_pathname(ae);
    if (path == NULL || strcmp(path, name) != 0 || archive_entry_filetype(ae) != AE_IFREG)
        return fail(c->u, FUIN_E_MISMATCH, "expected the member %s, found \"%s\"", name,
                    path ? path : "");
    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
    if ((s = read_data(c, name, 64u << 20 << 4, to_file, &d, &got)) != FUIN_OK)
        return s;
    EVP_DigestFinal_ex(c->md, got_hash, NULL);
    if (memcmp(got_hash, want, 32) != 0)
        return fail(c->u, FUIN_E_MISMATCH, "%s does not match the manifest", name);
    return FUIN_OK;
}

/* manifest-sha256.txt as the manifest says it must be */
static void bagit_hash(fuin_unpacker *u, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < u->ents.n; i++) {
        size_t len;
        char *line;
        if (u->ents.v[i].pub.type != FUIN_ENTRY_FILE)
            continue;
        line = fuin__bagit_line(&u->ents.v[i].pub, &len);
        if (line != NULL)
            EVP_DigestUpdate(md, line, len);
        free(line);
    }
    EVP_DigestFinal_ex(md, out, NULL);
    EVP_MD_CTX_free(md);
}

static fuin_status package_member(run_ctx *c, struct archive_entry *ae, size_t idx)
{
    fuin_unpacker *u = c->u;
    const char *raw = archive_entry_pathname_utf8(ae);
    fuin__pentry *e;
    char *path = NULL;
    size_t n;
    int type = archive_entry_filetype(ae);
    fuin_status s;
    if (raw == NULL)
        raw = archive_entry_pathname(ae);
    if (raw == NULL || strncmp(raw, FUIN_PACKAGE_DATA_DIR, 5) != 0 || idx >= u->ents.n)
        return fail(u, FUIN_E_MISMATCH, "\"%s\" is not in the manifest (added)%s",
                    raw == NULL                                    ? ""
                    : strncmp(raw, FUIN_PACKAGE_DATA_DIR, 5) == 0 ? raw + 5
                                                                   : raw,
                    idx >= u->ents.n ? ": data after the end of the package" : "");
    e = &u->ents.v[idx];
    n = strlen(raw + 5);
    path = strndup(raw + 5, n > 0 && raw[5 + n - 1] == '/' ? n - 1 : n);
    if (path == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    if (strcmp(path, e->path) != 0) {
        /* a member out of place: missing, added, or duplicated */
        int known = 0;
        for (size_t i = 0; i < u->ents.n && !known; i++)
            known = strcmp(u->ents.v[i].path, path) == 0;
        s = fail(u, FUIN_E_MISMATCH, "\"%s\" %s; expected \"%s\"", path,
                 !known              ? "is not in the manifest (added)"
                 : strcmp(path, e->path) < 0 || idx == 0 ? "comes twice or out of order"
                                                         : "is out of order (or a file is missing)",
                 e->path);
        free(path);
        return s;
    }
    free(path);
    if ((e->pub.type == FUIN_ENTRY_DIR && type != AE_IFDIR) ||
        (e->pub.type == FUIN_ENTRY_FILE && type != AE_IFREG))
        return fail(u, FUIN_E_MISMATCH, "\"%s\" is not a %s as the manifest says",
                    e->path,
                    e->pub.type == FUIN_ENTRY_DIR ? "directory" : "regular file");
    if ((archive_entry_perm(ae) & 07777) != e->pub.mode)
        return fail(u, FUIN_E_MISMATCH, "\"%s\": mode %04o, the manifest says %04o", e->path,
                    (unsigned)(archive_entry_perm(ae) & 07777), e->pub.mode);
    /* a zip's DOS times are local and 2 s coarse: the manifest's time is
     * what the file gets */
    if (!u->is_zip && (int64_t)archive_entry_mtime(ae) != e->pub.mtime)
        return fail(u, FUIN_E_MISMATCH, "\"%s\": its time differs from the manifest's",
                    e->path);
    if (e->pub.type == FUIN_ENTRY_FILE &&
        (!archive_entry_size_is_set(ae) || (uint64_t)archive_entry_size(ae) != e->pub.size))
        return fail(u, FUIN_E_MISMATCH, "\"%s\": its size differs from the manifest's",
                    e->path);
    e->seen = 1;
    if (e->pub.type == FUIN_ENTRY_DIR)
        return c->x ? fuin__extract_dir(c->x, e->path, e->pub.mode, e->pub.mtime,
                                        e->pub.has_label ? &e->pub.label : NULL, u->err,
                                        sizeof u->err)
                    : FUIN_OK;
    {
        data_ctx d = {c, -1};
        uint8_t h[32];
        uint64_t got;
        if (c->x != NULL &&
            (s = fuin__extract_file_open(c->x, e->path, &d.fd, u->err, sizeof u->err)) !=
                FUIN_OK)
            return s;
        file_hash_begin(c);
        s = read_data(c, e->path, u->lim.max_file_bytes, to_file, &d, &got);
        file_hash_end(c, h);
        if (s == FUIN_OK && (got != e->pub.size || memcmp(h, e->pub.sha256, 32) != 0))
            s = fail(u, FUIN_E_MISMATCH, "\"%s\" differs from the manifest (SHA-256%s)",
                     e->path, got != e->pub.size ? ", size" : "");
        if (c->x != NULL)
            s = fuin__extract_file_close(c->x, d.fd, s, e->pub.mode, e->pub.mtime,
                                         e->pub.has_label ? &e->pub.label : NULL, u->err,
                                         sizeof u->err);
        u->res.entries++;
        u->res.bytes += got;
        return s;
    }
}

static fuin_status run_package(run_ctx *c, struct archive_entry *ae)
{
    fuin_unpacker *u = c->u;
    manifest_ctx m;
    membuf sig = {0};
    fuin_status s;
    size_t idx = 0;
    int r;
    uint8_t want[32];

    memset(&m, 0, sizeof m);
    m.c = c;
    u->res.is_package = 1;
    s = read_manifest(c, ae, &m);
    free(m.line);
    fuin__strset_clear(&m.dirs);
    if (s != FUIN_OK)
        return s;
    /* the signature, if any, comes next */
    r = archive_read_next_header(c->a, &ae);
    if (r != ARCHIVE_OK)
        return r == ARCHIVE_EOF ? fail(u, FUIN_E_MISMATCH, "the package ends after its manifest")
                                : archive_failed(c, "package");
    if (archive_entry_pathname(ae) != NULL &&
        strcmp(archive_entry_pathname(ae), FUIN_MANIFEST_SIG_NAME) == 0) {
        uint64_t got;
        if (archive_entry_filetype(ae) != AE_IFREG)
            return fail(u, FUIN_E_SIGFORMAT, "%s is not a regular file", FUIN_MANIFEST_SIG_NAME);
        s = read_data(c, FUIN_MANIFEST_SIG_NAME, 64u * 1024u, collect, &sig, &got);
        if (s == FUIN_OK)
            s = check_signature(c, &m, &sig);
        free(sig.text);
        if (s != FUIN_OK)
            return s;
        r = archive_read_next_header(c->a, &ae);
        if (r != ARCHIVE_OK)
            return r == ARCHIVE_EOF ? fail(u, FUIN_E_MISMATCH, "the package ends early")
                                    : archive_failed(c, "package");
    }
    if (m.above[0] != '\0')
        return fail(u, FUIN_E_POLICY, "%s", m.above);
    if ((s = check_policy(u)) != FUIN_OK)
        return s;
    /* Nothing is created before here.  Clashes in DIR are known now. */
    if (c->x != NULL)
        for (size_t i = 0; i < u->ents.n; i++)
            if (strchr(u->ents.v[i].path, '/') == NULL &&
                (s = fuin__extract_check_free(c->x, u->ents.v[i].path, u->err,
                                              sizeof u->err)) != FUIN_OK)
                return s;
    SHA256((const unsigned char *)FUIN__BAGIT_TXT, strlen(FUIN__BAGIT_TXT), want);
    if ((s = expect_text(c, ae, "bagit.txt", want)) != FUIN_OK)
        return s;
    r = archive_read_next_header(c->a, &ae);
    if (r != ARCHIVE_OK)
        return r == ARCHIVE_EOF ? fail(u, FUIN_E_MISMATCH, "the package ends early")
                                : archive_failed(c, "package");
    bagit_hash(u, want);
    if ((s = expect_text(c, ae, "manifest-sha256.txt", want)) != FUIN_OK)
        return s;
    r = archive_read_next_header(c->a, &ae);
    if (r != ARCHIVE_OK || archive_entry_filetype(ae) != AE_IFDIR ||
        archive_entry_pathname(ae) == NULL || strcmp(archive_entry_pathname(ae), "data/") != 0)
        return r == ARCHIVE_OK || r == ARCHIVE_EOF
                   ? fail(u, FUIN_E_MISMATCH, "the package has no data/ directory")
                   : archive_failed(c, "package");
    for (;;) {
        r = archive_read_next_header(c->a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return archive_failed(c, "package");
        if ((s = package_member(c, ae, idx++)) != FUIN_OK)
            return s;
    }
    if (idx < u->ents.n)
        return fail(u, FUIN_E_MISMATCH, "\"%s\" is in the manifest but not in the package "
                    "(%zu of %zu entries missing)",
                    u->ents.v[idx].path, u->ents.n - idx, u->ents.n);
    return FUIN_OK;
}

/* ---- foreign archives: only the safety checks ---------------------------- */
/* Verify only (no directory to extract into): what extraction refuses
 * about the tree's shape is refused here too, with its words, so that a
 * verified archive also unpacks.  kind: 'f' file, 'd' directory, 'l'
 * symbolic link, 'h' hard link to target. */
static int set_add_copy(fuin__strset *set, const char *s, size_t n)
{
    char *c = strndup(s, n);
    return c == NULL ? -1 : fuin__strset_add(set, c);
}

static fuin_status shape_check(run_ctx *c, const char *path, int kind, const char *target)
{
    fuin_unpacker *u = c->u;
    int depth = 0;
    for (const char *slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        char pre[FUIN_ENTRY_PATH_MAX + 1];
        size_t n = (size_t)(slash - path);
        if (++depth > FUIN__EXTRACT_MAX_DEPTH)
            return fail(u, FUIN_E_LIMIT, "\"%s\": nested deeper than %d directories", path,
                        FUIN__EXTRACT_MAX_DEPTH);
        if (n >= sizeof pre)
            return fail(u, FUIN_E_UNSAFE, "\"%s\": name too long", path);
        memcpy(pre, path, n);
        pre[n] = '\0';
        if (fuin__strset_has(&c->v_files, pre) || fuin__strset_has(&c->v_links, pre))
            return fail(u, FUIN_E_UNSAFE, "\"%s\": goes through a symbolic link or a file",
                        path);
        if (set_add_copy(&c->v_dirs, pre, n) < 0)
            return fail(u, FUIN_E_NOMEM, "out of memory");
    }
    if (kind == 'h' && !fuin__strset_has(&c->v_files, target))
        return fail(u, FUIN_E_UNSAFE,
                    "\"%s\": hard link to \"%s\", which is not a file extracted before it",
                    path, target);
    if (kind == 'd') {
        if (fuin__strset_has(&c->v_files, path) || fuin__strset_has(&c->v_links, path))
            return fail(u, FUIN_E_UNSAFE, "\"%s\": is both a directory and a file or link",
                        path);
        return set_add_copy(&c->v_dirs, path, strlen(path)) < 0
                   ? fail(u, FUIN_E_NOMEM, "out of memory")
                   : FUIN_OK;
    }
    if (fuin__strset_has(&c->v_dirs, path))
        return fail(u, FUIN_E_UNSAFE, "\"%s\": is both a %s and a directory", path,
                    kind == 'l' ? "symbolic link" : "file");
    /* a hard link is no hard link's target (extraction links to files it
     * wrote only): it goes with the symbolic links */
    if (set_add_copy(kind == 'f' ? &c->v_files : &c->v_links, path, strlen(path)) < 0)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    return FUIN_OK;
}

static fuin_status foreign_member(run_ctx *c, struct archive_entry *ae)
{
    fuin_unpacker *u = c->u;
    const char *raw = archive_entry_pathname_utf8(ae);
    char why[200], *path = NULL, *fixed = NULL;
    size_t n;
    int type = archive_entry_filetype(ae);
    fuin__pentry *e;
    fuin_status s = FUIN_OK;

    if (raw == NULL)
        raw = archive_entry_pathname(ae);
    if (raw == NULL)
        return fail(u, FUIN_E_UNSAFE, "an entry has no name");
    if (u->ents.n >= u->lim.max_entries)
        return fail(u, FUIN_E_LIMIT, "more than %llu entries (--max-files)",
                    (unsigned long long)u->lim.max_entries);
    if (archive_entry_is_encrypted(ae) && !u->zip_aes)
        return fail(u, FUIN_E_POLICY,
                    "\"%s\" is encrypted inside the zip, and the zip could not be checked "
                    "for AES (it is not a regular file): save it to a file first",
                    raw);
    n = strlen(raw);
    if (n >= 2 && raw[0] == '.' && raw[1] == '/') {
        raw += 2;
        n -= 2;
    }
    while (n > 1 && raw[n - 1] == '/')
        n--;
    if (n == 1 && raw[0] == '.' && type == AE_IFDIR)
        return FUIN_OK; /* "./" itself */
    if (fuin_entry_name_check(raw, n, why, sizeof why) != FUIN_OK) {
        if (!u->rename_unsafe || raw[0] == '/' ||
            (fixed = fuin__entry_name_rename(raw, n)) == NULL)
            return fail(u, FUIN_E_UNSAFE, "\"%s\": %s%s", raw, why,
                        u->rename_unsafe || raw[0] == '/' ? ""
                                                          : " (--rename-unsafe renames it)");
        u->res.renamed++;
        path = fixed;
    } else if ((path = strndup(raw, n)) == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");
    {
        char *key = fuin_entry_collision_key(path, strlen(path));
        int r = fuin__strset_add(&u->keys, key);
        if (r <= 0) {
            s = r < 0 ? fail(u, FUIN_E_NOMEM, "out of memory")
                      : fail(u, FUIN_E_UNSAFE,
                             "\"%s\" comes twice, or collides with another name after case "
                             "folding or Unicode normalisation",
                             path);
            free(path);
            return s;
        }
    }
    if ((e = fuin__pentries_push(&u->ents)) == NULL) {
        free(path);
        return fail(u, FUIN_E_NOMEM, "out of memory");
    }
    e->path = path;
    e->pub.path = path;
    e->pub.mode = archive_entry_perm(ae) & 0777u;
    e->pub.mtime = (int64_t)archive_entry_mtime(ae);
    {
        /* a label that travelled as an xattr */
        const char *xn;
        const void *xv;
        size_t xl;
        archive_entry_xattr_reset(ae);
        while (archive_entry_xattr_next(ae, &xn, &xv, &xl) == ARCHIVE_OK) {
            char t[256];
            if (strcmp(xn, FUIN_LABEL_XATTR) != 0 || xl >= sizeof t)
                continue;
            memcpy(t, xv, xl);
            t[xl] = '\0';
            e->pub.has_label = fuin_label_parse(t, &e->pub.label, NULL, 0) == FUIN_OK;
        }
    }
    if (archive_entry_hardlink(ae) != NULL) {
        const char *t = archive_entry_hardlink(ae);
        size_t tl = strlen(t);
        char *tp;
        if (tl >= 2 && t[0] == '.' && t[1] == '/') {
            t += 2;
            tl -= 2;
        }
        if (fuin_entry_name_check(t, tl, why, sizeof why) != FUIN_OK)
            return fail(u, FUIN_E_UNSAFE, "\"%s\": hard link to \"%s\": %s",
                        path, t, why);
        if ((tp = strndup(t, tl)) == NULL)
            return fail(u, FUIN_E_NOMEM, "out of memory");
        e->pub.type = FUIN_ENTRY_FILE;
        s = c->x ? fuin__extract_hardlink(c->x, path, tp, u->err, sizeof u->err)
                 : shape_check(c, path, 'h', tp);
        free(tp);
        return s;
    }
    if (c->x == NULL && (type == AE_IFDIR || type == AE_IFREG || type == AE_IFLNK) &&
        (s = shape_check(c, path, type == AE_IFDIR ? 'd' : type == AE_IFREG ? 'f' : 'l',
                         NULL)) != FUIN_OK)
        return s;
    switch (type) {
    case AE_IFDIR:
        e->pub.type = FUIN_ENTRY_DIR;
        return c->x ? fuin__extract_dir(c->x, path, e->pub.mode, e->pub.mtime,
                                        e->pub.has_label ? &e->pub.label : NULL, u->err,
                                        sizeof u->err)
                    : FUIN_OK;
    case AE_IFREG: {
        data_ctx d = {c, -1};
        uint64_t got;
        e->pub.type = FUIN_ENTRY_FILE;
        if (c->x != NULL &&
            (s = fuin__extract_file_open(c->x, path, &d.fd, u->err, sizeof u->err)) !=
                FUIN_OK)
            return s;
        file_hash_begin(c);
        c->fill_to = archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0
                         ? (uint64_t)archive_entry_size(ae)
                         : 0;
        s = read_data(c, path, u->lim.max_file_bytes, to_file, &d, &got);
        c->fill_to = 0;
        file_hash_end(c, e->pub.sha256);
        e->pub.size = got;
        if (c->x != NULL)
            s = fuin__extract_file_close(c->x, d.fd, s, e->pub.mode, e->pub.mtime,
                                         e->pub.has_label ? &e->pub.label : NULL, u->err,
                                         sizeof u->err);
        u->res.entries++;
        u->res.bytes += got;
        return s;
    }
    case AE_IFLNK: {
        const char *t = archive_entry_symlink(ae);
        e->pub.type = FUIN_ENTRY_FILE;
        if (t == NULL || fuin__symlink_target_check(path, t, why, sizeof why) != FUIN_OK)
            return fail(u, FUIN_E_UNSAFE, "\"%s\": symbolic link to \"%s\": %s",
                        path, t ? t : "", why);
        return c->x ? fuin__extract_symlink(c->x, path, t, u->err, sizeof u->err) : FUIN_OK;
    }
    default:
        return fail(u, FUIN_E_UNSAFE, "\"%s\" is a %s: not extracted",
                    path,
                    type == AE_IFCHR || type == AE_IFBLK ? "device node"
                    : type == AE_IFIFO                   ? "FIFO"
                    : type == AE_IFSOCK                  ? "socket"
                                                         : "special file");
    }
}

static fuin_status run_foreign(run_ctx *c, struct archive_entry *ae)
{
    fuin_status s;
    for (;;) {
        int r;
        if ((s = foreign_member(c, ae)) != FUIN_OK)
            return s;
        r = archive_read_next_header(c->a, &ae);
        if (r == ARCHIVE_EOF)
            return FUIN_OK;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return archive_failed(c, "archive");
    }
}

/* ---- zips: libzip reads the central directory first -------------------- */
/* ZipCrypto (traditional PKWARE encryption) is broken and refused; a zip
 * whose every file is WinZip AES is opened with the passphrase callback.
 * Needs a regular file (the central directory is at the end). */
static fuin_status zip_prescan(fuin_unpacker *u, int fd, size_t sniffed)
{
    struct stat st;
    zip_t *z;
    int err = 0, dfd;
    zip_int64_t n;
    uint64_t files = 0, aes = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return FUIN_OK; /* streamed: encrypted entries are refused */
    if ((dfd = dup(fd)) < 0)
        return fail(u, FUIN_E_IO, "cannot read: %s", strerror(errno));
    z = zip_fdopen(dfd, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (z == NULL) {
        zip_error_t ze;
        close(dfd);
        zip_error_init_with_code(&ze, err);
        if (err == ZIP_ER_EXISTS) /* libzip's word for a name that comes twice */
            fail(u, FUIN_E_UNSAFE, "a name comes twice in the zip's directory");
        else
            fail(u, FUIN_E_HEADER, "not a valid zip file: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return err == ZIP_ER_EXISTS ? FUIN_E_UNSAFE : FUIN_E_HEADER;
    }
    n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t zs;
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &zs) != 0)
            continue;
        if (zs.name != NULL && zs.name[0] != '\0' && zs.name[strlen(zs.name) - 1] == '/')
            continue; /* a directory */
        files++;
        if (!(zs.valid & ZIP_STAT_ENCRYPTION_METHOD) || zs.encryption_method == ZIP_EM_NONE)
            continue;
        if (zs.encryption_method == ZIP_EM_TRAD_PKWARE) {
            fail(u, FUIN_E_POLICY,
                        "\"%s\" is encrypted with ZipCrypto (traditional PKWARE), which is "
                        "broken: refused (ask for AES-256 or, better, an age-encrypted "
                        "package)",
                        zs.name ? zs.name : "");
            zip_discard(z);
            return FUIN_E_POLICY;
        }
        if (zs.encryption_method == ZIP_EM_AES_128 || zs.encryption_method == ZIP_EM_AES_192 ||
            zs.encryption_method == ZIP_EM_AES_256)
            aes++;
        else {
            fail(u, FUIN_E_POLICY, "\"%s\": unknown zip encryption method %u",
                 zs.name ? zs.name : "", (unsigned)zs.encryption_method);
            zip_discard(z);
            return FUIN_E_POLICY;
        }
    }
    zip_discard(z);
    if (aes > 0 && aes != files)
        return fail(u, FUIN_E_POLICY,
                    "the zip encrypts only %llu of its %llu files: refused (a mixed zip "
                    "hides which files were protected)",
                    (unsigned long long)aes, (unsigned long long)files);
    if (aes > 0) {
        if (u->zip_cb == NULL)
            return fail(u, FUIN_E_PASSPHRASE, "the zip is encrypted (AES), and no passphrase "
                                              "can be asked for");
        u->zip_aes = 1;
    }
    u->zip_seekable = 1;
    if (lseek(fd, (off_t)sniffed, SEEK_SET) != (off_t)sniffed)
        return fail(u, FUIN_E_IO, "cannot seek: %s", strerror(errno));
    return FUIN_OK;
}

static const char *zip_passphrase(struct archive *a, void *arg)
{
    fuin_unpacker *u = arg;
    size_t len = 0;
    (void)a;
    if (u->zip_pass != NULL)
        return NULL; /* asked once: a wrong one is not asked again */
    if ((u->zip_pass = sodium_malloc(1025)) == NULL)
        return NULL;
    if (u->zip_cb(u->zip_ctx, 0, u->zip_pass, 1024, &len) != 0) {
        sodium_free(u->zip_pass);
        u->zip_pass = sodium_malloc(1);
        if (u->zip_pass != NULL)
            u->zip_pass[0] = '\0';
        return NULL;
    }
    u->zip_pass[len] = '\0';
    return u->zip_pass;
}

/* ---- entry point ------------------------------------------------------------ */
static int header_cb(void *ctx, const fuin_label *label)
{
    fuin_unpacker *u = ctx;
    if (label != NULL) {
        u->res.has_age_label = 1;
        u->res.age_label = *label;
    }
    return 0;
}

static const char AGE_MAGIC[] = "age-encryption.org/v1\n";

static fuin_status unpack_impl(fuin_unpacker *u, int in_fd)
{
    run_ctx c;
    struct archive_entry *ae;
    fuin_status s = FUIN_OK;
    int r;
    size_t k = 0;

    if (u == NULL || in_fd < 0)
        return FUIN_E_INVALID;
    reset_result(u);
    u->err[0] = '\0';
    u->read_err[0] = '\0';
    u->read_status = FUIN_OK;
    u->fd = in_fd;
    u->pending = 0;
    u->eof = 0;
    u->encrypted = 0;
    u->is_zip = 0;
    u->zip_aes = 0;
    u->zip_seekable = 0;
    if (u->zip_pass != NULL) {
        sodium_free(u->zip_pass);
        u->zip_pass = NULL;
    }
    memset(&c, 0, sizeof c);
    c.u = u;
    if (u->pol == NULL) {
        if (u->own_pol == NULL && fuin_policy_default(&u->own_pol) != FUIN_OK)
            return fail(u, FUIN_E_NOMEM, "out of memory");
        u->pol = u->own_pol;
    }
    if (u->inbuf == NULL && (u->inbuf = malloc(READ_BUF)) == NULL)
        return fail(u, FUIN_E_NOMEM, "out of memory");

    /* Sniff: an age file (binary or armored) is decrypted as it streams. */
    while (k < 64) {
        ssize_t n = read(in_fd, u->inbuf + k, 64 - k);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(u, FUIN_E_IO, "cannot read: %s", strerror(errno));
        if (n == 0)
            break;
        k += (size_t)n;
    }
    u->pending = k;
    {
        size_t i = 0;
        while (i < k && (u->inbuf[i] == ' ' || u->inbuf[i] == '\t' || u->inbuf[i] == '\r' ||
                         u->inbuf[i] == '\n'))
            i++;
        if ((k >= sizeof AGE_MAGIC - 1 && memcmp(u->inbuf, AGE_MAGIC, sizeof AGE_MAGIC - 1) == 0) ||
            (k - i >= strlen(FUIN__ARMOR_BEGIN) &&
             memcmp(u->inbuf + i, FUIN__ARMOR_BEGIN, strlen(FUIN__ARMOR_BEGIN)) == 0))
            u->encrypted = 1;
    }
    if (u->encrypted) {
        if (u->dec == NULL)
            return fail(u, FUIN_E_NO_MATCH,
                        "the package is encrypted, and no identity was given");
        if ((s = fuin_decryptor_set_header_cb(u->dec, header_cb, u)) != FUIN_OK ||
            (s = fuin_decrypt_begin(u->dec, plain_sink, u)) != FUIN_OK)
            return fail(u, s, "%s", fuin_decryptor_errmsg(u->dec));
        u->res.encrypted = 1;
    }

    if (!u->encrypted && k >= 4 && memcmp(u->inbuf, "PK\x03\x04", 4) == 0) {
        u->is_zip = 1;
        if ((s = zip_prescan(u, in_fd, k)) != FUIN_OK)
            return s;
    }
    c.a = archive_read_new();
    c.buf = malloc(READ_BUF);
    /* without a second CPU the thread would only cost a copy */
    if (fuin__ncpus() > 1 && hasher_start(&c.hs) != 0)
        hasher_stop(&c.hs);
    c.md = EVP_MD_CTX_new();
    if (c.a == NULL || c.buf == NULL || c.md == NULL) {
        s = fail(u, FUIN_E_NOMEM, "out of memory");
        goto done;
    }
    archive_read_support_format_tar(c.a);
    /* read on past the end-of-archive blocks, so that a member appended
     * after them is seen (and refused) rather than silently ignored */
    (void)archive_read_set_format_option(c.a, "tar", "read_concatenated_archives", "1");
    archive_read_support_format_zip_streamable(c.a);
    if (u->is_zip && u->zip_seekable) {
        archive_read_support_format_zip_seekable(c.a);
        archive_read_set_seek_callback(c.a, archive_seeker);
    }
    archive_read_support_filter_zstd(c.a);
    archive_read_support_filter_gzip(c.a);
    archive_read_support_filter_bzip2(c.a);
    archive_read_support_filter_xz(c.a);
    if (u->zip_aes) {
        u->res.zip_aes = 1;
        archive_read_set_passphrase_callback(c.a, u, zip_passphrase);
    }
    if (archive_read_open(c.a, u, NULL, archive_reader, NULL) != ARCHIVE_OK) {
        s = k == 0 ? fail(u, FUIN_E_HEADER, "empty input: not a package")
                   : u->read_status != FUIN_OK ? archive_failed(&c, "input")
                                               : fail(u, FUIN_E_HEADER,
                                                      "not a package, tar or zip file (%s)",
                                                      archive_error_string(c.a));
        goto done;
    }
    r = archive_read_next_header(c.a, &ae);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        s = r == ARCHIVE_EOF ? fail(u, FUIN_E_HEADER, "an empty archive: not a package")
            : u->read_status != FUIN_OK
                ? archive_failed(&c, "input")
                : fail(u, FUIN_E_HEADER, "not a package, tar or zip file (%s)",
                       archive_error_string(c.a));
        goto done;
    }
    if (u->dest != NULL &&
        (s = fuin__extract_begin(u->dest, &c.x, u->err, sizeof u->err)) != FUIN_OK)
        goto done;
    if (archive_entry_pathname(ae) != NULL &&
        strcmp(archive_entry_pathname(ae), FUIN_MANIFEST_NAME) == 0 &&
        ((archive_format(c.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR ||
         (archive_format(c.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP))
        s = run_package(&c, ae);
    else if (u->foreign)
        s = run_foreign(&c, ae);
    else
        s = fail(u, FUIN_E_HEADER,
                 "not a fuin package (no %s first); to open another tar or zip file "
                 "safely, unpack it with --any",
                 FUIN_MANIFEST_NAME);
    /* the end of the input must be the end of the age file */
    if (s == FUIN_OK && u->encrypted && !u->eof) {
        const void *b;
        la_ssize_t n;
        while ((n = archive_reader(c.a, u, &b)) > 0)
            if (u->res.is_package) {
                s = fail(u, FUIN_E_MISMATCH, "data after the end of the package's tar");
                break;
            }
        if (s == FUIN_OK && n < 0)
            s = archive_failed(&c, "package");
    }
    if (s == FUIN_OK && c.x != NULL)
        s = fuin__extract_commit(c.x, u->err, sizeof u->err);
done:
    if (c.x != NULL)
        fuin__extract_abort(c.x);
    if (c.a != NULL)
        archive_read_free(c.a);
    hasher_stop(&c.hs);
    fuin__strset_clear(&c.v_files);
    fuin__strset_clear(&c.v_dirs);
    fuin__strset_clear(&c.v_links);
    EVP_MD_CTX_free(c.md);
    free(c.buf);
    if (u->pol == u->own_pol)
        u->pol = NULL;
    return s;
}

/* libarchive converts names through the locale's character set: names are
 * UTF-8 whatever the caller's locale, so this thread uses C.UTF-8 while
 * it works (the process's locale is not touched). */
fuin_status fuin_unpack_fd(fuin_unpacker *u, int in_fd)
{
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
    fuin_status s;
    if (utf8 != (locale_t)0)
        old = uselocale(utf8);
    s = unpack_impl(u, in_fd);
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
    return s;
}
