/* Unit tests for lib/label/file.c and scan.c: how places are compared
 * (parts, conflicts, unmapped MSIP labels), the policy's [labels] rules
 * (MSIP mapping both ways, the required name prefix), and the tree scan
 * (order, links, directories lower than their contents). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "fuin.h"
#include "label/doc.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fuin-filelabel.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    return chdir(dir);
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    if (chdir("/") != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static fuin_label L(int c, int i, int a, unsigned r)
{
    fuin_label l = {c, i, a, r};
    return l;
}

static void label_of(const char *path, const fuin_policy *pol, fuin_status want, fuin_label *out,
                     int *has, char *msg, size_t cap)
{
    fuin_file_labels *fl = NULL;
    char err[256];
    assert_int_equal(fuin_file_labels_read(path, pol, FUIN_LABEL_READ_DOCS, &fl, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(fuin_file_labels_result(fl, out, has, msg, cap), want);
    fuin_file_labels_free(fl);
}

static void test_formats(void **state)
{
    char b[160];
    fuin_label l = L(3, 2, 1, FUIN_R_NO_COPY | FUIN_R_NO_FORWARD);
    (void)state;
    size_t n = fuin_label_format_ja(&l, b, sizeof b);
    assert_int_equal(n, strlen(b));
    assert_string_equal(b, "機密性3 完全性2 可用性1 複製禁止 転送禁止");
    fuin_label_format_ascii(&l, b, sizeof b);
    assert_string_equal(b, "C3-I2-A1 no-copy no-forward");
    fuin_label_format_name(&l, b, sizeof b);
    assert_string_equal(b, "【機密性3・完全性2】");
    l = L(2, 1, 1, 0);
    fuin_label_format_name(&l, b, sizeof b);
    assert_string_equal(b, "【機密性2】");
    l = L(1, 1, 2, 0);
    fuin_label_format_name(&l, b, sizeof b);
    assert_string_equal(b, "【機密性1・可用性2】");
    /* every form parses back to the same label */
    l = L(2, 2, 2, FUIN_R_DESTROY_AFTER_READ);
    {
        fuin_label back;
        fuin_label_format_ja(&l, b, sizeof b);
        assert_int_equal(fuin_label_parse(b, &back, NULL, 0), FUIN_OK);
        assert_memory_equal(&back, &l, sizeof l);
        fuin_label_format_ascii(&l, b, sizeof b);
        assert_int_equal(fuin_label_parse(b, &back, NULL, 0), FUIN_OK);
        assert_memory_equal(&back, &l, sizeof l);
    }
    /* like snprintf */
    assert_int_equal(fuin_label_format_ja(&l, b, 4), strlen("機密性2 完全性2 可用性2 読後廃棄"));
}

static void test_parts_and_conflicts(void **state)
{
    fuin_label l, want;
    int has;
    char msg[256];
    (void)state;
    /* the name carries no restrictions: the xattr's are kept */
    write_file("【機密性2】a.txt", "a");
    want = L(2, 1, 1, FUIN_R_NO_COPY);
    assert_int_equal(fuin_file_label_set("【機密性2】a.txt", &want, NULL, 0, NULL, msg, sizeof msg),
                     FUIN_OK);
    label_of("【機密性2】a.txt", NULL, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 1);
    assert_memory_equal(&l, &want, sizeof l);
    /* set makes a class prefix already in the name agree */
    {
        char *now = NULL;
        want = L(3, 1, 1, 0);
        assert_int_equal(fuin_file_label_set("【機密性2】a.txt", &want, NULL, 0, &now, msg,
                                             sizeof msg),
                         FUIN_OK);
        assert_string_equal(now, "【機密性3】a.txt");
        free(now);
        label_of("【機密性3】a.txt", NULL, FUIN_OK, &l, &has, msg, sizeof msg);
        assert_int_equal(l.confidentiality, 3);
    }
    /* levels disagree: the xattrs say C2, the name C3 */
    assert_int_equal(setxattr("【機密性3】a.txt", "user.fuin.label", "機密性2", strlen("機密性2"), 0), 0);
    assert_int_equal(setxattr("【機密性3】a.txt", "user.fuin.class", "C2-I1-A1", 8, 0), 0);
    label_of("【機密性3】a.txt", NULL, FUIN_E_LABEL_CONFLICT, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 0);
    assert_string_equal(msg, "name says C3-I1-A1, xattr says C2-I1-A1");
    /* an unlabelled file */
    write_file("b.txt", "b");
    label_of("b.txt", NULL, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 0);
    /* the name alone */
    write_file("【機密性3・可用性2】c.txt", "c");
    label_of("【機密性3・可用性2】c.txt", NULL, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 1);
    want = L(3, 1, 2, 0);
    assert_memory_equal(&l, &want, sizeof l);
    /* the effective label for an operation */
    assert_int_equal(fuin_file_label_effective("【機密性3・可用性2】c.txt", NULL, NULL, &l, &has, msg,
                                               sizeof msg),
                     FUIN_OK);
    assert_int_equal(l.confidentiality, 3);
    want = L(3, 2, 1, 0);
    assert_int_equal(fuin_file_label_effective("【機密性3・可用性2】c.txt", &want, NULL, &l, &has,
                                               msg, sizeof msg),
                     FUIN_E_POLICY);
    assert_non_null(strstr(msg, "(C3-I2-A1) is lower than the file's own label (C3-I1-A2)"));
    want = L(3, 2, 2, 0);
    assert_int_equal(fuin_file_label_effective("【機密性3・可用性2】c.txt", &want, NULL, &l, &has,
                                               msg, sizeof msg),
                     FUIN_OK);
    assert_memory_equal(&l, &want, sizeof l);
    assert_int_equal(fuin_file_label_effective("【機密性3】a.txt", NULL, NULL, &l, &has, msg,
                                               sizeof msg),
                     FUIN_E_LABEL_CONFLICT);
    /* a --class keeps the file's restrictions */
    write_file("r.txt", "r");
    want = L(2, 1, 1, FUIN_R_NO_COPY);
    assert_int_equal(fuin_file_label_set("r.txt", &want, NULL, 0, NULL, msg, sizeof msg), FUIN_OK);
    want = L(2, 1, 1, 0);
    assert_int_equal(fuin_file_label_effective("r.txt", &want, NULL, &l, &has, msg, sizeof msg),
                     FUIN_OK);
    assert_int_equal(l.restrictions, FUIN_R_NO_COPY);
    /* "[C3PO]" is a name, not a class */
    write_file("[C3PO] notes.txt", "n");
    label_of("[C3PO] notes.txt", NULL, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 0);
}

static fuin_policy *policy(const char *text)
{
    fuin_policy *p = NULL;
    char err[512];
    assert_int_equal(fuin_policy_parse(text, strlen(text), "t.ini", &p, err, sizeof err), FUIN_OK);
    return p;
}

static void test_policy_labels(void **state)
{
    fuin_policy *p, *bad = NULL;
    fuin_label c1 = L(1, 1, 1, 0), c2 = L(2, 1, 1, 0), c3 = L(3, 1, 1, 0);
    char err[512], v[64];
    (void)state;
    p = policy("[labels]\nname_required = C2\n"
               "msip_site = 11111111-2222-3333-4444-555555555555\n"
               "msip_C2 = AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee\n");
    assert_int_equal(fuin_policy_label_name_required(p, &c1), 0);
    assert_int_equal(fuin_policy_label_name_required(p, &c2), 1);
    assert_int_equal(fuin_policy_label_name_required(p, &c3), 1);
    /* stored lower case, compared without case */
    assert_string_equal(fuin_policy_msip_label(p, 2), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_null(fuin_policy_msip_label(p, 3));
    assert_string_equal(fuin_policy_msip_site(p), "11111111-2222-3333-4444-555555555555");
    assert_int_equal(fuin_policy_msip_class(p, "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"), 2);
    assert_int_equal(fuin_policy_msip_class(p, "99999999-bbbb-cccc-dddd-eeeeeeeeeeee"), 0);
    assert_int_equal(fuin_policy_value(p, "labels", "msip_C3", v, sizeof v, NULL), FUIN_OK);
    assert_string_equal(v, "none");
    fuin_policy_free(p);
    assert_int_equal(fuin_policy_parse("[labels]\nmsip_C1 = not-a-guid\n", 31, "t.ini", &bad, err,
                                       sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err, "t.ini:2: [labels] msip_C1: must be \"none\" or a GUID "
                             "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    assert_int_equal(fuin_policy_parse("[labels]\nname_required = C4\n", 29, "t.ini", &bad, err,
                                       sizeof err),
                     FUIN_E_SYNTAX);
    /* one MSIP label cannot stand for two classes */
    {
        const char *dup = "[labels]\nmsip_C2 = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
                          "msip_C3 = AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee\n";
        assert_int_equal(fuin_policy_parse(dup, strlen(dup), "t.ini", &bad, err, sizeof err),
                         FUIN_E_SYNTAX);
        assert_non_null(strstr(err, "t.ini:3: [labels] msip_C2 and msip_C3 name the same"));
    }
    /* the default requires no name and maps nothing */
    assert_int_equal(fuin_policy_default(&p), FUIN_OK);
    assert_int_equal(fuin_policy_label_name_required(p, &c3), 0);
    assert_null(fuin_policy_msip_label(p, 1));
    assert_null(fuin_policy_msip_site(p));
    fuin_policy_free(p);
}

static void test_name_required(void **state)
{
    fuin_policy *p = policy("[labels]\nname_required = C2\n");
    fuin_label c1 = L(1, 1, 1, 0), c2 = L(2, 1, 1, 0);
    char *now = NULL, msg[256];
    (void)state;
    write_file("low.txt", "l");
    write_file("mid.txt", "m");
    assert_int_equal(fuin_file_label_set("low.txt", &c1, p, 0, &now, msg, sizeof msg), FUIN_OK);
    assert_string_equal(now, "low.txt");
    free(now);
    assert_int_equal(fuin_file_label_set("mid.txt", &c2, p, 0, &now, msg, sizeof msg), FUIN_OK);
    assert_string_equal(now, "【機密性2】mid.txt");
    assert_int_equal(access("【機密性2】mid.txt", F_OK), 0);
    free(now);
    fuin_policy_free(p);
}

typedef struct {
    char seen[32][128];
    fuin_scan_kind kind[32];
    int lower[32];
    int n;
} scan_log;

static int on_scan(void *ctx, const fuin_scan_entry *e)
{
    scan_log *s = ctx;
    if (s->n < 32) {
        snprintf(s->seen[s->n], sizeof s->seen[0], "%s%s%s", e->path,
                 e->has_label ? " " : "", "");
        if (e->has_label) {
            char t[64];
            fuin_label_format_ascii(&e->label, t, sizeof t);
            snprintf(s->seen[s->n], sizeof s->seen[0], "%s %s", e->path, t);
        }
        s->kind[s->n] = e->kind;
        s->lower[s->n] = e->kind == FUIN_SCAN_DIR && e->has_label && e->has_contents &&
                         e->label.confidentiality < e->contents.confidentiality;
        s->n++;
    }
    return 0;
}

static void test_scan(void **state)
{
    scan_log log;
    fuin_label c1 = L(1, 1, 1, 0), c2 = L(2, 1, 1, 0);
    char msg[256];
    (void)state;
    assert_int_equal(mkdir("t", 0755), 0);
    assert_int_equal(mkdir("t/b", 0755), 0);
    write_file("t/a.txt", "a");
    write_file("t/b/z.txt", "z");
    write_file("t/b/【機密性3】y.txt", "y");
    assert_int_equal(symlink("/etc", "t/link"), 0);
    assert_int_equal(fuin_file_label_set("t/a.txt", &c2, NULL, 0, NULL, msg, sizeof msg), FUIN_OK);
    assert_int_equal(fuin_file_label_set("t/b", &c1, NULL, 0, NULL, msg, sizeof msg), FUIN_OK);
    memset(&log, 0, sizeof log);
    assert_int_equal(fuin_label_scan("t", NULL, 0, on_scan, &log, msg, sizeof msg), FUIN_OK);
    /* name order, a directory after its contents, the root last */
    assert_int_equal(log.n, 6);
    assert_string_equal(log.seen[0], "a.txt C2-I1-A1");
    assert_string_equal(log.seen[1], "b/z.txt");
    assert_string_equal(log.seen[2], "b/【機密性3】y.txt C3-I1-A1");
    assert_string_equal(log.seen[3], "b C1-I1-A1");
    assert_int_equal(log.kind[3], FUIN_SCAN_DIR);
    assert_int_equal(log.lower[3], 1);
    assert_string_equal(log.seen[4], "link");
    assert_int_equal(log.kind[4], FUIN_SCAN_LINK);
    assert_string_equal(log.seen[5], ".");
    assert_int_equal(log.kind[5], FUIN_SCAN_DIR);
    assert_int_equal(fuin_label_scan("missing", NULL, 0, on_scan, &log, msg, sizeof msg),
                     FUIN_E_IO);
}

/* The MSIP mapping end to end, through a document python-docx made. */
static void test_msip(void **state)
{
    fuin_policy *p = policy("[labels]\nmsip_site = 11111111-2222-3333-4444-555555555555\n"
                            "msip_C2 = aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
                            "msip_C3 = 99999999-8888-7777-6666-555555555555\n");
    fuin_label c2 = L(2, 1, 1, 0), c3 = L(3, 1, 1, 0), l;
    fuin_file_labels *fl = NULL;
    char msg[256];
    int has, msip = 0;
    (void)state;
    assert_int_equal(system("/usr/bin/python3 -c 'import docx; docx.Document().save(\"m.docx\")'"), 0);
    assert_int_equal(fuin_file_label_set("m.docx", &c2, p, FUIN_LABEL_SET_DOC, NULL, msg, sizeof msg),
                     FUIN_OK);
    assert_int_equal(fuin_file_labels_read("m.docx", p, FUIN_LABEL_READ_DOCS, &fl, msg, sizeof msg),
                     FUIN_OK);
    for (size_t i = 0; i < fuin_file_labels_count(fl); i++) {
        const fuin_label_found *f = fuin_file_labels_get(fl, i);
        if (f->place == FUIN_LABEL_AT_MSIP) {
            msip++;
            assert_string_equal(f->text, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
            assert_int_equal(f->valid, 1);
            assert_int_equal(f->parts, FUIN_LABEL_PART_C);
            assert_int_equal(f->label.confidentiality, 2);
        }
    }
    assert_int_equal(msip, 1);
    assert_int_equal(fuin_file_labels_result(fl, &l, &has, msg, sizeof msg), FUIN_OK);
    assert_int_equal(l.confidentiality, 2);
    fuin_file_labels_free(fl);
    /* relabelled C3: the C2 MSIP label is replaced, not kept beside it */
    assert_int_equal(fuin_file_label_set("m.docx", &c3, p, FUIN_LABEL_SET_DOC, NULL, msg, sizeof msg),
                     FUIN_OK);
    label_of("m.docx", p, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(l.confidentiality, 3);
    assert_int_equal(system("exiftool -s3 -MSIP_Label_99999999-8888-7777-6666-555555555555_Enabled "
                            "m.docx | grep -qx true"),
                     0);
    assert_int_equal(system("exiftool -s3 -MSIP_Label_aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee_Enabled "
                            "m.docx | grep -q ."),
                     256);
    /* the xattr says C3 but Microsoft 365 relabelled it C2: a conflict */
    {
        fuin_label_found const *f;
        fuin__doc_stamp ds;
        memset(&ds, 0, sizeof ds);
        ds.label = "機密性3 完全性1 可用性1";
        ds.cls = "C3-I1-A1";
        ds.msip_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        ds.msip_name = "Confidential";
        ds.msip_site = "11111111-2222-3333-4444-555555555555";
        ds.time = 1700000000;
        assert_int_equal(fuin__ooxml_write("m.docx", &ds, msg, sizeof msg), FUIN_OK);
        label_of("m.docx", p, FUIN_E_LABEL_CONFLICT, &l, &has, msg, sizeof msg);
        assert_non_null(strstr(msg, "ooxml:msip says C2-I1-A1"));
        /* without the policy the MSIP label is nobody's: shown, not compared */
        assert_int_equal(fuin_file_labels_read("m.docx", NULL, FUIN_LABEL_READ_DOCS, &fl, msg,
                                               sizeof msg),
                         FUIN_OK);
        assert_int_equal(fuin_file_labels_result(fl, &l, &has, msg, sizeof msg), FUIN_OK);
        f = NULL;
        for (size_t i = 0; i < fuin_file_labels_count(fl); i++)
            if (fuin_file_labels_get(fl, i)->place == FUIN_LABEL_AT_MSIP)
                f = fuin_file_labels_get(fl, i);
        assert_non_null(f);
        assert_int_equal(f->valid, 0);
        assert_int_equal(f->parts, 0);
        fuin_file_labels_free(fl);
    }
    /* clear takes MSIP properties away too */
    assert_int_equal(fuin_file_label_clear("m.docx", FUIN_LABEL_SET_DOC, NULL, msg, sizeof msg),
                     FUIN_OK);
    label_of("m.docx", p, FUIN_OK, &l, &has, msg, sizeof msg);
    assert_int_equal(has, 0);
    fuin_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test_setup_teardown(test_parts_and_conflicts, setup, teardown),
        cmocka_unit_test(test_policy_labels),
        cmocka_unit_test_setup_teardown(test_name_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msip, setup, teardown),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
