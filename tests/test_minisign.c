/* Tests of lib/sign/minisign.c: minisign key and signature formats, checked
 * against vectors made by stock minisign 0.11, against an independent
 * reconstruction with libsodium, and live against /usr/bin/minisign in both
 * directions (passphrases typed through a pseudo-terminal).  Tests that need
 * the minisign program print "SKIP: ..." and are skipped when it is absent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"

#ifndef MINISIGN
#define MINISIGN "/usr/bin/minisign"
#endif
#define PASS "correct horse battery staple 2026"
/* Small scrypt limits for tests: N=2^10, fast. */
#define T_OPS 32768u
#define T_MEM (1024u * 1024u)

static char dir[256];

/* ---- vectors made with stock minisign 0.11 (Debian 12) -------------------- */
/* minisign -G -W -p pub -s sec; printf 'hello\n' > f;
 * minisign -Sm f -s sec -t 'my comment'; minisign -Sm f -s sec -l -x ... */
static const char KAT_MSG[] = "hello\n";
static const char KAT_PUB[] =
    "untrusted comment: minisign public key 9EDFF8B4E863A173\n"
    "RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G\n";
static const char KAT_PUB_B64[] = "RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G";
static const uint8_t KAT_KEYID[8] = {0x73, 0xa1, 0x63, 0xe8, 0xb4, 0xf8, 0xdf, 0x9e};
/* -W key: stock minisign writes no checksum (32 zero bytes) */
static const char KAT_SEC[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAc6Fj6LT4357uLJmb"
    "6qC5xdBRWrDCNJPeQI3Y85dkI9luIxgVZR9JV7JLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7GAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char KAT_SIG[] =
    "untrusted comment: signature from minisign secret key\n"
    "RURzoWPotPjfnlmyjyPgPFOBQDVcgVX+S018WLd8gB+lOFynYbcxGGQQhf8aTDui/J8Im4QtbggmYknH0R96PW9H"
    "+kcvboOMYw4=\n"
    "trusted comment: my comment\n"
    "y2pzcH8gPyxh8k9Wg5BI9RvuOCKV1b1ro0EHpVvFBpDamlQ0vdCyEYb3fTvR8GhJJsxhw7otkR/lGmNuH1rZAA==\n";
static const char KAT_LEGACY_SIG[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWRzoWPotPjfnqOr5oqANV9hEFXACPANNKDHR9iJIi9CWIZX/3EJp6ed3mxsIQD7iLsux0mlDq9XZnlbkDaOmurc"
    "zy9XRV+z+g4=\n"
    "trusted comment: timestamp:1795633826\tfile:f\n"
    "d2z3g4VosZgGvu2src02hYKouLcZI8XvQy+/TdC4VccA+Mu4WYorzWvzAxJXBHJzt9bqJAzYTgPu/ouY9ZWjBQ==\n";
/* minisign -G -p epub -s esec, password "pw1" (opslimit 2^25, memlimit 1 GiB) */
static const char KAT_EPUB[] =
    "untrusted comment: minisign public key 1A2A4DE1E50CBAE2\n"
    "RWTiugzl4U0qGpCyfB6jpe8W85Qb2MvFUt1+7Gl1YeVKTHR7uYKy5l+g\n";
static const char KAT_ESEC[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWRTY0IyPt6Rc/fWgyYBGZyof6s8mPFY5EECymOZidK/fDtL9TkAAAACAAAAAAAAAEAAAAAA7ozRHj+xtxqYqzqF"
    "onHytdW9FqtMKmZic45OTRWmF0p7rdoDymaEuwHusIUGOSJ2dNt5j26iykpdsfD9ImCy+XqY4zbudsvZqfl0aqXi"
    "rt42M4zXOaZ/41CU9UdAoReI3yWURWCAC64=\n";

/* ---- helpers -------------------------------------------------------------- */

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *name, const void *buf, size_t len)
{
    char p[512];
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static char *read_file(const char *name, size_t *len)
{
    char p[512];
    struct stat sb;
    char *buf;
    int fd;
    path_of(p, sizeof p, name);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    buf = malloc((size_t)sb.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, (size_t)sb.st_size), (ssize_t)sb.st_size);
    close(fd);
    buf[sb.st_size] = '\0';
    *len = (size_t)sb.st_size;
    return buf;
}

static char *sign_buf(const fuin_seckey *sk, const void *msg, size_t len,
                      const char *untrusted, const char *trusted)
{
    fuin_signer *s = fuin_signer_new(sk);
    char *out = NULL;
    size_t outlen = 0;
    assert_non_null(s);
    assert_int_equal(fuin_sign_update(s, msg, len), FUIN_OK);
    assert_int_equal(fuin_sign_final(s, untrusted, trusted, &out, &outlen), FUIN_OK);
    assert_non_null(out);
    assert_int_equal(strlen(out), outlen);
    fuin_signer_free(s);
    return out;
}

/* Load + update + final; returns final's status (load must succeed). */
static fuin_status verify_buf(const char *sig, size_t siglen, const void *msg, size_t len,
                              const fuin_pubkey *pk)
{
    fuin_verifier *v = fuin_verifier_new();
    fuin_status st;
    assert_non_null(v);
    assert_int_equal(fuin_verifier_load(v, sig, siglen), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, msg, len), FUIN_OK);
    st = fuin_verify_final(v, pk);
    fuin_verifier_free(v);
    return st;
}

static fuin_status load_only(const char *sig, size_t siglen, char *msg, size_t cap)
{
    fuin_verifier *v = fuin_verifier_new();
    fuin_status st;
    assert_non_null(v);
    st = fuin_verifier_load(v, sig, siglen);
    if (msg != NULL)
        snprintf(msg, cap, "%s", fuin_verifier_errmsg(v));
    fuin_verifier_free(v);
    return st;
}

static void b64_decode(uint8_t *out, size_t outlen, const char *b64, size_t len)
{
    size_t n = 0;
    assert_int_equal(sodium_base642bin(out, outlen, b64, len, NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(n, outlen);
}

static char *b64_encode(const uint8_t *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    assert_non_null(s);
    sodium_bin2base64(s, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

/* The n-th line (0-based) of text, without its LF, into a malloc()ed string. */
static char *nth_line(const char *text, int n)
{
    const char *p = text, *e;
    char *s;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    e = strchr(p, '\n');
    if (e == NULL)
        e = p + strlen(p);
    s = strndup(p, (size_t)(e - p));
    assert_non_null(s);
    return s;
}

/* Secret key file -> its 158 raw bytes. */
static void seckey_raw(const char *text, uint8_t raw[158])
{
    char *l = nth_line(text, 1);
    b64_decode(raw, 158, l, strlen(l));
    free(l);
}

/* Raw 158 bytes -> secret key file text (malloc). */
static char *seckey_text(const uint8_t raw[158])
{
    char *b = b64_encode(raw, 158), *t;
    assert_true(asprintf(&t, "untrusted comment: test\n%s\n", b) > 0);
    free(b);
    return t;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

static void put_le64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++, x >>= 8)
        p[i] = (uint8_t)x;
}

static int skipped_interop;

static int have_minisign(void)
{
    if (access(MINISIGN, X_OK) == 0)
        return 1;
    skipped_interop = 1;
    printf("SKIP: " MINISIGN " is not installed; stock minisign interop not tested\n");
    fflush(stdout);
    return 0;
}

/* Run a program (argv[0] is a path), stdin from /dev/null, stdout and stderr
 * captured into *out (malloc, may be NULL to discard).  Returns the exit
 * status, or -1 if it did not exit normally. */
static int run(char *const argv[], char **out)
{
    int pfd[2], status;
    char *buf = NULL;
    size_t len = 0;
    pid_t pid;

    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        char tmp[4096];
        ssize_t k = read(pfd[0], tmp, sizeof tmp);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        buf = realloc(buf, len + (size_t)k + 1);
        assert_non_null(buf);
        memcpy(buf + len, tmp, (size_t)k);
        len += (size_t)k;
    }
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (buf == NULL)
        buf = strdup("");
    else
        buf[len] = '\0';
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run a program on a pseudo-terminal: whenever the next expected prompt has
 * appeared in its output, type the next answer.  minisign turns echo off
 * with TCSAFLUSH before printing its prompt, so typing only after the
 * prompt is what keeps the answer from being flushed.  Returns the exit
 * status (-1 if killed or timed out); the transcript goes to *out. */
static int run_pty(char *const argv[], const char *const *prompts,
                   const char *const *answers, size_t n, char **out)
{
    int master, status;
    size_t step = 0, len = 0, from = 0, cap = 1 << 16;
    char *buf = calloc(1, cap + 1);
    pid_t pid;
    int timed_out = 0;

    assert_non_null(buf);
    pid = forkpty(&master, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    for (;;) {
        struct pollfd pfd = {master, POLLIN, 0};
        char tmp[1024];
        ssize_t k;
        int r = poll(&pfd, 1, 180000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            timed_out = 1;
            break;
        }
        k = read(master, tmp, sizeof tmp);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break; /* EIO once the child side is closed */
        if ((size_t)k > cap - len)
            k = (ssize_t)(cap - len);
        memcpy(buf + len, tmp, (size_t)k);
        len += (size_t)k;
        buf[len] = '\0';
        while (step < n) {
            char *hit = strstr(buf + from, prompts[step]);
            if (hit == NULL)
                break;
            from = (size_t)(hit - buf) + strlen(prompts[step]);
            assert_int_equal(write(master, answers[step], strlen(answers[step])),
                             (ssize_t)strlen(answers[step]));
            step++;
        }
    }
    if (timed_out)
        kill(pid, SIGKILL);
    close(master);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    if (timed_out || step != n)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- key ids ---------------------------------------------------------------- */

static void test_keyid_hex(void **state)
{
    (void)state;
    char hex[FUIN_KEYID_HEX];
    uint8_t back[8];
    const uint8_t seq[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    const uint8_t zero[8] = {0};

    fuin_keyid_hex(KAT_KEYID, hex);
    assert_string_equal(hex, "9EDFF8B4E863A173");
    fuin_keyid_hex(seq, hex);
    assert_string_equal(hex, "EFCDAB8967452301");
    fuin_keyid_hex(zero, hex);
    assert_string_equal(hex, "0000000000000000");

    assert_int_equal(fuin_keyid_from_hex("9EDFF8B4E863A173", back), FUIN_OK);
    assert_memory_equal(back, KAT_KEYID, 8);
    assert_int_equal(fuin_keyid_from_hex("efcdab8967452301", back), FUIN_OK);
    assert_memory_equal(back, seq, 8);
    memset(back, 0x55, sizeof back);
    assert_int_equal(fuin_keyid_from_hex("9EDFF8B4E863A17", back), FUIN_E_KEY);
    assert_int_equal(fuin_keyid_from_hex("9EDFF8B4E863A1733", back), FUIN_E_KEY);
    assert_int_equal(fuin_keyid_from_hex("9EDFF8B4E863A17G", back), FUIN_E_KEY);
    assert_int_equal(fuin_keyid_from_hex(" 9EDFF8B4E863A17", back), FUIN_E_KEY);
    assert_int_equal(back[0], 0x55); /* untouched on error */
    assert_int_equal(fuin_keyid_from_hex(NULL, back), FUIN_E_INVALID);
}

/* ---- stock minisign vectors ---------------------------------------------- */

static void test_kat_stock_files(void **state)
{
    (void)state;
    fuin_pubkey pk, pk2, pk3;
    fuin_seckey *sk = NULL;
    fuin_verifier *v;
    char err[256], hex[FUIN_KEYID_HEX], buf[256];
    uint8_t kid[8];
    char *sig;

    assert_int_equal(fuin_pubkey_parse(KAT_PUB, strlen(KAT_PUB), &pk, err, sizeof err), FUIN_OK);
    assert_string_equal(err, "");
    assert_memory_equal(pk.keyid, KAT_KEYID, 8);
    fuin_keyid_hex(pk.keyid, hex);
    assert_string_equal(hex, "9EDFF8B4E863A173");
    /* fuin writes the public key file byte for byte as minisign does */
    assert_int_equal(fuin_pubkey_format(&pk, NULL, buf, sizeof buf), strlen(KAT_PUB));
    assert_string_equal(buf, KAT_PUB);
    assert_int_equal(fuin_pubkey_base64(&pk, buf, sizeof buf), 56);
    assert_string_equal(buf, KAT_PUB_B64);
    assert_int_equal(fuin_pubkey_from_base64(KAT_PUB_B64, &pk2), FUIN_OK);
    assert_memory_equal(&pk, &pk2, sizeof pk);

    /* the unencrypted stock key (zero checksum) is accepted, pass ignored */
    assert_int_equal(fuin_seckey_file_encrypted(KAT_SEC, strlen(KAT_SEC)), 0);
    assert_int_equal(fuin_seckey_parse(KAT_SEC, strlen(KAT_SEC), NULL, 0, &sk, err, sizeof err),
                     FUIN_OK);
    fuin_seckey_public(sk, &pk3);
    assert_memory_equal(&pk, &pk3, sizeof pk);

    /* prehashed signature */
    v = fuin_verifier_new();
    assert_non_null(v);
    assert_int_equal(fuin_verifier_load(v, KAT_SIG, strlen(KAT_SIG)), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 1);
    assert_string_equal(fuin_verifier_trusted_comment(v), "my comment");
    fuin_verifier_keyid(v, kid);
    assert_memory_equal(kid, KAT_KEYID, 8);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)KAT_MSG, 6), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    assert_string_equal(fuin_verifier_errmsg(v), "no error");
    fuin_verifier_free(v);

    /* legacy signature */
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, KAT_LEGACY_SIG, strlen(KAT_LEGACY_SIG)), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 0);
    assert_string_equal(fuin_verifier_trusted_comment(v), "timestamp:1795633826\tfile:f");
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)KAT_MSG, 3), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)KAT_MSG + 3, 3), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    assert_int_equal(verify_buf(KAT_LEGACY_SIG, strlen(KAT_LEGACY_SIG), "hello!", 6, &pk),
                     FUIN_E_SIGNATURE);

    /* Ed25519 is deterministic: fuin signing with the stock key and the same
     * comments reproduces stock minisign's .minisig exactly */
    sig = sign_buf(sk, KAT_MSG, 6, NULL, "my comment");
    assert_string_equal(sig, KAT_SIG);
    free(sig);
    fuin_seckey_free(sk);
}

static void test_kat_stock_encrypted_key(void **state)
{
    (void)state;
    fuin_pubkey pk, pk2;
    fuin_seckey *sk = NULL;
    char err[256];
    uint8_t raw[158];

    /* the limits stock minisign writes, which fuin accepts as its maxima */
    seckey_raw(KAT_ESEC, raw);
    assert_int_equal(le64(raw + 38), 33554432u);
    assert_int_equal(le64(raw + 46), 1073741824u);
    assert_int_equal(fuin_seckey_file_encrypted(KAT_ESEC, strlen(KAT_ESEC)), 1);
    assert_int_equal(fuin_seckey_parse(KAT_ESEC, strlen(KAT_ESEC), NULL, 0, &sk, err, sizeof err),
                     FUIN_E_PASSPHRASE);
    assert_null(sk);
    assert_string_equal(err, "the secret key is encrypted: a passphrase is needed");
    /* 1 GiB of scrypt, as minisign */
    assert_int_equal(fuin_seckey_parse(KAT_ESEC, strlen(KAT_ESEC), "pw1", 3, &sk, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(fuin_pubkey_parse(KAT_EPUB, strlen(KAT_EPUB), &pk, NULL, 0), FUIN_OK);
    fuin_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    fuin_seckey_free(sk);
}

/* ---- fuin's own keys, checked against an independent reading ------------- */

static void check_seckey_bytes(const char *text, const char *pass, const fuin_pubkey *pk,
                               uint64_t ops, uint64_t mem)
{
    uint8_t raw[158], chk[32], stream[104];
    crypto_generichash_state hs;

    seckey_raw(text, raw);
    assert_memory_equal(raw, "Ed", 2);
    assert_memory_equal(raw + 4, "B2", 2);
    if (pass == NULL) {
        assert_memory_equal(raw + 2, "\0\0", 2);
        assert_true(sodium_is_zero(raw + 6, 48)); /* salt, limits: as minisign -W */
    } else {
        assert_memory_equal(raw + 2, "Sc", 2);
        assert_int_equal(le64(raw + 38), ops);
        assert_int_equal(le64(raw + 46), mem);
        assert_int_equal(crypto_pwhash_scryptsalsa208sha256(stream, sizeof stream, pass,
                                                            strlen(pass), raw + 6, ops,
                                                            (size_t)mem), 0);
        for (size_t i = 0; i < sizeof stream; i++)
            raw[54 + i] ^= stream[i];
    }
    assert_memory_equal(raw + 54, pk->keyid, 8);
    assert_memory_equal(raw + 62 + 32, pk->pk, 32);
    crypto_generichash_init(&hs, NULL, 0, 32);
    crypto_generichash_update(&hs, (const uint8_t *)"Ed", 2);
    crypto_generichash_update(&hs, raw + 54, 8);
    crypto_generichash_update(&hs, raw + 62, 64);
    crypto_generichash_final(&hs, chk, 32);
    assert_memory_equal(raw + 126, chk, 32);
}

static void check_sig_bytes(const char *sig, const void *msg, size_t len,
                            const fuin_pubkey *pk, const char *untrusted, const char *trusted)
{
    uint8_t s[74], g[64], h[64], *sc;
    char *l0 = nth_line(sig, 0), *l1 = nth_line(sig, 1), *l2 = nth_line(sig, 2),
         *l3 = nth_line(sig, 3), *want;
    size_t tlen = strlen(trusted);

    assert_true(asprintf(&want, "untrusted comment: %s", untrusted) > 0);
    assert_string_equal(l0, want);
    free(want);
    assert_true(asprintf(&want, "trusted comment: %s", trusted) > 0);
    assert_string_equal(l2, want);
    free(want);
    assert_int_equal(strlen(l1), 100);
    assert_int_equal(strlen(l3), 88);
    b64_decode(s, 74, l1, 100);
    b64_decode(g, 64, l3, 88);
    assert_memory_equal(s, "ED", 2);
    assert_memory_equal(s + 2, pk->keyid, 8);
    crypto_generichash(h, 64, msg, len, NULL, 0);
    assert_int_equal(crypto_sign_verify_detached(s + 10, h, 64, pk->pk), 0);
    sc = malloc(64 + tlen);
    assert_non_null(sc);
    memcpy(sc, s + 10, 64);
    memcpy(sc + 64, trusted, tlen);
    assert_int_equal(crypto_sign_verify_detached(g, sc, 64 + tlen, pk->pk), 0);
    free(sc);
    /* exactly four LF-terminated lines */
    assert_int_equal(strlen(sig), strlen(l0) + strlen(l1) + strlen(l2) + strlen(l3) + 4);
    free(l0);
    free(l1);
    free(l2);
    free(l3);
}

static void test_roundtrip_unencrypted(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    fuin_pubkey pk, pk2, pk3;
    char pubtext[256], hex[FUIN_KEYID_HEX], *want, *sectext = NULL, *sig, *l0;
    size_t seclen = 0;
    const char msg[] = "fuin round trip 封印\n";

    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    assert_non_null(sk);
    fuin_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);

    fuin_keyid_hex(pk.keyid, hex);
    assert_int_equal(fuin_pubkey_format(&pk, NULL, pubtext, sizeof pubtext), 113);
    assert_true(asprintf(&want, "untrusted comment: minisign public key %s\n", hex) > 0);
    assert_memory_equal(pubtext, want, strlen(want));
    assert_int_equal(pubtext[112], '\n');
    free(want);
    assert_int_equal(fuin_pubkey_parse(pubtext, strlen(pubtext), &pk3, NULL, 0), FUIN_OK);
    assert_memory_equal(&pk, &pk3, sizeof pk);

    assert_int_equal(fuin_seckey_format(sk, NULL, 0, 0, 0, &sectext, &seclen), FUIN_OK);
    assert_int_equal(seclen, strlen(sectext));
    l0 = nth_line(sectext, 0);
    assert_string_equal(l0, "untrusted comment: minisign unencrypted secret key");
    free(l0);
    assert_int_equal(seclen, 51 + 212 + 1);
    check_seckey_bytes(sectext, NULL, &pk, 0, 0);
    assert_int_equal(fuin_seckey_file_encrypted(sectext, seclen), 0);
    assert_int_equal(fuin_seckey_parse(sectext, seclen, NULL, 0, &sk2, NULL, 0), FUIN_OK);
    fuin_seckey_public(sk2, &pk3);
    assert_memory_equal(&pk, &pk3, sizeof pk);
    fuin_secret_free(sectext);

    sig = sign_buf(sk2, msg, strlen(msg), NULL, "timestamp:1\tfile:x\thashed");
    check_sig_bytes(sig, msg, strlen(msg), &pk, "signature from minisign secret key",
                    "timestamp:1\tfile:x\thashed");
    assert_int_equal(verify_buf(sig, strlen(sig), msg, strlen(msg), &pk), FUIN_OK);
    free(sig);

    /* custom untrusted comment, empty trusted comment */
    sig = sign_buf(sk, msg, strlen(msg), "hello there", "");
    check_sig_bytes(sig, msg, strlen(msg), &pk, "hello there", "");
    assert_int_equal(verify_buf(sig, strlen(sig), msg, strlen(msg), &pk), FUIN_OK);
    free(sig);

    /* empty file */
    sig = sign_buf(sk, NULL, 0, NULL, "empty");
    check_sig_bytes(sig, "", 0, &pk, "signature from minisign secret key", "empty");
    assert_int_equal(verify_buf(sig, strlen(sig), NULL, 0, &pk), FUIN_OK);
    free(sig);

    fuin_seckey_free(sk);
    fuin_seckey_free(sk2);
}

static void test_roundtrip_encrypted(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    fuin_pubkey pk, pk2;
    char *t1 = NULL, *t2 = NULL, *l0, *sig, err[256];
    size_t n1 = 0, n2 = 0;
    uint8_t r1[158], r2[158];

    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &t1, &n1), FUIN_OK);
    l0 = nth_line(t1, 0);
    assert_string_equal(l0, "untrusted comment: minisign encrypted secret key");
    free(l0);
    check_seckey_bytes(t1, PASS, &pk, T_OPS, T_MEM);
    assert_int_equal(fuin_seckey_file_encrypted(t1, n1), 1);

    /* a fresh salt each time */
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &t2, &n2), FUIN_OK);
    seckey_raw(t1, r1);
    seckey_raw(t2, r2);
    assert_memory_not_equal(r1 + 6, r2 + 6, 32);
    fuin_secret_free(t2);

    assert_int_equal(fuin_seckey_parse(t1, n1, PASS, strlen(PASS), &sk2, err, sizeof err), FUIN_OK);
    assert_string_equal(err, "");
    fuin_seckey_public(sk2, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    sig = sign_buf(sk2, "data", 4, NULL, "c");
    assert_int_equal(verify_buf(sig, strlen(sig), "data", 4, &pk), FUIN_OK);
    free(sig);
    fuin_seckey_free(sk2);
    sk2 = NULL;

    assert_int_equal(fuin_seckey_parse(t1, n1, NULL, 0, &sk2, err, sizeof err), FUIN_E_PASSPHRASE);
    assert_null(sk2);
    fuin_secret_free(t1);

    /* passphrases minisign could not type back are refused */
    assert_int_equal(fuin_seckey_format(sk, "", 0, T_OPS, T_MEM, &t1, NULL), FUIN_E_INVALID);
    assert_null(t1);
    assert_int_equal(fuin_seckey_format(sk, "a\nb", 3, T_OPS, T_MEM, &t1, NULL), FUIN_E_INVALID);
    assert_int_equal(fuin_seckey_format(sk, "a\rb", 3, T_OPS, T_MEM, &t1, NULL), FUIN_E_INVALID);
    assert_int_equal(fuin_seckey_format(sk, "a\0b", 3, T_OPS, T_MEM, &t1, NULL), FUIN_E_INVALID);
    {
        char longpass[1025];
        memset(longpass, 'x', sizeof longpass);
        assert_int_equal(fuin_seckey_format(sk, longpass, 1024, T_OPS, T_MEM, &t1, NULL),
                         FUIN_E_INVALID);
        assert_int_equal(fuin_seckey_format(sk, longpass, 1023, T_OPS, T_MEM, &t1, &n1), FUIN_OK);
        assert_int_equal(fuin_seckey_parse(t1, n1, longpass, 1023, &sk2, NULL, 0), FUIN_OK);
        fuin_seckey_free(sk2);
        fuin_secret_free(t1);
    }
    fuin_seckey_free(sk);
}

static void test_default_limits(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    fuin_pubkey pk, pk2;
    char *t = NULL;
    size_t n = 0;

    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), 0, 0, &t, &n), FUIN_OK);
    check_seckey_bytes(t, PASS, &pk, 1048576u, 8388608u);
    assert_int_equal(fuin_seckey_parse(t, n, PASS, strlen(PASS), &sk2, NULL, 0), FUIN_OK);
    fuin_seckey_public(sk2, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    fuin_secret_free(t);
    fuin_seckey_free(sk);
    fuin_seckey_free(sk2);
}

static void test_wrong_passphrase(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    char *t = NULL, err[256];
    size_t n = 0;

    assert_int_equal(fuin_seckey_generate(&sk, NULL), FUIN_OK);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &t, &n), FUIN_OK);
    assert_int_equal(fuin_seckey_parse(t, n, "correct horse battery staple 2025",
                                       strlen(PASS), &sk2, err, sizeof err), FUIN_E_NO_MATCH);
    assert_null(sk2);
    assert_string_equal(err, "wrong passphrase or corrupted secret key (checksum)");
    assert_int_equal(fuin_seckey_parse(t, n, "", 0, &sk2, err, sizeof err), FUIN_E_NO_MATCH);
    /* a prefix of the right passphrase is still wrong */
    assert_int_equal(fuin_seckey_parse(t, n, PASS, strlen(PASS) - 1, &sk2, err, sizeof err),
                     FUIN_E_NO_MATCH);
    /* err is truncated, NUL-terminated */
    assert_int_equal(fuin_seckey_parse(t, n, "x", 1, &sk2, err, 6), FUIN_E_NO_MATCH);
    assert_string_equal(err, "wrong");
    fuin_secret_free(t);
    fuin_seckey_free(sk);
}

static void test_corrupted_seckey(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    fuin_pubkey pk;
    char *t = NULL, *bad, err[256];
    size_t n = 0;
    uint8_t raw[158], orig[158], chk[32];
    crypto_generichash_state hs;

    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);

    /* unencrypted: a flipped checksum byte */
    assert_int_equal(fuin_seckey_format(sk, NULL, 0, 0, 0, &t, &n), FUIN_OK);
    seckey_raw(t, orig);
    fuin_secret_free(t);
    memcpy(raw, orig, sizeof raw);
    raw[126 + 5] ^= 0x01;
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, err, sizeof err), FUIN_E_KEY);
    assert_null(sk2);
    assert_string_equal(err, "corrupted secret key (checksum)");
    free(bad);
    /* unencrypted: a flipped secret key byte (checksum no longer matches) */
    memcpy(raw, orig, sizeof raw);
    raw[62 + 3] ^= 0x80;
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "corrupted secret key (checksum)");
    free(bad);
    /* no checksum (as stock -W) but a corrupted public half: caught anyway */
    memcpy(raw, orig, sizeof raw);
    memset(raw + 126, 0, 32);
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, NULL, 0), FUIN_OK);
    fuin_seckey_free(sk2);
    free(bad);
    raw[62 + 40] ^= 0x04;
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "corrupted secret key (public half does not match the seed)");
    free(bad);
    /* ... even when the checksum was recomputed over the bad key */
    crypto_generichash_init(&hs, NULL, 0, 32);
    crypto_generichash_update(&hs, raw, 2);
    crypto_generichash_update(&hs, raw + 54, 8);
    crypto_generichash_update(&hs, raw + 62, 64);
    crypto_generichash_final(&hs, chk, 32);
    memcpy(raw + 126, chk, 32);
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "corrupted secret key (public half does not match the seed)");
    free(bad);

    /* encrypted: a flipped checksum byte reads as a wrong passphrase */
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &t, &n), FUIN_OK);
    seckey_raw(t, raw);
    fuin_secret_free(t);
    raw[126 + 31] ^= 0x40;
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), PASS, strlen(PASS), &sk2, err, sizeof err),
                     FUIN_E_NO_MATCH);
    assert_string_equal(err, "wrong passphrase or corrupted secret key (checksum)");
    free(bad);
    fuin_seckey_free(sk);
}

static void test_seckey_limits(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *sk2 = NULL;
    char *t = NULL, *bad, err[256];
    size_t n = 0;
    uint8_t raw[158];

    assert_int_equal(fuin_seckey_generate(&sk, NULL), FUIN_OK);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &t, &n), FUIN_OK);
    seckey_raw(t, raw);
    fuin_secret_free(t);

    put_le64(raw + 46, FUIN_MAX_MINISIGN_MEMLIMIT + 1);
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), PASS, strlen(PASS), &sk2, err, sizeof err),
                     FUIN_E_LIMIT);
    assert_null(sk2);
    assert_string_equal(err, "secret key KDF limits too high (opslimit 32768, memlimit "
                             "1073741825; at most 67108864 and 1073741824)");
    free(bad);
    put_le64(raw + 46, T_MEM);
    put_le64(raw + 38, FUIN_MAX_MINISIGN_OPSLIMIT + 1);
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), PASS, strlen(PASS), &sk2, NULL, 0),
                     FUIN_E_LIMIT);
    free(bad);
    put_le64(raw + 38, UINT64_MAX);
    put_le64(raw + 46, UINT64_MAX);
    bad = seckey_text(raw);
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), PASS, strlen(PASS), &sk2, NULL, 0),
                     FUIN_E_LIMIT);
    /* without a passphrase the question does not arise yet */
    assert_int_equal(fuin_seckey_parse(bad, strlen(bad), NULL, 0, &sk2, NULL, 0), FUIN_E_PASSPHRASE);
    free(bad);

    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS,
                                        FUIN_MAX_MINISIGN_MEMLIMIT + 1, &t, NULL), FUIN_E_LIMIT);
    assert_null(t);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), FUIN_MAX_MINISIGN_OPSLIMIT + 1,
                                        T_MEM, &t, NULL), FUIN_E_LIMIT);
    assert_null(t);
    fuin_seckey_free(sk);
}

static void test_seckey_malformed(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL;
    char *t = NULL, *bad, err[256];
    uint8_t raw[158], orig[158];
    size_t n = 0;
    struct {
        size_t off;
        const char *bytes;
        const char *msg;
    } alg[] = {
        {0, "ED", "unsupported signature algorithm in the secret key"},
        {4, "B3", "unsupported checksum function in the secret key"},
        {2, "Ar", "unsupported key derivation function in the secret key"},
    };

    assert_int_equal(fuin_seckey_generate(&sk, NULL), FUIN_OK);
    assert_int_equal(fuin_seckey_format(sk, NULL, 0, 0, 0, &t, &n), FUIN_OK);
    seckey_raw(t, orig);
    for (size_t i = 0; i < sizeof alg / sizeof alg[0]; i++) {
        fuin_seckey *x = NULL;
        memcpy(raw, orig, sizeof raw);
        memcpy(raw + alg[i].off, alg[i].bytes, 2);
        bad = seckey_text(raw);
        assert_int_equal(fuin_seckey_parse(bad, strlen(bad), PASS, 3, &x, err, sizeof err),
                         FUIN_E_KEY);
        assert_string_equal(err, alg[i].msg);
        assert_int_equal(fuin_seckey_file_encrypted(bad, strlen(bad)), -1);
        free(bad);
    }
    /* truncations: every cut before the end of the base64 fails */
    for (size_t cut = 0; cut + 1 < n; cut++) {
        fuin_seckey *x = NULL;
        fuin_status st = fuin_seckey_parse(t, cut, NULL, 0, &x, err, sizeof err);
        assert_int_equal(st, FUIN_E_KEY);
        assert_null(x);
        assert_true(err[0] != '\0');
    }
    /* without the final LF it is still a key (minisign reads it too) */
    assert_int_equal(fuin_seckey_parse(t, n - 1, NULL, 0, &sk, NULL, 0), FUIN_OK);
    fuin_seckey_free(sk);
    assert_int_equal(fuin_seckey_parse(t, 0, NULL, 0, &sk, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "error while loading the secret key file: expected a comment "
                             "line and a key line");
    /* garbage in the base64 */
    t[60] = '*';
    assert_int_equal(fuin_seckey_parse(t, n, NULL, 0, &sk, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "base64 conversion failed - was an actual secret key given?");
    fuin_secret_free(t);
    assert_int_equal(fuin_seckey_parse(NULL, 0, NULL, 0, &sk, NULL, 0), FUIN_E_INVALID);
    assert_int_equal(fuin_seckey_file_encrypted("x\ny\n", 4), -1);
}

static void test_pubkey_parse_format(void **state)
{
    (void)state;
    fuin_pubkey pk;
    char buf[256], err[256];
    char *crlf = "untrusted comment: minisign public key 9EDFF8B4E863A173\r\n"
                 "RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G\r\n";
    char *nolf = "x\nRWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G";
    char *edalg = "x\nRURzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G\n";
    size_t n;

    assert_int_equal(fuin_pubkey_parse(crlf, strlen(crlf), &pk, err, sizeof err), FUIN_OK);
    assert_memory_equal(pk.keyid, KAT_KEYID, 8);
    assert_int_equal(fuin_pubkey_parse(nolf, strlen(nolf), &pk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_pubkey_parse(edalg, strlen(edalg), &pk, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "unsupported signature algorithm in the public key");
    assert_int_equal(fuin_pubkey_parse(KAT_PUB, 40, &pk, err, sizeof err), FUIN_E_KEY);
    assert_string_equal(err, "error while loading the public key file: expected a comment "
                             "line and a key line");
    assert_int_equal(fuin_pubkey_parse(KAT_PUB, strlen(KAT_PUB) - 2, &pk, err, sizeof err),
                     FUIN_E_KEY);
    assert_string_equal(err, "base64 conversion failed - was an actual public key given?");
    /* the bare base64 form takes no line end (as minisign -P) */
    assert_int_equal(fuin_pubkey_from_base64("RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G\n",
                                             &pk), FUIN_E_KEY);
    assert_int_equal(fuin_pubkey_from_base64("", &pk), FUIN_E_KEY);
    /* libsodium 1.0.18 alone would decode any byte >= 0x80 as '/' */
    assert_int_equal(fuin_pubkey_from_base64("RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G",
                                             &pk), FUIN_OK);
    assert_int_equal(fuin_pubkey_from_base64("RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe\xfawI7KaRhm1ibW5NwAWWo7G",
                                             &pk), FUIN_E_KEY);
    assert_int_equal(fuin_pubkey_from_base64("RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe\x80wI7KaRhm1ibW5NwAWWo7G",
                                             &pk), FUIN_E_KEY);
    assert_int_equal(fuin_pubkey_from_base64(NULL, &pk), FUIN_E_INVALID);
    /* the secret key is not a public key */
    assert_int_equal(fuin_pubkey_parse(KAT_SEC, strlen(KAT_SEC), &pk, NULL, 0), FUIN_E_KEY);

    assert_int_equal(fuin_pubkey_parse(KAT_PUB, strlen(KAT_PUB), &pk, NULL, 0), FUIN_OK);
    n = fuin_pubkey_format(&pk, "fuin: 山田 花子", buf, sizeof buf);
    assert_string_equal(buf, "untrusted comment: fuin: 山田 花子\n"
                             "RWRzoWPotPjfnrJLV9ee7kiMocJusLKdGe/wI7KaRhm1ibW5NwAWWo7G\n");
    assert_int_equal(n, strlen(buf));
    /* snprintf-like truncation */
    assert_int_equal(fuin_pubkey_format(&pk, NULL, buf, 10), strlen(KAT_PUB));
    assert_string_equal(buf, "untrusted");
    assert_int_equal(fuin_pubkey_format(&pk, NULL, NULL, 0), strlen(KAT_PUB));
    assert_int_equal(fuin_pubkey_base64(&pk, buf, 5), 56);
    assert_string_equal(buf, "RWRz");
    assert_int_equal(fuin_pubkey_format(&pk, "two\nlines", buf, sizeof buf), 0);
    assert_int_equal(fuin_pubkey_format(&pk, "cr\r", buf, sizeof buf), 0);
}

/* ---- verification failures ------------------------------------------------ */

static char *replace_once(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    char *out;
    assert_non_null(p);
    assert_true(asprintf(&out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from)) > 0);
    return out;
}

static void test_verify_failures(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL, *other = NULL, *twin = NULL;
    fuin_pubkey pk, opk, tpk;
    fuin_verifier *v;
    const char msg[] = "the released file\n";
    char *sig, *bad, *l1, *nl1, *b;
    uint8_t s[74];
    char hex[FUIN_KEYID_HEX], ohex[FUIN_KEYID_HEX], want[256];

    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    assert_int_equal(fuin_seckey_generate(&other, &opk), FUIN_OK);
    sig = sign_buf(sk, msg, strlen(msg), NULL, "timestamp:1764093600\tfile:a.txt\thashed");
    assert_int_equal(verify_buf(sig, strlen(sig), msg, strlen(msg), &pk), FUIN_OK);

    /* modified file */
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, sig, strlen(sig)), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)"the released filE\n", strlen(msg)),
                     FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_SIGNATURE);
    assert_string_equal(fuin_verifier_errmsg(v), "signature verification failed");
    fuin_verifier_free(v);
    assert_int_equal(verify_buf(sig, strlen(sig), msg, strlen(msg) - 1, &pk), FUIN_E_SIGNATURE);
    assert_int_equal(verify_buf(sig, strlen(sig), "the released file\n\n", strlen(msg) + 1, &pk),
                     FUIN_E_SIGNATURE);

    /* modified trusted comment */
    bad = replace_once(sig, "a.txt", "b.txt");
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, bad, strlen(bad)), FUIN_OK);
    assert_string_equal(fuin_verifier_trusted_comment(v), "timestamp:1764093600\tfile:b.txt\thashed");
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)msg, strlen(msg)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_COMMENT);
    assert_string_equal(fuin_verifier_errmsg(v), "comment signature verification failed");
    fuin_verifier_free(v);
    free(bad);
    /* a trusted comment cut short is modified too */
    bad = replace_once(sig, "\thashed\n", "\n");
    assert_int_equal(verify_buf(bad, strlen(bad), msg, strlen(msg), &pk), FUIN_E_COMMENT);
    free(bad);

    /* the untrusted comment is not signed: changing it is fine */
    bad = replace_once(sig, "signature from minisign secret key", "anything at all");
    assert_int_equal(verify_buf(bad, strlen(bad), msg, strlen(msg), &pk), FUIN_OK);
    free(bad);

    /* wrong key: reports both ids */
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, sig, strlen(sig)), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)msg, strlen(msg)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &opk), FUIN_E_WRONG_KEY);
    fuin_keyid_hex(pk.keyid, hex);
    fuin_keyid_hex(opk.keyid, ohex);
    snprintf(want, sizeof want, "signature key id is %s but the key id in the public key is %s",
             hex, ohex);
    assert_string_equal(fuin_verifier_errmsg(v), want);
    /* final may be repeated with another key without the message again */
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    assert_string_equal(fuin_verifier_errmsg(v), "no error");
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)msg, 1), FUIN_E_STATE);
    fuin_verifier_free(v);

    /* another key claiming the same id: the signature itself fails */
    assert_int_equal(fuin_seckey_generate(&twin, &tpk), FUIN_OK);
    memcpy(tpk.keyid, pk.keyid, 8);
    assert_int_equal(verify_buf(sig, strlen(sig), msg, strlen(msg), &tpk), FUIN_E_SIGNATURE);

    /* a modified global signature */
    l1 = nth_line(sig, 3);
    nl1 = strdup(l1);
    nl1[10] = nl1[10] == 'A' ? 'B' : 'A';
    bad = replace_once(sig, l1, nl1);
    assert_int_equal(verify_buf(bad, strlen(bad), msg, strlen(msg), &pk), FUIN_E_COMMENT);
    free(bad);
    free(l1);
    free(nl1);

    /* "ED" relabelled "Ed": now read as a legacy signature over the file */
    l1 = nth_line(sig, 1);
    b64_decode(s, 74, l1, strlen(l1));
    s[1] = 'd';
    b = b64_encode(s, 74);
    bad = replace_once(sig, l1, b);
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, bad, strlen(bad)), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 0);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)msg, strlen(msg)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_SIGNATURE);
    fuin_verifier_free(v);
    free(bad);
    free(b);
    /* a flipped signature byte */
    b64_decode(s, 74, l1, strlen(l1));
    s[40] ^= 0x20;
    b = b64_encode(s, 74);
    bad = replace_once(sig, l1, b);
    assert_int_equal(verify_buf(bad, strlen(bad), msg, strlen(msg), &pk), FUIN_E_SIGNATURE);
    free(bad);
    free(b);
    free(l1);

    free(sig);
    fuin_seckey_free(sk);
    fuin_seckey_free(other);
    fuin_seckey_free(twin);
}

static void test_sigformat(void **state)
{
    (void)state;
    char err[256];
    size_t n = strlen(KAT_SIG);
    size_t l4 = strlen(KAT_SIG) - 89; /* start of the global signature line */
    size_t e1 = (size_t)(strchr(KAT_SIG, '\n') - KAT_SIG) + 1;   /* end of line 1 */
    size_t e2 = (size_t)(strchr(KAT_SIG + e1, '\n') - KAT_SIG) + 1; /* end of line 2 */
    char *bad, *sig;
    uint8_t s[74];

    /* every truncation: fails until the 88 base64 characters of line 4 are in */
    for (size_t cut = 0; cut < n; cut++) {
        fuin_status st = load_only(KAT_SIG, cut, err, sizeof err);
        if (cut >= l4 + 88) {
            assert_int_equal(st, FUIN_OK);
        } else {
            assert_int_equal(st, FUIN_E_SIGFORMAT);
            assert_true(strlen(err) > 10);
        }
    }
    assert_int_equal(load_only(KAT_SIG, 0, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "empty signature file");
    assert_int_equal(load_only(KAT_SIG, 30, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "untrusted signature comment too long or not terminated");
    assert_int_equal(load_only(KAT_SIG, e1, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "signature line missing");
    assert_int_equal(load_only(KAT_SIG, e1 + 50, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "signature line too long or not terminated");
    assert_int_equal(load_only(KAT_SIG, e2, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "trusted comment not present");
    assert_int_equal(load_only(KAT_SIG, e2 + 10, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "trusted signature comment should start with \"trusted comment: \"");
    assert_int_equal(load_only(KAT_SIG, e2 + 20, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "trusted comment too long or not terminated");
    assert_int_equal(load_only(KAT_SIG, l4, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "global signature line missing");
    assert_int_equal(load_only(KAT_SIG, l4 + 87, err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "base64 conversion failed for the global signature");

    /* `tolen` 0 means strlen(to); otherwise the replacement holds a NUL */
    struct {
        const char *from, *to;
        size_t tolen;
        const char *msg;
    } garble[] = {
        {"untrusted comment: ", "untrusted  comment: ", 0,
         "untrusted signature comment should start with \"untrusted comment: \""},
        {"trusted comment: my", "trusted-comment: my", 0,
         "trusted signature comment should start with \"trusted comment: \""},
        {"RURzoWPo", "RURzo*Po", 0, "base64 conversion failed - was an actual signature given?"},
        {"RURzoWPo", "RURzo\xffPo", 0, "base64 conversion failed - was an actual signature given?"},
        {"y2pzcH8g", "y2pzcH\xafg", 0, "base64 conversion failed for the global signature"},
        {"RURzoWPo", "RURzoWP", 0, "base64 conversion failed - was an actual signature given?"},
        {"OMYw4=", "OMYw4", 0, "base64 conversion failed - was an actual signature given?"},
        {"OMYw4=", "OMYw4==", 0, "base64 conversion failed - was an actual signature given?"},
        {"OMYw4=", "OMYw4=\nextra", 0,
         "trusted signature comment should start with \"trusted comment: \""},
        /* non-canonical: last character with a non-zero unused bit */
        {"OMYw4=", "OMYw5=", 0, "base64 conversion failed - was an actual signature given?"},
        {"rZAA==", "rZAB==", 0, "base64 conversion failed for the global signature"},
        {"rZAA==", "rZAA=", 0, "base64 conversion failed for the global signature"},
        {"y2pzcH8g", "y2pzcH8", 0, "base64 conversion failed for the global signature"},
        {"\ny2pzcH8g", "\n\ny2pzcH8g", 0, "base64 conversion failed for the global signature"},
        {"my comment\n", "my comment", 0, "global signature line missing"},
        {"y2pzcH8g", "y2pz\0H8g", 8, "base64 conversion failed for the global signature"},
        {"my comment", "my\0comment", 10, "trusted comment too long or not terminated"},
        {"from minisign", "from\0minisign", 13,
         "untrusted signature comment too long or not terminated"},
    };
    for (size_t i = 0; i < sizeof garble / sizeof garble[0]; i++) {
        const char *p = strstr(KAT_SIG, garble[i].from);
        size_t pre, fl = strlen(garble[i].from), tot;
        size_t tl = garble[i].tolen ? garble[i].tolen : strlen(garble[i].to);
        assert_non_null(p);
        pre = (size_t)(p - KAT_SIG);
        tot = pre + tl + (n - pre - fl);
        bad = malloc(tot + 1);
        assert_non_null(bad);
        memcpy(bad, KAT_SIG, pre);
        memcpy(bad + pre, garble[i].to, tl);
        memcpy(bad + pre + tl, p + fl, n - pre - fl);
        bad[tot] = '\0';
        assert_int_equal(load_only(bad, tot, err, sizeof err), FUIN_E_SIGFORMAT);
        assert_string_equal(err, garble[i].msg);
        free(bad);
    }

    /* an unknown algorithm */
    sig = nth_line(KAT_SIG, 1);
    b64_decode(s, 74, sig, strlen(sig));
    s[0] = 'X';
    {
        char *b = b64_encode(s, 74);
        bad = replace_once(KAT_SIG, sig, b);
        free(b);
    }
    assert_int_equal(load_only(bad, strlen(bad), err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "unsupported signature algorithm");
    free(bad);
    free(sig);

    /* a signature line one byte longer than minisign's buffer */
    bad = replace_once(KAT_SIG, "OMYw4=\n", "OMYw4=\r\r\n");
    assert_int_equal(load_only(bad, strlen(bad), err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "signature line too long or not terminated");
    free(bad);
    bad = replace_once(KAT_SIG, "OMYw4=\n", "OMYw4=\r\n");
    assert_int_equal(load_only(bad, strlen(bad), err, sizeof err), FUIN_OK);
    free(bad);

    /* a key file is not a signature */
    assert_int_equal(load_only(KAT_PUB, strlen(KAT_PUB), err, sizeof err), FUIN_E_SIGFORMAT);
    assert_string_equal(err, "trusted comment not present");
}

static void test_line_endings(void **state)
{
    (void)state;
    fuin_pubkey pk;
    fuin_verifier *v;
    char *crlf = malloc(2 * sizeof KAT_SIG), *p, *bad;
    const char *q;

    assert_int_equal(fuin_pubkey_parse(KAT_PUB, strlen(KAT_PUB), &pk, NULL, 0), FUIN_OK);
    assert_non_null(crlf);
    for (p = crlf, q = KAT_SIG; *q; q++) {
        if (*q == '\n')
            *p++ = '\r';
        *p++ = *q;
    }
    *p = '\0';
    assert_int_equal(verify_buf(crlf, strlen(crlf), KAT_MSG, 6, &pk), FUIN_OK);
    /* without the final line end */
    assert_int_equal(verify_buf(crlf, strlen(crlf) - 2, KAT_MSG, 6, &pk), FUIN_OK);
    assert_int_equal(verify_buf(crlf, strlen(crlf) - 1, KAT_MSG, 6, &pk), FUIN_OK);
    assert_int_equal(verify_buf(KAT_SIG, strlen(KAT_SIG) - 1, KAT_MSG, 6, &pk), FUIN_OK);
    free(crlf);
    /* anything after the fourth line is ignored, as minisign does */
    assert_true(asprintf(&bad, "%sjunk line\nmore\n", KAT_SIG) > 0);
    assert_int_equal(verify_buf(bad, strlen(bad), KAT_MSG, 6, &pk), FUIN_OK);
    free(bad);
    /* a CR inside the trusted comment line ends it (minisign's trim()):
     * what follows is neither shown nor authenticated */
    bad = replace_once(KAT_SIG, "my comment\n", "my comment\rIGNORED\n");
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, bad, strlen(bad)), FUIN_OK);
    assert_string_equal(fuin_verifier_trusted_comment(v), "my comment");
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)KAT_MSG, 6), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    free(bad);
    bad = replace_once(KAT_SIG, "my comment\n", "my\rcomment\n");
    assert_int_equal(verify_buf(bad, strlen(bad), KAT_MSG, 6, &pk), FUIN_E_COMMENT);
    free(bad);
}

static void test_comment_limits(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    fuin_signer *s;
    fuin_verifier *v;
    char *tc = malloc(FUIN_MAX_TRUSTED_COMMENT + 2), *uc = malloc(FUIN_MAX_UNTRUSTED_COMMENT + 2);
    char *sig = NULL, *bad;
    size_t len = 0;

    assert_non_null(tc);
    assert_non_null(uc);
    memset(tc, 'T', FUIN_MAX_TRUSTED_COMMENT + 1);
    tc[FUIN_MAX_TRUSTED_COMMENT + 1] = '\0';
    memset(uc, 'U', FUIN_MAX_UNTRUSTED_COMMENT + 1);
    uc[FUIN_MAX_UNTRUSTED_COMMENT + 1] = '\0';
    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);

    s = fuin_signer_new(sk);
    assert_non_null(s);
    assert_int_equal(fuin_sign_update(s, (const uint8_t *)"x", 1), FUIN_OK);
    assert_int_equal(fuin_sign_final(s, NULL, tc, &sig, &len), FUIN_E_LIMIT);
    assert_string_equal(fuin_signer_errmsg(s), "trusted comment longer than 8173 bytes");
    assert_null(sig);
    assert_int_equal(fuin_sign_final(s, uc, "ok", &sig, &len), FUIN_E_LIMIT);
    assert_string_equal(fuin_signer_errmsg(s), "untrusted comment longer than 1003 bytes");
    assert_int_equal(fuin_sign_final(s, NULL, "two\nlines", &sig, &len), FUIN_E_INVALID);
    assert_string_equal(fuin_signer_errmsg(s), "comments must be one line (no CR or LF)");
    assert_int_equal(fuin_sign_final(s, "cr\r", "ok", &sig, &len), FUIN_E_INVALID);
    assert_int_equal(fuin_sign_final(s, NULL, NULL, &sig, &len), FUIN_E_INVALID);
    /* argument errors left the signer usable; the longest comments work */
    tc[FUIN_MAX_TRUSTED_COMMENT] = '\0';
    uc[FUIN_MAX_UNTRUSTED_COMMENT] = '\0';
    assert_int_equal(fuin_sign_final(s, uc, tc, &sig, &len), FUIN_OK);
    assert_int_equal(len, 19 + 1003 + 1 + 101 + 17 + 8173 + 1 + 89);
    assert_int_equal(fuin_sign_final(s, NULL, "again", &bad, NULL), FUIN_E_STATE);
    assert_int_equal(fuin_sign_update(s, (const uint8_t *)"x", 1), FUIN_E_STATE);
    fuin_signer_free(s);

    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, sig, len), FUIN_OK);
    assert_int_equal(strlen(fuin_verifier_trusted_comment(v)), FUIN_MAX_TRUSTED_COMMENT);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)"x", 1), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    /* with CRLF the trusted comment line is one byte too long for minisign */
    bad = replace_once(sig, "TTT\n", "TTT\r\n");
    assert_int_equal(load_only(bad, strlen(bad), NULL, 0), FUIN_E_SIGFORMAT);
    free(bad);
    /* the untrusted comment line is at minisign's limit too */
    bad = replace_once(sig, "UUU\n", "UUU\r\n");
    assert_int_equal(load_only(bad, strlen(bad), NULL, 0), FUIN_E_SIGFORMAT);
    free(bad);
    free(sig);
    free(tc);
    free(uc);
    fuin_seckey_free(sk);
}

static void test_legacy_constructed(void **state)
{
    (void)state;
    uint8_t pkb[32], skb[64], raw[42], s[74], g[64], *sc;
    const uint8_t keyid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char msg[] = "a legacy-signed message, signed directly";
    const char *tc = "legacy comment";
    char *pub64, *s64, *g64, *text;
    fuin_pubkey pk;
    fuin_verifier *v;

    crypto_sign_keypair(pkb, skb);
    memcpy(raw, "Ed", 2);
    memcpy(raw + 2, keyid, 8);
    memcpy(raw + 10, pkb, 32);
    pub64 = b64_encode(raw, 42);
    assert_int_equal(fuin_pubkey_from_base64(pub64, &pk), FUIN_OK);
    assert_memory_equal(pk.keyid, keyid, 8);
    assert_memory_equal(pk.pk, pkb, 32);

    memcpy(s, "Ed", 2);
    memcpy(s + 2, keyid, 8);
    crypto_sign_detached(s + 10, NULL, (const uint8_t *)msg, strlen(msg), skb);
    sc = malloc(64 + strlen(tc));
    memcpy(sc, s + 10, 64);
    memcpy(sc + 64, tc, strlen(tc));
    crypto_sign_detached(g, NULL, sc, 64 + strlen(tc), skb);
    free(sc);
    s64 = b64_encode(s, 74);
    g64 = b64_encode(g, 64);
    assert_true(asprintf(&text, "untrusted comment: x\n%s\ntrusted comment: %s\n%s\n", s64, tc,
                         g64) > 0);

    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, text, strlen(text)), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 0);
    for (size_t i = 0; i < strlen(msg); i++)
        assert_int_equal(fuin_verify_update(v, (const uint8_t *)msg + i, 1), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    assert_int_equal(verify_buf(text, strlen(text), msg, strlen(msg) - 1, &pk), FUIN_E_SIGNATURE);

    /* the same signature labelled prehashed is not valid */
    s[1] = 'D';
    free(s64);
    s64 = b64_encode(s, 74);
    free(text);
    assert_true(asprintf(&text, "untrusted comment: x\n%s\ntrusted comment: %s\n%s\n", s64, tc,
                         g64) > 0);
    assert_int_equal(verify_buf(text, strlen(text), msg, strlen(msg), &pk), FUIN_E_SIGNATURE);
    free(text);
    free(s64);
    free(g64);
    free(pub64);
}

static void test_legacy_limit(void **state)
{
    (void)state;
    const size_t max = (size_t)FUIN_MAX_LEGACY_MESSAGE;
    const size_t step = 128u << 20;
    fuin_verifier *v;
    uint8_t *zeros;
    fuin_pubkey pk;

    assert_int_equal(fuin_pubkey_parse(KAT_PUB, strlen(KAT_PUB), &pk, NULL, 0), FUIN_OK);
    /* untouched anonymous pages read as zeros without costing memory */
    zeros = mmap(NULL, step, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(zeros != MAP_FAILED);
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, KAT_LEGACY_SIG, strlen(KAT_LEGACY_SIG)), FUIN_OK);
    for (size_t done = 0; done < max; done += step)
        assert_int_equal(fuin_verify_update(v, zeros, step), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, zeros, 1), FUIN_E_LIMIT);
    assert_string_equal(fuin_verifier_errmsg(v),
                        "legacy (non-prehashed) signature over a file larger than 1 GiB: "
                        "fuin does not hold such a file in memory");
    /* the handle is failed now */
    assert_int_equal(fuin_verify_update(v, zeros, 1), FUIN_E_STATE);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_STATE);
    fuin_verifier_free(v);

    /* prehashed signatures have no such limit: 1 GiB + 1 streams */
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, KAT_SIG, strlen(KAT_SIG)), FUIN_OK);
    for (size_t done = 0; done < max; done += step)
        assert_int_equal(fuin_verify_update(v, zeros, step), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, zeros, 1), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_SIGNATURE);
    fuin_verifier_free(v);
    munmap(zeros, step);
}

static void test_streaming_chunks(void **state)
{
    (void)state;
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    fuin_signer *s;
    fuin_verifier *v;
    size_t len = 300000, off = 0;
    uint8_t *data = malloc(len);
    char *one, *many = NULL;

    assert_non_null(data);
    randombytes_buf(data, len);
    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    one = sign_buf(sk, data, len, NULL, "chunks");
    s = fuin_signer_new(sk);
    fuin_seckey_free(sk); /* the signer holds its own copy */
    for (size_t k = 1; off < len; k = k * 3 + 1) {
        size_t n = k < len - off ? k : len - off;
        assert_int_equal(fuin_sign_update(s, data + off, n), FUIN_OK);
        assert_int_equal(fuin_sign_update(s, data + off, 0), FUIN_OK);
        off += n;
    }
    assert_int_equal(fuin_sign_final(s, NULL, "chunks", &many, NULL), FUIN_OK);
    fuin_signer_free(s);
    assert_string_equal(one, many);

    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, many, strlen(many)), FUIN_OK);
    for (off = 0; off < len; off += 4093)
        assert_int_equal(fuin_verify_update(v, data + off, len - off < 4093 ? len - off : 4093),
                         FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    free(one);
    free(many);
    free(data);
}

static void test_handles(void **state)
{
    (void)state;
    fuin_verifier *v;
    fuin_signer *s;
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    uint8_t kid[8];
    char *out = (char *)1;

    /* NULL is fine everywhere */
    fuin_verifier_free(NULL);
    fuin_signer_free(NULL);
    fuin_seckey_free(NULL);
    fuin_secret_free(NULL);
    assert_string_equal(fuin_verifier_errmsg(NULL), "invalid handle");
    assert_string_equal(fuin_signer_errmsg(NULL), "invalid handle");
    assert_null(fuin_signer_new(NULL));
    assert_int_equal(fuin_sign_update(NULL, NULL, 0), FUIN_E_STATE);
    assert_int_equal(fuin_sign_final(NULL, NULL, "x", &out, NULL), FUIN_E_STATE);
    assert_null(out);
    assert_int_equal(fuin_verifier_load(NULL, "x", 1), FUIN_E_STATE);
    assert_int_equal(fuin_verify_update(NULL, NULL, 0), FUIN_E_STATE);
    assert_int_equal(fuin_verify_final(NULL, &pk), FUIN_E_STATE);
    assert_int_equal(fuin_verifier_prehashed(NULL), -1);
    assert_null(fuin_verifier_trusted_comment(NULL));
    assert_int_equal(fuin_seckey_generate(NULL, &pk), FUIN_E_INVALID);
    memset(&pk, 0x11, sizeof pk);
    fuin_seckey_public(NULL, &pk);
    assert_true(sodium_is_zero((const uint8_t *)&pk, sizeof pk));
    assert_int_equal(fuin_seckey_format(NULL, NULL, 0, 0, 0, &out, NULL), FUIN_E_INVALID);

    /* a handle of another type is refused by its magic */
    v = fuin_verifier_new();
    assert_null(fuin_signer_new((const fuin_seckey *)v));
    assert_int_equal(fuin_sign_update((fuin_signer *)v, (const uint8_t *)"x", 1), FUIN_E_STATE);

    /* verifier state machine */
    assert_string_equal(fuin_verifier_errmsg(v), "no error");
    assert_int_equal(fuin_verifier_prehashed(v), -1);
    assert_null(fuin_verifier_trusted_comment(v));
    memset(kid, 0x22, sizeof kid);
    fuin_verifier_keyid(v, kid);
    assert_true(sodium_is_zero(kid, 8));
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)"x", 1), FUIN_E_STATE);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_STATE);
    assert_int_equal(fuin_verifier_load(v, NULL, 0), FUIN_E_INVALID);
    assert_int_equal(fuin_verifier_load(v, KAT_SIG, strlen(KAT_SIG)), FUIN_OK);
    assert_int_equal(fuin_verifier_load(v, KAT_SIG, strlen(KAT_SIG)), FUIN_E_STATE);
    assert_int_equal(fuin_verify_update(v, NULL, 1), FUIN_E_INVALID);
    assert_int_equal(fuin_verify_final(v, NULL), FUIN_E_INVALID);
    fuin_verifier_free(v);

    /* a failed load leaves a failed handle */
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, "garbage", 7), FUIN_E_SIGFORMAT);
    assert_int_equal(fuin_verifier_load(v, KAT_SIG, strlen(KAT_SIG)), FUIN_E_STATE);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)"x", 1), FUIN_E_STATE);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_E_STATE);
    assert_null(fuin_verifier_trusted_comment(v));
    fuin_verifier_free(v);

    assert_int_equal(fuin_seckey_generate(&sk, NULL), FUIN_OK);
    s = fuin_signer_new(sk);
    assert_string_equal(fuin_signer_errmsg(s), "no error");
    assert_int_equal(fuin_sign_update(s, NULL, 1), FUIN_E_INVALID);
    assert_int_equal(fuin_sign_final(s, NULL, "x", NULL, NULL), FUIN_E_INVALID);
    fuin_signer_free(s);
    fuin_seckey_free(sk);
}

/* ---- live interop with stock minisign -------------------------------------- */

static void test_interop_stock_signs(void **state)
{
    (void)state;
    char pub[512], sec[512], file[512], sigp[512], lsig[512], *out = NULL, *text, *keytext;
    size_t n, kn;
    fuin_pubkey pk, pk2;
    fuin_seckey *sk = NULL;
    fuin_verifier *v;
    const char *tc = "山田 花子\tkey-id:テスト\tclass:C2-I2-A1";
    const char body[] = "stock minisign signs this\n";

    if (!have_minisign())
        skip();
    path_of(pub, sizeof pub, "stock.pub");
    path_of(sec, sizeof sec, "stock.key");
    path_of(file, sizeof file, "stock.txt");
    path_of(sigp, sizeof sigp, "stock.txt.minisig");
    path_of(lsig, sizeof lsig, "stock.legacy.minisig");
    write_file("stock.txt", body, strlen(body));
    {
        char *argv[] = {MINISIGN, "-G", "-W", "-f", "-p", pub, "-s", sec, NULL};
        assert_int_equal(run(argv, NULL), 0);
    }
    {
        char *argv[] = {MINISIGN, "-S", "-m", file, "-s", sec, "-t", (char *)tc, NULL};
        assert_int_equal(run(argv, &out), 0);
        free(out);
    }
    {
        char *argv[] = {MINISIGN, "-S", "-l", "-m", file, "-s", sec, "-x", lsig, NULL};
        assert_int_equal(run(argv, &out), 0);
        free(out);
    }

    text = read_file("stock.pub", &n);
    assert_int_equal(fuin_pubkey_parse(text, n, &pk, NULL, 0), FUIN_OK);
    free(text);
    text = read_file("stock.txt.minisig", &n);
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, text, n), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 1);
    assert_string_equal(fuin_verifier_trusted_comment(v), tc); /* UTF-8 intact */
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)body, strlen(body)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    assert_int_equal(verify_buf(text, n, "stock minisign signs thiS\n", strlen(body), &pk),
                     FUIN_E_SIGNATURE);
    free(text);

    text = read_file("stock.legacy.minisig", &n);
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, text, n), FUIN_OK);
    assert_int_equal(fuin_verifier_prehashed(v), 0);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)body, strlen(body)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
    fuin_verifier_free(v);
    free(text);

    /* the stock unencrypted secret key signs in fuin; stock minisign verifies */
    keytext = read_file("stock.key", &kn);
    assert_int_equal(fuin_seckey_file_encrypted(keytext, kn), 0);
    assert_int_equal(fuin_seckey_parse(keytext, kn, NULL, 0, &sk, NULL, 0), FUIN_OK);
    free(keytext);
    fuin_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    text = sign_buf(sk, body, strlen(body), NULL, "signed by fuin with a stock key");
    write_file("stock.txt.minisig", text, strlen(text));
    free(text);
    {
        char *argv[] = {MINISIGN, "-V", "-Q", "-m", file, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 0);
        assert_string_equal(out, "signed by fuin with a stock key\n");
        free(out);
    }
    fuin_seckey_free(sk);
}

static void test_interop_stock_verifies(void **state)
{
    (void)state;
    char pub[512], file[512], sigp[512], b64[64], pubtext[256], *out = NULL, *sig, *bad;
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    const char body[] = "fuin signs, minisign verifies\n";
    const char *tc = "timestamp:1764093600\tfile:report.pdf\thashed\tfuin:1\tsigner:山田 花子";
    size_t n;

    if (!have_minisign())
        skip();
    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    n = fuin_pubkey_format(&pk, NULL, pubtext, sizeof pubtext);
    write_file("fuin.pub", pubtext, n);
    fuin_pubkey_base64(&pk, b64, sizeof b64);
    path_of(pub, sizeof pub, "fuin.pub");
    path_of(file, sizeof file, "report.pdf");
    path_of(sigp, sizeof sigp, "report.pdf.minisig");
    write_file("report.pdf", body, strlen(body));
    sig = sign_buf(sk, body, strlen(body), NULL, tc);
    write_file("report.pdf.minisig", sig, strlen(sig));

    {
        char *argv[] = {MINISIGN, "-V", "-m", file, "-p", pub, NULL};
        char *want;
        assert_int_equal(run(argv, &out), 0);
        assert_true(asprintf(&want, "Signature and comment signature verified\n"
                                    "Trusted comment: %s\n", tc) > 0);
        assert_string_equal(out, want);
        free(want);
        free(out);
    }
    {
        char *argv[] = {MINISIGN, "-V", "-Q", "-H", "-m", file, "-P", b64, NULL};
        char *want;
        assert_int_equal(run(argv, &out), 0);
        assert_true(asprintf(&want, "%s\n", tc) > 0);
        assert_string_equal(out, want);
        free(want);
        free(out);
    }
    /* modified trusted comment */
    bad = replace_once(sig, "report.pdf", "report.pdX");
    write_file("report.pdf.minisig", bad, strlen(bad));
    free(bad);
    {
        char *argv[] = {MINISIGN, "-V", "-m", file, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 1);
        assert_string_equal(out, "Comment signature verification failed\n");
        free(out);
    }
    /* CRLF line ends and no final newline: minisign reads them as fuin does */
    {
        char *crlf = malloc(2 * strlen(sig) + 1), *p = crlf;
        for (const char *q = sig; *q; q++) {
            if (*q == '\n')
                *p++ = '\r';
            *p++ = *q;
        }
        write_file("report.pdf.minisig", crlf, (size_t)(p - crlf) - 2);
        free(crlf);
        char *argv[] = {MINISIGN, "-V", "-q", "-m", file, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 0);
        assert_string_equal(out, "");
        free(out);
    }
    /* modified file */
    write_file("report.pdf.minisig", sig, strlen(sig));
    write_file("report.pdf", "fuin signs, minisign verifieS\n", strlen(body));
    {
        char *argv[] = {MINISIGN, "-V", "-m", file, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 1);
        assert_string_equal(out, "Signature verification failed\n");
        free(out);
    }
    free(sig);

    /* the longest trusted comment fuin writes is one minisign reads */
    {
        char mc[512], ms[512];
        path_of(mc, sizeof mc, "maxcomment.txt");
        path_of(ms, sizeof ms, "maxcomment.txt.minisig");
        /* re-sign with this key (test_comment_limits used its own) */
        char *tc2 = malloc(FUIN_MAX_TRUSTED_COMMENT + 1);
        memset(tc2, 'T', FUIN_MAX_TRUSTED_COMMENT);
        tc2[FUIN_MAX_TRUSTED_COMMENT] = '\0';
        sig = sign_buf(sk, "x", 1, NULL, tc2);
        write_file("maxcomment.txt", "x", 1);
        write_file("maxcomment.txt.minisig", sig, strlen(sig));
        free(sig);
        free(tc2);
        char *argv[] = {MINISIGN, "-V", "-q", "-m", mc, "-x", ms, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 0);
        free(out);
    }
    fuin_seckey_free(sk);
}

static void test_interop_fuin_key_stock_signs(void **state)
{
    (void)state;
    char pub[512], sec[512], file[512], *out = NULL, *text, pubtext[256], b64[64];
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    size_t n;
    const char body[] = "minisign signs with a fuin key\n";

    if (!have_minisign())
        skip();
    /* a key id whose printed form starts with 0 (see the -R check below) */
    do {
        fuin_seckey_free(sk);
        assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    } while (pk.keyid[7] >= 0x10);
    n = fuin_pubkey_format(&pk, NULL, pubtext, sizeof pubtext);
    write_file("fk.pub", pubtext, n);
    assert_int_equal(fuin_seckey_format(sk, NULL, 0, 0, 0, &text, &n), FUIN_OK);
    write_file("fk.key", text, n);
    fuin_secret_free(text);
    write_file("fk.txt", body, strlen(body));
    path_of(pub, sizeof pub, "fk.pub");
    path_of(sec, sizeof sec, "fk.key");
    path_of(file, sizeof file, "fk.txt");
    {
        char *argv[] = {MINISIGN, "-S", "-m", file, "-s", sec, "-p", pub, "-t", "unencrypted fuin key", NULL};
        assert_int_equal(run(argv, &out), 0);
        free(out);
    }
    text = read_file("fk.txt.minisig", &n);
    assert_int_equal(verify_buf(text, n, body, strlen(body), &pk), FUIN_OK);
    free(text);
    /* minisign -R recreates the same public key from fuin's secret key */
    {
        char rp[512];
        path_of(rp, sizeof rp, "fk.recreated.pub");
        char *argv[] = {MINISIGN, "-R", "-f", "-s", sec, "-p", rp, NULL};
        assert_int_equal(run(argv, &out), 0);
        free(out);
        fuin_pubkey back;
        char hex[FUIN_KEYID_HEX], *l0, *l1, *want1, *want2;
        text = read_file("fk.recreated.pub", &n);
        assert_int_equal(fuin_pubkey_parse(text, n, &back, NULL, 0), FUIN_OK);
        assert_memory_equal(&back, &pk, sizeof pk);
        l1 = nth_line(text, 1);
        assert_int_equal(fuin_pubkey_base64(&pk, b64, sizeof b64), 56);
        assert_string_equal(l1, b64);
        /* minisign 0.11 prints the id in this comment without leading
         * zeros ("%" PRIX64), 0.12 as 16 digits ("%016" PRIX64), which is
         * what fuin writes; nothing reads the comment */
        fuin_keyid_hex(pk.keyid, hex);
        assert_int_equal(hex[0], '0');
        l0 = nth_line(text, 0);
        assert_true(asprintf(&want1, "untrusted comment: minisign public key %s", hex) > 0);
        assert_true(asprintf(&want2, "untrusted comment: minisign public key %s",
                             hex + strspn(hex, "0")) > 0);
        if (strcmp(l0, want1) != 0)
            assert_string_equal(l0, want2);
        free(want1);
        free(want2);
        free(l0);
        free(l1);
        free(text);
    }
    fuin_seckey_free(sk);
}

static void test_interop_pty_fuin_encrypted_key(void **state)
{
    (void)state;
    char pub[512], sec[512], file[512], *out = NULL, *text, pubtext[256];
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    size_t n;
    const char body[] = "signed by stock minisign with a passphrase-protected fuin key\n";
    const char *prompts[] = {"Password: "};

    if (!have_minisign())
        skip();
    assert_int_equal(fuin_seckey_generate(&sk, &pk), FUIN_OK);
    n = fuin_pubkey_format(&pk, NULL, pubtext, sizeof pubtext);
    write_file("enc.pub", pubtext, n);
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), T_OPS, T_MEM, &text, &n), FUIN_OK);
    write_file("enc.key", text, n);
    fuin_secret_free(text);
    write_file("enc.txt", body, strlen(body));
    path_of(pub, sizeof pub, "enc.pub");
    path_of(sec, sizeof sec, "enc.key");
    path_of(file, sizeof file, "enc.txt");

    {
        /* wrong passphrase first: minisign refuses, writes no signature */
        const char *answers[] = {"correct horse battery staple 2025\n"};
        char *argv[] = {MINISIGN, "-S", "-m", file, "-s", sec, "-t", "pty", NULL};
        int rc = run_pty(argv, prompts, answers, 1, &out);
        assert_int_not_equal(rc, 0);
        assert_non_null(strstr(out, "Wrong password for that key"));
        free(out);
        char sp[512];
        path_of(sp, sizeof sp, "enc.txt.minisig");
        assert_int_equal(access(sp, F_OK), -1);
    }
    {
        const char *answers[] = {PASS "\n"};
        char *argv[] = {MINISIGN, "-S", "-m", file, "-s", sec, "-t", "typed through a pty", NULL};
        int rc = run_pty(argv, prompts, answers, 1, &out);
        if (rc != 0)
            print_message("minisign transcript:\n%s\n", out);
        assert_int_equal(rc, 0);
        free(out);
    }
    text = read_file("enc.txt.minisig", &n);
    {
        fuin_verifier *v = fuin_verifier_new();
        assert_int_equal(fuin_verifier_load(v, text, n), FUIN_OK);
        assert_string_equal(fuin_verifier_trusted_comment(v), "typed through a pty");
        assert_int_equal(fuin_verify_update(v, (const uint8_t *)body, strlen(body)), FUIN_OK);
        assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
        fuin_verifier_free(v);
    }
    free(text);

    /* the same with fuin's default limits, as `fuin key new` writes them */
    assert_int_equal(fuin_seckey_format(sk, PASS, strlen(PASS), 0, 0, &text, &n), FUIN_OK);
    write_file("enc.key", text, n);
    fuin_secret_free(text);
    {
        const char *answers[] = {PASS "\n"};
        char *argv[] = {MINISIGN, "-S", "-m", file, "-s", sec, "-t", "default limits", NULL};
        int rc = run_pty(argv, prompts, answers, 1, &out);
        if (rc != 0)
            print_message("minisign transcript:\n%s\n", out);
        assert_int_equal(rc, 0);
        free(out);
    }
    text = read_file("enc.txt.minisig", &n);
    {
        fuin_verifier *v = fuin_verifier_new();
        assert_int_equal(fuin_verifier_load(v, text, n), FUIN_OK);
        assert_string_equal(fuin_verifier_trusted_comment(v), "default limits");
        assert_int_equal(fuin_verify_update(v, (const uint8_t *)body, strlen(body)), FUIN_OK);
        assert_int_equal(fuin_verify_final(v, &pk), FUIN_OK);
        fuin_verifier_free(v);
    }
    free(text);
    fuin_seckey_free(sk);
}

static void test_interop_pty_stock_encrypted_key(void **state)
{
    (void)state;
    char pub[512], sec[512], *out = NULL, *text, *sig;
    fuin_seckey *sk = NULL;
    fuin_pubkey pk, pk2;
    size_t n;
    const char *prompts[] = {"Password: ", "Password (one more time): "};
    const char *answers[] = {PASS "\n", PASS "\n"};

    if (!have_minisign())
        skip();
    path_of(pub, sizeof pub, "se.pub");
    path_of(sec, sizeof sec, "se.key");
    {
        char *argv[] = {MINISIGN, "-G", "-f", "-p", pub, "-s", sec, NULL};
        int rc = run_pty(argv, prompts, answers, 2, &out);
        if (rc != 0)
            print_message("minisign transcript:\n%s\n", out);
        assert_int_equal(rc, 0);
        free(out);
    }
    text = read_file("se.pub", &n);
    assert_int_equal(fuin_pubkey_parse(text, n, &pk, NULL, 0), FUIN_OK);
    free(text);
    text = read_file("se.key", &n);
    assert_int_equal(fuin_seckey_file_encrypted(text, n), 1);
    /* stock limits: 1 GiB of scrypt */
    assert_int_equal(fuin_seckey_parse(text, n, PASS, strlen(PASS), &sk, NULL, 0), FUIN_OK);
    free(text);
    fuin_seckey_public(sk, &pk2);
    assert_memory_equal(&pk, &pk2, sizeof pk);
    sig = sign_buf(sk, "abc", 3, NULL, "fuin with a stock encrypted key");
    write_file("abc.txt", "abc", 3);
    write_file("abc.txt.minisig", sig, strlen(sig));
    free(sig);
    {
        char f[512];
        path_of(f, sizeof f, "abc.txt");
        char *argv[] = {MINISIGN, "-V", "-Q", "-m", f, "-p", pub, NULL};
        assert_int_equal(run(argv, &out), 0);
        assert_string_equal(out, "fuin with a stock encrypted key\n");
        free(out);
    }
    fuin_seckey_free(sk);
}

/* ---- setup ------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    if (fuin_init() != FUIN_OK)
        return -1;
    snprintf(dir, sizeof dir, "%s/fuin-minisign.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyid_hex),
        cmocka_unit_test(test_kat_stock_files),
        cmocka_unit_test(test_kat_stock_encrypted_key),
        cmocka_unit_test(test_roundtrip_unencrypted),
        cmocka_unit_test(test_roundtrip_encrypted),
        cmocka_unit_test(test_default_limits),
        cmocka_unit_test(test_wrong_passphrase),
        cmocka_unit_test(test_corrupted_seckey),
        cmocka_unit_test(test_seckey_limits),
        cmocka_unit_test(test_seckey_malformed),
        cmocka_unit_test(test_pubkey_parse_format),
        cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_sigformat),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_comment_limits),
        cmocka_unit_test(test_legacy_constructed),
        cmocka_unit_test(test_legacy_limit),
        cmocka_unit_test(test_streaming_chunks),
        cmocka_unit_test(test_handles),
        cmocka_unit_test(test_interop_stock_signs),
        cmocka_unit_test(test_interop_stock_verifies),
        cmocka_unit_test(test_interop_fuin_key_stock_signs),
        cmocka_unit_test(test_interop_pty_fuin_encrypted_key),
        cmocka_unit_test(test_interop_pty_stock_encrypted_key),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    /* the project's convention: a missing peer tool is a visible skip (77),
     * never a silent pass */
    if (failed == 0 && skipped_interop) {
        printf("SKIP: stock minisign interop tests were skipped (" MINISIGN " missing)\n");
        return 77;
    }
    return failed;
}
