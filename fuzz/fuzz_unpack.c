/* libFuzzer target for lib/pack/reader.c and lib/pack/extract.c: the
 * input as a received file (through a memfd), read twice by
 * fuin_unpack_fd:
 *  1. verify only, as a fuin package: no decryptor, the trust root a key
 *     pair generated at startup (so every signature fails cleanly), no
 *     destination.  Nothing may be written anywhere.
 *  2. with fuin_unpacker_set_foreign(u, 1) and a destination DIR, a fresh
 *     directory made once per process under /tmp (mkdtemp; or under
 *     $FUIN_FUZZ_TMPDIR: a successful unpack calls syncfs(), which is
 *     cheap on a tmpfs such as /dev/shm and slow on a busy disk) beside a
 *     canary directory; an input of odd length also turns rename_unsafe
 *     on (appending a byte to a tar does not change what it holds).
 * Invariants (abort() when broken):
 *  - on any status but FUIN_OK, DIR holds nothing: nothing is left behind
 *    on failure;
 *  - on FUIN_OK, no private .fuin-unpack-* directory is left in DIR (one
 *    the archive itself holds under such a name excepted);
 *  - nothing is created outside DIR: the canary directory stays empty
 *    and the parent holds only DIR and the canary.
 * DIR is emptied after each run (recursively, never following a symbolic
 * link).  Small limits (1000 entries, 1 MiB a file, 4 MiB in all) keep
 * runs fast.
 * With FUIN_FUZZ_VERBOSE set, each run's status and message go to stderr.
 * With FUIN_FUZZ_MAKE_SEEDS=DIR the program writes seeds into DIR and
 * exits: fuin packages made by the library's packer (plain, zstd, signed,
 * age-encrypted with a passphrase, binary and armored) and small tar, tar.gz
 * and zip archives (libarchive's writer) with directories, links, labels
 * and unsafe names; fuzz/run.sh and the CI smoke run make them each time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fuin.h"

static char base[4096], dest[4200], canary[4200];
static fuin_pubkey root;
static fuin_unpack_limits lim;
static int verbose; /* FUIN_FUZZ_VERBOSE set: each run's status on stderr */

/* ---- removing a tree, never through a symbolic link -------------------- */
static void rm_tree_at(int parent, const char *name, int depth)
{
    int fd;
    DIR *d;
    struct dirent *e;
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return;
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fchmod(fd, 0700);
    if ((d = fdopendir(fd)) == NULL) {
        close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && depth < 1000)
            rm_tree_at(dirfd(d), e->d_name, depth + 1);
    closedir(d);
    (void)unlinkat(parent, name, AT_REMOVEDIR);
}

/* Does an entry u read have the top-level name `name`? */
static int is_entry_top(const fuin_unpacker *u, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < fuin_unpacker_count(u); i++) {
        const char *p = fuin_unpacker_entry(u, i)->path;
        if (strncmp(p, name, n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return 1;
    }
    return 0;
}

/* Empty the directory `path` (kept itself).  Returns how many names were
 * in it; `first` gets the first of them.  With u (may be NULL), *priv
 * says whether one was a private .fuin-unpack-* directory that is not
 * something the archive held (an archive may hold such a name). */
static int empty_dir(const char *path, char *first, size_t cap, const fuin_unpacker *u,
                     int *priv)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), n = 0;
    DIR *d;
    struct dirent *e;
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        fprintf(stderr, "fuzz_unpack: %s: %s\n", path, strerror(errno));
        abort();
    }
    if (first != NULL && cap > 0)
        first[0] = '\0';
    if (priv != NULL)
        *priv = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (priv != NULL && strncmp(e->d_name, ".fuin-unpack-", 13) == 0 &&
            (u == NULL || !is_entry_top(u, e->d_name)))
            *priv = 1;
        if (n++ == 0 && first != NULL)
            snprintf(first, cap, "%s", e->d_name);
        rm_tree_at(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return n;
}

/* Count the names in `path`; fail if any is not one of the two allowed. */
static int only_names(const char *path, const char *a, const char *b, char *bad, size_t cap)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int ok = 1;
    if (d == NULL)
        abort();
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, a) == 0 || strcmp(e->d_name, b) == 0)
            continue;
        snprintf(bad, cap, "%s", e->d_name);
        ok = 0;
    }
    closedir(d);
    return ok;
}

static void cleanup(void)
{
    if (base[0] != '\0') {
        rm_tree_at(AT_FDCWD, base, 0);
        base[0] = '\0';
    }
}

static void check_outside(const char *when)
{
    char name[512];
    if (!only_names(base, "dest", "canary", name, sizeof name)) {
        fprintf(stderr, "fuzz_unpack: %s: \"%s\" was created beside the destination\n",
                when, name);
        abort();
    }
    if (empty_dir(canary, name, sizeof name, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz_unpack: %s: \"%s\" was created in the canary directory\n",
                when, name);
        abort();
    }
}

static void setup(void)
{
    fuin_seckey *sk = NULL;
    const char *tmp = getenv("FUIN_FUZZ_TMPDIR");
    if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 4000)
        tmp = "/tmp";
    if (fuin_init() != FUIN_OK || fuin_seckey_generate(&sk, &root) != FUIN_OK)
        abort();
    fuin_seckey_free(sk);
    snprintf(base, sizeof base, "%s/fuin-fuzz-unpack-XXXXXX", tmp);
    if (mkdtemp(base) == NULL) {
        perror("fuzz_unpack: mkdtemp");
        abort();
    }
    atexit(cleanup);
    snprintf(dest, sizeof dest, "%s/dest", base);
    snprintf(canary, sizeof canary, "%s/canary", base);
    if (mkdir(dest, 0700) != 0 || mkdir(canary, 0700) != 0)
        abort();
    fuin_unpack_limits_default(&lim);
    lim.max_entries = 1000;
    lim.max_file_bytes = 1u << 20;
    lim.max_total_bytes = 4u << 20;
    verbose = getenv("FUIN_FUZZ_VERBOSE") != NULL;
}

/* ---- seeds --------------------------------------------------------------- */
typedef struct {
    FILE *f;
} file_sink;

static int to_stdio(void *ctx, const uint8_t *buf, size_t len)
{
    return fwrite(buf, 1, len, ((file_sink *)ctx)->f) == len ? 0 : -1;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

/* A package of `src` made by fuin's own packer. */
static void seed_package(const char *out, const char *src, int zstd, const fuin_seckey *sk,
                         int age)
{
    fuin_packer *p = fuin_packer_new();
    fuin_encryptor *e = NULL;
    file_sink k;
    fuin_status s;
    if (p == NULL || (k.f = fopen(out, "wb")) == NULL)
        abort();
    s = fuin_packer_add_path(p, src);
    if (s == FUIN_OK)
        s = fuin_packer_set_creator(p, "山田 花子");
    if (s == FUIN_OK && zstd)
        s = fuin_packer_set_zstd(p, 3);
    if (s == FUIN_OK && sk != NULL) {
        fuin_sigmeta meta;
        fuin_pubkey pk;
        memset(&meta, 0, sizeof meta);
        fuin_seckey_public(sk, &pk);
        snprintf(meta.signer, sizeof meta.signer, "fuzz signer");
        memcpy(meta.keyid, pk.keyid, sizeof meta.keyid);
        s = fuin_packer_set_signer(p, sk, &meta);
    }
    if (s == FUIN_OK && age) {
        /* A passphrase, not a recipient: encrypting to a recipient with a
         * label trips UBSan in lib/crypt/keys.c (fuin__stanza_write with a NULL
         * body; see fuzz/README.md).  Either way the target, which has no
         * decryptor, stops at the age header. */
        if ((e = fuin_encryptor_new()) == NULL)
            abort();
        s = fuin_encryptor_set_passphrase(e, "fuzz", 4, 2);
        if (s == FUIN_OK && age == 2)
            s = fuin_encryptor_set_armor(e, 1);
        if (s == FUIN_OK)
            s = fuin_packer_set_encryptor(p, e);
    }
    if (s == FUIN_OK)
        s = fuin_packer_write(p, to_stdio, &k);
    if (s != FUIN_OK || fclose(k.f) != 0) {
        fprintf(stderr, "fuzz_unpack: seed %s: %s (%s)\n", out, fuin_strerror(s),
                fuin_packer_errmsg(p));
        exit(1);
    }
    fuin_encryptor_free(e);
    fuin_packer_free(p);
}

/* One member of a hand-made archive. */
typedef struct {
    const char *path;
    int type;             /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR; 0: hard link */
    const char *data;     /* file contents, or link target */
    const char *label;    /* user.fuin.label xattr, or NULL */
} member;

static void seed_archive(const char *out, int zip, int filter, const member *m, size_t n,
                         int pad)
{
    struct archive *a = archive_write_new();
    struct archive_entry *ae = archive_entry_new();
    if (a == NULL || ae == NULL)
        abort();
    if (zip)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (filter == 1)
        archive_write_add_filter_gzip(a);
    else if (filter == 2)
        archive_write_add_filter_zstd(a);
    archive_write_set_bytes_per_block(a, 512);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_filename(a, out) != ARCHIVE_OK) {
        fprintf(stderr, "fuzz_unpack: seed %s: %s\n", out, archive_error_string(a));
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        archive_entry_clear(ae);
        archive_entry_set_pathname_utf8(ae, m[i].path);
        archive_entry_set_mtime(ae, 1764000000 + (time_t)i, 0);
        archive_entry_set_uid(ae, 1000);
        archive_entry_set_gid(ae, 1000);
        if (m[i].label != NULL)
            archive_entry_xattr_add_entry(ae, "user.fuin.label", m[i].label,
                                          strlen(m[i].label));
        switch (m[i].type) {
        case 0:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_hardlink_utf8(ae, m[i].data);
            archive_entry_set_size(ae, 0);
            break;
        case AE_IFDIR:
            archive_entry_set_filetype(ae, AE_IFDIR);
            archive_entry_set_perm(ae, 0755);
            break;
        case AE_IFLNK:
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_perm(ae, 0777);
            archive_entry_set_symlink_utf8(ae, m[i].data);
            break;
        case AE_IFCHR:
            archive_entry_set_filetype(ae, AE_IFCHR);
            archive_entry_set_perm(ae, 0600);
            archive_entry_set_rdev(ae, 0x0103);
            break;
        default:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0640);
            archive_entry_set_size(ae, (la_int64_t)strlen(m[i].data));
        }
        if (archive_write_header(a, ae) != ARCHIVE_OK) {
            fprintf(stderr, "fuzz_unpack: seed %s: %s\n", out, archive_error_string(a));
            exit(1);
        }
        if (m[i].type == AE_IFREG &&
            archive_write_data(a, m[i].data, strlen(m[i].data)) != (la_ssize_t)strlen(m[i].data))
            abort();
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        abort();
    archive_write_free(a);
    archive_entry_free(ae);
    if (pad) {
        /* odd length: the foreign run renames unsafe names */
        FILE *f = fopen(out, "ab");
        struct stat st;
        if (f == NULL || stat(out, &st) != 0)
            abort();
        if (st.st_size % 2 == 0)
            fputc(0, f);
        fclose(f);
    }
}

static void make_seeds(const char *dir)
{
    static const member tree[] = {
        {"d/", AE_IFDIR, NULL, "C2-I1-A1"},
        {"d/a.txt", AE_IFREG, "hello\n", "C1-I1-A1"},
        {"d/報告.txt", AE_IFREG, "本文\n", NULL},
        {"d/sub/", AE_IFDIR, NULL, NULL},
        {"d/sub/b", AE_IFREG, "b\n", NULL},
        {"d/hard", 0, "d/a.txt", NULL},
        {"d/link", AE_IFLNK, "sub/b", NULL},
        {"d/up", AE_IFLNK, "../d/a.txt", NULL},
        {"top.txt", AE_IFREG, "top\n", NULL},
    };
    static const member dotdot[] = {{"ok", AE_IFREG, "x", NULL}, {"../escape", AE_IFREG, "x", NULL}};
    static const member abs_[] = {{"/tmp/fuin-fuzz-abs", AE_IFREG, "x", NULL}};
    static const member via_link[] = {
        {"l", AE_IFLNK, "../canary", NULL}, {"l/x", AE_IFREG, "x", NULL}};
    static const member via_link2[] = {
        {"a/", AE_IFDIR, NULL, NULL}, {"a/l", AE_IFLNK, "..", NULL}, {"a/l/x", AE_IFREG, "x", NULL}};
    static const member dup_case[] = {
        {"Readme", AE_IFREG, "1", NULL}, {"README", AE_IFREG, "2", NULL}};
    static const member dup_nfc[] = {
        {"caf\xc3\xa9", AE_IFREG, "1", NULL}, {"cafe\xcc\x81", AE_IFREG, "2", NULL}};
    static const member dev[] = {{"f", AE_IFREG, "x", NULL}, {"null", AE_IFCHR, NULL, NULL}};
    static const member hard_out[] = {{"h", 0, "../etc/passwd", NULL}};
    static const member file_dir[] = {
        {"x", AE_IFREG, "x", NULL}, {"x/y", AE_IFREG, "y", NULL}};
    static const member rename_me[] = {
        {"CON", AE_IFREG, "c", NULL}, {"a:b?.txt", AE_IFREG, "q", NULL},
        {"trail. ", AE_IFREG, "t", NULL}, {"bidi\xe2\x80\xaetxt.exe", AE_IFREG, "b", NULL}};
    char path[4096], src[4096], tmpl[64];
    fuin_seckey *sk = NULL;
    /* libarchive's writer converts UTF-8 names through the locale (in the
     * "C" locale it crashes on a non-ASCII name): use C.UTF-8, as the
     * packer does */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

    if (utf8 == (locale_t)0)
        abort();
    uselocale(utf8);

    if (fuin_init() != FUIN_OK || fuin_seckey_generate(&sk, NULL) != FUIN_OK)
        abort();
    /* packages: a small tree packed by fuin itself */
    snprintf(tmpl, sizeof tmpl, "/tmp/fuin-fuzz-seed-XXXXXX");
    if (mkdtemp(tmpl) == NULL)
        abort();
    snprintf(src, sizeof src, "%s/src", tmpl);
    if (mkdir(src, 0755) != 0)
        abort();
    snprintf(path, sizeof path, "%s/sub", src);
    if (mkdir(path, 0750) != 0)
        abort();
    snprintf(path, sizeof path, "%s/README", src);
    put_file(path, "a fuin package\n");
    snprintf(path, sizeof path, "%s/[C1]note.txt", src);
    put_file(path, "labelled by its name\n");
    snprintf(path, sizeof path, "%s/sub/報告 2026.txt", src);
    put_file(path, "本文\n");
    snprintf(path, sizeof path, "%s/package.tar", dir);
    seed_package(path, src, 0, NULL, 0);
    snprintf(path, sizeof path, "%s/package.tar.zst", dir);
    seed_package(path, src, 1, NULL, 0);
    snprintf(path, sizeof path, "%s/package-signed.tar", dir);
    seed_package(path, src, 0, sk, 0);
    snprintf(path, sizeof path, "%s/package.age", dir);
    seed_package(path, src, 1, NULL, 1);
    snprintf(path, sizeof path, "%s/package.age.asc", dir);
    seed_package(path, src, 1, NULL, 2);
    rm_tree_at(AT_FDCWD, tmpl, 0);
    fuin_seckey_free(sk);

    /* foreign archives */
#define SEED(name, zip, filter, m, pad)                                  \
    do {                                                                 \
        snprintf(path, sizeof path, "%s/%s", dir, name);                 \
        seed_archive(path, zip, filter, m, sizeof m / sizeof m[0], pad); \
    } while (0)
    SEED("tree.tar", 0, 0, tree, 0);
    SEED("tree.tar.gz", 0, 1, tree, 0);
    SEED("tree.zip", 1, 0, tree, 0);
    SEED("dotdot.tar", 0, 0, dotdot, 0);
    SEED("absolute.tar", 0, 0, abs_, 0);
    SEED("via-link.tar", 0, 0, via_link, 0);
    SEED("via-link2.tar", 0, 0, via_link2, 0);
    SEED("dup-case.tar", 0, 0, dup_case, 0);
    SEED("dup-nfc.zip", 1, 0, dup_nfc, 0);
    SEED("device.tar", 0, 0, dev, 0);
    SEED("hardlink-out.tar", 0, 0, hard_out, 0);
    SEED("file-then-dir.tar", 0, 0, file_dir, 0);
    SEED("rename.tar", 0, 0, rename_me, 1);
#undef SEED
    exit(0);
}

/* ---- the target ----------------------------------------------------------- */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("FUIN_FUZZ_MAKE_SEEDS");
    (void)argc;
    (void)argv;
    if (dir != NULL)
        make_seeds(dir);
    setup();
    return 0;
}

static fuin_unpacker *unpacker(void)
{
    fuin_unpacker *u = fuin_unpacker_new();
    if (u == NULL)
        abort();
    if (fuin_unpacker_set_trust(u, &root, NULL) != FUIN_OK ||
        fuin_unpacker_set_limits(u, &lim) != FUIN_OK)
        abort();
    return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuin_unpacker *u;
    fuin_status st;
    char name[512];
    int fd, n, priv;

    fd = memfd_create("unpack", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }

    /* 1. verify only, as a fuin package */
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    u = unpacker();
    st = fuin_unpack_fd(u, fd);
    if (verbose)
        fprintf(stderr, "fuzz_unpack: verify: %s: %s\n", fuin_strerror(st),
                fuin_unpacker_errmsg(u));
    fuin_unpacker_free(u);
    if ((n = empty_dir(dest, name, sizeof name, NULL, NULL)) != 0) {
        fprintf(stderr, "fuzz_unpack: verify only: \"%s\" was written into the directory\n",
                name);
        abort();
    }
    check_outside("verify only");

    /* 2. any tar or zip, extracted into dest */
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    u = unpacker();
    if (fuin_unpacker_set_foreign(u, 1) != FUIN_OK ||
        fuin_unpacker_set_dest(u, dest) != FUIN_OK ||
        fuin_unpacker_set_rename_unsafe(u, (int)(size & 1)) != FUIN_OK)
        abort();
    st = fuin_unpack_fd(u, fd);
    if (verbose)
        fprintf(stderr, "fuzz_unpack: unpack --any%s: %s: %s\n",
                size & 1 ? " --rename-unsafe" : "", fuin_strerror(st),
                fuin_unpacker_errmsg(u));
    n = empty_dir(dest, name, sizeof name, u, &priv);
    if (empty_dir(dest, NULL, 0, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz_unpack: cannot empty %s (a harness problem)\n", dest);
        abort();
    }
    if (st != FUIN_OK && n != 0) {
        fprintf(stderr,
                "fuzz_unpack: %s (%s), but \"%s\" (of %d names) was left in the "
                "destination\n",
                fuin_strerror(st), fuin_unpacker_errmsg(u), name, n);
        abort();
    }
    if (st == FUIN_OK && priv) {
        fprintf(stderr, "fuzz_unpack: OK, but a private .fuin-unpack-* directory was left\n");
        abort();
    }
    fuin_unpacker_free(u);
    check_outside("unpack");
    close(fd);
    return 0;
}
