/* Tests of file wipes (fuin_wipe_file) and target probing of files, in a
 * fresh temporary directory.  Device wipes are in test_wipe_device.c (root
 * and loop devices needed), device erase commands in test_sanitize.c. */
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
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"
#include "fuin/wipe.h"

#define CANARY "FUIN-CANARY-7f3a"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* A file of `len` bytes: random filler with the canary every 1000 bytes. */
static void make_file(const char *name, size_t len)
{
    char p[512];
    uint8_t *b = malloc(len ? len : 1);
    int fd;
    assert_non_null(b);
    randombytes_buf(b, len);
    for (size_t off = 0; off + sizeof CANARY - 1 <= len; off += 1000)
        memcpy(b + off, CANARY, sizeof CANARY - 1);
    path_of(p, sizeof p, name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    assert_int_equal(fsync(fd), 0);
    close(fd);
    free(b);
}

static uint8_t *read_all(const char *name, size_t *len)
{
    char p[512];
    struct stat st;
    uint8_t *b;
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    b = malloc((size_t)st.st_size + 1);
    assert_non_null(b);
    assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return b;
}

static int exists(const char *name)
{
    char p[512];
    struct stat st;
    path_of(p, sizeof p, name);
    return lstat(p, &st) == 0;
}

static size_t count_entries(const char *sub)
{
    char p[512];
    DIR *d;
    struct dirent *e;
    size_t n = 0;
    path_of(p, sizeof p, sub);
    d = opendir(p);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static uint64_t blksize_round(const char *name, uint64_t size)
{
    char p[512];
    struct stat st;
    path_of(p, sizeof p, name);
    assert_int_equal(stat(p, &st), 0);
    return (size + (uint64_t)st.st_blksize - 1) / (uint64_t)st.st_blksize *
           (uint64_t)st.st_blksize;
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    snprintf(dir, sizeof dir, "%s/fuin-wipe-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(fuin_wipe_pattern_name(FUIN_WIPE_ZERO), "zero");
    assert_string_equal(fuin_wipe_pattern_name(FUIN_WIPE_RANDOM), "random");
    assert_null(fuin_wipe_pattern_name((fuin_wipe_pattern)99));
    assert_string_equal(fuin_wipe_category_name(FUIN_WIPE_CLEAR), "Clear");
    assert_string_equal(fuin_wipe_category_name(FUIN_WIPE_PURGE), "Purge");
    assert_string_equal(fuin_wipe_category_name(FUIN_WIPE_DESTROY), "Destroy");
    assert_string_equal(fuin_wipe_verify_name(FUIN_WIPE_VERIFY_SAMPLE),
                        "sample");
    assert_string_equal(fuin_wipe_verify_name(FUIN_WIPE_VERIFY_NONE), "none");
    assert_string_equal(fuin_wipe_verify_name(FUIN_WIPE_VERIFY_FULL), "full");
}

static void test_keep_zero_every_byte(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    size_t len;
    uint8_t *b;
    uint64_t rs;
    (void)state;
    make_file("a", 10000);
    rs = blksize_round("a", 10000);
    path_of(p, sizeof p, "a");
    fuin_wipe_options_init(&o);
    o.pattern = FUIN_WIPE_ZERO;
    o.flags = FUIN_WIPE_F_KEEP_FILE;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.kind, FUIN_WIPE_KIND_FILE);
    assert_int_equal(r.category, FUIN_WIPE_CLEAR);
    assert_int_equal(r.pattern, FUIN_WIPE_ZERO);
    assert_int_equal(r.passes, 1);
    assert_int_equal(r.files_wiped, 1);
    assert_int_equal(r.files_failed, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.fail_offset, -1);
    assert_int_equal(r.bytes_written, rs);
    assert_int_equal(r.bytes_verified, rs);
    assert_true(r.end_time >= r.start_time && r.start_time > 1700000000);
    assert_string_equal(r.message, "");
    assert_non_null(r.caveat);
    assert_string_equal(r.caveat,
                        "file wipe is best-effort on copy-on-write, journaling "
                        "and flash storage; old copies of the data may remain "
                        "elsewhere on the medium");
    b = read_all("a", &len);
    assert_int_equal(len, 10000); /* size kept, rounding undone */
    for (size_t i = 0; i < len; i++)
        assert_int_equal(b[i], 0);
    free(b);
}

static void test_keep_random_multipass(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    size_t len, zeros = 0;
    uint8_t *b;
    uint64_t rs;
    (void)state;
    make_file("a", 300000);
    rs = blksize_round("a", 300000);
    path_of(p, sizeof p, "a");
    fuin_wipe_options_init(&o);
    assert_int_equal(o.pattern, FUIN_WIPE_RANDOM); /* the default */
    o.passes = 3;
    o.flags = FUIN_WIPE_F_KEEP_FILE;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.passes, 3);
    assert_int_equal(r.bytes_written, 3 * rs);
    assert_int_equal(r.bytes_verified, rs);
    b = read_all("a", &len);
    assert_int_equal(len, 300000);
    assert_null(memmem(b, len, CANARY, sizeof CANARY - 1));
    for (size_t i = 0; i < len; i++)
        zeros += b[i] == 0;
    /* A keystream has about len/256 zero bytes, far from all. */
    assert_true(zeros < len / 64);
    free(b);
}

typedef struct {
    int fd;          /* the file, opened before the wipe */
    size_t len;
    int checked;
    int tamper_at;   /* >= 0: corrupt this byte when verification starts */
    int cancel;      /* cancel at the first write progress */
} probe_ctx;

static int on_progress(void *ctx, fuin_wipe_phase ph, unsigned pass,
                       uint64_t done, uint64_t total)
{
    probe_ctx *c = ctx;
    (void)pass;
    (void)total;
    if (c->cancel && ph == FUIN_WIPE_PHASE_WRITE)
        return 1;
    if (ph == FUIN_WIPE_PHASE_VERIFY && done == 0) {
        if (c->tamper_at >= 0) {
            uint8_t x = 0xAA;
            if (pwrite(c->fd, &x, 1, c->tamper_at) != 1)
                return 1;
        } else {
            /* The data blocks hold the pattern before truncate/unlink. */
            uint8_t *b = malloc(c->len);
            if (b == NULL || pread(c->fd, b, c->len, 0) != (ssize_t)c->len) {
                free(b);
                return 1;
            }
            c->checked = 1;
            for (size_t i = 0; i < c->len; i++)
                if (b[i] != 0)
                    c->checked = -1;
            free(b);
        }
    }
    return 0;
}

static void test_wipe_removes_file(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    probe_ctx c = {0};
    struct stat st;
    (void)state;
    make_file("secret.txt", 5000);
    path_of(p, sizeof p, "secret.txt");
    c.fd = open(p, O_RDWR | O_CLOEXEC);
    assert_true(c.fd >= 0);
    c.len = 5000;
    c.tamper_at = -1;
    fuin_wipe_options_init(&o);
    o.pattern = FUIN_WIPE_ZERO;
    o.progress = on_progress;
    o.progress_ctx = &c;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(c.checked, 1);
    assert_false(exists("secret.txt"));
    assert_int_equal(count_entries("."), 0); /* no renamed leftover */
    assert_int_equal(fstat(c.fd, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    assert_int_equal(st.st_size, 0);
    close(c.fd);
}

static void test_verify_mismatch_fails(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    probe_ctx c = {0};
    size_t len;
    uint8_t *b;
    (void)state;
    make_file("v", 20000);
    path_of(p, sizeof p, "v");
    c.fd = open(p, O_RDWR | O_CLOEXEC);
    assert_true(c.fd >= 0);
    c.len = 20000;
    c.tamper_at = 12345;
    fuin_wipe_options_init(&o);
    o.progress = on_progress;
    o.progress_ctx = &c;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_IO);
    close(c.fd);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.errors, 1);
    assert_int_equal(r.files_failed, 1);
    assert_int_equal(r.files_wiped, 0);
    assert_int_equal(r.fail_offset, 12345);
    assert_non_null(strstr(r.message, "verification mismatch at byte 12345"));
    assert_int_equal(r.bytes_verified, 12345); /* what matched before it */
    /* A failed wipe leaves the file for the operator to see. */
    assert_true(exists("v"));
    b = read_all("v", &len);
    assert_null(memmem(b, len, CANARY, sizeof CANARY - 1));
    free(b);
}

static void test_cancel(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    probe_ctx c = {0};
    (void)state;
    make_file("c", 4096);
    path_of(p, sizeof p, "c");
    c.cancel = 1;
    c.tamper_at = -1;
    fuin_wipe_options_init(&o);
    o.progress = on_progress;
    o.progress_ctx = &c;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.cancelled, 1);
    assert_int_equal(r.bytes_written, 0);
    assert_non_null(strstr(r.message, "cancelled"));
    assert_true(exists("c"));
}

static void test_sample_verification(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512];
    (void)state;
    make_file("big", 10u << 20);
    path_of(p, sizeof p, "big");
    fuin_wipe_options_init(&o);
    o.verify = FUIN_WIPE_VERIFY_SAMPLE;
    o.sample_pct = 25; /* ceil(10 * 25%) = 3 blocks of 1 MiB */
    o.flags = FUIN_WIPE_F_KEEP_FILE;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.verify, FUIN_WIPE_VERIFY_SAMPLE);
    assert_int_equal(r.sample_pct, 25);
    assert_int_equal(r.bytes_written, 10u << 20);
    assert_int_equal(r.bytes_verified, 3u << 20);

    o.verify = FUIN_WIPE_VERIFY_NONE;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.bytes_verified, 0);
    assert_int_equal(r.success, 1);
}

static void test_hard_links(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char a[512], b[512];
    size_t len;
    uint8_t *buf;
    struct stat st;
    (void)state;
    make_file("a", 3000);
    path_of(a, sizeof a, "a");
    path_of(b, sizeof b, "b");
    assert_int_equal(link(a, b), 0);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_file(a, &o, &r), FUIN_E_POLICY);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.files_failed, 1);
    assert_int_equal(r.bytes_written, 0);
    assert_non_null(strstr(r.message, "refused: it has 2 hard links"));
    buf = read_all("a", &len); /* untouched */
    assert_int_equal(len, 3000);
    assert_memory_equal(buf, CANARY, sizeof CANARY - 1);
    free(buf);

    o.flags = FUIN_WIPE_F_FORCE_LINKS;
    assert_int_equal(fuin_wipe_file(a, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_false(exists("a"));
    /* The other name now points at an emptied inode. */
    assert_int_equal(stat(b, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_nlink, 1);
}

static void test_directory(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512], outside[512], target[600];
    size_t len;
    uint8_t *b;
    (void)state;
    path_of(p, sizeof p, "d");
    assert_int_equal(mkdir(p, 0700), 0);
    path_of(p, sizeof p, "d/sub");
    assert_int_equal(mkdir(p, 0700), 0);
    path_of(p, sizeof p, "d/sub/deeper");
    assert_int_equal(mkdir(p, 0700), 0);
    make_file("d/x", 100);
    make_file("d/sub/y", 70000);
    make_file("d/sub/deeper/z", 0);
    make_file("outside", 2000);
    path_of(outside, sizeof outside, "outside");
    path_of(p, sizeof p, "d/link");
    assert_int_equal(symlink(outside, p), 0);
    path_of(p, sizeof p, "d/sub/dirlink");
    snprintf(target, sizeof target, "%s", dir);
    assert_int_equal(symlink(target, p), 0);

    path_of(p, sizeof p, "d");
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.kind, FUIN_WIPE_KIND_DIR);
    assert_int_equal(r.files_wiped, 3);
    assert_int_equal(r.files_failed, 0);
    assert_int_equal(r.files_skipped, 2); /* the two symlinks */
    assert_string_equal(r.caveat, FUIN_WIPE_FILE_CAVEAT);
    assert_false(exists("d/x"));
    assert_false(exists("d/sub/y"));
    assert_false(exists("d/sub/deeper/z"));
    assert_int_equal(count_entries("d"), 2);   /* sub, link */
    assert_int_equal(count_entries("d/sub"), 2); /* deeper, dirlink */
    assert_int_equal(count_entries("d/sub/deeper"), 0);
    /* Symlinks were not followed. */
    b = read_all("outside", &len);
    assert_int_equal(len, 2000);
    assert_memory_equal(b, CANARY, sizeof CANARY - 1);
    free(b);
    assert_true(exists("outside"));
}

static void test_refusals_and_options(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char p[512], l[512];
    (void)state;
    make_file("f", 100);
    path_of(p, sizeof p, "f");
    path_of(l, sizeof l, "lnk");
    assert_int_equal(symlink(p, l), 0);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_file(l, &o, &r), FUIN_E_INVALID);
    assert_non_null(strstr(r.message, "symbolic links are not followed"));
    assert_true(exists("f"));

    o.passes = 0;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_INVALID);
    o.passes = 65;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_INVALID);
    o.passes = 1;
    o.verify = FUIN_WIPE_VERIFY_SAMPLE;
    o.sample_pct = 0;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_INVALID);
    o.sample_pct = 101;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_INVALID);
    o.verify = FUIN_WIPE_VERIFY_FULL;
    o.pattern = (fuin_wipe_pattern)7;
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_INVALID);
    assert_int_equal(r.success, 0);
    assert_true(exists("f"));

    path_of(p, sizeof p, "missing");
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_file(p, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);

    /* Device wipes refuse what is not a block device. */
    path_of(p, sizeof p, "f");
    assert_int_equal(fuin_wipe_device(p, &o, &r), FUIN_E_INVALID);
    assert_non_null(strstr(r.message, "not a block device"));
    assert_true(exists("f"));
}

static void test_probe_files(void **state)
{
    fuin_wipe_target t;
    char p[512], q[512], err[512];
    (void)state;
    make_file("f", 1234);
    path_of(p, sizeof p, "f");
    assert_int_equal(fuin_wipe_target_probe(p, &t, err, sizeof err), FUIN_OK);
    assert_int_equal(t.kind, FUIN_WIPE_KIND_FILE);
    assert_int_equal(t.size_bytes, 1234);
    assert_int_equal(t.nlink, 1);
    assert_int_equal(t.refused, 0);
    path_of(q, sizeof q, "g");
    assert_int_equal(link(p, q), 0);
    assert_int_equal(fuin_wipe_target_probe(p, &t, err, sizeof err), FUIN_OK);
    assert_int_equal(t.nlink, 2);
    assert_int_equal(fuin_wipe_target_probe(dir, &t, err, sizeof err), FUIN_OK);
    assert_int_equal(t.kind, FUIN_WIPE_KIND_DIR);
    path_of(q, sizeof q, "sl");
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(fuin_wipe_target_probe(q, &t, err, sizeof err),
                     FUIN_E_INVALID);
    assert_non_null(strstr(err, "symbolic link"));
    path_of(q, sizeof q, "nope");
    assert_int_equal(fuin_wipe_target_probe(q, &t, err, sizeof err), FUIN_E_IO);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(fuin_wipe_target_probe("/dev/null", &t, err, sizeof err),
                     FUIN_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_keep_zero_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_random_multipass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_removes_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_mismatch_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hard_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_files, setup, teardown),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
