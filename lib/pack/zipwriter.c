/* fuin pack --zip: the same package layout in a WinZip AES-256 (AE-2)
 * zip, written by libzip, for recipients who have only 7-Zip.  The file
 * data is read through a libzip source that hashes it again, so what the
 * signed manifest says is what the zip holds.
 *
 * The files' encryption is done here, not by libzip: libzip 1.7.3 runs
 * WinZip AES one byte and one AES block at a time without AES-NI (about
 * 65 MB/s here, a tenth of 7-Zip; bench/README.md).  The source hands
 * libzip each file already in AE-2 form — salt, password verifier,
 * AES-256-CTR (OpenSSL; little-endian counter from 1) of the file framed
 * as deflate level 0 (zlib: stored blocks, so nothing is compressed, as
 * with 7zz -mx0), HMAC-SHA1-80 — and reports it as deflate + AES-256, so
 * libzip copies it unchanged and writes the headers, the 0x9901 field
 * (AE-2, CRC 0) and the central directory itself.  The key derivation is
 * the format's: PBKDF2-HMAC-SHA1, 1000 iterations, a 16-byte salt per
 * file.  The small metadata members are still encrypted by libzip. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <sodium.h>
#include <zip.h>

#include "pack_internal.h"

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

#define AE_SALT 16
#define AE_PWV 2
#define AE_MAC 10
#define AE_KS (64u * 1024u) /* keystream made per AES call */
#define AE_IN (256u * 1024u) /* file bytes read per read() */

/* PBKDF2 (1000 rounds of HMAC-SHA1 per file: about 1.2 ms each with
 * OpenSSL 3 here, 1.2 s for 1,000 files) runs on a thread of its own,
 * up to AE_RING files ahead of libzip, which writes the files in order.
 * Each result: salt (16) || AES key (32) || HMAC key (32) || verifier (2). */
#define AE_RING 256
#define AE_REC (AE_SALT + 66)
typedef struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *pass;
    size_t nfiles;
    uint8_t *ring;             /* sodium_malloc: AE_RING records */
    size_t done, consumed;     /* file ordinals */
    int stop, failed, started;
} ae_kdf;

static int ae_derive(const char *pass, uint8_t rec[AE_REC])
{
    randombytes_buf(rec, AE_SALT);
    return PKCS5_PBKDF2_HMAC_SHA1(pass, (int)strlen(pass), rec, AE_SALT, 1000, 66,
                                  rec + AE_SALT) == 1
               ? 0
               : -1;
}

static void *ae_kdf_main(void *arg)
{
    ae_kdf *k = arg;
    uint8_t *rec = sodium_malloc(AE_REC);
    for (size_t w = 0; w < k->nfiles; w++) {
        int bad = rec == NULL || ae_derive(k->pass, rec) != 0;
        pthread_mutex_lock(&k->mu);
        while (!k->stop && k->done - k->consumed >= AE_RING)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop || bad) {
            k->failed = bad;
            pthread_cond_broadcast(&k->cv);
            pthread_mutex_unlock(&k->mu);
            break;
        }
        memcpy(k->ring + (w % AE_RING) * AE_REC, rec, AE_REC);
        k->done = w + 1;
        pthread_cond_broadcast(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    if (rec != NULL)
        sodium_free(rec);
    return NULL;
}

static void ae_kdf_start(ae_kdf *k, const char *pass, size_t nfiles)
{
    memset(k, 0, sizeof *k);
    k->pass = pass;
    k->nfiles = nfiles;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (nfiles > 0 && (k->ring = sodium_malloc(AE_RING * AE_REC)) != NULL &&
        pthread_create(&k->th, NULL, ae_kdf_main, k) == 0)
        k->started = 1;
}

static void ae_kdf_stop(ae_kdf *k)
{
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (k->started)
        pthread_join(k->th, NULL);
    if (k->ring != NULL)
        sodium_free(k->ring);
    k->ring = NULL;
    k->started = 0;
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
}

/* File ordinal fi's record: from the thread when it has it (or will soon),
 * else derived here (files opened out of order, or no thread). */
static int ae_kdf_take(ae_kdf *k, size_t fi, uint8_t rec[AE_REC])
{
    int got = 0;
    if (k->started) {
        pthread_mutex_lock(&k->mu);
        while (!k->failed && !k->stop && k->done <= fi && fi < k->consumed + AE_RING &&
               k->done < k->nfiles)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->done > fi && k->done - fi <= AE_RING) {
            memcpy(rec, k->ring + (fi % AE_RING) * AE_REC, AE_REC);
            got = 1;
        }
        if (fi + 1 > k->consumed)
            k->consumed = fi + 1;
        pthread_cond_broadcast(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return got ? 0 : ae_derive(k->pass, rec);
}

typedef struct {
    fuin_packer *p;
    const fuin__pentry *e;
    const char *pass;
    ae_kdf *kdf;
    size_t fi;                 /* this file's ordinal among the files */
    int fd;
    uint64_t got;
    EVP_MD_CTX *md;
    zip_error_t error;
    /* AE-2 state, while open */
    int stage;                 /* 0 header, 1 data, 2 trailer, 3 done */
    size_t hpos;
    uint8_t head[AE_SALT + AE_PWV];
    uint8_t mac[20];
    uint8_t *rec;              /* sodium_malloc: salt 16 || keys, once per file */
    uint8_t *keys;             /* in rec: AES key 32 || HMAC key 32 || verifier 2 */
    EVP_CIPHER_CTX *aes;
    EVP_MAC_CTX *hmac;
    uint64_t ctr;              /* next counter block */
    uint8_t *ks;               /* AE_KS bytes of keystream */
    size_t kpos;               /* used bytes of ks */
    uint8_t *in;               /* AE_IN bytes read from the file */
    z_stream z;
    int zinit, eof;
} file_src;

static void ae_end(file_src *f)
{
    if (f->zinit)
        deflateEnd(&f->z);
    f->zinit = 0;
    EVP_CIPHER_CTX_free(f->aes);
    EVP_MAC_CTX_free(f->hmac);
    f->aes = NULL;
    f->hmac = NULL;
    if (f->ks != NULL) {
        sodium_memzero(f->ks, AE_KS);
        free(f->ks);
    }
    f->ks = NULL;
    free(f->in);
    f->in = NULL;
}

static int ae_begin(file_src *f)
{
    EVP_MAC *m;
    OSSL_PARAM prm[2];
    /* once per file: a second open (libzip does not, but may) reuses them */
    if (f->rec == NULL) {
        if ((f->rec = sodium_malloc(AE_REC)) == NULL)
            return -1;
        if (ae_kdf_take(f->kdf, f->fi, f->rec) != 0) {
            sodium_free(f->rec);
            f->rec = NULL;
            return -1;
        }
        f->keys = f->rec + AE_SALT;
    }
    memcpy(f->head, f->rec, AE_SALT);
    memcpy(f->head + AE_SALT, f->keys + 64, AE_PWV);
    if ((f->aes = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_EncryptInit_ex(f->aes, EVP_aes_256_ecb(), NULL, f->keys, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(f->aes, 0) != 1)
        return -1;
    if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
        return -1;
    f->hmac = EVP_MAC_CTX_new(m);
    EVP_MAC_free(m);
    prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
    prm[1] = OSSL_PARAM_construct_end();
    if (f->hmac == NULL || EVP_MAC_init(f->hmac, f->keys + 32, 32, prm) != 1)
        return -1;
    if ((f->ks = malloc(AE_KS)) == NULL || (f->in = malloc(AE_IN)) == NULL)
        return -1;
    memset(&f->z, 0, sizeof f->z);
    if (deflateInit2(&f->z, 0, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    f->zinit = 1;
    f->ctr = 1;
    f->kpos = AE_KS;
    f->stage = 0;
    f->hpos = 0;
    f->eof = 0;
    return 0;
}

/* XOR the next n bytes of keystream into p. */
static int ae_ctr(file_src *f, uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t take;
        if (f->kpos == AE_KS) {
            int l;
            /* the counter blocks, then encrypt them in place */
            for (size_t b = 0; b < AE_KS / 16; b++) {
                uint64_t c = f->ctr++;
                uint8_t *q = f->ks + b * 16;
                for (int i = 0; i < 8; i++)
                    q[i] = (uint8_t)(c >> (8 * i));
                memset(q + 8, 0, 8);
            }
            if (EVP_EncryptUpdate(f->aes, f->ks, &l, f->ks, (int)AE_KS) != 1 || l != (int)AE_KS)
                return -1;
            f->kpos = 0;
        }
        take = AE_KS - f->kpos < n ? AE_KS - f->kpos : n;
        {
            size_t i = 0;
            /* eight bytes at a time (memcpy: no alignment assumed) */
            for (; i + 8 <= take; i += 8) {
                uint64_t x, k;
                memcpy(&x, p + i, 8);
                memcpy(&k, f->ks + f->kpos + i, 8);
                x ^= k;
                memcpy(p + i, &x, 8);
            }
            for (; i < take; i++)
                p[i] ^= f->ks[f->kpos + i];
        }
        f->kpos += take;
        p += take;
        n -= take;
    }
    return 0;
}

/* Read more of the file into f->in, checking it against the manifest at
 * its end.  Returns bytes read, 0 at the end, -1 on failure. */
static ssize_t file_more(file_src *f)
{
    ssize_t r;
    do
        r = read(f->fd, f->in, AE_IN);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        fuin__set_msg(f->p->err, sizeof f->p->err, "%.600s: cannot read: %s", f->e->src,
                      strerror(errno));
        zip_error_set(&f->error, ZIP_ER_READ, errno);
        return -1;
    }
    f->got += (uint64_t)r;
    EVP_DigestUpdate(f->md, f->in, (size_t)r);
    if (r == 0 || f->got > f->e->pub.size) {
        uint8_t h[32];
        EVP_DigestFinal_ex(f->md, h, NULL);
        if (f->got != f->e->pub.size || memcmp(h, f->e->pub.sha256, 32) != 0) {
            fuin__set_msg(f->p->err, sizeof f->p->err,
                          "%.600s: changed while it was being packed", f->e->src);
            zip_error_set(&f->error, ZIP_ER_CHANGED, 0);
            return -1;
        }
    }
    return r;
}

/* Fill data[0..len) with the AE-2 form of the file. */
static zip_int64_t ae_read(file_src *f, uint8_t *data, size_t len)
{
    size_t out = 0;
    while (out < len && f->stage < 3) {
        if (f->stage == 0) {
            size_t t = sizeof f->head - f->hpos;
            if (t > len - out)
                t = len - out;
            memcpy(data + out, f->head + f->hpos, t);
            f->hpos += t;
            out += t;
            if (f->hpos == sizeof f->head)
                f->stage = 1;
        } else if (f->stage == 1) {
            int zr;
            size_t made;
            if (f->z.avail_in == 0 && !f->eof) {
                ssize_t r = file_more(f);
                if (r < 0)
                    return -1;
                f->eof = r == 0;
                f->z.next_in = f->in;
                f->z.avail_in = (uInt)r;
            }
            f->z.next_out = data + out;
            f->z.avail_out = (uInt)(len - out > (1u << 30) ? (1u << 30) : len - out);
            zr = deflate(&f->z, f->eof ? Z_FINISH : Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
                return -1;
            }
            made = (size_t)(f->z.next_out - (data + out));
            if (made > 0 && (ae_ctr(f, data + out, made) != 0 ||
                             EVP_MAC_update(f->hmac, data + out, made) != 1)) {
                zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
                return -1;
            }
            out += made;
            if (zr == Z_STREAM_END) {
                size_t ml;
                if (EVP_MAC_final(f->hmac, f->mac, &ml, sizeof f->mac) != 1) {
                    zip_error_set(&f->error, ZIP_ER_INTERNAL, 0);
                    return -1;
                }
                f->stage = 2;
                f->hpos = 0;
            }
        } else {
            size_t t = AE_MAC - f->hpos;
            if (t > len - out)
                t = len - out;
            memcpy(data + out, f->mac + f->hpos, t);
            f->hpos += t;
            out += t;
            if (f->hpos == AE_MAC)
                f->stage = 3;
        }
    }
    return (zip_int64_t)out;
}

static zip_int64_t file_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    file_src *f = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
                                              ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        if (len < sizeof *st)
            return -1;
        zip_stat_init(st);
        st->size = f->e->pub.size;
        st->mtime = (time_t)f->e->pub.mtime;
        /* already deflate-framed and encrypted: libzip copies it as is;
         * AE-2 records no CRC (the HMAC authenticates) */
        st->comp_method = ZIP_CM_DEFLATE;
        st->encryption_method = ZIP_EM_AES_256;
        st->crc = 0;
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME | ZIP_STAT_COMP_METHOD |
                     ZIP_STAT_ENCRYPTION_METHOD | ZIP_STAT_CRC;
        return sizeof *st;
    }
    case ZIP_SOURCE_OPEN: {
        struct stat st;
        f->fd = open(f->e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (f->fd < 0) {
            fuin__set_msg(f->p->err, sizeof f->p->err, "%.600s: cannot open: %s", f->e->src,
                          strerror(errno));
            zip_error_set(&f->error, ZIP_ER_OPEN, errno);
            return -1;
        }
        if (fstat(f->fd, &st) != 0 || !fuin__same_file(f->e, &st)) {
            fuin__set_msg(f->p->err, sizeof f->p->err,
                          "%.600s: changed while it was being packed", f->e->src);
            zip_error_set(&f->error, ZIP_ER_CHANGED, 0);
            return -1;
        }
        (void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        f->got = 0;
        EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
        if (ae_begin(f) != 0) {
            ae_end(f);
            fuin__set_msg(f->p->err, sizeof f->p->err, "%.600s: cannot set up AES: out of memory",
                          f->e->src);
            zip_error_set(&f->error, ZIP_ER_MEMORY, 0);
            return -1;
        }
        return 0;
    }
    case ZIP_SOURCE_READ:
        return ae_read(f, data, (size_t)len);
    case ZIP_SOURCE_CLOSE:
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        ae_end(f);
        return 0;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&f->error, data, len);
    case ZIP_SOURCE_FREE:
        if (f->fd >= 0)
            close(f->fd);
        ae_end(f);
        if (f->rec != NULL)
            sodium_free(f->rec);
        EVP_MD_CTX_free(f->md);
        zip_error_fini(&f->error);
        free(f);
        return 0;
    default:
        zip_error_set(&f->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

typedef struct {
    char *text;
    size_t len, cap;
} textbuf;

static int text_line(void *ctx, const char *line, size_t len)
{
    textbuf *t = ctx;
    if (t->len + len + 1 > t->cap) {
        size_t cap = (t->len + len + 1) * 2;
        char *n = realloc(t->text, cap);
        if (n == NULL)
            return -1;
        t->text = n;
        t->cap = cap;
    }
    memcpy(t->text + t->len, line, len);
    t->len += len;
    return 0;
}

static fuin_status zfail(fuin_packer *p, zip_t *za, const char *what)
{
    if (p->err[0] == '\0')
        fuin__set_msg(p->err, sizeof p->err, "%s: %s", what,
                      za ? zip_strerror(za) : "cannot write the zip");
    return strstr(p->err, "changed while") ? FUIN_E_MISMATCH : FUIN_E_IO;
}

/* Add a member from memory (copied by libzip's buffer source only at
 * close: the buffers live until then). */
static zip_int64_t add_text(fuin_packer *p, zip_t *za, const char *name, const char *text,
                            size_t len, int64_t mtime, const char *pass)
{
    zip_source_t *src = zip_source_buffer(za, text, len, 0);
    zip_int64_t i;
    if (src == NULL)
        return -1;
    i = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
    if (i < 0) {
        zip_source_free(src);
        return -1;
    }
    (void)p;
    if (zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_DEFLATE, 0) != 0 ||
        zip_file_set_mtime(za, (zip_uint64_t)i, (time_t)mtime, 0) != 0 ||
        zip_file_set_encryption(za, (zip_uint64_t)i, ZIP_EM_AES_256, pass) != 0 ||
        zip_file_set_external_attributes(za, (zip_uint64_t)i, 0, ZIP_OPSYS_UNIX,
                                         (zip_uint32_t)(0100644) << 16) != 0)
        return -1;
    return i;
}

fuin_status fuin_packer_write_zip(fuin_packer *p, const char *path, const char *pass,
                                  unsigned flags)
{
    char *tmp = NULL, *tmpdir = NULL, *sig = NULL;
    size_t siglen = 0;
    uint64_t man_size, bag_size;
    textbuf man = {0}, bag = {0};
    zip_t *za = NULL;
    int err = 0, done = 0;
    fuin_status s;
    int64_t now = (int64_t)time(NULL);
    char name[FUIN_ENTRY_PATH_MAX + 16];
    ae_kdf kdf;
    size_t nfiles = 0, nfi = 0;

    if (p == NULL || path == NULL || pass == NULL || strlen(pass) < 16)
        return FUIN_E_INVALID;
    if (p->enc != NULL) {
        fuin__set_msg(p->err, sizeof p->err, "a zip is not also age-encrypted");
        return FUIN_E_INVALID;
    }
    if ((s = fuin__packer_prepare(p, now, &man_size, &bag_size, &sig, &siglen)) != FUIN_OK)
        return s;
    for (size_t i = 0; i < p->ents.n; i++)
        nfiles += p->ents.v[i].pub.type == FUIN_ENTRY_FILE;
    ae_kdf_start(&kdf, pass, nfiles);
    if ((s = fuin__each_manifest_line(p, text_line, &man)) != FUIN_OK ||
        (s = fuin__each_bagit_line(p, text_line, &bag)) != FUIN_OK) {
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
        goto out;
    }
    /* libzip writes DIR/.fuin-zip-XXXXXX/z (through its own temporary
     * beside it) in a private 0700 directory, so that nobody else can put
     * another file under that name; it is flushed and moved into place. */
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
    za = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &err);
    if (za == NULL) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        fuin__set_msg(p->err, sizeof p->err, "cannot create the zip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        s = FUIN_E_IO;
        goto out;
    }
    if (add_text(p, za, FUIN_MANIFEST_NAME, man.text, man.len, now, pass) < 0 ||
        (sig != NULL &&
         add_text(p, za, FUIN_MANIFEST_SIG_NAME, sig, siglen, now, pass) < 0) ||
        add_text(p, za, "bagit.txt", FUIN__BAGIT_TXT, strlen(FUIN__BAGIT_TXT), now, pass) < 0 ||
        add_text(p, za, "manifest-sha256.txt", bag.text ? bag.text : "", bag.len, now, pass) <
            0 ||
        zip_dir_add(za, "data", ZIP_FL_ENC_UTF_8) < 0) {
        s = zfail(p, za, "zip");
        goto out;
    }
    for (size_t i = 0; i < p->ents.n; i++) {
        const fuin__pentry *e = &p->ents.v[i];
        zip_int64_t idx;
        snprintf(name, sizeof name, "data/%s", e->path);
        if (e->pub.type == FUIN_ENTRY_DIR) {
            idx = zip_dir_add(za, name, ZIP_FL_ENC_UTF_8);
            if (idx < 0 ||
                zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                                 (zip_uint32_t)(040000 | e->pub.mode) << 16) !=
                    0 ||
                zip_file_set_mtime(za, (zip_uint64_t)idx, (time_t)e->pub.mtime, 0) != 0) {
                s = zfail(p, za, e->src);
                goto out;
            }
            continue;
        }
        file_src *f = calloc(1, sizeof *f);
        zip_source_t *src;
        if (f == NULL || (f->md = EVP_MD_CTX_new()) == NULL) {
            free(f);
            s = FUIN_E_NOMEM;
            goto out;
        }
        f->p = p;
        f->e = e;
        f->pass = pass;
        f->kdf = &kdf;
        f->fi = nfi++;
        f->fd = -1;
        zip_error_init(&f->error);
        src = zip_source_function(za, file_cb, f);
        if (src == NULL) {
            EVP_MD_CTX_free(f->md);
            free(f);
            s = zfail(p, za, e->src);
            goto out;
        }
        idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
        if (idx < 0) {
            zip_source_free(src);
            s = zfail(p, za, e->src);
            goto out;
        }
        /* the method and encryption the source's data already has: no
         * password, so libzip neither recompresses nor re-encrypts it */
        if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 0) != 0 ||
            zip_file_set_mtime(za, (zip_uint64_t)idx, (time_t)e->pub.mtime, 0) != 0 ||
            zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, NULL) != 0 ||
            zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                             (zip_uint32_t)(0100000 | e->pub.mode) << 16) != 0) {
            s = zfail(p, za, e->src);
            goto out;
        }
    }
    if (zip_close(za) != 0) {
        s = zfail(p, za, "zip");
        zip_discard(za);
        za = NULL;
        goto out;
    }
    za = NULL;
    {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            fuin__set_msg(p->err, sizeof p->err, "cannot flush the zip: %s", strerror(errno));
            if (fd >= 0)
                close(fd);
            s = FUIN_E_IO;
            goto out;
        }
        close(fd);
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
        zip_discard(za);
    ae_kdf_stop(&kdf);
    if (!done && tmp != NULL)
        (void)unlink(tmp);
    if (tmpdir != NULL)
        (void)rmdir(tmpdir); /* libzip removed its own temporary on discard */
    free(tmp);
    free(tmpdir);
    free(sig);
    free(man.text);
    free(bag.text);
    return s;
}
