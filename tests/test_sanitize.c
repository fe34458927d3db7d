/* Tests of the device sanitize commands (lib/wipe/sanitize.c): names and
 * categories, the argument vectors and their shell text, the output
 * parsers, and probing and running through the fake tools of tests/shim/
 * (copied into a temporary directory and given as tool_dir), with a fake
 * sysfs tree.  No real device is touched: the fake tools log their
 * arguments and print canned output from tests/shim/data/. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include "fuin.h"
#include "internal.h"

static char srcdir[4096];
static char tmp[256], tools[512], sysroot[512];

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const char *data, size_t len,
                       mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

/* Whole file, NUL-terminated; NULL if it does not exist. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    if (f == NULL) {
        assert_int_equal(errno, ENOENT);
        return NULL;
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return b;
}

static char *src_file(const char *rel, size_t *len)
{
    char p[4608];
    char *b;
    snprintf(p, sizeof p, "%s/%s", srcdir, rel);
    b = read_file(p, len);
    if (b == NULL)
        fail_msg("missing %s", p);
    return b;
}

static void find_srcdir(void)
{
    const char *e = getenv("FUIN_SOURCE_DIR");
    if (e != NULL && e[0] != '\0') {
        snprintf(srcdir, sizeof srcdir, "%s", e);
    } else {
        /* Built by CMake, __FILE__ is absolute: <src>/tests/test_sanitize.c */
        char *s;
        snprintf(srcdir, sizeof srcdir, "%s", __FILE__);
        s = strrchr(srcdir, '/');
        if (s != NULL)
            *s = '\0';
        s = strrchr(srcdir, '/');
        if (s != NULL)
            *s = '\0';
    }
}

/* resp/KEY.out, resp/KEY.N.err, ... for the fake tools (n == 0: every
 * call). */
static void respond(const char *key, int n, const char *suffix,
                    const char *text)
{
    char p[1024];
    if (n > 0)
        snprintf(p, sizeof p, "%s/resp/%s.%d.%s", tools, key, n, suffix);
    else
        snprintf(p, sizeof p, "%s/resp/%s.%s", tools, key, suffix);
    write_file(p, text, strlen(text), 0644);
}

static void respond_data(const char *key, int n, const char *suffix,
                         const char *data)
{
    char rel[256];
    char *b;
    snprintf(rel, sizeof rel, "tests/shim/data/%s", data);
    b = src_file(rel, NULL);
    respond(key, n, suffix, b);
    free(b);
}

static char *calls(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/calls.log", tools);
    return read_file(p, NULL);
}

static void assert_calls(const char *want)
{
    char *got = calls();
    if (want == NULL) {
        if (got != NULL)
            fail_msg("expected no tool to run, got:\n%s", got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void reset_calls(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/calls.log", tools);
    assert_true(unlink(p) == 0 || errno == ENOENT);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void mkdir_p(const char *path)
{
    char b[1024];
    snprintf(b, sizeof b, "%s", path);
    for (char *s = b + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            assert_true(mkdir(b, 0755) == 0 || errno == EEXIST);
            *s = '/';
        }
    }
    assert_true(mkdir(b, 0755) == 0 || errno == EEXIST);
}

/* <sys>/block/<rel> -> target (a symbolic link, as in sysfs). */
static void sys_link(const char *rel, const char *target)
{
    char p[1024], d[1024], *s;
    snprintf(p, sizeof p, "%s/block/%s", sysroot, rel);
    snprintf(d, sizeof d, "%s", p);
    s = strrchr(d, '/');
    *s = '\0';
    mkdir_p(d);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
    static const char *const shims[] = {"nvme", "hdparm", "blkdiscard",
                                        "respond.sh"};
    char p[1024];
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/fuin-sanitize.XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return -1;
    snprintf(tools, sizeof tools, "%s/tools", tmp);
    snprintf(sysroot, sizeof sysroot, "%s/sys", tmp);
    snprintf(p, sizeof p, "%s/resp", tools);
    mkdir_p(p);
    snprintf(p, sizeof p, "%s/block", sysroot);
    mkdir_p(p);
    for (size_t i = 0; i < sizeof shims / sizeof shims[0]; i++) {
        char rel[64];
        size_t n;
        char *b;
        snprintf(rel, sizeof rel, "tests/shim/%s", shims[i]);
        b = src_file(rel, &n);
        snprintf(p, sizeof p, "%s/%s", tools, shims[i]);
        write_file(p, b, n, 0755);
        free(b);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- fixtures --------------------------------------------------------- */

static void opts(fuin_sanitize_options *o)
{
    fuin_sanitize_options_init(o);
    o->tool_dir = tools;
    o->sysfs_root = sysroot;
    o->poll_interval_ms = 1;
    o->max_polls = 10;
}

static fuin_wipe_target target(const char *path, const char *name,
                               const char *transport, int rotational)
{
    fuin_wipe_target t;
    memset(&t, 0, sizeof t);
    t.kind = FUIN_WIPE_KIND_DEVICE;
    snprintf(t.path, sizeof t.path, "%s", path);
    snprintf(t.name, sizeof t.name, "%s", name);
    snprintf(t.disk, sizeof t.disk, "%s", name);
    snprintf(t.transport, sizeof t.transport, "%s", transport);
    t.rotational = rotational;
    t.removable = 0;
    t.read_only = 0;
    t.secure_discard = -1;
    t.size_bytes = 512110190592ull;
    return t;
}

#define ATA_DEV "/dev/disk/by-id/ata-FUIN Test's SSD"

static fuin_wipe_target ata_target(void)
{
    return target(ATA_DEV, "sdz", "ata", 0);
}

/* nvme0n1 whose controller is nvme3: the numbers differ on purpose. */
static fuin_wipe_target nvme_target(void)
{
    sys_link("nvme0n1/device", "../../devices/pci0000:00/nvme/nvme3");
    return target("/dev/nvme0n1", "nvme0n1", "nvme", 0);
}

typedef struct {
    int calls;
    fuin_sanitize_kind step[64];
    int pct[64];
    /* Return 1 once a call reports this step and percent (heartbeats
     * during a running command report the running step, percent -1). */
    int cancel;
    fuin_sanitize_kind cancel_step;
    int cancel_pct;
} progress_log;

static int on_progress(void *ctx, fuin_sanitize_kind step, int pct)
{
    progress_log *p = ctx;
    if (p->calls < 64) {
        p->step[p->calls] = step;
        p->pct[p->calls] = pct;
    }
    p->calls++;
    return p->cancel && step == p->cancel_step && pct == p->cancel_pct;
}

static int saw_pct(const progress_log *p, fuin_sanitize_kind step, int pct)
{
    for (int i = 0; i < p->calls && i < 64; i++)
        if (p->step[i] == step && p->pct[i] == pct)
            return 1;
    return 0;
}

/* ---- names and categories --------------------------------------------- */

static void test_names(void **state)
{
    static const char *const want[] = {
        "nvme-sanitize-crypto", "nvme-sanitize-block", "nvme-sanitize-overwrite",
        "nvme-format-crypto", "nvme-format-user", "ata-sanitize-crypto",
        "ata-sanitize-block", "ata-sanitize-overwrite", "ata-security-erase",
        "ata-security-erase-enhanced", "secure-discard"};
    size_t n = 0;
    const fuin_sanitize_kind *m = fuin_sanitize_methods(&n);
    (void)state;
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(fuin_sanitize_kind_name(m[i]), want[i]);
        assert_int_equal(fuin_sanitize_kind_from_name(want[i]), m[i]);
        assert_int_equal(fuin_sanitize_is_method(m[i]), 1);
    }
    assert_int_equal(fuin_sanitize_kind_from_name("nvme-sanitize-crypto"),
                     FUIN_SANITIZE_NVME_CRYPTO_ERASE);
    assert_int_equal(fuin_sanitize_kind_from_name("secure-discard"),
                     FUIN_SANITIZE_BLKDISCARD_SECURE);
    assert_int_equal(fuin_sanitize_kind_from_name("ata-security-erase-enhanced"),
                     FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED);
    /* Steps have names but are not methods. */
    assert_string_equal(fuin_sanitize_kind_name(FUIN_SANITIZE_NVME_SANITIZE_LOG),
                        "nvme-sanitize-log");
    assert_string_equal(fuin_sanitize_kind_name(FUIN_SANITIZE_ATA_SET_PASSWORD),
                        "ata-security-set-pass");
    assert_int_equal(fuin_sanitize_kind_from_name("nvme-sanitize-log"), 0);
    assert_int_equal(fuin_sanitize_kind_from_name("ata-security-set-pass"), 0);
    assert_int_equal(fuin_sanitize_is_method(FUIN_SANITIZE_ATA_IDENTIFY), 0);
    assert_int_equal(fuin_sanitize_kind_from_name("NVME-SANITIZE-CRYPTO"), 0);
    assert_int_equal(fuin_sanitize_kind_from_name("nvme-sanitize"), 0);
    assert_int_equal(fuin_sanitize_kind_from_name(""), 0);
    assert_int_equal(fuin_sanitize_kind_from_name(NULL), 0);
    assert_null(fuin_sanitize_kind_name((fuin_sanitize_kind)0));
    assert_null(fuin_sanitize_kind_name((fuin_sanitize_kind)18));
    /* Every kind 1..MAX has a distinct name. */
    for (int i = 1; i <= FUIN_SANITIZE_KIND_MAX; i++) {
        assert_non_null(fuin_sanitize_kind_name((fuin_sanitize_kind)i));
        for (int j = 1; j < i; j++)
            assert_string_not_equal(fuin_sanitize_kind_name((fuin_sanitize_kind)i),
                                    fuin_sanitize_kind_name((fuin_sanitize_kind)j));
    }
}

static void test_categories(void **state)
{
    fuin_wipe_target ssd = target("/dev/sdz", "sdz", "ata", 0);
    fuin_wipe_target hdd = target("/dev/sdz", "sdz", "ata", 1);
    fuin_wipe_target unk = target("/dev/sdz", "sdz", "ata", -1);
    fuin_sanitize_support s;
    (void)state;
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_CRYPTO_ERASE), FUIN_WIPE_PURGE);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_BLOCK_ERASE), FUIN_WIPE_PURGE);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE), FUIN_WIPE_PURGE);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_ATA_BLOCK_ERASE), FUIN_WIPE_PURGE);
    /* Conservative: never Purge when in doubt. */
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_OVERWRITE), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_ATA_OVERWRITE), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_FORMAT_CRYPTO), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_FORMAT_USER), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_ATA_SECURITY_ERASE), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED),
                     FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_BLKDISCARD_SECURE), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category(FUIN_SANITIZE_NVME_SANITIZE_LOG), 0);
    assert_int_equal(fuin_sanitize_category((fuin_sanitize_kind)99), 0);
    /* Overwrite is Purge on rotating media only. */
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_ATA_OVERWRITE, &hdd), FUIN_WIPE_PURGE);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_NVME_OVERWRITE, &hdd), FUIN_WIPE_PURGE);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_ATA_OVERWRITE, &ssd), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_ATA_OVERWRITE, &unk), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_ATA_OVERWRITE, NULL), FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, &hdd),
                     FUIN_WIPE_CLEAR);
    assert_int_equal(fuin_sanitize_category_for(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &ssd),
                     FUIN_WIPE_PURGE);

    /* Recommendation: the first supported method that is Purge here. */
    memset(&s, 0, sizeof s);
    assert_int_equal(fuin_sanitize_recommend(&s, &ssd), 0);
    s.supported = FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED) |
                  FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_OVERWRITE);
    assert_int_equal(fuin_sanitize_recommend(&s, &ssd), 0);
    assert_int_equal(fuin_sanitize_recommend(&s, &hdd), FUIN_SANITIZE_ATA_OVERWRITE);
    s.supported |= FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_BLOCK_ERASE) |
                   FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE);
    assert_int_equal(fuin_sanitize_recommend(&s, &ssd), FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE);
    assert_int_equal(fuin_sanitize_recommend(NULL, &ssd), 0);
}

/* ---- construction ----------------------------------------------------- */

static void expect_argv(fuin_sanitize_kind kind, const char *dev,
                        const fuin_sanitize_options *o, const char *const *want)
{
    fuin_sanitize_cmd c;
    size_t n = 0;
    assert_int_equal(fuin_sanitize_argv(kind, dev, o, &c), FUIN_OK);
    while (want[n] != NULL)
        n++;
    assert_int_equal(c.argc, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(c.argv[i], want[i]);
    assert_null(c.argv[n]);
}

static void test_argv(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_cmd c;
    (void)state;
    fuin_sanitize_options_init(&o);
    assert_int_equal(o.poll_interval_ms, 10000);
    assert_int_equal(o.max_polls, 60480);
    assert_null(o.tool_dir);
    assert_null(o.support);
    {
        const char *w[] = {"nvme", "sanitize", "/dev/nvme0", "--sanact=4", NULL};
        expect_argv(FUIN_SANITIZE_NVME_CRYPTO_ERASE, "/dev/nvme0", NULL, w);
    }
    {
        const char *w[] = {"nvme", "sanitize", "/dev/nvme0", "--sanact=2", NULL};
        expect_argv(FUIN_SANITIZE_NVME_BLOCK_ERASE, "/dev/nvme0", &o, w);
    }
    {
        const char *w[] = {"nvme", "sanitize", "/dev/nvme0", "--sanact=3",
                           "--owpass=1", "--ovrpat=0", NULL};
        expect_argv(FUIN_SANITIZE_NVME_OVERWRITE, "/dev/nvme0", &o, w);
    }
    {
        const char *w[] = {"nvme", "format", "/dev/nvme0n1", "--ses=1", "--force", NULL};
        expect_argv(FUIN_SANITIZE_NVME_FORMAT_USER, "/dev/nvme0n1", &o, w);
    }
    {
        const char *w[] = {"nvme", "format", "/dev/nvme0n1", "--ses=2", "--force", NULL};
        expect_argv(FUIN_SANITIZE_NVME_FORMAT_CRYPTO, "/dev/nvme0n1", &o, w);
    }
    {
        const char *w[] = {"nvme", "sanitize-log", "/dev/nvme0", "-o", "json", NULL};
        expect_argv(FUIN_SANITIZE_NVME_SANITIZE_LOG, "/dev/nvme0", &o, w);
    }
    {
        const char *w[] = {"nvme", "id-ctrl", "/dev/nvme0", "-o", "json", NULL};
        expect_argv(FUIN_SANITIZE_NVME_ID_CTRL, "/dev/nvme0", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--user-master", "u", "--security-set-pass",
                           "fuin", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_SET_PASSWORD, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--user-master", "u", "--security-erase",
                           "fuin", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_SECURITY_ERASE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--user-master", "u",
                           "--security-erase-enhanced", "fuin", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--user-master", "u", "--security-disable",
                           "fuin", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_SECURITY_DISABLE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--yes-i-know-what-i-am-doing",
                           "--sanitize-crypto-scramble", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--yes-i-know-what-i-am-doing",
                           "--sanitize-block-erase", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_BLOCK_ERASE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--yes-i-know-what-i-am-doing",
                           "--sanitize-overwrite-passes", "1", "--sanitize-overwrite",
                           "hex:00000000", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_OVERWRITE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "--sanitize-status", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_SANITIZE_STATUS, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"hdparm", "-I", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_IDENTIFY, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"blkdiscard", "--secure", "--force", "/dev/mmcblk0", NULL};
        expect_argv(FUIN_SANITIZE_BLKDISCARD_SECURE, "/dev/mmcblk0", &o, w);
    }
    /* The overwrite pattern. */
    o.overwrite_pattern = 0xdeadbeefu;
    {
        const char *w[] = {"hdparm", "--yes-i-know-what-i-am-doing",
                           "--sanitize-overwrite-passes", "1", "--sanitize-overwrite",
                           "hex:deadbeef", "/dev/sda", NULL};
        expect_argv(FUIN_SANITIZE_ATA_OVERWRITE, "/dev/sda", &o, w);
    }
    {
        const char *w[] = {"nvme", "sanitize", "/dev/nvme1", "--sanact=3",
                           "--owpass=1", "--ovrpat=3735928559", NULL};
        expect_argv(FUIN_SANITIZE_NVME_OVERWRITE, "/dev/nvme1", &o, w);
    }
    /* A device that is one argument whatever it holds. */
    {
        const char *w[] = {"hdparm", "-I", "/dev/x y'z;$(rm -rf ~)", NULL};
        expect_argv(FUIN_SANITIZE_ATA_IDENTIFY, "/dev/x y'z;$(rm -rf ~)", &o, w);
    }
    /* Refusals: not absolute (could pass for an option), empty, NULL,
     * unknown kind, no output. */
    assert_int_equal(fuin_sanitize_argv(FUIN_SANITIZE_ATA_IDENTIFY, "-rf", &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(c.argc, 0);
    assert_null(c.argv[0]);
    assert_int_equal(fuin_sanitize_argv(FUIN_SANITIZE_ATA_IDENTIFY, "sda", &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_argv(FUIN_SANITIZE_ATA_IDENTIFY, "", &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_argv(FUIN_SANITIZE_ATA_IDENTIFY, NULL, &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_argv((fuin_sanitize_kind)0, "/dev/sda", &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_argv((fuin_sanitize_kind)18, "/dev/sda", &o, &c),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_argv(FUIN_SANITIZE_ATA_IDENTIFY, "/dev/sda", &o, NULL),
                     FUIN_E_INVALID);
}

static void test_shell_text(void **state)
{
    char b[256];
    (void)state;
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_BLKDISCARD_SECURE,
                                                "/dev/sdb", b, sizeof b),
                     strlen("blkdiscard --secure --force /dev/sdb"));
    assert_string_equal(b, "blkdiscard --secure --force /dev/sdb");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_BLOCK_ERASE, "/dev/nvme0", b,
                               sizeof b);
    assert_string_equal(b, "nvme sanitize /dev/nvme0 --sanact=2");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_CRYPTO_ERASE, "/dev/nvme0", b,
                               sizeof b);
    assert_string_equal(b, "nvme sanitize /dev/nvme0 --sanact=4");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_OVERWRITE, "/dev/nvme0", b,
                               sizeof b);
    assert_string_equal(b, "nvme sanitize /dev/nvme0 --sanact=3 --owpass=1 --ovrpat=0");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_FORMAT_USER, "/dev/nvme0n1",
                               b, sizeof b);
    assert_string_equal(b, "nvme format /dev/nvme0n1 --ses=1 --force");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_FORMAT_CRYPTO,
                               "/dev/nvme0n1", b, sizeof b);
    assert_string_equal(b, "nvme format /dev/nvme0n1 --ses=2 --force");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_ATA_SET_PASSWORD, "/dev/sda", b,
                               sizeof b);
    assert_string_equal(b,
                        "hdparm --user-master u --security-set-pass fuin /dev/sda");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_ATA_SECURITY_ERASE, "/dev/sda", b,
                               sizeof b);
    assert_string_equal(b,
                        "hdparm --user-master u --security-erase fuin /dev/sda");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED,
                               "/dev/sda", b, sizeof b);
    assert_string_equal(
        b, "hdparm --user-master u --security-erase-enhanced fuin /dev/sda");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_ATA_OVERWRITE, "/dev/sda", b,
                               sizeof b);
    assert_string_equal(b, "hdparm --yes-i-know-what-i-am-doing "
                           "--sanitize-overwrite-passes 1 --sanitize-overwrite "
                           "hex:00000000 /dev/sda");
    /* Odd names are quoted for the shell. */
    fuin_wipe_sanitize_command(FUIN_SANITIZE_BLKDISCARD_SECURE,
                               "/dev/disk/by-id/usb-My Disk's", b, sizeof b);
    assert_string_equal(
        b, "blkdiscard --secure --force '/dev/disk/by-id/usb-My Disk'\\''s'");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_BLKDISCARD_SECURE, "/$(rm -rf ~)", b,
                               sizeof b);
    assert_string_equal(b, "blkdiscard --secure --force '/$(rm -rf ~)'");
    fuin_wipe_sanitize_command(FUIN_SANITIZE_ATA_IDENTIFY, "/dev/a`b`\n", b,
                               sizeof b);
    assert_string_equal(b, "hdparm -I '/dev/a`b`\n'");
    /* snprintf-like sizing and truncation. */
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_BLOCK_ERASE,
                                                "/dev/nvme0", b, 10),
                     strlen("nvme sanitize /dev/nvme0 --sanact=2"));
    assert_string_equal(b, "nvme sani");
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_BLOCK_ERASE,
                                                "/dev/nvme0", NULL, 0),
                     strlen("nvme sanitize /dev/nvme0 --sanact=2"));
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_NVME_BLOCK_ERASE,
                                                "/dev/it's", b, 1),
                     strlen("nvme sanitize '/dev/it'\\''s' --sanact=2"));
    assert_string_equal(b, "");
    /* Refused: unknown kind, empty or relative device. */
    strcpy(b, "x");
    assert_int_equal(fuin_wipe_sanitize_command((fuin_sanitize_kind)0,
                                                "/dev/sda", b, sizeof b),
                     0);
    assert_string_equal(b, "");
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_BLKDISCARD_SECURE,
                                                "", b, sizeof b),
                     0);
    assert_int_equal(fuin_wipe_sanitize_command(FUIN_SANITIZE_BLKDISCARD_SECURE,
                                                "$(rm -rf ~)", b, sizeof b),
                     0);
    assert_string_equal(b, "");
}

static void test_plan(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t = ata_target();
    char b[1024];
    size_t n;
    (void)state;
    opts(&o);
    memset(&s, 0, sizeof s);
#define Q "'/dev/disk/by-id/ata-FUIN Test'\\''s SSD'"
    n = fuin_sanitize_plan(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, &t, &s, &o, b, sizeof b);
    assert_string_equal(b, "hdparm --user-master u --security-set-pass fuin " Q "\n"
                           "hdparm --user-master u --security-erase-enhanced fuin " Q "\n");
    assert_int_equal(n, strlen(b));
    fuin_sanitize_plan(FUIN_SANITIZE_ATA_BLOCK_ERASE, &t, NULL, NULL, b, sizeof b);
    assert_string_equal(b, "hdparm --yes-i-know-what-i-am-doing --sanitize-block-erase " Q "\n"
                           "repeat until done: hdparm --sanitize-status " Q "\n");
    o.overwrite_pattern = 0x12345678u;
    fuin_sanitize_plan(FUIN_SANITIZE_ATA_OVERWRITE, &t, NULL, &o, b, sizeof b);
    assert_string_equal(b, "hdparm --yes-i-know-what-i-am-doing --sanitize-overwrite-passes 1 "
                           "--sanitize-overwrite hex:12345678 " Q "\n"
                           "repeat until done: hdparm --sanitize-status " Q "\n");
    fuin_sanitize_plan(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, NULL, NULL, b, sizeof b);
    assert_string_equal(b, "blkdiscard --secure --force " Q "\n");
#undef Q
    /* NVMe: the controller from the probe result, else from sysfs. */
    t = target("/dev/nvme0n1", "nvme0n1", "nvme", 0);
    snprintf(s.controller, sizeof s.controller, "/dev/nvme8");
    fuin_sanitize_plan(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &s, &o, b, sizeof b);
    assert_string_equal(b, "nvme sanitize /dev/nvme8 --sanact=4\n"
                           "repeat until done: nvme sanitize-log /dev/nvme8 -o json\n");
    assert_int_equal(fuin_sanitize_plan(FUIN_SANITIZE_NVME_BLOCK_ERASE, &t, NULL, &o, b,
                                        sizeof b), 0);
    assert_string_equal(b, "");
    t = nvme_target();
    fuin_sanitize_plan(FUIN_SANITIZE_NVME_BLOCK_ERASE, &t, NULL, &o, b, sizeof b);
    assert_string_equal(b, "nvme sanitize /dev/nvme3 --sanact=2\n"
                           "repeat until done: nvme sanitize-log /dev/nvme3 -o json\n");
    fuin_sanitize_plan(FUIN_SANITIZE_NVME_FORMAT_CRYPTO, &t, NULL, &o, b, sizeof b);
    assert_string_equal(b, "nvme format /dev/nvme0n1 --ses=2 --force\n");
    /* Sizing, and refusals. */
    n = fuin_sanitize_plan(FUIN_SANITIZE_NVME_FORMAT_CRYPTO, &t, NULL, &o, b, 7);
    assert_int_equal(n, strlen("nvme format /dev/nvme0n1 --ses=2 --force\n"));
    assert_string_equal(b, "nvme f");
    assert_int_equal(fuin_sanitize_plan(FUIN_SANITIZE_NVME_FORMAT_CRYPTO, &t, NULL, &o, NULL, 0), n);
    assert_int_equal(fuin_sanitize_plan(FUIN_SANITIZE_ATA_IDENTIFY, &t, NULL, &o, b, sizeof b), 0);
    assert_string_equal(b, "");
    assert_int_equal(fuin_sanitize_plan(FUIN_SANITIZE_BLKDISCARD_SECURE, NULL, NULL, &o, b,
                                        sizeof b), 0);
    t = target("relative", "sdz", "ata", 0);
    assert_int_equal(fuin_sanitize_plan(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, NULL, &o, b,
                                        sizeof b), 0);
    assert_string_equal(b, "");
    assert_calls(NULL); /* planning runs nothing */
}

/* ---- sysfs ------------------------------------------------------------ */

static void test_controller(void **state)
{
    char c[64];
    (void)state;
    /* Direct: the namespace's device link names its controller. */
    sys_link("nvme0n1/device", "../../devices/pci0000:00/0000:00:1d.0/nvme/nvme3");
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme0n1", c, sizeof c), 0);
    assert_string_equal(c, "/dev/nvme3");
    /* Multipath: device is the subsystem; the lowest path's controller. */
    sys_link("nvme1n1/device", "../../devices/virtual/nvme-subsystem/nvme-subsys1");
    sys_link("nvme1n1/multipath/nvme1c5n1/device", "../../../../nvme5");
    sys_link("nvme1n1/multipath/nvme1c2n1/device", "../../../../nvme2");
    sys_link("nvme1n1/multipath/nvme1c7n1/device", "../../../../nvme7");
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme1n1", c, sizeof c), 0);
    assert_string_equal(c, "/dev/nvme2");
    /* Not found: no guessing from the name. */
    strcpy(c, "x");
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme9n1", c, sizeof c), -1);
    assert_string_equal(c, "");
    sys_link("nvme2n1/device", "../../devices/virtual/nvme-subsystem/nvme-subsys2");
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme2n1", c, sizeof c), -1);
    sys_link("nvme4n1/device", "../../devices/nvme/nvme4x");
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme4n1", c, sizeof c), -1);
    /* Names that are not plain names. */
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "../block/nvme0n1", c, sizeof c), -1);
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "..", c, sizeof c), -1);
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "", c, sizeof c), -1);
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, NULL, c, sizeof c), -1);
    /* Too small a buffer. */
    assert_int_equal(fuin__sanitize_nvme_controller(sysroot, "nvme0n1", c, 8), -1);
    assert_string_equal(c, "");
}

/* ---- parsers ---------------------------------------------------------- */

static void test_parse_hdparm_identify(void **state)
{
    fuin__ata_identify id;
    size_t n;
    char *t;
    (void)state;
    t = src_file("tests/shim/data/hdparm-I-ssd.txt", &n);
    assert_int_equal(fuin__parse_hdparm_identify(t, n, &id), 0);
    assert_int_equal(id.sanitize_feature, 1);
    assert_int_equal(id.crypto_scramble, 1);
    assert_int_equal(id.block_erase, 1);
    assert_int_equal(id.overwrite, 0);
    assert_int_equal(id.security_supported, 1);
    assert_int_equal(id.security_enabled, 0);
    assert_int_equal(id.security_locked, 0);
    assert_int_equal(id.security_frozen, 0);
    assert_int_equal(id.security_expired, 0);
    assert_int_equal(id.enhanced_erase, 1);
    free(t);

    t = src_file("tests/shim/data/hdparm-I-frozen.txt", &n);
    assert_int_equal(fuin__parse_hdparm_identify(t, n, &id), 0);
    assert_int_equal(id.sanitize_feature, 0);
    assert_int_equal(id.crypto_scramble, 0);
    assert_int_equal(id.security_supported, 1);
    assert_int_equal(id.security_frozen, 1);
    assert_int_equal(id.security_enabled, 0);
    assert_int_equal(id.enhanced_erase, 0);
    free(t);

    /* CRLF, "(?)", absent lines, and only the length given counts. */
    {
        const char s[] = "Security: \r\n\t(?)\tsupported\r\n\t\tenabled\r\n"
                         "\t\tlocked\r\nOther:\n\t\tfrozen\nTAIL\t\tfrozen";
        assert_int_equal(fuin__parse_hdparm_identify(s, sizeof s - 1, &id), 0);
        assert_int_equal(id.security_supported, -1);
        assert_int_equal(id.security_enabled, 1);
        assert_int_equal(id.security_locked, 1);
        assert_int_equal(id.security_frozen, -1); /* not in Security: */
        assert_int_equal(id.enhanced_erase, -1);
        assert_int_equal(fuin__parse_hdparm_identify(s, 12, &id), 0);
        assert_int_equal(id.security_enabled, -1);
    }
    /* A feature only counts under Commands/features, and exactly. */
    {
        const char s[] = "Capabilities:\n\t   *\tSANITIZE feature set\n"
                         "Commands/features:\n\t   *\tCRYPTO_SCRAMBLE_EXT commands\n"
                         "\tnot\tBLOCK_ERASE_EXT command\n\t   *\tOVERWRITE_EXT command\n";
        assert_int_equal(fuin__parse_hdparm_identify(s, sizeof s - 1, &id), 0);
        assert_int_equal(id.sanitize_feature, 0);
        assert_int_equal(id.crypto_scramble, 0);
        assert_int_equal(id.block_erase, 0);
        assert_int_equal(id.overwrite, 1);
    }
    /* Not ATA output. */
    {
        const char s[] = "\n/dev/sdz:\n SG_IO: bad/missing sense data\n";
        assert_int_equal(fuin__parse_hdparm_identify(s, sizeof s - 1, &id), -1);
        assert_int_equal(fuin__parse_hdparm_identify("", 0, &id), -1);
        assert_int_equal(fuin__parse_hdparm_identify(NULL, 0, &id), -1);
        assert_int_equal(fuin__parse_hdparm_identify(s, sizeof s - 1, NULL), -1);
    }
}

static void test_parse_nvme(void **state)
{
    fuin__nvme_id_ctrl id;
    fuin__sanitize_state ss;
    size_t n;
    char *t;
    (void)state;
    t = src_file("tests/shim/data/nvme-id-ctrl-sanitize.json", &n);
    assert_int_equal(fuin__parse_nvme_id_ctrl(t, n, &id), 0);
    assert_int_equal(id.sanicap, 3);
    assert_int_equal(id.fna, 5);
    assert_int_equal(id.oacs, 0x17);
    free(t);
    t = src_file("tests/shim/data/nvme-id-ctrl-nosanitize.json", &n);
    assert_int_equal(fuin__parse_nvme_id_ctrl(t, n, &id), 0);
    assert_int_equal(id.sanicap, 0);
    assert_int_equal(id.oacs, 0x16);
    free(t);
    {
        const char s[] = "{\"sanicap\":\"0xc0000007\",\"fna\":\"4\",\"oacs\":4294967295}";
        assert_int_equal(fuin__parse_nvme_id_ctrl(s, sizeof s - 1, &id), 0);
        assert_int_equal(id.sanicap, 0xc0000007u);
        assert_int_equal(id.fna, 4);
        assert_int_equal(id.oacs, 0xffffffffu);
    }
    {
        static const char *const bad[] = {
            "{\"sanicap\":1,\"fna\":0}",                     /* no oacs   */
            "{\"sanicap\":-1,\"fna\":0,\"oacs\":0}",          /* negative  */
            "{\"sanicap\":4294967296,\"fna\":0,\"oacs\":0}",  /* too big   */
            "{\"sanicap\":\"x1\",\"fna\":0,\"oacs\":0}",      /* not a number */
            "{\"sanicap\":\"1x\",\"fna\":0,\"oacs\":0}",
            "{\"sanicap\":1.5,\"fna\":0,\"oacs\":0}",
            "[1,2]", "NVMe status: Invalid Field in Command(0x2)", "",
            "{\"sanicap\":1,\"fna\":0,\"oacs\":0",            /* cut short */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            id.sanicap = 77;
            assert_int_equal(fuin__parse_nvme_id_ctrl(bad[i], strlen(bad[i]), &id), -1);
            assert_int_equal(id.sanicap, 0);
        }
    }

    t = src_file("tests/shim/data/nvme-sanlog-running.json", &n);
    assert_int_equal(fuin__parse_nvme_sanitize_log(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_RUNNING);
    assert_int_equal(ss.percent, 50);
    assert_int_equal(ss.cdw10, 4);
    free(t);
    t = src_file("tests/shim/data/nvme-sanlog-done.json", &n);
    assert_int_equal(fuin__parse_nvme_sanitize_log(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_DONE);
    assert_int_equal(ss.percent, -1);
    free(t);
    t = src_file("tests/shim/data/nvme-sanlog-failed.json", &n);
    assert_int_equal(fuin__parse_nvme_sanitize_log(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_FAILED);
    free(t);
    t = src_file("tests/shim/data/nvme-sanlog-never.json", &n);
    assert_int_equal(fuin__parse_nvme_sanitize_log(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_NEVER);
    assert_int_equal(ss.cdw10, 0);
    free(t);
    {
        /* Flat, SSTAT as the raw register (bits 2:0 the status). */
        const char s[] = "{\"sprog\":16384,\"sstat\":258}";
        assert_int_equal(fuin__parse_nvme_sanitize_log(s, sizeof s - 1, &ss), 0);
        assert_int_equal(ss.status, 2);
        assert_int_equal(ss.percent, 25);
        assert_int_equal(ss.cdw10, -1);
    }
    {
        /* The nvme-cli variant that used the status text as the key. */
        const char s[] = "{\"nvme1\":{\"sprog\":65535,\"sstat\":{\"global_erased\":1,"
                         "\"Most Recent Sanitize Command Completed Successfully.\":"
                         "\"(4) Most Recent ...\"},\"cdw10_info\":2}}";
        assert_int_equal(fuin__parse_nvme_sanitize_log(s, sizeof s - 1, &ss), 0);
        assert_int_equal(ss.status, FUIN__SAN_DONE_NODEALLOC);
        assert_int_equal(ss.cdw10, 2);
    }
    {
        static const char *const bad[] = {
            "{\"nvme0\":{\"sprog\":1}}",
            "{\"nvme0\":{\"sstat\":{\"status\":\"(9) x\"}}}",
            "{\"nvme0\":{\"sstat\":{\"status\":\"2\"}}}",
            "{\"nvme0\":{\"sstat\":\"(2) x\"}}",
            "{\"sstat\":-1}", "{\"sstat\":65536}", "[]", "{}", "", "sanitize status log: Invalid argument",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            assert_int_equal(fuin__parse_nvme_sanitize_log(bad[i], strlen(bad[i]), &ss), -1);
            assert_int_equal(ss.status, -1);
        }
    }
}

static void test_parse_hdparm_status(void **state)
{
    fuin__sanitize_state ss;
    size_t n;
    char *t;
    (void)state;
    t = src_file("tests/shim/data/hdparm-sanstat-idle.txt", &n);
    assert_int_equal(fuin__parse_hdparm_sanitize_status(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_DONE);
    free(t);
    t = src_file("tests/shim/data/hdparm-sanstat-running.txt", &n);
    assert_int_equal(fuin__parse_hdparm_sanitize_status(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_RUNNING);
    assert_int_equal(ss.percent, 50);
    free(t);
    t = src_file("tests/shim/data/hdparm-sanstat-frozen.txt", &n);
    assert_int_equal(fuin__parse_hdparm_sanitize_status(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_FROZEN);
    free(t);
    t = src_file("tests/shim/data/hdparm-sanstat-failed.err", &n);
    assert_int_equal(fuin__parse_hdparm_sanitize_status(t, n, &ss), 0);
    assert_int_equal(ss.status, FUIN__SAN_FAILED);
    free(t);
    {
        const char s[] = "Sanitize status:\n    State:    SD0 Sanitize Idle\n";
        assert_int_equal(fuin__parse_hdparm_sanitize_status(s, sizeof s - 1, &ss), 0);
        assert_int_equal(ss.status, FUIN__SAN_NEVER);
    }
    {
        const char s[] = "    State:    SD2 Sanitize operation In Process\n"
                         "    Progress: 0xffff (100%)\n";
        assert_int_equal(fuin__parse_hdparm_sanitize_status(s, sizeof s - 1, &ss), 0);
        assert_int_equal(ss.status, FUIN__SAN_RUNNING);
        assert_int_equal(ss.percent, 100);
    }
    {
        const char s[] = "    State:    SD2 x\n    Progress: 0x1 (1000%)\n";
        assert_int_equal(fuin__parse_hdparm_sanitize_status(s, sizeof s - 1, &ss), 0);
        assert_int_equal(ss.percent, -1);
    }
    {
        const char s[] = "SANITIZE feature set is not supported\n";
        assert_int_equal(fuin__parse_hdparm_sanitize_status(s, sizeof s - 1, &ss), -1);
        assert_int_equal(ss.status, -1);
        assert_int_equal(fuin__parse_hdparm_sanitize_status("State: SD9", 10, &ss), -1);
        assert_int_equal(fuin__parse_hdparm_sanitize_status(NULL, 0, &ss), -1);
    }
}

/* ---- probe ------------------------------------------------------------ */

static void test_probe_ata_frozen(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t = ata_target();
    char err[128];
    (void)state;
    opts(&o);
    respond_data("hdparm-identify", 0, "out", "hdparm-I-frozen.txt");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_calls("hdparm [-I] [" ATA_DEV "]\n");
    assert_int_equal(s.supported, 0);
    assert_int_equal(s.unknown, FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE));
    assert_int_equal(s.ata_security_frozen, 1);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                           "ATA security is frozen"));
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                           "suspend and resume"));
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED],
                           "frozen"));
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_BLOCK_ERASE],
                        "the drive does not support the ATA SANITIZE feature set");
    assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_CRYPTO_ERASE],
                        "transport ata is not NVMe");
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_BLKDISCARD_SECURE],
                           "does not tell whether"));
    assert_string_equal(s.controller, "");
    assert_int_equal(fuin_sanitize_recommend(&s, &t), 0);
}

static void test_probe_ata_ssd(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t = ata_target();
    (void)state;
    opts(&o);
    respond_data("hdparm-identify", 0, "out", "hdparm-I-ssd.txt");
    respond_data("hdparm-sanitize-status", 0, "out", "hdparm-sanstat-idle.txt");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_calls("hdparm [-I] [" ATA_DEV "]\n"
                 "hdparm [--sanitize-status] [" ATA_DEV "]\n");
    assert_int_equal(s.supported,
                     FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_SECURITY_ERASE) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_BLOCK_ERASE));
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED], "");
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_OVERWRITE],
                        "the drive does not support OVERWRITE EXT");
    assert_int_equal(s.ata_security_frozen, 0);
    assert_int_equal(s.ata_sanitize_frozen, 0);
    assert_int_equal(fuin_sanitize_recommend(&s, &t), FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE);

    /* Sanitize freeze lock: the sanitize methods go, security stays. */
    reset_calls();
    respond_data("hdparm-sanitize-status", 0, "out", "hdparm-sanstat-frozen.txt");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported,
                     FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_SECURITY_ERASE) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED));
    assert_int_equal(s.ata_sanitize_frozen, 1);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE],
                           "SANITIZE FREEZE LOCK"));
    assert_int_equal(fuin_sanitize_recommend(&s, &t), 0);

    /* A sanitize already running. */
    respond_data("hdparm-sanitize-status", 0, "out", "hdparm-sanstat-running.txt");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_BLOCK_ERASE],
                           "already in progress"));
    assert_int_equal(s.supported & FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_BLOCK_ERASE), 0);

    /* The status cannot be read: the sanitize methods stay (the command
     * itself will say what is wrong). */
    respond("hdparm-sanitize-status", 0, "rc", "22\n");
    respond("hdparm-sanitize-status", 0, "out", "");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_true(s.supported & FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_BLOCK_ERASE));
    assert_int_equal(s.ata_sanitize_frozen, -1);
}

static void test_probe_ata_password_set(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t = ata_target();
    (void)state;
    opts(&o);
    respond("hdparm-identify", 0, "out",
            "Security: \n\t\tsupported\n\t\tenabled\n\tnot\tlocked\n\tnot\tfrozen\n"
            "\tnot\texpired: security count\n\t\tsupported: enhanced erase\n");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                           "already has a user password"));
    /* A security state hdparm does not show in full: not trusted. */
    respond("hdparm-identify", 0, "out",
            "Security: \n\t\tsupported\n\tnot\tenabled\n\tnot\tlocked\n");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_int_equal(s.ata_security_frozen, -1);
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                        "hdparm -I does not show the whole ATA security state "
                        "(frozen, enabled, locked, expired)");
    /* USB bridge that does not pass ATA commands. */
    t = target("/dev/sdq", "sdq", "usb", -1);
    respond("hdparm-identify", 0, "out", "\n/dev/sdq:\n");
    respond("hdparm-identify", 0, "err", " HDIO_DRIVE_CMD(identify) failed: Invalid argument\n");
    respond("hdparm-identify", 0, "rc", "22\n");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                        "ata-identify: hdparm exited with status 22: "
                        "HDIO_DRIVE_CMD(identify) failed: Invalid argument "
                        "(USB bridges often do not pass ATA commands)");
}

static void test_probe_nvme(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t;
    (void)state;
    opts(&o);
    t = nvme_target();
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-sanitize.json");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_calls("nvme [id-ctrl] [/dev/nvme3] [-o] [json]\n");
    assert_string_equal(s.controller, "/dev/nvme3");
    assert_int_equal(s.supported,
                     FUIN_SANITIZE_BIT(FUIN_SANITIZE_NVME_CRYPTO_ERASE) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_NVME_BLOCK_ERASE) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_NVME_FORMAT_USER) |
                         FUIN_SANITIZE_BIT(FUIN_SANITIZE_NVME_FORMAT_CRYPTO));
    assert_int_equal(s.nvme_sanicap, 3);
    assert_int_equal(s.nvme_fna, 5);
    assert_int_equal(s.nvme_oacs, 0x17);
    assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_OVERWRITE],
                        "the controller does not support Sanitize overwrite "
                        "(SANICAP bit 2 clear)");
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                        "transport nvme: use the nvme-* methods");
    assert_int_equal(fuin_sanitize_recommend(&s, &t), FUIN_SANITIZE_NVME_CRYPTO_ERASE);

    /* Without sanitize: only the (Clear) format. */
    reset_calls();
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-nosanitize.json");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported, FUIN_SANITIZE_BIT(FUIN_SANITIZE_NVME_FORMAT_USER));
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_NVME_CRYPTO_ERASE], "SANICAP bit 0"));
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_NVME_FORMAT_CRYPTO], "FNA bit 2"));
    assert_int_equal(fuin_sanitize_recommend(&s, &t), 0);

    /* Another namespace on the controller: Sanitize would erase it too, and
     * this controller formats all namespaces at once (FNA bit 0). */
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-sanitize.json");
    sys_link("nvme0n2/device", "../../devices/pci0000:00/nvme/nvme3");
    sys_link("nvme5n1/device", "../../devices/pci0000:00/nvme/nvme5");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_CRYPTO_ERASE],
                        "NVMe Sanitize also erases the other namespaces of "
                        "/dev/nvme3 (nvme0n2)");
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_NVME_FORMAT_USER],
                           "formats all namespaces at once"));
}

static void test_probe_failures(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_target t;
    char err[128], empty[600];
    (void)state;
    opts(&o);
    t = nvme_target();
    /* id-ctrl fails. */
    respond("nvme-id-ctrl", 0, "err", "identify-ctrl: Permission denied\n");
    respond("nvme-id-ctrl", 0, "rc", "1\n");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_BLOCK_ERASE],
                        "nvme-id-ctrl: nvme exited with status 1: "
                        "identify-ctrl: Permission denied");
    /* Output not understood. */
    respond("nvme-id-ctrl", 0, "rc", "0\n");
    respond("nvme-id-ctrl", 0, "out", "NVMe status: whatever\n");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_NVME_BLOCK_ERASE], "not understood"));
    /* No tools at all. */
    snprintf(empty, sizeof empty, "%s/empty", tmp);
    mkdir_p(empty);
    o.tool_dir = empty;
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(s.supported, 0);
    {
        char want[900];
        snprintf(want, sizeof want,
                 "nvme-id-ctrl: no nvme program in %s (install the Debian package nvme-cli)", empty);
        assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_CRYPTO_ERASE], want);
    }
    o.tool_dir = tools;
    /* Controller not in sysfs. */
    reset_calls();
    t = target("/dev/nvme7n1", "nvme7n1", "nvme", 0);
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_non_null(strstr(s.why_not[FUIN_SANITIZE_NVME_CRYPTO_ERASE],
                           "controller of nvme7n1 is not found"));
    assert_calls(NULL);
    /* Transports without commands: nothing is run. */
    t = target("/dev/loop3", "loop3", "loop", 0);
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_string_equal(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
                        "transport loop has no ATA commands");
    assert_string_equal(s.why_not[FUIN_SANITIZE_NVME_FORMAT_USER],
                        "transport loop is not NVMe");
    assert_calls(NULL);
    /* A partition: nothing, for every method. */
    t = target("/dev/sdz1", "sdz1", "ata", 0);
    snprintf(t.disk, sizeof t.disk, "sdz");
    t.is_partition = 1;
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(s.supported, 0);
    assert_int_equal(s.unknown, 0);
    assert_string_equal(s.why_not[FUIN_SANITIZE_BLKDISCARD_SECURE],
                        "/dev/sdz1 is a partition: device erase commands erase "
                        "the whole disk (/dev/sdz)");
    assert_calls(NULL);
    /* Not a device. */
    t.kind = FUIN_WIPE_KIND_FILE;
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "/dev/sdz1: not a block device");
    assert_int_equal(fuin_sanitize_probe(NULL, &o, &s, err, sizeof err), FUIN_E_INVALID);
}

/* ---- run -------------------------------------------------------------- */

static void assert_result_common(const fuin_wipe_result *r)
{
    assert_int_equal(r->kind, FUIN_WIPE_KIND_DEVICE);
    assert_int_equal(r->verify, FUIN_WIPE_VERIFY_NONE);
    assert_int_equal(r->passes, 0);
    assert_int_equal(r->bytes_written, 0);
    assert_int_equal(r->bytes_verified, 0);
    assert_int_equal(r->fail_offset, -1);
    assert_non_null(r->caveat);
    assert_string_equal(r->caveat, FUIN_SANITIZE_NOTE);
    assert_true(r->start_time > 1700000000);
    assert_true(r->end_time >= r->start_time);
}

static void test_run_nvme_sanitize(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t;
    progress_log pl;
    char p[600], *env;
    (void)state;
    opts(&o);
    t = nvme_target();
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-sanitize.json");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    reset_calls();
    respond_data("nvme-sanitize-log", 1, "out", "nvme-sanlog-running.json");
    respond_data("nvme-sanitize-log", 2, "out", "nvme-sanlog-running.json");
    respond_data("nvme-sanitize-log", 3, "out", "nvme-sanlog-done.json");
    memset(&pl, 0, sizeof pl);
    o.support = &s;
    o.progress = on_progress;
    o.progress_ctx = &pl;
    assert_int_equal(setenv("FUIN_TEST_SECRET", "leak", 1), 0);
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &o, &r), FUIN_OK);
    assert_calls("nvme [sanitize] [/dev/nvme3] [--sanact=4]\n"
                 "nvme [sanitize-log] [/dev/nvme3] [-o] [json]\n"
                 "nvme [sanitize-log] [/dev/nvme3] [-o] [json]\n"
                 "nvme [sanitize-log] [/dev/nvme3] [-o] [json]\n");
    assert_int_equal(r.success, 1);
    assert_int_equal(r.cancelled, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.category, FUIN_WIPE_PURGE);
    assert_string_equal(r.message, "");
    assert_result_common(&r);
    assert_true(saw_pct(&pl, FUIN_SANITIZE_NVME_CRYPTO_ERASE, -1));
    assert_true(saw_pct(&pl, FUIN_SANITIZE_NVME_SANITIZE_LOG, 50));
    assert_true(saw_pct(&pl, FUIN_SANITIZE_NVME_SANITIZE_LOG, 100));
    /* The tool saw a fixed environment and an empty standard input. */
    snprintf(p, sizeof p, "%s/env.last", tools);
    env = read_file(p, NULL);
    assert_non_null(env);
    assert_non_null(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
    assert_non_null(strstr(env, "LC_ALL=C\n"));
    assert_null(strstr(env, "FUIN_TEST_SECRET"));
    assert_non_null(strstr(env, "stdin:eof\n"));
    free(env);
    unsetenv("FUIN_TEST_SECRET");
}

static void test_run_nvme_failures(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t;
    (void)state;
    opts(&o);
    t = nvme_target();
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-sanitize.json");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    o.support = &s;

    /* The tool fails: its stderr is in the message; no polling. */
    reset_calls();
    respond("nvme-sanitize", 0, "err", "NVMe status: SANITIZE_IN_PROGRESS: The\n"
                                       "requested function is prohibited while a "
                                       "sanitize operation is in progress(0x1d)\n");
    respond("nvme-sanitize", 0, "rc", "29\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_BLOCK_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_calls("nvme [sanitize] [/dev/nvme3] [--sanact=2]\n");
    assert_int_equal(r.success, 0);
    assert_int_equal(r.errors, 1);
    assert_string_equal(r.message,
                        "nvme-sanitize-block: nvme exited with status 29: NVMe "
                        "status: SANITIZE_IN_PROGRESS: The requested function is "
                        "prohibited while a sanitize operation is in "
                        "progress(0x1d)");
    assert_result_common(&r);
    respond("nvme-sanitize", 0, "rc", "0\n");
    respond("nvme-sanitize", 0, "err", "");

    /* The log says the sanitize failed. */
    reset_calls();
    respond_data("nvme-sanitize-log", 0, "out", "nvme-sanlog-failed.json");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);
    assert_string_equal(r.message, "nvme-sanitize-log: the device reports that the "
                                   "sanitize operation failed");
    assert_calls("nvme [sanitize] [/dev/nvme3] [--sanact=4]\n"
                 "nvme [sanitize-log] [/dev/nvme3] [-o] [json]\n");

    /* Never started. */
    respond_data("nvme-sanitize-log", 0, "out", "nvme-sanlog-never.json");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_non_null(strstr(r.message, "did not start"));

    /* A success left from another action (block erase = 2, log says 4). */
    respond_data("nvme-sanitize-log", 0, "out", "nvme-sanlog-done.json");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_BLOCK_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_string_equal(r.message, "nvme-sanitize-log: the last completed sanitize "
                                   "was action 4, not the 2 fuin started");

    /* The log cannot be read. */
    respond("nvme-sanitize-log", 0, "rc", "1\n");
    respond("nvme-sanitize-log", 0, "err", "sanitize status log: Input/output error\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_string_equal(r.message, "nvme-sanitize-log: nvme exited with status 1: "
                                   "sanitize status log: Input/output error");
    respond("nvme-sanitize-log", 0, "rc", "0\n");
    respond("nvme-sanitize-log", 0, "err", "");

    /* Never finishes within max_polls. */
    reset_calls();
    respond_data("nvme-sanitize-log", 0, "out", "nvme-sanlog-running.json");
    o.max_polls = 3;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_CRYPTO_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_non_null(strstr(r.message, "gave up waiting after 3 status polls"));
    {
        char *c = calls(), *q = c;
        int n = 0;
        while ((q = strstr(q, "[sanitize-log]")) != NULL) {
            n++;
            q++;
        }
        assert_int_equal(n, 3);
        free(c);
    }
}

static void test_run_nvme_format(void **state)
{
    fuin_sanitize_options o;
    fuin_wipe_result r;
    fuin_wipe_target t;
    (void)state;
    opts(&o);
    t = nvme_target();
    respond_data("nvme-id-ctrl", 0, "out", "nvme-id-ctrl-nosanitize.json");
    /* o.support NULL: run probes first, then formats the namespace. */
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_FORMAT_USER, &t, &o, &r), FUIN_OK);
    assert_calls("nvme [id-ctrl] [/dev/nvme3] [-o] [json]\n"
                 "nvme [format] [/dev/nvme0n1] [--ses=1] [--force]\n");
    assert_int_equal(r.success, 1);
    assert_int_equal(r.category, FUIN_WIPE_CLEAR);
    assert_result_common(&r);
    /* Crypto format unsupported there: refused after the probe only. */
    reset_calls();
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_NVME_FORMAT_CRYPTO, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_calls("nvme [id-ctrl] [/dev/nvme3] [-o] [json]\n");
    assert_non_null(strstr(r.message, "FNA bit 2"));
    assert_int_equal(r.success, 0);
}

static void test_run_refusals(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t = ata_target();
    progress_log pl;
    (void)state;
    opts(&o);
    memset(&s, 0, sizeof s);
    snprintf(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
             sizeof s.why_not[0], "ATA security is frozen: suspend and resume");
    o.support = &s;
    /* Not supported: refused, nothing runs. */
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_calls(NULL);
    assert_int_equal(r.success, 0);
    assert_string_equal(r.message, "ata-security-erase: " ATA_DEV
                                   ": ATA security is frozen: suspend and resume");
    assert_int_equal(r.category, FUIN_WIPE_CLEAR);
    assert_result_common(&r);
    /* Secure discard is "unknown": it needs the force flag. */
    s.unknown = FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE);
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_string_equal(r.message, "secure-discard: " ATA_DEV
                                   ": not supported by the device");
    assert_calls(NULL);
    o.flags = FUIN_SANITIZE_F_FORCE;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r), FUIN_OK);
    assert_calls("blkdiscard [--secure] [--force] [" ATA_DEV "]\n");
    assert_int_equal(r.success, 1);
    /* Force lifts only "cannot tell": a method the probe found unsupported
     * (here: security frozen) stays refused, and nothing runs. */
    reset_calls();
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_calls(NULL);
    assert_string_equal(r.message, "ata-security-erase: " ATA_DEV
                                   ": ATA security is frozen: suspend and resume");
    /* Force does not override structural refusals. */
    reset_calls();
    t.refused = 1;
    snprintf(t.refuse_reason, sizeof t.refuse_reason, "mounted on /mnt/data");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_string_equal(r.message, "secure-discard: " ATA_DEV ": mounted on /mnt/data");
    t = target("/dev/sdz2", "sdz2", "ata", 0);
    snprintf(t.disk, sizeof t.disk, "sdz");
    t.is_partition = 1;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                     FUIN_E_POLICY);
    assert_non_null(strstr(r.message, "is a partition"));
    assert_calls(NULL);
    /* Not a method, not a device, no result. */
    t = ata_target();
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_IDENTIFY, &t, &o, &r), FUIN_E_INVALID);
    assert_int_equal(r.success, 0);
    assert_int_equal(fuin_sanitize_run((fuin_sanitize_kind)0, &t, &o, &r), FUIN_E_INVALID);
    t.kind = FUIN_WIPE_KIND_FILE;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, NULL, &o, &r),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, NULL),
                     FUIN_E_INVALID);
    assert_calls(NULL);
    /* Cancelled before the first command: nothing runs. */
    t = ata_target();
    memset(&pl, 0, sizeof pl);
    pl.cancel = 1;
    pl.cancel_step = FUIN_SANITIZE_BLKDISCARD_SECURE;
    pl.cancel_pct = -1;
    o.progress = on_progress;
    o.progress_ctx = &pl;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r), FUIN_E_IO);
    assert_int_equal(r.cancelled, 1);
    assert_int_equal(r.success, 0);
    assert_string_equal(r.message, "secure-discard: cancelled before it started");
    assert_calls(NULL);
    /* A missing tool. */
    o.progress = NULL;
    {
        char empty[600];
        snprintf(empty, sizeof empty, "%s/none", tmp);
        mkdir_p(empty);
        o.tool_dir = empty;
        assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                         FUIN_E_ENVIRONMENT);
        {
            char want[900];
            snprintf(want, sizeof want,
                     "secure-discard: no blkdiscard program in %s (install the "
                     "Debian package util-linux)", empty);
            assert_string_equal(r.message, want);
        }
    }
}

static void test_run_ata_security_erase(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t = ata_target();
    progress_log pl;
    (void)state;
    opts(&o);
    respond_data("hdparm-identify", 0, "out", "hdparm-I-ssd.txt");
    respond_data("hdparm-sanitize-status", 0, "out", "hdparm-sanstat-idle.txt");
    assert_int_equal(fuin_sanitize_probe(&t, &o, &s, NULL, 0), FUIN_OK);
    o.support = &s;
    reset_calls();
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, &t, &o, &r),
                     FUIN_OK);
    assert_calls("hdparm [--user-master] [u] [--security-set-pass] [fuin] [" ATA_DEV "]\n"
                 "hdparm [--user-master] [u] [--security-erase-enhanced] [fuin] [" ATA_DEV "]\n");
    assert_int_equal(r.success, 1);
    assert_int_equal(r.category, FUIN_WIPE_CLEAR);
    assert_result_common(&r);

    /* The erase fails: the password is removed again. */
    reset_calls();
    respond("hdparm-erase", 0, "err", "SECURITY_ERASE: Input/output error\n");
    respond("hdparm-erase", 0, "rc", "5\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_calls("hdparm [--user-master] [u] [--security-set-pass] [fuin] [" ATA_DEV "]\n"
                 "hdparm [--user-master] [u] [--security-erase] [fuin] [" ATA_DEV "]\n"
                 "hdparm [--user-master] [u] [--security-disable] [fuin] [" ATA_DEV "]\n");
    assert_int_equal(r.success, 0);
    assert_string_equal(r.message, "ata-security-erase: hdparm exited with status 5: "
                                   "SECURITY_ERASE: Input/output error; the temporary "
                                   "password was removed again");
    /* ... and when that fails too, the message says the drive is locked. */
    respond("hdparm-disable", 0, "err", "SECURITY_UNLOCK: Input/output error\n");
    respond("hdparm-disable", 0, "rc", "5\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_non_null(strstr(r.message, "SECURITY_ERASE: Input/output error; removing the "
                                      "temporary password failed too"));
    assert_non_null(strstr(r.message, "keeps user password \"fuin\""));

    /* Setting the password fails: nothing else is run. */
    reset_calls();
    respond("hdparm-set-pass", 0, "err", "SECURITY_SET_PASS: Input/output error\n");
    respond("hdparm-set-pass", 0, "rc", "5\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_calls("hdparm [--user-master] [u] [--security-set-pass] [fuin] [" ATA_DEV "]\n");
    assert_string_equal(r.message, "ata-security-set-pass: hdparm exited with status 5: "
                                   "SECURITY_SET_PASS: Input/output error");
    respond("hdparm-set-pass", 0, "rc", "0\n");

    /* Cancelled after the password was set: it is removed, no erase. */
    reset_calls();
    respond("hdparm-disable", 0, "rc", "0\n");
    memset(&pl, 0, sizeof pl);
    pl.cancel = 1;
    pl.cancel_step = FUIN_SANITIZE_ATA_SECURITY_ERASE;
    pl.cancel_pct = -1;
    o.progress = on_progress;
    o.progress_ctx = &pl;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_calls("hdparm [--user-master] [u] [--security-set-pass] [fuin] [" ATA_DEV "]\n"
                 "hdparm [--user-master] [u] [--security-disable] [fuin] [" ATA_DEV "]\n");
    assert_int_equal(r.cancelled, 1);
    assert_string_equal(r.message, "cancelled after setting the temporary ATA password; "
                                   "the temporary password was removed again");
}

static void test_run_ata_sanitize(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t = ata_target();
    progress_log pl;
    (void)state;
    opts(&o);
    memset(&s, 0, sizeof s);
    s.supported = FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_BLOCK_ERASE) |
                  FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_OVERWRITE);
    o.support = &s;
    respond_data("hdparm-sanitize-status", 1, "out", "hdparm-sanstat-running.txt");
    respond_data("hdparm-sanitize-status", 2, "out", "hdparm-sanstat-idle.txt");
    respond("hdparm-sanitize", 0, "out", "\n" ATA_DEV ":\nIssuing SANITIZE_BLOCK_ERASE command\n"
                                         "Operation started in background\n");
    memset(&pl, 0, sizeof pl);
    o.progress = on_progress;
    o.progress_ctx = &pl;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_BLOCK_ERASE, &t, &o, &r), FUIN_OK);
    assert_calls("hdparm [--yes-i-know-what-i-am-doing] [--sanitize-block-erase] [" ATA_DEV "]\n"
                 "hdparm [--sanitize-status] [" ATA_DEV "]\n"
                 "hdparm [--sanitize-status] [" ATA_DEV "]\n");
    assert_int_equal(r.success, 1);
    assert_int_equal(r.category, FUIN_WIPE_PURGE);
    assert_true(saw_pct(&pl, FUIN_SANITIZE_ATA_SANITIZE_STATUS, 50));
    assert_result_common(&r);

    /* Failure reported by SANITIZE STATUS (hdparm exits non-zero). */
    reset_calls();
    o.progress = NULL;
    respond("hdparm-sanitize-status", 0, "err", "");
    {
        char *e = src_file("tests/shim/data/hdparm-sanstat-failed.err", NULL);
        respond("hdparm-sanitize-status", 3, "err", e);
        free(e);
    }
    respond("hdparm-sanitize-status", 3, "rc", "5\n");
    /* Overwrite on rotating media is Purge. */
    t.rotational = 1;
    o.overwrite_pattern = 0x55aa55aau;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_OVERWRITE, &t, &o, &r), FUIN_E_IO);
    assert_calls("hdparm [--yes-i-know-what-i-am-doing] [--sanitize-overwrite-passes] [1] "
                 "[--sanitize-overwrite] [hex:55aa55aa] [" ATA_DEV "]\n"
                 "hdparm [--sanitize-status] [" ATA_DEV "]\n");
    assert_int_equal(r.success, 0);
    assert_int_equal(r.category, FUIN_WIPE_PURGE);
    assert_string_equal(r.message,
                        "ata-sanitize-status: hdparm exited with status 5: SANITIZE "
                        "failed: Input/output error SANITIZE device error reason: Last "
                        "Sanitize Command completed unsuccessfully Drive in SD3 Sanitize "
                        "Operation Failed state");

    /* Cancelled while waiting: the device goes on, the result says so. */
    reset_calls();
    respond_data("hdparm-sanitize-status", 0, "out", "hdparm-sanstat-running.txt");
    memset(&pl, 0, sizeof pl);
    pl.cancel = 1;
    pl.cancel_step = FUIN_SANITIZE_ATA_SANITIZE_STATUS;
    pl.cancel_pct = 50;
    o.progress = on_progress;
    o.progress_ctx = &pl;
    t.rotational = 0;
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_ATA_BLOCK_ERASE, &t, &o, &r), FUIN_E_IO);
    assert_int_equal(r.cancelled, 1);
    assert_int_equal(r.success, 0);
    assert_string_equal(r.message, "cancelled while waiting; the device continues its "
                                   "sanitize operation (it cannot be stopped)");
    assert_calls("hdparm [--yes-i-know-what-i-am-doing] [--sanitize-block-erase] [" ATA_DEV "]\n"
                 "hdparm [--sanitize-status] [" ATA_DEV "]\n");
}

/* A tool that writes more than fuin keeps, and binary junk on stderr: the
 * message stays one bounded line of valid UTF-8. */
static void test_run_messages_bounded(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t = target("/dev/mmcblk0", "mmcblk0", "mmc", 0);
    char *big = malloc(300000);
    (void)state;
    assert_non_null(big);
    for (size_t i = 0; i < 299999; i++)
        big[i] = (char)("\xe6\xb6\x88\n\x01\xff"[i % 6]);
    big[299999] = '\0';
    opts(&o);
    memset(&s, 0, sizeof s);
    s.supported = FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE);
    o.support = &s;
    respond("blkdiscard", 0, "err", big);
    respond("blkdiscard", 0, "out", big);
    respond("blkdiscard", 0, "rc", "1\n");
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r), FUIN_E_IO);
    free(big);
    assert_true(strlen(r.message) < sizeof r.message);
    assert_non_null(strstr(r.message, "secure-discard: blkdiscard exited with status 1: \xe6\xb6\x88 ?\xe6\xb6\x88 ?"));
    assert_null(strchr(r.message, '\n'));
    assert_int_equal(fuin__utf8_valid(r.message, strlen(r.message)), 1);
}

/* With a real block device (root and a loop device needed): fuin holds it
 * O_EXCL for the run, so a device another program holds exclusively is
 * refused before any tool runs. */
static char loopdev[64];

static int teardown_loop(void **state)
{
    if (loopdev[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", loopdev);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not detach %s\n", loopdev);
        loopdev[0] = '\0';
    }
    return teardown(state);
}

static void test_run_holds_device(void **state)
{
    fuin_sanitize_options o;
    fuin_sanitize_support s;
    fuin_wipe_result r;
    fuin_wipe_target t;
    char img[600], cmd[800], want[256];
    FILE *f;
    int fd;
    (void)state;
    if (geteuid() != 0) {
        printf("SKIP: test_run_holds_device needs root (loop device)\n");
        skip();
    }
    snprintf(img, sizeof img, "%s/disk.img", tmp);
    write_file(img, "", 0, 0600);
    assert_int_equal(truncate(img, 1 << 20), 0);
    snprintf(cmd, sizeof cmd, "losetup -f --show '%s' 2>/dev/null", img);
    f = popen(cmd, "r");
    assert_non_null(f);
    if (fgets(loopdev, sizeof loopdev, f) == NULL)
        loopdev[0] = '\0';
    pclose(f);
    loopdev[strcspn(loopdev, "\n")] = '\0';
    if (strncmp(loopdev, "/dev/loop", 9) != 0) {
        loopdev[0] = '\0';
        printf("SKIP: test_run_holds_device: no loop device (losetup -f failed)\n");
        skip();
    }
    t = target(loopdev, loopdev + 5, "loop", 0);
    opts(&o);
    memset(&s, 0, sizeof s);
    s.supported = FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE);
    o.support = &s;
    fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r),
                     FUIN_E_POLICY);
    close(fd);
    assert_calls(NULL);
    snprintf(want, sizeof want, "secure-discard: %s: Device or resource busy "
             "(the device is in use)", loopdev);
    assert_string_equal(r.message, want);
    assert_int_equal(r.success, 0);
    /* Free again: the (fake) tool runs on it. */
    assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &o, &r), FUIN_OK);
    snprintf(want, sizeof want, "blkdiscard [--secure] [--force] [%s]\n", loopdev);
    assert_calls(want);
    /* After the run the device is free again. */
    fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    /* Held by the caller since before its confirmation: the run uses that
     * hold and never lets go of it. */
    {
        fuin_wipe_dev *d = NULL;
        fuin_wipe_target rt, other;
        char err[512];
        assert_int_equal(fuin_wipe_device_open(loopdev, &rt, &d, err, sizeof err),
                         FUIN_OK);
        o.held = d;
        reset_calls();
        assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &rt, &o, &r),
                         FUIN_OK);
        assert_calls(want);
        fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
        assert_int_equal(fd, -1);
        assert_int_equal(errno, EBUSY);
        /* A hold on another device is not this target's. */
        other = rt;
        other.minor++;
        reset_calls();
        assert_int_equal(fuin_sanitize_run(FUIN_SANITIZE_BLKDISCARD_SECURE, &other, &o, &r),
                         FUIN_E_INVALID);
        assert_calls(NULL);
        assert_non_null(strstr(r.message, "the held device is not this target"));
        assert_int_equal(fuin_wipe_device_close(d), FUIN_OK);
        o.held = NULL;
    }
}

/* The checks a caller makes before confirmation are the run's own. */
static void test_allowed(void **state)
{
    fuin_wipe_target t = target("/dev/sdz", "sdz", "ata", 0);
    fuin_sanitize_support s;
    char why[256];
    (void)state;
    memset(&s, 0, sizeof s);
    s.supported = FUIN_SANITIZE_BIT(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE);
    s.unknown = FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE);
    snprintf(s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE],
             sizeof s.why_not[FUIN_SANITIZE_ATA_SECURITY_ERASE], "ATA security is frozen");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE, &t, &s, 0,
                                           why, sizeof why), FUIN_OK);
    assert_string_equal(why, "");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_ATA_SECURITY_ERASE, &t, &s,
                                           FUIN_SANITIZE_F_FORCE, why, sizeof why),
                     FUIN_E_POLICY);
    assert_string_equal(why, "ATA security is frozen");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &s, 0,
                                           why, sizeof why), FUIN_E_POLICY);
    assert_string_equal(why, "not supported by the device");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_BLKDISCARD_SECURE, &t, &s,
                                           FUIN_SANITIZE_F_FORCE, why, sizeof why), FUIN_OK);
    t.is_partition = 1;
    snprintf(t.disk, sizeof t.disk, "sdy");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE, &t, &s,
                                           FUIN_SANITIZE_F_FORCE, why, sizeof why),
                     FUIN_E_POLICY);
    assert_string_equal(why, "it is a partition: device erase commands erase the whole "
                             "disk (/dev/sdy)");
    assert_int_equal(fuin_sanitize_allowed(FUIN_SANITIZE_NVME_SANITIZE_LOG, &t, &s, 0,
                                           why, sizeof why), FUIN_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_shell_text),
        cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_controller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_hdparm_identify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_nvme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_hdparm_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_ata_frozen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_ata_ssd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_ata_password_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_nvme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_nvme_sanitize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_nvme_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_nvme_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_ata_security_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_ata_sanitize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_messages_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_holds_device, setup, teardown_loop),
    };
    find_srcdir();
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
