/* libFuzzer target for lib/sign/minisign.c: the .minisig, public key and secret
 * key parsers, each fed the whole input.
 *  1. fuin_verifier_load: a rejection is FUIN_E_SIGFORMAT with a message and
 *     a failed handle; an accepted signature has a one-line trusted comment
 *     within FUIN_MAX_TRUSTED_COMMENT, never verifies with a key made here,
 *     and its trusted comment survives being signed again by fuin.
 *  2. fuin_pubkey_parse / fuin_pubkey_from_base64: an accepted key formats
 *     and parses back unchanged; the base64 form is canonical, so the input
 *     string is exactly what fuin would write.
 *  3. fuin_seckey_parse: agrees with fuin_seckey_file_encrypted; an accepted
 *     unencrypted key formats, parses back, and signs verifiably.  scrypt is
 *     only run for inputs whose stated limits are tiny (a fuzzer must not
 *     spend 1 GiB per input); limits above the maxima must be refused.
 *  4. fuin_keyid_from_hex: accepted ids print back as the input, uppercased. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuin.h"

static fuin_seckey *g_sk;
static fuin_pubkey g_pk;

static void init_once(void)
{
    if (g_sk != NULL)
        return;
    if (fuin_init() != FUIN_OK || fuin_seckey_generate(&g_sk, &g_pk) != FUIN_OK)
        abort();
}

static int same_pk(const fuin_pubkey *a, const fuin_pubkey *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static void sign_and_verify(const fuin_seckey *sk, const fuin_pubkey *pk,
                            const char *trusted)
{
    fuin_signer *s = fuin_signer_new(sk);
    fuin_verifier *v;
    char *sig = NULL;
    size_t len = 0;

    if (s == NULL)
        abort();
    if (fuin_sign_update(s, (const uint8_t *)"fuzz", 4) != FUIN_OK ||
        fuin_sign_final(s, NULL, trusted, &sig, &len) != FUIN_OK)
        abort();
    fuin_signer_free(s);
    if ((v = fuin_verifier_new()) == NULL)
        abort();
    if (fuin_verifier_load(v, sig, len) != FUIN_OK ||
        strcmp(fuin_verifier_trusted_comment(v), trusted) != 0 ||
        fuin_verifier_prehashed(v) != 1 ||
        fuin_verify_update(v, (const uint8_t *)"fuzz", 4) != FUIN_OK ||
        fuin_verify_final(v, pk) != FUIN_OK)
        abort();
    fuin_verifier_free(v);
    free(sig);
}

static void check_sig(const uint8_t *data, size_t size)
{
    fuin_verifier *v = fuin_verifier_new();
    fuin_status st;
    const char *tc;
    uint8_t kid[FUIN_KEYID_BYTES];
    fuin_pubkey claimed;

    if (v == NULL)
        abort();
    st = fuin_verifier_load(v, (const char *)data, size);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SIGFORMAT ||
            strcmp(fuin_verifier_errmsg(v), "no error") == 0 ||
            fuin_verifier_trusted_comment(v) != NULL ||
            fuin_verify_update(v, data, size) != FUIN_E_STATE ||
            fuin_verify_final(v, &g_pk) != FUIN_E_STATE)
            abort();
        fuin_verifier_free(v);
        return;
    }
    tc = fuin_verifier_trusted_comment(v);
    if (tc == NULL || strlen(tc) > FUIN_MAX_TRUSTED_COMMENT || strpbrk(tc, "\r\n") != NULL)
        abort();
    if (fuin_verifier_prehashed(v) != 0 && fuin_verifier_prehashed(v) != 1)
        abort();
    if (fuin_verify_update(v, data, size) != FUIN_OK)
        abort();
    st = fuin_verify_final(v, &g_pk);
    if (st != FUIN_E_WRONG_KEY && st != FUIN_E_SIGNATURE && st != FUIN_E_COMMENT)
        abort();
    /* a key with the claimed id gets past the id check and no further */
    fuin_verifier_keyid(v, kid);
    claimed = g_pk;
    memcpy(claimed.keyid, kid, sizeof kid);
    st = fuin_verify_final(v, &claimed);
    if (st != FUIN_E_SIGNATURE && st != FUIN_E_COMMENT)
        abort();
    sign_and_verify(g_sk, &g_pk, tc);
    fuin_verifier_free(v);
}

static void check_pub(const uint8_t *data, size_t size)
{
    fuin_pubkey pk, back;
    char err[256], text[256], b64[64];
    size_t n;
    fuin_status st = fuin_pubkey_parse((const char *)data, size, &pk, err, sizeof err);

    if (st != FUIN_OK) {
        if (st != FUIN_E_KEY || err[0] == '\0')
            abort();
        return;
    }
    n = fuin_pubkey_format(&pk, NULL, text, sizeof text);
    if (n == 0 || n >= sizeof text ||
        fuin_pubkey_parse(text, n, &back, NULL, 0) != FUIN_OK || !same_pk(&pk, &back))
        abort();
    if (fuin_pubkey_base64(&pk, b64, sizeof b64) != 56 ||
        fuin_pubkey_from_base64(b64, &back) != FUIN_OK || !same_pk(&pk, &back))
        abort();
}

static void check_b64(const char *s)
{
    fuin_pubkey pk;
    char b64[64];
    if (fuin_pubkey_from_base64(s, &pk) != FUIN_OK)
        return;
    fuin_pubkey_base64(&pk, b64, sizeof b64);
    if (strcmp(b64, s) != 0)
        abort();
}

static void check_hex(const char *s)
{
    uint8_t kid[FUIN_KEYID_BYTES];
    char hex[FUIN_KEYID_HEX];
    if (fuin_keyid_from_hex(s, kid) != FUIN_OK)
        return;
    fuin_keyid_hex(kid, hex);
    for (size_t i = 0; i < 16; i++)
        if (hex[i] != toupper((unsigned char)s[i]))
            abort();
}

/* The KDF limits as the library will see them, for inputs simple enough to
 * be sure of that: a comment line shorter than minisign's buffer, then 212
 * base64 characters ending the line.  Returns 0 if unsure. */
static int peek_limits(const uint8_t *data, size_t size, uint64_t *ops, uint64_t *mem)
{
    const uint8_t *nl = memchr(data, '\n', size < 1000 ? size : 1000);
    uint8_t raw[158];
    size_t off, n = 0;

    if (nl == NULL)
        return 0;
    off = (size_t)(nl - data) + 1;
    if (size - off < 212 || (size - off > 212 && data[off + 212] != '\n' &&
                             data[off + 212] != '\r'))
        return 0;
    if (sodium_base642bin(raw, sizeof raw, (const char *)data + off, 212, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || n != sizeof raw)
        return 0;
    *ops = *mem = 0;
    for (int i = 7; i >= 0; i--) {
        *ops = *ops << 8 | raw[38 + i];
        *mem = *mem << 8 | raw[46 + i];
    }
    return 1;
}

static void check_sec(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int enc = fuin_seckey_file_encrypted(text, size);
    fuin_seckey *sk = NULL, *back = NULL;
    fuin_status st = fuin_seckey_parse(text, size, NULL, 0, &sk, NULL, 0);
    fuin_pubkey pk, pk2;
    uint64_t ops, mem;
    char *out = NULL;
    size_t outlen = 0;

    if (enc == -1) {
        if (st != FUIN_E_KEY)
            abort();
        return;
    }
    if (enc == 1) {
        if (st != FUIN_E_PASSPHRASE || sk != NULL)
            abort();
        if (!peek_limits(data, size, &ops, &mem))
            return;
        if (ops > FUIN_MAX_MINISIGN_OPSLIMIT || mem > FUIN_MAX_MINISIGN_MEMLIMIT) {
            if (fuin_seckey_parse(text, size, "fuzz", 4, &sk, NULL, 0) != FUIN_E_LIMIT)
                abort();
        } else if (ops <= 65536 && mem <= (1u << 20)) {
            st = fuin_seckey_parse(text, size, "fuzz", 4, &sk, NULL, 0);
            if (st != FUIN_OK && st != FUIN_E_NO_MATCH && st != FUIN_E_KEY)
                abort();
            fuin_seckey_free(sk);
        }
        return;
    }
    if (st != FUIN_OK) {
        if (st != FUIN_E_KEY || sk != NULL)
            abort();
        return;
    }
    fuin_seckey_public(sk, &pk);
    if (fuin_seckey_format(sk, NULL, 0, 0, 0, &out, &outlen) != FUIN_OK ||
        fuin_seckey_file_encrypted(out, outlen) != 0 ||
        fuin_seckey_parse(out, outlen, NULL, 0, &back, NULL, 0) != FUIN_OK)
        abort();
    fuin_seckey_public(back, &pk2);
    if (!same_pk(&pk, &pk2))
        abort();
    sign_and_verify(back, &pk, "fuzz");
    fuin_secret_free(out);
    fuin_seckey_free(back);
    fuin_seckey_free(sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    init_once();
    check_sig(data, size);
    check_pub(data, size);
    check_sec(data, size);

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_b64(s);
    check_hex(s);
    free(s);
    return 0;
}
