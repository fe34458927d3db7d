/* Unit tests for lib/policy/policy.c and lib/policy/passwd.c: the built-in default, the
 * parser (values, origins, every kind of error with its exact message),
 * the text form and its round trip, every check for C1/C2/C3 and I1/I2,
 * describe(), and the passphrase strength check. */
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

#define MSG 256

/* ---- helpers ------------------------------------------------------------ */

static fuin_policy *parse_ok(const char *text, const char *file)
{
    fuin_policy *p = NULL;
    char err[MSG] = "unset";
    fuin_status st = fuin_policy_parse(text, strlen(text), file, &p, err,
                                       sizeof err);
    if (st != FUIN_OK)
        fail_msg("policy did not parse (%d): %s", (int)st, err);
    assert_string_equal(err, "");
    assert_non_null(p);
    return p;
}

static fuin_policy *default_policy(void)
{
    fuin_policy *p = NULL;
    assert_int_equal(fuin_policy_default(&p), FUIN_OK);
    assert_non_null(p);
    return p;
}

/* Parse must fail with `want` status and exactly `msg`. */
static void parse_fails_len(const char *text, size_t len, fuin_status want,
                            const char *msg)
{
    fuin_policy *p = (fuin_policy *)0x1;
    char err[MSG];
    memset(err, 'x', sizeof err);
    fuin_status st = fuin_policy_parse(text, len, "policy.ini", &p, err,
                                       sizeof err);
    if (st != want)
        fail_msg("status %d, want %d (message: %s)", (int)st, (int)want, err);
    assert_null(p);
    assert_string_equal(err, msg);
}

static void parse_fails(const char *text, const char *msg)
{
    parse_fails_len(text, strlen(text), FUIN_E_SYNTAX, msg);
}

static void expect_rule(const fuin_policy *p, const char *section,
                         const char *key, const char *value, unsigned line)
{
    char v[MSG];
    unsigned got = 12345;
    assert_int_equal(fuin_policy_value(p, section, key, v, sizeof v, &got),
                     FUIN_OK);
    if (strcmp(v, value) != 0 || got != line)
        fail_msg("[%s] %s: got \"%s\" line %u, want \"%s\" line %u", section,
                 key, v, got, value, line);
}

static fuin_label label(const char *text)
{
    fuin_label l;
    char err[MSG];
    if (fuin_label_parse(text, &l, err, sizeof err) != FUIN_OK)
        fail_msg("label %s: %s", text, err);
    return l;
}

static void expect_status_msg(fuin_status st, char *msg, fuin_status want,
                              const char *want_msg)
{
    if (st != want)
        fail_msg("status %d, want %d (message: %s)", (int)st, (int)want, msg);
    assert_string_equal(msg, want_msg);
}

/* ---- the built-in default ---------------------------------------------- */

static const char DEFAULT_TEXT[] =
    "; fuin effective policy.  Each value is followed by its origin:\n"
    "; FILE:LINE of the installed policy, or \"built-in default\".\n"
    "[organisation]\n"
    "name = (no policy installed) ; built-in default\n"
    "\n"
    "[methods]\n"
    "encryption = age-x25519 age-scrypt ; built-in default\n"
    "signature = minisign-ed25519 ; built-in default\n"
    "\n"
    "[passphrase]\n"
    "min_length = 12 ; built-in default\n"
    "min_quality = 50 ; built-in default\n"
    "dictionary = system ; built-in default\n"
    "\n"
    "[keys]\n"
    "key_lifetime_days = 1095 ; built-in default\n"
    "certificate_lifetime_days = 365 ; built-in default\n"
    "\n"
    "[class.C3]\n"
    "encrypt = required ; built-in default\n"
    "passphrase = forbidden ; built-in default\n"
    "recipients = certified ; built-in default\n"
    "wipe_verify = full ; built-in default\n"
    "wipe_approval = required ; built-in default\n"
    "wipe_witness = optional ; built-in default\n"
    "wipe_category = clear ; built-in default\n"
    "zip = forbidden ; built-in default\n"
    "\n"
    "[class.C2]\n"
    "encrypt = required ; built-in default\n"
    "passphrase = allowed ; built-in default\n"
    "recipients = any ; built-in default\n"
    "wipe_verify = full ; built-in default\n"
    "wipe_approval = required ; built-in default\n"
    "wipe_witness = optional ; built-in default\n"
    "wipe_category = clear ; built-in default\n"
    "zip = allowed ; built-in default\n"
    "\n"
    "[class.C1]\n"
    "encrypt = optional ; built-in default\n"
    "passphrase = allowed ; built-in default\n"
    "recipients = any ; built-in default\n"
    "wipe_verify = none ; built-in default\n"
    "wipe_approval = optional ; built-in default\n"
    "wipe_witness = optional ; built-in default\n"
    "wipe_category = clear ; built-in default\n"
    "zip = allowed ; built-in default\n"
    "\n"
    "[class.I2]\n"
    "sign = required ; built-in default\n"
    "signer = certified ; built-in default\n"
    "\n"
    "[class.I1]\n"
    "sign = optional ; built-in default\n"
    "signer = any ; built-in default\n"
    "\n"
    "[wipe]\n"
    "unlabelled = C2 ; built-in default\n"
    "\n"
    "[labels]\n"
    "name_required = none ; built-in default\n"
    "msip_site = none ; built-in default\n"
    "msip_C1 = none ; built-in default\n"
    "msip_C2 = none ; built-in default\n"
    "msip_C3 = none ; built-in default\n"
    "\n"
    "[approval]\n"
    "provide = none ; built-in default\n"
    "provide_C1 = manager ; built-in default\n"
    "provide_C2 = manager ; built-in default\n"
    "provide_C3 = manager ; built-in default\n"
    "carry_C1 = manager ; built-in default\n"
    "carry_C2 = manager ; built-in default\n"
    "carry_C3 = manager ; built-in default\n"
    "disposal_C1 = manager ; built-in default\n"
    "disposal_C2 = manager ; built-in default\n"
    "disposal_C3 = manager ; built-in default\n"
    "exception_C1 = ciso ; built-in default\n"
    "exception_C2 = ciso ; built-in default\n"
    "exception_C3 = ciso ; built-in default\n"
    "max_days = 30 ; built-in default\n"
    "\n"
    "[audit]\n"
    "record = off ; built-in default\n"
    "syslog = on ; built-in default\n"
    "syslog_socket = /dev/log ; built-in default\n";

static void test_default_rules(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();

    assert_string_equal(fuin_policy_organisation(p), "(no policy installed)");
    expect_rule(p, "organisation", "name", "(no policy installed)", 0);
    expect_rule(p, "methods", "encryption", "age-x25519 age-scrypt", 0);
    expect_rule(p, "methods", "signature", "minisign-ed25519", 0);
    expect_rule(p, "passphrase", "min_length", "12", 0);
    expect_rule(p, "passphrase", "min_quality", "50", 0);
    expect_rule(p, "passphrase", "dictionary", "system", 0);
    assert_null(fuin_policy_passphrase_dictionary(p));
    expect_rule(p, "keys", "key_lifetime_days", "1095", 0);
    expect_rule(p, "keys", "certificate_lifetime_days", "365", 0);
    expect_rule(p, "class.C3", "encrypt", "required", 0);
    expect_rule(p, "class.C3", "passphrase", "forbidden", 0);
    expect_rule(p, "class.C3", "recipients", "certified", 0);
    expect_rule(p, "class.C2", "encrypt", "required", 0);
    expect_rule(p, "class.C2", "passphrase", "allowed", 0);
    expect_rule(p, "class.C2", "recipients", "any", 0);
    expect_rule(p, "class.C1", "encrypt", "optional", 0);
    expect_rule(p, "class.C1", "passphrase", "allowed", 0);
    expect_rule(p, "class.C1", "recipients", "any", 0);
    expect_rule(p, "class.I2", "sign", "required", 0);
    expect_rule(p, "class.I2", "signer", "certified", 0);
    expect_rule(p, "class.I1", "sign", "optional", 0);
    expect_rule(p, "class.I1", "signer", "any", 0);
    expect_rule(p, "class.C3", "wipe_verify", "full", 0);
    expect_rule(p, "class.C3", "wipe_approval", "required", 0);
    expect_rule(p, "class.C3", "wipe_witness", "optional", 0);
    expect_rule(p, "class.C3", "wipe_category", "clear", 0);
    expect_rule(p, "class.C2", "wipe_verify", "full", 0);
    expect_rule(p, "class.C2", "wipe_approval", "required", 0);
    expect_rule(p, "class.C2", "wipe_witness", "optional", 0);
    expect_rule(p, "class.C2", "wipe_category", "clear", 0);
    expect_rule(p, "class.C1", "wipe_verify", "none", 0);
    expect_rule(p, "class.C1", "wipe_approval", "optional", 0);
    expect_rule(p, "class.C1", "wipe_witness", "optional", 0);
    expect_rule(p, "class.C1", "wipe_category", "clear", 0);
    expect_rule(p, "wipe", "unlabelled", "C2", 0);

    assert_int_equal(fuin_policy_passphrase_min_length(p), 12);
    assert_int_equal(fuin_policy_passphrase_min_quality(p), 50);
    assert_int_equal(fuin_policy_key_lifetime_days(p), 1095);
    assert_int_equal(fuin_policy_cert_lifetime_days(p), 365);

    assert_int_equal(fuin_policy_method_allowed(p, "age-x25519"), 1);
    assert_int_equal(fuin_policy_method_allowed(p, "age-scrypt"), 1);
    assert_int_equal(fuin_policy_method_allowed(p, "minisign-ed25519"), 1);
    assert_int_equal(fuin_policy_method_allowed(p, "rsa-2048"), 0);
    assert_int_equal(fuin_policy_method_allowed(p, "AGE-X25519"), 0);
    assert_int_equal(fuin_policy_method_allowed(p, ""), 0);
    assert_int_equal(fuin_policy_method_allowed(p, NULL), 0);

    char v[MSG];
    unsigned line = 7;
    assert_int_equal(fuin_policy_value(p, "class.C4", "encrypt", v, sizeof v,
                                       &line),
                     FUIN_E_INVALID);
    assert_string_equal(v, "");
    assert_int_equal(line, 0);
    assert_int_equal(fuin_policy_value(p, "class.C3", "sign", v, sizeof v,
                                       NULL),
                     FUIN_E_INVALID);
    /* the wipe keys live in [class.Cn] and [wipe] only */
    assert_int_equal(fuin_policy_value(p, "class.I2", "wipe_verify", v,
                                       sizeof v, NULL),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_value(p, "wipe", "wipe_verify", v, sizeof v,
                                       NULL),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_value(p, "class.C2", "unlabelled", v,
                                       sizeof v, NULL),
                     FUIN_E_INVALID);

    char o[MSG];
    assert_int_equal(fuin_policy_origin(p, 0, o, sizeof o), 16);
    assert_string_equal(o, "built-in default");
    fuin_policy_free(p);
}

static void test_default_format(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    char buf[8192];
    size_t n = fuin_policy_format(p, buf, sizeof buf);
    assert_int_equal(n, strlen(DEFAULT_TEXT));
    assert_string_equal(buf, DEFAULT_TEXT);

    /* like snprintf: the size needed, a truncated NUL-terminated prefix */
    char small[40];
    assert_int_equal(fuin_policy_format(p, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, DEFAULT_TEXT, sizeof small - 1);
    assert_int_equal(fuin_policy_format(p, NULL, 0), n);
    fuin_policy_free(p);
}

/* The default text parses back to the default values, every key now from
 * its line in that text. */
static void test_default_text_parses(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(DEFAULT_TEXT, "shown.ini");
    expect_rule(p, "organisation", "name", "(no policy installed)", 4);
    expect_rule(p, "methods", "encryption", "age-x25519 age-scrypt", 7);
    expect_rule(p, "passphrase", "dictionary", "system", 13);
    expect_rule(p, "class.C3", "passphrase", "forbidden", 21);
    expect_rule(p, "class.C3", "wipe_verify", "full", 23);
    expect_rule(p, "class.C2", "wipe_approval", "required", 34);
    expect_rule(p, "class.C1", "wipe_category", "clear", 46);
    expect_rule(p, "class.I1", "signer", "any", 55);
    expect_rule(p, "wipe", "unlabelled", "C2", 58);
    char buf[8192];
    fuin_policy_format(p, buf, sizeof buf);
    assert_non_null(strstr(buf, "\nname = (no policy installed) ; shown.ini:4\n"));
    assert_non_null(strstr(buf, "\nsigner = any ; shown.ini:55\n"));
    assert_non_null(strstr(buf, "\n\n[wipe]\nunlabelled = C2 ; shown.ini:58\n"));
    fuin_policy_free(p);
}

/* ---- a full policy ------------------------------------------------------- */

static const char FULL[] =
    "; test policy\n"                          /* 1 */
    "[organisation]\n"                         /* 2 */
    "name = 〇〇事務組合\n"                    /* 3 */
    "\n"                                       /* 4 */
    "[methods]\n"                              /* 5 */
    "encryption = age-scrypt, age-x25519\n"    /* 6 */
    "signature = minisign-ed25519\n"           /* 7 */
    "\n"                                       /* 8 */
    "[passphrase]\n"                           /* 9 */
    "min_length = 16\n"                        /* 10 */
    "min_quality = 60\n"                       /* 11 */
    "\n"                                       /* 12 */
    "[keys]\n"                                 /* 13 */
    "key_lifetime_days = 730\n"                /* 14 */
    "certificate_lifetime_days = 180\n"        /* 15 */
    "\n"                                       /* 16 */
    "[class.C3]\n"                             /* 17 */
    "encrypt = required\n"                     /* 18 */
    "passphrase = forbidden\n"                 /* 19 */
    "recipients = certified\n"                 /* 20 */
    "[class.C2]\n"                             /* 21 */
    "encrypt = recommended ; inline comment\n" /* 22 */
    "passphrase = forbidden\n"                 /* 23 */
    "recipients = certified\n"                 /* 24 */
    "[class.C1]   ; comment after a header\n"  /* 25 */
    "encrypt = optional\n"                     /* 26 */
    "passphrase = allowed\n"                   /* 27 */
    "recipients: any\n"                        /* 28 */
    "# hash comment\n"                         /* 29 */
    "[class.I1]\n"                             /* 30 */
    "sign = optional\n"                        /* 31 */
    "signer = certified\n"                     /* 32 */
    "[class.I2]\n"                             /* 33 */
    "signer = certified\n"                     /* 34 */
    "sign=required";                           /* 35, no final newline */

static void test_full_policy(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(FULL, "policy.ini");

    assert_string_equal(fuin_policy_organisation(p), "〇〇事務組合");
    expect_rule(p, "organisation", "name", "〇〇事務組合", 3);
    expect_rule(p, "methods", "encryption", "age-x25519 age-scrypt", 6);
    expect_rule(p, "methods", "signature", "minisign-ed25519", 7);
    expect_rule(p, "passphrase", "min_length", "16", 10);
    expect_rule(p, "passphrase", "min_quality", "60", 11);
    expect_rule(p, "keys", "key_lifetime_days", "730", 14);
    expect_rule(p, "keys", "certificate_lifetime_days", "180", 15);
    expect_rule(p, "class.C3", "encrypt", "required", 18);
    expect_rule(p, "class.C3", "passphrase", "forbidden", 19);
    expect_rule(p, "class.C3", "recipients", "certified", 20);
    expect_rule(p, "class.C2", "encrypt", "recommended", 22);
    expect_rule(p, "class.C2", "passphrase", "forbidden", 23);
    expect_rule(p, "class.C2", "recipients", "certified", 24);
    expect_rule(p, "class.C1", "encrypt", "optional", 26);
    expect_rule(p, "class.C1", "passphrase", "allowed", 27);
    expect_rule(p, "class.C1", "recipients", "any", 28);
    expect_rule(p, "class.I1", "sign", "optional", 31);
    expect_rule(p, "class.I1", "signer", "certified", 32);
    expect_rule(p, "class.I2", "signer", "certified", 34);
    expect_rule(p, "class.I2", "sign", "required", 35);

    assert_int_equal(fuin_policy_passphrase_min_length(p), 16);
    assert_int_equal(fuin_policy_passphrase_min_quality(p), 60);
    assert_int_equal(fuin_policy_key_lifetime_days(p), 730);
    assert_int_equal(fuin_policy_cert_lifetime_days(p), 180);

    char o[MSG];
    assert_int_equal(fuin_policy_origin(p, 17, o, sizeof o), 13);
    assert_string_equal(o, "policy.ini:17");
    assert_int_equal(fuin_policy_origin(p, 0, o, sizeof o), 16);
    assert_string_equal(o, "built-in default");

    char buf[8192];
    fuin_policy_format(p, buf, sizeof buf);
    assert_non_null(strstr(buf, "\n[organisation]\nname = 〇〇事務組合 ; "
                                "policy.ini:3\n\n[methods]\nencryption = "
                                "age-x25519 age-scrypt ; policy.ini:6\n"));
    assert_non_null(strstr(buf, "\n[class.C2]\nencrypt = recommended ; "
                                "policy.ini:22\npassphrase = forbidden ; "
                                "policy.ini:23\nrecipients = certified ; "
                                "policy.ini:24\n"));
    assert_non_null(strstr(buf, "\n[class.I2]\nsign = required ; "
                                "policy.ini:35\nsigner = certified ; "
                                "policy.ini:34\n"));
    fuin_policy_free(p);
}

static void test_partial_policy(void **state)
{
    (void)state;
    const char *text = "[class.C2]\n"       /* 1 */
                       "passphrase = forbidden\n" /* 2 */
                       "\n"                 /* 3 */
                       "[methods]\n"        /* 4 */
                       "encryption = age-x25519\n"; /* 5 */
    fuin_policy *p = parse_ok(text, "/etc/fuin/policy.ini");
    assert_string_equal(fuin_policy_organisation(p), "(no policy installed)");
    expect_rule(p, "organisation", "name", "(no policy installed)", 0);
    expect_rule(p, "class.C2", "passphrase", "forbidden", 2);
    expect_rule(p, "class.C2", "encrypt", "required", 0);
    expect_rule(p, "methods", "encryption", "age-x25519", 5);
    expect_rule(p, "methods", "signature", "minisign-ed25519", 0);
    assert_int_equal(fuin_policy_method_allowed(p, "age-scrypt"), 0);
    assert_int_equal(fuin_policy_method_allowed(p, "age-x25519"), 1);

    char buf[8192];
    fuin_policy_format(p, buf, sizeof buf);
    assert_non_null(strstr(buf, "\nencryption = age-x25519 ; "
                                "/etc/fuin/policy.ini:5\n"));
    assert_non_null(strstr(buf, "\nsignature = minisign-ed25519 ; "
                                "built-in default\n"));
    fuin_policy_free(p);

    /* empty text: every rule is the default */
    fuin_policy *e = NULL;
    char err[MSG];
    assert_int_equal(fuin_policy_parse(NULL, 0, NULL, &e, err, sizeof err),
                     FUIN_OK);
    fuin_policy_format(e, buf, sizeof buf);
    assert_string_equal(buf, DEFAULT_TEXT);
    fuin_policy_free(e);
}

static void test_accepted_forms(void **state)
{
    (void)state;
    /* BOM, CRLF, blank lines with spaces, indented comments, tabs around
     * the '=' and comma lists without spaces */
    const char *text = "\xef\xbb\xbf[methods]\r\n"
                       "  \t\r\n"
                       "   ; indented comment\r\n"
                       "encryption\t=\tage-x25519,age-scrypt\r\n"
                       "[organisation]\r\n"
                       "name = A;B = c:d\r\n";
    fuin_policy *p = parse_ok(text, NULL);
    expect_rule(p, "methods", "encryption", "age-x25519 age-scrypt", 4);
    expect_rule(p, "organisation", "name", "A;B = c:d", 6);
    fuin_policy_free(p);

    /* a very long comment, and a key line whose excess is a comment */
    char big[2048];
    char pad[600];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(big, sizeof big, "; %s\n[class.C1]\nencrypt = required ; %s\n",
             pad, pad);
    p = parse_ok(big, NULL);
    expect_rule(p, "class.C1", "encrypt", "required", 3);
    fuin_policy_free(p);
}

/* format -> parse -> format: the same values; a second round is a fixed
 * point (origins then name the lines of the first output). */
static void test_round_trip(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(FULL, "policy.ini");
    char t1[4096], t2[4096], t3[4096];
    fuin_policy_format(p, t1, sizeof t1);
    fuin_policy *q = parse_ok(t1, "policy.ini");
    fuin_policy_format(q, t2, sizeof t2);
    fuin_policy *r = parse_ok(t2, "policy.ini");
    fuin_policy_format(r, t3, sizeof t3);
    assert_string_equal(t2, t3);

    /* t1 and t2 differ only in origins */
    static const char *const keys[][2] = {
        {"organisation", "name"},    {"methods", "encryption"},
        {"methods", "signature"},    {"passphrase", "min_length"},
        {"passphrase", "min_quality"}, {"keys", "key_lifetime_days"},
        {"keys", "certificate_lifetime_days"}, {"class.C3", "encrypt"},
        {"class.C2", "encrypt"},     {"class.C2", "passphrase"},
        {"class.C2", "recipients"},  {"class.C1", "recipients"},
        {"class.I1", "signer"},      {"class.I2", "sign"},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char a[MSG], b[MSG];
        assert_int_equal(fuin_policy_value(p, keys[k][0], keys[k][1], a,
                                           sizeof a, NULL),
                         FUIN_OK);
        assert_int_equal(fuin_policy_value(q, keys[k][0], keys[k][1], b,
                                           sizeof b, NULL),
                         FUIN_OK);
        assert_string_equal(a, b);
    }
    expect_rule(q, "organisation", "name", "〇〇事務組合", 4);
    expect_rule(q, "class.I1", "signer", "certified", 55);
    fuin_policy_free(p);
    fuin_policy_free(q);
    fuin_policy_free(r);
}

/* examples/policy.ini is the built-in default written out: every key
 * present, every value the default (the organisation is a placeholder). */
static void test_example_file(void **state)
{
    (void)state;
    const char *src = getenv("FUIN_SOURCE_DIR");
    if (src == NULL)
        fail_msg("FUIN_SOURCE_DIR is not set (run through ctest)");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/policy.ini", src);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    static char text[FUIN_POLICY_MAX_BYTES];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);

    fuin_policy *p = NULL, *d = default_policy();
    char err[MSG];
    fuin_status st = fuin_policy_parse(text, n, "policy.ini", &p, err,
                                       sizeof err);
    if (st != FUIN_OK)
        fail_msg("examples/policy.ini: %s", err);
    assert_string_equal(fuin_policy_organisation(p), "〇〇事務組合");

    char fd[8192], fp[8192];
    fuin_policy_format(d, fd, sizeof fd);
    fuin_policy_format(p, fp, sizeof fp);
    /* compare the formatted texts line by line, values only */
    char *sd = NULL, *sp = NULL;
    char *ld = strtok_r(fd, "\n", &sd), *lp = strtok_r(fp, "\n", &sp);
    int lines = 0;
    while (ld != NULL && lp != NULL) {
        if (strncmp(ld, "name = ", 7) != 0) {
            char *cd = strstr(ld, " ; "), *cp = strstr(lp, " ; ");
            if (cd != NULL && strncmp(ld, ";", 1) != 0) {
                assert_non_null(cp);
                *cd = '\0';
                *cp = '\0';
                /* every key is written out in the example */
                assert_null(strstr(cp + 3, "built-in default"));
            }
            /* the example turns the audit record on, as staff installs do */
            if (strcmp(ld, "record = off") == 0)
                assert_string_equal(lp, "record = on");
            else
                assert_string_equal(ld, lp);
        }
        lines++;
        ld = strtok_r(NULL, "\n", &sd);
        lp = strtok_r(NULL, "\n", &sp);
    }
    assert_null(ld);
    assert_null(lp);
    /* 32 lines before the wipe rules, 4 more per [class.Cn], 2 for [wipe],
     * 6 for [labels], 15 for [approval], 4 for [audit] */
    assert_int_equal(lines, 74);
    fuin_policy_free(p);
    fuin_policy_free(d);
}

/* ---- errors -------------------------------------------------------------- */

static void test_unknown_key(void **state)
{
    (void)state;
    parse_fails("; c\n[class.C3]\nencrypt = required\nfoo = 1\n",
                "policy.ini:4: unknown key \"foo\" in [class.C3] (known: "
                "encrypt passphrase recipients wipe_verify wipe_approval "
                "wipe_witness wipe_category zip)");
    /* case-sensitive */
    parse_fails("[passphrase]\nMin_Length = 12\n",
                "policy.ini:2: unknown key \"Min_Length\" in [passphrase] "
                "(known: min_length min_quality dictionary)");
    /* a key of another section */
    parse_fails("[class.I2]\nencrypt = required\n",
                "policy.ini:2: unknown key \"encrypt\" in [class.I2] (known: "
                "sign signer)");
    parse_fails("name = x\n[organisation]\n",
                "policy.ini:1: key \"name\" outside any section (put it under "
                "a [section] header)");

    /* the file name the caller gives is the one in the message */
    fuin_policy *p = NULL;
    char err[MSG];
    const char *t = "[keys]\nlifetime = 3\n";
    assert_int_equal(fuin_policy_parse(t, strlen(t), "/etc/fuin/policy.ini",
                                       &p, err, sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err, "/etc/fuin/policy.ini:2: unknown key "
                             "\"lifetime\" in [keys] (known: "
                             "key_lifetime_days certificate_lifetime_days)");
    /* control characters in the file name do not reach the message */
    assert_int_equal(fuin_policy_parse(t, strlen(t), "a\nb", &p, err,
                                       sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err, "a?b:2: unknown key \"lifetime\" in [keys] "
                             "(known: key_lifetime_days "
                             "certificate_lifetime_days)");
}

static void test_unknown_section(void **state)
{
    (void)state;
    parse_fails("[class.C3]\nencrypt = required\n\n[class.C4]\n",
                "policy.ini:4: unknown section [class.C4] (fuin knows "
                "[organisation] [methods] [passphrase] [keys] [class.C1] "
                "[class.C2] [class.C3] [class.I1] [class.I2] [wipe] [labels] [approval] [audit])");
    parse_fails("[Class.C3]\nencrypt = required\n",
                "policy.ini:1: unknown section [Class.C3] (fuin knows "
                "[organisation] [methods] [passphrase] [keys] [class.C1] "
                "[class.C2] [class.C3] [class.I1] [class.I2] [wipe] [labels] [approval] [audit])");
    parse_fails("[ keys ]\n",
                "policy.ini:1: unknown section [ keys ] (fuin knows "
                "[organisation] [methods] [passphrase] [keys] [class.C1] "
                "[class.C2] [class.C3] [class.I1] [class.I2] [wipe] [labels] [approval] [audit])");
    parse_fails("[keys]\n[class.C1]\n[keys]\n",
                "policy.ini:3: duplicate section [keys] (first at line 1)");
    parse_fails("[keys] x\n",
                "policy.ini:1: text after the section header (only a \"; "
                "comment\" may follow \"]\")");
    parse_fails("[keys\n",
                "policy.ini:1: syntax error: section header without \"]\"");
    /* as for inih, an inline comment ends the line before the "]" */
    parse_fails("[keys ;]\n",
                "policy.ini:1: syntax error: section header without \"]\"");
}

static void test_bad_values(void **state)
{
    (void)state;
    parse_fails("[class.C3]\nencrypt = maybe\n",
                "policy.ini:2: [class.C3] encrypt = maybe: must be one of "
                "required, recommended, optional");
    parse_fails("[class.C3]\npassphrase = Forbidden\n",
                "policy.ini:2: [class.C3] passphrase = Forbidden: must be one "
                "of allowed, forbidden");
    parse_fails("[class.C2]\nrecipients =\n",
                "policy.ini:2: [class.C2] recipients = : must be one of "
                "certified, any");
    parse_fails("[class.I2]\nsign = recommended\n",
                "policy.ini:2: [class.I2] sign = recommended: must be one of "
                "required, optional");
    parse_fails("[class.I1]\nsigner = everyone\n",
                "policy.ini:2: [class.I1] signer = everyone: must be one of "
                "certified, any");
    parse_fails("[class.C1]\nencrypt = optional;x\n",
                "policy.ini:2: [class.C1] encrypt = optional;x: must be one "
                "of required, recommended, optional");
    parse_fails("[passphrase]\nmin_length = 4\n",
                "policy.ini:2: [passphrase] min_length = 4: must be a whole "
                "number from 8 to 1024");
    parse_fails("[passphrase]\nmin_length = 1025\n",
                "policy.ini:2: [passphrase] min_length = 1025: must be a "
                "whole number from 8 to 1024");
    parse_fails("[passphrase]\nmin_quality = 101\n",
                "policy.ini:2: [passphrase] min_quality = 101: must be a "
                "whole number from 0 to 100");
    parse_fails("[passphrase]\nmin_quality = -1\n",
                "policy.ini:2: [passphrase] min_quality = -1: must be a "
                "whole number from 0 to 100");
    parse_fails("[passphrase]\nmin_quality = 5O\n",
                "policy.ini:2: [passphrase] min_quality = 5O: must be a "
                "whole number from 0 to 100");
    parse_fails("[keys]\nkey_lifetime_days = 99999999999999\n",
                "policy.ini:2: [keys] key_lifetime_days = 99999999999999: "
                "must be a whole number from 1 to 3650");
    parse_fails("[keys]\ncertificate_lifetime_days = 0\n",
                "policy.ini:2: [keys] certificate_lifetime_days = 0: must be "
                "a whole number from 1 to 3650");
    parse_fails("[organisation]\nname =\n",
                "policy.ini:2: [organisation] name is empty");
    parse_fails("[organisation]\nname = a\tb\n",
                "policy.ini:2: [organisation] name contains a control "
                "character");
    parse_fails("[organisation]\nname =;x\n",
                "policy.ini:2: [organisation] name must not start with "
                "\";\"");
    char longname[200];
    memset(longname, 0, sizeof longname);
    memcpy(longname, "[organisation]\nname = ", 22);
    memset(longname + 22, 'n', 129);
    parse_fails(longname,
                "policy.ini:2: [organisation] name is longer than 128 bytes");
    /* a long bad value is clipped in the message */
    char longval[128], want[MSG];
    memset(longval, 0, sizeof longval);
    memcpy(longval, "[class.C3]\nencrypt = ", 21);
    memset(longval + 21, 'a', 58);
    snprintf(want, sizeof want,
             "policy.ini:2: [class.C3] encrypt = %.48s...: must be one of "
             "required, recommended, optional",
             longval + 21);
    parse_fails(longval, want);

    /* a certificate cannot outlive its key */
    parse_fails("[keys]\nkey_lifetime_days = 100\ncertificate_lifetime_days = "
                "200\n",
                "policy.ini:3: [keys] certificate_lifetime_days = 200 "
                "(policy.ini:3) is longer than key_lifetime_days = 100 "
                "(policy.ini:2): a certificate cannot outlive its key");
    parse_fails("[keys]\nkey_lifetime_days = 300\n",
                "policy.ini:2: [keys] certificate_lifetime_days = 365 "
                "(built-in default) is longer than key_lifetime_days = 300 "
                "(policy.ini:2): a certificate cannot outlive its key");
}

static void test_methods(void **state)
{
    (void)state;
    parse_fails("[methods]\nencryption = age-x25519 rsa-4096\n",
                "policy.ini:2: [methods] encryption: method \"rsa-4096\" is "
                "not one fuin implements (encryption methods: age-x25519 "
                "age-scrypt)");
    parse_fails("[methods]\nsignature = minisign-ed25519, gpg\n",
                "policy.ini:2: [methods] signature: method \"gpg\" is not one "
                "fuin implements (signature methods: minisign-ed25519)");
    parse_fails("[methods]\nencryption = minisign-ed25519\n",
                "policy.ini:2: [methods] encryption: method "
                "\"minisign-ed25519\" is not one fuin implements (encryption "
                "methods: age-x25519 age-scrypt)");
    parse_fails("[methods]\nencryption = Age-X25519\n",
                "policy.ini:2: [methods] encryption: method \"Age-X25519\" "
                "is not one fuin implements (encryption methods: age-x25519 "
                "age-scrypt)");
    parse_fails("[methods]\nencryption = age-x25519 age-x25519\n",
                "policy.ini:2: [methods] encryption: method \"age-x25519\" "
                "listed twice");
    parse_fails("[methods]\nsignature = , ,\n",
                "policy.ini:2: [methods] signature lists no method (list at "
                "least one of: minisign-ed25519)");
    parse_fails("[methods]\nencryption =\n",
                "policy.ini:2: [methods] encryption lists no method (list at "
                "least one of: age-x25519 age-scrypt)");
}

static void test_duplicates(void **state)
{
    (void)state;
    parse_fails("[class.C3]\nencrypt = required\npassphrase = forbidden\n"
                "encrypt = required\n",
                "policy.ini:4: duplicate key \"encrypt\" in [class.C3] (first "
                "at line 2)");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* inih's own errors: no '=' on a key line */
    parse_fails("[class.C3]\nencrypt = required\nrecipients certified\n",
                "policy.ini:3: syntax error (expected \"[section]\", \"key = "
                "value\" or a \"; comment\")");
    /* inih keeps going after its error; the first error in the file is
     * the one reported */
    parse_fails("[class.C3]\njunk\nfoo = bar\n",
                "policy.ini:2: syntax error (expected \"[section]\", \"key = "
                "value\" or a \"; comment\")");
    /* an inline comment before '=' hides it */
    parse_fails("[class.C3]\nencrypt ; = required\n",
                "policy.ini:2: syntax error (expected \"[section]\", \"key = "
                "value\" or a \"; comment\")");
    /* continuation lines would silently extend the previous value */
    parse_fails("[class.C3]\nencrypt = required\n  passphrase = allowed\n",
                "policy.ini:3: indented line (continuation lines are not "
                "allowed; remove the leading space)");
    parse_fails("[class.C3]\n\t[class.C2]\n",
                "policy.ini:2: indented line (continuation lines are not "
                "allowed; remove the leading space)");
    parse_fails_len("[class.C3]\nencrypt = req\0uired\n", 31, FUIN_E_SYNTAX,
                    "policy.ini:2: NUL byte in the line");
    parse_fails("[organisation]\nname = \x82\xa0\n",
                "policy.ini:2: not valid UTF-8 (save the policy as UTF-8)");

    char line[400];
    memset(line, 0, sizeof line);
    memcpy(line, "[organisation]\nname = ", 22);
    memset(line + 22, 'n', 180); /* 187 bytes: fits */
    fuin_policy *p = NULL;
    char err[MSG];
    assert_int_equal(fuin_policy_parse(line, strlen(line), NULL, &p, err,
                                       sizeof err),
                     FUIN_E_SYNTAX); /* too long a name, but not a long line */
    assert_string_equal(err, "policy.ini:2: [organisation] name is longer "
                             "than 128 bytes");
    memset(line + 22, 'n', 191); /* "name = " + 191 = 198 bytes */
    parse_fails(line, "policy.ini:2: line longer than 197 bytes");

    /* 197 bytes is the longest line, CRLF not counted */
    char ok[300];
    memset(ok, 0, sizeof ok);
    memcpy(ok, "[methods]\r\nencryption = age-x25519", 34);
    memset(ok + 34, ',', 174); /* 13 + 10 + 174 = 197 */
    memcpy(ok + 208, "\r\n[class.C1]\r\n", 14);
    p = parse_ok(ok, NULL);
    expect_rule(p, "methods", "encryption", "age-x25519", 2);
    fuin_policy_free(p);
    memset(ok + 34, ',', 175);
    memcpy(ok + 209, "\r\n[class.C1]\r\n", 14);
    parse_fails(ok, "policy.ini:2: line longer than 197 bytes");

    /* over the size limit */
    static char huge[FUIN_POLICY_MAX_BYTES + 1];
    memset(huge, '\n', sizeof huge);
    parse_fails_len(huge, sizeof huge, FUIN_E_LIMIT,
                    "policy.ini: policy is 65537 bytes, more than the 65536 "
                    "allowed");
    p = parse_ok("", NULL);
    fuin_policy_free(p);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    fuin_policy *p = NULL;
    char err[MSG];
    assert_int_equal(fuin_policy_default(NULL), FUIN_E_INVALID);
    assert_int_equal(fuin_policy_parse("", 0, NULL, NULL, err, sizeof err),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_parse(NULL, 3, NULL, &p, err, sizeof err),
                     FUIN_E_INVALID);
    assert_null(p);
    /* err may be NULL */
    assert_int_equal(fuin_policy_parse("[x]\n", 4, NULL, &p, NULL, 0),
                     FUIN_E_SYNTAX);
    assert_null(p);
    fuin_policy_free(NULL);
    assert_null(fuin_policy_organisation(NULL));
    assert_int_equal(fuin_policy_key_lifetime_days(NULL), 0);
    assert_int_equal(fuin_policy_format(NULL, err, sizeof err), 0);
    assert_string_equal(err, "");

    char msg[MSG];
    fuin_label bad = {4, 1, 1, 0};
    fuin_policy *d = default_policy();
    assert_int_equal(fuin_policy_check_encrypt(NULL, NULL, 0, 1, 0, msg,
                                               sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_encrypt(d, &bad, 0, 1, 0, msg,
                                               sizeof msg),
                     FUIN_E_INVALID);
    /* no recipients, or more uncertified than recipients */
    assert_int_equal(fuin_policy_check_encrypt(d, NULL, 0, 0, 0, msg,
                                               sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_encrypt(d, NULL, 0, 1, 2, msg,
                                               sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_sign(d, &bad, 1, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_verify(NULL, NULL, 1, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_unencrypted(d, &bad, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_check_unsigned(d, &bad, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_policy_describe(d, &bad, msg, sizeof msg), 0);
    assert_string_equal(msg, "");
    /* NULL message buffers are fine */
    fuin_label c3 = label("C3");
    assert_int_equal(fuin_policy_check_encrypt(d, &c3, 1, 0, 0, NULL, 0),
                     FUIN_E_POLICY);
    fuin_policy_free(d);
}

/* ---- checks -------------------------------------------------------------- */

static void test_check_encrypt_default(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    char msg[MSG];
    fuin_label c1 = label("C1"), c2 = label("C2-I2-A2"), c3 = label("C3");

    /* unlabelled = C1: everything goes */
    expect_status_msg(fuin_policy_check_encrypt(p, NULL, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_encrypt(p, NULL, 0, 3, 3, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 0, 2, 1, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    /* C2: passphrase allowed, any recipients */
    expect_status_msg(fuin_policy_check_encrypt(p, &c2, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_encrypt(p, &c2, 0, 1, 1, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    /* C3: never a passphrase, only certified recipients */
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] passphrase = forbidden: "
                      "機密性3 files may not be encrypted with a passphrase");
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 0, 1, 1, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] recipients = certified: "
                      "機密性3 files may be encrypted only to certified "
                      "recipients; the recipient is not certified");
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 0, 3, 2, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] recipients = certified: "
                      "機密性3 files may be encrypted only to certified "
                      "recipients; 2 of the 3 recipients are not certified");
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 0, 3, 3, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] recipients = certified: "
                      "機密性3 files may be encrypted only to certified "
                      "recipients; none of the 3 recipients is certified");
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 0, 3, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    fuin_policy_free(p);
}

static void test_check_encrypt_policy(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(FULL, "policy.ini");
    char msg[MSG];
    fuin_label c1 = label("C1"), c2 = label("機密性2"), c3 = label("C3-I2-A2");

    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "policy.ini:19: [class.C3] passphrase = forbidden: "
                      "機密性3 files may not be encrypted with a passphrase");
    expect_status_msg(fuin_policy_check_encrypt(p, &c2, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "policy.ini:23: [class.C2] passphrase = forbidden: "
                      "機密性2 files may not be encrypted with a passphrase");
    expect_status_msg(fuin_policy_check_encrypt(p, &c2, 0, 2, 1, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "policy.ini:24: [class.C2] recipients = certified: "
                      "機密性2 files may be encrypted only to certified "
                      "recipients; 1 of the 2 recipients is not certified");
    expect_status_msg(fuin_policy_check_encrypt(p, &c2, 0, 2, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    fuin_policy_free(p);

    /* methods: a policy without age-scrypt refuses every passphrase, one
     * without age-x25519 every recipient */
    p = parse_ok("[methods]\n\nencryption = age-x25519\n", "p.ini");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "p.ini:3: [methods] encryption = age-x25519: age-scrypt "
                      "(passphrase encryption) is not a method the policy "
                      "allows");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 0, 1, 0, msg,
                                                sizeof msg),
                      msg, FUIN_OK, "");
    fuin_policy_free(p);
    p = parse_ok("[methods]\nencryption = age-scrypt\n", "p.ini");
    expect_status_msg(fuin_policy_check_encrypt(p, &c1, 0, 1, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "p.ini:2: [methods] encryption = age-scrypt: age-x25519 "
                      "(encryption to recipients) is not a method the policy "
                      "allows");
    /* age-scrypt is allowed here, so the class rule speaks */
    expect_status_msg(fuin_policy_check_encrypt(p, &c3, 1, 0, 0, msg,
                                                sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] passphrase = forbidden: "
                      "機密性3 files may not be encrypted with a passphrase");
    fuin_policy_free(p);
}

static void test_check_sign_verify(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    char msg[MSG];
    fuin_label i1 = label("C3-I1-A2"), i2 = label("C1-I2");

    expect_status_msg(fuin_policy_check_sign(p, NULL, 0, msg, sizeof msg), msg,
                      FUIN_OK, "");
    expect_status_msg(fuin_policy_check_sign(p, &i1, 0, msg, sizeof msg), msg,
                      FUIN_OK, "");
    expect_status_msg(fuin_policy_check_sign(p, &i1, 1, msg, sizeof msg), msg,
                      FUIN_OK, "");
    expect_status_msg(fuin_policy_check_sign(p, &i2, 1, msg, sizeof msg), msg,
                      FUIN_OK, "");
    expect_status_msg(fuin_policy_check_sign(p, &i2, 0, msg, sizeof msg), msg,
                      FUIN_E_POLICY,
                      "built-in default: [class.I2] signer = certified: "
                      "完全性2 files must be signed with a key the CISO "
                      "certified; this key has no valid certificate");

    expect_status_msg(fuin_policy_check_verify(p, NULL, 0, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_verify(p, &i1, 0, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_verify(p, &i2, 1, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_verify(p, &i2, 0, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.I2] signer = certified: "
                      "完全性2 files must be signed by a key the CISO "
                      "certified; this signer is not certified");
    fuin_policy_free(p);

    /* FULL: I1 signer = certified too (line 32) */
    p = parse_ok(FULL, "policy.ini");
    expect_status_msg(fuin_policy_check_sign(p, NULL, 0, msg, sizeof msg), msg,
                      FUIN_E_POLICY,
                      "policy.ini:32: [class.I1] signer = certified: 完全性1 "
                      "files must be signed with a key the CISO certified; "
                      "this key has no valid certificate");
    expect_status_msg(fuin_policy_check_verify(p, &i1, 0, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "policy.ini:32: [class.I1] signer = certified: 完全性1 "
                      "files must be signed by a key the CISO certified; this "
                      "signer is not certified");
    expect_status_msg(fuin_policy_check_verify(p, &i2, 0, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "policy.ini:34: [class.I2] signer = certified: 完全性2 "
                      "files must be signed by a key the CISO certified; this "
                      "signer is not certified");
    expect_status_msg(fuin_policy_check_verify(p, &i2, 1, msg, sizeof msg),
                      msg, FUIN_OK, "");
    fuin_policy_free(p);

    /* I2 with signer = any */
    p = parse_ok("[class.I2]\nsigner = any\n", NULL);
    expect_status_msg(fuin_policy_check_sign(p, &i2, 0, msg, sizeof msg), msg,
                      FUIN_OK, "");
    expect_status_msg(fuin_policy_check_verify(p, &i2, 0, msg, sizeof msg),
                      msg, FUIN_OK, "");
    fuin_policy_free(p);
}

static void test_check_unencrypted_unsigned(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    char msg[MSG];
    fuin_label c1 = label("C1"), c2 = label("C2"), c3 = label("C3-I2-A2"),
               c1e = label("C1 暗号化必須"), i2 = label("C1-I2");

    expect_status_msg(fuin_policy_check_unencrypted(p, NULL, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_unencrypted(p, &c1, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_unencrypted(p, &c2, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C2] encrypt = required: "
                      "機密性2 files must be encrypted when sent, carried or "
                      "provided");
    expect_status_msg(fuin_policy_check_unencrypted(p, &c3, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "built-in default: [class.C3] encrypt = required: "
                      "機密性3 files must be encrypted when sent, carried or "
                      "provided");
    expect_status_msg(fuin_policy_check_unencrypted(p, &c1e, msg, sizeof msg),
                      msg, FUIN_E_POLICY,
                      "label C1-I1-A1 暗号化必須: the restriction 暗号化必須 "
                      "(encrypt-required) demands encryption");

    expect_status_msg(fuin_policy_check_unsigned(p, NULL, msg, sizeof msg),
                      msg, FUIN_OK, "");
    expect_status_msg(fuin_policy_check_unsigned(p, &c3, msg, sizeof msg), msg,
                      FUIN_E_POLICY,
                      "built-in default: [class.I2] sign = required: 完全性2 "
                      "files must carry an electronic signature");
    expect_status_msg(fuin_policy_check_unsigned(p, &i2, msg, sizeof msg), msg,
                      FUIN_E_POLICY,
                      "built-in default: [class.I2] sign = required: 完全性2 "
                      "files must carry an electronic signature");
    fuin_policy_free(p);

    /* recommended: allowed, with advice */
    p = parse_ok(FULL, "policy.ini");
    expect_status_msg(fuin_policy_check_unencrypted(p, &c2, msg, sizeof msg),
                      msg, FUIN_OK,
                      "policy.ini:22: [class.C2] encrypt = recommended: "
                      "機密性2 files should be encrypted when sent, carried "
                      "or provided");
    expect_status_msg(fuin_policy_check_unsigned(p, &i2, msg, sizeof msg), msg,
                      FUIN_E_POLICY,
                      "policy.ini:35: [class.I2] sign = required: 完全性2 "
                      "files must carry an electronic signature");
    fuin_policy_free(p);

    /* a class with sign = optional but I2 in the policy */
    p = parse_ok("[class.I2]\nsign = optional\n", NULL);
    expect_status_msg(fuin_policy_check_unsigned(p, &i2, msg, sizeof msg), msg,
                      FUIN_OK, "");
    fuin_policy_free(p);
}

static void test_describe(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(FULL, "policy.ini");
    char buf[8192];
    fuin_label l = label("C3-I2-A2 複製禁止 転送禁止");
    size_t n = fuin_policy_describe(p, &l, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    const char *want =
        "Policy of 〇〇事務組合 for a file labelled C3-I2-A2 複製禁止 転送禁止 "
        "(機密性3, 完全性2, 可用性2):\n"
        "  encryption: required when the file is sent, carried or provided "
        "([class.C3] encrypt = required, policy.ini:18)\n"
        "  passphrase: forbidden; encrypt to recipients, never with a "
        "passphrase ([class.C3] passphrase = forbidden, policy.ini:19)\n"
        "  recipients: only certified colleagues (a certificate from the "
        "CISO, not expired, not revoked) ([class.C3] recipients = certified, "
        "policy.ini:20)\n"
        "  signature: required; sign the file before sending or publishing "
        "it ([class.I2] sign = required, policy.ini:35)\n"
        "  signer: a key the CISO certified; signatures by other keys are "
        "refused ([class.I2] signer = certified, policy.ini:34)\n"
        "  methods: encryption age-x25519 age-scrypt (policy.ini:6); "
        "signature minisign-ed25519 (policy.ini:7)\n"
        "  wipe verification: full; everything written is read back "
        "([class.C3] wipe_verify = full, built-in default)\n"
        "  wipe category: Clear, Purge or Destroy (NIST SP 800-88) "
        "([class.C3] wipe_category = clear, built-in default)\n"
        "  disposal approval: required for media; a request signed by the "
        "operator and approved by a certified manager who is not the "
        "operator; file wipes need none ([class.C3] wipe_approval = required, "
        "built-in default)\n"
        "  disposal witness: optional ([class.C3] wipe_witness = optional, "
        "built-in default)\n"
        "  label restrictions: 複製禁止 (no-copy) 転送禁止 (no-forward); "
        "handle the file as they say\n";
    assert_string_equal(buf, want);

    /* like snprintf */
    char small[10];
    assert_int_equal(fuin_policy_describe(p, &l, small, sizeof small), n);
    assert_int_equal(fuin_policy_describe(p, &l, NULL, 0), n);
    /* "Policy of " + 〇 would be cut inside the character: dropped */
    char cut[13];
    fuin_policy_describe(p, &l, cut, sizeof cut);
    assert_string_equal(cut, "Policy of ");

    /* C2 recommended + encrypt-required label, passphrase forbidden */
    fuin_label c2 = label("C2 暗号化必須");
    fuin_policy_describe(p, &c2, buf, sizeof buf);
    assert_non_null(strstr(buf, "  encryption: recommended when the file is "
                                "sent, carried or provided ([class.C2] "
                                "encrypt = recommended, policy.ini:22)\n"
                                "  encryption: required all the same by the "
                                "label's restriction 暗号化必須 "
                                "(encrypt-required)\n"));
    assert_non_null(strstr(buf, "  signer: a key the CISO certified; "
                                "signatures by other keys are refused "
                                "([class.I1] signer = certified, "
                                "policy.ini:32)\n"));
    fuin_policy_free(p);

    /* the default, unlabelled */
    p = default_policy();
    fuin_policy_describe(p, NULL, buf, sizeof buf);
    want = "Policy of (no policy installed) for an unlabelled file (handled "
           "as C1-I1-A1: 機密性1, 完全性1, 可用性1):\n"
           "  encryption: optional ([class.C1] encrypt = optional, built-in "
           "default)\n"
           "  passphrase: allowed (age-scrypt) ([class.C1] passphrase = "
           "allowed, built-in default)\n"
           "  recipients: any age recipient ([class.C1] recipients = any, "
           "built-in default)\n"
           "  signature: optional ([class.I1] sign = optional, built-in "
           "default)\n"
           "  signer: any minisign key ([class.I1] signer = any, built-in "
           "default)\n"
           "  methods: encryption age-x25519 age-scrypt (built-in default); "
           "signature minisign-ed25519 (built-in default)\n"
           "  wipe verification: optional ([class.C1] wipe_verify = none, "
           "built-in default)\n"
           "  wipe category: Clear, Purge or Destroy (NIST SP 800-88) "
           "([class.C1] wipe_category = clear, built-in default)\n"
           "  unlabelled media (block devices, physical destruction) are "
           "handled as 機密性2 ([wipe] unlabelled = C2, built-in default):\n"
           "    wipe verification: full; everything written is read back "
           "([class.C2] wipe_verify = full, built-in default)\n"
           "    wipe category: Clear, Purge or Destroy (NIST SP 800-88) "
           "([class.C2] wipe_category = clear, built-in default)\n"
           "    disposal approval: required for media; a request signed by "
           "the operator and approved by a certified manager who is not the "
           "operator; file wipes need none ([class.C2] wipe_approval = "
           "required, built-in default)\n"
           "    disposal witness: optional ([class.C2] wipe_witness = "
           "optional, built-in default)\n";
    assert_string_equal(buf, want);
    fuin_policy_free(p);

    /* passphrase allowed by the class, impossible by the methods */
    p = parse_ok("[methods]\nencryption = age-x25519\n", "p.ini");
    fuin_label c2b = label("C2");
    fuin_policy_describe(p, &c2b, buf, sizeof buf);
    assert_non_null(strstr(buf, "  passphrase: allowed by the class but "
                                "impossible: the methods do not include "
                                "age-scrypt ([class.C2] passphrase = allowed, "
                                "built-in default; [methods] encryption = "
                                "age-x25519, p.ini:2)\n"));
    fuin_policy_free(p);
}

/* ---- wiping and disposal (§2.3(2)⑩) -------------------------------------- */

static const char *const WIPE_KEYS[] = {"wipe_verify", "wipe_approval",
                                        "wipe_witness", "wipe_category"};

/* Every value of every wipe key parses, in every class, and remembers its
 * line; the other classes keep their defaults. */
static void test_wipe_keys_parse(void **state)
{
    (void)state;
    static const char *const values[][4] = {
        {"none", "sample", "full", NULL},
        {"required", "optional", NULL, NULL},
        {"required", "optional", NULL, NULL},
        {"clear", "purge", NULL, NULL},
    };
    static const char *const defaults[3][4] = {
        {"none", "optional", "optional", "clear"},    /* C1 */
        {"full", "required", "optional", "clear"},    /* C2 */
        {"full", "required", "optional", "clear"},    /* C3 */
    };
    for (int c = 1; c <= 3; c++) {
        for (int k = 0; k < 4; k++) {
            for (int v = 0; v < 4 && values[k][v] != NULL; v++) {
                char text[128], sec[16];
                snprintf(sec, sizeof sec, "class.C%d", c);
                snprintf(text, sizeof text, "; c\n[%s]\n%s = %s\n", sec,
                         WIPE_KEYS[k], values[k][v]);
                fuin_policy *p = parse_ok(text, NULL);
                expect_rule(p, sec, WIPE_KEYS[k], values[k][v], 3);
                for (int o = 1; o <= 3; o++) {
                    char osec[16];
                    snprintf(osec, sizeof osec, "class.C%d", o);
                    for (int ok = 0; ok < 4; ok++)
                        if (o != c || ok != k)
                            expect_rule(p, osec, WIPE_KEYS[ok],
                                        defaults[o - 1][ok], 0);
                }
                expect_rule(p, "wipe", "unlabelled", "C2", 0);
                fuin_policy_free(p);
            }
        }
    }
    static const char *const classes[] = {"C1", "C2", "C3"};
    for (size_t i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof text, "[wipe]\nunlabelled = %s\n", classes[i]);
        fuin_policy *p = parse_ok(text, NULL);
        expect_rule(p, "wipe", "unlabelled", classes[i], 2);
        fuin_policy_free(p);
    }
}

static void test_wipe_bad_values(void **state)
{
    (void)state;
    parse_fails("[class.C2]\nwipe_verify = partial\n",
                "policy.ini:2: [class.C2] wipe_verify = partial: must be one "
                "of none, sample, full");
    parse_fails("[class.C3]\nwipe_verify = Full\n",
                "policy.ini:2: [class.C3] wipe_verify = Full: must be one of "
                "none, sample, full");
    parse_fails("[class.C1]\nwipe_verify = sample=10\n",
                "policy.ini:2: [class.C1] wipe_verify = sample=10: must be one "
                "of none, sample, full");
    parse_fails("[class.C3]\nwipe_approval = yes\n",
                "policy.ini:2: [class.C3] wipe_approval = yes: must be one of "
                "required, optional");
    parse_fails("[class.C1]\nwipe_approval =\n",
                "policy.ini:2: [class.C1] wipe_approval = : must be one of "
                "required, optional");
    parse_fails("; x\n\n[class.C2]\nwipe_witness = recommended\n",
                "policy.ini:4: [class.C2] wipe_witness = recommended: must be "
                "one of required, optional");
    /* destroy always satisfies the rule, so it is no value of it */
    parse_fails("[class.C3]\nwipe_category = destroy\n",
                "policy.ini:2: [class.C3] wipe_category = destroy: must be one "
                "of clear, purge");
    parse_fails("[class.C2]\nwipe_category = Purge\n",
                "policy.ini:2: [class.C2] wipe_category = Purge: must be one "
                "of clear, purge");
    parse_fails("[wipe]\nunlabelled = C4\n",
                "policy.ini:2: [wipe] unlabelled = C4: must be one of C1, C2, "
                "C3");
    parse_fails("[wipe]\nunlabelled = c2\n",
                "policy.ini:2: [wipe] unlabelled = c2: must be one of C1, C2, "
                "C3");
    parse_fails("[wipe]\nunlabelled = 機密性2\n",
                "policy.ini:2: [wipe] unlabelled = 機密性2: must be one of C1, "
                "C2, C3");
    parse_fails("[wipe]\nunlabelled = C2-I2-A2\n",
                "policy.ini:2: [wipe] unlabelled = C2-I2-A2: must be one of "
                "C1, C2, C3");
    /* keys in the wrong section */
    parse_fails("[wipe]\nwipe_verify = full\n",
                "policy.ini:2: unknown key \"wipe_verify\" in [wipe] (known: "
                "unlabelled)");
    parse_fails("[class.C2]\nunlabelled = C2\n",
                "policy.ini:2: unknown key \"unlabelled\" in [class.C2] "
                "(known: encrypt passphrase recipients wipe_verify "
                "wipe_approval wipe_witness wipe_category zip)");
    parse_fails("[class.I2]\nwipe_approval = required\n",
                "policy.ini:2: unknown key \"wipe_approval\" in [class.I2] "
                "(known: sign signer)");
    parse_fails("[class.C1]\nwipe-verify = full\n",
                "policy.ini:2: unknown key \"wipe-verify\" in [class.C1] "
                "(known: encrypt passphrase recipients wipe_verify "
                "wipe_approval wipe_witness wipe_category zip)");
    parse_fails("[Wipe]\n",
                "policy.ini:1: unknown section [Wipe] (fuin knows "
                "[organisation] [methods] [passphrase] [keys] [class.C1] "
                "[class.C2] [class.C3] [class.I1] [class.I2] [wipe] [labels] [approval] [audit])");
}

static void test_wipe_duplicates(void **state)
{
    (void)state;
    parse_fails("[class.C1]\nwipe_verify = none\nencrypt = optional\n"
                "wipe_verify = full\n",
                "policy.ini:4: duplicate key \"wipe_verify\" in [class.C1] "
                "(first at line 2)");
    parse_fails("[class.C3]\nwipe_approval = required\nwipe_approval = "
                "required\n",
                "policy.ini:3: duplicate key \"wipe_approval\" in [class.C3] "
                "(first at line 2)");
    parse_fails("[class.C2]\nwipe_witness = optional\nwipe_category = purge\n"
                "wipe_witness = required\n",
                "policy.ini:4: duplicate key \"wipe_witness\" in [class.C2] "
                "(first at line 2)");
    parse_fails("[class.C2]\nwipe_category = purge\nwipe_category = clear\n",
                "policy.ini:3: duplicate key \"wipe_category\" in [class.C2] "
                "(first at line 2)");
    parse_fails("[wipe]\nunlabelled = C2\nunlabelled = C3\n",
                "policy.ini:3: duplicate key \"unlabelled\" in [wipe] (first "
                "at line 2)");
    parse_fails("[wipe]\nunlabelled = C2\n[class.C1]\n[wipe]\n",
                "policy.ini:4: duplicate section [wipe] (first at line 1)");
}

/* A policy that changes every wipe rule somewhere. */
static const char WIPE_POLICY[] =
    "[class.C1]\n"                                   /* 1 */
    "wipe_verify = sample\n"                         /* 2 */
    "wipe_approval = required\n"                     /* 3 */
    "wipe_witness = required\n"                      /* 4 */
    "wipe_category = purge\n"                        /* 5 */
    "[wipe]\n"                                       /* 6 */
    "unlabelled = C3 ; 不明な媒体は機密性3\n"        /* 7 */
    "[class.C3]\n"                                   /* 8 */
    "wipe_category = purge\n"                        /* 9 */
    "wipe_witness = required\n"                      /* 10 */
    "wipe_verify = sample\n"                         /* 11 */
    "[class.C2]\n"                                   /* 12 */
    "wipe_approval = optional\n"                     /* 13 */
    "wipe_verify = none\n";                          /* 14 */

static void test_wipe_format_round_trip(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(WIPE_POLICY, "pol.ini");
    char t1[4096], t2[4096], t3[4096];
    size_t n = fuin_policy_format(p, t1, sizeof t1);
    assert_int_equal(n, strlen(t1));
    assert_non_null(strstr(t1, "\n[class.C3]\n"
                               "encrypt = required ; built-in default\n"
                               "passphrase = forbidden ; built-in default\n"
                               "recipients = certified ; built-in default\n"
                               "wipe_verify = sample ; pol.ini:11\n"
                               "wipe_approval = required ; built-in default\n"
                               "wipe_witness = required ; pol.ini:10\n"
                               "wipe_category = purge ; pol.ini:9\n"
                               "zip = forbidden ; built-in default\n\n"));
    assert_non_null(strstr(t1, "\nrecipients = any ; built-in default\n"
                               "wipe_verify = none ; pol.ini:14\n"
                               "wipe_approval = optional ; pol.ini:13\n"
                               "wipe_witness = optional ; built-in default\n"
                               "wipe_category = clear ; built-in default\n"
                               "zip = allowed ; built-in default\n"
                               "\n[class.C1]\n"));
    assert_non_null(strstr(t1, "\nrecipients = any ; built-in default\n"
                               "wipe_verify = sample ; pol.ini:2\n"
                               "wipe_approval = required ; pol.ini:3\n"
                               "wipe_witness = required ; pol.ini:4\n"
                               "wipe_category = purge ; pol.ini:5\n"
                               "zip = allowed ; built-in default\n"
                               "\n[class.I2]\n"));
    /* [wipe], then [labels], then [approval] and [audit], the last section */
    const char *tail = "\n\n[wipe]\nunlabelled = C3 ; pol.ini:7\n\n[labels]\n"
                       "name_required = none ; built-in default\n"
                       "msip_site = none ; built-in default\n"
                       "msip_C1 = none ; built-in default\n"
                       "msip_C2 = none ; built-in default\n"
                       "msip_C3 = none ; built-in default\n\n[approval]\n";
    assert_non_null(strstr(t1, tail));
    assert_int_equal(memcmp(t1 + n - 28, "/dev/log ; built-in default\n", 28), 0);

    fuin_policy *q = parse_ok(t1, "pol.ini");
    fuin_policy_format(q, t2, sizeof t2);
    fuin_policy *r = parse_ok(t2, "pol.ini");
    fuin_policy_format(r, t3, sizeof t3);
    assert_string_equal(t2, t3);
    for (int c = 1; c <= 3; c++) {
        char sec[16];
        snprintf(sec, sizeof sec, "class.C%d", c);
        for (int k = 0; k < 4; k++) {
            char a[MSG], b[MSG];
            assert_int_equal(fuin_policy_value(p, sec, WIPE_KEYS[k], a,
                                               sizeof a, NULL),
                             FUIN_OK);
            assert_int_equal(fuin_policy_value(q, sec, WIPE_KEYS[k], b,
                                               sizeof b, NULL),
                             FUIN_OK);
            assert_string_equal(a, b);
        }
    }
    expect_rule(q, "wipe", "unlabelled", "C3", 58);
    expect_rule(q, "class.C1", "wipe_witness", "required", 45);
    fuin_policy_free(p);
    fuin_policy_free(q);
    fuin_policy_free(r);
}

/* check_wipe(p, label, media, verify, category, approved, witnessed) must
 * give `want`; for FUIN_E_POLICY the message is exactly `want_msg`. */
static void expect_wipe(const fuin_policy *p, const fuin_label *l, int media,
                        int verify, int category, int approved, int witnessed,
                        fuin_status want, const char *want_msg)
{
    char msg[512];
    memset(msg, 'x', sizeof msg);
    fuin_status st = fuin_policy_check_wipe(p, l, media, verify, category,
                                            approved, witnessed, msg,
                                            sizeof msg);
    if (st != want || strcmp(msg, want_msg) != 0)
        fail_msg("check_wipe(%s, media %d, verify %d, category %d, approved "
                 "%d, witnessed %d): status %d \"%s\", want %d \"%s\"",
                 l ? "label" : "NULL", media, verify, category, approved,
                 witnessed, (int)st, msg, (int)want, want_msg);
}

static void test_check_wipe_default(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    fuin_label c1 = label("C1-I2-A2"), c2 = label("C2"),
               c3 = label("C3-I1-A1 読後廃棄");

    /* 機密性1: nothing demanded, files or media, whatever the method */
    for (int media = 0; media <= 1; media++)
        for (int v = 0; v <= 2; v++)
            for (int cat = 1; cat <= 3; cat++)
                expect_wipe(p, &c1, media, v, cat, 0, 0, FUIN_OK, "");

    /* 機密性2 and 3 files: full verification, no approval, no witness */
    expect_wipe(p, &c2, 0, 0, 1, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_verify = full: a wipe of "
                "機密性2 files must be verified in full (--verify full); "
                "--verify none is not enough");
    expect_wipe(p, &c2, 0, 1, 1, 1, 1, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_verify = full: a wipe of "
                "機密性2 files must be verified in full (--verify full); "
                "--verify sample is not enough");
    expect_wipe(p, &c2, 0, 2, 1, 0, 0, FUIN_OK, "");
    expect_wipe(p, &c3, 0, 1, 2, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C3] wipe_verify = full: a wipe of "
                "機密性3 files must be verified in full (--verify full); "
                "--verify sample is not enough");
    expect_wipe(p, &c3, 0, 2, 1, 0, 0, FUIN_OK, "");

    /* 機密性2 and 3 media: full verification and an approval */
    expect_wipe(p, &c2, 1, 2, 1, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_approval = required: "
                "disposal of 機密性2 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c2, 1, 2, 2, 0, 1, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_approval = required: "
                "disposal of 機密性2 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c2, 1, 1, 1, 1, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_verify = full: a wipe of "
                "機密性2 media must be verified in full (--verify full); "
                "--verify sample is not enough");
    /* verification is checked before the approval */
    expect_wipe(p, &c2, 1, 0, 1, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_verify = full: a wipe of "
                "機密性2 media must be verified in full (--verify full); "
                "--verify none is not enough");
    expect_wipe(p, &c2, 1, 2, 1, 1, 0, FUIN_OK, "");
    expect_wipe(p, &c2, 1, 2, 2, 1, 1, FUIN_OK, "");
    expect_wipe(p, &c3, 1, 2, 1, 0, 1, FUIN_E_POLICY,
                "built-in default: [class.C3] wipe_approval = required: "
                "disposal of 機密性3 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c3, 1, 0, 1, 1, 0, FUIN_E_POLICY,
                "built-in default: [class.C3] wipe_verify = full: a wipe of "
                "機密性3 media must be verified in full (--verify full); "
                "--verify none is not enough");
    expect_wipe(p, &c3, 1, 2, 1, 1, 0, FUIN_OK, "");
    /* physical destruction: no verification to demand, but the approval */
    expect_wipe(p, &c3, 1, 2, 3, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C3] wipe_approval = required: "
                "disposal of 機密性3 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c3, 1, 2, 3, 1, 0, FUIN_OK, "");
    expect_wipe(p, &c3, 1, 0, 3, 1, 0, FUIN_OK, "");

    /* unlabelled: media are 機密性2 ([wipe] unlabelled = C2), files C1 */
    expect_wipe(p, NULL, 1, 2, 1, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_approval = required: "
                "disposal of 機密性2 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval); "
                "unlabelled media count as 機密性2 ([wipe] unlabelled = C2, "
                "built-in default; give --class)");
    expect_wipe(p, NULL, 1, 1, 1, 1, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_verify = full: a wipe of "
                "機密性2 media must be verified in full (--verify full); "
                "--verify sample is not enough; unlabelled media count as "
                "機密性2 ([wipe] unlabelled = C2, built-in default; give "
                "--class)");
    expect_wipe(p, NULL, 1, 2, 1, 1, 0, FUIN_OK, "");
    expect_wipe(p, NULL, 0, 0, 1, 0, 0, FUIN_OK, "");
    fuin_policy_free(p);
}

static void test_check_wipe_policy(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(WIPE_POLICY, "pol.ini");
    fuin_label c1 = label("C1"), c2 = label("C2-I2-A1"), c3 = label("C3");

    /* C1: purge, sample, approval and witness; checked in that order */
    expect_wipe(p, &c1, 1, 0, 1, 0, 0, FUIN_E_POLICY,
                "pol.ini:5: [class.C1] wipe_category = purge: 機密性1 media "
                "must be sanitized to at least Purge (NIST SP 800-88); this "
                "method achieves only Clear");
    expect_wipe(p, &c1, 0, 2, 1, 1, 1, FUIN_E_POLICY,
                "pol.ini:5: [class.C1] wipe_category = purge: 機密性1 files "
                "must be sanitized to at least Purge (NIST SP 800-88); this "
                "method achieves only Clear");
    expect_wipe(p, &c1, 1, 0, 2, 0, 0, FUIN_E_POLICY,
                "pol.ini:2: [class.C1] wipe_verify = sample: a wipe of 機密性1 "
                "media must be verified at least by sampling (--verify "
                "sample=PCT or full); --verify none is not enough");
    expect_wipe(p, &c1, 0, 0, 2, 0, 0, FUIN_E_POLICY,
                "pol.ini:2: [class.C1] wipe_verify = sample: a wipe of 機密性1 "
                "files must be verified at least by sampling (--verify "
                "sample=PCT or full); --verify none is not enough");
    expect_wipe(p, &c1, 1, 1, 2, 0, 0, FUIN_E_POLICY,
                "pol.ini:3: [class.C1] wipe_approval = required: disposal of "
                "機密性1 media needs an approved request (fuin request "
                "disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c1, 1, 1, 2, 1, 0, FUIN_E_POLICY,
                "pol.ini:4: [class.C1] wipe_witness = required: disposal of "
                "機密性1 media needs a witness (fuin wipe --witness NAME)");
    expect_wipe(p, &c1, 1, 1, 2, 1, 1, FUIN_OK, "");
    expect_wipe(p, &c1, 1, 2, 2, 1, 1, FUIN_OK, "");
    /* a file wipe needs no approval and no witness */
    expect_wipe(p, &c1, 0, 1, 2, 0, 0, FUIN_OK, "");
    /* destroy satisfies purge; verification does not apply */
    expect_wipe(p, &c1, 1, 0, 3, 1, 1, FUIN_OK, "");
    expect_wipe(p, &c1, 1, 0, 3, 1, 0, FUIN_E_POLICY,
                "pol.ini:4: [class.C1] wipe_witness = required: disposal of "
                "機密性1 media needs a witness (fuin wipe --witness NAME)");

    /* C2: approval optional, verification none */
    expect_wipe(p, &c2, 1, 0, 1, 0, 0, FUIN_OK, "");
    expect_wipe(p, &c2, 0, 0, 1, 0, 0, FUIN_OK, "");

    /* C3: purge, sample, approval from the default, witness */
    expect_wipe(p, &c3, 1, 2, 1, 1, 1, FUIN_E_POLICY,
                "pol.ini:9: [class.C3] wipe_category = purge: 機密性3 media "
                "must be sanitized to at least Purge (NIST SP 800-88); this "
                "method achieves only Clear");
    expect_wipe(p, &c3, 1, 0, 2, 1, 1, FUIN_E_POLICY,
                "pol.ini:11: [class.C3] wipe_verify = sample: a wipe of "
                "機密性3 media must be verified at least by sampling "
                "(--verify sample=PCT or full); --verify none is not enough");
    expect_wipe(p, &c3, 1, 1, 2, 0, 1, FUIN_E_POLICY,
                "built-in default: [class.C3] wipe_approval = required: "
                "disposal of 機密性3 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    expect_wipe(p, &c3, 1, 1, 2, 1, 0, FUIN_E_POLICY,
                "pol.ini:10: [class.C3] wipe_witness = required: disposal of "
                "機密性3 media needs a witness (fuin wipe --witness NAME)");
    expect_wipe(p, &c3, 1, 1, 2, 1, 1, FUIN_OK, "");
    expect_wipe(p, &c3, 0, 1, 2, 0, 0, FUIN_OK, "");

    /* unlabelled media are 機密性3 here; unlabelled files stay 機密性1 */
    expect_wipe(p, NULL, 1, 2, 1, 1, 1, FUIN_E_POLICY,
                "pol.ini:9: [class.C3] wipe_category = purge: 機密性3 media "
                "must be sanitized to at least Purge (NIST SP 800-88); this "
                "method achieves only Clear; unlabelled media count as "
                "機密性3 ([wipe] unlabelled = C3, pol.ini:7; give --class)");
    expect_wipe(p, NULL, 1, 1, 2, 1, 0, FUIN_E_POLICY,
                "pol.ini:10: [class.C3] wipe_witness = required: disposal of "
                "機密性3 media needs a witness (fuin wipe --witness NAME); "
                "unlabelled media count as 機密性3 ([wipe] unlabelled = C3, "
                "pol.ini:7; give --class)");
    expect_wipe(p, NULL, 1, 1, 2, 1, 1, FUIN_OK, "");
    expect_wipe(p, NULL, 0, 0, 2, 0, 0, FUIN_E_POLICY,
                "pol.ini:2: [class.C1] wipe_verify = sample: a wipe of 機密性1 "
                "files must be verified at least by sampling (--verify "
                "sample=PCT or full); --verify none is not enough");
    fuin_policy_free(p);

    /* unlabelled = C1: unknown media need nothing, labelled ones still do */
    p = parse_ok("[wipe]\nunlabelled = C1\n", "lax.ini");
    expect_wipe(p, NULL, 1, 0, 1, 0, 0, FUIN_OK, "");
    expect_wipe(p, &c2, 1, 2, 1, 0, 0, FUIN_E_POLICY,
                "built-in default: [class.C2] wipe_approval = required: "
                "disposal of 機密性2 media needs an approved request (fuin "
                "request disposal / fuin approve / fuin wipe --approval)");
    fuin_policy_free(p);
}

/* Every class x media/file x rule: in a policy where every class demands
 * everything, each rule alone refuses, naming its class, value and line;
 * approval and witness never bind a file wipe.  In a policy where no
 * class demands anything, every wipe is allowed. */
static void test_check_wipe_matrix(void **state)
{
    (void)state;
    char strict[1024];
    size_t off = 0;
    for (int c = 3; c >= 1; c--)
        off += (size_t)snprintf(strict + off, sizeof strict - off,
                                "[class.C%d]\nwipe_verify = full\n"
                                "wipe_approval = required\n"
                                "wipe_witness = required\n"
                                "wipe_category = purge\n",
                                c);
    /* [class.C3] is lines 1-5, C2 6-10, C1 11-15 */
    fuin_policy *p = parse_ok(strict, "strict.ini");
    fuin_policy *lax = parse_ok("[class.C3]\nwipe_verify = none\n"
                                "wipe_approval = optional\n"
                                "wipe_category = clear\n"
                                "[class.C2]\nwipe_verify = none\n"
                                "wipe_approval = optional\n"
                                "wipe_category = clear\n",
                                "lax.ini");
    static const char *const classes[] = {"C1-I1-A1", "C2-I1-A1", "C3-I2-A2"};
    for (int c = 1; c <= 3; c++) {
        fuin_label l = label(classes[c - 1]);
        unsigned base = (unsigned)(3 - c) * 5 + 1;
        for (int media = 0; media <= 1; media++) {
            /* all satisfied */
            expect_wipe(p, &l, media, 2, 2, 1, 1, FUIN_OK, "");
            /* one rule broken at a time: category, verify, approval,
             * witness */
            struct {
                int v, cat, a, w;
                const char *rule;
                unsigned line;
            } cases[] = {
                {2, 1, 1, 1, "wipe_category = purge", base + 4},
                {1, 2, 1, 1, "wipe_verify = full", base + 1},
                {0, 2, 1, 1, "wipe_verify = full", base + 1},
                {2, 2, 0, 1, "wipe_approval = required", base + 2},
                {2, 2, 1, 0, "wipe_witness = required", base + 3},
            };
            for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                char msg[512], want[128];
                fuin_status st = fuin_policy_check_wipe(
                    p, &l, media, cases[k].v, cases[k].cat, cases[k].a,
                    cases[k].w, msg, sizeof msg);
                int media_rule =
                    strncmp(cases[k].rule, "wipe_approval", 13) == 0 ||
                    strncmp(cases[k].rule, "wipe_witness", 12) == 0;
                int binds = media || !media_rule;
                if (!binds) {
                    if (st != FUIN_OK || msg[0] != '\0')
                        fail_msg("C%d file, %s: %d \"%s\"", c, cases[k].rule,
                                 (int)st, msg);
                    continue;
                }
                snprintf(want, sizeof want,
                         "strict.ini:%u: [class.C%d] %s: ", cases[k].line, c,
                         cases[k].rule);
                if (st != FUIN_E_POLICY ||
                    strncmp(msg, want, strlen(want)) != 0)
                    fail_msg("C%d %s, %s: %d \"%s\", want prefix \"%s\"", c,
                             media ? "media" : "file", cases[k].rule,
                             (int)st, msg, want);
                char cls[32];
                snprintf(cls, sizeof cls, "機密性%d %s", c,
                         media ? "media" : "files");
                assert_non_null(strstr(msg, cls));
            }
            /* everything missing: the category is named first */
            char msg[512];
            assert_int_equal(fuin_policy_check_wipe(p, &l, media, 0, 1, 0, 0,
                                                    msg, sizeof msg),
                             FUIN_E_POLICY);
            assert_non_null(strstr(msg, "] wipe_category = purge: "));
            /* nothing demanded */
            for (int v = 0; v <= 2; v++)
                for (int cat = 1; cat <= 3; cat++)
                    expect_wipe(lax, &l, media, v, cat, 0, 0, FUIN_OK, "");
        }
    }
    fuin_policy_free(p);
    fuin_policy_free(lax);
}

static void test_check_wipe_invalid(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    fuin_label c2 = label("C2"), bad = c2;
    char msg[MSG];
    bad.confidentiality = 4;
    struct {
        const fuin_policy *p;
        const fuin_label *l;
        int v, cat;
    } cases[] = {
        {NULL, &c2, 2, 1}, {NULL, NULL, 2, 1}, {p, &c2, -1, 1},
        {p, &c2, 3, 1},    {p, &c2, 2, 0},     {p, &c2, 2, 4},
        {p, &bad, 2, 1},   {p, NULL, 2, -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int media = 0; media <= 1; media++) {
            memset(msg, 'x', sizeof msg);
            assert_int_equal(fuin_policy_check_wipe(cases[k].p, cases[k].l,
                                                    media, cases[k].v,
                                                    cases[k].cat, 1, 1, msg,
                                                    sizeof msg),
                             FUIN_E_INVALID);
            assert_string_equal(msg, "");
        }
    }
    bad = c2;
    bad.confidentiality = 0;
    assert_int_equal(fuin_policy_check_wipe(p, &bad, 0, 2, 1, 1, 1, msg,
                                            sizeof msg),
                     FUIN_E_INVALID);
    /* msg may be NULL with cap 0 */
    assert_int_equal(fuin_policy_check_wipe(p, &c2, 1, 2, 1, 0, 0, NULL, 0),
                     FUIN_E_POLICY);
    assert_int_equal(fuin_policy_check_wipe(p, &c2, 1, 2, 1, 1, 0, NULL, 0),
                     FUIN_OK);
    fuin_policy_free(p);
}

static void test_describe_wipe(void **state)
{
    (void)state;
    fuin_policy *p = parse_ok(WIPE_POLICY, "pol.ini");
    char buf[8192];
    fuin_label c3 = label("C3");
    fuin_policy_describe(p, &c3, buf, sizeof buf);
    assert_non_null(strstr(
        buf, "  wipe verification: at least a sample is read back "
             "([class.C3] wipe_verify = sample, pol.ini:11)\n"
             "  wipe category: Purge or Destroy (NIST SP 800-88); a Clear "
             "method is not enough ([class.C3] wipe_category = purge, "
             "pol.ini:9)\n"
             "  disposal approval: required for media; a request signed by "
             "the operator and approved by a certified manager who is not "
             "the operator; file wipes need none ([class.C3] wipe_approval = "
             "required, built-in default)\n"
             "  disposal witness: required for media (--witness NAME); file "
             "wipes need none ([class.C3] wipe_witness = required, "
             "pol.ini:10)\n"));
    assert_null(strstr(buf, "unlabelled"));

    fuin_label c2 = label("C2");
    fuin_policy_describe(p, &c2, buf, sizeof buf);
    assert_non_null(strstr(
        buf, "  wipe verification: optional ([class.C2] wipe_verify = none, "
             "pol.ini:14)\n"
             "  wipe category: Clear, Purge or Destroy (NIST SP 800-88) "
             "([class.C2] wipe_category = clear, built-in default)\n"
             "  disposal approval: optional ([class.C2] wipe_approval = "
             "optional, pol.ini:13)\n"
             "  disposal witness: optional ([class.C2] wipe_witness = "
             "optional, built-in default)\n"));

    /* unlabelled: file rules of C1 (no approval or witness lines), then
     * the media rules of [wipe] unlabelled's class */
    fuin_policy_describe(p, NULL, buf, sizeof buf);
    const char *want =
        "  wipe verification: at least a sample is read back ([class.C1] "
        "wipe_verify = sample, pol.ini:2)\n"
        "  wipe category: Purge or Destroy (NIST SP 800-88); a Clear method "
        "is not enough ([class.C1] wipe_category = purge, pol.ini:5)\n"
        "  unlabelled media (block devices, physical destruction) are handled "
        "as 機密性3 ([wipe] unlabelled = C3, pol.ini:7):\n"
        "    wipe verification: at least a sample is read back ([class.C3] "
        "wipe_verify = sample, pol.ini:11)\n"
        "    wipe category: Purge or Destroy (NIST SP 800-88); a Clear method "
        "is not enough ([class.C3] wipe_category = purge, pol.ini:9)\n"
        "    disposal approval: required for media; a request signed by the "
        "operator and approved by a certified manager who is not the "
        "operator; file wipes need none ([class.C3] wipe_approval = "
        "required, built-in default)\n"
        "    disposal witness: required for media (--witness NAME); file "
        "wipes need none ([class.C3] wipe_witness = required, pol.ini:10)\n";
    const char *at = strstr(buf, want);
    assert_non_null(at);
    assert_string_equal(at, want); /* the last lines */
    fuin_policy_free(p);
}

/* ---- passphrases --------------------------------------------------------- */

static void expect_pass(const fuin_policy *p, const char *pass,
                        fuin_status want, const char *want_msg)
{
    char msg[512];
    memset(msg, 'x', sizeof msg);
    fuin_status st = fuin_passphrase_check(p, pass, strlen(pass), msg,
                                           sizeof msg);
    if (st != want)
        fail_msg("\"%s\": status %d, want %d (%s)", pass, (int)st, (int)want,
                 msg);
    assert_string_equal(msg, want_msg);
}

/* A policy naming the dictionary at `prefix`. */
static fuin_policy *dict_policy(const char *prefix)
{
    char text[512];
    snprintf(text, sizeof text, "[passphrase]\ndictionary = %s\n", prefix);
    return parse_ok(text, "policy.ini");
}

static void write_bytes(const char *path, const char *bytes)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(bytes, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The machine, not the user: a dictionary that is missing, unreadable or
 * damaged is FUIN_E_ENVIRONMENT naming the file and what provides it,
 * whatever the passphrase, and the check is never skipped. */
static void test_passphrase_environment(void **state)
{
    (void)state;
    char dir[] = "/tmp/fuin-test-dict.XXXXXX";
    char prefix[128], path[160], msg[512], want[512];
    const char *origin = "named by policy.ini:2: [passphrase] dictionary; "
                         "build it with cracklib-packer from "
                         "cracklib-runtime, or ask the CISO";
    assert_non_null(mkdtemp(dir));

    /* missing: both the environment check and the verdict say so, for a
     * strong passphrase and for one that would be too short */
    snprintf(prefix, sizeof prefix, "%s/absent/dict", dir);
    fuin_policy *p = dict_policy(prefix);
    assert_string_equal(fuin_policy_passphrase_dictionary(p), prefix);
    expect_rule(p, "passphrase", "dictionary", prefix, 2);
    snprintf(want, sizeof want,
             "cannot check passphrases: the cracklib dictionary %s.pwd is "
             "missing (%s)",
             prefix, origin);
    assert_int_equal(fuin_passphrase_ready(p, msg, sizeof msg),
                     FUIN_E_ENVIRONMENT);
    assert_string_equal(msg, want);
    expect_pass(p, "correct horse battery staple", FUIN_E_ENVIRONMENT, want);
    expect_pass(p, "aa", FUIN_E_ENVIRONMENT, want);
    assert_int_equal(fuin_passphrase_ready(NULL, msg, sizeof msg),
                     FUIN_E_INVALID);
    fuin_policy_free(p);

    /* the index missing while the words are there */
    snprintf(prefix, sizeof prefix, "%s/half", dir);
    snprintf(path, sizeof path, "%s.pwd", prefix);
    write_bytes(path, "x");
    p = dict_policy(prefix);
    snprintf(want, sizeof want,
             "cannot check passphrases: the cracklib dictionary %s.pwi is "
             "missing (%s)",
             prefix, origin);
    expect_pass(p, "correct horse battery staple", FUIN_E_ENVIRONMENT, want);
    fuin_policy_free(p);
    unlink(path);

    /* not a file */
    snprintf(prefix, sizeof prefix, "%s/isdir", dir);
    snprintf(path, sizeof path, "%s.pwd", prefix);
    assert_int_equal(mkdir(path, 0700), 0);
    p = dict_policy(prefix);
    snprintf(want, sizeof want,
             "cannot check passphrases: the cracklib dictionary %s.pwd "
             "cannot be read: not a regular file (%s)",
             prefix, origin);
    expect_pass(p, "correct horse battery staple", FUIN_E_ENVIRONMENT, want);
    fuin_policy_free(p);
    rmdir(path);

    /* unreadable (root reads anything, so only as another user) */
    snprintf(prefix, sizeof prefix, "%s/locked", dir);
    snprintf(path, sizeof path, "%s.pwd", prefix);
    write_bytes(path, "x");
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) {
        p = dict_policy(prefix);
        snprintf(want, sizeof want,
                 "cannot check passphrases: the cracklib dictionary %s.pwd "
                 "cannot be read: Permission denied (%s)",
                 prefix, origin);
        expect_pass(p, "correct horse battery staple", FUIN_E_ENVIRONMENT,
                    want);
        fuin_policy_free(p);
    } else {
        printf("SKIP: an unreadable dictionary (EACCES) cannot be made for "
               "root; the not-a-file case covers the same path\n");
    }
    unlink(path);

    /* there but damaged: cracklib cannot load it (it says "magic
     * mismatch" on stderr) */
    snprintf(prefix, sizeof prefix, "%s/damaged", dir);
    snprintf(path, sizeof path, "%s.pwd", prefix);
    write_bytes(path, "not a cracklib dictionary, just text\n");
    snprintf(path, sizeof path, "%s.pwi", prefix);
    write_bytes(path, "not an index either, just more text\n");
    p = dict_policy(prefix);
    assert_int_equal(fuin_passphrase_ready(p, msg, sizeof msg), FUIN_OK);
    snprintf(want, sizeof want,
             "cannot check passphrases: cracklib cannot load the dictionary "
             "%s (damaged? rebuild it with update-cracklib; %s)",
             prefix, origin);
    expect_pass(p, "correct horse battery staple", FUIN_E_ENVIRONMENT, want);
    fuin_policy_free(p);
    snprintf(path, sizeof path, "%s.pwd", prefix);
    unlink(path);
    snprintf(path, sizeof path, "%s.pwi", prefix);
    unlink(path);

    /* the policy's own dictionary is the one used: a word only it lists
     * is refused, and the system dictionary does not know that word */
    snprintf(prefix, sizeof prefix, "%s/ours", dir);
    {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "printf 'kumquatzebra\\n' | cracklib-packer %s >/dev/null",
                 prefix);
        if (system(cmd) != 0)
            fail_msg("cracklib-packer failed (Debian package "
                     "cracklib-runtime; scripts/deps.sh installs it)");
    }
    p = dict_policy(prefix);
    assert_int_equal(fuin_passphrase_ready(p, msg, sizeof msg), FUIN_OK);
    assert_string_equal(msg, "");
    expect_pass(p, "kumquatzebra", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: it is based on a dictionary word");
    fuin_policy_free(p);
    p = parse_ok("[passphrase]\nmin_quality = 0\n", NULL);
    expect_pass(p, "kumquatzebra", FUIN_OK, "");
    fuin_policy_free(p);
    {
        const char *ext[] = {"pwd", "pwi", "hwm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s.%s", prefix, ext[i]);
            unlink(path);
        }
    }
    assert_int_equal(rmdir(dir), 0);

    /* what the key accepts */
    parse_fails("[passphrase]\ndictionary = words\n",
                "policy.ini:2: [passphrase] dictionary must be \"system\" or "
                "an absolute path (the prefix of a cracklib dictionary)");
    parse_fails("[passphrase]\ndictionary = /my dict\n",
                "policy.ini:2: [passphrase] dictionary contains a space, "
                "\";\" or a control character");
}

static void test_passphrase(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    {
        /* scripts/deps.sh installs cracklib-runtime; without it every
         * verdict below would be "cannot check", so say why at once. */
        char why[MSG];
        if (fuin_passphrase_ready(p, why, sizeof why) != FUIN_OK)
            fail_msg("%s", why);
    }

    expect_pass(p, "aa", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: shorter than 12 characters (built-in "
                "default: [passphrase] min_length = 12)");
    expect_pass(p, "", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: shorter than 12 characters (built-in "
                "default: [passphrase] min_length = 12)");
    expect_pass(p, "password", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: shorter than 12 characters (built-in "
                "default: [passphrase] min_length = 12)");
    expect_pass(p, "abcdefghijklmnop", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: it is too simplistic/systematic");
    expect_pass(p, "abcdefggfedcba", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: the password is a palindrome");
    /* libpwquality 1.4.5 scores "Password1234" 27 with min_length 12 */
    expect_pass(p, "Password1234", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: score 27 below the policy's 50 "
                "(built-in default: [passphrase] min_quality = 50)");
    expect_pass(p, "kq7-Vz.mw3!Lp9#rT", FUIN_OK, "");
    expect_pass(p, "correct horse battery staple", FUIN_OK, "");
    /* bytes, not characters: 4 kana are 12 bytes, long enough, but
     * libpwquality scores them 13 */
    expect_pass(p, "ひみつのあいことば", FUIN_OK, "");
    expect_pass(p, "やまだは", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: score 13 below the policy's 50 "
                "(built-in default: [passphrase] min_quality = 50)");

    char msg[MSG];
    assert_int_equal(fuin_passphrase_check(p, "abcdefgh\0ijklmnopq", 18, msg,
                                           sizeof msg),
                     FUIN_E_WEAK_PASSPHRASE);
    assert_string_equal(msg, "passphrase too weak: it contains a NUL byte");
    /* not NUL-terminated: only `len` bytes count */
    const char buf[] = "kq7-Vz.mw3!Lp9#rTaa";
    assert_int_equal(fuin_passphrase_check(p, buf, 11, msg, sizeof msg),
                     FUIN_E_WEAK_PASSPHRASE);
    assert_int_equal(fuin_passphrase_check(p, buf, 17, msg, sizeof msg),
                     FUIN_OK);
    assert_int_equal(fuin_passphrase_check(NULL, buf, 17, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_passphrase_check(p, NULL, 3, msg, sizeof msg),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_passphrase_check(p, "aa", 2, NULL, 0),
                     FUIN_E_WEAK_PASSPHRASE);
    fuin_policy_free(p);

    /* a policy with min_length 8 lets libpwquality's dictionary speak, and
     * min_quality 0 accepts any score */
    p = parse_ok("[passphrase]\nmin_length = 8\nmin_quality = 0\n", NULL);
    expect_pass(p, "password", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: it is based on a dictionary word");
    expect_pass(p, "Password1234", FUIN_OK, "");
    fuin_policy_free(p);

    p = parse_ok(FULL, "policy.ini");
    expect_pass(p, "kq7-Vz.mw3!Lp9#", FUIN_E_WEAK_PASSPHRASE,
                "passphrase too weak: shorter than 16 characters "
                "(policy.ini:10: [passphrase] min_length = 16)");
    fuin_policy_free(p);
}

static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2
                              : (*u & 0xf0) == 0xe0 ? 3
                              : (*u & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0)
            return 0;
        for (int i = 1; i < n; i++)
            if ((u[i] & 0xc0) != 0x80)
                return 0;
        u += n;
    }
    return 1;
}

/* Messages cut to any buffer size stay NUL-terminated valid UTF-8. */
static void test_truncated_messages(void **state)
{
    (void)state;
    fuin_policy *p = default_policy();
    fuin_label c3 = label("C3");
    for (size_t cap = 1; cap < 160; cap++) {
        char msg[160];
        memset(msg, 'x', sizeof msg);
        assert_int_equal(fuin_policy_check_encrypt(p, &c3, 1, 0, 0, msg, cap),
                         FUIN_E_POLICY);
        assert_true(strlen(msg) < cap);
        assert_true(utf8_ok(msg));
        memset(msg, 'x', sizeof msg);
        assert_int_equal(fuin_policy_check_wipe(p, NULL, 1, 2, 1, 0, 0, msg,
                                                cap),
                         FUIN_E_POLICY);
        assert_true(strlen(msg) < cap);
        assert_true(utf8_ok(msg));
        memset(msg, 'x', sizeof msg);
        fuin_policy *q = NULL;
        assert_int_equal(fuin_policy_parse("[class.C3]\nfoo=1\n", 17,
                                           "ポリシー.ini", &q, msg, cap),
                         FUIN_E_SYNTAX);
        assert_true(strlen(msg) < cap);
        assert_true(utf8_ok(msg));
    }
    fuin_policy_free(p);
}

int main(void)
{
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "fuin_init failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rules),
        cmocka_unit_test(test_default_format),
        cmocka_unit_test(test_default_text_parses),
        cmocka_unit_test(test_full_policy),
        cmocka_unit_test(test_partial_policy),
        cmocka_unit_test(test_accepted_forms),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_check_encrypt_default),
        cmocka_unit_test(test_check_encrypt_policy),
        cmocka_unit_test(test_check_sign_verify),
        cmocka_unit_test(test_check_unencrypted_unsigned),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_wipe_keys_parse),
        cmocka_unit_test(test_wipe_bad_values),
        cmocka_unit_test(test_wipe_duplicates),
        cmocka_unit_test(test_wipe_format_round_trip),
        cmocka_unit_test(test_check_wipe_default),
        cmocka_unit_test(test_check_wipe_policy),
        cmocka_unit_test(test_check_wipe_matrix),
        cmocka_unit_test(test_check_wipe_invalid),
        cmocka_unit_test(test_describe_wipe),
        cmocka_unit_test(test_passphrase),
        cmocka_unit_test(test_passphrase_environment),
        cmocka_unit_test(test_truncated_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
