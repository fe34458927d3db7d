/* Unit tests for lib/approval/approval.c: the request text and its hash.
 * Signatures, certificates and the separation of duties are driven end to
 * end (with a real root, certified staff and manager) by
 * tests/cli_approve.sh, which goes through the same functions. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"

static const char GOOD[] = "fuin-disposal-request: 1\n"
                           "asset: PC-0042\n"
                           "class: C2-I2-A1\n"
                           "reason: lease return\n"
                           "requester: 作業 太郎\n"
                           "requester-key-id: 0123456789ABCDEF\n"
                           "created: 2026-12-07T01:02:03Z\n"
                           "nonce: 0011223344556677\n";

static void test_parse(void **state)
{
    fuin_request_info r;
    char err[256];
    uint8_t h[32];
    char hex[65];
    (void)state;
    assert_int_equal(fuin_request_parse(GOOD, strlen(GOOD), &r, err, sizeof err), FUIN_OK);
    assert_string_equal(r.kind, "disposal");
    assert_string_equal(r.asset, "PC-0042");
    assert_string_equal(r.class_text, "C2-I2-A1");
    assert_string_equal(r.reason, "lease return");
    assert_string_equal(r.created, "2026-12-07T01:02:03Z");
    crypto_hash_sha256(h, (const uint8_t *)GOOD, strlen(GOOD));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    assert_string_equal(r.hash, hex);
}

static void test_parse_refusals(void **state)
{
    static const char *const bad[] = {
        "", "fuin-disposal-request: 2\n",
        /* no asset */
        "fuin-disposal-request: 1\nasset:\nclass: C2\nreason:\nrequester: a\n"
        "requester-key-id: 0123456789ABCDEF\ncreated: x\nnonce: 0011223344556677\n",
        /* a short key id */
        "fuin-disposal-request: 1\nasset: A\nclass: C2\nreason:\nrequester: a\n"
        "requester-key-id: 0123\ncreated: x\nnonce: 0011223344556677\n",
        /* a control character in a value */
        "fuin-disposal-request: 1\nasset: A\x1b[31m\nclass: C2\nreason:\nrequester: a\n"
        "requester-key-id: 0123456789ABCDEF\ncreated: x\nnonce: 0011223344556677\n",
        /* something after the nonce */
        "fuin-disposal-request: 1\nasset: A\nclass: C2\nreason:\nrequester: a\n"
        "requester-key-id: 0123456789ABCDEF\ncreated: x\nnonce: 0011223344556677\nmore: 1\n",
        /* no final newline */
        "fuin-disposal-request: 1\nasset: A\nclass: C2\nreason:\nrequester: a\n"
        "requester-key-id: 0123456789ABCDEF\ncreated: x\nnonce: 0011223344556677",
    };
    fuin_request_info r;
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(fuin_request_parse(bad[i], strlen(bad[i]), &r, err, sizeof err),
                         FUIN_E_SYNTAX);
        assert_string_equal(err, "not a valid disposal request");
        assert_string_equal(r.asset, "");
    }
    assert_int_equal(fuin_request_parse(GOOD, strlen(GOOD), NULL, err, sizeof err),
                     FUIN_E_INVALID);
    /* verifying needs a store and a signature */
    assert_int_equal(fuin_request_verify(NULL, GOOD, strlen(GOOD), "x", 1, &r, err, sizeof err),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_approval_verify(NULL, NULL, &r, GOOD, strlen(GOOD), "x", 1, 0, NULL, 0, err,
                                          sizeof err),
                     FUIN_E_INVALID);
}

static const char PROVIDE[] =
    "fuin-request: 1\n"
    "kind: provide\n"
    "object: sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
    "class: C2-I1-A1\n"
    "destination: 〇〇株式会社 <a@example.co.jp>\n"
    "valid-from: 2026-12-07T00:00:00Z\n"
    "valid-until: 2026-12-14T00:00:00Z\n"
    "reason: contract\n"
    "requester: 作業 太郎\n"
    "requester-key-id: 0123456789ABCDEF\n"
    "created: 2026-12-07T00:00:00Z\n"
    "nonce: 0011223344556677\n";

static void test_parse_kinds(void **state)
{
    fuin_request_info r;
    char err[256];
    (void)state;
    assert_int_equal(fuin_request_parse(PROVIDE, strlen(PROVIDE), &r, err, sizeof err), FUIN_OK);
    assert_string_equal(r.kind, "provide");
    assert_string_equal(r.object,
                        "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    assert_string_equal(r.destination, "〇〇株式会社 <a@example.co.jp>");
    assert_int_equal(r.format, 2);
    assert_true(r.valid_until - r.valid_from == 7 * 86400);
    assert_string_equal(r.asset, "");
    assert_int_equal(fuin_request_parse(GOOD, strlen(GOOD), &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.format, 1);
    assert_string_equal(r.object, "asset:PC-0042");
    assert_true(r.valid_until == 0);
}

/* One line changed at a time: each refusal names its line. */
static void test_parse_kinds_refusals(void **state)
{
    static const struct { const char *from, *to, *msg; } bad[] = {
        {"kind: provide", "kind: disposal", "line 2: kind:"},
        {"kind: provide", "kind: steal", "line 2: kind:"},
        {"object: sha256:0011", "object: sha256:AA11", "line 3: object:"},
        {"object: sha256:0011", "object: asset:0011", "line 3: object: information provided"},
        {"class: C2-I1-A1", "class: C9", "line 4: class:"},
        {"destination: 〇〇株式会社 <a@example.co.jp>", "destination:", "line 5: destination: empty"},
        {"valid-until: 2026-12-14T00:00:00Z", "valid-until: 2026-12-01T00:00:00Z", "line 7:"},
        {"requester-key-id: 0123456789ABCDEF", "requester-key-id: 0123456789abcdef", "line 10:"},
        {"nonce: 0011223344556677", "nonce: 0011223344556677\nmore: 1", "unexpected text"},
        {"reason: contract\n", "reason: a\x1b[31m\n", "line 8:"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[2048], err[256];
        fuin_request_info r;
        const char *at = strstr(PROVIDE, bad[i].from);
        size_t pre;
        assert_non_null(at);
        pre = (size_t)(at - PROVIDE);
        snprintf(text, sizeof text, "%.*s%s%s", (int)pre, PROVIDE, bad[i].to,
                 at + strlen(bad[i].from));
        err[0] = '\0';
        assert_int_equal(fuin_request_parse(text, strlen(text), &r, err, sizeof err),
                         FUIN_E_SYNTAX);
        assert_non_null(strstr(err, "not a valid request"));
        if (strstr(err, bad[i].msg) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, bad[i].msg);
        assert_string_equal(r.kind, "");
    }
}

static void test_format_roundtrip(void **state)
{
    fuin_request_info in, out;
    char *text = NULL, err[256];
    size_t len = 0;
    (void)state;
    memset(&in, 0, sizeof in);
    snprintf(in.kind, sizeof in.kind, "exception");
    snprintf(in.class_text, sizeof in.class_text, "機密性3");
    snprintf(in.reason, sizeof in.reason, "USB for the audit");
    snprintf(in.requester, sizeof in.requester, "作業 太郎");
    in.created_at = 1796083200;
    in.valid_from = in.created_at;
    in.valid_until = in.created_at + 86400;
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_request_parse(text, len, &out, err, sizeof err), FUIN_OK);
    assert_string_equal(out.kind, "exception");
    assert_string_equal(out.class_text, "C3-I1-A1");
    assert_string_equal(out.object, "");
    assert_non_null(strstr(text, "\nobject:\n"));
    assert_true(out.valid_until == in.valid_until);
    free(text);
    /* an exception without a reason, a provide without a destination or
     * with an asset, an impossible period: refused, nothing made */
    in.reason[0] = '\0';
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_E_INVALID);
    assert_null(text);
    snprintf(in.kind, sizeof in.kind, "provide");
    snprintf(in.reason, sizeof in.reason, "x");
    snprintf(in.object, sizeof in.object, "asset:PC-1");
    snprintf(in.destination, sizeof in.destination, "x");
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_E_INVALID);
    snprintf(in.object, sizeof in.object,
             "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    in.destination[0] = '\0';
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_E_INVALID);
    snprintf(in.destination, sizeof in.destination, "x\ny");
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_E_INVALID);
    snprintf(in.destination, sizeof in.destination, "x");
    in.valid_until = in.valid_from - 1;
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_E_INVALID);
    in.valid_until = in.valid_from + 10;
    assert_int_equal(fuin_request_format(&in, &text, &len, err, sizeof err), FUIN_OK);
    free(text);
}

/* Who approves what: the built-in default, and the rule named. */
static void test_required_role(void **state)
{
    fuin_request_info r;
    fuin_cert c;
    char origin[256], err[512];
    (void)state;
    assert_int_equal(fuin_request_parse(PROVIDE, strlen(PROVIDE), &r, err, sizeof err), FUIN_OK);
    assert_string_equal(fuin_approval_required_role(NULL, &r, origin, sizeof origin), "manager");
    assert_string_equal(origin, "[approval] provide_C2, built-in default");
    snprintf(r.kind, sizeof r.kind, "exception");
    assert_string_equal(fuin_approval_required_role(NULL, &r, origin, sizeof origin), "ciso");
    memset(&c, 0, sizeof c);
    snprintf(c.card.name, sizeof c.card.name, "管理 花子");
    c.card.sign_pk.keyid[0] = 1;
    c.role = FUIN_ROLE_MANAGER;
    assert_int_equal(fuin_approval_may_approve(NULL, &r, &c, err, sizeof err), FUIN_E_POLICY);
    assert_string_equal(err, "approver 管理 花子 has role manager, the policy needs ciso "
                             "([approval] exception_C2, built-in default)");
    c.role = FUIN_ROLE_CISO;
    assert_int_equal(fuin_approval_may_approve(NULL, &r, &c, err, sizeof err), FUIN_OK);
    /* the requester, by name, never approves */
    snprintf(c.card.name, sizeof c.card.name, "作業 太郎");
    assert_int_equal(fuin_approval_may_approve(NULL, &r, &c, err, sizeof err), FUIN_E_POLICY);
    assert_non_null(strstr(err, "approved by the requester"));
    /* a ciso does not stand in for a manager */
    snprintf(r.kind, sizeof r.kind, "provide");
    snprintf(c.card.name, sizeof c.card.name, "最高 責任者");
    assert_int_equal(fuin_approval_may_approve(NULL, &r, &c, err, sizeof err), FUIN_E_POLICY);
    assert_non_null(strstr(err, "has role ciso, the policy needs manager"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_kinds),
        cmocka_unit_test(test_parse_kinds_refusals),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_required_role),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
