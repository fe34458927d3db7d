/* Unit tests for lib/sign/card.c and lib/sign/trust.c: time, cards, certificates,
 * revocation lists, the trusted comment, the trust store, name resolution
 * and every outcome of release verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"
#include "internal.h"

/* internal (card.c) */

#define T_CREATED 1795629600LL   /* 2026-11-25T18:00:00Z */
#define T_FROM 1775001600LL      /* 2026-04-01T00:00:00Z */
#define T_UNTIL 1806537599LL     /* 2027-03-31T23:59:59Z */
#define T_LATE 1806660000LL      /* 2027-04-02T10:00:00Z */
#define T_EARLY 1772355600LL     /* 2026-03-01T09:00:00Z */
#define T_NOW 1796115600LL       /* 2026-12-01T09:00:00Z */

#define ORG "〇〇事務組合"

static const uint8_t DATA[] = "令和8年度 予算書\n";

typedef struct {
    fuin_seckey *sk;
    fuin_card card;
} person;

static fuin_seckey *root_sk, *other_root_sk;
static fuin_pubkey root_pk, other_root_pk;
static person hanako;           /* 山田 花子, staff */
static char *hanako_cert, *hanako_sig;
static size_t hanako_cert_len, hanako_sig_len;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */
static void make_person(person *p, const char *name, const char *email,
                        int64_t created)
{
    char identity[FUIN_IDENTITY_MAX];
    memset(p, 0, sizeof *p);
    assert_int_equal(fuin_seckey_generate(&p->sk, &p->card.sign_pk), FUIN_OK);
    assert_int_equal(fuin_keygen(identity, sizeof identity,
                                 p->card.age_recipient,
                                 sizeof p->card.age_recipient),
                     FUIN_OK);
    snprintf(p->card.name, sizeof p->card.name, "%s", name);
    snprintf(p->card.email, sizeof p->card.email, "%s", email);
    p->card.created = created;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t a = (size_t)(p - s), f = strlen(from), t = strlen(to),
           n = strlen(s);
    char *out = malloc(n - f + t + 1);
    assert_non_null(out);
    memcpy(out, s, a);
    memcpy(out + a, to, t);
    memcpy(out + a + t, p + f, n - a - f + 1);
    return out;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    assert_true(vasprintf(&out, fmt, ap) >= 0);
    va_end(ap);
    return out;
}

static char *hex_of(const uint8_t keyid[FUIN_KEYID_BYTES])
{
    static char buf[4][FUIN_KEYID_HEX];
    static int k;
    k = (k + 1) % 4;
    fuin_keyid_hex(keyid, buf[k]);
    return buf[k];
}

static char *b64_of(const fuin_pubkey *pk)
{
    static char buf[128];
    assert_true(fuin_pubkey_base64(pk, buf, sizeof buf) < sizeof buf);
    return buf;
}

static char *expected_card(const fuin_card *c)
{
    return xasprintf("fuin-card: 1\nname: %s\nemail%s%s\nage-recipient: %s\n"
                     "minisign-key-id: %s\nminisign-public-key: %s\n"
                     "created: 2026-11-25T18:00:00Z\n",
                     c->name, c->email[0] ? ": " : ":", c->email,
                     c->age_recipient, hex_of(c->sign_pk.keyid),
                     b64_of(&c->sign_pk));
}

static void issue(const person *p, fuin_role role, int64_t from,
                  int64_t until, const fuin_seckey *root, char **cert,
                  size_t *cl, char **sig, size_t *sl)
{
    assert_int_equal(fuin_cert_issue(&p->card, role, ORG, from, until, root,
                                     cert, cl, sig, sl),
                     FUIN_OK);
}

/* A .minisig of DATA by sk whose trusted comment is `meta`. */
static char *sign_meta(const fuin_seckey *sk, const fuin_sigmeta *meta,
                       const uint8_t *data, size_t len)
{
    char *tc = NULL, *sig = NULL;
    size_t sl;
    assert_int_equal(fuin_sigmeta_format(meta, &tc), FUIN_OK);
    fuin_signer *s = fuin_signer_new(sk);
    assert_non_null(s);
    assert_int_equal(fuin_sign_update(s, data, len), FUIN_OK);
    assert_int_equal(fuin_sign_final(s, NULL, tc, &sig, &sl), FUIN_OK);
    fuin_signer_free(s);
    free(tc);
    return sig;
}

/* m must be zeroed or hold an earlier meta (its bundle is released). */
static void hanako_meta(fuin_sigmeta *m, int64_t t, int with_cert)
{
    fuin_sigmeta_clear(m);
    snprintf(m->file, sizeof m->file, "予算書.pdf");
    snprintf(m->signer, sizeof m->signer, "%s", hanako.card.name);
    memcpy(m->keyid, hanako.card.sign_pk.keyid, FUIN_KEYID_BYTES);
    m->has_label = 1;
    assert_int_equal(fuin_label_parse("C2-I2", &m->label, NULL, 0), FUIN_OK);
    m->time = t;
    if (with_cert)
        assert_int_equal(fuin_sigmeta_set_cert(m, hanako_cert, hanako_cert_len,
                                               hanako_sig, hanako_sig_len),
                         FUIN_OK);
}

static fuin_status check(const fuin_pubkey *root, const fuin_revocations *rl,
                         const char *sig, const uint8_t *data, size_t len,
                         fuin_release_result *r)
{
    fuin_verifier *v = fuin_verifier_new();
    assert_non_null(v);
    assert_int_equal(fuin_verifier_load(v, sig, strlen(sig)), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, data, len), FUIN_OK);
    fuin_status st = fuin_release_check(root, rl, v, r);
    fuin_verifier_free(v);
    return st;
}

static void write_file(const char *dir, const char *name, const char *text,
                       size_t len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(path);
}

static void write_str(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *root_pub_text(const fuin_pubkey *pk)
{
    static char buf[512];
    assert_true(fuin_pubkey_format(pk, NULL, buf, sizeof buf) < sizeof buf);
    return buf;
}

static char *sign_text_with(const fuin_seckey *sk, const char *text,
                            const char *tc)
{
    char *sig = NULL;
    size_t sl;
    fuin_signer *s = fuin_signer_new(sk);
    assert_non_null(s);
    assert_int_equal(fuin_sign_update(s, (const uint8_t *)text, strlen(text)),
                     FUIN_OK);
    assert_int_equal(fuin_sign_final(s, NULL, tc, &sig, &sl), FUIN_OK);
    fuin_signer_free(s);
    return sig;
}

/* ------------------------------------------------------------------ */
/* time                                                                */
/* ------------------------------------------------------------------ */
static void test_time(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t t;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"2026-11-25T18:00:00Z", T_CREATED},
        {"2024-02-29T12:34:56Z", 1709210096LL},
        {"2000-02-29T00:00:00Z", 951782400LL},
        {"0000-01-01T00:00:00Z", -62167219200LL},
        {"9999-12-31T23:59:59Z", 253402300799LL},
    };
    char buf[FUIN_TIME_MAX];
    int64_t t;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(fuin_time_parse_rfc3339(ok[i].s, &t), FUIN_OK);
        assert_int_equal(t, ok[i].t);
        assert_int_equal(fuin_time_format_rfc3339(ok[i].t, buf, sizeof buf), 20);
        assert_string_equal(buf, ok[i].s);
    }
    static const char *bad[] = {
        "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-25T24:00:00Z",
        "2026-11-25T18:60:00Z", "2026-11-25T18:00:60Z", "2026-11-25t18:00:00Z",
        "2026-11-25T18:00:00z", "2026-11-25T18:00:00+09:00",
        "2026-11-25 18:00:00Z", "2026-11-25T18:00:00.5Z", "2026-11-25",
        "26-11-25T18:00:00Z", "+026-11-25T18:00:00Z", "２０２６-11-25T18:00:00Z",
        "", "2026-11-25T18:00:00Z ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fuin_time_parse_rfc3339(bad[i], &t), FUIN_E_SYNTAX);
    assert_int_equal(fuin_time_parse_rfc3339(NULL, &t), FUIN_E_INVALID);

    assert_int_equal(fuin_time_parse_date("2027-03-31", 1, &t), FUIN_OK);
    assert_int_equal(t, T_UNTIL);
    assert_int_equal(fuin_time_parse_date("2026-04-01", 0, &t), FUIN_OK);
    assert_int_equal(t, T_FROM);
    assert_int_equal(fuin_time_parse_date("2026-11-25T18:00:00Z", 1, &t), FUIN_OK);
    assert_int_equal(t, T_CREATED);
    assert_int_equal(fuin_time_parse_date("2027-02-30", 1, &t), FUIN_E_SYNTAX);
    assert_int_equal(fuin_time_parse_date("2027/03/31", 1, &t), FUIN_E_SYNTAX);

    memset(buf, 'x', sizeof buf);
    assert_int_equal(fuin_time_format_rfc3339(253402300800LL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(fuin_time_format_rfc3339(-62167219201LL, buf, sizeof buf), 0);
    assert_int_equal(fuin_time_format_rfc3339(0, buf, 20), 0);
    assert_string_equal(buf, "");
}

/* ------------------------------------------------------------------ */
/* card                                                                */
/* ------------------------------------------------------------------ */
static void test_card_round_trip(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    fuin_card back;
    char err[256];

    assert_int_equal(fuin_card_format(&hanako.card, &text, &len), FUIN_OK);
    char *want = expected_card(&hanako.card);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    assert_int_equal(fuin_card_parse(text, len, &back, err, sizeof err), FUIN_OK);
    assert_string_equal(back.name, "山田 花子");
    assert_string_equal(back.email, "hanako@example.lg.jp");
    assert_string_equal(back.age_recipient, hanako.card.age_recipient);
    assert_memory_equal(&back.sign_pk, &hanako.card.sign_pk, sizeof back.sign_pk);
    assert_int_equal(back.created, T_CREATED);
    char *again = NULL;
    assert_int_equal(fuin_card_format(&back, &again, NULL), FUIN_OK);
    assert_string_equal(again, text);
    free(again);
    free(text);
    free(want);

    /* no e-mail: "email:" with nothing after it */
    fuin_card c = hanako.card;
    c.email[0] = '\0';
    snprintf(c.name, sizeof c.name, "髙橋　𠮷郎");
    assert_int_equal(fuin_card_format(&c, &text, &len), FUIN_OK);
    want = expected_card(&c);
    assert_string_equal(text, want);
    assert_non_null(strstr(text, "\nemail:\n"));
    assert_int_equal(fuin_card_parse(text, len, &back, err, sizeof err), FUIN_OK);
    assert_string_equal(back.name, "髙橋　𠮷郎");
    assert_string_equal(back.email, "");
    free(text);
    free(want);
}

static void test_card_format_rejects(void **state)
{
    (void)state;
    char *text = (char *)1;
    fuin_card c = hanako.card;
    c.name[0] = '\0';
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    assert_null(text);
    c = hanako.card;
    snprintf(c.name, sizeof c.name, "山田\t花子");
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    c = hanako.card;
    snprintf(c.name, sizeof c.name, "山田\n花子");
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    c = hanako.card;
    snprintf(c.email, sizeof c.email, "hanako");
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    c = hanako.card;
    snprintf(c.age_recipient, sizeof c.age_recipient, "age1xyz");
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    c = hanako.card;
    memset(c.name, 'a', sizeof c.name); /* not terminated */
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
    c = hanako.card;
    c.created = 253402300800LL;
    assert_int_equal(fuin_card_format(&c, &text, NULL), FUIN_E_INVALID);
}

typedef struct {
    const char *from, *to, *err;
} mutation;

static void run_mutations(const char *good, const mutation *m, size_t n,
                          int cert)
{
    char err[256];
    for (size_t i = 0; i < n; i++) {
        char *bad = replace(good, m[i].from, m[i].to);
        fuin_card c;
        fuin_cert ct;
        memset(err, 0, sizeof err);
        fuin_status st = cert ? fuin_cert_parse(bad, strlen(bad), &ct, err, sizeof err)
                              : fuin_card_parse(bad, strlen(bad), &c, err, sizeof err);
        if (st != FUIN_E_SYNTAX || strcmp(err, m[i].err) != 0)
            fail_msg("case %zu (%s -> %s): status %d, \"%s\", want \"%s\"", i,
                     m[i].from, m[i].to, st, err, m[i].err);
        free(bad);
    }
}

static void test_card_malformations(void **state)
{
    (void)state;
    char *good = expected_card(&hanako.card);
    char err[256];
    fuin_card c;
    const char *keyline = strstr(good, "minisign-key-id: ");
    const char *pkline = strstr(good, "minisign-public-key: ");
    const char *rline = strstr(good, "age-recipient: ");
    char keyid[17], pkb64[57], rcpt[63];
    memcpy(keyid, keyline + 17, 16);
    keyid[16] = '\0';
    memcpy(pkb64, pkline + 21, 56);
    pkb64[56] = '\0';
    memcpy(rcpt, rline + 15, 62);
    rcpt[62] = '\0';

    char *lower = strdup(keyid);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    int has_letter = strcmp(lower, keyid) != 0;
    char other_id[17];
    memcpy(other_id, keyid, 17);
    other_id[15] = other_id[15] == '0' ? '1' : '0';
    char bad_rcpt[63];
    memcpy(bad_rcpt, rcpt, 63);
    bad_rcpt[61] = bad_rcpt[61] == 'q' ? 'p' : 'q';
    char *keyid_mismatch = xasprintf(
        "line 5: minisign-key-id: does not match the public key (its key id is %s)",
        keyid);
    char bad_pk[57];
    memcpy(bad_pk, pkb64, 57);
    bad_pk[0] = 'X';

    const mutation m[] = {
        {"fuin-card: 1", "fuin-card: 2",
         "line 1: unsupported card version (expected \"fuin-card: 1\")"},
        {"fuin-card: 1", "fuin-kard: 1",
         "line 1: not a fuin card (expected \"fuin-card: 1\")"},
        {"fuin-card: 1\n", "fuin-card: 1\r\n",
         "line 1: carriage return (CRLF line ends are not allowed)"},
        {"fuin-card: 1\n", "\xEF\xBB\xBF" "fuin-card: 1\n",
         "line 1: invisible formatting character U+FEFF"},
        {"name: 山田 花子", "name:", "line 2: name: empty"},
        {"name: 山田 花子", "name: ", "line 2: name: write \"name:\" for an empty value"},
        {"name: 山田 花子", "name:  山田 花子", "line 2: name: space at the start or end"},
        {"name: 山田 花子", "name: 山田 花子　", "line 2: name: space at the start or end"},
        {"name: 山田 花子", "name: 山田\t花子", "line 2: control character 0x09"},
        {"name: 山田 花子", "name: 山田\x7f花子", "line 2: control character 0x7F"},
        {"name: 山田 花子", "name: 山田\xC2\x85花子", "line 2: control character U+0085"},
        {"name: 山田 花子", "name: 山田\xE2\x80\xAE花子",
         "line 2: invisible formatting character U+202E"},
        {"name: 山田 花子", "name: 山田\xE2\x80\x8B花子",
         "line 2: invisible formatting character U+200B"},
        {"name: 山田 花子", "name: 山田\xff花子", "line 2: invalid UTF-8"},
        {"name: 山田 花子", "name: \xC0\xAF", "line 2: invalid UTF-8"},
        {"name: 山田 花子", "name: \xED\xA0\x80", "line 2: invalid UTF-8"},
        {"name: 山田 花子", "name: \xE5\xB1", "line 2: invalid UTF-8"},
        {"name: 山田 花子", "Name: 山田 花子", "line 2: expected \"name: \""},
        {"name: 山田 花子", "name:山田 花子", "line 2: expected \"name: \""},
        {"name: 山田 花子\nemail: hanako@example.lg.jp",
         "email: hanako@example.lg.jp\nname: 山田 花子",
         "line 2: expected \"name: \""},
        {"email: hanako@example.lg.jp", "email: hanako",
         "line 3: email: not an e-mail address (local@domain)"},
        {"email: hanako@example.lg.jp", "email: hanako@@example.lg.jp",
         "line 3: email: not an e-mail address (local@domain)"},
        {"email: hanako@example.lg.jp", "email: hanako @example.lg.jp",
         "line 3: email: not an e-mail address (local@domain)"},
        {"email: hanako@example.lg.jp", "email: @example.lg.jp",
         "line 3: email: not an e-mail address (local@domain)"},
        {"email: hanako@example.lg.jp\n", "email: hanako@example.lg.jp\nphone: 0120\n",
         "line 4: expected \"age-recipient: \""},
        {rcpt, bad_rcpt, "line 4: age-recipient: not a valid age recipient"},
        {rcpt, "age1", "line 4: age-recipient: not a valid age recipient"},
        {keyid, other_id, keyid_mismatch},
        {keyid, "0123", "line 5: minisign-key-id: not a key id (16 uppercase hex digits)"},
        {pkb64, bad_pk, "line 6: minisign-public-key: not a minisign public key"},
        {pkb64, "RWQ=", "line 6: minisign-public-key: not a minisign public key"},
        {"created: 2026-11-25T18:00:00Z", "created: 2026-11-25 18:00:00",
         "line 7: created: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
        {"created: 2026-11-25T18:00:00Z", "created: 2026-11-25T18:00:00+09:00",
         "line 7: created: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
        {"18:00:00Z\n", "18:00:00Z", "line 7: no newline at the end of the line"},
        {"18:00:00Z\n", "18:00:00Z\n\n", "line 8: unexpected text after \"created:\""},
        {"18:00:00Z\n", "18:00:00Z\nnote: x\n",
         "line 8: unexpected text after \"created:\""},
    };
    run_mutations(good, m, sizeof m / sizeof m[0], 0);

    if (has_letter) {
        char *bad = replace(good, keyid, lower);
        assert_int_equal(fuin_card_parse(bad, strlen(bad), &c, err, sizeof err),
                         FUIN_E_SYNTAX);
        assert_string_equal(err,
            "line 5: minisign-key-id: not a key id (16 uppercase hex digits)");
        free(bad);
    }

    /* the text ends early */
    const char *cut = strstr(good, "age-recipient:");
    assert_int_equal(fuin_card_parse(good, (size_t)(cut - good), &c, err, sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err, "line 4: missing \"age-recipient:\" (the text ends early)");
    assert_int_equal(fuin_card_parse("", 0, &c, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "line 1: missing \"fuin-card: 1\" (the text ends early)");

    /* an embedded NUL is a control character, not the end */
    char *nul = strdup(good);
    size_t len = strlen(nul);
    nul[strlen("fuin-card: 1\nname: 山田")] = '\0';
    assert_int_equal(fuin_card_parse(nul, len, &c, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "line 2: control character 0x00");
    free(nul);

    /* err may be NULL or tiny; the message stays terminated */
    char *bad = replace(good, "fuin-card: 1", "fuin-card: 2");
    assert_int_equal(fuin_card_parse(bad, strlen(bad), &c, NULL, 0), FUIN_E_SYNTAX);
    char tiny[8];
    assert_int_equal(fuin_card_parse(bad, strlen(bad), &c, tiny, sizeof tiny),
                     FUIN_E_SYNTAX);
    assert_string_equal(tiny, "line 1:");
    free(bad);


    free(keyid_mismatch);
    free(lower);
    free(good);
}

/* ------------------------------------------------------------------ */
/* roles and certificates                                              */
/* ------------------------------------------------------------------ */
static void test_roles(void **state)
{
    (void)state;
    fuin_role r;
    assert_string_equal(fuin_role_name(FUIN_ROLE_STAFF), "staff");
    assert_string_equal(fuin_role_name(FUIN_ROLE_MANAGER), "manager");
    assert_string_equal(fuin_role_name(FUIN_ROLE_SYSADMIN), "sysadmin");
    assert_null(fuin_role_name((fuin_role)0));
    assert_string_equal(fuin_role_name(FUIN_ROLE_CISO), "ciso");
    assert_int_equal(FUIN_ROLE_CISO, 4); /* appended, never renumbered */
    assert_null(fuin_role_name((fuin_role)5));
    assert_int_equal(fuin_role_parse("CISO", &r), FUIN_OK);
    assert_int_equal(r, FUIN_ROLE_CISO);
    assert_int_equal(fuin_role_parse("staff", &r), FUIN_OK);
    assert_int_equal(r, FUIN_ROLE_STAFF);
    assert_int_equal(fuin_role_parse("Manager", &r), FUIN_OK);
    assert_int_equal(r, FUIN_ROLE_MANAGER);
    assert_int_equal(fuin_role_parse("SYSADMIN", &r), FUIN_OK);
    assert_int_equal(r, FUIN_ROLE_SYSADMIN);
    assert_int_equal(fuin_role_parse("admin", &r), FUIN_E_INVALID);
    assert_int_equal(fuin_role_parse("staf", &r), FUIN_E_INVALID);
    assert_int_equal(fuin_role_parse("staffs", &r), FUIN_E_INVALID);
    assert_int_equal(fuin_role_parse("", &r), FUIN_E_INVALID);
}

static char *expected_cert(const fuin_cert *c, const char *role,
                           const char *from, const char *until)
{
    char *card = expected_card(&c->card);
    char *out = xasprintf("fuin-certificate: 1\nserial: %s\norganisation: %s\n"
                          "role: %s\nvalid-from: %s\nvalid-until: %s\n"
                          "root-key-id: %s\n%s",
                          c->serial, c->organisation, role, from, until,
                          hex_of(c->root_keyid),
                          card + strlen("fuin-card: 1\n"));
    free(card);
    return out;
}

static void test_cert_round_trip(void **state)
{
    (void)state;
    fuin_cert c, back;
    char *text, *again;
    size_t len;
    char err[256];

    memset(&c, 0, sizeof c);
    c.card = hanako.card;
    c.role = FUIN_ROLE_MANAGER;
    snprintf(c.organisation, sizeof c.organisation, ORG);
    snprintf(c.serial, sizeof c.serial, "0123456789ABCDEF");
    c.valid_from = T_FROM;
    c.valid_until = T_UNTIL;
    memcpy(c.root_keyid, root_pk.keyid, FUIN_KEYID_BYTES);

    assert_int_equal(fuin_cert_format(&c, &text, &len), FUIN_OK);
    char *want = expected_cert(&c, "manager", "2026-04-01T00:00:00Z",
                               "2027-03-31T23:59:59Z");
    assert_string_equal(text, want);
    assert_int_equal(fuin_cert_parse(text, len, &back, err, sizeof err), FUIN_OK);
    assert_memory_equal(&back, &c, sizeof c);
    assert_int_equal(fuin_cert_format(&back, &again, NULL), FUIN_OK);
    assert_string_equal(again, text);
    free(again);

    /* valid-until may equal valid-from, never precede it */
    fuin_cert d = c;
    d.valid_until = d.valid_from;
    assert_int_equal(fuin_cert_format(&d, &again, NULL), FUIN_OK);
    free(again);
    d.valid_until = d.valid_from - 1;
    assert_int_equal(fuin_cert_format(&d, &again, NULL), FUIN_E_INVALID);
    d = c;
    d.role = (fuin_role)7;
    assert_int_equal(fuin_cert_format(&d, &again, NULL), FUIN_E_INVALID);
    d = c;
    snprintf(d.serial, sizeof d.serial, "0123456789abcdef");
    assert_int_equal(fuin_cert_format(&d, &again, NULL), FUIN_E_INVALID);
    d = c;
    snprintf(d.organisation, sizeof d.organisation, " %s", ORG);
    assert_int_equal(fuin_cert_format(&d, &again, NULL), FUIN_E_INVALID);

    char rk[17];
    snprintf(rk, sizeof rk, "%s", hex_of(root_pk.keyid));
    char *rkline = xasprintf("root-key-id: %s", rk);
    const mutation m[] = {
        {"fuin-certificate: 1", "fuin-certificate: 9",
         "line 1: unsupported certificate version (expected \"fuin-certificate: 1\")"},
        {"fuin-certificate: 1", "fuin-card: 1",
         "line 1: not a fuin certificate (expected \"fuin-certificate: 1\")"},
        {"serial: 0123456789ABCDEF", "serial: 0123456789abcdef",
         "line 2: serial: not 16 uppercase hex digits"},
        {"serial: 0123456789ABCDEF", "serial: 0123",
         "line 2: serial: not 16 uppercase hex digits"},
        {"organisation: " ORG, "organisation:", "line 3: organisation: empty"},
        {"organisation: " ORG, "organization: " ORG,
         "line 3: expected \"organisation: \""},
        {"role: manager", "role: Manager", "line 4: role: not staff, manager, sysadmin or ciso"},
        {"role: manager", "role: root", "line 4: role: not staff, manager, sysadmin or ciso"},
        {"valid-from: 2026-04-01T00:00:00Z", "valid-from: 2026-04-01",
         "line 5: valid-from: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
        {"valid-until: 2027-03-31T23:59:59Z", "valid-until: 2026-03-31T23:59:59Z",
         "line 6: valid-until: before valid-from"},
        {rkline, "root-key-id: ROOT",
         "line 7: root-key-id: not a key id (16 uppercase hex digits)"},
        {"name: 山田 花子", "name: 山田 花子 ", "line 8: name: space at the start or end"},
        {"email: hanako@example.lg.jp", "email: x",
         "line 9: email: not an e-mail address (local@domain)"},
        {"created: 2026-11-25T18:00:00Z\n", "created: 2026-11-25T18:00:00Z\nrole: staff\n",
         "line 14: unexpected text after \"created:\""},
    };
    run_mutations(text, m, sizeof m / sizeof m[0], 1);
    free(rkline);

    /* a card is not a certificate and the other way round */
    char *card_text = expected_card(&hanako.card);
    assert_int_equal(fuin_cert_parse(card_text, strlen(card_text), &back, err,
                                     sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err,
        "line 1: not a fuin certificate (expected \"fuin-certificate: 1\")");
    fuin_card cc;
    assert_int_equal(fuin_card_parse(text, len, &cc, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "line 1: not a fuin card (expected \"fuin-card: 1\")");
    free(card_text);
    free(want);
    free(text);
}

static void test_cert_issue_verify(void **state)
{
    (void)state;
    char *cert, *sig;
    size_t cl, sl;
    fuin_cert out;
    char err[256];

    issue(&hanako, FUIN_ROLE_STAFF, T_FROM, T_UNTIL, root_sk, &cert, &cl, &sig, &sl);
    assert_int_equal(cl, strlen(cert));
    assert_int_equal(sl, strlen(sig));
    assert_int_equal(fuin_cert_verify(cert, cl, sig, sl, &root_pk, &out, err,
                                      sizeof err),
                     FUIN_OK);
    assert_string_equal(out.card.name, "山田 花子");
    assert_int_equal(out.role, FUIN_ROLE_STAFF);
    assert_string_equal(out.organisation, ORG);
    assert_int_equal(out.valid_from, T_FROM);
    assert_int_equal(out.valid_until, T_UNTIL);
    assert_memory_equal(out.root_keyid, root_pk.keyid, FUIN_KEYID_BYTES);
    assert_int_equal(strlen(out.serial), 16);
    char *want = expected_cert(&out, "staff", "2026-04-01T00:00:00Z",
                               "2027-03-31T23:59:59Z");
    assert_string_equal(cert, want);
    free(want);

    /* the .minisig: a minisign signature by the root with the serial */
    char *tcline = xasprintf("\ntrusted comment: fuin-certificate serial:%s\n",
                             out.serial);
    assert_non_null(strstr(sig, tcline));
    assert_int_equal(strncmp(sig, "untrusted comment: ", 19), 0);
    free(tcline);

    /* serials are random */
    char *cert2, *sig2;
    size_t cl2, sl2;
    fuin_cert out2;
    issue(&hanako, FUIN_ROLE_STAFF, T_FROM, T_UNTIL, root_sk, &cert2, &cl2, &sig2, &sl2);
    assert_int_equal(fuin_cert_verify(cert2, cl2, sig2, sl2, &root_pk, &out2, err,
                                      sizeof err),
                     FUIN_OK);
    assert_string_not_equal(out.serial, out2.serial);

    /* modified certificate */
    char *mod = replace(cert, "role: staff", "role: manager");
    assert_int_equal(fuin_cert_verify(mod, strlen(mod), sig, sl, &root_pk, &out,
                                      err, sizeof err),
                     FUIN_E_SIGNATURE);
    assert_string_equal(err, "certificate was modified (the root's signature does not verify)");
    free(mod);

    /* modified trusted comment of its signature */
    mod = replace(sig, "serial:", "serial: ");
    assert_int_equal(fuin_cert_verify(cert, cl, mod, strlen(mod), &root_pk, &out,
                                      err, sizeof err),
                     FUIN_E_COMMENT);
    assert_string_equal(err, "certificate signature's trusted comment was modified "
                             "(it does not verify)");
    free(mod);

    /* another certificate's signature */
    assert_int_equal(fuin_cert_verify(cert, cl, sig2, sl2, &root_pk, &out, err,
                                      sizeof err),
                     FUIN_E_SIGNATURE);

    /* foreign root */
    char *expect = xasprintf("certificate signed by another root (key id %s, "
                             "expected %s)",
                             hex_of(root_pk.keyid), hex_of(other_root_pk.keyid));
    assert_int_equal(fuin_cert_verify(cert, cl, sig, sl, &other_root_pk, &out,
                                      err, sizeof err),
                     FUIN_E_FOREIGN_ROOT);
    assert_string_equal(err, expect);
    free(expect);

    /* signed by our root, but naming another root inside */
    fuin_cert f = out2;
    memcpy(f.root_keyid, other_root_pk.keyid, FUIN_KEYID_BYTES);
    char *ftext;
    assert_int_equal(fuin_cert_format(&f, &ftext, NULL), FUIN_OK);
    char *ftc = xasprintf("fuin-certificate serial:%s", f.serial);
    char *fsig = sign_text_with(root_sk, ftext, ftc);
    assert_int_equal(fuin_cert_verify(ftext, strlen(ftext), fsig, strlen(fsig),
                                      &root_pk, &out, err, sizeof err),
                     FUIN_E_FOREIGN_ROOT);
    expect = xasprintf("certificate signed by another root (key id %s, expected %s)",
                       hex_of(other_root_pk.keyid), hex_of(root_pk.keyid));
    assert_string_equal(err, expect);
    free(expect);
    free(fsig);
    free(ftc);
    free(ftext);

    /* signed by the root with another trusted comment (e.g. a policy
     * signature moved onto a certificate) */
    fsig = sign_text_with(root_sk, cert2, "fuin-certificate serial:0000000000000000");
    assert_int_equal(fuin_cert_verify(cert2, cl2, fsig, strlen(fsig), &root_pk,
                                      &out, err, sizeof err),
                     FUIN_E_COMMENT);
    expect = xasprintf("certificate signature's trusted comment is not "
                       "\"fuin-certificate serial:%s\"",
                       out2.serial);
    assert_string_equal(err, expect);
    free(expect);
    free(fsig);

    /* signed by the root but not a certificate */
    const char *junk = "fuin-card: 1\n";
    fsig = sign_text_with(root_sk, junk, "fuin-certificate serial:0000000000000000");
    assert_int_equal(fuin_cert_verify(junk, strlen(junk), fsig, strlen(fsig),
                                      &root_pk, &out, err, sizeof err),
                     FUIN_E_SYNTAX);
    assert_string_equal(err, "certificate: line 1: not a fuin certificate "
                             "(expected \"fuin-certificate: 1\")");
    free(fsig);

    /* garbled signature */
    assert_int_equal(fuin_cert_verify(cert, cl, "untrusted comment: x\nAAAA\n",
                                      26, &root_pk, &out, err, sizeof err),
                     FUIN_E_SIGFORMAT);
    assert_int_equal(strncmp(err, "certificate signature: ", 23), 0);

    /* bad inputs to issue */
    char *t = (char *)1, *s = (char *)1;
    assert_int_equal(fuin_cert_issue(&hanako.card, FUIN_ROLE_STAFF, ORG, T_UNTIL,
                                     T_FROM, root_sk, &t, &cl, &s, &sl),
                     FUIN_E_INVALID);
    assert_null(t);
    assert_null(s);
    assert_int_equal(fuin_cert_issue(&hanako.card, (fuin_role)9, ORG, T_FROM,
                                     T_UNTIL, root_sk, &t, &cl, &s, &sl),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_cert_issue(&hanako.card, FUIN_ROLE_STAFF, "", T_FROM,
                                     T_UNTIL, root_sk, &t, &cl, &s, &sl),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_cert_issue(&hanako.card, FUIN_ROLE_STAFF, "a\tb", T_FROM,
                                     T_UNTIL, root_sk, &t, &cl, &s, &sl),
                     FUIN_E_INVALID);

    free(cert);
    free(sig);
    free(cert2);
    free(sig2);
}

/* ------------------------------------------------------------------ */
/* revocation list                                                     */
/* ------------------------------------------------------------------ */
static void test_revocations(void **state)
{
    (void)state;
    fuin_revocations *rl = NULL, *back = NULL;
    uint8_t k1[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t k2[8] = {0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12};
    uint8_t k3[8] = {0};
    int64_t when;
    const char *reason;
    char *text, *sig;
    size_t len, sl;
    char err[256];

    assert_int_equal(fuin_revocations_new("", T_FROM, &rl), FUIN_E_INVALID);
    assert_null(rl);
    assert_int_equal(fuin_revocations_new(ORG, T_FROM, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_count(rl), 0);
    assert_int_equal(fuin_revocations_find(rl, k1, &when, &reason), 0);
    assert_int_equal(fuin_revocations_find(NULL, k1, &when, &reason), 0);

    assert_int_equal(fuin_revocations_add(rl, k1, T_CREATED, "端末紛失"), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, k2, T_NOW, "退職 (2026-11-30)"), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, k1, T_NOW, "again"), FUIN_E_EXISTS);
    assert_int_equal(fuin_revocations_add(rl, k3, T_NOW, ""), FUIN_E_INVALID);
    assert_int_equal(fuin_revocations_add(rl, k3, T_NOW, "a\nb"), FUIN_E_INVALID);
    assert_int_equal(fuin_revocations_add(rl, k3, T_NOW, " lost"), FUIN_E_INVALID);
    assert_int_equal(fuin_revocations_count(rl), 2);
    assert_int_equal(fuin_revocations_updated(rl), T_NOW);
    assert_string_equal(fuin_revocations_organisation(rl), ORG);

    assert_int_equal(fuin_revocations_find(rl, k1, &when, &reason), 1);
    assert_int_equal(when, T_CREATED);
    assert_string_equal(reason, "端末紛失");
    assert_int_equal(fuin_revocations_find(rl, k3, NULL, NULL), 0);
    uint8_t kk[8];
    assert_int_equal(fuin_revocations_entry(rl, 1, kk, &when, &reason), FUIN_OK);
    assert_memory_equal(kk, k2, 8);
    assert_int_equal(fuin_revocations_entry(rl, 2, kk, &when, &reason), FUIN_E_INVALID);

    assert_int_equal(fuin_revocations_format(rl, &text, &len), FUIN_OK);
    assert_string_equal(text,
                        "fuin-revocations: 1\n"
                        "organisation: " ORG "\n"
                        "updated: 2026-12-01T09:00:00Z\n"
                        "revoke: 0807060504030201 2026-11-25T18:00:00Z 端末紛失\n"
                        "revoke: 123456789ABCDEF0 2026-12-01T09:00:00Z 退職 (2026-11-30)\n");
    free(text);

    assert_int_equal(fuin_revocations_sign(rl, root_sk, &text, &len, &sig, &sl), FUIN_OK);
    assert_non_null(strstr(sig, "\ntrusted comment: fuin-revocations "
                                "updated:2026-12-01T09:00:00Z\n"));
    assert_int_equal(fuin_revocations_parse_verified(text, len, sig, sl, &root_pk,
                                                     &back, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(fuin_revocations_count(back), 2);
    assert_int_equal(fuin_revocations_find(back, k2, &when, &reason), 1);
    assert_int_equal(when, T_NOW);
    assert_string_equal(reason, "退職 (2026-11-30)");
    char *again;
    assert_int_equal(fuin_revocations_format(back, &again, NULL), FUIN_OK);
    assert_string_equal(again, text);
    free(again);
    fuin_revocations_free(back);

    /* modified list: a revocation removed */
    char *mod = replace(text, "revoke: 0807060504030201 2026-11-25T18:00:00Z 端末紛失\n", "");
    back = (fuin_revocations *)1;
    assert_int_equal(fuin_revocations_parse_verified(mod, strlen(mod), sig, sl,
                                                     &root_pk, &back, err, sizeof err),
                     FUIN_E_SIGNATURE);
    assert_null(back);
    assert_string_equal(err, "revocation list was modified (the root's signature "
                             "does not verify)");
    free(mod);

    /* another root's list */
    char *expect = xasprintf("revocation list signed by another root (key id %s, "
                             "expected %s)",
                             hex_of(root_pk.keyid), hex_of(other_root_pk.keyid));
    assert_int_equal(fuin_revocations_parse_verified(text, len, sig, sl,
                                                     &other_root_pk, &back, err,
                                                     sizeof err),
                     FUIN_E_FOREIGN_ROOT);
    assert_string_equal(err, expect);
    free(expect);

    /* an older signed list cannot be passed off with a newer date */
    char *stale = sign_text_with(root_sk, text,
                                 "fuin-revocations updated:2026-11-25T18:00:00Z");
    assert_int_equal(fuin_revocations_parse_verified(text, len, stale, strlen(stale),
                                                     &root_pk, &back, err, sizeof err),
                     FUIN_E_COMMENT);
    assert_string_equal(err, "revocation list signature's trusted comment is not "
                             "\"fuin-revocations updated:2026-12-01T09:00:00Z\"");
    free(stale);

    /* set_updated */
    fuin_revocations_set_updated(rl, T_LATE);
    assert_int_equal(fuin_revocations_updated(rl), T_LATE);

    free(text);
    free(sig);
    fuin_revocations_free(rl);
    fuin_revocations_free(NULL);
}

static void test_revocations_syntax(void **state)
{
    (void)state;
    static const char good[] =
        "fuin-revocations: 1\n"
        "organisation: " ORG "\n"
        "updated: 2026-12-01T09:00:00Z\n"
        "revoke: 0807060504030201 2026-11-25T18:00:00Z 端末紛失\n";
    static const struct {
        const char *from, *to, *err;
    } m[] = {
        {"fuin-revocations: 1", "fuin-revocations: 2",
         "line 1: unsupported revocation list version (expected \"fuin-revocations: 1\")"},
        {"updated: 2026-12-01T09:00:00Z", "updated: yesterday",
         "line 3: updated: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
        {"revoke: 0807060504030201 ", "revoke: 080706050403020 ",
         "line 4: revoke: expected \"KEYID TIME REASON\""},
        {"revoke: 0807060504030201", "revoke: 080706050403020x",
         "line 4: revoke: not a key id (16 uppercase hex digits)"},
        {"2026-11-25T18:00:00Z 端末", "2026-11-25T18:00:00+09 端末",
         "line 4: revoke: expected \"KEYID TIME REASON\""},
        {"2026-11-25T18:00:00Z 端末", "2026-11-25T25:00:00Z 端末",
         "line 4: revoke: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"},
        {"端末紛失\n", "\n", "line 4: revoke: expected \"KEYID TIME REASON\""},
        {" 端末紛失\n", "  端末紛失\n", "line 4: revoke: reason: space at the start or end"},
        {"端末紛失\n", "端末紛失\nrevoke: 0807060504030201 2026-11-26T18:00:00Z dup\n",
         "line 5: revoke: key id 0807060504030201 is listed twice"},
        {"端末紛失\n", "端末紛失\n# comment\n", "line 5: expected \"revoke: \""},
        {"端末紛失\n", "端末紛失", "line 4: no newline at the end of the line"},
    };
    fuin_revocations *rl = NULL;
    char err[256];
    assert_int_equal(fuin__revocations_parse(good, strlen(good), &rl, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(fuin_revocations_count(rl), 1);
    fuin_revocations_free(rl);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        char *bad = replace(good, m[i].from, m[i].to);
        rl = (fuin_revocations *)1;
        fuin_status st = fuin__revocations_parse(bad, strlen(bad), &rl, err, sizeof err);
        if (st != FUIN_E_SYNTAX || strcmp(err, m[i].err) != 0)
            fail_msg("case %zu: status %d, \"%s\", want \"%s\"", i, st, err, m[i].err);
        assert_null(rl);
        free(bad);
    }
    /* an empty list is fine */
    static const char empty[] = "fuin-revocations: 1\norganisation: x\n"
                                "updated: 2026-12-01T09:00:00Z\n";
    assert_int_equal(fuin__revocations_parse(empty, strlen(empty), &rl, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(fuin_revocations_count(rl), 0);
    fuin_revocations_free(rl);
}

/* ------------------------------------------------------------------ */
/* trusted comment                                                     */
/* ------------------------------------------------------------------ */
static void test_sigmeta_round_trip(void **state)
{
    (void)state;
    fuin_sigmeta m, back;
    char *tc = NULL, *again = NULL;
    char err[256];

    memset(&m, 0, sizeof m);
    snprintf(m.file, sizeof m.file, "予算書 2026.pdf");
    snprintf(m.signer, sizeof m.signer, "山田 花子");
    memcpy(m.keyid, hanako.card.sign_pk.keyid, 8);
    m.has_label = 1;
    assert_int_equal(fuin_label_parse("機密性2/完全性2 複製禁止", &m.label, NULL, 0),
                     FUIN_OK);
    m.time = T_CREATED;
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_OK);
    char *want = xasprintf("timestamp:1795629600\tfile:予算書 2026.pdf\thashed\t"
                           "fuin:1\tsigner:山田 花子\tkey-id:%s\t"
                           "class:C2-I2-A1 複製禁止\ttime:2026-11-25T18:00:00Z",
                           hex_of(m.keyid));
    assert_string_equal(tc, want);
    free(want);
    assert_int_equal(fuin_sigmeta_parse(tc, &back, err, sizeof err), FUIN_OK);
    assert_string_equal(back.file, m.file);
    assert_string_equal(back.signer, "山田 花子");
    assert_memory_equal(back.keyid, m.keyid, 8);
    assert_int_equal(back.has_label, 1);
    assert_memory_equal(&back.label, &m.label, sizeof m.label);
    assert_int_equal(back.time, T_CREATED);
    assert_null(back.cert_bundle);
    fuin_sigmeta_clear(&back);
    free(tc);

    /* no label, empty file name, with a certificate bundle */
    m.has_label = 0;
    m.file[0] = '\0';
    assert_int_equal(fuin_sigmeta_set_cert(&m, hanako_cert, hanako_cert_len,
                                           hanako_sig, hanako_sig_len),
                     FUIN_OK);
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_OK);
    size_t blen = hanako_cert_len + hanako_sig_len;
    char *bundle = xasprintf("%s%s", hanako_cert, hanako_sig);
    char *b64 = malloc(sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL));
    sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL),
                      (const unsigned char *)bundle, blen,
                      sodium_base64_VARIANT_ORIGINAL);
    want = xasprintf("timestamp:1795629600\tfile:\thashed\tfuin:1\tsigner:山田 花子\t"
                     "key-id:%s\ttime:2026-11-25T18:00:00Z\tcert:%s",
                     hex_of(m.keyid), b64);
    assert_string_equal(tc, want);
    assert_int_equal(fuin_sigmeta_parse(tc, &back, err, sizeof err), FUIN_OK);
    assert_int_equal(back.has_label, 0);
    assert_string_equal(back.file, "");
    assert_int_equal(back.cert_bundle_len, blen);
    assert_string_equal(back.cert_bundle, bundle);
    const char *c, *s;
    size_t cl, sl;
    assert_int_equal(fuin_sigmeta_cert(&back, &c, &cl, &s, &sl), FUIN_OK);
    assert_int_equal(cl, hanako_cert_len);
    assert_memory_equal(c, hanako_cert, cl);
    assert_int_equal(sl, hanako_sig_len);
    assert_memory_equal(s, hanako_sig, sl);
    assert_int_equal(fuin_sigmeta_format(&back, &again), FUIN_OK);
    assert_string_equal(again, tc);
    free(again);
    fuin_sigmeta_clear(&back);
    assert_null(back.cert_bundle);
    assert_int_equal(fuin_sigmeta_cert(&back, &c, &cl, &s, &sl), FUIN_E_UNTRUSTED);
    free(want);
    free(b64);
    free(bundle);
    free(tc);
    fuin_sigmeta_clear(&m);
    fuin_sigmeta_clear(NULL);
}

static void test_sigmeta_format_rejects(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    char *tc = (char *)1;
    hanako_meta(&m, T_CREATED, 0);

    snprintf(m.signer, sizeof m.signer, "山田\t花子");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    assert_null(tc);
    snprintf(m.signer, sizeof m.signer, "山田\n花子");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.signer, sizeof m.signer, "%s", "");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.signer, sizeof m.signer, "山田 花子");
    snprintf(m.file, sizeof m.file, "a\tb.pdf");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.file, sizeof m.file, "a\r.pdf");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.file, sizeof m.file, "a\n.pdf");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.file, sizeof m.file, "report\xE2\x80\xAE" "fdp.exe");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.file, sizeof m.file, "\xff.pdf");
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    snprintf(m.file, sizeof m.file, "ok.pdf");
    m.time = -1;
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    m.time = T_CREATED;
    m.label.confidentiality = 7;
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    m.has_label = 0;
    /* a bundle that is not certificate + .minisig */
    assert_int_equal(fuin_sigmeta_set_cert(&m, "abc", 3, "def", 3), FUIN_OK);
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_INVALID);
    /* too long for minisign's trusted comment line */
    char *big = malloc(7000);
    memset(big, 'a', 6999);
    big[6998] = '\n';
    big[6999] = '\0';
    assert_int_equal(fuin_sigmeta_set_cert(&m, big, 6999, hanako_sig, hanako_sig_len),
                     FUIN_OK);
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_E_LIMIT);
    free(big);
    fuin_sigmeta_clear(&m);
}

static void test_sigmeta_parse_rejects(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    char err[256];
    char *good;
    char *tc = NULL;
    hanako_meta(&m, T_CREATED, 0);
    assert_int_equal(fuin_sigmeta_format(&m, &tc), FUIN_OK);
    good = tc;
    char kid[17];
    snprintf(kid, sizeof kid, "%s", hex_of(m.keyid));
    char *kfield = xasprintf("key-id:%s", kid);

    /* not fuin's: stock minisign comments */
    assert_int_equal(fuin_sigmeta_parse("timestamp:1795629600\tfile:a.pdf\thashed",
                                        &m, err, sizeof err),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(err, "not a fuin trusted comment");
    assert_int_equal(fuin_sigmeta_parse("", &m, err, sizeof err), FUIN_E_UNTRUSTED);
    assert_int_equal(fuin_sigmeta_parse("hello fuin:1", &m, err, sizeof err),
                     FUIN_E_UNTRUSTED);

    const mutation mm[] = {
        {"timestamp:1795629600", "timestamp:01795629600",
         "trusted comment: timestamp: not a number of seconds"},
        {"timestamp:1795629600", "timestamp:-5",
         "trusted comment: timestamp: not a number of seconds"},
        {"timestamp:1795629600", "timestamp:1795629601",
         "trusted comment: time and timestamp differ"},
        {"timestamp:1795629600\t", "",
         "trusted comment: expected \"timestamp:\" first"},
        {"\thashed", "", "trusted comment: expected \"hashed\" after the file name"},
        {"\thashed", "\thashed2", "trusted comment: expected \"hashed\" after the file name"},
        {"fuin:1", "fuin:2", "trusted comment: unsupported version \"fuin:2\""},
        {"signer:山田 花子", "signer:", "trusted comment: signer: empty"},
        {"signer:山田 花子", "signer: 山田 花子", "trusted comment: signer: space at the start or end"},
        {"signer:山田 花子", "signer:山田\xE2\x80\x8F花子",
         "trusted comment: invisible formatting character U+200F"},
        {"signer:山田 花子", "name:山田 花子",
         "trusted comment: expected \"signer:\" after \"fuin:1\""},
        {kfield, "key-id:xyz", "trusted comment: key-id: not 16 uppercase hex digits"},
        {"class:C2-I2-A1", "class:C2-I2", "trusted comment: class: not in canonical form (\"C2-I2-A1\")"},
        {"class:C2-I2-A1", "class:C9", "trusted comment: class: not a label"},
        {"\ttime:2026-11-25T18:00:00Z", "", "trusted comment: expected \"time:\""},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00",
         "trusted comment: time: not an RFC 3339 UTC time"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\textra:1",
         "trusted comment: unexpected field \"extra:1\""},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\tcert:",
         "trusted comment: cert: not padded standard base64"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\tcert:YWJj",
         "trusted comment: cert: not a certificate followed by its signature"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\tcert:YWI",
         "trusted comment: cert: not padded standard base64"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\tcert:YWJ=",
         "trusted comment: cert: not padded standard base64"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\tcert:YW-j",
         "trusted comment: cert: not padded standard base64"},
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\t",
         "trusted comment: unexpected field \"\""},
        {"file:予算書.pdf", "file:予算書\x01.pdf", "trusted comment: control character 0x01"},
        /* quoted input is cut at a character boundary (32 bytes at most) */
        {"time:2026-11-25T18:00:00Z", "time:2026-11-25T18:00:00Z\t署名者署名者署名者署名者:x",
         "trusted comment: unexpected field \"署名者署名者署名者署\""},
        {"fuin:1", "fuin:１２３４５６",
         "trusted comment: unsupported version \"fuin:１２３４５\""},
    };
    for (size_t i = 0; i < sizeof mm / sizeof mm[0]; i++) {
        char *bad = replace(good, mm[i].from, mm[i].to);
        fuin_status st = fuin_sigmeta_parse(bad, &m, err, sizeof err);
        if (st != FUIN_E_SYNTAX || strcmp(err, mm[i].err) != 0)
            fail_msg("case %zu: status %d, \"%s\", want \"%s\"", i, st, err, mm[i].err);
        fuin_sigmeta_clear(&m);
        free(bad);
    }
    free(kfield);
    free(good);
}

/* ------------------------------------------------------------------ */
/* release verification                                                */
/* ------------------------------------------------------------------ */
static void test_release_ok(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_CREATED, 1);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r), FUIN_OK);
    assert_int_equal(r.status, FUIN_OK);
    assert_string_equal(r.reason, "signed by 山田 花子 (staff), label C2-I2-A1, at "
                                  "2026-11-25T18:00:00Z, certified by " ORG);
    assert_int_equal(r.has_meta, 1);
    assert_int_equal(r.has_cert, 1);
    assert_string_equal(r.cert.card.email, "hanako@example.lg.jp");
    assert_string_equal(r.meta.file, "予算書.pdf");
    fuin_release_result_clear(&r);
    assert_null(r.meta.cert_bundle);
    free(sig);

    /* no label; an empty revocation list; the edges of validity */
    m.has_label = 0;
    m.time = T_UNTIL;
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    fuin_revocations *rl;
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(check(&root_pk, rl, sig, DATA, sizeof DATA - 1, &r), FUIN_OK);
    assert_string_equal(r.reason, "signed by 山田 花子 (staff), at "
                                  "2027-03-31T23:59:59Z, certified by " ORG);
    fuin_release_result_clear(&r);
    free(sig);
    m.time = T_FROM;
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, rl, sig, DATA, sizeof DATA - 1, &r), FUIN_OK);
    fuin_release_result_clear(&r);
    free(sig);
    fuin_revocations_free(rl);
    fuin_sigmeta_clear(&m);
}

static void test_release_unknown_signer(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_CREATED, 0);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(r.reason, "unknown signer: the signature carries no certificate");
    assert_int_equal(r.has_meta, 1);
    assert_int_equal(r.has_cert, 0);
    fuin_release_result_clear(&r);
    free(sig);

    /* a plain minisign trusted comment */
    sig = sign_text_with(hanako.sk, (const char *)DATA,
                         "timestamp:1795629600\tfile:予算書.pdf\thashed");
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(r.reason, "unknown signer: the signature carries no certificate");
    assert_int_equal(r.has_meta, 0);
    fuin_release_result_clear(&r);
    free(sig);

    /* a broken fuin comment */
    sig = sign_text_with(hanako.sk, (const char *)DATA,
                         "timestamp:1795629600\tfile:a\thashed\tfuin:1");
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(r.reason, "unknown signer: the trusted comment is not in "
                                  "fuin's format (trusted comment: expected "
                                  "\"signer:\" after \"fuin:1\")");
    fuin_release_result_clear(&r);
    free(sig);

    /* a bundle whose certificate is garbage */
    hanako_meta(&m, T_CREATED, 0);
    assert_int_equal(fuin_sigmeta_set_cert(&m, "x\n", 2, hanako_sig, hanako_sig_len),
                     FUIN_OK);
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_SIGNATURE);
    assert_string_equal(r.reason, "certificate was modified (the root's signature "
                                  "does not verify)");
    fuin_release_result_clear(&r);
    free(sig);
    fuin_sigmeta_clear(&m);
}

static void test_release_expired(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_LATE, 1);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_EXPIRED);
    assert_string_equal(r.reason, "certificate expired at signing time (valid until "
                                  "2027-03-31T23:59:59Z, signed 2027-04-02T10:00:00Z)");
    assert_int_equal(r.has_cert, 1);
    fuin_release_result_clear(&r);
    free(sig);

    m.time = T_UNTIL + 1;
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_EXPIRED);
    fuin_release_result_clear(&r);
    free(sig);

    m.time = T_EARLY;
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_EXPIRED);
    assert_string_equal(r.reason, "certificate not yet valid at signing time (valid "
                                  "from 2026-04-01T00:00:00Z, signed 2026-03-01T09:00:00Z)");
    fuin_release_result_clear(&r);
    free(sig);
    fuin_sigmeta_clear(&m);
}

static void test_release_revoked(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    fuin_revocations *rl;
    hanako_meta(&m, T_CREATED, 1);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    char *want;

    /* revoked before the signing time */
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, hanako.card.sign_pk.keyid, T_FROM,
                                          "端末紛失"),
                     FUIN_OK);
    assert_int_equal(check(&root_pk, rl, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_REVOKED);
    want = xasprintf("key %s revoked on 2026-04-01T00:00:00Z: 端末紛失",
                     hex_of(hanako.card.sign_pk.keyid));
    assert_string_equal(r.reason, want);
    assert_int_equal(r.revoked_at, T_FROM);
    free(want);
    fuin_release_result_clear(&r);
    fuin_revocations_free(rl);

    /* revoked after the signing time: still refused */
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, hanako.card.sign_pk.keyid, T_NOW,
                                          "鍵の漏えい"),
                     FUIN_OK);
    assert_int_equal(check(&root_pk, rl, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_REVOKED);
    want = xasprintf("key %s revoked on 2026-12-01T09:00:00Z: 鍵の漏えい",
                     hex_of(hanako.card.sign_pk.keyid));
    assert_string_equal(r.reason, want);
    free(want);
    fuin_release_result_clear(&r);

    /* a modified file is reported as such before any revocation */
    assert_int_equal(check(&root_pk, rl, sig, (const uint8_t *)"x", 1, &r),
                     FUIN_E_SIGNATURE);
    fuin_release_result_clear(&r);
    fuin_revocations_free(rl);
    free(sig);
    fuin_sigmeta_clear(&m);
}

static void test_release_foreign_root(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_CREATED, 1);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&other_root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_FOREIGN_ROOT);
    char *want = xasprintf("certificate signed by another root (key id %s, "
                           "expected %s)",
                           hex_of(root_pk.keyid), hex_of(other_root_pk.keyid));
    assert_string_equal(r.reason, want);
    assert_int_equal(r.has_cert, 0);
    free(want);
    fuin_release_result_clear(&r);
    free(sig);

    /* a certificate by another root, checked against our root */
    char *cert, *csig;
    size_t cl, sl;
    issue(&hanako, FUIN_ROLE_STAFF, T_FROM, T_UNTIL, other_root_sk, &cert, &cl,
          &csig, &sl);
    hanako_meta(&m, T_CREATED, 0);
    assert_int_equal(fuin_sigmeta_set_cert(&m, cert, cl, csig, sl), FUIN_OK);
    sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_FOREIGN_ROOT);
    fuin_release_result_clear(&r);
    free(sig);
    free(cert);
    free(csig);
    fuin_sigmeta_clear(&m);
}

static void test_release_modified(void **state)
{
    (void)state;
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_CREATED, 1);
    char *sig = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);

    /* file modified */
    uint8_t mod[sizeof DATA];
    memcpy(mod, DATA, sizeof DATA);
    mod[0] ^= 1;
    assert_int_equal(check(&root_pk, NULL, sig, mod, sizeof DATA - 1, &r),
                     FUIN_E_SIGNATURE);
    assert_string_equal(r.reason, "file modified (signature does not verify)");
    assert_int_equal(r.has_cert, 1);
    fuin_release_result_clear(&r);
    /* truncated */
    assert_int_equal(check(&root_pk, NULL, sig, DATA, sizeof DATA - 2, &r),
                     FUIN_E_SIGNATURE);
    fuin_release_result_clear(&r);

    /* trusted comment modified: the label lowered */
    char *msig = replace(sig, "class:C2-I2-A1", "class:C1-I2-A1");
    assert_int_equal(check(&root_pk, NULL, msig, DATA, sizeof DATA - 1, &r),
                     FUIN_E_COMMENT);
    assert_string_equal(r.reason, "trusted comment modified (signature does not verify)");
    fuin_release_result_clear(&r);
    free(msig);
    /* ... the signing time moved */
    msig = replace(sig, "time:2026-11-25T18:00:00Z", "time:2026-11-25T17:00:00Z");
    char *msig2 = replace(msig, "timestamp:1795629600", "timestamp:1795626000");
    assert_int_equal(check(&root_pk, NULL, msig2, DATA, sizeof DATA - 1, &r),
                     FUIN_E_COMMENT);
    fuin_release_result_clear(&r);
    free(msig);
    free(msig2);

    /* the certificate inside the comment swapped for a colleague's */
    person other;
    make_person(&other, "佐藤 一郎", "sato@example.lg.jp", T_CREATED);
    char *cert, *csig;
    size_t cl, sl;
    issue(&other, FUIN_ROLE_MANAGER, T_FROM, T_UNTIL, root_sk, &cert, &cl, &csig, &sl);
    hanako_meta(&m, T_CREATED, 0);
    assert_int_equal(fuin_sigmeta_set_cert(&m, cert, cl, csig, sl), FUIN_OK);
    char *sig2 = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig2, DATA, sizeof DATA - 1, &r),
                     FUIN_E_WRONG_KEY);
    char *want = xasprintf("signed by key %s, but the certificate is for key %s "
                           "(佐藤 一郎)",
                           hex_of(hanako.card.sign_pk.keyid),
                           hex_of(other.card.sign_pk.keyid));
    assert_string_equal(r.reason, want);
    free(want);
    fuin_release_result_clear(&r);
    free(sig2);

    /* the comment names another key id than the one that signed */
    hanako_meta(&m, T_CREATED, 1);
    memcpy(m.keyid, other.card.sign_pk.keyid, 8);
    sig2 = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(&root_pk, NULL, sig2, DATA, sizeof DATA - 1, &r),
                     FUIN_E_COMMENT);
    fuin_release_result_clear(&r);
    free(sig2);

    free(cert);
    free(csig);
    fuin_seckey_free(other.sk);
    fuin_sigmeta_clear(&m);
    free(sig);
}

static void test_release_state(void **state)
{
    (void)state;
    fuin_release_result r;
    fuin_verifier *v = fuin_verifier_new();
    assert_int_equal(fuin_release_check(&root_pk, NULL, v, &r), FUIN_E_STATE);
    assert_int_equal(r.status, FUIN_E_STATE);
    fuin_release_result_clear(&r);
    assert_int_equal(fuin_release_check(NULL, NULL, v, &r), FUIN_E_INVALID);
    assert_int_equal(fuin_release_check(&root_pk, NULL, v, NULL), FUIN_E_INVALID);
    fuin_verifier_free(v);
}

/* ------------------------------------------------------------------ */
/* trust store                                                         */
/* ------------------------------------------------------------------ */
static char *make_store(void)
{
    char tmpl[] = "/tmp/fuin-trust-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *dir = strdup(tmpl);
    write_str(dir, "root.pub", root_pub_text(&root_pk));
    return dir;
}

static void add_cert(const char *dir, const char *name, const person *p,
                     fuin_role role, int64_t from, int64_t until)
{
    char *cert, *sig;
    size_t cl, sl;
    char *cdir = xasprintf("%s/certs", dir);
    mkdir(cdir, 0700);
    issue(p, role, from, until, root_sk, &cert, &cl, &sig, &sl);
    char *f = xasprintf("certs/%s.cert", name), *g = xasprintf("certs/%s.cert.minisig", name);
    write_file(dir, f, cert, cl);
    write_file(dir, g, sig, sl);
    free(f);
    free(g);
    free(cdir);
    free(cert);
    free(sig);
}

static const char POLICY[] = "[organisation]\nname = " ORG "\n";

static void test_store_open(void **state)
{
    (void)state;
    char *dir = make_store();
    fuin_store *s = NULL;
    char err[512];
    size_t len;

    /* root only */
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_OK);
    assert_memory_equal(fuin_store_root(s), &root_pk, sizeof root_pk);
    assert_null(fuin_store_revocations(s));
    assert_int_equal(fuin_store_cert_count(s), 0);
    assert_null(fuin_store_cert(s, 0));
    assert_null(fuin_store_policy_text(s, &len));
    assert_int_equal(len, 0);
    assert_null(fuin_store_policy_path(s));
    fuin_store_free(s);

    /* everything */
    add_cert(dir, "hanako", &hanako, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);
    person b;
    make_person(&b, "佐藤 一郎", "sato@example.lg.jp", T_CREATED);
    add_cert(dir, "sato", &b, FUIN_ROLE_SYSADMIN, T_FROM, T_UNTIL);
    write_str(dir, "certs/README", "not a certificate\n");
    fuin_revocations *rl;
    char *text, *sig;
    size_t tl, sl;
    uint8_t k[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, k, T_FROM, "lost"), FUIN_OK);
    assert_int_equal(fuin_revocations_sign(rl, root_sk, &text, &tl, &sig, &sl), FUIN_OK);
    write_file(dir, "revoked.txt", text, tl);
    write_file(dir, "revoked.txt.minisig", sig, sl);
    free(text);
    free(sig);
    fuin_revocations_free(rl);
    char *psig = sign_text_with(root_sk, POLICY, "fuin-policy");
    write_str(dir, "policy.ini", POLICY);
    write_str(dir, "policy.ini.minisig", psig);

    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_store_cert_count(s), 2);
    assert_string_equal(fuin_store_cert(s, 0)->card.name, "山田 花子");
    assert_string_equal(fuin_store_cert(s, 1)->card.name, "佐藤 一郎");
    assert_int_equal(fuin_store_cert(s, 1)->role, FUIN_ROLE_SYSADMIN);
    assert_int_equal(fuin_revocations_count(fuin_store_revocations(s)), 1);
    assert_string_equal(fuin_store_policy_text(s, &len), POLICY);
    assert_int_equal(len, strlen(POLICY));
    char *ppath = xasprintf("%s/policy.ini", dir);
    assert_string_equal(fuin_store_policy_path(s), ppath);
    fuin_store_free(s);

    /* policy signed by another key */
    char *bad = sign_text_with(other_root_sk, POLICY, "fuin-policy");
    write_str(dir, "policy.ini.minisig", bad);
    free(bad);
    s = (fuin_store *)1;
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    assert_null(s);
    char *want = xasprintf("%s: signature invalid: signed by another key (key id "
                           "%s, expected %s)",
                           ppath, hex_of(other_root_pk.keyid), hex_of(root_pk.keyid));
    assert_string_equal(err, want);
    free(want);

    /* policy edited after signing */
    write_str(dir, "policy.ini.minisig", psig);
    write_str(dir, "policy.ini", "[organisation]\nname = other\n");
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: signature invalid: the file was modified", ppath);
    assert_string_equal(err, want);
    free(want);

    /* garbled policy signature */
    write_str(dir, "policy.ini", POLICY);
    write_str(dir, "policy.ini.minisig", "untrusted comment: x\n");
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: signature invalid: ", ppath);
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
    free(want);

    /* unsigned policy */
    char *psigpath = xasprintf("%s/policy.ini.minisig", dir);
    assert_int_equal(unlink(psigpath), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: signature missing (no %s)", ppath, psigpath);
    assert_string_equal(err, want);
    free(want);

    /* the policy deleted but its signature left: refused */
    write_str(dir, "policy.ini.minisig", psig);
    assert_int_equal(unlink(ppath), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: missing, but %s is present", ppath, psigpath);
    assert_string_equal(err, want);
    free(want);

    /* no policy at all: fine */
    assert_int_equal(unlink(psigpath), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_OK);
    assert_null(fuin_store_policy_text(s, NULL));
    fuin_store_free(s);

    /* a modified certificate names its file */
    char *cpath = xasprintf("%s/certs/sato.cert", dir);
    FILE *f = fopen(cpath, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)strlen("fuin-certificate: 1\nserial: 0123456789ABCDEF\n"
                                           "organisation: " ORG "\nrole: "), SEEK_SET), 0);
    assert_int_equal(fwrite("m", 1, 1, f), 1); /* sysadmin -> mysadmin */
    assert_int_equal(fclose(f), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: certificate was modified (the root's signature does not "
                     "verify)",
                     cpath);
    assert_string_equal(err, want);
    free(want);
    /* ... or whose signature is missing */
    assert_int_equal(unlink(cpath), 0);
    char *csig = xasprintf("%s/certs/hanako.cert.minisig", dir);
    char *cpath2 = xasprintf("%s/certs/hanako.cert", dir);
    assert_int_equal(unlink(csig), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: signature missing (no %s)", cpath2, csig);
    assert_string_equal(err, want);
    free(want);
    assert_int_equal(unlink(cpath2), 0);

    /* a modified revocation list */
    char *rpath = xasprintf("%s/revoked.txt", dir);
    write_str(dir, "revoked.txt", "fuin-revocations: 1\norganisation: " ORG
                                  "\nupdated: 2026-12-01T09:00:00Z\n");
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    want = xasprintf("%s: revocation list was modified (the root's signature does "
                     "not verify)",
                     rpath);
    assert_string_equal(err, want);
    free(want);
    /* ... deleted while its signature stays */
    assert_int_equal(unlink(rpath), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_SIGNATURE);
    /* ... both gone: nothing revoked */
    char *rsig = xasprintf("%s/revoked.txt.minisig", dir);
    assert_int_equal(unlink(rsig), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_OK);
    fuin_store_free(s);

    /* root.pub missing or bad */
    char *root = xasprintf("%s/root.pub", dir);
    write_str(dir, "root.pub", "untrusted comment: x\nnot base64\n");
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err) != FUIN_OK, 1);
    assert_int_equal(strncmp(err, root, strlen(root)), 0);
    assert_int_equal(unlink(root), 0);
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_E_IO);
    want = xasprintf("%s: No such file or directory", root);
    assert_string_equal(err, want);
    free(want);
    char *nodir = xasprintf("%s/nonexistent", dir);
    assert_int_equal(fuin_store_open(nodir, &s, err, sizeof err), FUIN_E_IO);
    want = xasprintf("%s: No such file or directory", nodir);
    assert_string_equal(err, want);
    free(want);

    free(nodir);
    free(root);
    free(rsig);
    free(rpath);
    free(csig);
    free(cpath2);
    free(cpath);
    free(psigpath);
    free(ppath);
    free(psig);
    fuin_seckey_free(b.sk);
    rm_tree(dir);
    free(dir);
}

static void test_store_open_root(void **state)
{
    (void)state;
    char *dir = make_store();
    fuin_store *s;
    char err[512];
    char *root = xasprintf("%s/root.pub", dir);
    assert_int_equal(fuin_store_open_root(root, NULL, &s, err, sizeof err), FUIN_OK);
    assert_memory_equal(fuin_store_root(s), &root_pk, sizeof root_pk);
    assert_null(fuin_store_revocations(s));
    fuin_store_free(s);

    char *rl_path = xasprintf("%s/list.txt", dir);
    assert_int_equal(fuin_store_open_root(root, rl_path, &s, err, sizeof err), FUIN_E_IO);
    char *want = xasprintf("%s: No such file or directory", rl_path);
    assert_string_equal(err, want);
    free(want);

    fuin_revocations *rl;
    char *text, *sig;
    size_t tl, sl;
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, hanako.card.sign_pk.keyid, T_NOW, "lost"),
                     FUIN_OK);
    assert_int_equal(fuin_revocations_sign(rl, root_sk, &text, &tl, &sig, &sl), FUIN_OK);
    write_file(dir, "list.txt", text, tl);
    write_file(dir, "list.txt.minisig", sig, sl);
    assert_int_equal(fuin_store_open_root(root, rl_path, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_revocations_find(fuin_store_revocations(s),
                                           hanako.card.sign_pk.keyid, NULL, NULL),
                     1);

    /* the outside verifier's whole check */
    fuin_sigmeta m = {0};
    fuin_release_result r;
    hanako_meta(&m, T_CREATED, 1);
    char *rs = sign_meta(hanako.sk, &m, DATA, sizeof DATA - 1);
    assert_int_equal(check(fuin_store_root(s), fuin_store_revocations(s), rs, DATA,
                           sizeof DATA - 1, &r),
                     FUIN_E_REVOKED);
    fuin_release_result_clear(&r);
    fuin_sigmeta_clear(&m);
    free(rs);
    fuin_store_free(s);

    /* an unsigned list is refused */
    char *lsig = xasprintf("%s/list.txt.minisig", dir);
    assert_int_equal(unlink(lsig), 0);
    assert_int_equal(fuin_store_open_root(root, rl_path, &s, err, sizeof err),
                     FUIN_E_SIGNATURE);
    free(lsig);

    free(text);
    free(sig);
    fuin_revocations_free(rl);
    free(rl_path);
    free(root);
    rm_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ */
/* resolution                                                          */
/* ------------------------------------------------------------------ */
static void test_resolve(void **state)
{
    (void)state;
    char *dir = make_store();
    person sato1, sato2, suzuki, tanaka, taro;
    make_person(&sato1, "佐藤", "sato@example.lg.jp", T_CREATED);
    make_person(&sato2, "佐藤", "sato.k@example.lg.jp", T_CREATED);
    make_person(&suzuki, "鈴木 次郎", "suzuki@example.lg.jp", T_CREATED);
    make_person(&tanaka, "田中 三郎", "tanaka@example.lg.jp", T_CREATED);
    make_person(&taro, "Taro Yamada", "", T_CREATED);
    add_cert(dir, "a-hanako", &hanako, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);
    /* a renewed certificate for the same key counts once */
    add_cert(dir, "a-hanako-2", &hanako, FUIN_ROLE_MANAGER, T_FROM, T_UNTIL + 86400);
    add_cert(dir, "b-sato", &sato1, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);
    add_cert(dir, "c-sato", &sato2, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);
    add_cert(dir, "d-suzuki", &suzuki, FUIN_ROLE_STAFF, T_EARLY, T_FROM);
    add_cert(dir, "e-tanaka", &tanaka, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);
    add_cert(dir, "f-taro", &taro, FUIN_ROLE_STAFF, T_FROM, T_UNTIL);

    fuin_revocations *rl;
    char *text, *sig;
    size_t tl, sl;
    assert_int_equal(fuin_revocations_new(ORG, T_NOW, &rl), FUIN_OK);
    assert_int_equal(fuin_revocations_add(rl, tanaka.card.sign_pk.keyid, T_CREATED,
                                          "退職"),
                     FUIN_OK);
    assert_int_equal(fuin_revocations_sign(rl, root_sk, &text, &tl, &sig, &sl), FUIN_OK);
    write_file(dir, "revoked.txt", text, tl);
    write_file(dir, "revoked.txt.minisig", sig, sl);
    free(text);
    free(sig);
    fuin_revocations_free(rl);

    fuin_store *s;
    char err[512];
    const fuin_cert *c;
    assert_int_equal(fuin_store_open(dir, &s, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_store_cert_count(s), 7);
    fuin_store_set_time(s, T_NOW);

    static const char *hanako_names[] = {
        "山田 花子", "山田花子", "  山田　花子 ", "　山田 花子\n",
        "hanako@example.lg.jp", "HANAKO@Example.LG.JP", " hanako@example.lg.jp ",
    };
    for (size_t i = 0; i < sizeof hanako_names / sizeof hanako_names[0]; i++) {
        c = NULL;
        if (fuin_store_resolve(s, hanako_names[i], &c, err, sizeof err) != FUIN_OK)
            fail_msg("\"%s\": %s", hanako_names[i], err);
        assert_string_equal(c->card.age_recipient, hanako.card.age_recipient);
        /* the newer certificate wins */
        assert_int_equal(c->role, FUIN_ROLE_MANAGER);
    }
    assert_int_equal(fuin_store_resolve(s, hanako.card.age_recipient, &c, err,
                                        sizeof err),
                     FUIN_OK);
    assert_string_equal(c->card.name, "山田 花子");
    assert_int_equal(fuin_store_resolve(s, "taro yamada", &c, err, sizeof err), FUIN_OK);
    assert_string_equal(c->card.name, "Taro Yamada");
    assert_int_equal(fuin_store_resolve(s, "TaroYamada", &c, err, sizeof err), FUIN_OK);

    /* two people named 佐藤 */
    c = (const fuin_cert *)1;
    assert_int_equal(fuin_store_resolve(s, "佐藤", &c, err, sizeof err),
                     FUIN_E_AMBIGUOUS);
    assert_null(c);
    assert_string_equal(err, "ambiguous: 佐藤 (sato@example.lg.jp), 佐藤 "
                             "(sato.k@example.lg.jp)");
    /* a message cut short never ends inside a character */
    char small[16];
    assert_int_equal(fuin_store_resolve(s, "佐藤", &c, small, sizeof small),
                     FUIN_E_AMBIGUOUS);
    assert_string_equal(small, "ambiguous: 佐");
    assert_int_equal(fuin_store_resolve(s, "sato.k@example.lg.jp", &c, err, sizeof err),
                     FUIN_OK);
    assert_string_equal(c->card.age_recipient, sato2.card.age_recipient);

    /* unknown */
    assert_int_equal(fuin_store_resolve(s, "高橋", &c, err, sizeof err), FUIN_E_UNTRUSTED);
    assert_string_equal(err, "no certified colleague named 高橋");
    assert_int_equal(fuin_store_resolve(s, "山田", &c, err, sizeof err), FUIN_E_UNTRUSTED);
    assert_string_equal(err, "no certified colleague named 山田");
    assert_int_equal(fuin_store_resolve(s, "nobody@example.lg.jp", &c, err, sizeof err),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(err, "no certified colleague with e-mail nobody@example.lg.jp");
    char ident[FUIN_IDENTITY_MAX], rcpt[FUIN_RECIPIENT_MAX];
    assert_int_equal(fuin_keygen(ident, sizeof ident, rcpt, sizeof rcpt), FUIN_OK);
    assert_int_equal(fuin_store_resolve(s, rcpt, &c, err, sizeof err), FUIN_E_UNTRUSTED);
    char *want = xasprintf("no certified colleague has recipient %s", rcpt);
    assert_string_equal(err, want);
    free(want);
    assert_int_equal(fuin_store_resolve(s, " 　", &c, err, sizeof err), FUIN_E_UNTRUSTED);
    assert_string_equal(err, "no certified colleague: the name is empty");
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(fuin_store_resolve(s, longname, &c, err, sizeof err),
                     FUIN_E_UNTRUSTED);
    assert_string_equal(err, "no certified colleague: the name is longer than 255 bytes");

    /* expired and revoked colleagues are named as such */
    assert_int_equal(fuin_store_resolve(s, "鈴木 次郎", &c, err, sizeof err),
                     FUIN_E_EXPIRED);
    assert_string_equal(err, "鈴木 次郎 (suzuki@example.lg.jp): certificate expired "
                             "on 2026-04-01T00:00:00Z");
    assert_int_equal(fuin_store_resolve(s, "tanaka@example.lg.jp", &c, err, sizeof err),
                     FUIN_E_REVOKED);
    want = xasprintf("田中 三郎 (tanaka@example.lg.jp): key %s revoked on "
                     "2026-11-25T18:00:00Z: 退職",
                     hex_of(tanaka.card.sign_pk.keyid));
    assert_string_equal(err, want);
    free(want);

    /* policy look-ups */
    assert_non_null(fuin_store_find_recipient(s, hanako.card.age_recipient));
    assert_null(fuin_store_find_recipient(s, suzuki.card.age_recipient));
    assert_null(fuin_store_find_recipient(s, tanaka.card.age_recipient));
    assert_null(fuin_store_find_recipient(s, rcpt));
    assert_non_null(fuin_store_find_keyid(s, sato1.card.sign_pk.keyid));
    assert_null(fuin_store_find_keyid(s, tanaka.card.sign_pk.keyid));
    assert_null(fuin_store_find_keyid(s, suzuki.card.sign_pk.keyid));
    assert_int_equal(fuin_store_check_cert(s, fuin_store_cert(s, 4), err, sizeof err),
                     FUIN_E_EXPIRED);
    assert_int_equal(fuin_store_check_cert(s, fuin_store_cert(s, 0), err, sizeof err),
                     FUIN_OK);

    /* time moves on: nobody is certified any more */
    fuin_store_set_time(s, T_LATE + 86400 * 2);
    assert_int_equal(fuin_store_resolve(s, "山田花子", &c, err, sizeof err),
                     FUIN_E_EXPIRED);
    assert_string_equal(err, "山田 花子 (hanako@example.lg.jp): certificate expired "
                             "on 2027-04-01T23:59:59Z");
    assert_null(fuin_store_find_recipient(s, hanako.card.age_recipient));
    /* before any validity */
    fuin_store_set_time(s, T_EARLY - 1);
    assert_int_equal(fuin_store_resolve(s, "Taro Yamada", &c, err, sizeof err),
                     FUIN_E_EXPIRED);
    want = xasprintf("Taro Yamada (key id %s): certificate not valid before "
                     "2026-04-01T00:00:00Z",
                     hex_of(taro.card.sign_pk.keyid));
    assert_string_equal(err, want);
    free(want);

    fuin_store_free(s);
    fuin_seckey_free(sato1.sk);
    fuin_seckey_free(sato2.sk);
    fuin_seckey_free(suzuki.sk);
    fuin_seckey_free(tanaka.sk);
    fuin_seckey_free(taro.sk);
    rm_tree(dir);
    free(dir);
}

int main(void)
{
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "fuin_init failed\n");
        return 1;
    }
    if (fuin_seckey_generate(&root_sk, &root_pk) != FUIN_OK ||
        fuin_seckey_generate(&other_root_sk, &other_root_pk) != FUIN_OK) {
        fprintf(stderr, "key generation failed\n");
        return 1;
    }
    make_person(&hanako, "山田 花子", "hanako@example.lg.jp", T_CREATED);
    if (fuin_cert_issue(&hanako.card, FUIN_ROLE_STAFF, ORG, T_FROM, T_UNTIL,
                        root_sk, &hanako_cert, &hanako_cert_len, &hanako_sig,
                        &hanako_sig_len) != FUIN_OK) {
        fprintf(stderr, "fuin_cert_issue failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_card_round_trip),
        cmocka_unit_test(test_card_format_rejects),
        cmocka_unit_test(test_card_malformations),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_cert_round_trip),
        cmocka_unit_test(test_cert_issue_verify),
        cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_revocations_syntax),
        cmocka_unit_test(test_sigmeta_round_trip),
        cmocka_unit_test(test_sigmeta_format_rejects),
        cmocka_unit_test(test_sigmeta_parse_rejects),
        cmocka_unit_test(test_release_ok),
        cmocka_unit_test(test_release_unknown_signer),
        cmocka_unit_test(test_release_expired),
        cmocka_unit_test(test_release_revoked),
        cmocka_unit_test(test_release_foreign_root),
        cmocka_unit_test(test_release_modified),
        cmocka_unit_test(test_release_state),
        cmocka_unit_test(test_store_open),
        cmocka_unit_test(test_store_open_root),
        cmocka_unit_test(test_resolve),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(hanako_cert);
    free(hanako_sig);
    fuin_seckey_free(hanako.sk);
    fuin_seckey_free(root_sk);
    fuin_seckey_free(other_root_sk);
    return rc;
}
