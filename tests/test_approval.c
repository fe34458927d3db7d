/* Unit tests for lib/approval/approval.c: the request text and its hash.
 * Signatures, certificates and the separation of duties are driven end to
 * end (with a real root, certified staff and manager) by
 * tests/cli_approve.sh, which goes through the same functions. */
#include <setjmp.h>
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
    assert_int_equal(fuin_approval_verify(NULL, &r, GOOD, strlen(GOOD), "x", 1, NULL, 0, err,
                                          sizeof err),
                     FUIN_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_refusals),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
