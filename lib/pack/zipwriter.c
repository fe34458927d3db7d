/* fuin pack --zip: the same package layout in a WinZip AES-256 (AE-2)
 * zip, for recipients who have only 7-Zip.  libzip writes the zip (local
 * headers, the 0x9901 field, the central directory, Zip64 where needed);
 * fuin hands it every member already in AE-2 form and reports it as
 * deflate + AES-256 with CRC 0, so libzip copies the bytes as they are.
 *
 * Why not libzip's own AES: libzip 1.7.3 runs WinZip AES one byte and one
 * AES block at a time without AES-NI (about 65 MB/s here, a tenth of
 * 7-Zip; bench/README.md).
 *
 * AE-2, as the WinZip specification has it: per member a 16-byte salt,
 * PBKDF2-HMAC-SHA1 (1000 iterations; nettle, 2.6 times faster than
 * OpenSSL 3's here) giving the AES-256 key, the HMAC key and a 2-byte
 * password verifier; AES-256-CTR with a little-endian counter from 1
 * (OpenSSL's AES-NI ECB over the counter blocks); HMAC-SHA1 over the
 * ciphertext, its first 10 bytes at the end.  What is encrypted is the
 * member framed as deflate stored blocks (RFC 1951 3.2.4: 5 bytes before
 * each 65,535 bytes), as 7zz -mx0 stores without compressing; the framing
 * is written here, so the files are read straight into place.
 *
 * One pass over the files: worker threads (one per CPU) each take the
 * next file, read it, hash it (SHA-256, for the manifest), frame, encrypt
 * and authenticate it into a ring of 1 MiB slots of their own, which the
 * libzip thread copies out in file order.  The manifest, its signature and
 * the BagIt files come first in the zip but are only known at the end:
 * libzip writes zeros of their exact AE-2 size (the manifest's size does
 * not depend on the hashes, which are hex), and once it has closed the
 * zip their real AE-2 form, with a new salt, is written over the zeros.
 * libzip writes through fuin's output source (1 MiB writes instead of its
 * 8 KiB ones), which knows where each member's data begins. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <nettle/hmac.h>
#include <nettle/pbkdf2.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <zip.h>

#include "pack_internal.h"

/* offsets and sizes of members past 2 GiB go through off_t */
_Static_assert(sizeof(off_t) == 8, "fuin needs a 64-bit off_t (_FILE_OFFSET_BITS=64)");

/* 32 symbols without 0 O 1 I: 5 bits each, read aloud without doubt. */
static const char ALPHABET[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fuin_status fuin_zip_passphrase_new(char *buf, size_t cap)
{
    uint8_t r[24];
    size_t k = 0;
    if (buf == NULL || cap < FUIN_ZIP_PASSPHRASE_MAX)
        return FUIN_E_INVALID;
    randombytes_buf(r, sizeof r);
    for (size_t i = 0; i < 24; i++) {
        if (i > 0 && i % 4 == 0)
            buf[k++] = '-';
        buf[k++] = ALPHABET[r[i] & 31];
    }
    buf[k] = '\0';
    sodium_memzero(r, sizeof r);
    return FUIN_OK;
}

/* ---- AE-2 ----------------------------------------------------------------- */
#define AE_SALT 16
#define AE_PWV 2
#define AE_HEAD (AE_SALT + AE_PWV)
#define AE_MAC 10
#define AE_KS (64u * 1024u)          /* keystream made per AES call */
#define BLK 65535u                   /* a stored deflate block's most */
#define SEG_BLOCKS 16u               /* blocks per slot */
#define SLOT_CAP (AE_HEAD + SEG_BLOCKS * (BLK + 5u) + AE_MAC)
#define RING 3                       /* slots per worker */
#define MAX_WORKERS 4

/* The AE-2 size of a member of `plain` bytes. */
static uint64_t ae_size(uint64_t plain)
{
    uint64_t blocks = plain == 0 ? 1 : (plain + BLK - 1) / BLK;
    return AE_HEAD + plain + 5 * blocks + AE_MAC;
}

static void stored_head(uint8_t *h, size_t n, int final)
{
    h[0] = final ? 1 : 0; /* BFINAL, BTYPE 00: stored */
    h[1] = (uint8_t)(n & 0xff);
    h[2] = (uint8_t)(n >> 8);
    h[3] = (uint8_t)(~n & 0xff);
    h[4] = (uint8_t)((~n >> 8) & 0xff);
}

/* One member's encryption state, in sodium_malloc() memory (the keys, the
 * keystream, and the HMAC keyed with the passphrase that PBKDF2 runs on,
 * keyed once per worker: it is the same passphrase for every member). */
typedef struct {
    struct hmac_sha1_ctx pw;  /* keyed with the passphrase, when pw_set */
    int pw_set;
    uint8_t keys[66]; /* AES key 32 || HMAC key 32 || verifier 2 */
    uint8_t ks[AE_KS];
    size_t kpos;
    uint64_t ctr;
    EVP_CIPHER_CTX *aes;
    EVP_MAC_CTX *hmac;
} ae_enc;

static void ae_free(ae_enc *a)
{
    if (a == NULL)
        return;
    EVP_CIPHER_CTX_free(a->aes);
    EVP_MAC_CTX_free(a->hmac);
    sodium_free(a);
}

static ae_enc *ae_new(void)
{
    ae_enc *a = sodium_malloc(sizeof *a);
    EVP_MAC *m;
    if (a == NULL)
        return NULL;
    a->pw_set = 0;
    a->aes = EVP_CIPHER_CTX_new();
    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    a->hmac = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    EVP_MAC_free(m);
    if (a->aes == NULL || a->hmac == NULL) {
        ae_free(a);
        return NULL;
    }
    return a;
}

/* A member's keys from the passphrase and a new salt; head: salt ||
 * verifier, the member's first bytes. */
static int ae_begin(ae_enc *a, const char *pass, uint8_t head[AE_HEAD])
{
    OSSL_PARAM prm[2];
    randombytes_buf(head, AE_SALT);
    if (!a->pw_set) {
        hmac_sha1_set_key(&a->pw, strlen(pass), (const uint8_t *)pass);
        a->pw_set = 1;
    }
    /* nettle's PBKDF2 over the keyed context above (its digest call puts
     * the context back to the keyed state); its U and T blocks are on this
     * stack, wiped after */
    PBKDF2(&a->pw, hmac_sha1_update, hmac_sha1_digest, SHA1_DIGEST_SIZE, 1000, AE_SALT, head,
           sizeof a->keys, a->keys);
    sodium_stackzero(4096);
    memcpy(head + AE_SALT, a->keys + 64, AE_PWV);
    prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
    prm[1] = OSSL_PARAM_construct_end();
    if (EVP_EncryptInit_ex(a->aes, EVP_aes_256_ecb(), NULL, a->keys, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(a->aes, 0) != 1 ||
        EVP_MAC_init(a->hmac, a->keys + 32, 32, prm) != 1)
        return -1;
    a->ctr = 1;
    a->kpos = AE_KS;
    return 0;
}

/* p ^= k, 32 bytes at a time where the CPU has AVX2 (a GCC ifunc picks
 * the build at load time). */
typedef uint8_t v32 __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__) /* TSan's loader cannot take the ifunc */
__attribute__((target_clones("avx2", "default")))
#endif
static void xor_into(uint8_t *restrict p, const uint8_t *restrict k, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        v32 x, y;
        memcpy(&x, p + i, 32);
        memcpy(&y, k + i, 32);
        x ^= y;
        memcpy(p + i, &x, 32);
    }
    for (; i < n; i++)
        p[i] ^= k[i];
}

/* Encrypt p[0..n) in place and authenticate the result.  (Locals, not
 * a->...: p may alias *a as far as the compiler knows.) */
static int ae_crypt(ae_enc *a, uint8_t *p, size_t n)
{
    uint8_t *ks = a->ks;
    size_t kpos = a->kpos;
    uint64_t ctr = a->ctr;
    int ok = 1;
    while (n > 0 && ok) {
        size_t take;
        if (kpos == AE_KS) {
            int l;
            for (size_t b = 0; b < AE_KS; b += 16) {
                uint64_t c = htole64(ctr), z = 0;
                ctr++;
                memcpy(ks + b, &c, 8);
                memcpy(ks + b + 8, &z, 8);
            }
            if (EVP_EncryptUpdate(a->aes, ks, &l, ks, (int)AE_KS) != 1 || l != (int)AE_KS) {
                ok = 0;
                break;
            }
            kpos = 0;
        }
        take = AE_KS - kpos < n ? AE_KS - kpos : n;
        xor_into(p, ks + kpos, take);
        ok = EVP_MAC_update(a->hmac, p, take) == 1;
        kpos += take;
        p += take;
        n -= take;
    }
    a->kpos = kpos;
    a->ctr = ctr;
    return ok ? 0 : -1;
}

static int ae_final(ae_enc *a, uint8_t mac[AE_MAC])
{
    uint8_t full[20];
    size_t ml = 0;
    if (EVP_MAC_final(a->hmac, full, &ml, sizeof full) != 1 || ml != sizeof full)
        return -1;
    memcpy(mac, full, AE_MAC);
    return 0;
}

/* ---- the output: libzip writes through this ------------------------------ */
#define OUT_BUF (64u * 1024u) /* libzip's headers; file data goes around it */
typedef struct {
    int fd;
    uint8_t *buf;
    size_t blen;
    uint64_t boff; /* file offset of buf[0] */
    uint64_t pos;  /* where libzip writes next */
    uint64_t size;
    int werrno;
    zip_error_t error;
} zout;

static int out_pwrite(zout *o, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(o->fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            o->werrno = w < 0 ? errno : EIO;
            zip_error_set(&o->error, ZIP_ER_WRITE, o->werrno);
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int out_flush(zout *o)
{
    int r = o->blen > 0 ? out_pwrite(o, o->buf, o->blen, o->boff) : 0;
    o->blen = 0;
    return r;
}

/* Bytes that do not go through libzip's 8 KiB buffer: written at the
 * current position, after whatever libzip left in the buffer (the local
 * header), in one system call. */
static int out_direct(zout *o, const uint8_t *p, size_t n)
{
    if (o->blen > 0 && o->pos == o->boff + o->blen) {
        struct iovec v[2] = {{o->buf, o->blen}, {(void *)p, n}};
        size_t total = o->blen + n;
        ssize_t w;
        do
            w = pwritev(o->fd, v, 2, (off_t)o->boff);
        while (w < 0 && errno == EINTR);
        if (w < 0) {
            o->werrno = errno;
            zip_error_set(&o->error, ZIP_ER_WRITE, o->werrno);
            return -1;
        }
        if ((size_t)w < total) { /* the rest, plainly */
            size_t done = (size_t)w;
            if (done < o->blen) {
                if (out_pwrite(o, o->buf + done, o->blen - done, o->boff + done) != 0)
                    return -1;
                done = o->blen;
            }
            if (out_pwrite(o, p + (done - o->blen), n - (done - o->blen),
                           o->boff + done) != 0)
                return -1;
        }
        o->blen = 0;
    } else if (out_flush(o) != 0 || out_pwrite(o, p, n, o->pos) != 0)
        return -1;
    o->pos += n;
    if (o->pos > o->size)
        o->size = o->pos;
    return 0;
}

static zip_int64_t out_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    zout *o = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(
            ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL,
            ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_BEGIN_WRITE,
            ZIP_SOURCE_COMMIT_WRITE, ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE,
            ZIP_SOURCE_SEEK_WRITE, ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
    case ZIP_SOURCE_STAT:
        /* a new archive: libzip takes ENOENT to mean "create it" */
        zip_error_set(&o->error, ZIP_ER_READ, ENOENT);
        return -1;
    case ZIP_SOURCE_BEGIN_WRITE:
        o->pos = o->size = o->boff = 0;
        o->blen = 0;
        return 0;
    case ZIP_SOURCE_WRITE: {
        const uint8_t *p = data;
        if (o->blen > 0 && o->pos != o->boff + o->blen && out_flush(o) != 0)
            return -1;
        if (o->blen == 0)
            o->boff = o->pos;
        if (len >= OUT_BUF) {
            if (out_pwrite(o, p, (size_t)len, o->pos) != 0)
                return -1;
        } else {
            if (o->blen + len > OUT_BUF && out_flush(o) != 0)
                return -1;
            if (o->blen == 0)
                o->boff = o->pos;
            memcpy(o->buf + o->blen, p, (size_t)len);
            o->blen += (size_t)len;
        }
        o->pos += len;
        if (o->pos > o->size)
            o->size = o->pos;
        return (zip_int64_t)len;
    }
    case ZIP_SOURCE_SEEK_WRITE: {
        zip_int64_t off = zip_source_seek_compute_offset(o->pos, o->size, data, len, &o->error);
        if (off < 0)
            return -1;
        o->pos = (uint64_t)off;
        return 0;
    }
    case ZIP_SOURCE_TELL_WRITE:
        return (zip_int64_t)o->pos;
    case ZIP_SOURCE_COMMIT_WRITE:
        return out_flush(o) == 0 ? 0 : -1;
    case ZIP_SOURCE_ROLLBACK_WRITE:
    case ZIP_SOURCE_REMOVE:
        o->blen = 0;
        return 0;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&o->error, data, len);
    case ZIP_SOURCE_FREE:
        return 0; /* the writer owns it */
    default:
        zip_error_set(&o->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* ---- the files: workers and their rings ----------------------------------- */
typedef struct {
    size_t fi;       /* file ordinal */
    size_t len;
    int last;
    uint8_t *buf;    /* SLOT_CAP bytes */
} slot;

struct zjob;
typedef struct {
    struct zjob *j;
    int id;
    pthread_t th;
    slot ring[RING];
    size_t head, tail; /* filled, consumed */
    ae_enc *ae;
    EVP_MD_CTX *md;
} worker;

typedef struct zjob {
    pthread_mutex_t mu;
    pthread_cond_t ready, space;
    fuin_packer *p;
    const char *pass;
    size_t *files;   /* entry index of each file ordinal */
    int8_t *owner;   /* the worker of each file ordinal, or -1 */
    size_t nfiles, next;
    int stop, failed;
    fuin_status status;
    char err[FUIN__PACK_ERR];
    worker w[MAX_WORKERS];
    int nw, started;
} zjob;

static void job_fail(zjob *j, fuin_status s, const char *src, const char *why)
{
    pthread_mutex_lock(&j->mu);
    if (!j->failed) {
        j->failed = 1;
        j->status = s;
        if (src != NULL)
            fuin__set_msg(j->err, sizeof j->err, "%.600s: %s", src, why);
        else
            fuin__set_msg(j->err, sizeof j->err, "%s", why);
    }
    j->stop = 1;
    pthread_cond_broadcast(&j->ready);
    pthread_cond_broadcast(&j->space);
    pthread_mutex_unlock(&j->mu);
}

/* Read exactly n bytes unless the file ends: bytes read, or -1. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* One file into the worker's ring, slot by slot. */
static int work_file(worker *w, size_t fi)
{
    zjob *j = w->j;
    fuin__pentry *e = &j->p->ents.v[j->files[fi]];
    uint64_t left = e->pub.size;
    struct stat st;
    int first = 1, fd;

    fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        job_fail(j, FUIN_E_IO, e->src,
                 errno == ENOENT ? "vanished while it was being packed" : strerror(errno));
        return -1;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (fstat(fd, &st) != 0 || !fuin__same_file(e, &st)) {
        close(fd);
        job_fail(j, FUIN_E_MISMATCH, e->src, "changed while it was being packed");
        return -1;
    }
    if (EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
        close(fd);
        job_fail(j, FUIN_E_NOMEM, e->src, "cannot set up SHA-256");
        return -1;
    }
    for (;;) {
        slot *sl;
        size_t pos = 0, enc_from = 0;
        int last = 0, stop;
        pthread_mutex_lock(&j->mu);
        while (!j->stop && w->head - w->tail >= RING)
            pthread_cond_wait(&j->space, &j->mu);
        stop = j->stop; /* read under the lock */
        pthread_mutex_unlock(&j->mu);
        if (stop)
            goto fail;
        sl = &w->ring[w->head % RING];
        if (first) {
            if (ae_begin(w->ae, j->pass, sl->buf) != 0) {
                job_fail(j, FUIN_E_NOMEM, e->src, "cannot set up AES");
                goto fail;
            }
            pos = enc_from = AE_HEAD;
        }
        for (unsigned b = 0; b < SEG_BLOCKS && !last; b++) {
            size_t take = left < BLK ? (size_t)left : BLK;
            ssize_t r;
            last = take == left;
            stored_head(sl->buf + pos, take, last);
            r = read_full(fd, sl->buf + pos + 5, take);
            if (r < 0) {
                job_fail(j, FUIN_E_IO, e->src, strerror(errno));
                goto fail;
            }
            if ((size_t)r != take) {
                job_fail(j, FUIN_E_MISMATCH, e->src, "changed while it was being packed");
                goto fail;
            }
            if (EVP_DigestUpdate(w->md, sl->buf + pos + 5, take) != 1) {
                job_fail(j, FUIN_E_NOMEM, e->src, "cannot hash");
                goto fail;
            }
            pos += 5 + take;
            left -= take;
            /* block by block, while it is in the cache */
            if (ae_crypt(w->ae, sl->buf + enc_from, pos - enc_from) != 0) {
                job_fail(j, FUIN_E_NOMEM, e->src, "cannot encrypt");
                goto fail;
            }
            enc_from = pos;
        }
        if (last) {
            uint8_t one;
            ssize_t more = read_full(fd, &one, 1);
            if (more < 0) {
                job_fail(j, FUIN_E_IO, e->src, strerror(errno));
                goto fail;
            }
            /* nothing more, and the same file as when it was found */
            if (more != 0 || fstat(fd, &st) != 0 || !fuin__same_file(e, &st)) {
                job_fail(j, FUIN_E_MISMATCH, e->src, "changed while it was being packed");
                goto fail;
            }
            if (ae_final(w->ae, sl->buf + pos) != 0) {
                job_fail(j, FUIN_E_NOMEM, e->src, "cannot encrypt");
                goto fail;
            }
            pos += AE_MAC;
            if (EVP_DigestFinal_ex(w->md, e->pub.sha256, NULL) != 1) {
                job_fail(j, FUIN_E_NOMEM, e->src, "cannot hash");
                goto fail;
            }
        }
        sl->fi = fi;
        sl->len = pos;
        sl->last = last;
        pthread_mutex_lock(&j->mu);
        w->head++;
        pthread_cond_broadcast(&j->ready);
        pthread_mutex_unlock(&j->mu);
        first = 0;
        if (last)
            break;
    }
    close(fd);
    return 0;
fail:
    close(fd);
    return -1;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    zjob *j = w->j;
    for (;;) {
        size_t fi;
        pthread_mutex_lock(&j->mu);
        if (j->stop || j->next >= j->nfiles) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        fi = j->next++;
        j->owner[fi] = (int8_t)w->id;
        pthread_cond_broadcast(&j->ready);
        pthread_mutex_unlock(&j->mu);
        if (work_file(w, fi) != 0)
            break;
    }
    return NULL;
}

static void job_stop(zjob *j)
{
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_broadcast(&j->ready);
    pthread_cond_broadcast(&j->space);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->started; i++)
        pthread_join(j->w[i].th, NULL);
    j->started = 0;
}

static void job_free(zjob *j)
{
    job_stop(j);
    for (int i = 0; i < j->nw; i++) {
        worker *w = &j->w[i];
        for (int k = 0; k < RING; k++)
            free(w->ring[k].buf);
        ae_free(w->ae);
        EVP_MD_CTX_free(w->md);
    }
    free(j->files);
    free(j->owner);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->ready);
    pthread_cond_destroy(&j->space);
}

static fuin_status job_init(zjob *j, fuin_packer *p, const char *pass)
{
    int n = fuin__ncpus();
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->ready, NULL);
    pthread_cond_init(&j->space, NULL);
    j->p = p;
    j->pass = pass;
    for (size_t i = 0; i < p->ents.n; i++)
        j->nfiles += p->ents.v[i].pub.type == FUIN_ENTRY_FILE;
    if (j->nfiles == 0)
        return FUIN_OK;
    j->files = malloc(j->nfiles * sizeof *j->files);
    j->owner = malloc(j->nfiles);
    if (j->files == NULL || j->owner == NULL)
        return FUIN_E_NOMEM;
    for (size_t i = 0, k = 0; i < p->ents.n; i++)
        if (p->ents.v[i].pub.type == FUIN_ENTRY_FILE)
            j->files[k++] = i;
    memset(j->owner, -1, j->nfiles);
    if (n < 1)
        n = 1;
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    if ((size_t)n > j->nfiles)
        n = (int)j->nfiles;
    for (int i = 0; i < n; i++) {
        worker *w = &j->w[i];
        w->j = j;
        w->id = i;
        j->nw = i + 1;
        if ((w->ae = ae_new()) == NULL || (w->md = EVP_MD_CTX_new()) == NULL)
            return FUIN_E_NOMEM;
        for (int k = 0; k < RING; k++)
            if ((w->ring[k].buf = malloc(SLOT_CAP)) == NULL)
                return FUIN_E_NOMEM;
    }
    for (int i = 0; i < j->nw; i++) {
        if (pthread_create(&j->w[i].th, NULL, worker_main, &j->w[i]) != 0)
            return j->started > 0 ? FUIN_OK : FUIN_E_NOMEM;
        j->started++;
    }
    return FUIN_OK;
}

/* The libzip source of the files: one source for all of them (a source
 * and its state per file cost libzip 176 bytes more per entry, 17 MiB for
 * 100,000 files).  libzip 1.7.3 writes the entries in order, and for each
 * asks stat, open, read to the end, close, then stat again (zip_close.c,
 * add_data): the source follows that, and refuses anything else.
 *
 * The data does not pass through libzip's buffer: at the first read the
 * source writes the file's slots to the output itself, where libzip would
 * have, and then says the data has ended.  libzip takes the member's
 * compressed size from the output's position before and after, so the
 * headers it rewrites afterwards are right; the tests read every zip back
 * with 7-Zip, bsdtar and libzip. */
enum { FS_BEFORE, FS_OPEN, FS_CLOSED };
typedef struct {
    zjob *j;
    zout *out;
    size_t fi;  /* the file libzip is at */
    int state;
    int done;   /* its data was written */
    zip_error_t error;
} files_src;

static zip_int64_t file_read(files_src *f)
{
    zjob *j = f->j;
    while (!f->done) {
        worker *w;
        slot *sl;
        int bad;
        pthread_mutex_lock(&j->mu);
        while (!j->failed && (j->owner[f->fi] < 0 ||
                              j->w[j->owner[f->fi]].tail == j->w[j->owner[f->fi]].head))
            pthread_cond_wait(&j->ready, &j->mu);
        if (j->failed) {
            pthread_mutex_unlock(&j->mu);
            zip_error_set(&f->error, ZIP_ER_READ, 0);
            return -1;
        }
        w = &j->w[j->owner[f->fi]];
        sl = &w->ring[w->tail % RING];
        pthread_mutex_unlock(&j->mu);
        if (sl->fi != f->fi) { /* cannot be: a worker's files come in order */
            zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
            return -1;
        }
        bad = out_direct(f->out, sl->buf, sl->len) != 0;
        f->done = sl->last;
        pthread_mutex_lock(&j->mu);
        w->tail++;
        pthread_cond_broadcast(&j->space);
        pthread_mutex_unlock(&j->mu);
        if (bad) {
            zip_error_set(&f->error, ZIP_ER_WRITE, f->out->werrno);
            return -1;
        }
    }
    return 0;
}

/* stat: already deflate-framed and encrypted, so libzip copies it as it
 * is; AE-2 records no CRC (the HMAC authenticates). */
static zip_int64_t ae_stat(void *data, zip_uint64_t len, uint64_t size, int64_t mtime)
{
    zip_stat_t *st = data;
    if (len < sizeof *st)
        return -1;
    zip_stat_init(st);
    st->size = size;
    st->mtime = (time_t)mtime;
    st->comp_method = ZIP_CM_DEFLATE;
    st->encryption_method = ZIP_EM_AES_256;
    st->crc = 0;
    st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME | ZIP_STAT_COMP_METHOD |
                 ZIP_STAT_ENCRYPTION_METHOD | ZIP_STAT_CRC;
    return sizeof *st;
}

static zip_int64_t file_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    files_src *f = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                              ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT: {
        const fuin__pentry *e;
        if (f->fi >= f->j->nfiles || f->state == FS_OPEN) {
            zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
            return -1;
        }
        e = &f->j->p->ents.v[f->j->files[f->fi]];
        if (f->state == FS_CLOSED) { /* its last stat: then the next file */
            if (!f->done) {
                zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
                return -1;
            }
            f->fi++;
            f->state = FS_BEFORE;
            f->done = 0;
        }
        return ae_stat(data, len, e->pub.size, e->pub.mtime);
    }
    case ZIP_SOURCE_OPEN:
        if (f->state != FS_BEFORE || f->fi >= f->j->nfiles) { /* each file once */
            zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
            return -1;
        }
        f->state = FS_OPEN;
        return 0;
    case ZIP_SOURCE_READ:
        if (f->state != FS_OPEN) {
            zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
            return -1;
        }
        return file_read(f);
    case ZIP_SOURCE_CLOSE:
        f->state = FS_CLOSED;
        return 0;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&f->error, data, len);
    case ZIP_SOURCE_FREE:
        return 0; /* the writer owns it */
    default:
        zip_error_set(&f->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* ---- the members known at the end ------------------------------------------
 * In the zip: zeros of their AE-2 size.  The writer remembers where. */
typedef struct {
    const char *name;
    uint64_t plain;
    int64_t mtime;
    zout *out;
    uint64_t off;  /* of its data in the zip */
    uint64_t left; /* zeros still to give */
    int opened;
    zip_error_t error;
} late_src;

static zip_int64_t late_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    late_src *m = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                              ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT:
        return ae_stat(data, len, m->plain, m->mtime);
    case ZIP_SOURCE_OPEN:
        /* libzip opens a member's source just before it writes its data */
        m->off = m->out->pos;
        m->left = ae_size(m->plain);
        m->opened++;
        return 0;
    case ZIP_SOURCE_READ: {
        size_t t = m->left < len ? (size_t)m->left : (size_t)len;
        memset(data, 0, t);
        m->left -= t;
        return (zip_int64_t)t;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&m->error, data, len);
    case ZIP_SOURCE_FREE:
        return 0; /* the writer owns it */
    default:
        zip_error_set(&m->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* The real AE-2 form of a late member, written over its zeros. */
typedef struct {
    zout *out;
    ae_enc *ae;
    uint8_t *blk; /* 5 + BLK */
    size_t fill;
    uint64_t off, end, left;
    fuin_signer *sg; /* fed too (the manifest) */
    int failed;
} late_writer;

static int late_block(late_writer *lw)
{
    int final = lw->left == lw->fill;
    stored_head(lw->blk, lw->fill, final);
    if (ae_crypt(lw->ae, lw->blk, 5 + lw->fill) != 0 ||
        out_pwrite(lw->out, lw->blk, 5 + lw->fill, lw->off) != 0)
        return -1;
    lw->off += 5 + lw->fill;
    lw->left -= lw->fill;
    lw->fill = 0;
    return 0;
}

static int late_line(void *ctx, const char *line, size_t len)
{
    late_writer *lw = ctx;
    if (lw->sg != NULL && fuin_sign_update(lw->sg, (const uint8_t *)line, len) != FUIN_OK)
        return -1;
    while (len > 0) {
        size_t t = BLK - lw->fill < len ? BLK - lw->fill : len;
        if (lw->fill + t > lw->left) /* longer than measured */
            return -1;
        memcpy(lw->blk + 5 + lw->fill, line, t);
        lw->fill += t;
        line += t;
        len -= t;
        if (lw->fill == BLK && late_block(lw) != 0)
            return -1;
    }
    return 0;
}

static int late_begin(late_writer *lw, zout *out, ae_enc *ae, uint8_t *blk, const late_src *m,
                      const char *pass)
{
    uint8_t head[AE_HEAD];
    memset(lw, 0, sizeof *lw);
    lw->out = out;
    lw->ae = ae;
    lw->blk = blk;
    lw->off = m->off;
    lw->end = m->off + ae_size(m->plain);
    lw->left = m->plain;
    if (m->opened != 1 || ae_begin(ae, pass, head) != 0 ||
        out_pwrite(out, head, AE_HEAD, lw->off) != 0)
        return -1;
    lw->off += AE_HEAD;
    return 0;
}

/* The last block (an empty one for an empty member) and the MAC; the
 * member must have come out at its measured size. */
static int late_end(late_writer *lw, int wrote_any_block)
{
    uint8_t mac[AE_MAC];
    if (lw->left != lw->fill)
        return -1;
    if ((lw->fill > 0 || !wrote_any_block) && late_block(lw) != 0)
        return -1;
    if (ae_final(lw->ae, mac) != 0 || lw->off + AE_MAC != lw->end ||
        out_pwrite(lw->out, mac, AE_MAC, lw->off) != 0)
        return -1;
    return 0;
}

/* Write one late member: `each` feeds it (via late_line). */
static fuin_status late_write(fuin_packer *p, zout *out, ae_enc *ae, uint8_t *blk,
                              const late_src *m, const char *pass, fuin_signer *sg,
                              fuin_status (*each)(fuin_packer *, fuin__line_fn, void *),
                              const char *text, size_t tlen)
{
    late_writer lw;
    fuin_status s = FUIN_OK;
    if (late_begin(&lw, out, ae, blk, m, pass) != 0)
        goto bad;
    lw.sg = sg;
    if (each != NULL)
        s = each(p, late_line, &lw);
    else if (late_line(&lw, text, tlen) != 0)
        s = FUIN_E_IO;
    if (s != FUIN_OK || late_end(&lw, m->plain > 0) != 0)
        goto bad;
    return FUIN_OK;
bad:
    if (out->werrno != 0)
        fuin__set_msg(p->err, sizeof p->err, "%s: cannot write the zip: %s", m->name,
                      strerror(out->werrno));
    else
        fuin__set_msg(p->err, sizeof p->err,
                      "%s: internal error: it did not come out at its measured size", m->name);
    return FUIN_E_IO;
}

static fuin_status zfail(fuin_packer *p, zip_t *za, zjob *j, const zout *o, const char *what)
{
    int failed;
    fuin_status s;
    pthread_mutex_lock(&j->mu);
    failed = j->failed;
    s = j->status;
    if (failed)
        fuin__set_msg(p->err, sizeof p->err, "%s", j->err);
    pthread_mutex_unlock(&j->mu);
    if (failed)
        return s;
    if (o->werrno != 0) {
        fuin__set_msg(p->err, sizeof p->err, "cannot write the zip: %s", strerror(o->werrno));
        return FUIN_E_IO;
    }
    if (p->err[0] == '\0')
        fuin__set_msg(p->err, sizeof p->err, "%s: %s", what,
                      za ? zip_strerror(za) : "cannot write the zip");
    return FUIN_E_IO;
}

static int set_attrs(zip_t *za, zip_int64_t i, int64_t mtime, unsigned mode)
{
    return zip_file_set_mtime(za, (zip_uint64_t)i, (time_t)mtime, 0) != 0 ||
           zip_file_set_external_attributes(za, (zip_uint64_t)i, 0, ZIP_OPSYS_UNIX,
                                            (zip_uint32_t)mode << 16) != 0;
}

/* Add a member whose source already gives AE-2 data: libzip is told the
 * method and encryption it has, and no passphrase, so that it neither
 * recompresses nor re-encrypts it. */
static zip_int64_t add_ae(zip_t *za, const char *name, zip_source_t *src, int64_t mtime,
                          unsigned mode)
{
    zip_int64_t i;
    if (src == NULL)
        return -1;
    i = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
    if (i < 0) {
        zip_source_free(src);
        return -1;
    }
    if (zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_DEFLATE, 0) != 0 ||
        zip_file_set_encryption(za, (zip_uint64_t)i, ZIP_EM_AES_256, NULL) != 0 ||
        set_attrs(za, i, mtime, mode) != 0)
        return -1;
    return i;
}

enum { L_MANIFEST, L_SIG, L_BAGIT, L_BAGMAN, L_N };

fuin_status fuin_packer_write_zip(fuin_packer *p, const char *path, const char *pass,
                                  unsigned flags)
{
    char *tmp = NULL, *tmpdir = NULL, *sig2 = NULL;
    size_t siglen = 0, siglen2 = 0;
    uint64_t man_size = 0, bag_size = 0;
    zip_t *za = NULL;
    zip_source_t *osrc = NULL;
    zip_error_t zerr;
    zout out;
    zjob job;
    late_src late[L_N];
    ae_enc *ae = NULL;
    uint8_t *blk = NULL;
    fuin_signer *sg = NULL;
    int done = 0, have_job = 0;
    fuin_status s;
    int64_t now = (int64_t)time(NULL);
    char name[FUIN_ENTRY_PATH_MAX + 16];
    files_src fs;
    zip_source_t *fsrc = NULL;

    memset(&out, 0, sizeof out);
    memset(&fs, 0, sizeof fs);
    zip_error_init(&fs.error);
    out.fd = -1;
    zip_error_init(&out.error);
    zip_error_init(&zerr);
    memset(late, 0, sizeof late);
    if (p == NULL || path == NULL || pass == NULL || strlen(pass) < 16)
        return FUIN_E_INVALID;
    if (p->enc != NULL) {
        fuin__set_msg(p->err, sizeof p->err, "a zip is not also age-encrypted");
        return FUIN_E_INVALID;
    }
    fuin__packer_seal(p);
    /* sizes now (the hashes come with the data); the signature's size
     * from a signature of the manifest as it is now */
    if ((s = fuin__packer_measure(p, now, &man_size, &bag_size, NULL, &siglen)) != FUIN_OK)
        return s;
    late[L_MANIFEST] = (late_src){FUIN_MANIFEST_NAME, man_size, now, &out, 0, 0, 0, {0}};
    late[L_SIG] = (late_src){FUIN_MANIFEST_SIG_NAME, siglen, now, &out, 0, 0, 0, {0}};
    late[L_BAGIT] =
        (late_src){"bagit.txt", strlen(FUIN__BAGIT_TXT), now, &out, 0, 0, 0, {0}};
    late[L_BAGMAN] = (late_src){"manifest-sha256.txt", bag_size, now, &out, 0, 0, 0, {0}};
    for (int i = 0; i < L_N; i++)
        zip_error_init(&late[i].error);

    /* The zip is written as DIR/.fuin-zip-XXXXXX/z, in a private 0700
     * directory so that nobody else can put another file under that name;
     * it is flushed and moved into place. */
    {
        const char *slash = strrchr(path, '/');
        size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
        if ((tmpdir = malloc(dl + 32)) == NULL || (tmp = malloc(dl + 40)) == NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
        memcpy(tmpdir, path, dl);
        memcpy(tmpdir + dl, ".fuin-zip-XXXXXX", sizeof ".fuin-zip-XXXXXX");
        if (mkdtemp(tmpdir) == NULL) {
            fuin__set_msg(p->err, sizeof p->err, "cannot create a directory beside it: %s",
                          strerror(errno));
            free(tmpdir);
            tmpdir = NULL;
            s = FUIN_E_IO;
            goto out;
        }
        snprintf(tmp, dl + 40, "%s/z", tmpdir);
    }
    if (!(flags & FUIN_F_FORCE) && access(path, F_OK) == 0) {
        fuin__set_msg(p->err, sizeof p->err, "file exists");
        s = FUIN_E_EXISTS;
        goto out;
    }
    out.fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (out.fd < 0 || (out.buf = malloc(OUT_BUF)) == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "cannot create the zip: %s", strerror(errno));
        s = FUIN_E_IO;
        goto out;
    }
    if ((osrc = zip_source_function_create(out_cb, &out, &zerr)) == NULL ||
        (za = zip_open_from_source(osrc, ZIP_CREATE | ZIP_EXCL, &zerr)) == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "cannot create the zip: %s",
                      zip_error_strerror(&zerr));
        s = FUIN_E_IO;
        goto out;
    }
    osrc = NULL; /* the archive's now */
    if ((ae = ae_new()) == NULL || (blk = malloc(5 + BLK)) == NULL) {
        s = FUIN_E_NOMEM;
        goto out;
    }
    have_job = 1;
    if ((s = job_init(&job, p, pass)) != FUIN_OK) {
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
        goto out;
    }
    for (int i = 0; i < L_N; i++) {
        if (i == L_SIG && siglen == 0)
            continue;
        if (add_ae(za, late[i].name, zip_source_function(za, late_cb, &late[i]), now,
                   0100644) < 0) {
            s = zfail(p, za, &job, &out, late[i].name);
            goto out;
        }
    }
    fs.j = &job;
    fs.out = &out;
    if (job.nfiles > 0 && (fsrc = zip_source_function_create(file_cb, &fs, &zerr)) == NULL) {
        s = FUIN_E_NOMEM;
        goto out;
    }
    if (zip_dir_add(za, "data", ZIP_FL_ENC_UTF_8) < 0) {
        s = zfail(p, za, &job, &out, "zip");
        goto out;
    }
    for (size_t i = 0; i < p->ents.n; i++) {
        const fuin__pentry *e = &p->ents.v[i];
        snprintf(name, sizeof name, "data/%s", e->path);
        if (e->pub.type == FUIN_ENTRY_DIR) {
            zip_int64_t idx = zip_dir_add(za, name, ZIP_FL_ENC_UTF_8);
            if (idx < 0 || set_attrs(za, idx, e->pub.mtime, 040000 | e->pub.mode) != 0) {
                s = zfail(p, za, &job, &out, e->src);
                goto out;
            }
            continue;
        }
        zip_source_keep(fsrc);
        if (add_ae(za, name, fsrc, e->pub.mtime, 0100000 | e->pub.mode) < 0) {
            s = zfail(p, za, &job, &out, e->src);
            goto out;
        }
    }
    if (zip_close(za) != 0) {
        s = zfail(p, za, &job, &out, "zip");
        goto out;
    }
    za = NULL;
    job_stop(&job);
    if (job.failed) { /* cannot be: libzip read every file to its end */
        s = zfail(p, NULL, &job, &out, "zip");
        goto out;
    }

    /* The hashes are known: the late members over their zeros. */
    if (p->have_signer && (sg = fuin_signer_new(p->sk)) == NULL) {
        s = FUIN_E_NOMEM;
        goto out;
    }
    if ((s = late_write(p, &out, ae, blk, &late[L_MANIFEST], pass, sg, fuin__each_manifest_line,
                        NULL, 0)) != FUIN_OK)
        goto out;
    if (sg != NULL) {
        if ((s = fuin__packer_sign_final(p, sg, now, &sig2, &siglen2)) != FUIN_OK)
            goto out;
        if (siglen2 != siglen) {
            fuin__set_msg(p->err, sizeof p->err, "internal error: the signature changed its size");
            s = FUIN_E_IO;
            goto out;
        }
        if ((s = late_write(p, &out, ae, blk, &late[L_SIG], pass, NULL, NULL, sig2, siglen2)) !=
            FUIN_OK)
            goto out;
    }
    if ((s = late_write(p, &out, ae, blk, &late[L_BAGIT], pass, NULL, NULL, FUIN__BAGIT_TXT,
                        strlen(FUIN__BAGIT_TXT))) != FUIN_OK ||
        (s = late_write(p, &out, ae, blk, &late[L_BAGMAN], pass, NULL, fuin__each_bagit_line,
                        NULL, 0)) != FUIN_OK)
        goto out;
    if (fsync(out.fd) != 0) {
        fuin__set_msg(p->err, sizeof p->err, "cannot flush the zip: %s", strerror(errno));
        s = FUIN_E_IO;
        goto out;
    }
    if ((flags & FUIN_F_FORCE) ? rename(tmp, path) != 0
                               : renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
        s = errno == EEXIST ? FUIN_E_EXISTS : FUIN_E_IO;
        fuin__set_msg(p->err, sizeof p->err, "%s", s == FUIN_E_EXISTS ? "file exists"
                                                                      : strerror(errno));
        goto out;
    }
    done = 1;
    {
        /* the directory entry too */
        char *d = strdup(path), *slash = d ? strrchr(d, '/') : NULL;
        int dfd;
        if (slash != NULL)
            *(slash == d ? slash + 1 : slash) = '\0';
        dfd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(d);
    }
    s = FUIN_OK;
out:
    if (za != NULL)
        zip_discard(za); /* stops at the sources: the workers are told below */
    if (osrc != NULL)
        zip_source_free(osrc);
    if (fsrc != NULL)
        zip_source_free(fsrc); /* the writer's reference (the entries' are gone) */
    if (have_job)
        job_free(&job);
    fuin_signer_free(sg);
    ae_free(ae);
    free(blk);
    if (out.fd >= 0)
        close(out.fd);
    free(out.buf);
    zip_error_fini(&out.error);
    zip_error_fini(&fs.error);
    zip_error_fini(&zerr);
    for (int i = 0; i < L_N; i++)
        zip_error_fini(&late[i].error);
    if (!done && tmp != NULL)
        (void)unlink(tmp);
    if (tmpdir != NULL)
        (void)rmdir(tmpdir);
    free(tmp);
    free(tmpdir);
    if (sig2 != NULL)
        sodium_memzero(sig2, siglen2);
    free(sig2);
    return s;
}
