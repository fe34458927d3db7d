/* fuin pack: files and directories into one package.  libarchive writes
 * the pax tar, libzstd compresses it (--zstd), OpenSSL's libcrypto hashes
 * (SHA-256 with the CPU's SHA extensions), fuin's own encryptor and
 * signer seal it. */
#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <zstd.h>

#include "pack_internal.h"
#include "label/label_internal.h"

#define PACK_BUF (1u << 20)



fuin_packer *fuin_packer_new(void)
{
    fuin_packer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    snprintf(p->info.tool, sizeof p->info.tool, "fuin %s", FUIN_VERSION_STRING);
    p->info.class_label = (fuin_label){1, 1, 1, 0};
    return p;
}

void fuin_packer_free(fuin_packer *p)
{
    if (p == NULL)
        return;
    fuin__pentries_clear(&p->ents);
    fuin__strset_clear(&p->keys);
    fuin_seckey_free(p->sk);
    fuin_sigmeta_clear(&p->meta);
    free(p);
}

const char *fuin_packer_errmsg(const fuin_packer *p)
{
    return p == NULL ? "invalid handle" : p->err[0] ? p->err : "no error";
}

size_t fuin_packer_count(const fuin_packer *p)
{
    return p ? p->ents.n : 0;
}

const fuin_pack_entry *fuin_packer_entry(const fuin_packer *p, size_t i)
{
    return p != NULL && i < p->ents.n ? &p->ents.v[i].pub : NULL;
}

void fuin_packer_min_class(const fuin_packer *p, fuin_label *out)
{
    *out = (fuin_label){1, 1, 1, 0};
    for (size_t i = 0; p != NULL && i < p->ents.n; i++) {
        const fuin_label *l = &p->ents.v[i].pub.label;
        if (!p->ents.v[i].pub.has_label)
            continue;
        if (l->confidentiality > out->confidentiality)
            out->confidentiality = l->confidentiality;
        if (l->integrity > out->integrity)
            out->integrity = l->integrity;
        if (l->availability > out->availability)
            out->availability = l->availability;
        out->restrictions |= l->restrictions;
    }
}

fuin_status fuin_packer_set_class(fuin_packer *p, const fuin_label *l)
{
    if (p == NULL || l == NULL)
        return FUIN_E_INVALID;
    for (size_t i = 0; i < p->ents.n; i++) {
        const fuin_pack_entry *e = &p->ents.v[i].pub;
        if (e->has_label && !fuin__label_within(&e->label, l)) {
            char a[256], b[256];
            fuin_label_format(&e->label, a, sizeof a);
            fuin_label_format(l, b, sizeof b);
            fuin__set_msg(p->err, sizeof p->err,
                          "%.300s is labelled %s, above the package class %s: a "
                          "package takes the highest class of anything inside",
                          p->ents.v[i].src, a, b);
            return FUIN_E_POLICY;
        }
    }
    p->info.class_label = *l;
    p->have_class = 1;
    return FUIN_OK;
}

static fuin_status set_text(fuin_packer *p, char *dst, size_t cap, const char *s)
{
    if (p == NULL || s == NULL || strlen(s) >= cap)
        return FUIN_E_INVALID;
    memcpy(dst, s, strlen(s) + 1);
    return FUIN_OK;
}

fuin_status fuin_packer_set_creator(fuin_packer *p, const char *name)
{
    return p ? set_text(p, p->info.creator, sizeof p->info.creator, name) : FUIN_E_INVALID;
}

fuin_status fuin_packer_set_approval(fuin_packer *p, const char *id)
{
    return p ? set_text(p, p->info.approval, sizeof p->info.approval, id) : FUIN_E_INVALID;
}

fuin_status fuin_packer_set_zstd(fuin_packer *p, int level)
{
    if (p == NULL || level < 0 || level > 9)
        return FUIN_E_INVALID;
    p->zstd = level;
    return FUIN_OK;
}

fuin_status fuin_packer_set_encryptor(fuin_packer *p, fuin_encryptor *e)
{
    if (p == NULL)
        return FUIN_E_INVALID;
    p->enc = e;
    return FUIN_OK;
}

fuin_status fuin_packer_add_recipient_note(fuin_packer *p, const char *recipient)
{
    if (p == NULL || recipient == NULL || fuin_recipient_check(recipient) != FUIN_OK ||
        strlen(recipient) >= FUIN_RECIPIENT_MAX)
        return FUIN_E_INVALID;
    if (p->info.n_recipients == FUIN_MANIFEST_MAX_RECIPIENTS)
        return FUIN_E_LIMIT;
    for (size_t i = 0; i < p->info.n_recipients; i++)
        if (strcmp(p->info.recipients[i], recipient) == 0)
            return FUIN_OK;
    memcpy(p->info.recipients[p->info.n_recipients++], recipient, strlen(recipient) + 1);
    return FUIN_OK;
}

fuin_status fuin_packer_set_signer(fuin_packer *p, const fuin_seckey *sk,
                                   const fuin_sigmeta *meta)
{
    char *text = NULL;
    size_t len = 0;
    fuin_status s;
    if (p == NULL || sk == NULL || meta == NULL)
        return FUIN_E_INVALID;
    /* Copy the key through its own file format (no passphrase, in secure
     * memory) so the caller may free theirs. */
    s = fuin_seckey_format(sk, NULL, 0, 0, 0, &text, &len);
    if (s != FUIN_OK)
        return s;
    fuin_seckey_free(p->sk);
    p->sk = NULL;
    s = fuin_seckey_parse(text, len, NULL, 0, &p->sk, NULL, 0);
    fuin_secret_free(text);
    if (s != FUIN_OK)
        return s;
    fuin_sigmeta_clear(&p->meta);
    memset(&p->meta, 0, sizeof p->meta);
    memcpy(p->meta.signer, meta->signer, sizeof p->meta.signer);
    memcpy(p->meta.keyid, meta->keyid, sizeof p->meta.keyid);
    if (meta->cert_bundle != NULL) {
        const char *c, *sig;
        size_t cl, sl;
        if ((s = fuin_sigmeta_cert(meta, &c, &cl, &sig, &sl)) != FUIN_OK ||
            (s = fuin_sigmeta_set_cert(&p->meta, c, cl, sig, sl)) != FUIN_OK)
            return s;
    }
    p->have_signer = 1;
    return FUIN_OK;
}

/* ---- scanning ----------------------------------------------------------- */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static fuin_status add_one(fuin_packer *p, const char *src, const char *rel, int depth);

static fuin_status add_dir(fuin_packer *p, const char *src, const char *rel, int depth)
{
    DIR *d = opendir(src);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    fuin_status s = FUIN_OK;
    if (d == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: cannot open the directory: %s", src,
                      strerror(errno));
        return FUIN_E_IO;
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *v);
            if (v == NULL) {
                s = FUIN_E_NOMEM;
                break;
            }
            names = v;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            s = FUIN_E_NOMEM;
            break;
        }
        n++;
    }
    if (s == FUIN_OK && errno != 0) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: cannot read the directory: %s", src,
                      strerror(errno));
        s = FUIN_E_IO;
    }
    closedir(d);
    if (s == FUIN_OK && n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; s == FUIN_OK && i < n; i++) {
        size_t sl = strlen(src), rl = strlen(rel), nl = strlen(names[i]);
        char *csrc = malloc(sl + nl + 2), *crel = malloc(rl + nl + 2);
        if (csrc == NULL || crel == NULL)
            s = FUIN_E_NOMEM;
        else {
            sprintf(csrc, "%s%s%s", src, sl && src[sl - 1] == '/' ? "" : "/", names[i]);
            sprintf(crel, "%s/%s", rel, names[i]);
            s = add_one(p, csrc, crel, depth + 1);
        }
        free(csrc);
        free(crel);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (s == FUIN_E_NOMEM)
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
    return s;
}

static fuin_status add_one(fuin_packer *p, const char *src, const char *rel, int depth)
{
    struct stat st;
    fuin__pentry *e;
    char why[200];
    if (depth > 256) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: directories nested too deep", src);
        return FUIN_E_LIMIT;
    }
    if (lstat(src, &st) != 0) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: %s", src, strerror(errno));
        return FUIN_E_IO;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        fuin__set_msg(p->err, sizeof p->err,
                      "%.600s: a %s is not packed (only regular files and directories%s)",
                      src,
                      S_ISLNK(st.st_mode)    ? "symbolic link"
                      : S_ISFIFO(st.st_mode) ? "FIFO"
                      : S_ISSOCK(st.st_mode) ? "socket"
                                             : "device node",
                      S_ISLNK(st.st_mode) ? "; name the file it points to" : "");
        return FUIN_E_UNSAFE;
    }
    if (fuin_entry_name_check(rel, strlen(rel), why, sizeof why) != FUIN_OK) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: cannot be packed as \"%.300s\": %s",
                      src, rel, why);
        return FUIN_E_UNSAFE;
    }
    {
        char *key = fuin_entry_collision_key(rel, strlen(rel));
        int r = fuin__strset_add(&p->keys, key);
        if (r < 0) {
            fuin__set_msg(p->err, sizeof p->err, "out of memory");
            return FUIN_E_NOMEM;
        }
        if (r == 0) {
            fuin__set_msg(p->err, sizeof p->err,
                          "%.600s: \"%.300s\" is packed twice, or collides with another "
                          "name that differs only in case or Unicode normalisation",
                          src, rel);
            return FUIN_E_UNSAFE;
        }
    }
    if ((e = fuin__pentries_push(&p->ents)) == NULL || (e->src = strdup(src)) == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
        return FUIN_E_NOMEM;
    }
    {
        /* the name in the package is usually the end of the name on disk:
         * then one string for both */
        size_t sl = strlen(src), rl = strlen(rel);
        if (rl <= sl && strcmp(src + (sl - rl), rel) == 0 && (rl == sl || src[sl - rl - 1] == '/')) {
            e->path = e->src + (sl - rl);
            e->path_in_src = 1;
        } else if ((e->path = strdup(rel)) == NULL) {
            fuin__set_msg(p->err, sizeof p->err, "out of memory");
            return FUIN_E_NOMEM;
        }
    }
    e->pub.path = e->path;
    e->pub.type = S_ISDIR(st.st_mode) ? FUIN_ENTRY_DIR : FUIN_ENTRY_FILE;
    e->pub.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    e->pub.mode = st.st_mode & 0777u;
    e->pub.mtime = (int64_t)st.st_mtim.tv_sec;
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    e->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;

    /* The label: every place the file shows one (xattrs, name, document
     * properties, age header), which must agree. */
    {
        fuin_file_labels *fl = fuin__file_labels_new();
        char err[FUIN_ERRMSG_MAX], msg[400];
        fuin_status ls;
        if (fl == NULL) {
            fuin__set_msg(p->err, sizeof p->err, "out of memory");
            return FUIN_E_NOMEM;
        }
        ls = fuin__file_labels_read_at(src, -1, &st, p->policy, FUIN_LABEL_READ_DOCS, fl, err,
                                       sizeof err);
        if (ls == FUIN_OK)
            ls = fuin_file_labels_result(fl, &e->pub.label, &e->pub.has_label, msg, sizeof msg);
        else
            snprintf(msg, sizeof msg, "%s", err);
        fuin_file_labels_free(fl);
        if (ls != FUIN_OK) {
            fuin__set_msg(p->err, sizeof p->err, "%.600s: its label: %s", src, msg);
            return ls == FUIN_E_LABEL_CONFLICT ? FUIN_E_LABEL : ls;
        }
    }
    if (S_ISDIR(st.st_mode))
        return add_dir(p, src, rel, depth);
    return FUIN_OK;
}

void fuin_packer_set_policy(fuin_packer *p, const fuin_policy *policy)
{
    if (p != NULL)
        p->policy = policy;
}

void fuin__packer_seal(fuin_packer *p)
{
    p->sealed = 1;
    fuin__strset_clear(&p->keys);
}

fuin_status fuin_packer_add_path(fuin_packer *p, const char *path)
{
    char *copy, *base, *real = NULL;
    size_t n;
    fuin_status s;
    if (p == NULL || path == NULL || path[0] == '\0')
        return FUIN_E_INVALID;
    if (p->sealed) {
        fuin__set_msg(p->err, sizeof p->err, "the package was already written");
        return FUIN_E_STATE;
    }
    p->hashed = 0;
    copy = strdup(path);
    if (copy == NULL)
        return FUIN_E_NOMEM;
    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(copy, "/") == 0) {
        /* "." packs as the directory's own name */
        real = realpath(copy, NULL);
        if (real == NULL || strcmp(real, "/") == 0) {
            fuin__set_msg(p->err, sizeof p->err, "%.600s: %s", path,
                          real ? "the root directory cannot be packed" : strerror(errno));
            free(real);
            free(copy);
            return real ? FUIN_E_INVALID : FUIN_E_IO;
        }
        base = strrchr(real, '/') + 1;
    }
    s = add_one(p, copy, base, 0);
    free(real);
    free(copy);
    return s;
}

/* ---- hashing (every CPU) ------------------------------------------------ */
typedef struct {
    fuin_packer *p;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t mu;
    fuin_status status;
} hash_job;

int fuin__same_file(const fuin__pentry *e, const struct stat *st)
{
    return (uint64_t)st->st_dev == e->dev && (uint64_t)st->st_ino == e->ino &&
           (uint64_t)st->st_size == e->pub.size &&
           (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec == e->mtime_ns &&
           (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec == e->ctime_ns;
}

static void hash_fail(hash_job *j, fuin_status s, const char *what, const char *why)
{
    pthread_mutex_lock(&j->mu);
    if (!atomic_load(&j->failed)) {
        if (what != NULL)
            fuin__set_msg(j->p->err, sizeof j->p->err, "%.600s: %s", what, why);
        else
            fuin__set_msg(j->p->err, sizeof j->p->err, "%s", why);
        j->status = s;
        atomic_store(&j->failed, 1);
    }
    pthread_mutex_unlock(&j->mu);
}

static void *hash_worker(void *arg)
{
    hash_job *j = arg;
    uint8_t *buf = malloc(PACK_BUF);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (buf == NULL || md == NULL) {
        hash_fail(j, FUIN_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    while (!atomic_load(&j->failed)) {
        size_t i = atomic_fetch_add(&j->next, 1);
        fuin__pentry *e;
        struct stat st;
        uint64_t total = 0;
        int fd;
        if (i >= j->p->ents.n)
            break;
        e = &j->p->ents.v[i];
        if (e->pub.type != FUIN_ENTRY_FILE)
            continue;
        fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            hash_fail(j, FUIN_E_IO, e->src, errno == ENOENT ? "vanished while it was being packed" : strerror(errno));
            break;
        }
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        if (fstat(fd, &st) != 0 || !fuin__same_file(e, &st)) {
            close(fd);
            hash_fail(j, FUIN_E_MISMATCH, e->src, "changed while it was being packed");
            break;
        }
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        for (;;) {
            ssize_t r = read(fd, buf, PACK_BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                hash_fail(j, FUIN_E_IO, e->src, strerror(errno));
                break;
            }
            if (r == 0)
                break;
            total += (uint64_t)r;
            EVP_DigestUpdate(md, buf, (size_t)r);
        }
        close(fd);
        if (atomic_load(&j->failed))
            break;
        if (total != e->pub.size) {
            hash_fail(j, FUIN_E_MISMATCH, e->src, "changed while it was being packed");
            break;
        }
        EVP_DigestFinal_ex(md, e->pub.sha256, NULL);
    }
out:
    EVP_MD_CTX_free(md);
    free(buf);
    return NULL;
}

fuin_status fuin__packer_hash_all(fuin_packer *p)
{
    hash_job j;
    if (p->hashed)
        return FUIN_OK;
    int n = fuin__ncpus();
    pthread_t th[16];
    int started = 0;
    if (n > 16)
        n = 16;
    if (n < 1)
        n = 1;
    memset(&j, 0, sizeof j);
    j.p = p;
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    pthread_mutex_init(&j.mu, NULL);
    j.status = FUIN_OK;
    for (int i = 1; i < n; i++)
        if (pthread_create(&th[started], NULL, hash_worker, &j) == 0)
            started++;
    hash_worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.mu);
    return j.status;
}

fuin_status fuin_packer_object(fuin_packer *p, char *obj, size_t cap)
{
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    char hex[65];
    fuin_status s;
    if (p == NULL || obj == NULL || cap < 7 + 65)
        return FUIN_E_INVALID;
    obj[0] = '\0';
    if (p->sealed)
        return FUIN_E_STATE;
    if ((s = fuin__packer_hash_all(p)) != FUIN_OK)
        return s;
    p->hashed = 1;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < p->ents.n; i++) {
        const fuin_pack_entry *e = &p->ents.v[i].pub;
        if (e->type != FUIN_ENTRY_FILE)
            continue;
        sodium_bin2hex(hex, sizeof hex, e->sha256, sizeof e->sha256);
        crypto_hash_sha256_update(&st, (const uint8_t *)hex, 64);
        crypto_hash_sha256_update(&st, (const uint8_t *)"  ", 2);
        crypto_hash_sha256_update(&st, (const uint8_t *)e->path, strlen(e->path));
        crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
    }
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(obj, cap, "sha256:%s", hex);
    return FUIN_OK;
}

/* ---- writing ------------------------------------------------------------ */
typedef struct {
    fuin_packer *p;
    fuin_write_fn out;
    void *ctx;
    fuin_status status;
    ZSTD_CCtx *zc;   /* --zstd: the tar goes through it */
    uint8_t *zbuf;
    size_t zcap;
} sink;

static int sink_emit(sink *k, const void *buf, size_t len)
{
    if (k->p->enc != NULL) {
        fuin_status s = fuin_encrypt_update(k->p->enc, buf, len);
        if (s != FUIN_OK) {
            k->status = s;
            return -1;
        }
    } else if (k->out(k->ctx, buf, len) != 0) {
        k->status = FUIN_E_IO;
        return -1;
    }
    return 0;
}

/* The tar through zstd: until the input is taken (or, at the end, the
 * frame is complete). */
static int sink_zstd(sink *k, const void *buf, size_t len, ZSTD_EndDirective end)
{
    ZSTD_inBuffer in = {buf, len, 0};
    for (;;) {
        ZSTD_outBuffer o = {k->zbuf, k->zcap, 0};
        size_t r = ZSTD_compressStream2(k->zc, &o, &in, end);
        if (ZSTD_isError(r)) {
            fuin__set_msg(k->p->err, sizeof k->p->err, "zstd: %s", ZSTD_getErrorName(r));
            k->status = FUIN_E_NOMEM;
            return -1;
        }
        if (o.pos > 0 && sink_emit(k, k->zbuf, o.pos) != 0)
            return -1;
        if (end == ZSTD_e_continue ? in.pos == in.size : r == 0)
            return 0;
    }
}

static la_ssize_t sink_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    sink *k = arg;
    (void)a;
    if ((k->zc != NULL ? sink_zstd(k, buf, len, ZSTD_e_continue) : sink_emit(k, buf, len)) != 0)
        return -1;
    return (la_ssize_t)len;
}

/* zstd on every CPU in jobs of 1 MiB: libarchive 3.6's zstd filter can
 * only ask for threads, and libzstd's default jobs (8 MiB at level 3,
 * held several times over) took 121 MiB; these keep the pack near 40. */
#define ZSTD_JOB (1u << 20)
static fuin_status sink_zstd_begin(sink *k, int level)
{
    size_t r;
    int n = fuin__ncpus();
    if ((k->zc = ZSTD_createCCtx()) == NULL ||
        (k->zbuf = malloc(k->zcap = ZSTD_CStreamOutSize())) == NULL)
        return FUIN_E_NOMEM;
    r = ZSTD_CCtx_setParameter(k->zc, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(k->zc, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r)) {
        fuin__set_msg(k->p->err, sizeof k->p->err, "zstd: %s", ZSTD_getErrorName(r));
        return FUIN_E_INVALID;
    }
    /* a libzstd built without threads says so here: then one thread */
    if (n > 1 && !ZSTD_isError(ZSTD_CCtx_setParameter(k->zc, ZSTD_c_nbWorkers, n > 4 ? 4 : n)))
        (void)ZSTD_CCtx_setParameter(k->zc, ZSTD_c_jobSize, (int)ZSTD_JOB);
    return FUIN_OK;
}

/* The manifest (and manifest-sha256.txt) are generated twice, once to
 * learn their size and signature, once to write them, so that no copy of
 * a large manifest is held. */

fuin_status fuin__each_manifest_line(fuin_packer *p, fuin__line_fn fn, void *ctx)
{
    size_t len;
    char *line = fuin__manifest_info_line(&p->info, &len);
    if (line == NULL)
        return FUIN_E_NOMEM;
    if (fn(ctx, line, len) != 0) {
        free(line);
        return FUIN_E_IO;
    }
    free(line);
    for (size_t i = 0; i < p->ents.n; i++) {
        line = fuin__manifest_entry_line(&p->ents.v[i].pub, &len);
        if (line == NULL)
            return FUIN_E_NOMEM;
        if (fn(ctx, line, len) != 0) {
            free(line);
            return FUIN_E_IO;
        }
        free(line);
    }
    return FUIN_OK;
}

fuin_status fuin__each_bagit_line(fuin_packer *p, fuin__line_fn fn, void *ctx)
{
    for (size_t i = 0; i < p->ents.n; i++) {
        size_t len;
        char *line;
        if (p->ents.v[i].pub.type != FUIN_ENTRY_FILE)
            continue;
        if ((line = fuin__bagit_line(&p->ents.v[i].pub, &len)) == NULL)
            return FUIN_E_NOMEM;
        if (fn(ctx, line, len) != 0) {
            free(line);
            return FUIN_E_IO;
        }
        free(line);
    }
    return FUIN_OK;
}

typedef struct {
    uint64_t size;
    fuin_signer *sg;
} measure_ctx;

static int measure_line(void *ctx, const char *line, size_t len)
{
    measure_ctx *m = ctx;
    m->size += len;
    return m->sg != NULL && fuin_sign_update(m->sg, (const uint8_t *)line, len) != FUIN_OK;
}

static void set_sigmeta(fuin_packer *p, int64_t now)
{
    p->meta.has_label = 1;
    p->meta.label = p->info.class_label;
    p->meta.time = now;
    snprintf(p->meta.file, sizeof p->meta.file, "%s", FUIN_MANIFEST_NAME);
}

fuin_status fuin__packer_sign_final(fuin_packer *p, fuin_signer *sg, int64_t now, char **sig,
                                    size_t *siglen)
{
    char *trusted = NULL;
    fuin_status s;
    set_sigmeta(p, now);
    if ((s = fuin_sigmeta_format(&p->meta, &trusted)) != FUIN_OK ||
        (s = fuin_sign_final(sg, NULL, trusted, sig, siglen)) != FUIN_OK)
        fuin__set_msg(p->err, sizeof p->err, "cannot sign the manifest: %s", fuin_strerror(s));
    free(trusted);
    return s;
}

fuin_status fuin__packer_measure(fuin_packer *p, int64_t now, uint64_t *man_size,
                                 uint64_t *bag_size, char **sig, size_t *siglen)
{
    measure_ctx man = {0}, bag = {0};
    fuin_signer *sg = NULL;
    fuin_status s;
    if (sig != NULL)
        *sig = NULL;
    *siglen = 0;
    p->err[0] = '\0';
    if (p->ents.n == 0) {
        fuin__set_msg(p->err, sizeof p->err, "nothing to pack");
        return FUIN_E_INVALID;
    }
    p->info.created = now;
    p->info.entries = p->ents.n;
    p->info.bytes = 0;
    for (size_t i = 0; i < p->ents.n; i++)
        p->info.bytes += p->ents.v[i].pub.size;
    if (sig != NULL && p->have_signer && (sg = fuin_signer_new(p->sk)) == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
        return FUIN_E_NOMEM;
    }
    man.sg = sg;
    if ((s = fuin__each_manifest_line(p, measure_line, &man)) != FUIN_OK ||
        (s = fuin__each_bagit_line(p, measure_line, &bag)) != FUIN_OK) {
        fuin__set_msg(p->err, sizeof p->err, "cannot build the manifest: %s",
                      fuin_strerror(s));
        fuin_signer_free(sg);
        return s;
    }
    if (sg != NULL) {
        s = fuin__packer_sign_final(p, sg, now, sig, siglen);
    } else if (sig == NULL && p->have_signer) {
        char *trusted = NULL;
        set_sigmeta(p, now);
        if ((s = fuin_sigmeta_format(&p->meta, &trusted)) != FUIN_OK)
            fuin__set_msg(p->err, sizeof p->err, "cannot sign the manifest: %s",
                          fuin_strerror(s));
        else
            *siglen = fuin__minisig_text_len(NULL, trusted);
        free(trusted);
    }
    fuin_signer_free(sg);
    *man_size = man.size;
    *bag_size = bag.size;
    return s;
}

fuin_status fuin__packer_prepare(fuin_packer *p, int64_t now, uint64_t *man_size,
                                 uint64_t *bag_size, char **sig, size_t *siglen)
{
    fuin_status s;
    *sig = NULL;
    *siglen = 0;
    p->err[0] = '\0';
    if (p->ents.n == 0) {
        fuin__set_msg(p->err, sizeof p->err, "nothing to pack");
        return FUIN_E_INVALID;
    }
    /* The manifest's size and signature, before anything is written. */
    if ((s = fuin__packer_hash_all(p)) != FUIN_OK)
        return s;
    return fuin__packer_measure(p, now, man_size, bag_size, sig, siglen);
}

static int archive_line(void *ctx, const char *line, size_t len)
{
    return archive_write_data(ctx, line, len) != (la_ssize_t)len;
}

static fuin_status archive_fail(fuin_packer *p, struct archive *a, const sink *k,
                                const char *what)
{
    if (k->status != FUIN_OK) {
        if (p->enc != NULL && k->status != FUIN_E_IO)
            fuin__set_msg(p->err, sizeof p->err, "%s", fuin_encryptor_errmsg(p->enc));
        else if (p->err[0] == '\0')
            fuin__set_msg(p->err, sizeof p->err, "cannot write the package");
        return k->status;
    }
    fuin__set_msg(p->err, sizeof p->err, "%s: %s", what, archive_error_string(a));
    return FUIN_E_IO;
}

static fuin_status write_member(fuin_packer *p, struct archive *a, const sink *k,
                                struct archive_entry *ae, const char *name, int64_t mtime,
                                mode_t type, unsigned mode, uint64_t size)
{
    archive_entry_clear(ae);
    archive_entry_set_pathname_utf8(ae, name);
    archive_entry_set_filetype(ae, type);
    archive_entry_set_perm(ae, mode);
    archive_entry_set_mtime(ae, mtime, 0);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    if (type == AE_IFREG)
        archive_entry_set_size(ae, (la_int64_t)size);
    if (archive_write_header(a, ae) != ARCHIVE_OK)
        return archive_fail(p, a, k, name);
    return FUIN_OK;
}

static fuin_status write_text_member(fuin_packer *p, struct archive *a, const sink *k,
                                     struct archive_entry *ae, const char *name,
                                     int64_t mtime, const char *text, size_t len)
{
    fuin_status s = write_member(p, a, k, ae, name, mtime, AE_IFREG, 0644, len);
    if (s == FUIN_OK && archive_write_data(a, text, len) != (la_ssize_t)len)
        s = archive_fail(p, a, k, name);
    return s;
}

static fuin_status write_file_data(fuin_packer *p, struct archive *a, const sink *k,
                                   const fuin__pentry *e, uint8_t *buf)
{
    struct stat st;
    uint64_t total = 0;
    int fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fuin__set_msg(p->err, sizeof p->err, "%.600s: cannot open: %s", e->src,
                      strerror(errno));
        return FUIN_E_IO;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (;;) {
        ssize_t r = read(fd, buf, PACK_BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fuin__set_msg(p->err, sizeof p->err, "%.600s: cannot read: %s", e->src,
                          strerror(errno));
            close(fd);
            return FUIN_E_IO;
        }
        if (r == 0)
            break;
        if (total + (uint64_t)r > e->pub.size)
            break;
        total += (uint64_t)r;
        if (archive_write_data(a, buf, (size_t)r) != r) {
            close(fd);
            return archive_fail(p, a, k, e->src);
        }
    }
    /* Same file, same size, untouched since it was hashed: what the
     * manifest says is what was written. */
    if (fstat(fd, &st) != 0 || !fuin__same_file(e, &st) || total != e->pub.size) {
        close(fd);
        fuin__set_msg(p->err, sizeof p->err, "%.600s: changed while it was being packed",
                      e->src);
        return FUIN_E_MISMATCH;
    }
    close(fd);
    return FUIN_OK;
}

static fuin_status write_impl(fuin_packer *p, fuin_write_fn out, void *ctx)
{
    struct archive *a = NULL;
    struct archive_entry *ae = NULL;
    char *sig = NULL;
    size_t siglen = 0;
    uint8_t *buf = NULL;
    measure_ctx man = {0}, bag = {0};
    sink k = {p, out, ctx, FUIN_OK, NULL, NULL, 0};
    fuin_status s;
    int64_t now = (int64_t)time(NULL);
    char namebuf[FUIN_ENTRY_PATH_MAX + 16];

    if (p == NULL || (out == NULL && (p == NULL || p->enc == NULL)))
        return FUIN_E_INVALID;
    fuin__packer_seal(p);
    if ((s = fuin__packer_prepare(p, now, &man.size, &bag.size, &sig, &siglen)) != FUIN_OK)
        return s;

    if (p->enc != NULL) {
        fuin_encryptor_set_label(p->enc, &p->info.class_label);
        if ((s = fuin_encrypt_begin(p->enc, out, ctx)) != FUIN_OK) {
            fuin__set_msg(p->err, sizeof p->err, "%s", fuin_encryptor_errmsg(p->enc));
            goto done;
        }
    }
    a = archive_write_new();
    ae = archive_entry_new();
    buf = malloc(PACK_BUF);
    if (a == NULL || ae == NULL || buf == NULL) {
        fuin__set_msg(p->err, sizeof p->err, "out of memory");
        s = FUIN_E_NOMEM;
        goto done;
    }
    archive_write_set_format_pax_restricted(a);
    /* GNU tar knows SCHILY.xattr.*; LIBARCHIVE.xattr.* would make it warn */
    (void)archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
    archive_write_set_bytes_per_block(a, 65536);
    archive_write_set_bytes_in_last_block(a, 1);
    if (p->zstd > 0 && (s = sink_zstd_begin(&k, p->zstd)) != FUIN_OK) {
        if (p->err[0] == '\0')
            fuin__set_msg(p->err, sizeof p->err, "out of memory");
        goto done;
    }
    if (archive_write_open2(a, &k, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
        s = archive_fail(p, a, &k, "package");
        goto done;
    }
    s = write_member(p, a, &k, ae, FUIN_MANIFEST_NAME, now, AE_IFREG, 0644, man.size);
    if (s == FUIN_OK && (s = fuin__each_manifest_line(p, archive_line, a)) != FUIN_OK)
        s = archive_fail(p, a, &k, FUIN_MANIFEST_NAME);
    if (s == FUIN_OK && sig != NULL)
        s = write_text_member(p, a, &k, ae, FUIN_MANIFEST_SIG_NAME, now, sig, siglen);
    if (s == FUIN_OK)
        s = write_text_member(p, a, &k, ae, "bagit.txt", now, FUIN__BAGIT_TXT,
                              strlen(FUIN__BAGIT_TXT));
    if (s == FUIN_OK)
        s = write_member(p, a, &k, ae, "manifest-sha256.txt", now, AE_IFREG, 0644, bag.size);
    if (s == FUIN_OK && (s = fuin__each_bagit_line(p, archive_line, a)) != FUIN_OK)
        s = archive_fail(p, a, &k, "manifest-sha256.txt");
    if (s == FUIN_OK)
        s = write_member(p, a, &k, ae, "data/", now, AE_IFDIR, 0755, 0);
    for (size_t i = 0; s == FUIN_OK && i < p->ents.n; i++) {
        const fuin__pentry *e = &p->ents.v[i];
        int dir = e->pub.type == FUIN_ENTRY_DIR;
        snprintf(namebuf, sizeof namebuf, "data/%s%s", e->path, dir ? "/" : "");
        archive_entry_clear(ae);
        archive_entry_set_pathname_utf8(ae, namebuf);
        archive_entry_set_filetype(ae, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(ae, e->pub.mode);
        archive_entry_set_mtime(ae, e->pub.mtime, 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        if (!dir)
            archive_entry_set_size(ae, (la_int64_t)e->pub.size);
        if (e->pub.has_label) {
            char l[256];
            size_t n = fuin_label_format(&e->pub.label, l, sizeof l);
            archive_entry_xattr_add_entry(ae, FUIN_LABEL_XATTR, l, n);
        }
        if (archive_write_header(a, ae) != ARCHIVE_OK)
            s = archive_fail(p, a, &k, e->src);
        else if (!dir)
            s = write_file_data(p, a, &k, e, buf);
    }
    if (s == FUIN_OK && archive_write_close(a) != ARCHIVE_OK)
        s = archive_fail(p, a, &k, "package");
    if (s == FUIN_OK && k.zc != NULL && sink_zstd(&k, NULL, 0, ZSTD_e_end) != 0)
        s = k.status;
    if (s == FUIN_OK && p->enc != NULL && (s = fuin_encrypt_final(p->enc)) != FUIN_OK)
        fuin__set_msg(p->err, sizeof p->err, "%s", fuin_encryptor_errmsg(p->enc));
done:
    if (a != NULL)
        archive_write_free(a);
    archive_entry_free(ae);
    ZSTD_freeCCtx(k.zc);
    free(k.zbuf);
    free(sig);
    free(buf);
    return s;
}

/* libarchive converts names through the locale's character set: names are
 * UTF-8 whatever the caller's locale, so this thread uses C.UTF-8 while
 * it works (the process's locale is not touched). */
fuin_status fuin_packer_write(fuin_packer *p, fuin_write_fn out, void *ctx)
{
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
    fuin_status s;
    if (utf8 != (locale_t)0)
        old = uselocale(utf8);
    s = write_impl(p, out, ctx);
    if (utf8 != (locale_t)0) {
        uselocale(old);
        freelocale(utf8);
    }
    return s;
}
