/* fuin pack --zip: the same package layout in a WinZip AES-256 (AE-2)
 * zip, written by libzip, for recipients who have only 7-Zip.  The file
 * data is stored (not compressed, as 7zz -mx0) and read through a libzip
 * source that hashes it again, so what the signed manifest says is what
 * the zip holds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
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

typedef struct {
    fuin_packer *p;
    const fuin__pentry *e;
    int fd;
    uint64_t got;
    EVP_MD_CTX *md;
    zip_error_t error;
} file_src;

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
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
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
        return 0;
    }
    case ZIP_SOURCE_READ: {
        ssize_t r;
        do
            r = read(f->fd, data, len);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            fuin__set_msg(f->p->err, sizeof f->p->err, "%.600s: cannot read: %s", f->e->src,
                          strerror(errno));
            zip_error_set(&f->error, ZIP_ER_READ, errno);
            return -1;
        }
        f->got += (uint64_t)r;
        EVP_DigestUpdate(f->md, data, (size_t)r);
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
    case ZIP_SOURCE_CLOSE:
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        return 0;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&f->error, data, len);
    case ZIP_SOURCE_FREE:
        if (f->fd >= 0)
            close(f->fd);
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

    if (p == NULL || path == NULL || pass == NULL || strlen(pass) < 16)
        return FUIN_E_INVALID;
    if (p->enc != NULL) {
        fuin__set_msg(p->err, sizeof p->err, "a zip is not also age-encrypted");
        return FUIN_E_INVALID;
    }
    if ((s = fuin__packer_prepare(p, now, &man_size, &bag_size, &sig, &siglen)) != FUIN_OK)
        return s;
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
        if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0 ||
            zip_file_set_mtime(za, (zip_uint64_t)idx, (time_t)e->pub.mtime, 0) != 0 ||
            zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, pass) != 0 ||
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
