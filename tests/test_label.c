/* Unit tests for lib/label/parse.c: spellings, canonical form, rejections and
 * the header stanza arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuin.h"
#include "internal.h"

#define R_ALL 0x3fu

typedef struct {
    const char *in;
    int c, i, a;
    unsigned r;
    const char *canonical;
} ok_case;

static const ok_case OK_CASES[] = {
    {"C1", 1, 1, 1, 0, "C1-I1-A1"},
    {"C2", 2, 1, 1, 0, "C2-I1-A1"},
    {"C3", 3, 1, 1, 0, "C3-I1-A1"},
    {"C3-I2-A2", 3, 2, 2, 0, "C3-I2-A2"},
    {"c3-i2-a2", 3, 2, 2, 0, "C3-I2-A2"},
    {"C3-i2-A1", 3, 2, 1, 0, "C3-I2-A1"},
    {"C2-A2", 2, 1, 2, 0, "C2-I1-A2"},
    {"C2-I2", 2, 2, 1, 0, "C2-I2-A1"},
    {"  C3-I2-A2 \t\n", 3, 2, 2, 0, "C3-I2-A2"},
    {"機密性2", 2, 1, 1, 0, "C2-I1-A1"},
    {"機密性３", 3, 1, 1, 0, "C3-I1-A1"},
    {"機密性3/完全性2/可用性2", 3, 2, 2, 0, "C3-I2-A2"},
    {"機密性3／完全性2／可用性2", 3, 2, 2, 0, "C3-I2-A2"},
    {"機密性3・完全性2・可用性1", 3, 2, 1, 0, "C3-I2-A1"},
    {"機密性3-完全性1-可用性2", 3, 1, 2, 0, "C3-I1-A2"},
    {"機密性3 完全性2 可用性2", 3, 2, 2, 0, "C3-I2-A2"},
    {"機密性３　完全性２　可用性２", 3, 2, 2, 0, "C3-I2-A2"},
    {"機密性3 / 完全性2", 3, 2, 1, 0, "C3-I2-A1"},
    {"機密性2/可用性2", 2, 1, 2, 0, "C2-I1-A2"},
    /* as a file-name prefix writes it, and as the policy names classes */
    {"【機密性2】", 2, 1, 1, 0, "C2-I1-A1"},
    {" 【 機密性3・完全性2 】 ", 3, 2, 1, 0, "C3-I2-A1"},
    {"[C2]", 2, 1, 1, 0, "C2-I1-A1"},
    {"［Ｃ３－Ｉ２］", 3, 2, 1, 0, "C3-I2-A1"},
    {"機密性２情報", 2, 1, 1, 0, "C2-I1-A1"},
    {"機密性3情報/完全性2情報/可用性2情報", 3, 2, 2, 0, "C3-I2-A2"},
    {"【機密性2情報 複製禁止】", 2, 1, 1, FUIN_R_NO_COPY, "C2-I1-A1 複製禁止"},
    {"　機密性1　", 1, 1, 1, 0, "C1-I1-A1"},
    {"Ｃ３－Ｉ２－Ａ２", 3, 2, 2, 0, "C3-I2-A2"},
    {"C3-I2-A2 複製禁止 転送禁止", 3, 2, 2,
     FUIN_R_NO_COPY | FUIN_R_NO_FORWARD, "C3-I2-A2 複製禁止 転送禁止"},
    {"C3-I2-A2 転送禁止 複製禁止", 3, 2, 2,
     FUIN_R_NO_COPY | FUIN_R_NO_FORWARD, "C3-I2-A2 複製禁止 転送禁止"},
    {"C2+no-copy", 2, 1, 1, FUIN_R_NO_COPY, "C2-I1-A1 複製禁止"},
    {"C2 + no-copy", 2, 1, 1, FUIN_R_NO_COPY, "C2-I1-A1 複製禁止"},
    {"C2,no-copy,no-forward", 2, 1, 1, FUIN_R_NO_COPY | FUIN_R_NO_FORWARD,
     "C2-I1-A1 複製禁止 転送禁止"},
    {"C2, no-copy , NO-FORWARD", 2, 1, 1, FUIN_R_NO_COPY | FUIN_R_NO_FORWARD,
     "C2-I1-A1 複製禁止 転送禁止"},
    {"C2、複製禁止、配付禁止", 2, 1, 1, FUIN_R_NO_COPY | FUIN_R_NO_DISTRIBUTE,
     "C2-I1-A1 複製禁止 配付禁止"},
    {"機密性3/完全性2/可用性2 読後廃棄 持出禁止 暗号化必須 配付禁止 転送禁止 "
     "複製禁止",
     3, 2, 2, R_ALL,
     "C3-I2-A2 複製禁止 転送禁止 配付禁止 暗号化必須 持出禁止 読後廃棄"},
    {"C1 no-copy no-forward no-distribute encrypt-required no-takeout "
     "destroy-after-reading",
     1, 1, 1, R_ALL,
     "C1-I1-A1 複製禁止 転送禁止 配付禁止 暗号化必須 持出禁止 読後廃棄"},
    {"機密性2 no-takeout", 2, 1, 1, FUIN_R_NO_TAKEOUT, "C2-I1-A1 持出禁止"},
    {"機密性3　複製禁止", 3, 1, 1, FUIN_R_NO_COPY, "C3-I1-A1 複製禁止"},
    {"機密性3/完全性2 暗号化必須", 3, 2, 1, FUIN_R_ENCRYPT_REQUIRED,
     "C3-I2-A1 暗号化必須"},
    {"C2 Destroy-After-Reading", 2, 1, 1, FUIN_R_DESTROY_AFTER_READ,
     "C2-I1-A1 読後廃棄"},
    {"ｃ２　ｎｏ－ｃｏｐｙ，ｅｎｃｒｙｐｔ－ｒｅｑｕｉｒｅｄ", 2, 1, 1,
     FUIN_R_NO_COPY | FUIN_R_ENCRYPT_REQUIRED, "C2-I1-A1 複製禁止 暗号化必須"},
};

static void test_accepted_spellings(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof OK_CASES / sizeof OK_CASES[0]; k++) {
        const ok_case *t = &OK_CASES[k];
        fuin_label l;
        char err[FUIN_ERRMSG_MAX] = "untouched";
        char text[256];

        memset(&l, 0x55, sizeof l);
        fuin_status st = fuin_label_parse(t->in, &l, err, sizeof err);
        if (st != FUIN_OK)
            fail_msg("parse(\"%s\") = %d: %s", t->in, (int)st, err);
        assert_string_equal(err, "");
        assert_int_equal(l.confidentiality, t->c);
        assert_int_equal(l.integrity, t->i);
        assert_int_equal(l.availability, t->a);
        assert_int_equal(l.restrictions, t->r);
        size_t n = fuin_label_format(&l, text, sizeof text);
        assert_int_equal(n, strlen(t->canonical));
        assert_string_equal(text, t->canonical);
    }
}

typedef struct {
    const char *in;
    const char *want1; /* substrings the message must contain */
    const char *want2;
} bad_case;

static const bad_case BAD_CASES[] = {
    {"", "empty label", NULL},
    {"  \t ", "empty label", NULL},
    {"　", "empty label", NULL},
    {"C4", "confidentiality must be 1-3, got 4", "\"C4\""},
    {"C0-I1", "confidentiality must be 1-3, got 0", "\"C0\""},
    {"C12", "confidentiality must be 1-3, got 12", "\"C12\""},
    {"C9-I1", "\"C9\"", "in label \"C9-I1\""},
    {"C3-I3", "integrity must be 1-2, got 3", "\"I3\""},
    {"C3-I2-A0", "availability must be 1-2, got 0", "\"A0\""},
    {"機密性4", "confidentiality must be 1-3, got 4", "\"機密性4\""},
    {"機密性3/完全性３", "integrity must be 1-2, got 3", "\"完全性3\""},
    {"X9", "unknown part \"X9\"", "in label \"X9\""},
    {"C", "unknown part \"C\"", NULL},
    {"CC3", "unknown part \"CC3\"", NULL},
    {"【】", "empty label", NULL},
    {"【機密性2", "unknown part \"【機密性2\"", NULL},
    {"情報", "unknown part \"情報\"", NULL},
    {"機密性2情", "unknown part \"機密性2情\"", NULL},
    {"C2情報", "unknown part \"C2情報\"", NULL},
    {"機密性", "unknown part \"機密性\"", NULL},
    {"C3-I2-A2-B1", "unknown part \"B1\"", "in label \"C3-I2-A2-B1\""},
    {"C3-I2x", "unknown part \"I2x\"", NULL},
    {"C3/I2", "unknown part \"C3/I2\"", NULL},
    {"C3-完全性2", "unknown part \"完全性2\"", NULL},
    {"機密性3/I2", "unknown part \"I2\"", NULL},
    {"機密性3・複製禁止", "unknown part \"複製禁止\"", NULL},
    {"no-copy", "unknown part \"no\"", "in label \"no-copy\""},
    {"完全性2", "confidentiality is required", "\"完全性2\""},
    {"I2-A2", "confidentiality is required", "\"I2\""},
    {"可用性2 機密性3", "confidentiality is required", "\"可用性2\""},
    {"C3-A2-I2", "integrity must come before availability", "\"I2\""},
    {"機密性3/可用性2/完全性2", "integrity must come before availability",
     "\"完全性2\""},
    {"C3-I2-I1", "integrity given twice", "\"I1\""},
    {"C3-C2", "confidentiality given twice", "\"C2\""},
    {"機密性3 機密性2", "confidentiality given twice", "\"機密性2\""},
    {"C3-", "empty part", "in label \"C3-\""},
    {"C3--I2", "empty part", NULL},
    {"機密性3/", "empty part", NULL},
    {"C3 I2", "unknown restriction \"I2\"", "in label \"C3 I2\""},
    {"C3 copy", "unknown restriction \"copy\"", NULL},
    {"C3 no_copy", "unknown restriction \"no_copy\"", NULL},
    {"C3 複製禁止・転送禁止", "unknown restriction \"複製禁止・転送禁止\"",
     NULL},
    {"C3 複製禁止/転送禁止", "unknown restriction \"複製禁止/転送禁止\"",
     NULL},
    {"C3 no-copy no-copy", "duplicate restriction \"no-copy\"", NULL},
    {"C3 複製禁止 no-copy", "duplicate restriction \"no-copy\"", NULL},
    {"C3 NO-COPY 複製禁止", "duplicate restriction \"複製禁止\"", NULL},
    {"C3 no-copy,,no-forward", "empty restriction", NULL},
    {"C3 no-copy,", "empty restriction", NULL},
    {"C3+", "empty restriction", NULL},
    {"C3 \xff", "not valid UTF-8", "0xff at offset 3"},
    {"\xc0\xaf", "not valid UTF-8", "0xc0 at offset 0"},         /* overlong */
    {"C3 \xed\xa0\x80", "not valid UTF-8", "offset 3"},          /* surrogate */
    {"C3 \xf4\x90\x80\x80", "not valid UTF-8", "offset 3"},      /* > 10FFFF */
    {"C3 \xe8\xa4", "not valid UTF-8", "offset 3"},              /* truncated */
    {"C3\x01", "control character U+0001", "offset 2"},
    {"C3 \x7f", "control character U+007F", NULL},
    {"C3 \xc2\x85", "control character U+0085", NULL},
};

static void test_rejections(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof BAD_CASES / sizeof BAD_CASES[0]; k++) {
        const bad_case *t = &BAD_CASES[k];
        fuin_label l = {7, 7, 7, 0xabcd};
        char err[FUIN_ERRMSG_MAX];

        fuin_status st = fuin_label_parse(t->in, &l, err, sizeof err);
        if (st != FUIN_E_LABEL)
            fail_msg("parse(\"%s\") = %d, want FUIN_E_LABEL", t->in, (int)st);
        if (!strstr(err, t->want1) || (t->want2 && !strstr(err, t->want2)))
            fail_msg("parse(\"%s\"): message \"%s\" lacks \"%s\" / \"%s\"",
                     t->in, err, t->want1, t->want2 ? t->want2 : "");
        /* the output is left alone on failure */
        assert_int_equal(l.confidentiality, 7);
        assert_int_equal(l.integrity, 7);
        assert_int_equal(l.availability, 7);
        assert_int_equal(l.restrictions, 0xabcd);
    }
}

static void test_exact_messages(void **state)
{
    (void)state;
    fuin_label l;
    char err[FUIN_ERRMSG_MAX];

    assert_int_equal(fuin_label_parse("C9-I1", &l, err, sizeof err),
                     FUIN_E_LABEL);
    assert_string_equal(err, "confidentiality must be 1-3, got 9 "
                             "(part \"C9\" in label \"C9-I1\")");
    assert_int_equal(fuin_label_parse("C3-I2-Z1", &l, err, sizeof err),
                     FUIN_E_LABEL);
    assert_string_equal(err, "unknown part \"Z1\" in label \"C3-I2-Z1\"");
    assert_int_equal(fuin_label_parse(" Ｃ３ ｎｏ－ｆｏｏ ", &l, err, sizeof err),
                     FUIN_E_LABEL);
    /* full-width text is quoted after folding, trimmed */
    assert_string_equal(err,
                        "unknown restriction \"no-foo\" in label \"C3 no-foo\"");
}

static void test_length_limit(void **state)
{
    (void)state;
    char in[300];
    fuin_label l;
    char err[FUIN_ERRMSG_MAX];

    memset(in, ' ', sizeof in);
    memcpy(in, "C3", 2);
    in[256] = '\0'; /* exactly 256 bytes: accepted */
    assert_int_equal(fuin_label_parse(in, &l, err, sizeof err), FUIN_OK);
    assert_int_equal(l.confidentiality, 3);
    in[256] = ' ';
    in[257] = '\0'; /* 257 bytes: refused before anything else */
    assert_int_equal(fuin_label_parse(in, &l, err, sizeof err), FUIN_E_LABEL);
    assert_string_equal(err, "label is longer than 256 bytes");
}

static void test_long_part_is_clipped(void **state)
{
    (void)state;
    char in[257];
    fuin_label l;
    char err[FUIN_ERRMSG_MAX];

    /* "C3 " + 80 × "複" (240 bytes): the quoted restriction is clipped on a
     * character boundary and marked with "..." */
    memcpy(in, "C3 ", 3);
    for (int k = 0; k < 80; k++)
        memcpy(in + 3 + 3 * k, "複", 3);
    in[243] = '\0';
    assert_int_equal(fuin_label_parse(in, &l, err, sizeof err), FUIN_E_LABEL);
    char want[FUIN_ERRMSG_MAX];
    char part[64 + 1];
    for (int k = 0; k < 21; k++) /* 63 bytes: 64 would split a character */
        memcpy(part + 3 * k, "複", 3);
    part[63] = '\0';
    snprintf(want, sizeof want, "unknown restriction \"%s...\" in label \"",
             part);
    assert_memory_equal(err, want, strlen(want));
}

static void test_truncated_message_is_utf8(void **state)
{
    (void)state;
    fuin_label l;
    char full[FUIN_ERRMSG_MAX];
    const char *in = "機密性3 複製禁止 禁止";

    assert_int_equal(fuin_label_parse(in, &l, full, sizeof full), FUIN_E_LABEL);
    assert_string_equal(full, "unknown restriction \"禁止\" in label "
                              "\"機密性3 複製禁止 禁止\"");
    /* every cap: a NUL-terminated prefix of the full message ending on a
     * character boundary */
    for (size_t cap = 1; cap <= strlen(full) + 1; cap++) {
        char err[FUIN_ERRMSG_MAX];
        memset(err, 'x', sizeof err);
        assert_int_equal(fuin_label_parse(in, &l, err, cap), FUIN_E_LABEL);
        size_t n = strlen(err);
        assert_true(n < cap);
        assert_memory_equal(err, full, n);
        assert_true(((unsigned char)full[n] & 0xc0) != 0x80);
        assert_true(n + 3 >= cap - 1); /* lost at most a partial character */
    }
    /* err may be NULL */
    assert_int_equal(fuin_label_parse("C5", &l, NULL, 0), FUIN_E_LABEL);
}

static void test_null_arguments(void **state)
{
    (void)state;
    fuin_label l;
    char err[FUIN_ERRMSG_MAX];

    assert_int_equal(fuin_label_parse(NULL, &l, err, sizeof err),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_label_parse("C2", NULL, err, sizeof err),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_label_format(NULL, err, sizeof err), 0);
    assert_string_equal(err, "");
}

static void test_format_like_snprintf(void **state)
{
    (void)state;
    fuin_label l = {3, 2, 2, FUIN_R_NO_COPY};
    char buf[64];

    /* "C3-I2-A2" + " " + 12 bytes */
    assert_int_equal(fuin_label_format(&l, NULL, 0), 21);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(fuin_label_format(&l, buf, 5), 21);
    assert_string_equal(buf, "C3-I");
    assert_int_equal(buf[5], 'x');
    memset(buf, 'x', sizeof buf);
    assert_int_equal(fuin_label_format(&l, buf, 1), 21);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'x');
    assert_int_equal(fuin_label_format(&l, buf, 21), 21);
    assert_int_equal(strlen(buf), 20);
    assert_int_equal(fuin_label_format(&l, buf, 22), 21);
    assert_string_equal(buf, "C3-I2-A2 複製禁止");
    /* the longest canonical form, as documented in docs/labels.md */
    fuin_label all = {3, 2, 2, R_ALL};
    assert_int_equal(fuin_label_format(&all, NULL, 0), 89);
    /* unknown restriction bits are skipped */
    l.restrictions = FUIN_R_NO_TAKEOUT | 0x100u;
    assert_int_equal(fuin_label_format(&l, buf, sizeof buf), 21);
    assert_string_equal(buf, "C3-I2-A2 持出禁止");
}

static void test_restriction_names(void **state)
{
    (void)state;
    static const char *ascii[6] = {"no-copy", "no-forward", "no-distribute",
                                   "encrypt-required", "no-takeout",
                                   "destroy-after-reading"};
    static const char *ja[6] = {"複製禁止", "転送禁止", "配付禁止",
                                "暗号化必須", "持出禁止", "読後廃棄"};

    for (int k = 0; k < FUIN_RESTRICTION_COUNT; k++) {
        assert_string_equal(fuin_restriction_name((fuin_restriction)(1 << k)),
                            ascii[k]);
        assert_string_equal(
            fuin_restriction_name_ja((fuin_restriction)(1 << k)), ja[k]);
    }
    assert_int_equal(FUIN_R_DESTROY_AFTER_READ, 1 << 5);
    assert_null(fuin_restriction_name((fuin_restriction)0));
    assert_null(fuin_restriction_name((fuin_restriction)3));
    assert_null(fuin_restriction_name((fuin_restriction)(1 << 6)));
    assert_null(fuin_restriction_name_ja((fuin_restriction)0));
    assert_null(fuin_restriction_name_ja((fuin_restriction)(1 << 6)));
}

/* Every valid label: format -> parse and to_args -> from_args are exact
 * inverses. */
static void test_round_trip_all(void **state)
{
    (void)state;
    int count = 0;

    for (int c = 1; c <= 3; c++)
        for (int i = 1; i <= 2; i++)
            for (int a = 1; a <= 2; a++)
                for (unsigned r = 0; r <= R_ALL; r++) {
                    fuin_label l = {c, i, a, r}, back;
                    char text[128], cls[16], err[FUIN_ERRMSG_MAX];
                    const char *args[FUIN__MAX_ARGS];

                    size_t n = fuin_label_format(&l, text, sizeof text);
                    assert_true(n < sizeof text);
                    assert_int_equal(
                        fuin_label_parse(text, &back, err, sizeof err),
                        FUIN_OK);
                    assert_memory_equal(&l, &back, sizeof l);

                    int nargs = fuin__label_to_args(&l, args, FUIN__MAX_ARGS,
                                                    cls, sizeof cls);
                    int bits = 0;
                    for (unsigned b = r; b; b >>= 1)
                        bits += (int)(b & 1u);
                    assert_int_equal(nargs, 1 + bits);
                    memset(&back, 0, sizeof back);
                    assert_int_equal(
                        fuin__label_from_args((char *const *)args, nargs,
                                              &back),
                        FUIN_OK);
                    assert_memory_equal(&l, &back, sizeof l);
                    count++;
                }
    assert_int_equal(count, 12 * 64);
}

static void test_to_args(void **state)
{
    (void)state;
    fuin_label l = {3, 2, 1, FUIN_R_NO_TAKEOUT | FUIN_R_NO_COPY};
    const char *args[FUIN__MAX_ARGS];
    char cls[16];

    assert_int_equal(fuin__label_to_args(&l, args, FUIN__MAX_ARGS, cls,
                                         sizeof cls),
                     3);
    assert_string_equal(args[0], "C3-I2-A1");
    assert_ptr_equal(args[0], cls);
    assert_string_equal(args[1], "no-copy");
    assert_string_equal(args[2], "no-takeout");

    /* too small */
    assert_int_equal(fuin__label_to_args(&l, args, 2, cls, sizeof cls), -1);
    assert_int_equal(fuin__label_to_args(&l, args, 3, cls, 8), -1);
    assert_int_equal(fuin__label_to_args(&l, args, 3, cls, 9), 3);
    assert_string_equal(cls, "C3-I2-A1");

    /* never writes what from_args would refuse */
    fuin_label bad[] = {{4, 1, 1, 0}, {0, 1, 1, 0}, {1, 3, 1, 0},
                        {1, 1, 0, 0}, {1, 1, 1, 1u << 6}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(fuin__label_to_args(&bad[k], args, FUIN__MAX_ARGS,
                                             cls, sizeof cls),
                         -1);
}

static void test_from_args_rejects(void **state)
{
    (void)state;
    static const struct {
        int n;
        const char *a[9];
    } bad[] = {
        {0, {"C3-I2-A2"}},
        {1, {"c3-i2-a2"}},
        {1, {"c3-I2-A2"}},
        {1, {"C3-i2-A2"}},
        {1, {"C3-I2-a2"}},
        {1, {"C3_I2_A2"}},
        {1, {"C3-I2_A2"}},
        {1, {"C3"}},
        {1, {"C3-I2"}},
        {1, {""}},
        {1, {"C3-I2-A2 "}},
        {1, {"C3-I2-A2x"}},
        {1, {"C3-A2-I2"}},
        {1, {"C4-I1-A1"}},
        {1, {"C0-I1-A1"}},
        {1, {"C3-I3-A1"}},
        {1, {"C1-I1-A0"}},
        {1, {"機密性3"}},
        {1, {"no-copy"}},
        {3, {"C3-I2-A2", "no-forward", "no-copy"}},  /* wrong order */
        {3, {"C3-I2-A2", "no-copy", "no-copy"}},     /* duplicate   */
        {2, {"C3-I2-A2", "NO-COPY"}},                /* uppercase   */
        {2, {"C3-I2-A2", "複製禁止"}},               /* Japanese    */
        {2, {"C3-I2-A2", "bogus"}},                  /* unknown     */
        {2, {"C3-I2-A2", ""}},
        {2, {"C3-I2-A2", "C3-I2-A2"}},
        {8, {"C3-I2-A2", "no-copy", "no-forward", "no-distribute",
             "encrypt-required", "no-takeout", "destroy-after-reading",
             "no-copy"}},                            /* extra arg   */
        {8, {"C3-I2-A2", "no-copy", "no-forward", "no-distribute",
             "encrypt-required", "no-takeout", "destroy-after-reading",
             "extra"}},
    };

    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        fuin_label l = {9, 9, 9, 0x77};
        fuin_status st =
            fuin__label_from_args((char *const *)bad[k].a, bad[k].n, &l);
        if (st != FUIN_E_HEADER)
            fail_msg("from_args case %zu (%s...): got %d, want FUIN_E_HEADER",
                     k, bad[k].a[0], (int)st);
        assert_int_equal(l.confidentiality, 9);
        assert_int_equal(l.restrictions, 0x77);
    }

    /* all six in order is the longest valid argument list */
    const char *six[7] = {"C1-I2-A1", "no-copy", "no-forward", "no-distribute",
                          "encrypt-required", "no-takeout",
                          "destroy-after-reading"};
    fuin_label l;
    assert_int_equal(fuin__label_from_args((char *const *)six, 7, &l), FUIN_OK);
    assert_int_equal(l.confidentiality, 1);
    assert_int_equal(l.integrity, 2);
    assert_int_equal(l.availability, 1);
    assert_int_equal(l.restrictions, R_ALL);
    assert_int_equal(fuin__label_from_args(NULL, 1, &l), FUIN_E_HEADER);
    assert_int_equal(fuin__label_from_args((char *const *)six, 1, NULL),
                     FUIN_E_INVALID);
}

/* fuin_text_escape: what a terminal would act on is shown as an escape;
 * Japanese and ordinary punctuation are kept byte for byte. */
static void check_escape(const char *in, size_t n, const char *want)
{
    char *got = fuin_text_escape(in, n);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_text_escape(void **state)
{
    (void)state;
    check_escape("山田 花子 <hanako@example.jp>", strlen("山田 花子 <hanako@example.jp>"),
                 "山田 花子 <hanako@example.jp>");
    check_escape("a\x1b[31mred", 9, "a\\x1b[31mred");
    check_escape("\x1b]0;title\x07", 10, "\\x1b]0;title\\x07");
    check_escape("line\nnext\tcol\r", 14, "line\\nnext\\tcol\\r");
    check_escape("\x7f", 1, "\\x7f");
    /* C1 CSI (U+009B) acts like ESC [ on many terminals */
    check_escape("\xc2\x9b" "2J", 4, "\\u009b2J");
    /* bidi: "txt.exe" shown reversed as "exe.txt" */
    check_escape("invoice\xe2\x80\xaetxt.exe", 17, "invoice\\u202etxt.exe");
    check_escape("\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u2066x\\u2069");
    check_escape("\xe2\x80\x8b\xef\xbb\xbf\xe2\x80\xa8", 9, "\\u200b\\ufeff\\u2028");
    check_escape("\xd8\x9c", 2, "\\u061c");
    /* not UTF-8: each byte in hex, the rest kept */
    check_escape("a\xff\xfe" "b", 4, "a\\xff\\xfeb");
    check_escape("\xe5\xb1", 2, "\\xe5\\xb1");
    /* a NUL inside the n bytes is shown, not an end */
    check_escape("a\0b", 3, "a\\x00b");
    check_escape("", 0, "");
    assert_null(fuin_text_escape(NULL, 0));
}

int main(void)
{
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "fuin_init failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_spellings),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_exact_messages),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_long_part_is_clipped),
        cmocka_unit_test(test_truncated_message_is_utf8),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_format_like_snprintf),
        cmocka_unit_test(test_restriction_names),
        cmocka_unit_test(test_round_trip_all),
        cmocka_unit_test(test_to_args),
        cmocka_unit_test(test_from_args_rejects),
        cmocka_unit_test(test_text_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
