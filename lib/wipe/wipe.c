/* Erasure of files and block devices: see include/fuin/wipe.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "fuin.h"
#include "fuin/wipe.h"
#include "internal.h"

#define BUF_SIZE (4u << 20)     /* one write/read; also the pattern unit  */
#define BUF_ALIGN 4096u         /* O_DIRECT needs logical-block alignment */
#define SAMPLE_UNIT (1u << 20)  /* verification sample block              */
#define RING 4                  /* pipeline buffers in flight             */
#define MAX_PASSES 64u
#define MAX_DEPTH 256
#define MAX_DEVS 256
/* The IETF ChaCha20 block counter is 32 bits (256 GiB of keystream per
 * nonce); the offset's higher bits go into the nonce. */
#define SEGMENT_SHIFT 38
#define FUIN__WIPE_KEYBYTES 32u

const char *fuin_wipe_pattern_name(fuin_wipe_pattern p)
{
    switch (p) {
    case FUIN_WIPE_ZERO: return "zero";
    case FUIN_WIPE_RANDOM: return "random";
    }
    return NULL;
}

const char *fuin_wipe_category_name(fuin_wipe_category c)
{
    switch (c) {
    case FUIN_WIPE_CLEAR: return "Clear";
    case FUIN_WIPE_PURGE: return "Purge";
    case FUIN_WIPE_DESTROY: return "Destroy";
    }
    return NULL;
}

const char *fuin_wipe_verify_name(fuin_wipe_verify v)
{
    switch (v) {
    case FUIN_WIPE_VERIFY_NONE: return "none";
    case FUIN_WIPE_VERIFY_FULL: return "full";
    case FUIN_WIPE_VERIFY_SAMPLE: return "sample";
    }
    return NULL;
}

void fuin_wipe_options_init(fuin_wipe_options *o)
{
    memset(o, 0, sizeof *o);
    o->pattern = FUIN_WIPE_RANDOM;
    o->passes = 1;
    o->verify = FUIN_WIPE_VERIFY_FULL;
    o->sample_pct = 100;
}

/* ------------------------------------------------------------------ */
/* sysfs / procfs probing                                              */
/* ------------------------------------------------------------------ */

static void rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
                     s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Truncating copies (fixed-size fields of the public structs). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Read a small sysfs attribute; "" (and -1) if absent. */
static int sysfs_str(const char *dir, const char *rel, char *buf, size_t cap)
{
    char p[PATH_MAX];
    int fd;
    ssize_t n;
    buf[0] = '\0';
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, rel) >= sizeof p)
        return -1;
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) {
        buf[0] = '\0';
        return -1;
    }
    buf[n] = '\0';
    rstrip(buf);
    {
        char *s = buf;
        while (*s == ' ')
            s++;
        if (s != buf)
            memmove(buf, s, strlen(s) + 1);
    }
    return 0;
}

static int sysfs_u64(const char *dir, const char *rel, uint64_t *v)
{
    char b[64], *end;
    unsigned long long x;
    if (sysfs_str(dir, rel, b, sizeof b) != 0 || b[0] == '\0')
        return -1;
    errno = 0;
    x = strtoull(b, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *v = x;
    return 0;
}

static int sysfs_flag(const char *dir, const char *rel)
{
    uint64_t v;
    if (sysfs_u64(dir, rel, &v) != 0)
        return -1;
    return v != 0;
}

static int parse_majmin(const char *s, dev_t *d)
{
    unsigned ma, mi;
    char tail;
    if (sscanf(s, "%u:%u%c", &ma, &mi, &tail) != 2)
        return -1;
    *d = makedev(ma, mi);
    return 0;
}

typedef struct {
    dev_t devs[MAX_DEVS];
    char names[MAX_DEVS][64];
    char dirs[MAX_DEVS][PATH_MAX];
    size_t n;
} devset;

static int devset_has(const devset *s, dev_t d)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->devs[i] == d)
            return 1;
    return 0;
}

static void devset_add(devset *s, dev_t d, const char *name, const char *dir)
{
    if (s->n >= MAX_DEVS || devset_has(s, d))
        return;
    s->devs[s->n] = d;
    copy_str(s->names[s->n], sizeof s->names[0], name);
    copy_str(s->dirs[s->n], sizeof s->dirs[0], dir);
    s->n++;
}

/* Append sep + word to a fixed buffer (no sep when empty). */
static void append_word(char *buf, size_t cap, const char *sep, const char *w)
{
    size_t n = strlen(buf);
    if (n > 0) {
        copy_str(buf + n, cap - n, sep);
        n = strlen(buf);
    }
    copy_str(buf + n, cap - n, w);
}

static void guess_transport(const char *real, const char *name, char *out,
                            size_t cap)
{
    const char *t = "unknown";
    if (strncmp(name, "loop", 4) == 0)
        t = "loop";
    else if (strncmp(name, "dm-", 3) == 0)
        t = "dm";
    else if (strncmp(name, "md", 2) == 0)
        t = "md";
    else if (strstr(real, "/usb") != NULL)
        t = "usb";
    else if (strstr(real, "/nvme") != NULL)
        t = "nvme";
    else if (strstr(real, "/mmc") != NULL)
        t = "mmc";
    else if (strstr(real, "/virtio") != NULL)
        t = "virtio";
    else if (strstr(real, "/ata") != NULL)
        t = "ata";
    else if (strstr(real, "/host") != NULL)
        t = "scsi";
    copy_str(out, cap, t);
}

/* 0, or -1 with errno when the mount table cannot be read: then nobody
 * can tell whether the device is mounted, and it must not be erased. */
static int scan_mounts(const devset *s, fuin_wipe_target *t)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0;
    if (f == NULL)
        return -1;
    while (getline(&line, &cap, f) > 0) {
        /* id parent maj:min root mountpoint opts [optional...] - type source super */
        char *save = NULL, *tok;
        char *fields[5] = {0};
        int i = 0, hit = 0;
        char *dash = strstr(line, " - ");
        char source[PATH_MAX] = "";
        if (dash != NULL) {
            char fstype[64];
            if (sscanf(dash + 3, "%63s %4095s", fstype, source) != 2)
                source[0] = '\0';
            *dash = '\0';
        }
        for (tok = strtok_r(line, " ", &save); tok != NULL && i < 5;
             tok = strtok_r(NULL, " ", &save))
            fields[i++] = tok;
        if (i < 5)
            continue;
        {
            dev_t d;
            if (parse_majmin(fields[2], &d) == 0 && devset_has(s, d))
                hit = 1;
        }
        /* btrfs and friends report an anonymous st_dev: the source names
         * the real device. */
        if (!hit && source[0] == '/') {
            struct stat st;
            if (stat(source, &st) == 0 && S_ISBLK(st.st_mode) &&
                devset_has(s, st.st_rdev))
                hit = 1;
        }
        if (hit) {
            if (!t->mounted)
                copy_str(t->mount_point, sizeof t->mount_point, fields[4]);
            t->mounted = 1;
            if (strcmp(fields[4], "/") == 0)
                t->holds_root = 1;
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* 0, or -1 with errno.  A kernel built without swap has no /proc/swaps
 * (and no swap): that is 0, once /proc itself was readable. */
static int scan_swaps(const devset *s, fuin_wipe_target *t)
{
    FILE *f = fopen("/proc/swaps", "re");
    char *line = NULL;
    size_t cap = 0;
    int first = 1;
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    while (getline(&line, &cap, f) > 0) {
        char name[PATH_MAX];
        struct stat st;
        if (first) { /* header line */
            first = 0;
            continue;
        }
        if (sscanf(line, "%4095s", name) != 1)
            continue;
        if (stat(name, &st) != 0)
            continue;
        if ((S_ISBLK(st.st_mode) && devset_has(s, st.st_rdev)) ||
            (S_ISREG(st.st_mode) && devset_has(s, st.st_dev)))
            t->swap = 1;
    }
    free(line);
    fclose(f);
    return 0;
}

static void scan_holders(const char *dir, fuin_wipe_target *t)
{
    char p[PATH_MAX];
    DIR *d;
    struct dirent *e;
    if ((size_t)snprintf(p, sizeof p, "%s/holders", dir) >= sizeof p)
        return;
    d = opendir(p);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        t->holders++;
        append_word(t->holder_names, sizeof t->holder_names, " ", e->d_name);
    }
    closedir(d);
}

static const char *sysfs_root = "/sys";

void fuin__wipe_set_sysfs_root(const char *root)
{
    sysfs_root = root != NULL ? root : "/sys";
}

static fuin_status probe_device(const struct stat *st, fuin_wipe_target *t,
                                char *err, size_t errcap)
{
    char link[PATH_MAX], real[PATH_MAX], diskdir[PATH_MAX], buf[256];
    devset *s;
    uint64_t v;
    struct stat rs;

    t->kind = FUIN_WIPE_KIND_DEVICE;
    t->major = major(st->st_rdev);
    t->minor = minor(st->st_rdev);
    snprintf(link, sizeof link, "%s/dev/block/%u:%u", sysfs_root, t->major,
             t->minor);
    if (realpath(link, real) == NULL) {
        int e = errno;
        char blk[PATH_MAX];
        snprintf(blk, sizeof blk, "%s/dev/block", sysfs_root);
        if (access(blk, F_OK) != 0) {
            fuin__set_msg(err, errcap,
                          "%s: cannot describe the device: %s is missing (is "
                          "sysfs mounted at %s?)",
                          t->path, blk, sysfs_root);
            return FUIN_E_ENVIRONMENT;
        }
        fuin__set_msg(err, errcap, "%s: cannot find %s in sysfs: %s", t->path, link,
               strerror(e));
        return FUIN_E_IO;
    }
    {
        const char *b = strrchr(real, '/');
        copy_str(t->name, sizeof t->name, b ? b + 1 : real);
    }
    {
        char pp[PATH_MAX + 16];
        snprintf(pp, sizeof pp, "%s/partition", real);
        t->is_partition = access(pp, F_OK) == 0;
    }
    copy_str(diskdir, sizeof diskdir, real);
    if (t->is_partition) {
        char *sl = strrchr(diskdir, '/');
        if (sl != NULL)
            *sl = '\0';
    }
    {
        const char *b = strrchr(diskdir, '/');
        copy_str(t->disk, sizeof t->disk, b ? b + 1 : diskdir);
    }
    if (sysfs_u64(real, "size", &v) == 0)
        t->size_bytes = v * 512u;
    if (sysfs_u64(diskdir, "queue/logical_block_size", &v) == 0)
        t->logical_block_size = (uint32_t)v;
    if (sysfs_u64(diskdir, "queue/physical_block_size", &v) == 0)
        t->physical_block_size = (uint32_t)v;
    t->rotational = sysfs_flag(diskdir, "queue/rotational");
    t->removable = sysfs_flag(diskdir, "removable");
    t->read_only = sysfs_flag(real, "ro");
    t->discard = sysfs_u64(diskdir, "queue/discard_max_bytes", &v) == 0 && v > 0;
    t->secure_discard = -1;
    sysfs_str(diskdir, "device/model", t->model, sizeof t->model);
    if (sysfs_str(diskdir, "device/serial", t->serial, sizeof t->serial) != 0 ||
        t->serial[0] == '\0') {
        if (sysfs_str(diskdir, "wwid", t->serial, sizeof t->serial) != 0 ||
            t->serial[0] == '\0')
            sysfs_str(diskdir, "device/wwid", t->serial, sizeof t->serial);
    }
    guess_transport(real, t->name, t->transport, sizeof t->transport);

    s = calloc(1, sizeof *s);
    if (s == NULL)
        return FUIN_E_NOMEM;
    devset_add(s, st->st_rdev, t->name, real);
    if (!t->is_partition) {
        /* The whole disk is busy when any of its partitions is. */
        DIR *d = opendir(real);
        struct dirent *e;
        if (d != NULL) {
            while ((e = readdir(d)) != NULL) {
                char sub[PATH_MAX], pp[PATH_MAX + 16];
                dev_t pd;
                if (e->d_name[0] == '.')
                    continue;
                if ((size_t)snprintf(sub, sizeof sub, "%s/%s", real,
                                     e->d_name) >= sizeof sub)
                    continue;
                snprintf(pp, sizeof pp, "%s/partition", sub);
                if (access(pp, F_OK) != 0)
                    continue;
                if (sysfs_str(sub, "dev", buf, sizeof buf) == 0 &&
                    parse_majmin(buf, &pd) == 0)
                    devset_add(s, pd, e->d_name, sub);
            }
            closedir(d);
        }
    }
    for (size_t i = 0; i < s->n; i++)
        scan_holders(s->dirs[i], t);
    {
        const char *what = NULL;
        int e = 0;
        if (scan_mounts(s, t) != 0) {
            e = errno;
            what = "/proc/self/mountinfo";
        } else if (scan_swaps(s, t) != 0) {
            e = errno;
            what = "/proc/swaps";
        }
        if (what != NULL) {
            free(s);
            fuin__set_msg(err, errcap,
                          "%s: refused: cannot read %s (%s; is /proc "
                          "mounted?), so nobody can tell whether the device "
                          "is in use",
                          t->path, what, strerror(e));
            t->refused = 1;
            copy_str(t->refuse_reason, sizeof t->refuse_reason,
                     "the mount table cannot be read");
            return FUIN_E_ENVIRONMENT;
        }
    }
    if (stat("/", &rs) == 0 && devset_has(s, rs.st_dev))
        t->holds_root = 1;
    free(s);

    t->refuse_reason[0] = '\0';
    if (t->holds_root)
        append_word(t->refuse_reason, sizeof t->refuse_reason, "; ",
                    "it holds the root filesystem /");
    if (t->mounted) {
        char m[FUIN_WIPE_TEXT + 32];
        snprintf(m, sizeof m, "it is mounted at %s", t->mount_point);
        append_word(t->refuse_reason, sizeof t->refuse_reason, "; ", m);
    }
    if (t->swap)
        append_word(t->refuse_reason, sizeof t->refuse_reason, "; ",
                    "it is in use as swap");
    if (t->holders > 0) {
        char m[FUIN_WIPE_TEXT + 64];
        snprintf(m, sizeof m,
                 "it has holders (%s): device-mapper, LVM or RAID uses it",
                 t->holder_names);
        append_word(t->refuse_reason, sizeof t->refuse_reason, "; ", m);
    }
    if (t->refuse_reason[0] != '\0') {
        t->refused = 1;
        fuin__set_msg(err, errcap, "%s: refused: %s", t->path, t->refuse_reason);
        return FUIN_E_POLICY;
    }
    return FUIN_OK;
}

fuin_status fuin_wipe_target_probe(const char *path, fuin_wipe_target *t,
                                   char *err, size_t errcap)
{
    struct stat st;
    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (t == NULL || path == NULL || path[0] == '\0') {
        fuin__set_msg(err, errcap, "no target given");
        return FUIN_E_INVALID;
    }
    memset(t, 0, sizeof *t);
    t->rotational = t->removable = t->read_only = -1;
    t->secure_discard = -1;
    copy_str(t->path, sizeof t->path, path);
    if (lstat(path, &st) != 0) {
        fuin__set_msg(err, errcap, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    if (S_ISLNK(st.st_mode)) {
        /* /dev/disk/by-id/... names are links; files are never followed. */
        struct stat ts;
        if (stat(path, &ts) != 0 || !S_ISBLK(ts.st_mode)) {
            fuin__set_msg(err, errcap,
                   "%s: is a symbolic link (only links to block devices are "
                   "followed)", path);
            return FUIN_E_INVALID;
        }
        st = ts;
    }
    if (S_ISREG(st.st_mode)) {
        t->kind = FUIN_WIPE_KIND_FILE;
        t->size_bytes = (uint64_t)st.st_size;
        t->nlink = (unsigned long)st.st_nlink;
        return FUIN_OK;
    }
    if (S_ISDIR(st.st_mode)) {
        t->kind = FUIN_WIPE_KIND_DIR;
        return FUIN_OK;
    }
    if (S_ISBLK(st.st_mode))
        return probe_device(&st, t, err, errcap);
    fuin__set_msg(err, errcap, "%s: not a regular file, directory or block device",
           path);
    return FUIN_E_INVALID;
}

/* ------------------------------------------------------------------ */
/* patterns                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    fuin_wipe_pattern p;
    unsigned char *key; /* sodium_malloc, RANDOM only */
} patgen;

static fuin_status patgen_init(patgen *g, fuin_wipe_pattern p)
{
    g->p = p;
    g->key = NULL;
    if (p == FUIN_WIPE_RANDOM) {
        g->key = sodium_malloc(FUIN__WIPE_KEYBYTES);
        if (g->key == NULL)
            return FUIN_E_NOMEM;
        randombytes_buf(g->key, FUIN__WIPE_KEYBYTES);
    }
    return FUIN_OK;
}

static void patgen_free(patgen *g)
{
    if (g->key != NULL) {
        sodium_memzero(g->key, FUIN__WIPE_KEYBYTES);
        sodium_free(g->key);
        g->key = NULL;
    }
}

/* XOR the pattern bytes at [off, off+len) into buf (nothing for ZERO);
 * `off` is a multiple of 64.  The keystream is ChaCha20 (RFC 8439: a
 * 32-bit block counter and a 96-bit nonce, here the segment number) from
 * OpenSSL's libcrypto, about three times libsodium's speed on x86-64
 * (bench/README.md).  Safe to call from several threads at once.  0, or
 * -1 when OpenSSL could not make a cipher context (out of memory). */
static int pat_xor(const patgen *g, uint64_t off, uint8_t *buf, size_t len)
{
    EVP_CIPHER_CTX *c;
    if (g->p != FUIN_WIPE_RANDOM || len == 0)
        return 0;
    if ((c = EVP_CIPHER_CTX_new()) == NULL)
        return -1;
    while (len > 0) {
        const uint64_t segsize = 1ull << SEGMENT_SHIFT;
        uint64_t in = off & (segsize - 1);
        uint64_t room = segsize - in;
        size_t n = len < room ? len : (size_t)room;
        uint8_t iv[16] = {0}; /* block counter (LE32) || nonce */
        uint64_t seg = off >> SEGMENT_SHIFT;
        uint32_t ctr = (uint32_t)(in >> 6);
        int outl;
        for (int i = 0; i < 4; i++)
            iv[i] = (uint8_t)(ctr >> (8 * i));
        for (int i = 0; i < 8; i++)
            iv[4 + i] = (uint8_t)(seg >> (8 * i));
        for (size_t done = 0; done < n;) {
            size_t step = n - done < (1u << 30) ? n - done : (1u << 30);
            if ((done == 0 && EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, g->key, iv) != 1) ||
                EVP_EncryptUpdate(c, buf + done, &outl, buf + done, (int)step) != 1) {
                EVP_CIPHER_CTX_free(c);
                return -1;
            }
            done += step;
        }
        buf += n;
        off += n;
        len -= n;
    }
    EVP_CIPHER_CTX_free(c);
    return 0;
}

/* The pattern bytes at [off, off+len). */
static int pat_fill(const patgen *g, uint64_t off, uint8_t *buf, size_t len)
{
    memset(buf, 0, len);
    return pat_xor(g, off, buf, len);
}

/* ------------------------------------------------------------------ */
/* the overwrite / verify engine shared by files and devices           */
/* ------------------------------------------------------------------ */

typedef struct {
    int fd;
    uint64_t size;      /* bytes to overwrite and verify */
    int direct;         /* fd is O_DIRECT */
    int is_blk;
    const fuin_wipe_options *o;
    fuin_wipe_result *r;
    uint8_t *zero;      /* bufsize zero bytes (ZERO writes)       */
    uint8_t *ring[RING]; /* pipeline buffers (may alias when a
                           pass fits in one buffer)                */
    size_t bufsize;     /* of each: BUF_SIZE or less              */
    const char *what;   /* for messages */
} engine;

static int progress(engine *e, fuin_wipe_phase ph, unsigned pass,
                    uint64_t done, uint64_t total)
{
    if (e->o->progress == NULL)
        return 0;
    if (e->o->progress(e->o->progress_ctx, ph, pass, done, total) != 0) {
        e->r->cancelled = 1;
        if (e->r->message[0] == '\0')
            fuin__set_msg(e->r->message, sizeof e->r->message, "%s: cancelled",
                   e->what);
        return 1;
    }
    return 0;
}

/* `what` failed at byte `off`; `detail` (strerror) may be NULL. */
static void fail_at(engine *e, uint64_t off, const char *what,
                    const char *detail)
{
    e->r->errors++;
    if (e->r->fail_offset < 0)
        e->r->fail_offset = (int64_t)off;
    if (e->r->message[0] == '\0')
        fuin__set_msg(e->r->message, sizeof e->r->message, "%s: %s at byte %llu%s%s",
               e->what, what, (unsigned long long)off, detail ? ": " : "",
               detail ? detail : "");
}

/* Write or read exactly len bytes at off; -1 with errno, or 0. */
static int pio_full(int fd, int wr, uint8_t *buf, size_t len, uint64_t off,
                    uint64_t *bad)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = wr ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
                       : pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *bad = off + done;
            return -1;
        }
        if (n == 0) { /* end of device before the expected size */
            *bad = off + done;
            errno = wr ? ENOSPC : EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* the pipeline: one producer thread, a ring of buffers                */
/* ------------------------------------------------------------------ */
/* A pass is a list of spans (consecutive BUF_SIZE pieces, or the sampled
 * 1 MiB units).  While this thread consumes span i (writes it, or checks
 * it), a second thread produces spans i+1 .. i+RING-1 (generates the
 * keystream, or reads the medium), so that generation or reading overlaps
 * the other half of the work.  Several buffers in flight absorb the
 * jitter of either side. */
typedef struct {
    uint64_t size;
    uint64_t units, k; /* sampling: k of `units` SAMPLE_UNITs */
    int sample;
} plan;

static size_t chunk_len(uint64_t size, uint64_t off)
{
    return size - off < BUF_SIZE ? (size_t)(size - off) : BUF_SIZE;
}

/* The i-th span of the plan; 0 past the end.  Sampling is evenly spread,
 * first and last unit always included. */
static int plan_span(const plan *p, uint64_t i, uint64_t *off, size_t *len)
{
    if (!p->sample) {
        uint64_t o = i * (uint64_t)BUF_SIZE;
        if (o >= p->size || i >= p->size / BUF_SIZE + 1)
            return 0;
        *off = o;
        *len = chunk_len(p->size, o);
        return 1;
    }
    if (i >= p->k)
        return 0;
    {
        uint64_t idx = p->k == 1 ? 0 : i * (p->units - 1) / (p->k - 1);
        uint64_t o = idx * SAMPLE_UNIT;
        *off = o;
        *len = p->size - o < SAMPLE_UNIT ? (size_t)(p->size - o) : SAMPLE_UNIT;
    }
    return 1;
}

static uint64_t plan_total(const plan *p)
{
    uint64_t t = 0, off;
    size_t len;
    if (!p->sample)
        return p->size;
    for (uint64_t i = 0; plan_span(p, i, &off, &len); i++)
        t += len;
    return t;
}

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    uint8_t *bufs[RING];
    int full[RING];      /* produced, not yet consumed                  */
    int err[RING];       /* reading: errno of a failed read, else 0     */
    uint64_t bad[RING];  /* reading: byte offset of that failure        */
    int stop;
    int reading;         /* 1: read the medium; 0: generate the pattern */
    int fd;
    const plan *pl;
    const patgen *g;
    pthread_t th[2];
    int nth;             /* producer threads running (0: inline)         */
    struct ring_worker {
        void *q;
        unsigned id;
    } wk[2];
} ring;

static void produce(ring *q, int slot, uint64_t off, size_t len)
{
    q->err[slot] = 0;
    if (q->reading) {
        uint64_t bad = 0;
        if (pio_full(q->fd, 0, q->bufs[slot], len, off, &bad) != 0) {
            q->err[slot] = errno != 0 ? errno : EIO;
            q->bad[slot] = bad;
        }
    } else {
        if (pat_fill(q->g, off, q->bufs[slot], len) != 0)
            q->err[slot] = ENOMEM;
    }
}

/* Producer `id` of q->nth handles spans id, id + nth, id + 2 nth, ... */
static void *producer(void *arg)
{
    struct ring_worker *w = arg;
    ring *q = w->q;
    uint64_t off;
    size_t len;
    for (uint64_t i = w->id; plan_span(q->pl, i, &off, &len); i += (uint64_t)q->nth) {
        int slot = (int)(i % RING), failed;
        pthread_mutex_lock(&q->m);
        while (q->full[slot] && !q->stop)
            pthread_cond_wait(&q->c, &q->m);
        if (q->stop) {
            pthread_mutex_unlock(&q->m);
            break;
        }
        pthread_mutex_unlock(&q->m);
        produce(q, slot, off, len);
        failed = q->err[slot] != 0;
        pthread_mutex_lock(&q->m);
        q->full[slot] = 1;
        pthread_cond_broadcast(&q->c);
        pthread_mutex_unlock(&q->m);
        if (failed) /* the consumer stops at this span */
            break;
    }
    return NULL;
}

/* Start `threads` producers over `bufs` (RING must be a multiple of it).
 * Runs inline (no thread) when threads == 0, and when no thread can be
 * had.  Reading uses two: with two reads in flight the medium never waits
 * for the reader's turn. */
static void ring_start(ring *q, const plan *pl, const patgen *g, int reading,
                       int fd, uint8_t *const *bufs, int threads)
{
    memset(q, 0, sizeof *q);
    for (int i = 0; i < RING; i++)
        q->bufs[i] = bufs[i];
    q->pl = pl;
    q->g = g;
    q->reading = reading;
    q->fd = fd;
    if (threads <= 0)
        return;
    if (pthread_mutex_init(&q->m, NULL) != 0)
        return;
    if (pthread_cond_init(&q->c, NULL) != 0) {
        pthread_mutex_destroy(&q->m);
        return;
    }
    /* nth is fixed before any producer starts: they stride by it. */
    q->nth = threads > 2 ? 2 : threads;
    for (int i = 0; i < q->nth; i++) {
        q->wk[i].q = q;
        q->wk[i].id = (unsigned)i;
    }
    for (int i = 0; i < q->nth; i++) {
        if (pthread_create(&q->th[i], NULL, producer, &q->wk[i]) != 0) {
            /* Stop the ones started, then run inline. */
            pthread_mutex_lock(&q->m);
            q->stop = 1;
            pthread_cond_broadcast(&q->c);
            pthread_mutex_unlock(&q->m);
            for (int j = 0; j < i; j++)
                pthread_join(q->th[j], NULL);
            pthread_cond_destroy(&q->c);
            pthread_mutex_destroy(&q->m);
            memset(q->full, 0, sizeof q->full);
            q->stop = 0;
            q->nth = 0;
            return;
        }
    }
}

/* The buffer holding span i, produced. */
static uint8_t *ring_get(ring *q, uint64_t i, uint64_t off, size_t len)
{
    int slot = (int)(i % RING);
    if (q->nth == 0) {
        produce(q, slot, off, len);
        return q->bufs[slot];
    }
    pthread_mutex_lock(&q->m);
    while (!q->full[slot])
        pthread_cond_wait(&q->c, &q->m);
    pthread_mutex_unlock(&q->m);
    return q->bufs[slot];
}

static void ring_put(ring *q, uint64_t i)
{
    int slot = (int)(i % RING);
    if (q->nth == 0)
        return;
    pthread_mutex_lock(&q->m);
    q->full[slot] = 0;
    pthread_cond_broadcast(&q->c);
    pthread_mutex_unlock(&q->m);
}

static void ring_finish(ring *q)
{
    if (q->nth == 0)
        return;
    pthread_mutex_lock(&q->m);
    q->stop = 1;
    pthread_cond_broadcast(&q->c);
    pthread_mutex_unlock(&q->m);
    for (int i = 0; i < q->nth; i++)
        pthread_join(q->th[i], NULL);
    pthread_cond_destroy(&q->c);
    pthread_mutex_destroy(&q->m);
    q->nth = 0;
}

/* ------------------------------------------------------------------ */
/* write and verify passes                                             */
/* ------------------------------------------------------------------ */

static fuin_status write_chunk(engine *e, const uint8_t *buf, uint64_t off,
                               size_t n, unsigned pass)
{
    uint64_t bad;
    if (pio_full(e->fd, 1, (uint8_t *)buf, n, off, &bad) != 0) {
        fail_at(e, bad, "write failed", strerror(errno));
        return FUIN_E_IO;
    }
    e->r->bytes_written += n;
    if (progress(e, FUIN_WIPE_PHASE_WRITE, pass, off + n, e->size))
        return FUIN_E_IO;
    return FUIN_OK;
}

static fuin_status write_pass(engine *e, const patgen *g, unsigned pass)
{
    fuin_status st = FUIN_OK;
    plan pl = {e->size, 0, 0, 0};
    uint64_t off;
    size_t len;
    ring q;

    if (progress(e, FUIN_WIPE_PHASE_WRITE, pass, 0, e->size))
        return FUIN_E_IO;
    if (g->p == FUIN_WIPE_ZERO) {
        memset(e->zero, 0, e->bufsize);
        for (uint64_t i = 0; st == FUIN_OK && plan_span(&pl, i, &off, &len); i++)
            st = write_chunk(e, e->zero, off, len, pass);
        return st;
    }
    ring_start(&q, &pl, g, 0, e->fd, e->ring, e->size > e->bufsize ? 1 : 0);
    for (uint64_t i = 0; st == FUIN_OK && plan_span(&pl, i, &off, &len); i++) {
        uint8_t *b = ring_get(&q, i, off, len);
        if (q.err[i % RING] != 0) { /* no pattern: nothing of it is written */
            fail_at(e, off, "out of memory for the pattern's cipher", NULL);
            st = FUIN_E_NOMEM;
        } else {
            st = write_chunk(e, b, off, len, pass);
        }
        ring_put(&q, i);
    }
    ring_finish(&q);
    return st;
}

/* Make the next reads come from the medium rather than the page cache. */
static fuin_status flush_and_drop(engine *e)
{
    if (fdatasync(e->fd) != 0) {
        /* Not at any one offset: the medium did not confirm the writes. */
        e->r->errors++;
        if (e->r->message[0] == '\0')
            fuin__set_msg(e->r->message, sizeof e->r->message, "%s: fdatasync failed: %s",
                   e->what, strerror(errno));
        return FUIN_E_IO;
    }
    if (!e->direct) {
        if (e->is_blk)
            (void)ioctl(e->fd, BLKFLSBUF, 0);
        (void)posix_fadvise(e->fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    return FUIN_OK;
}

/* Index of the first non-zero byte of p[0..n), n if none. */
static size_t first_nonzero(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w[8];
        memcpy(w, p + i, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0)
            break;
    }
    for (; i < n; i++)
        if (p[i] != 0)
            return i;
    return n;
}

/* Check one span as read from the medium.  The expected pattern is XORed
 * out of the data in place (ChaCha20 is its own inverse), so a correct
 * span is all zeros whatever the pattern: one pass over the memory, and
 * no second buffer of expected bytes. */
static fuin_status check_span(engine *e, const patgen *g, uint8_t *buf,
                              uint64_t off, size_t n)
{
    size_t i;
    if (pat_xor(g, off, buf, n) != 0) {
        fail_at(e, off, "out of memory for the pattern's cipher", NULL);
        return FUIN_E_NOMEM;
    }
    i = first_nonzero(buf, n);
    e->r->bytes_verified += i; /* the part that matched */
    if (i < n) {
        fail_at(e, off + i, "verification mismatch", NULL);
        return FUIN_E_IO;
    }
    return FUIN_OK;
}

static fuin_status verify_pass(engine *e, const patgen *g, unsigned pass)
{
    const fuin_wipe_options *o = e->o;
    plan pl = {e->size, 0, 0, 0};
    fuin_status st = FUIN_OK;
    uint64_t off, total, done = 0;
    size_t len;
    ring q;

    if (o->verify == FUIN_WIPE_VERIFY_NONE || e->size == 0)
        return FUIN_OK;
    if (o->verify == FUIN_WIPE_VERIFY_SAMPLE) {
        pl.units = (e->size + SAMPLE_UNIT - 1) / SAMPLE_UNIT;
        pl.k = (pl.units * o->sample_pct + 99) / 100;
        if (pl.k < 2) /* the first and the last unit, always */
            pl.k = 2;
        if (pl.k > pl.units)
            pl.k = pl.units;
        pl.sample = pl.k < pl.units;
    }
    total = plan_total(&pl);
    if (progress(e, FUIN_WIPE_PHASE_VERIFY, pass, 0, total))
        return FUIN_E_IO;
    ring_start(&q, &pl, g, 1, e->fd, e->ring, total > e->bufsize ? 2 : 0);
    for (uint64_t i = 0; st == FUIN_OK && plan_span(&pl, i, &off, &len); i++) {
        uint8_t *b = ring_get(&q, i, off, len);
        int slot = (int)(i % RING);
        if (q.err[slot] != 0) {
            fail_at(e, q.bad[slot], "read failed during verification",
                    strerror(q.err[slot]));
            st = FUIN_E_IO;
        } else {
            st = check_span(e, g, b, off, len);
        }
        ring_put(&q, i);
        done += len;
        if (st == FUIN_OK && progress(e, FUIN_WIPE_PHASE_VERIFY, pass, done, total))
            st = FUIN_E_IO;
    }
    ring_finish(&q);
    return st;
}

static fuin_status engine_run(engine *e)
{
    const fuin_wipe_options *o = e->o;
    fuin_status st = FUIN_OK;
    void *b[RING + 1];
    /* Small files need small buffers (directories may hold thousands),
     * and one buffer does: no thread for a pass that fits in it. */
    size_t bs = e->size < BUF_SIZE
                    ? (size_t)((e->size + BUF_ALIGN - 1) / BUF_ALIGN * BUF_ALIGN)
                    : BUF_SIZE;
    int nb = e->size <= BUF_SIZE ? 2 : RING + 1;
    if (bs == 0)
        bs = BUF_ALIGN;
    memset(b, 0, sizeof b);
    for (int i = 0; i < nb; i++) {
        if (posix_memalign(&b[i], BUF_ALIGN, bs) != 0) {
            for (int j = 0; j < i; j++)
                free(b[j]);
            fuin__set_msg(e->r->message, sizeof e->r->message, "%s: out of memory",
                   e->what);
            return FUIN_E_NOMEM;
        }
    }
    e->bufsize = bs;
    e->zero = b[0];
    /* Inline passes use ring slot 0 only (span i uses slot i % RING, but
     * with one span per pass that is slot 0). */
    for (int i = 0; i < RING; i++)
        e->ring[i] = b[nb == 2 ? 1 : i + 1];
    for (unsigned pass = 1; pass <= o->passes; pass++) {
        patgen g;
        if ((st = patgen_init(&g, o->pattern)) != FUIN_OK)
            break;
        st = write_pass(e, &g, pass);
        if (st == FUIN_OK)
            st = flush_and_drop(e);
        if (st == FUIN_OK && pass == o->passes)
            st = verify_pass(e, &g, pass);
        patgen_free(&g);
        if (st != FUIN_OK)
            break;
        e->r->passes = pass;
    }
    for (int i = 0; i < nb; i++)
        free(b[i]);
    return st;
}

static fuin_status check_options(const fuin_wipe_options *o,
                                 fuin_wipe_result *r)
{
    if (o->pattern != FUIN_WIPE_ZERO && o->pattern != FUIN_WIPE_RANDOM) {
        fuin__set_msg(r->message, sizeof r->message, "unknown wipe pattern %d",
               (int)o->pattern);
        return FUIN_E_INVALID;
    }
    if (o->passes < 1 || o->passes > MAX_PASSES) {
        fuin__set_msg(r->message, sizeof r->message,
               "passes must be 1..%u (got %u)", MAX_PASSES, o->passes);
        return FUIN_E_INVALID;
    }
    if (fuin_wipe_verify_name(o->verify) == NULL ||
        (o->verify == FUIN_WIPE_VERIFY_SAMPLE &&
         (o->sample_pct < 1 || o->sample_pct > 100))) {
        fuin__set_msg(r->message, sizeof r->message,
               "verification must be none, full or sample=1..100");
        return FUIN_E_INVALID;
    }
    return FUIN_OK;
}

static void result_init(fuin_wipe_result *r, const fuin_wipe_options *o,
                        fuin_wipe_kind kind)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->pattern = o->pattern;
    r->category = FUIN_WIPE_CLEAR;
    r->verify = o->verify;
    r->sample_pct = o->verify == FUIN_WIPE_VERIFY_SAMPLE ? o->sample_pct : 0;
    r->fail_offset = -1;
    r->start_time = (int64_t)time(NULL);
}

static fuin_status result_end(fuin_wipe_result *r, fuin_status st)
{
    r->end_time = (int64_t)time(NULL);
    r->success = st == FUIN_OK && r->errors == 0 && r->files_failed == 0;
    return st;
}

/* ------------------------------------------------------------------ */
/* devices                                                             */
/* ------------------------------------------------------------------ */

struct fuin_wipe_dev {
    int fd;
    int direct;
    uint64_t size;
    char path[4096];
};

fuin_status fuin_wipe_device_open(const char *path, fuin_wipe_target *t,
                                  fuin_wipe_dev **out, char *err,
                                  size_t errcap)
{
    fuin_wipe_dev *d;
    fuin_status st;
    struct stat fst;
    char msg[512];
    int fd, direct = 1;
    uint64_t size = 0;

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (out == NULL || t == NULL || path == NULL) {
        fuin__set_msg(err, errcap, "no target given");
        return FUIN_E_INVALID;
    }
    *out = NULL;
    st = fuin_wipe_target_probe(path, t, err, errcap);
    if (st == FUIN_OK && t->kind != FUIN_WIPE_KIND_DEVICE) {
        fuin__set_msg(err, errcap, "%s: not a block device", path);
        st = FUIN_E_INVALID;
    }
    if (st != FUIN_OK)
        return st;
    fd = open(path, O_RDWR | O_EXCL | O_DIRECT | O_CLOEXEC);
    if (fd < 0 && errno == EINVAL) {
        direct = 0;
        fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
    }
    if (fd < 0) {
        int en = errno;
        if (en == EBUSY) {
            fuin__set_msg(err, errcap,
                   "%s: refused: the device is in use (exclusive open failed)",
                   path);
            t->refused = 1;
            copy_str(t->refuse_reason, sizeof t->refuse_reason,
                     "the device is in use (exclusive open failed)");
            return FUIN_E_POLICY;
        }
        fuin__set_msg(err, errcap, "%s: cannot open: %s", path, strerror(en));
        return FUIN_E_IO;
    }
    /* The name may have been re-pointed between probe and open, and a
     * mount may have raced the probe: look again now that we hold it.
     * From here until fuin_wipe_device_close() nobody else can mount it
     * or open it exclusively. */
    if (fstat(fd, &fst) != 0 || !S_ISBLK(fst.st_mode) ||
        major(fst.st_rdev) != t->major || minor(fst.st_rdev) != t->minor) {
        fuin__set_msg(err, errcap, "%s: the device changed while it was being opened",
               path);
        close(fd);
        return FUIN_E_POLICY;
    }
    {
        unsigned ma = t->major, mi = t->minor;
        st = fuin_wipe_target_probe(path, t, msg, sizeof msg);
        if (st != FUIN_OK) {
            fuin__set_msg(err, errcap, "%s", msg);
            close(fd);
            return st;
        }
        /* The name must still lead to the device held (a by-id link can
         * be re-pointed at any time). */
        if (t->major != ma || t->minor != mi) {
            fuin__set_msg(err, errcap, "%s: the device changed while it was being opened",
                   path);
            close(fd);
            return FUIN_E_POLICY;
        }
    }
    if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size == 0) {
        fuin__set_msg(err, errcap, "%s: cannot read the device size%s", path,
               size == 0 ? " (or it is empty)" : "");
        close(fd);
        return FUIN_E_IO;
    }
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        close(fd);
        return FUIN_E_NOMEM;
    }
    d->fd = fd;
    d->direct = direct;
    d->size = size;
    copy_str(d->path, sizeof d->path, path);
    *out = d;
    return FUIN_OK;
}

int fuin_wipe_device_fd(const fuin_wipe_dev *d)
{
    return d != NULL ? d->fd : -1;
}

uint64_t fuin_wipe_device_size(const fuin_wipe_dev *d)
{
    return d != NULL ? d->size : 0;
}

fuin_status fuin_wipe_device_run(fuin_wipe_dev *d, const fuin_wipe_options *o,
                                 fuin_wipe_result *res)
{
    fuin_status st;
    engine e;

    if (o == NULL || res == NULL)
        return FUIN_E_INVALID;
    result_init(res, o, FUIN_WIPE_KIND_DEVICE);
    if (d == NULL || d->fd < 0) {
        fuin__set_msg(res->message, sizeof res->message, "device not open");
        return result_end(res, FUIN_E_INVALID);
    }
    if ((st = check_options(o, res)) != FUIN_OK)
        return result_end(res, st);
    res->direct_io = d->direct;
    memset(&e, 0, sizeof e);
    e.fd = d->fd;
    e.size = d->size;
    e.direct = d->direct;
    e.is_blk = 1;
    e.o = o;
    e.r = res;
    e.what = d->path;
    return result_end(res, engine_run(&e));
}

fuin_status fuin_wipe_device_close(fuin_wipe_dev *d)
{
    fuin_status st = FUIN_OK;
    if (d == NULL)
        return FUIN_OK;
    if (d->fd >= 0 && close(d->fd) != 0)
        st = FUIN_E_IO;
    free(d);
    return st;
}

fuin_status fuin_wipe_device(const char *path, const fuin_wipe_options *o,
                             fuin_wipe_result *res)
{
    fuin_wipe_target *t;
    fuin_wipe_dev *d = NULL;
    fuin_status st;

    if (o == NULL || res == NULL || path == NULL)
        return FUIN_E_INVALID;
    result_init(res, o, FUIN_WIPE_KIND_DEVICE);
    if ((st = check_options(o, res)) != FUIN_OK)
        return result_end(res, st);
    t = malloc(sizeof *t);
    if (t == NULL)
        return result_end(res, FUIN_E_NOMEM);
    st = fuin_wipe_device_open(path, t, &d, res->message, sizeof res->message);
    free(t);
    if (st != FUIN_OK)
        return result_end(res, st);
    st = fuin_wipe_device_run(d, o, res);
    if (fuin_wipe_device_close(d) != FUIN_OK && st == FUIN_OK) {
        fuin__set_msg(res->message, sizeof res->message, "%s: close failed: %s", path,
               strerror(errno));
        st = FUIN_E_IO;
        res->success = 0;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* files                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    const fuin_wipe_options *o;
    fuin_wipe_result *r;
    fuin_status first; /* first failure */
    dev_t top_dev;     /* a directory wipe stays on this filesystem */
} filectx;

static void file_failed(filectx *c, fuin_status st)
{
    c->r->files_failed++;
    if (c->first == FUIN_OK)
        c->first = st;
}

/* Give a freshly emptied file a random name, then unlink it, so that the
 * directory entry no longer tells what it was. */
static int rename_and_unlink(int dfd, const char *name, char *msg, size_t cap,
                             const char *shown)
{
    char newname[33];
    int done = 0;
    for (int tries = 0; tries < 16 && !done; tries++) {
        uint8_t rnd[8];
        randombytes_buf(rnd, sizeof rnd);
        sodium_bin2hex(newname, sizeof newname, rnd, sizeof rnd);
        if (renameat2(dfd, name, dfd, newname, RENAME_NOREPLACE) == 0) {
            done = 1;
        } else if (errno == EEXIST) {
            continue;
        } else if (errno == EINVAL || errno == ENOSYS) {
            /* The filesystem lacks RENAME_NOREPLACE. */
            if (faccessat(dfd, newname, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                continue;
            if (renameat(dfd, name, dfd, newname) != 0)
                break;
            done = 1;
        } else {
            break;
        }
    }
    if (!done) {
        fuin__set_msg(msg, cap, "%s: cannot rename: %s", shown, strerror(errno));
        return -1;
    }
    (void)fsync(dfd);
    if (unlinkat(dfd, newname, 0) != 0) {
        fuin__set_msg(msg, cap, "%s: cannot unlink (now named %s): %s", shown,
               newname, strerror(errno));
        return -1;
    }
    if (fsync(dfd) != 0) {
        fuin__set_msg(msg, cap, "%s: fsync of the directory failed: %s", shown,
               strerror(errno));
        return -1;
    }
    return 0;
}

static void wipe_regular(filectx *c, int dfd, const char *name,
                         const char *shown)
{
    fuin_wipe_result *r = c->r;
    const fuin_wipe_options *o = c->o;
    struct stat st, fst;
    int fd;
    uint64_t bs, wsize;
    engine e;
    fuin_status s;
    char *msg = r->message;
    size_t cap = sizeof r->message;
    int have_msg = r->message[0] != '\0';
    char scratch[sizeof r->message];

    /* Keep the first failure's message; later ones go to scratch. */
    if (have_msg) {
        msg = scratch;
        cap = sizeof scratch;
        scratch[0] = '\0';
    }
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        fuin__set_msg(msg, cap, "%s: %s", shown, strerror(errno));
        file_failed(c, FUIN_E_IO);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        fuin__set_msg(msg, cap, "%s: not a regular file", shown);
        file_failed(c, FUIN_E_INVALID);
        return;
    }
    if (st.st_nlink > 1 && !(o->flags & FUIN_WIPE_F_FORCE_LINKS)) {
        fuin__set_msg(msg, cap,
               "%s: refused: it has %lu hard links, and the other names would "
               "keep the data (force to wipe anyway)",
               shown, (unsigned long)st.st_nlink);
        file_failed(c, FUIN_E_POLICY);
        return;
    }
    fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        fuin__set_msg(msg, cap, "%s: cannot open: %s", shown, strerror(errno));
        file_failed(c, FUIN_E_IO);
        return;
    }
    if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev ||
        fst.st_ino != st.st_ino || !S_ISREG(fst.st_mode)) {
        fuin__set_msg(msg, cap, "%s: the file changed while it was being opened",
               shown);
        close(fd);
        file_failed(c, FUIN_E_IO);
        return;
    }
    bs = fst.st_blksize > 0 ? (uint64_t)fst.st_blksize : 4096u;
    wsize = ((uint64_t)fst.st_size + bs - 1) / bs * bs;

    memset(&e, 0, sizeof e);
    e.fd = fd;
    e.size = wsize;
    e.o = o;
    e.r = r;
    e.what = shown;
    {
        /* engine messages go to r->message only if it is still empty */
        uint64_t errs = r->errors;
        s = engine_run(&e);
        if (s == FUIN_OK && r->errors != errs)
            s = FUIN_E_IO;
    }
    if (s == FUIN_OK) {
        off_t keep = (o->flags & FUIN_WIPE_F_KEEP_FILE) ? fst.st_size : 0;
        if (ftruncate(fd, keep) != 0 || fdatasync(fd) != 0) {
            fuin__set_msg(msg, cap, "%s: truncate failed: %s", shown,
                   strerror(errno));
            s = FUIN_E_IO;
        }
    }
    if (close(fd) != 0 && s == FUIN_OK) {
        fuin__set_msg(msg, cap, "%s: close failed: %s", shown, strerror(errno));
        s = FUIN_E_IO;
    }
    if (s == FUIN_OK && !(o->flags & FUIN_WIPE_F_KEEP_FILE) &&
        rename_and_unlink(dfd, name, msg, cap, shown) != 0)
        s = FUIN_E_IO;
    if (s != FUIN_OK) {
        file_failed(c, s);
        return;
    }
    r->files_wiped++;
}

typedef struct {
    char **v;
    size_t n, cap;
} namelist;

static void names_free(namelist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static void wipe_dir(filectx *c, int dfd, const char *shown, int depth)
{
    namelist l = {0};
    DIR *d;
    struct dirent *ent;
    int dup_fd;

    if (depth > MAX_DEPTH) {
        if (c->r->message[0] == '\0')
            fuin__set_msg(c->r->message, sizeof c->r->message,
                   "%s: directories nested too deeply", shown);
        file_failed(c, FUIN_E_LIMIT);
        return;
    }
    /* Names are collected first: renaming while readdir() runs could show
     * a renamed entry twice. */
    dup_fd = dup(dfd);
    if (dup_fd < 0 || (d = fdopendir(dup_fd)) == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        if (c->r->message[0] == '\0')
            fuin__set_msg(c->r->message, sizeof c->r->message, "%s: %s", shown,
                   strerror(errno));
        file_failed(c, FUIN_E_IO);
        return;
    }
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if (l.n == l.cap) {
            size_t nc = l.cap ? l.cap * 2 : 32;
            char **nv = realloc(l.v, nc * sizeof *nv);
            if (nv == NULL)
                break;
            l.v = nv;
            l.cap = nc;
        }
        if ((l.v[l.n] = strdup(ent->d_name)) == NULL)
            break;
        l.n++;
    }
    closedir(d);
    if (ent != NULL) {
        names_free(&l);
        if (c->r->message[0] == '\0')
            fuin__set_msg(c->r->message, sizeof c->r->message, "%s: out of memory",
                   shown);
        file_failed(c, FUIN_E_NOMEM);
        return;
    }
    for (size_t i = 0; i < l.n; i++) {
        struct stat st;
        char sub[PATH_MAX];
        if (c->r->cancelled)
            break;
        snprintf(sub, sizeof sub, "%s/%s", shown, l.v[i]);
        if (fstatat(dfd, l.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished meanwhile */
        if (S_ISREG(st.st_mode)) {
            wipe_regular(c, dfd, l.v[i], sub);
        } else if (S_ISDIR(st.st_mode) && st.st_dev != c->top_dev) {
            /* Another filesystem mounted inside: not what was named. */
            c->r->files_skipped++;
        } else if (S_ISDIR(st.st_mode)) {
            int sfd = openat(dfd, l.v[i],
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd < 0) {
                if (c->r->message[0] == '\0')
                    fuin__set_msg(c->r->message, sizeof c->r->message, "%s: %s", sub,
                           strerror(errno));
                file_failed(c, FUIN_E_IO);
                continue;
            }
            wipe_dir(c, sfd, sub, depth + 1);
            close(sfd);
        } else {
            c->r->files_skipped++;
        }
    }
    names_free(&l);
}

fuin_status fuin_wipe_file(const char *path, const fuin_wipe_options *o,
                           fuin_wipe_result *res)
{
    struct stat st;
    filectx c;
    fuin_status s;

    if (o == NULL || res == NULL || path == NULL || path[0] == '\0')
        return FUIN_E_INVALID;
    result_init(res, o, FUIN_WIPE_KIND_FILE);
    res->caveat = FUIN_WIPE_FILE_CAVEAT;
    if ((s = check_options(o, res)) != FUIN_OK)
        return result_end(res, s);
    c.o = o;
    c.r = res;
    c.first = FUIN_OK;
    if (lstat(path, &st) != 0) {
        fuin__set_msg(res->message, sizeof res->message, "%s: %s", path,
               strerror(errno));
        return result_end(res, FUIN_E_IO);
    }
    if (S_ISDIR(st.st_mode)) {
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        res->kind = FUIN_WIPE_KIND_DIR;
        c.top_dev = st.st_dev;
        if (dfd < 0) {
            fuin__set_msg(res->message, sizeof res->message, "%s: %s", path,
                   strerror(errno));
            return result_end(res, FUIN_E_IO);
        }
        wipe_dir(&c, dfd, path, 0);
        close(dfd);
    } else if (S_ISREG(st.st_mode)) {
        char *copy = strdup(path);
        char *slash;
        const char *dir = ".", *base = path;
        int dfd;
        if (copy == NULL)
            return result_end(res, FUIN_E_NOMEM);
        slash = strrchr(copy, '/');
        if (slash != NULL) {
            *slash = '\0';
            dir = slash == copy ? "/" : copy;
            base = slash + 1;
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            fuin__set_msg(res->message, sizeof res->message, "%s: %s", dir,
                   strerror(errno));
            free(copy);
            return result_end(res, FUIN_E_IO);
        }
        wipe_regular(&c, dfd, base, path);
        close(dfd);
        free(copy);
    } else {
        fuin__set_msg(res->message, sizeof res->message,
               "%s: not a regular file or directory%s", path,
               S_ISLNK(st.st_mode) ? " (symbolic links are not followed)" : "");
        return result_end(res, FUIN_E_INVALID);
    }
    if (res->cancelled && c.first == FUIN_OK)
        c.first = FUIN_E_IO;
    return result_end(res, c.first);
}
