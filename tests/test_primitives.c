/* Unit tests for the internal building blocks: Bech32, HKDF-SHA-256,
 * base64 (strict and armor fast path), the armor codec, the header parser
 * and the worker pool.  Every check compares exact bytes or statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"
#include "internal.h"

static void hex2bin(uint8_t *out, size_t cap, const char *hex, size_t *len)
{
    assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, len, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Bech32                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *in;
    const char *hrp;
    const char *data_hex;
} bech_ok;

/* BIP 173 "valid" strings whose data part is a whole number of bytes
 * (fuin's decoder also regroups to 8-bit bytes, as age needs). */
static const bech_ok BECH_OK[] = {
    {"A12UEL5L", "a", ""},
    {"a12uel5l", "a", ""},
    {"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
     "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio", ""},
    {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef",
     "00443214c74254b635cf84653a56d7c675be77df"},
    {"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "split",
     "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d"},
    {"?1ezyfcl", "?", ""},
    /* 82 zero groups: 51 zero bytes and 2 zero padding bits */
    {"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j", "1",
     "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"},
};

static void test_bech32_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BECH_OK / sizeof BECH_OK[0]; i++) {
        char hrp[128];
        uint8_t data[128], want[128];
        size_t n = 999, wn = 0;
        int r = fuin__bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, BECH_OK[i].in);
        if (r != 0)
            print_error("bech32 valid string %s: got %d\n", BECH_OK[i].in, r);
        assert_int_equal(r, 0);
        assert_string_equal(hrp, BECH_OK[i].hrp);
        hex2bin(want, sizeof want, BECH_OK[i].data_hex, &wn);
        assert_int_equal(n, wn);
        assert_memory_equal(data, want, wn);
    }
}

typedef struct {
    const char *in;
    int want;
} bech_bad;

static const bech_bad BECH_BAD[] = {
    {" 1nwldj5", -1},               /* HRP character out of range */
    {"\x7f" "1axkwrx", -1},
    {"\x80" "1eym55h", -1},
    {"pzry9x0s0muk", -1},           /* no separator */
    {"1pzry9x0s0muk", -1},          /* empty HRP */
    {"x1b4n0q5v", -1},              /* 'b' is not in the data charset */
    {"li1dgmt3", -1},               /* data part shorter than the checksum */
    {"de1lg7wt\xff", -1},           /* invalid character in the checksum */
    {"10a06t8", -1},                /* empty HRP */
    {"1qzzfhee", -1},               /* empty HRP */
    {"a12UEL5L", -1},               /* mixed case */
    {"A12uel5l", -1},               /* mixed case */
    {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxW", -1},
    {"A1G7SGD8", -2},               /* checksum made with the uppercase HRP */
    {"a12uel5m", -2},               /* last checksum character changed */
    {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxq", -2},
    {"abcdef1ppzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", -2},
    {"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3x", -2},
    /* checksum of "11qq..." with 99 data groups is wrong: BIP 173 has 82 */
    {"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j", -2},
    /* valid checksum, but 3 five-bit groups leave 7 bits: not bytes */
    {"a1qqqd87cpp", -1},
    {"", -1},
    {"a1", -1},
};

static void test_bech32_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BECH_BAD / sizeof BECH_BAD[0]; i++) {
        char hrp[128];
        uint8_t data[128];
        size_t n = 0;
        int r = fuin__bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, BECH_BAD[i].in);
        if (r != BECH_BAD[i].want)
            print_error("bech32 invalid string #%zu \"%s\": got %d, want %d\n", i,
                        BECH_BAD[i].in, r, BECH_BAD[i].want);
        assert_int_equal(r, BECH_BAD[i].want);
    }
}

static void test_bech32_roundtrip(void **state)
{
    (void)state;
    for (int iter = 0; iter < 200; iter++) {
        uint8_t in[32], out[64];
        char s[128], hrp[32];
        size_t n = 0;
        int upper = iter & 1;
        randombytes_buf(in, sizeof in);
        assert_int_equal(fuin__bech32_encode(s, sizeof s, "age", in, sizeof in, upper), 0);
        /* 3 + 1 + ceil(256/5) + 6 */
        assert_int_equal(strlen(s), 62);
        assert_memory_equal(s, upper ? "AGE1" : "age1", 4);
        for (size_t i = 0; s[i]; i++) {
            if (upper)
                assert_false(s[i] >= 'a' && s[i] <= 'z');
            else
                assert_false(s[i] >= 'A' && s[i] <= 'Z');
        }
        assert_int_equal(fuin__bech32_decode(hrp, sizeof hrp, out, sizeof out, &n, s), 0);
        assert_string_equal(hrp, "age");
        assert_int_equal(n, 32);
        assert_memory_equal(out, in, 32);
        /* every single-character substitution breaks the checksum */
        {
            size_t pos = 4 + randombytes_uniform((uint32_t)strlen(s) - 4);
            const char *cs = upper ? "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
                                   : "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
            char c = cs[randombytes_uniform(32)];
            if (c == s[pos])
                c = c == cs[0] ? cs[1] : cs[0];
            s[pos] = c;
            assert_int_equal(fuin__bech32_decode(hrp, sizeof hrp, out, sizeof out, &n, s), -2);
        }
    }
    /* too small an output buffer */
    {
        uint8_t in[32] = {0};
        char s[62];
        assert_int_equal(fuin__bech32_encode(s, sizeof s, "age", in, sizeof in, 0), -1);
    }
}

/* ------------------------------------------------------------------ */
/* HKDF-SHA-256 (RFC 5869 appendix A)                                  */
/* ------------------------------------------------------------------ */

static void test_hkdf_rfc5869(void **state)
{
    uint8_t ikm[80], salt[80], okm[82], want[82];
    char info[81];
    size_t n = 0;
    (void)state;

    /* Test case 1 */
    memset(ikm, 0x0b, 22);
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (char)(0xf0 + i);
    info[10] = '\0';
    fuin__hkdf_sha256(okm, 42, salt, 13, ikm, 22, info);
    hex2bin(want, sizeof want,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865", &n);
    assert_int_equal(n, 42);
    assert_memory_equal(okm, want, 42);

    /* Test case 2: longer inputs, output spanning three HMAC blocks */
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (char)(0xb0 + i);
    }
    info[80] = '\0';
    fuin__hkdf_sha256(okm, 82, salt, 80, ikm, 80, info);
    hex2bin(want, sizeof want,
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87", &n);
    assert_int_equal(n, 82);
    assert_memory_equal(okm, want, 82);

    /* Test case 3: empty salt and info */
    memset(ikm, 0x0b, 22);
    fuin__hkdf_sha256(okm, 42, NULL, 0, ikm, 22, "");
    hex2bin(want, sizeof want,
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8", &n);
    assert_int_equal(n, 42);
    assert_memory_equal(okm, want, 42);

    /* a prefix of the output is the same as a shorter output */
    {
        uint8_t shorter[10];
        fuin__hkdf_sha256(shorter, 10, NULL, 0, ikm, 22, "");
        assert_memory_equal(shorter, want, 10);
    }
}

/* ------------------------------------------------------------------ */
/* base64 (strict, for header fields)                                  */
/* ------------------------------------------------------------------ */

static void test_b64_roundtrip(void **state)
{
    (void)state;
    for (size_t len = 0; len <= 70; len++) {
        uint8_t in[70], out[80];
        char enc[100], ref[100];
        size_t n = 999;
        randombytes_buf(in, len);
        assert_int_equal(fuin__b64_len(len), (len * 4 + 2) / 3);
        memset(enc, 'X', sizeof enc);
        fuin__b64_encode(enc, in, len);
        assert_int_equal(strlen(enc), fuin__b64_len(len));
        sodium_bin2base64(ref, sizeof ref, in, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        assert_string_equal(enc, ref);
        assert_null(strchr(enc, '='));
        assert_int_equal(fuin__b64_decode(out, sizeof out, &n, enc, strlen(enc)), 0);
        assert_int_equal(n, len);
        assert_memory_equal(out, in, len);
        /* an output buffer one byte short must be refused */
        if (len > 0)
            assert_int_equal(fuin__b64_decode(out, len - 1, &n, enc, strlen(enc)), -1);
    }
}

static void test_b64_strict(void **state)
{
    static const char *const bad[] = {
        "AA==", "AAA=", "AAAA====", "A=", "AA=", /* padding */
        "AB", "AP", "A/", "AAB", "AAC", "AAD", "AA/", /* stray low bits */
        "A", "AAAAA",                          /* impossible lengths */
        "AA AA", " AAAA", "AAAA\n", "AA\tA", "AAAA\r", /* whitespace */
        "AA-A", "AA_A", "AA.A", "AA\x80" "A",   /* not in the alphabet */
    };
    uint8_t out[16];
    size_t n = 0;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = fuin__b64_decode(out, sizeof out, &n, bad[i], strlen(bad[i]));
        if (r != -1)
            print_error("b64 accepted \"%s\"\n", bad[i]);
        assert_int_equal(r, -1);
    }
    /* canonical neighbours of the rejected forms */
    assert_int_equal(fuin__b64_decode(out, sizeof out, &n, "AA", 2), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(fuin__b64_decode(out, sizeof out, &n, "AQ", 2), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0x01);
    assert_int_equal(fuin__b64_decode(out, sizeof out, &n, "AAE", 3), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[1], 0x01);
    assert_int_equal(fuin__b64_decode(out, sizeof out, &n, "+/8", 3), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(fuin__b64_decode(out, sizeof out, &n, "", 0), 0);
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ */
/* fast base64 (armor lines) against libsodium                         */
/* ------------------------------------------------------------------ */

static const char B64_ALPHA[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void check_fast_vs_sodium(const char *s, size_t len, int *accepted)
{
    uint8_t a[64], b[64];
    size_t bn = 0;
    long an = fuin__b64_fast_decode(a, s, len);
    int sr = sodium_base642bin(b, sizeof b, s, len, NULL, &bn, NULL,
                               sodium_base64_VARIANT_ORIGINAL);
    if ((an >= 0) != (sr == 0))
        print_error("fast b64 and libsodium disagree on \"%.*s\": %ld vs %d\n", (int)len,
                    s, an, sr);
    assert_int_equal(an >= 0, sr == 0);
    if (an >= 0) {
        assert_int_equal((size_t)an, bn);
        assert_memory_equal(a, b, bn);
        (*accepted)++;
    }
}

static void test_b64_fast_vs_sodium(void **state)
{
    int accepted = 0, total = 0;
    (void)state;
    /* encoded random data, then one random character changed */
    for (int iter = 0; iter < 50000; iter++) {
        uint8_t in[48];
        char s[80];
        size_t len = randombytes_uniform(49), slen;
        randombytes_buf(in, len);
        sodium_bin2base64(s, sizeof s, in, len, sodium_base64_VARIANT_ORIGINAL);
        slen = strlen(s);
        if (iter % 2 == 1 && slen > 0) {
            size_t pos = randombytes_uniform((uint32_t)slen);
            uint32_t pick = randombytes_uniform(70);
            /* ASCII only: libsodium 1.0.18 takes bytes >= 0x80 for
             * alphabet characters, so it is no reference for them */
            s[pos] = pick < 64 ? B64_ALPHA[pick] : "=-_ \n."[pick - 64];
        } else {
            /* unmodified: must decode to the input */
            uint8_t out[64];
            long n = fuin__b64_fast_decode(out, s, slen);
            assert_int_equal(n, (long)len);
            assert_memory_equal(out, in, len);
        }
        check_fast_vs_sodium(s, slen, &accepted);
        total++;
    }
    /* random strings over the alphabet plus '=' */
    for (int iter = 0; iter < 50000; iter++) {
        char s[64];
        size_t len = 4 * (1 + randombytes_uniform(16));
        for (size_t i = 0; i < len; i++) {
            uint32_t pick = randombytes_uniform(100);
            s[i] = pick < 64 ? B64_ALPHA[pick] : (pick < 66 ? '=' : B64_ALPHA[pick % 64]);
        }
        /* make trailing padding common, so canonical checks are reached */
        if (iter % 3 == 1)
            s[len - 1] = '=';
        if (iter % 3 == 2) {
            s[len - 1] = '=';
            s[len - 2] = '=';
        }
        check_fast_vs_sodium(s, len, &accepted);
        total++;
    }
    print_message("fast base64: %d inputs, %d accepted by both decoders\n", total, accepted);
    assert_true(accepted > 30000);
    assert_true(accepted < total);
    /* every byte outside the alphabet, in every position of a quad */
    for (int c = 0; c < 256; c++) {
        uint8_t out[8];
        if (c == '=' || (c < 128 && strchr(B64_ALPHA, c) != NULL && c != 0))
            continue;
        for (int pos = 0; pos < 4; pos++) {
            char q[8] = "AAAAAAAA";
            q[4 + pos] = (char)c;
            assert_int_equal(fuin__b64_fast_decode(out, q, 8), -1);
            q[4 + pos] = 'A';
            q[pos] = (char)c;
            assert_int_equal(fuin__b64_fast_decode(out, q, 8), -1);
        }
    }
    /* specific non-canonical forms */
    {
        uint8_t out[8];
        assert_int_equal(fuin__b64_fast_decode(out, "AB==", 4), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "AAB=", 4), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "AA==", 4), 1);
        assert_int_equal(fuin__b64_fast_decode(out, "AAA=", 4), 2);
        assert_int_equal(fuin__b64_fast_decode(out, "A===", 4), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "====", 4), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "AA==AAAA", 8), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "AAA", 3), -1);
        assert_int_equal(fuin__b64_fast_decode(out, "", 0), 0);
    }
}

/* ------------------------------------------------------------------ */
/* armor codec                                                         */
/* ------------------------------------------------------------------ */

/* Encode `len` bytes fed in random pieces; returns the full armored text
 * (BEGIN line added by the caller's convention, as fuin_encrypt does). */
static char *armor_encode(const uint8_t *in, size_t len, size_t *outlen)
{
    size_t cap = sizeof FUIN__ARMOR_BEGIN + len * 4 / 3 + len / 48 * 2 + 70 + 64;
    char *out = malloc(cap);
    size_t o = 0, off = 0;
    fuin__armor_enc enc;
    assert_non_null(out);
    memset(&enc, 0, sizeof enc);
    memcpy(out, FUIN__ARMOR_BEGIN "\n", sizeof FUIN__ARMOR_BEGIN);
    o = sizeof FUIN__ARMOR_BEGIN;
    while (off < len) {
        size_t piece = 1 + randombytes_uniform(randombytes_uniform(2) ? 5 : 300);
        if (piece > len - off)
            piece = len - off;
        o += fuin__armor_enc_update(&enc, in + off, piece, out + o);
        assert_true(o <= cap);
        off += piece;
    }
    o += fuin__armor_enc_final(&enc, out + o);
    assert_true(o <= cap);
    *outlen = o;
    return out;
}

/* Decode armored text fed in random pieces; returns the status of the
 * first failing call (or of final) and the bytes decoded so far. */
static fuin_status armor_decode(const char *text, size_t len, uint8_t *out, size_t *outlen,
                                size_t maxpiece)
{
    fuin__armor_dec *a = fuin__armor_dec_new();
    char err[FUIN_ERRMSG_MAX] = "";
    size_t off = 0, total = 0, n = 0;
    fuin_status st = FUIN_OK;
    assert_non_null(a);
    while (off < len && st == FUIN_OK) {
        size_t piece = 1 + randombytes_uniform((uint32_t)maxpiece);
        if (piece > len - off)
            piece = len - off;
        st = fuin__armor_dec_update(a, (const uint8_t *)text + off, piece, out + total, &n, err);
        if (st == FUIN_OK)
            total += n;
        off += piece;
    }
    if (st == FUIN_OK) {
        st = fuin__armor_dec_final(a, out + total, &n, err);
        if (st == FUIN_OK)
            total += n;
    }
    if (st != FUIN_OK)
        assert_true(err[0] != '\0');
    fuin__armor_dec_free(a);
    *outlen = total;
    return st;
}

static void check_armor_size(size_t len)
{
    uint8_t *in = malloc(len + 1), *out = malloc(len + 200);
    size_t tlen = 0, n = 0, lines = 0, b64len = (len + 2) / 3 * 4;
    char *text;
    const char *p, *end;
    assert_non_null(in);
    assert_non_null(out);
    randombytes_buf(in, len);
    text = armor_encode(in, len, &tlen);
    /* exact layout: BEGIN, ceil(b64/64) body lines, END */
    assert_int_equal(tlen, sizeof FUIN__ARMOR_BEGIN + b64len + (b64len + 63) / 64 +
                               sizeof FUIN__ARMOR_END);
    p = text + sizeof FUIN__ARMOR_BEGIN;
    end = text + tlen - sizeof FUIN__ARMOR_END;
    assert_memory_equal(end, FUIN__ARMOR_END "\n", sizeof FUIN__ARMOR_END);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        if (nl + 1 < end)
            assert_int_equal(nl - p, 64);
        else
            assert_true(nl - p >= 4 && nl - p <= 64);
        p = nl + 1;
        lines++;
    }
    assert_int_equal(lines, (b64len + 63) / 64);
    for (size_t maxpiece = 1; maxpiece <= 4096; maxpiece *= 64) {
        assert_int_equal(armor_decode(text, tlen, out, &n, maxpiece), FUIN_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, in, len);
    }
    /* CRLF line ends are accepted too */
    {
        char *crlf = malloc(tlen * 2);
        size_t c = 0;
        assert_non_null(crlf);
        for (size_t i = 0; i < tlen; i++) {
            if (text[i] == '\n')
                crlf[c++] = '\r';
            crlf[c++] = text[i];
        }
        assert_int_equal(armor_decode(crlf, c, out, &n, 100), FUIN_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, in, len);
        free(crlf);
    }
    free(text);
    free(in);
    free(out);
}

static void test_armor_roundtrip(void **state)
{
    (void)state;
    for (size_t len = 0; len <= 200; len++)
        check_armor_size(len);
    check_armor_size(10000);
}

/* The bulk codec (whole 64-column lines, spread over the pool) must give
 * the same text and bytes as the line-at-a-time codec, and refuse any
 * line the strict decoder would not take as a full middle line. */
static void test_armor_bulk_lines(void **state)
{
    static const int threads[] = {1, 2, 4};
    static const size_t counts[] = {1, 2, 63, 64, 1023, 1024, 1025, 3000};
    (void)state;
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        fuin__pool *p = fuin__pool_new(threads[t]);
        assert_non_null(p);
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            size_t lines = counts[c];
            uint8_t *in = malloc(lines * 48), *back = malloc(lines * 48);
            char *bulk = malloc(lines * 65), *ref = malloc(lines * 65 + 100);
            fuin__armor_enc enc;
            size_t n;
            assert_non_null(in);
            assert_non_null(back);
            assert_non_null(bulk);
            assert_non_null(ref);
            randombytes_buf(in, lines * 48);
            memset(&enc, 0, sizeof enc);
            fuin__armor_enc_lines(p, in, lines, bulk);
            n = fuin__armor_enc_update(&enc, in, lines * 48, ref);
            assert_int_equal(n, lines * 65);
            assert_int_equal(enc.fill, 0);
            assert_memory_equal(bulk, ref, lines * 65);
            assert_int_equal(fuin__armor_dec_lines(p, bulk, lines, back), 0);
            assert_memory_equal(back, in, lines * 48);

            /* one bad character anywhere in the block is refused */
            for (int k = 0; k < 20; k++) {
                size_t line = randombytes_uniform((uint32_t)lines);
                size_t col = randombytes_uniform(65);
                static const char bad[] = "=\r -_.\x80\xff\0";
                char keep = bulk[line * 65 + col], b = bad[randombytes_uniform(sizeof bad - 1)];
                bulk[line * 65 + col] = b;
                assert_int_equal(fuin__armor_dec_lines(p, bulk, lines, back), -1);
                bulk[line * 65 + col] = keep;
            }
            assert_int_equal(fuin__armor_dec_lines(p, bulk, lines, back), 0);
            free(in);
            free(back);
            free(bulk);
            free(ref);
        }
        fuin__pool_free(p);
    }
}

#define BEGIN FUIN__ARMOR_BEGIN "\n"
#define END FUIN__ARMOR_END "\n"
#define L64 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static fuin_status armor_text_status(const char *text, size_t *outlen)
{
    uint8_t out[8192];
    size_t n = 0, len = strlen(text);
    fuin_status whole, bytewise;
    assert_true(len < sizeof out);
    whole = armor_decode(text, len, out, &n, len ? len : 1);
    *outlen = n;
    bytewise = armor_decode(text, len, out, &n, 1);
    assert_int_equal(whole, bytewise);
    return whole;
}

static void test_armor_reject(void **state)
{
    static const struct {
        const char *name, *text;
    } bad[] = {
        {"long line", BEGIN L64 "AAAA\n" END},
        {"long last line", BEGIN "AAAA" L64 "\n" END},
        {"very long line", BEGIN L64 L64 L64 "\n" END},
        {"short middle line", BEGIN "AAAA\n" L64 "\n" END},
        {"padded middle line", BEGIN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n" L64
                               "\n" END},
        {"missing END", BEGIN L64 "\nAAAA\n"},
        {"missing END after short line", BEGIN "AAAA\n"},
        {"garbage after END", BEGIN "AAAA\n" END "x"},
        {"second armor after END", BEGIN "AAAA\n" END BEGIN "AAAA\n" END},
        {"bad BEGIN", "-----BEGIN AGE ENCRYPTED FILE----\nAAAA\n" END},
        {"other BEGIN", "-----BEGIN PGP MESSAGE-----\nAAAA\n" END},
        {"BEGIN with trailing space", "-----BEGIN AGE ENCRYPTED FILE----- \nAAAA\n" END},
        {"lowercase BEGIN", "-----begin age encrypted file-----\nAAAA\n" END},
        {"lowercase END", BEGIN "AAAA\n-----end age encrypted file-----\n"},
        {"no BEGIN", "AAAA\n" END},
        {"empty", ""},
        {"whitespace only", "   \n\n"},
        {"empty body line", BEGIN "\n" END},
        {"bad line length", BEGIN "AAAAA\n" END},
        {"invalid character", BEGIN "AA*A\n" END},
        {"space inside a line", BEGIN "AA AAA==\n" END},
        {"non-canonical", BEGIN "AB==\n" END},
        {"padding in the middle", BEGIN "AA==AAAA\n" END},
    };
    size_t n = 0;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fuin_status st = armor_text_status(bad[i].text, &n);
        if (st != FUIN_E_ARMOR)
            print_error("armor case \"%s\": got %d\n", bad[i].name, st);
        assert_int_equal(st, FUIN_E_ARMOR);
    }
    /* accepted neighbours */
    assert_int_equal(armor_text_status(BEGIN "AAAA\n" END, &n), FUIN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(armor_text_status(BEGIN L64 "\n" L64 "\nAA==\n" END, &n), FUIN_OK);
    assert_int_equal(n, 97);
    assert_int_equal(armor_text_status(" \n\t" BEGIN "AAAA\n" END "\n \n", &n), FUIN_OK);
    assert_int_equal(armor_text_status(BEGIN "AAAA\n" FUIN__ARMOR_END, &n), FUIN_OK);
    assert_int_equal(n, 3);

    /* whitespace limits: 1 KiB before BEGIN / after END is fine, more is not */
    {
        size_t len = 1025 + sizeof(BEGIN "AAAA\n" END);
        char *t = malloc(len + 1100);
        assert_non_null(t);
        memset(t, ' ', 1024);
        memcpy(t + 1024, BEGIN "AAAA\n" END, sizeof(BEGIN "AAAA\n" END));
        assert_int_equal(armor_text_status(t, &n), FUIN_OK);
        memset(t, '\n', 1025);
        memcpy(t + 1025, BEGIN "AAAA\n" END, sizeof(BEGIN "AAAA\n" END));
        assert_int_equal(armor_text_status(t, &n), FUIN_E_ARMOR);
        memcpy(t, BEGIN "AAAA\n" END, sizeof(BEGIN "AAAA\n" END) - 1);
        len = sizeof(BEGIN "AAAA\n" END) - 1;
        memset(t + len, ' ', 1024);
        t[len + 1024] = '\0';
        assert_int_equal(armor_text_status(t, &n), FUIN_OK);
        t[len + 1024] = ' ';
        t[len + 1025] = '\0';
        assert_int_equal(armor_text_status(t, &n), FUIN_E_ARMOR);
        free(t);
    }
}

/* ------------------------------------------------------------------ */
/* header parser                                                       */
/* ------------------------------------------------------------------ */

#define V1 "age-encryption.org/v1\n"
/* 32 zero bytes */
#define B43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define MACLINE "--- " B43 "\n"

static fuin_status parse_str(const char *s, int at_eof, fuin__header *h)
{
    char err[FUIN_ERRMSG_MAX] = "";
    fuin_status st = fuin__header_parse((const uint8_t *)s, strlen(s), at_eof, h, err);
    if (st == FUIN_E_HEADER || st == FUIN_E_LIMIT)
        assert_true(err[0] != '\0');
    return st;
}

static void test_header_valid(void **state)
{
    /* four stanzas: 32-byte body, empty body, 48-byte body (full line +
     * empty line), 50-byte body (full line + short line) */
    static const char hdr[] =
        V1 "-> X25519 CJM36AHmTbdHSuOQL+NESqyVQE7f0cs0vtl2qHAM4nM\n" B43 "\n"
        "-> fuin-label C3-I2-A2 no-copy\n\n"
        "-> a b c d\n" L64 "\n\n"
        "-> x\n" L64 "\nAAA\n"
        MACLINE "payload";
    fuin__header h;
    uint8_t mac[32] = {0};
    size_t hlen = strlen(hdr) - strlen("payload");
    (void)state;

    assert_int_equal(parse_str(hdr, 0, &h), FUIN_OK);
    assert_int_equal(h.n, 4);
    assert_string_equal(h.stanzas[0].type, "X25519");
    assert_int_equal(h.stanzas[0].nargs, 1);
    assert_string_equal(h.stanzas[0].args[0], "CJM36AHmTbdHSuOQL+NESqyVQE7f0cs0vtl2qHAM4nM");
    assert_int_equal(h.stanzas[0].body_len, 32);
    assert_string_equal(h.stanzas[1].type, "fuin-label");
    assert_int_equal(h.stanzas[1].nargs, 2);
    assert_string_equal(h.stanzas[1].args[0], "C3-I2-A2");
    assert_string_equal(h.stanzas[1].args[1], "no-copy");
    assert_int_equal(h.stanzas[1].body_len, 0);
    assert_string_equal(h.stanzas[2].type, "a");
    assert_int_equal(h.stanzas[2].nargs, 3);
    assert_string_equal(h.stanzas[2].args[2], "d");
    assert_int_equal(h.stanzas[2].body_len, 48);
    assert_string_equal(h.stanzas[3].type, "x");
    assert_int_equal(h.stanzas[3].nargs, 0);
    assert_int_equal(h.stanzas[3].body_len, 50);
    for (size_t i = 0; i < 50; i++)
        assert_int_equal(h.stanzas[3].body[i], 0);
    assert_int_equal(h.header_len, hlen);
    assert_int_equal(h.mac_input_len, hlen - 1 - 44);
    assert_memory_equal(hdr + h.mac_input_len - 3, "--- ", 4);
    assert_memory_equal(h.mac, mac, 32);
    fuin__header_free(&h);

    /* age requires at least one stanza */
    assert_int_equal(parse_str(V1 MACLINE, 1, &h), FUIN_E_HEADER);

    /* every proper prefix needs more data, and is truncated at EOF */
    for (size_t cut = 0; cut < hlen; cut++) {
        char err[FUIN_ERRMSG_MAX];
        assert_int_equal(fuin__header_parse((const uint8_t *)hdr, cut, 0, &h, err), FUIN_E_STATE);
        assert_int_equal(fuin__header_parse((const uint8_t *)hdr, cut, 1, &h, err), FUIN_E_HEADER);
    }
    assert_int_equal(fuin__header_parse((const uint8_t *)hdr, hlen, 1, &h, NULL), FUIN_OK);
    assert_int_equal(h.header_len, hlen);
    fuin__header_free(&h);
    /* a MAC over other bytes */
    assert_int_equal(parse_str(V1 "-> x\n\n--- AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\n", 1,
                               &h), FUIN_OK);
    for (int i = 0; i < 32; i++)
        assert_int_equal(h.mac[i], i + 1);
    fuin__header_free(&h);
    fuin__header_free(NULL);
}

static void test_header_malformed(void **state)
{
    static const struct {
        const char *name, *text;
    } bad[] = {
        {"no final body line", V1 "-> x\n" L64 "\n" MACLINE},
        {"stanza straight into the MAC", V1 "-> x\n" MACLINE},
        {"stanza straight into a stanza", V1 "-> x\n-> y\n\n" MACLINE},
        {"65-column body line", V1 "-> x\n" L64 "A\n\n" MACLINE},
        {"body line with padding", V1 "-> x\nAA==\n" MACLINE},
        {"non-canonical body", V1 "-> x\nAB\n" MACLINE},
        {"empty argument", V1 "-> X25519  abc\n\n" MACLINE},
        {"trailing space", V1 "-> X25519 abc \n\n" MACLINE},
        {"arrow alone", V1 "->\n\n" MACLINE},
        {"arrow and space", V1 "-> \n\n" MACLINE},
        {"no space after arrow", V1 "->x\n\n" MACLINE},
        {"CR in a stanza line", V1 "-> x\r\n\n" MACLINE},
        {"CR in a body line", V1 "-> x\nAAAA\r\n" MACLINE},
        {"CR in the version line", "age-encryption.org/v1\r\n-> x\n\n" MACLINE},
        {"CR in the MAC line", V1 "-> x\n\n--- " B43 "\r\n"},
        {"tab in an argument", V1 "-> x\ty\n\n" MACLINE},
        {"non-ASCII in an argument", V1 "-> x \xc3\xa9\n\n" MACLINE},
        {"too many arguments", V1 "-> t 1 2 3 4 5 6 7 8 9\n\n" MACLINE},
        {"unsupported version", "age-encryption.org/v2\n-> x\n\n" MACLINE},
        {"not age", "hello world\n"},
        {"empty", ""},
        {"unexpected line", V1 "hello\n" MACLINE},
        {"short MAC", V1 "-> x\n\n--- AAAA\n"},
        {"MAC without space", V1 "-> x\n\n---" B43 "\n"},
        {"MAC with padding", V1 "-> x\n\n--- " B43 "=\n"},
        {"non-canonical MAC", V1 "-> x\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\n"},
        {"MAC line without newline", V1 "-> x\n\n" "--- " B43},
    };
    fuin__header h;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fuin_status st = parse_str(bad[i].text, 1, &h);
        if (st != FUIN_E_HEADER)
            print_error("header case \"%s\": got %d\n", bad[i].name, st);
        assert_int_equal(st, FUIN_E_HEADER);
    }
    /* a wrong version is known to be wrong before the line is complete */
    assert_int_equal(parse_str("age-encryption.org/v2", 0, &h), FUIN_E_HEADER);
    assert_int_equal(parse_str("x", 0, &h), FUIN_E_HEADER);
    /* incomplete, more may come */
    assert_int_equal(parse_str(V1 "-> x\n", 0, &h), FUIN_E_STATE);
    assert_int_equal(parse_str(V1 "-> x\n\n--- AAAA", 0, &h), FUIN_E_STATE);
    assert_int_equal(parse_str("age-encr", 0, &h), FUIN_E_STATE);
    assert_int_equal(parse_str("", 0, &h), FUIN_E_STATE);
}

static void test_header_limit(void **state)
{
    size_t cap = FUIN_MAX_HEADER_BYTES + 4096, pos;
    char *buf = malloc(cap + 1);
    char err[FUIN_ERRMSG_MAX];
    fuin__header h;
    (void)state;
    assert_non_null(buf);
    /* stanzas of 4 full body lines each, until past the limit */
    memcpy(buf, V1, strlen(V1));
    pos = strlen(V1);
    while (pos + 300 < cap) {
        memcpy(buf + pos, "-> x\n" L64 "\n" L64 "\n" L64 "\n" L64 "\n\n", 6 + 4 * 65);
        pos += 6 + 4 * 65;
    }
    assert_true(pos > FUIN_MAX_HEADER_BYTES);
    assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 0, &h, err), FUIN_E_LIMIT);
    assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 1, &h, err), FUIN_E_LIMIT);
    assert_int_equal(fuin__header_parse((uint8_t *)buf, FUIN_MAX_HEADER_BYTES, 0, &h, err),
                     FUIN_E_LIMIT);
    assert_int_equal(fuin__header_parse((uint8_t *)buf, FUIN_MAX_HEADER_BYTES - 1, 0, &h, err),
                     FUIN_E_STATE);
    /* with the MAC line after the limit it is still too large */
    memcpy(buf + pos, MACLINE, strlen(MACLINE));
    assert_int_equal(fuin__header_parse((uint8_t *)buf, pos + strlen(MACLINE), 1, &h, err),
                     FUIN_E_LIMIT);

    /* a header of exactly FUIN_MAX_HEADER_BYTES is accepted, one more is
     * not; arguments have no length limit of their own, so one long
     * argument sets the size */
    {
        size_t fixed = strlen(V1) + strlen("-> x ") + strlen("\n\n") + strlen(MACLINE);
        size_t m = FUIN_MAX_HEADER_BYTES - fixed;
        for (int extra = 0; extra <= 1; extra++) {
            pos = strlen(V1);
            memcpy(buf, V1, pos);
            memcpy(buf + pos, "-> x ", 5);
            pos += 5;
            memset(buf + pos, 'a', m + (size_t)extra);
            pos += m + (size_t)extra;
            memcpy(buf + pos, "\n\n" MACLINE, 2 + strlen(MACLINE));
            pos += 2 + strlen(MACLINE);
            assert_int_equal(pos, FUIN_MAX_HEADER_BYTES + (size_t)extra);
            if (extra == 0) {
                assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 1, &h, err), FUIN_OK);
                assert_int_equal(h.header_len, FUIN_MAX_HEADER_BYTES);
                assert_int_equal(h.n, 1);
                assert_int_equal(strlen(h.stanzas[0].args[0]), m);
                fuin__header_free(&h);
                assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 0, &h, err), FUIN_OK);
                fuin__header_free(&h);
            } else {
                assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 1, &h, err),
                                 FUIN_E_LIMIT);
                assert_int_equal(fuin__header_parse((uint8_t *)buf, pos, 0, &h, err),
                                 FUIN_E_LIMIT);
            }
        }
    }
    free(buf);
}

/* ------------------------------------------------------------------ */
/* worker pool                                                         */
/* ------------------------------------------------------------------ */

typedef struct {
    atomic_int runs[1000];
    atomic_int total;
} pool_ctx;

static void count_task(void *ctx, size_t idx)
{
    pool_ctx *c = ctx;
    assert_true(idx < 1000);
    atomic_fetch_add(&c->runs[idx], 1);
    atomic_fetch_add(&c->total, 1);
}

static void test_pool(void **state)
{
    static const int threads[] = {0, 1, 2, 4};
    (void)state;
    /* a lost or cyclic queue hangs rather than fails: turn that into a
     * failure (SIGALRM ends the program) */
    alarm(300);
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        for (int round = 0; round < 20; round++) {
            fuin__pool *p = fuin__pool_new(threads[t]);
            pool_ctx *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
            fuin__job ja, jb;
            assert_non_null(p);
            assert_non_null(a);
            assert_non_null(b);
            /* two jobs in flight at once, as the STREAM batches are */
            fuin__pool_submit(p, &ja, count_task, a, 1000);
            fuin__pool_submit(p, &jb, count_task, b, 1000);
            fuin__pool_wait(p, &jb);
            assert_int_equal(atomic_load(&b->total), 1000);
            fuin__pool_wait(p, &ja);
            assert_int_equal(atomic_load(&a->total), 1000);
            for (int i = 0; i < 1000; i++) {
                assert_int_equal(atomic_load(&a->runs[i]), 1);
                assert_int_equal(atomic_load(&b->runs[i]), 1);
            }
            assert_int_equal(ja.done, 1000);
            assert_int_equal(jb.done, 1000);
            /* an empty job completes at once; the pool is reusable */
            fuin__pool_submit(p, &ja, count_task, a, 0);
            fuin__pool_wait(p, &ja);
            memset(a, 0, sizeof *a);
            fuin__pool_submit(p, &ja, count_task, a, 7);
            fuin__pool_wait(p, &ja);
            assert_int_equal(atomic_load(&a->total), 7);
            fuin__pool_free(p);
            free(a);
            free(b);
        }
    }
    fuin__pool_free(NULL);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bech32_valid),
        cmocka_unit_test(test_bech32_invalid),
        cmocka_unit_test(test_bech32_roundtrip),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_b64_roundtrip),
        cmocka_unit_test(test_b64_strict),
        cmocka_unit_test(test_b64_fast_vs_sodium),
        cmocka_unit_test(test_armor_roundtrip),
        cmocka_unit_test(test_armor_reject),
        cmocka_unit_test(test_armor_bulk_lines),
        cmocka_unit_test(test_header_valid),
        cmocka_unit_test(test_header_malformed),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_pool),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
