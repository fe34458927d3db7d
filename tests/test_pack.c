/* Unit tests for lib/pack/: entry name rules, collision keys, renaming,
 * labels in names, the manifest lines, symbolic link targets, and a
 * package written and read back in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>

#include "fuin.h"
#include "pack/extract.h"
#include "pack/pack_internal.h"
#include "label/label_internal.h"

static void expect_name(const char *name, fuin_status want, const char *why)
{
    char msg[256];
    fuin_status s = fuin_entry_name_check(name, strlen(name), msg, sizeof msg);
    if (s != want)
        fail_msg("\"%s\": got %d (%s), want %d", name, s, msg, want);
    if (why != NULL && strstr(msg, why) == NULL)
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", name, msg, why);
}

static void test_names(void **state)
{
    (void)state;
    expect_name("a.txt", FUIN_OK, NULL);
    expect_name("docs/報告/本文.txt", FUIN_OK, NULL);
    expect_name("./docs/a", FUIN_OK, NULL);
    expect_name("docs/", FUIN_OK, NULL);
    expect_name("【機密性2】内訳.txt", FUIN_OK, NULL);
    expect_name("", FUIN_E_UNSAFE, "empty");
    expect_name("/etc/passwd", FUIN_E_UNSAFE, "absolute");
    expect_name("../x", FUIN_E_UNSAFE, "\"..\"");
    expect_name("a/../../x", FUIN_E_UNSAFE, "\"..\"");
    expect_name("./../x", FUIN_E_UNSAFE, "\"..\"");
    expect_name("a/./b", FUIN_E_UNSAFE, "\".\"");
    expect_name("a//b", FUIN_E_UNSAFE, "empty path component");
    expect_name("a\nb", FUIN_E_UNSAFE, "control character U+000A");
    expect_name("a\x1b[31mb", FUIN_E_UNSAFE, "control character U+001B");
    expect_name("a\xc2\x85" "b", FUIN_E_UNSAFE, "control character U+0085");
    expect_name("evil\xe2\x80\xaetxt.exe", FUIN_E_UNSAFE, "U+202E");
    expect_name("zero\xe2\x80\x8bwidth", FUIN_E_UNSAFE, "U+200B");
    expect_name("\xef\xbb\xbf" "bom", FUIN_E_UNSAFE, "U+FEFF");
    expect_name("bad\xff", FUIN_E_UNSAFE, "not valid UTF-8");
    expect_name("a\\b", FUIN_E_UNSAFE, "'\\'");
    expect_name("a:b", FUIN_E_UNSAFE, "':'");
    expect_name("what?", FUIN_E_UNSAFE, "'?'");
    expect_name("CON", FUIN_E_UNSAFE, "reserved device name");
    expect_name("dir/aux.txt", FUIN_E_UNSAFE, "reserved device name");
    expect_name("Com7.tar.gz", FUIN_E_UNSAFE, "reserved device name");
    expect_name("LPT9", FUIN_E_UNSAFE, "reserved device name");
    expect_name("COM0", FUIN_OK, NULL);
    expect_name(".fuin-unpack-aaaaaaaaaaaa/keep.txt", FUIN_E_UNSAFE, "private");
    expect_name("a/.fuin-unpack-x", FUIN_E_UNSAFE, "private");
    expect_name(".fuin-unpack", FUIN_OK, NULL);
    expect_name("CONSOLE", FUIN_OK, NULL);
    expect_name("trail.", FUIN_E_UNSAFE, "dot");
    expect_name("trail ", FUIN_E_UNSAFE, "space");
    {
        char longc[300];
        memset(longc, 'a', 256);
        longc[256] = '\0';
        expect_name(longc, FUIN_E_UNSAFE, "255 bytes");
    }
}

static void test_collision_keys(void **state)
{
    /* "é" precomposed (NFC) and decomposed (NFD); "が" likewise; case */
    char *a = fuin_entry_collision_key("caf\xc3\xa9.txt", 9);
    char *b = fuin_entry_collision_key("cafe\xcc\x81.txt", 10);
    char *c = fuin_entry_collision_key("CAF\xc3\x89.TXT", 9);
    char *d = fuin_entry_collision_key("\xe3\x81\x8c", 3);
    char *e = fuin_entry_collision_key("\xe3\x81\x8b\xe3\x82\x99", 6);
    char *f = fuin_entry_collision_key("./Dir/", 6);
    char *g = fuin_entry_collision_key("dir", 3);
    (void)state;
    assert_non_null(a);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_string_equal(d, e);
    assert_string_equal(f, g);
    assert_null(fuin_entry_collision_key("\xff", 1));
    free(a), free(b), free(c), free(d), free(e), free(f), free(g);
}

static void test_rename(void **state)
{
    static const char *const in[] = {"a:b", "CON", "x/aux.txt", "..", "trail.", "a\nb",
                                     "e\xe2\x80\xaex", "ok/名前"};
    static const char *const out[] = {"a_b", "CON_", "x/aux_.txt", "__", "trail._", "a_b",
                                      "e_x", "ok/名前"};
    (void)state;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char *r = fuin__entry_name_rename(in[i], strlen(in[i]));
        assert_non_null(r);
        assert_string_equal(r, out[i]);
        assert_int_equal(fuin_entry_name_check(r, strlen(r), NULL, 0), FUIN_OK);
        free(r);
    }
}

static void test_label_from_name(void **state)
{
    fuin_label l;
    (void)state;
    assert_int_equal(fuin__label_from_name("【機密性2】内訳.txt", &l), 1);
    assert_int_equal(l.confidentiality, 2);
    assert_int_equal(fuin__label_from_name("[C3-I2-A1]x.pdf", &l), 1);
    assert_int_equal(l.confidentiality, 3);
    assert_int_equal(l.integrity, 2);
    assert_int_equal(fuin__label_from_name("plain.txt", &l), 0);
    /* a bracket that holds no class is a name, not a broken label */
    assert_int_equal(fuin__label_from_name("[draft] notes.txt", &l), 0);
    assert_int_equal(fuin__label_from_name("【機密性4】x.txt", &l), -1);
    assert_int_equal(fuin__label_from_name("[C9]x.txt", &l), -1);
    assert_int_equal(fuin__label_from_name("【 機密性3・完全性2】x", &l), 1);
    assert_int_equal(l.integrity, 2);
    assert_int_equal(fuin__label_from_name("[unclosed", &l), 0);
}

static void test_zip_passphrase(void **state)
{
    char a[FUIN_ZIP_PASSPHRASE_MAX], b[FUIN_ZIP_PASSPHRASE_MAX];
    (void)state;
    assert_int_equal(fuin_zip_passphrase_new(a, sizeof a - 1), FUIN_E_INVALID);
    assert_int_equal(fuin_zip_passphrase_new(a, sizeof a), FUIN_OK);
    assert_int_equal(fuin_zip_passphrase_new(b, sizeof b), FUIN_OK);
    assert_int_equal(strlen(a), 29);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 29; i++) {
        if (i % 5 == 4)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", a[i]));
    }
}

static void test_symlink_targets(void **state)
{
    char why[128];
    (void)state;
    assert_int_equal(fuin__symlink_target_check("a/link", "b", why, sizeof why), FUIN_OK);
    assert_int_equal(fuin__symlink_target_check("a/link", "../b", why, sizeof why), FUIN_OK);
    assert_int_equal(fuin__symlink_target_check("a/link", "../../b", why, sizeof why),
                     FUIN_E_UNSAFE);
    assert_int_equal(fuin__symlink_target_check("link", "..", why, sizeof why), FUIN_E_UNSAFE);
    assert_int_equal(fuin__symlink_target_check("link", "./x/../y", why, sizeof why), FUIN_OK);
    assert_int_equal(fuin__symlink_target_check("link", "x/../../y", why, sizeof why),
                     FUIN_E_UNSAFE);
    assert_int_equal(fuin__symlink_target_check("link", "/etc/passwd", why, sizeof why),
                     FUIN_E_UNSAFE);
    assert_int_equal(fuin__symlink_target_check("link", "", why, sizeof why), FUIN_E_UNSAFE);
}

static void test_manifest_lines(void **state)
{
    fuin_manifest_info info, back;
    fuin_pack_entry e;
    fuin__pentry pe;
    char msg[256], *line;
    size_t len;
    (void)state;
    memset(&info, 0, sizeof info);
    info.class_label = (fuin_label){2, 2, 1, FUIN_R_NO_COPY};
    info.created = 1796500000;
    snprintf(info.creator, sizeof info.creator, "山田 花子");
    snprintf(info.tool, sizeof info.tool, "fuin test");
    info.entries = 1;
    info.bytes = 5;
    line = fuin__manifest_info_line(&info, &len);
    assert_non_null(line);
    assert_int_equal(line[len - 1], '\n');
    assert_int_equal(fuin__manifest_parse_info(line, len - 1, &back, msg, sizeof msg), FUIN_OK);
    assert_memory_equal(&back.class_label, &info.class_label, sizeof info.class_label);
    assert_string_equal(back.creator, "山田 花子");
    free(line);

    memset(&e, 0, sizeof e);
    e.path = "docs/a b.txt";
    e.type = FUIN_ENTRY_FILE;
    e.size = 5;
    e.mode = 0640;
    e.mtime = 1796500000;
    memset(e.sha256, 0xab, 32);
    line = fuin__manifest_entry_line(&e, &len);
    assert_non_null(line);
    assert_int_equal(fuin__manifest_parse_entry(line, len - 1, &pe, msg, sizeof msg), FUIN_OK);
    assert_string_equal(pe.path, "docs/a b.txt");
    assert_int_equal(pe.pub.mode, 0640);
    assert_memory_equal(pe.pub.sha256, e.sha256, 32);
    free(pe.path);
    free(line);

    /* a well-formed line whose path cannot be created: unsafe, not syntax */
    {
        const char *l = "{\"path\":\"../a\",\"type\":\"dir\",\"mode\":\"0755\","
                        "\"mtime\":\"2026-01-01T00:00:00Z\"}";
        assert_int_equal(fuin__manifest_parse_entry(l, strlen(l), &pe, msg, sizeof msg),
                         FUIN_E_UNSAFE);
        assert_non_null(strstr(msg, "\"..\" component"));
        free(pe.path);
    }
    /* strictness: each of these is refused, with a reason */
    static const char *const bad[] = {
        "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\",\"x\":1}",
        "{\"path\":\"a\",\"type\":\"link\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\"}",
        "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"4755\",\"mtime\":\"2026-01-01T00:00:00Z\"}",
        "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"yesterday\"}",
        "{\"path\":\"a\",\"type\":\"file\",\"size\":1,\"mode\":\"0644\",\"mtime\":\"2026-01-01T00:00:00Z\",\"sha256\":\"AB\"}",
        "{\"path\":\"a\",\"type\":\"dir\",\"size\":1,\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\"}",
        "{\"path\":\"a\",\"path\":\"b\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\"}",
        "{\"path\":\"a\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\",\"label\":\"c2\"}",
        "[1,2]",
        "{\"path\":\"a/\",\"type\":\"dir\",\"mode\":\"0755\",\"mtime\":\"2026-01-01T00:00:00Z\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        if (fuin__manifest_parse_entry(bad[i], strlen(bad[i]), &pe, msg, sizeof msg) !=
            FUIN_E_SYNTAX)
            fail_msg("accepted: %s", bad[i]);
        assert_true(msg[0] != '\0');
        free(pe.path);
    }
}

/* ---- a package in memory ------------------------------------------------ */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
} membuf;

static int to_mem(void *ctx, const uint8_t *p, size_t n)
{
    membuf *m = ctx;
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->buf = realloc(m->buf, m->cap);
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    return 0;
}

static int memfd_of(const membuf *m)
{
    int fd = memfd_create("pkg", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, m->buf, m->len), (ssize_t)m->len);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void test_roundtrip(void **state)
{
    char dir[] = "/tmp/fuin-test-pack-XXXXXX", path[256];
    fuin_packer *p = fuin_packer_new();
    fuin_unpacker *u = fuin_unpacker_new();
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    fuin_sigmeta meta;
    membuf m = {0};
    FILE *f;
    int fd;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/in", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/in/a.txt", dir);
    f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/in", dir);
    assert_int_equal(fuin_packer_add_path(p, path), FUIN_OK);
    assert_int_equal(fuin_packer_add_path(p, path), FUIN_E_UNSAFE); /* twice */
    assert_int_equal(fuin_packer_count(p), 2);
    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    memset(&meta, 0, sizeof meta);
    snprintf(meta.signer, sizeof meta.signer, "test");
    memcpy(meta.keyid, pk.keyid, sizeof meta.keyid);
    assert_int_equal(fuin_packer_set_signer(p, sk, &meta), FUIN_OK);
    assert_int_equal(fuin_packer_write(p, to_mem, &m), FUIN_OK);
    assert_int_equal(fuin_packer_add_path(p, path), FUIN_E_STATE); /* written */

    /* signed by a key without certificate: verification says untrusted */
    fd = memfd_of(&m);
    assert_int_equal(fuin_unpacker_set_trust(u, &pk, NULL), FUIN_OK);
    assert_int_equal(fuin_unpack_fd(u, fd), FUIN_E_UNTRUSTED);
    assert_true(fuin_unpacker_result(u)->is_package);
    close(fd);

    /* one flipped byte in the payload: a mismatch, whatever the trust */
    {
        uint8_t *hit = memmem(m.buf, m.len, "hello\n", 6);
        assert_non_null(hit);
        hit[0] = 'j';
        fd = memfd_of(&m);
        assert_int_equal(fuin_unpacker_set_foreign(u, 1), FUIN_OK);
        /* still a package: the first member decides, not --any */
        assert_int_equal(fuin_unpack_fd(u, fd), FUIN_E_UNTRUSTED);
        close(fd);
    }
    /* unsigned (C1 allows it): intact verifies, one flipped byte does not */
    {
        fuin_packer *q = fuin_packer_new();
        membuf n = {0};
        uint8_t *hit;
        assert_int_equal(fuin_packer_add_path(q, path), FUIN_OK);
        assert_int_equal(fuin_packer_write(q, to_mem, &n), FUIN_OK);
        fd = memfd_of(&n);
        assert_int_equal(fuin_unpack_fd(u, fd), FUIN_OK);
        assert_false(fuin_unpacker_result(u)->signed_);
        assert_int_equal(fuin_unpacker_count(u), 2);
        close(fd);
        hit = memmem(n.buf, n.len, "hello\n", 6);
        assert_non_null(hit);
        hit[0] = 'j';
        fd = memfd_of(&n);
        assert_int_equal(fuin_unpack_fd(u, fd), FUIN_E_MISMATCH);
        assert_non_null(strstr(fuin_unpacker_errmsg(u), "in/a.txt\" differs from the manifest"));
        close(fd);
        /* cut short */
        hit[0] = 'h';
        n.len = n.len / 2;
        fd = memfd_of(&n);
        assert_int_equal(fuin_unpack_fd(u, fd), FUIN_E_MISMATCH);
        close(fd);
        free(n.buf);
        fuin_packer_free(q);
    }
    fuin_unpacker_free(u);
    fuin_packer_free(p);
    fuin_seckey_free(sk);
    free(m.buf);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* A file that changes between the scan and the write is refused (tar
 * and zip), and no zip is left; one that does not change packs. */
static void test_changed_while_packed(void **state)
{
    char dir[] = "/tmp/fuin-test-pack-XXXXXX", in[256], file[300], zip[300];
    const char *pass = "TEST-PASS-PHRA-SE23-4567-89AB";
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/in", dir);
    assert_int_equal(mkdir(in, 0755), 0);
    snprintf(file, sizeof file, "%s/in/a.txt", dir);
    snprintf(zip, sizeof zip, "%s/out.zip", dir);
    for (int round = 0; round < 3; round++) {
        fuin_packer *p = fuin_packer_new();
        membuf m = {0};
        fuin_status s;
        f = fopen(file, "w");
        fputs("hello\n", f);
        fclose(f);
        assert_int_equal(fuin_packer_add_path(p, in), FUIN_OK);
        if (round > 0) { /* grows after the scan */
            f = fopen(file, "a");
            fputs("more\n", f);
            fclose(f);
        }
        s = round == 1 ? fuin_packer_write(p, to_mem, &m)
                       : fuin_packer_write_zip(p, zip, pass, 0);
        if (round == 0) {
            assert_int_equal(s, FUIN_OK);
            assert_int_equal(access(zip, F_OK), 0);
            assert_int_equal(unlink(zip), 0);
        } else {
            assert_int_equal(s, FUIN_E_MISMATCH);
            assert_non_null(strstr(fuin_packer_errmsg(p), "changed while it was being packed"));
            assert_int_equal(access(zip, F_OK), -1);
        }
        free(m.buf);
        fuin_packer_free(p);
    }
    {
        /* nothing else is left beside the zip either */
        char cmd[400];
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^in$')\"", dir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* A tar in a memfd: items "f:NAME", "d:NAME", "l:NAME>TARGET", "h:NAME>TARGET". */
static int tar_fd(const char *const *items, size_t n)
{
    int fd = memfd_create("tar", 0);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    assert_true(fd >= 0);
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        const char *gt = strchr(items[i] + 2, '>');
        snprintf(name, sizeof name, "%.*s", gt ? (int)(gt - items[i] - 2) : 60, items[i] + 2);
        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_perm(e, 0644);
        switch (items[i][0]) {
        case 'f':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, 2);
            break;
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, gt + 1);
            break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, gt + 1);
            break;
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (items[i][0] == 'f')
            assert_int_equal(archive_write_data(a, "x\n", 2), 2);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* Verify only (no directory), any tar: what unpack refuses about links
 * and the tree's shape is refused too, with unpack's words. */
static void test_foreign_verify_shape(void **state)
{
    static const char *const hard_forward[] = {"h:h>later", "f:later"};
    static const char *const hard_symlink[] = {"l:l>x", "f:x", "h:h>l"};
    static const char *const hard_hard[] = {"f:x", "h:h>x", "h:g>h"};
    static const char *const through_link[] = {"d:sub", "l:link>sub", "f:link/x"};
    static const char *const through_file[] = {"f:x", "f:x/y"};
    static const char *const link_over_dir[] = {"f:a/f", "l:a>b"};
    static const char *const good[] = {"d:a", "f:a/f", "h:h>a/f", "l:s>a/f", "f:b/c/d"};
    struct {
        const char *const *items;
        size_t n;
        fuin_status want;
        const char *msg;
    } cases[] = {
        {hard_forward, 2, FUIN_E_UNSAFE, "\"h\": hard link to \"later\", which is not a file extracted before it"},
        {hard_symlink, 3, FUIN_E_UNSAFE, "\"h\": hard link to \"l\", which is not a file"},
        {hard_hard, 3, FUIN_E_UNSAFE, "\"g\": hard link to \"h\", which is not a file"},
        {through_link, 3, FUIN_E_UNSAFE, "\"link/x\": goes through a symbolic link or a file"},
        {through_file, 2, FUIN_E_UNSAFE, "\"x/y\": goes through a symbolic link or a file"},
        {link_over_dir, 2, FUIN_E_UNSAFE, "\"a\": is both a symbolic link and a directory"},
        {good, 5, FUIN_OK, NULL},
    };
    fuin_unpacker *u = fuin_unpacker_new();
    (void)state;
    assert_int_equal(fuin_unpacker_set_foreign(u, 1), FUIN_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = tar_fd(cases[i].items, cases[i].n);
        fuin_status s = fuin_unpack_fd(u, fd);
        close(fd);
        if (s != cases[i].want)
            fail_msg("case %zu: %s (%s)", i, fuin_strerror(s), fuin_unpacker_errmsg(u));
        if (cases[i].msg != NULL && strstr(fuin_unpacker_errmsg(u), cases[i].msg) == NULL)
            fail_msg("case %zu: %s", i, fuin_unpacker_errmsg(u));
    }
    fuin_unpacker_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),          cmocka_unit_test(test_collision_keys),
        cmocka_unit_test(test_rename),         cmocka_unit_test(test_label_from_name),
        cmocka_unit_test(test_symlink_targets), cmocka_unit_test(test_manifest_lines),
        cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_zip_passphrase),
        cmocka_unit_test(test_changed_while_packed), cmocka_unit_test(test_foreign_verify_shape),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
