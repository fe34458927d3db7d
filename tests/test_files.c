/* Tests of the file helpers (fuin_encrypt_fd, fuin_decrypt_fd,
 * fuin_write_secret_file) in a fresh temporary directory: output bytes and
 * modes, refusal to overwrite, atomic replacement, no leftovers after a
 * failure, and no following of symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"

static char dir[256];
static char id[FUIN_IDENTITY_MAX], rcpt[FUIN_RECIPIENT_MAX];

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *name, const void *buf, size_t len)
{
    char p[512];
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static uint8_t *read_file(const char *name, size_t *len)
{
    char p[512];
    struct stat sb;
    uint8_t *buf;
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    buf = malloc((size_t)sb.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, (size_t)sb.st_size), (ssize_t)sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return buf;
}

static int exists(const char *name)
{
    char p[512];
    struct stat sb;
    path_of(p, sizeof p, name);
    return lstat(p, &sb) == 0;
}

static mode_t mode_of(const char *name)
{
    char p[512];
    struct stat sb;
    path_of(p, sizeof p, name);
    assert_int_equal(lstat(p, &sb), 0);
    return sb.st_mode & 07777;
}

static int open_in(const char *name)
{
    char p[512];
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

/* Names in the directory, sorted into one string "a b c". */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void listing(const char *sub, char *out, size_t cap)
{
    char p[512], *names[64];
    size_t n = 0, pos = 0;
    DIR *dh;
    struct dirent *de;
    if (sub != NULL)
        path_of(p, sizeof p, sub);
    else
        snprintf(p, sizeof p, "%s", dir);
    dh = opendir(p);
    assert_non_null(dh);
    while ((de = readdir(dh)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        assert_true(n < 64);
        names[n++] = strdup(de->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof names[0], cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + pos, cap - pos, "%s%s", i ? " " : "", names[i]);
        assert_true(w > 0 && (size_t)w < cap - pos);
        pos += (size_t)w;
        free(names[i]);
    }
}

static void remove_file(const char *name)
{
    char p[512];
    path_of(p, sizeof p, name);
    assert_int_equal(unlink(p), 0);
}

static fuin_status encrypt_file(const char *in, const char *out, unsigned flags)
{
    fuin_encryptor *e = fuin_encryptor_new();
    char p[512];
    int fd = open_in(in);
    fuin_status st;
    assert_non_null(e);
    assert_int_equal(fuin_encryptor_add_recipient(e, rcpt), FUIN_OK);
    path_of(p, sizeof p, out);
    st = fuin_encrypt_fd(e, fd, p, -1, flags);
    if (st != FUIN_OK)
        assert_string_not_equal(fuin_encryptor_errmsg(e), "no error");
    close(fd);
    fuin_encryptor_free(e);
    return st;
}

static fuin_status decrypt_file(const char *in, const char *out, unsigned flags)
{
    fuin_decryptor *d = fuin_decryptor_new();
    char p[512];
    int fd = open_in(in);
    fuin_status st;
    assert_non_null(d);
    assert_int_equal(fuin_decryptor_add_identity(d, id), FUIN_OK);
    path_of(p, sizeof p, out);
    st = fuin_decrypt_fd(d, fd, p, -1, flags);
    if (st != FUIN_OK)
        assert_string_not_equal(fuin_decryptor_errmsg(d), "no error");
    close(fd);
    fuin_decryptor_free(d);
    return st;
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    snprintf(dir, sizeof dir, "%s/fuin-test-files.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    return 0;
}

/* Empty the directory (one level of subdirectories) and remove it. */
static int teardown(void **state)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    (void)state;
    if (dh == NULL)
        return -1;
    while ((de = readdir(dh)) != NULL) {
        char p[512];
        struct stat sb;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *sh = opendir(p);
            struct dirent *se;
            while (sh != NULL && (se = readdir(sh)) != NULL) {
                char q[1024];
                if (strcmp(se->d_name, ".") == 0 || strcmp(se->d_name, "..") == 0)
                    continue;
                snprintf(q, sizeof q, "%s/%s", p, se->d_name);
                unlink(q);
            }
            if (sh != NULL)
                closedir(sh);
            rmdir(p);
        } else {
            unlink(p);
        }
    }
    closedir(dh);
    return rmdir(dir);
}

/* ------------------------------------------------------------------ */

static void test_roundtrip_files(void **state)
{
    size_t n = 3 * FUIN_CHUNK_SIZE + 17, len = 0, clen = 0;
    uint8_t *pt = malloc(n), *back, *ct;
    char names[512];
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    write_file("plain", pt, n);
    assert_int_equal(encrypt_file("plain", "plain.age", 0), FUIN_OK);
    assert_int_equal(mode_of("plain.age"), 0644);
    ct = read_file("plain.age", &clen);
    assert_memory_equal(ct, "age-encryption.org/v1\n", 22);
    /* one recipient: 168-byte header, nonce, 4 chunks with tags */
    assert_int_equal(clen, 168 + 16 + n + 4 * 16);
    free(ct);
    assert_int_equal(decrypt_file("plain.age", "back", 0), FUIN_OK);
    assert_int_equal(mode_of("back"), 0600);
    back = read_file("back", &len);
    assert_int_equal(len, n);
    assert_memory_equal(back, pt, n);
    free(back);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "back plain plain.age");

    /* a relative output path lands in the working directory */
    {
        char cwd[512];
        fuin_decryptor *d = fuin_decryptor_new();
        int fd = open_in("plain.age");
        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_int_equal(chdir(dir), 0);
        assert_int_equal(fuin_decryptor_add_identity(d, id), FUIN_OK);
        assert_int_equal(fuin_decrypt_fd(d, fd, "rel", -1, 0), FUIN_OK);
        assert_int_equal(chdir(cwd), 0);
        close(fd);
        fuin_decryptor_free(d);
        back = read_file("rel", &len);
        assert_int_equal(len, n);
        assert_memory_equal(back, pt, n);
        free(back);
        remove_file("rel");
    }

    /* out_path NULL: written to out_fd, nothing else created */
    {
        char p[512];
        fuin_decryptor *d = fuin_decryptor_new();
        int in = open_in("plain.age"), out;
        path_of(p, sizeof p, "via-fd");
        out = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(out >= 0);
        assert_int_equal(fuin_decryptor_add_identity(d, id), FUIN_OK);
        assert_int_equal(fuin_decrypt_fd(d, in, NULL, out, 0), FUIN_OK);
        close(in);
        close(out);
        fuin_decryptor_free(d);
        back = read_file("via-fd", &len);
        assert_int_equal(len, n);
        assert_memory_equal(back, pt, n);
        free(back);
        listing(NULL, names, sizeof names);
        assert_string_equal(names, "back plain plain.age via-fd");
    }
    remove_file("via-fd");
    remove_file("back");
    remove_file("plain.age");
    remove_file("plain");
    free(pt);
}

/* A pipe whose other end a child process fills with `len` bytes: reads
 * then return whatever the pipe holds, not whole chunks. */
static int pipe_from(const void *data, size_t len, pid_t *child)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    *child = fork();
    assert_true(*child >= 0);
    if (*child == 0) {
        const uint8_t *p = data;
        close(fds[0]);
        while (len > 0) {
            /* odd sizes, so reads straddle chunk boundaries */
            size_t k = len < 40000 ? len : 1 + randombytes_uniform(40000);
            ssize_t w = write(fds[1], p, k);
            if (w <= 0)
                _exit(1);
            p += w;
            len -= (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static void reap(pid_t child)
{
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Several batches (2 MiB each) through files and pipes, both encodings:
 * the file helpers read straight into the STREAM slots. */
static void test_large_files(void **state)
{
    size_t n = 5 * 1024 * 1024 + 3, len = 0, clen = 0;
    uint8_t *pt = malloc(n), *back, *ct;
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    write_file("big", pt, n);
    for (int armor = 0; armor <= 1; armor++) {
        for (int via_pipe = 0; via_pipe <= 1; via_pipe++) {
            fuin_encryptor *e = fuin_encryptor_new();
            fuin_decryptor *d = fuin_decryptor_new();
            char p[512];
            pid_t child = 0;
            int fd;
            assert_int_equal(fuin_encryptor_add_recipient(e, rcpt), FUIN_OK);
            assert_int_equal(fuin_encryptor_set_armor(e, armor), FUIN_OK);
            fd = via_pipe ? pipe_from(pt, n, &child) : open_in("big");
            path_of(p, sizeof p, "big.age");
            assert_int_equal(fuin_encrypt_fd(e, fd, p, -1, 0), FUIN_OK);
            close(fd);
            if (via_pipe)
                reap(child);
            fuin_encryptor_free(e);
            ct = read_file("big.age", &clen);
            if (!armor)
                assert_int_equal(clen, 168 + 16 + n + 81 * 16);
            else
                assert_memory_equal(ct, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35);

            fd = via_pipe ? pipe_from(ct, clen, &child) : open_in("big.age");
            path_of(p, sizeof p, "big.out");
            assert_int_equal(fuin_decryptor_add_identity(d, id), FUIN_OK);
            assert_int_equal(fuin_decrypt_fd(d, fd, p, -1, 0), FUIN_OK);
            assert_int_equal(fuin_decryptor_plaintext_bytes(d), n);
            close(fd);
            if (via_pipe)
                reap(child);
            fuin_decryptor_free(d);
            back = read_file("big.out", &len);
            assert_int_equal(len, n);
            assert_memory_equal(back, pt, n);
            free(back);
            remove_file("big.out");

            /* cut at a batch boundary (32 chunks), through the same path */
            if (!armor) {
                size_t cut = 168 + 16 + 32 * (FUIN_CHUNK_SIZE + 16);
                write_file("cut.age", ct, cut);
                d = fuin_decryptor_new();
                fd = via_pipe ? pipe_from(ct, cut, &child) : open_in("cut.age");
                assert_int_equal(fuin_decryptor_add_identity(d, id), FUIN_OK);
                assert_int_equal(fuin_decrypt_fd(d, fd, p, -1, 0), FUIN_E_PAYLOAD);
                assert_int_equal(fuin_decryptor_plaintext_bytes(d), 32 * FUIN_CHUNK_SIZE);
                close(fd);
                if (via_pipe)
                    reap(child);
                fuin_decryptor_free(d);
                assert_false(exists("big.out"));
                remove_file("cut.age");
            }
            free(ct);
            remove_file("big.age");
        }
    }
    {
        char names[512];
        listing(NULL, names, sizeof names);
        assert_string_equal(names, "big");
    }
    remove_file("big");
    free(pt);
}

static void test_exists_and_force(void **state)
{
    static const char old[] = "old contents\n";
    uint8_t pt[1000], *got;
    size_t len = 0;
    char names[512];
    (void)state;
    randombytes_buf(pt, sizeof pt);
    write_file("in", pt, sizeof pt);
    assert_int_equal(encrypt_file("in", "in.age", 0), FUIN_OK);

    write_file("out", old, strlen(old));
    assert_int_equal(decrypt_file("in.age", "out", 0), FUIN_E_EXISTS);
    got = read_file("out", &len);
    assert_int_equal(len, strlen(old));
    assert_memory_equal(got, old, len);
    free(got);
    assert_int_equal(mode_of("out"), 0644);
    assert_int_equal(encrypt_file("in", "out", 0), FUIN_E_EXISTS);
    got = read_file("out", &len);
    assert_int_equal(len, strlen(old));
    free(got);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "in in.age out");

    /* forced: replaced, and the new file has the decrypt mode */
    assert_int_equal(decrypt_file("in.age", "out", FUIN_F_FORCE), FUIN_OK);
    got = read_file("out", &len);
    assert_int_equal(len, sizeof pt);
    assert_memory_equal(got, pt, len);
    free(got);
    assert_int_equal(mode_of("out"), 0600);
    assert_int_equal(encrypt_file("in", "out", FUIN_F_FORCE), FUIN_OK);
    got = read_file("out", &len);
    assert_int_equal(len, 168 + 16 + sizeof pt + 16);
    free(got);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "in in.age out");

    /* a symlink at the output path: refused, and when forced the link
     * itself is replaced, never its target */
    {
        char target[512], link_path[512];
        struct stat sb;
        write_file("target", old, strlen(old));
        path_of(target, sizeof target, "target");
        path_of(link_path, sizeof link_path, "link");
        assert_int_equal(symlink(target, link_path), 0);
        assert_int_equal(decrypt_file("in.age", "link", 0), FUIN_E_EXISTS);
        assert_int_equal(decrypt_file("in.age", "link", FUIN_F_FORCE), FUIN_OK);
        assert_int_equal(lstat(link_path, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
        got = read_file("target", &len);
        assert_int_equal(len, strlen(old));
        assert_memory_equal(got, old, len);
        free(got);
        got = read_file("link", &len);
        assert_int_equal(len, sizeof pt);
        free(got);
        remove_file("link");
        remove_file("target");
    }
    /* a dangling symlink also counts as existing */
    {
        char link_path[512], target[512];
        path_of(link_path, sizeof link_path, "dangling");
        path_of(target, sizeof target, "nowhere");
        assert_int_equal(symlink(target, link_path), 0);
        assert_int_equal(decrypt_file("in.age", "dangling", 0), FUIN_E_EXISTS);
        assert_false(exists("nowhere"));
        remove_file("dangling");
    }
    /* the output is a directory */
    {
        char p[512];
        path_of(p, sizeof p, "adir");
        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(decrypt_file("in.age", "adir", FUIN_F_FORCE), FUIN_E_IO);
        /* a directory is never an output, --force or not */
        assert_int_equal(decrypt_file("in.age", "adir", 0), FUIN_E_IO);
        listing("adir", names, sizeof names);
        assert_string_equal(names, "");
        assert_int_equal(rmdir(p), 0);
    }
    remove_file("out");
    remove_file("in.age");
    remove_file("in");
}

static void test_tampered_leaves_nothing(void **state)
{
    size_t n = 2 * FUIN_CHUNK_SIZE + 5, clen = 0;
    uint8_t *pt = malloc(n), *ct;
    char names[512];
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    write_file("p", pt, n);
    assert_int_equal(encrypt_file("p", "p.age", 0), FUIN_OK);
    ct = read_file("p.age", &clen);

    /* last chunk changed: the first two chunks did authenticate and were
     * written to the temporary file, which must go away */
    ct[clen - 1] ^= 0x40;
    write_file("bad.age", ct, clen);
    assert_int_equal(decrypt_file("bad.age", "out", 0), FUIN_E_PAYLOAD);
    assert_false(exists("out"));
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "bad.age p p.age");
    /* forced over an existing file: the old file stays as it was */
    write_file("out", "keep", 4);
    assert_int_equal(decrypt_file("bad.age", "out", FUIN_F_FORCE), FUIN_E_PAYLOAD);
    {
        size_t len = 0;
        uint8_t *got = read_file("out", &len);
        assert_int_equal(len, 4);
        assert_memory_equal(got, "keep", 4);
        free(got);
    }
    remove_file("out");
    ct[clen - 1] ^= 0x40;

    /* truncated */
    write_file("bad.age", ct, clen - 100);
    assert_int_equal(decrypt_file("bad.age", "out", 0), FUIN_E_PAYLOAD);
    assert_false(exists("out"));
    /* wrong key: fails before any plaintext */
    {
        fuin_decryptor *d = fuin_decryptor_new();
        char other_id[FUIN_IDENTITY_MAX], other_r[FUIN_RECIPIENT_MAX], p[512];
        int fd = open_in("p.age");
        assert_int_equal(fuin_keygen(other_id, sizeof other_id, other_r, sizeof other_r),
                         FUIN_OK);
        assert_int_equal(fuin_decryptor_add_identity(d, other_id), FUIN_OK);
        path_of(p, sizeof p, "out");
        assert_int_equal(fuin_decrypt_fd(d, fd, p, -1, 0), FUIN_E_NO_MATCH);
        assert_string_equal(fuin_decryptor_errmsg(d), "no identity matched a recipient");
        close(fd);
        fuin_decryptor_free(d);
    }
    /* not an age file at all */
    write_file("bad.age", "hello\n", 6);
    assert_int_equal(decrypt_file("bad.age", "out", 0), FUIN_E_HEADER);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "bad.age p p.age");

    /* a read error on the input (a directory fd) */
    {
        fuin_encryptor *e = fuin_encryptor_new();
        char p[512];
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fuin_encryptor_add_recipient(e, rcpt), FUIN_OK);
        path_of(p, sizeof p, "out");
        assert_int_equal(fuin_encrypt_fd(e, fd, p, -1, 0), FUIN_E_IO);
        assert_non_null(strstr(fuin_encryptor_errmsg(e), "read failed"));
        close(fd);
        fuin_encryptor_free(e);
    }
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "bad.age p p.age");
    free(ct);
    free(pt);
    remove_file("bad.age");
    remove_file("p.age");
    remove_file("p");
}

static void test_missing_dir(void **state)
{
    fuin_encryptor *e = fuin_encryptor_new();
    char p[512], names[512];
    int fd;
    (void)state;
    write_file("x", "data", 4);
    fd = open_in("x");
    assert_int_equal(fuin_encryptor_add_recipient(e, rcpt), FUIN_OK);
    path_of(p, sizeof p, "no/such/dir/x.age");
    assert_int_equal(fuin_encrypt_fd(e, fd, p, -1, 0), FUIN_E_IO);
    assert_non_null(strstr(fuin_encryptor_errmsg(e), "cannot create output"));
    close(fd);
    fuin_encryptor_free(e);
    assert_int_equal(decrypt_file("x", "no/x", 0), FUIN_E_IO);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "x");
    remove_file("x");
}

static void test_secret_file(void **state)
{
    static const char secret[] = "AGE-SECRET-KEY-1TEST\n";
    char p[512], target[512], names[512];
    size_t len = 0;
    uint8_t *got;
    mode_t old = umask(0);
    (void)state;
    /* 0600 even when the umask would allow more */
    path_of(p, sizeof p, "key.txt");
    assert_int_equal(fuin_write_secret_file(p, secret, strlen(secret)), FUIN_OK);
    umask(old);
    assert_int_equal(mode_of("key.txt"), 0600);
    got = read_file("key.txt", &len);
    assert_int_equal(len, strlen(secret));
    assert_memory_equal(got, secret, len);
    free(got);

    /* an existing file is left alone */
    assert_int_equal(fuin_write_secret_file(p, "other", 5), FUIN_E_EXISTS);
    got = read_file("key.txt", &len);
    assert_int_equal(len, strlen(secret));
    assert_memory_equal(got, secret, len);
    free(got);

    /* a dangling symlink is not followed: its target is not created */
    path_of(p, sizeof p, "link.txt");
    path_of(target, sizeof target, "target.txt");
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(fuin_write_secret_file(p, secret, strlen(secret)), FUIN_E_EXISTS);
    assert_false(exists("target.txt"));
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "key.txt link.txt");
    remove_file("link.txt");

    /* a symlink to an existing file: the file is not touched */
    path_of(target, sizeof target, "key.txt");
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(fuin_write_secret_file(p, "x", 1), FUIN_E_EXISTS);
    got = read_file("key.txt", &len);
    assert_int_equal(len, strlen(secret));
    free(got);
    remove_file("link.txt");

    /* missing directory; empty content is fine */
    path_of(p, sizeof p, "none/key.txt");
    assert_int_equal(fuin_write_secret_file(p, secret, 1), FUIN_E_IO);
    path_of(p, sizeof p, "empty.txt");
    assert_int_equal(fuin_write_secret_file(p, NULL, 0), FUIN_OK);
    assert_int_equal(mode_of("empty.txt"), 0600);
    assert_int_equal(fuin_write_secret_file(NULL, secret, 1), FUIN_E_INVALID);
    assert_int_equal(fuin_write_secret_file(p, NULL, 1), FUIN_E_INVALID);
    listing(NULL, names, sizeof names);
    assert_string_equal(names, "empty.txt key.txt");
    remove_file("empty.txt");
    remove_file("key.txt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exists_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    /* fixed umask, so the expected modes are exact */
    umask(022);
    if (fuin_keygen(id, sizeof id, rcpt, sizeof rcpt) != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
