/* minisign-compatible keys and signatures (see include/fuin/sign.h).
 *
 * Everything here must stay byte-compatible with stock minisign in both
 * directions, so the parsers deliberately reproduce minisign's line reader
 * (fgets into fixed buffers, then trimming at CR/LF) rather than a cleaner
 * grammar: a file minisign reads the same way must give the same result
 * here, and a file fuin writes must be one minisign reads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define SIGALG "Ed"        /* legacy signatures, and every key */
#define SIGALG_HASHED "ED" /* prehashed signatures */
#define KDFALG "Sc"
#define CHKALG "B2"
#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define DEFAULT_SIG_COMMENT "signature from minisign secret key"
#define SECKEY_COMMENT "minisign encrypted secret key"
/* Stock minisign labels -W keys "encrypted" too; fuin says what it wrote. */
#define SECKEY_PLAIN_COMMENT "minisign unencrypted secret key"

/* minisign's line buffers (fgets sizes); a line needs its LF to fit in
 * size - 1 bytes where minisign checks for the LF. */
#define COMMENT_LINE_BUF 1024u
#define TRUSTED_LINE_BUF 8192u
#define B64_BUF(binlen) ((((binlen) + 2u) / 3u * 4u + 1u) + 2u)

#define KEYNUM_SK_BYTES (FUIN_KEYID_BYTES + 64u + 32u)
/* Secret key structure offsets. */
#define SK_OFF_SIGALG 0u
#define SK_OFF_KDFALG 2u
#define SK_OFF_CHKALG 4u
#define SK_OFF_SALT 6u
#define SK_OFF_OPS (SK_OFF_SALT + 32u)
#define SK_OFF_MEM (SK_OFF_OPS + 8u)
#define SK_OFF_KEYNUM (SK_OFF_MEM + 8u)
#define SK_OFF_SK (SK_OFF_KEYNUM + FUIN_KEYID_BYTES)
#define SK_OFF_CHK (SK_OFF_SK + 64u)
#define SK_BYTES (SK_OFF_CHK + 32u) /* 158 */
#define PK_BYTES (2u + FUIN_KEYID_BYTES + 32u) /* 42 */
#define SIG_BYTES (2u + FUIN_KEYID_BYTES + 64u) /* 74 */

#define SK_MAGIC 0x664d536bu
#define SIGNER_MAGIC 0x664d5367u
#define VERIFIER_MAGIC 0x664d5676u

/* Why fuin's defaults are not minisign's: stock minisign uses libsodium's
 * "sensitive" scrypt level (opslimit 2^25, memlimit 1 GiB: several seconds
 * and 1 GiB of RAM per signature), which would dominate signing and break
 * the 16 MiB memory budget of `fuin sign`.  opslimit 2^20 with memlimit
 * 2^23 (8 MiB) is still memory-hard, a few hundredths of a second, and
 * minisign reads whatever limits the file states, so the key stays usable
 * by stock minisign. */
_Static_assert(FUIN_DEFAULT_MINISIGN_OPSLIMIT == 1048576u, "opslimit 2^20");
_Static_assert(FUIN_DEFAULT_MINISIGN_MEMLIMIT == 8388608u, "memlimit 8 MiB: signing stays within 16 MiB RSS");

struct fuin_seckey {
    uint32_t magic;
    uint8_t keyid[FUIN_KEYID_BYTES];
    uint8_t sk[64];
}; /* whole struct in sodium_malloc() memory */

enum { SG_UPDATE, SG_DONE };
struct fuin_signer {
    crypto_generichash_state hs; /* first: 64-byte alignment */
    uint32_t magic;
    int state;
    uint8_t *key; /* sodium_malloc: keyid[8] || sk[64] */
    char errmsg[FUIN_ERRMSG_MAX];
};

enum { V_NEW, V_LOADED, V_FINAL, V_FAILED };
struct fuin_verifier {
    crypto_generichash_state hs;
    uint32_t magic;
    int state;
    int hashed;
    uint8_t keyid[FUIN_KEYID_BYTES];
    uint8_t sig[64];
    uint8_t global_sig[64];
    uint8_t digest[64];
    char *trusted;
    size_t trusted_len;
    uint8_t *msg; /* legacy: the whole file */
    size_t msg_len, msg_cap;
    char errmsg[FUIN_ERRMSG_MAX];
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t le64_load(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

static void le64_store(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)x;
        x >>= 8;
    }
}

/* Decode canonical padded base64 into exactly outlen bytes.  The alphabet
 * is checked here because libsodium 1.0.18's decoder takes every byte from
 * 0x80 to 0xFF for '/' (found by fuzz/fuzz_minisig.c). */
static int b64_exact(uint8_t *out, size_t outlen, const char *b64, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = b64[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '='))
            return -1;
    }
    if (sodium_base642bin(out, outlen, b64, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return n == outlen ? 0 : -1;
}

/* Reproduces fgets(buf, size, fp) followed by minisign's trim(): reads at
 * most size - 1 bytes, stopping after a LF.  Returns 0 when nothing is left
 * (fgets would return NULL).  `content` is what C string functions see after
 * trim(): the bytes before the first NUL, CR or LF.  *complete says whether
 * trim() found the LF, which it cannot past a NUL. */
typedef struct {
    const char *p;
    size_t len, pos;
} reader;

typedef struct {
    const char *raw;
    size_t rawlen;
    const char *content;
    size_t clen;
    int complete;
} line;

static int read_line(reader *r, size_t size, line *l)
{
    size_t start = r->pos, n = 0;
    int nul = 0;

    while (n < size - 1 && r->pos < r->len) {
        char c = r->p[r->pos++];
        n++;
        if (c == '\n')
            break;
    }
    if (n == 0)
        return 0;
    l->raw = r->p + start;
    l->rawlen = n;
    l->content = l->raw;
    l->clen = 0;
    while (l->clen < n && l->raw[l->clen] != '\0' && l->raw[l->clen] != '\r' &&
           l->raw[l->clen] != '\n')
        l->clen++;
    for (size_t i = 0; i < n; i++)
        if (l->raw[i] == '\0')
            nul = 1;
    l->complete = !nul && l->raw[n - 1] == '\n';
    return 1;
}

static int has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* BLAKE2b-256(sig_alg || keyid || sk), minisign's secret key checksum. */
static void seckey_checksum(uint8_t chk[32], const uint8_t *alg,
                            const uint8_t *keyid, const uint8_t *sk)
{
    crypto_generichash_state hs;
    crypto_generichash_init(&hs, NULL, 0, 32);
    crypto_generichash_update(&hs, alg, 2);
    crypto_generichash_update(&hs, keyid, FUIN_KEYID_BYTES);
    crypto_generichash_update(&hs, sk, 64);
    crypto_generichash_final(&hs, chk, 32);
    sodium_memzero(&hs, sizeof hs);
}

static int seckey_ok(const fuin_seckey *sk)
{
    return sk != NULL && sk->magic == SK_MAGIC;
}

static fuin_seckey *seckey_alloc(void)
{
    fuin_seckey *sk = sodium_malloc(sizeof *sk);
    if (sk == NULL)
        return NULL;
    sodium_memzero(sk, sizeof *sk);
    sk->magic = SK_MAGIC;
    return sk;
}

/* ---- key ids --------------------------------------------------------------- */

void fuin_keyid_hex(const uint8_t keyid[FUIN_KEYID_BYTES], char out[FUIN_KEYID_HEX])
{
    static const char hex[] = "0123456789ABCDEF";
    if (out == NULL)
        return;
    if (keyid == NULL) {
        out[0] = '\0';
        return;
    }
    for (int i = 0; i < FUIN_KEYID_BYTES; i++) {
        uint8_t b = keyid[FUIN_KEYID_BYTES - 1 - i];
        out[2 * i] = hex[b >> 4];
        out[2 * i + 1] = hex[b & 15];
    }
    out[2 * FUIN_KEYID_BYTES] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

fuin_status fuin_keyid_from_hex(const char *hex, uint8_t keyid[FUIN_KEYID_BYTES])
{
    uint8_t tmp[FUIN_KEYID_BYTES];
    if (hex == NULL || keyid == NULL)
        return FUIN_E_INVALID;
    if (strlen(hex) != 2 * FUIN_KEYID_BYTES)
        return FUIN_E_KEY;
    for (int i = 0; i < FUIN_KEYID_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return FUIN_E_KEY;
        tmp[FUIN_KEYID_BYTES - 1 - i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(keyid, tmp, sizeof tmp);
    return FUIN_OK;
}

/* ---- key pairs --------------------------------------------------------------- */

fuin_status fuin_seckey_generate(fuin_seckey **out, fuin_pubkey *pk)
{
    uint8_t pub[32];
    fuin_seckey *sk;
    if (out == NULL)
        return FUIN_E_INVALID;
    *out = NULL;
    if ((sk = seckey_alloc()) == NULL)
        return FUIN_E_NOMEM;
    randombytes_buf(sk->keyid, sizeof sk->keyid);
    crypto_sign_keypair(pub, sk->sk);
    *out = sk;
    if (pk != NULL)
        fuin_seckey_public(sk, pk);
    return FUIN_OK;
}

void fuin_seckey_free(fuin_seckey *sk)
{
    if (!seckey_ok(sk))
        return;
    sodium_free(sk); /* wipes */
}

void fuin_seckey_public(const fuin_seckey *sk, fuin_pubkey *pk)
{
    if (pk == NULL)
        return;
    if (!seckey_ok(sk)) {
        memset(pk, 0, sizeof *pk);
        return;
    }
    memcpy(pk->keyid, sk->keyid, sizeof pk->keyid);
    memcpy(pk->pk, sk->sk + 32, 32); /* Ed25519 sk = seed || pk */
}

/* ---- public key files ---------------------------------------------------------- */

static fuin_status pubkey_decode(const char *b64, size_t len, fuin_pubkey *pk,
                                 char *err, size_t errcap)
{
    uint8_t raw[PK_BYTES];
    if (b64_exact(raw, sizeof raw, b64, len) != 0) {
        fuin__set_msg(err, errcap, "base64 conversion failed - was an actual public key given?");
        return FUIN_E_KEY;
    }
    if (memcmp(raw, SIGALG, 2) != 0) {
        fuin__set_msg(err, errcap, "unsupported signature algorithm in the public key");
        return FUIN_E_KEY;
    }
    memcpy(pk->keyid, raw + 2, FUIN_KEYID_BYTES);
    memcpy(pk->pk, raw + 2 + FUIN_KEYID_BYTES, 32);
    return FUIN_OK;
}

fuin_status fuin_pubkey_parse(const char *text, size_t len, fuin_pubkey *pk,
                              char *err, size_t errcap)
{
    reader r = { text, len, 0 };
    line l1, l2;
    fuin__set_msg(err, errcap, "%s", "");
    if (text == NULL || pk == NULL)
        return FUIN_E_INVALID;
    /* minisign reads and ignores the comment line */
    if (!read_line(&r, COMMENT_LINE_BUF, &l1) ||
        !read_line(&r, B64_BUF(PK_BYTES), &l2)) {
        fuin__set_msg(err, errcap, "error while loading the public key file: "
                             "expected a comment line and a key line");
        return FUIN_E_KEY;
    }
    return pubkey_decode(l2.content, l2.clen, pk, err, errcap);
}

fuin_status fuin_pubkey_from_base64(const char *b64, fuin_pubkey *pk)
{
    if (b64 == NULL || pk == NULL)
        return FUIN_E_INVALID;
    return pubkey_decode(b64, strlen(b64), pk, NULL, 0);
}

size_t fuin_pubkey_base64(const fuin_pubkey *pk, char *buf, size_t cap)
{
    uint8_t raw[PK_BYTES];
    char b64[sodium_base64_ENCODED_LEN(PK_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    size_t n;
    if (pk == NULL)
        return 0;
    memcpy(raw, SIGALG, 2);
    memcpy(raw + 2, pk->keyid, FUIN_KEYID_BYTES);
    memcpy(raw + 2 + FUIN_KEYID_BYTES, pk->pk, 32);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    n = strlen(b64);
    if (buf != NULL && cap > 0)
        snprintf(buf, cap, "%s", b64);
    return n;
}

size_t fuin_pubkey_format(const fuin_pubkey *pk, const char *comment, char *buf,
                          size_t cap)
{
    char b64[64], hex[FUIN_KEYID_HEX];
    int n;
    if (pk == NULL)
        return 0;
    if (comment != NULL &&
        (has_crlf(comment) || strlen(comment) > FUIN_MAX_UNTRUSTED_COMMENT))
        return 0;
    fuin_pubkey_base64(pk, b64, sizeof b64);
    fuin_keyid_hex(pk->keyid, hex);
    if (comment != NULL)
        n = snprintf(buf, buf ? cap : 0, UNTRUSTED_PREFIX "%s\n%s\n", comment, b64);
    else
        n = snprintf(buf, buf ? cap : 0,
                     UNTRUSTED_PREFIX "minisign public key %s\n%s\n", hex, b64);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- secret key files ------------------------------------------------------------- */

/* Decode the secret key structure (SK_BYTES) into sodium_malloc() memory. */
static fuin_status seckey_decode(const char *text, size_t len, uint8_t **out,
                                 char *err, size_t errcap)
{
    reader r = { text, len, 0 };
    line l1, l2;
    uint8_t *raw;

    *out = NULL;
    if (!read_line(&r, COMMENT_LINE_BUF, &l1) ||
        !read_line(&r, B64_BUF(SK_BYTES), &l2)) {
        fuin__set_msg(err, errcap, "error while loading the secret key file: "
                             "expected a comment line and a key line");
        return FUIN_E_KEY;
    }
    if ((raw = sodium_malloc(SK_BYTES)) == NULL)
        return FUIN_E_NOMEM;
    if (b64_exact(raw, SK_BYTES, l2.content, l2.clen) != 0) {
        sodium_free(raw);
        fuin__set_msg(err, errcap, "base64 conversion failed - was an actual secret key given?");
        return FUIN_E_KEY;
    }
    /* minisign's order of checks, and its wording */
    if (memcmp(raw + SK_OFF_SIGALG, SIGALG, 2) != 0) {
        fuin__set_msg(err, errcap, "unsupported signature algorithm in the secret key");
    } else if (memcmp(raw + SK_OFF_CHKALG, CHKALG, 2) != 0) {
        fuin__set_msg(err, errcap, "unsupported checksum function in the secret key");
    } else if (memcmp(raw + SK_OFF_KDFALG, KDFALG, 2) != 0 &&
               memcmp(raw + SK_OFF_KDFALG, "\0\0", 2) != 0) {
        fuin__set_msg(err, errcap, "unsupported key derivation function in the secret key");
    } else {
        *out = raw;
        return FUIN_OK;
    }
    sodium_free(raw);
    return FUIN_E_KEY;
}

int fuin_seckey_file_encrypted(const char *text, size_t len)
{
    uint8_t *raw;
    int enc;
    if (text == NULL || seckey_decode(text, len, &raw, NULL, 0) != FUIN_OK)
        return -1;
    enc = memcmp(raw + SK_OFF_KDFALG, KDFALG, 2) == 0;
    sodium_free(raw);
    return enc;
}

static void xor_buf(uint8_t *dst, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] ^= src[i];
}

/* The scrypt stream that masks keyid || sk || checksum. */
static fuin_status kdf_stream(uint8_t *stream, const char *pass, size_t passlen,
                              const uint8_t *salt, uint64_t ops, uint64_t mem)
{
    if (crypto_pwhash_scryptsalsa208sha256(stream, KEYNUM_SK_BYTES, pass, passlen,
                                           salt, ops, (size_t)mem) != 0)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

fuin_status fuin_seckey_parse(const char *text, size_t len, const char *pass,
                              size_t passlen, fuin_seckey **out, char *err,
                              size_t errcap)
{
    uint8_t *raw = NULL, *stream = NULL, *tmp = NULL;
    uint8_t chk[32];
    fuin_seckey *sk = NULL;
    fuin_status st;
    int encrypted;

    fuin__set_msg(err, errcap, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (text == NULL || out == NULL)
        return FUIN_E_INVALID;
    if ((st = seckey_decode(text, len, &raw, err, errcap)) != FUIN_OK)
        return st;
    encrypted = memcmp(raw + SK_OFF_KDFALG, KDFALG, 2) == 0;

    if (encrypted) {
        uint64_t ops = le64_load(raw + SK_OFF_OPS), mem = le64_load(raw + SK_OFF_MEM);
        if (pass == NULL) {
            fuin__set_msg(err, errcap, "the secret key is encrypted: a passphrase is needed");
            st = FUIN_E_PASSPHRASE;
            goto out;
        }
        if (mem > FUIN_MAX_MINISIGN_MEMLIMIT || ops > FUIN_MAX_MINISIGN_OPSLIMIT) {
            fuin__set_msg(err, errcap,
                    "secret key KDF limits too high (opslimit %llu, memlimit %llu; "
                    "at most %llu and %llu)",
                    (unsigned long long)ops, (unsigned long long)mem,
                    (unsigned long long)FUIN_MAX_MINISIGN_OPSLIMIT,
                    (unsigned long long)FUIN_MAX_MINISIGN_MEMLIMIT);
            st = FUIN_E_LIMIT;
            goto out;
        }
        if ((stream = sodium_malloc(KEYNUM_SK_BYTES)) == NULL) {
            st = FUIN_E_NOMEM;
            goto out;
        }
        if (kdf_stream(stream, pass, passlen, raw + SK_OFF_SALT, ops, mem) != FUIN_OK) {
            fuin__set_msg(err, errcap, "unable to complete key derivation (out of memory?)");
            st = FUIN_E_NOMEM;
            goto out;
        }
        xor_buf(raw + SK_OFF_KEYNUM, stream, KEYNUM_SK_BYTES);
    }

    seckey_checksum(chk, raw + SK_OFF_SIGALG, raw + SK_OFF_KEYNUM, raw + SK_OFF_SK);
    if (sodium_memcmp(chk, raw + SK_OFF_CHK, 32) != 0) {
        /* stock `minisign -G -W` never computes the checksum */
        if (encrypted || !sodium_is_zero(raw + SK_OFF_CHK, 32)) {
            if (encrypted) {
                fuin__set_msg(err, errcap, "wrong passphrase or corrupted secret key (checksum)");
                st = FUIN_E_NO_MATCH;
            } else {
                fuin__set_msg(err, errcap, "corrupted secret key (checksum)");
                st = FUIN_E_KEY;
            }
            goto out;
        }
    }

    /* A key whose public half does not belong to its seed would sign with
     * a public key nobody has; minisign does not check, fuin refuses. */
    if ((tmp = sodium_malloc(64 + 32)) == NULL) {
        st = FUIN_E_NOMEM;
        goto out;
    }
    crypto_sign_seed_keypair(tmp + 64, tmp, raw + SK_OFF_SK);
    if (sodium_memcmp(tmp + 64, raw + SK_OFF_SK + 32, 32) != 0) {
        fuin__set_msg(err, errcap, "corrupted secret key (public half does not match the seed)");
        st = FUIN_E_KEY;
        goto out;
    }

    if ((sk = seckey_alloc()) == NULL) {
        st = FUIN_E_NOMEM;
        goto out;
    }
    memcpy(sk->keyid, raw + SK_OFF_KEYNUM, FUIN_KEYID_BYTES);
    memcpy(sk->sk, raw + SK_OFF_SK, 64);
    *out = sk;
    st = FUIN_OK;
out:
    sodium_memzero(chk, sizeof chk);
    sodium_free(tmp);
    sodium_free(stream);
    sodium_free(raw);
    return st;
}

void fuin_secret_free(void *p)
{
    sodium_free(p);
}

fuin_status fuin_seckey_format(const fuin_seckey *sk, const char *pass, size_t passlen,
                               uint64_t opslimit, uint64_t memlimit, char **out,
                               size_t *outlen)
{
    const char *comment = pass != NULL ? SECKEY_COMMENT : SECKEY_PLAIN_COMMENT;
    const size_t b64cap = sodium_base64_ENCODED_LEN(SK_BYTES, sodium_base64_VARIANT_ORIGINAL);
    uint8_t *raw = NULL, *stream = NULL;
    char *text = NULL;
    size_t clen, textlen;
    fuin_status st;

    if (out != NULL)
        *out = NULL;
    if (outlen != NULL)
        *outlen = 0;
    if (!seckey_ok(sk) || out == NULL)
        return FUIN_E_INVALID;
    if (pass != NULL) {
        /* what minisign can read back from its password prompt */
        if (passlen == 0 || passlen > 1023 || memchr(pass, '\0', passlen) != NULL ||
            memchr(pass, '\r', passlen) != NULL || memchr(pass, '\n', passlen) != NULL)
            return FUIN_E_INVALID;
        if (opslimit == 0)
            opslimit = FUIN_DEFAULT_MINISIGN_OPSLIMIT;
        if (memlimit == 0)
            memlimit = FUIN_DEFAULT_MINISIGN_MEMLIMIT;
        if (opslimit > FUIN_MAX_MINISIGN_OPSLIMIT || memlimit > FUIN_MAX_MINISIGN_MEMLIMIT)
            return FUIN_E_LIMIT;
    }

    if ((raw = sodium_malloc(SK_BYTES)) == NULL)
        return FUIN_E_NOMEM;
    sodium_memzero(raw, SK_BYTES); /* unencrypted: salt and limits stay zero */
    memcpy(raw + SK_OFF_SIGALG, SIGALG, 2);
    memcpy(raw + SK_OFF_KDFALG, pass != NULL ? KDFALG : "\0\0", 2);
    memcpy(raw + SK_OFF_CHKALG, CHKALG, 2);
    memcpy(raw + SK_OFF_KEYNUM, sk->keyid, FUIN_KEYID_BYTES);
    memcpy(raw + SK_OFF_SK, sk->sk, 64);
    seckey_checksum(raw + SK_OFF_CHK, raw + SK_OFF_SIGALG, raw + SK_OFF_KEYNUM,
                    raw + SK_OFF_SK);
    if (pass != NULL) {
        randombytes_buf(raw + SK_OFF_SALT, 32);
        le64_store(raw + SK_OFF_OPS, opslimit);
        le64_store(raw + SK_OFF_MEM, memlimit);
        if ((stream = sodium_malloc(KEYNUM_SK_BYTES)) == NULL) {
            st = FUIN_E_NOMEM;
            goto out;
        }
        if ((st = kdf_stream(stream, pass, passlen, raw + SK_OFF_SALT, opslimit,
                             memlimit)) != FUIN_OK)
            goto out;
        xor_buf(raw + SK_OFF_KEYNUM, stream, KEYNUM_SK_BYTES);
    }

    clen = strlen(UNTRUSTED_PREFIX) + strlen(comment) + 1;
    textlen = clen + (b64cap - 1) + 1;
    if ((text = sodium_malloc(textlen + 1)) == NULL) {
        st = FUIN_E_NOMEM;
        goto out;
    }
    snprintf(text, clen + 1, UNTRUSTED_PREFIX "%s\n", comment);
    sodium_bin2base64(text + clen, b64cap, raw, SK_BYTES, sodium_base64_VARIANT_ORIGINAL);
    text[textlen - 1] = '\n';
    text[textlen] = '\0';
    *out = text;
    if (outlen != NULL)
        *outlen = textlen;
    st = FUIN_OK;
out:
    sodium_free(stream);
    sodium_free(raw);
    return st;
}

/* ---- signing ------------------------------------------------------------------------ */

static int signer_ok(const fuin_signer *s)
{
    return s != NULL && s->magic == SIGNER_MAGIC;
}

fuin_signer *fuin_signer_new(const fuin_seckey *sk)
{
    fuin_signer *s;
    if (!seckey_ok(sk))
        return NULL;
    if ((s = aligned_alloc(64, sizeof *s)) == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    if ((s->key = sodium_malloc(FUIN_KEYID_BYTES + 64)) == NULL) {
        free(s);
        return NULL;
    }
    memcpy(s->key, sk->keyid, FUIN_KEYID_BYTES);
    memcpy(s->key + FUIN_KEYID_BYTES, sk->sk, 64);
    crypto_generichash_init(&s->hs, NULL, 0, crypto_generichash_BYTES_MAX);
    s->magic = SIGNER_MAGIC;
    s->state = SG_UPDATE;
    return s;
}

void fuin_signer_free(fuin_signer *s)
{
    if (!signer_ok(s))
        return;
    sodium_free(s->key);
    s->magic = 0;
    free(s);
}

const char *fuin_signer_errmsg(const fuin_signer *s)
{
    if (!signer_ok(s))
        return "invalid handle";
    return s->errmsg[0] ? s->errmsg : "no error";
}

fuin_status fuin_sign_update(fuin_signer *s, const uint8_t *in, size_t len)
{
    if (!signer_ok(s) || s->state != SG_UPDATE)
        return FUIN_E_STATE;
    if (len == 0)
        return FUIN_OK;
    if (in == NULL)
        return FUIN_E_INVALID;
    crypto_generichash_update(&s->hs, in, len);
    return FUIN_OK;
}

/* Appends "<b64 of bin>\n" at p; returns the new end. */
static char *put_b64_line(char *p, const uint8_t *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(p, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
    p += cap - 1;
    *p++ = '\n';
    return p;
}

size_t fuin__minisig_text_len(const char *untrusted, const char *trusted)
{
    if (untrusted == NULL)
        untrusted = DEFAULT_SIG_COMMENT;
    return strlen(UNTRUSTED_PREFIX) + strlen(untrusted) + 1 +
           (sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL) - 1) + 1 +
           strlen(TRUSTED_PREFIX) + strlen(trusted) + 1 +
           (sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL) - 1) + 1;
}

fuin_status fuin_sign_final(fuin_signer *s, const char *untrusted, const char *trusted,
                            char **out, size_t *outlen)
{
    uint8_t digest[crypto_generichash_BYTES_MAX];
    uint8_t sigstruct[SIG_BYTES], global[64];
    uint8_t *signed_comment;
    size_t ulen, tlen, total;
    char *text, *p;

    if (out != NULL)
        *out = NULL;
    if (outlen != NULL)
        *outlen = 0;
    if (!signer_ok(s) || s->state != SG_UPDATE)
        return FUIN_E_STATE;
    if (out == NULL || trusted == NULL) {
        fuin__seterr(s->errmsg, "a trusted comment and an output pointer are required");
        return FUIN_E_INVALID;
    }
    if (untrusted == NULL)
        untrusted = DEFAULT_SIG_COMMENT;
    if (has_crlf(untrusted) || has_crlf(trusted)) {
        fuin__seterr(s->errmsg, "comments must be one line (no CR or LF)");
        return FUIN_E_INVALID;
    }
    ulen = strlen(untrusted);
    tlen = strlen(trusted);
    if (ulen > FUIN_MAX_UNTRUSTED_COMMENT) {
        fuin__seterr(s->errmsg, "untrusted comment longer than %u bytes",
                     FUIN_MAX_UNTRUSTED_COMMENT);
        return FUIN_E_LIMIT;
    }
    if (tlen > FUIN_MAX_TRUSTED_COMMENT) {
        fuin__seterr(s->errmsg, "trusted comment longer than %u bytes",
                     FUIN_MAX_TRUSTED_COMMENT);
        return FUIN_E_LIMIT;
    }
    total = fuin__minisig_text_len(untrusted, trusted);
    if ((text = malloc(total + 1)) == NULL)
        return FUIN_E_NOMEM;
    if ((signed_comment = malloc(64 + tlen)) == NULL) {
        free(text);
        return FUIN_E_NOMEM;
    }

    crypto_generichash_final(&s->hs, digest, sizeof digest);
    s->state = SG_DONE;
    memcpy(sigstruct, SIGALG_HASHED, 2);
    memcpy(sigstruct + 2, s->key, FUIN_KEYID_BYTES);
    crypto_sign_detached(sigstruct + 2 + FUIN_KEYID_BYTES, NULL, digest, sizeof digest,
                         s->key + FUIN_KEYID_BYTES);
    memcpy(signed_comment, sigstruct + 2 + FUIN_KEYID_BYTES, 64);
    memcpy(signed_comment + 64, trusted, tlen);
    crypto_sign_detached(global, NULL, signed_comment, 64 + tlen, s->key + FUIN_KEYID_BYTES);
    free(signed_comment);

    p = text;
    memcpy(p, UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX));
    p += strlen(UNTRUSTED_PREFIX);
    memcpy(p, untrusted, ulen);
    p += ulen;
    *p++ = '\n';
    p = put_b64_line(p, sigstruct, sizeof sigstruct);
    memcpy(p, TRUSTED_PREFIX, strlen(TRUSTED_PREFIX));
    p += strlen(TRUSTED_PREFIX);
    memcpy(p, trusted, tlen);
    p += tlen;
    *p++ = '\n';
    p = put_b64_line(p, global, sizeof global);
    *p = '\0';

    *out = text;
    if (outlen != NULL)
        *outlen = total;
    return FUIN_OK;
}

/* ---- verification -------------------------------------------------------------------- */

static int verifier_ok(const fuin_verifier *v)
{
    return v != NULL && v->magic == VERIFIER_MAGIC;
}

static fuin_status vfail(fuin_verifier *v, fuin_status st, const char *msg)
{
    v->state = V_FAILED;
    fuin__seterr(v->errmsg, "%s", msg);
    return st;
}

fuin_verifier *fuin_verifier_new(void)
{
    fuin_verifier *v = aligned_alloc(64, sizeof *v);
    if (v == NULL)
        return NULL;
    memset(v, 0, sizeof *v);
    v->magic = VERIFIER_MAGIC;
    v->state = V_NEW;
    return v;
}

void fuin_verifier_free(fuin_verifier *v)
{
    if (!verifier_ok(v))
        return;
    free(v->trusted);
    free(v->msg);
    v->magic = 0;
    free(v);
}

const char *fuin_verifier_errmsg(const fuin_verifier *v)
{
    if (!verifier_ok(v))
        return "invalid handle";
    return v->errmsg[0] ? v->errmsg : "no error";
}

fuin_status fuin_verifier_load(fuin_verifier *v, const char *sig, size_t len)
{
    reader r = { sig, len, 0 };
    line l1, l2, l3, l4;
    uint8_t sigstruct[SIG_BYTES];
    const size_t tpre = strlen(TRUSTED_PREFIX);
    size_t tlen;

    if (!verifier_ok(v) || v->state != V_NEW)
        return FUIN_E_STATE;
    if (sig == NULL) {
        fuin__seterr(v->errmsg, "no signature text given");
        return FUIN_E_INVALID;
    }
    /* the order of checks, and the messages, follow minisign */
    if (!read_line(&r, COMMENT_LINE_BUF, &l1))
        return vfail(v, FUIN_E_SIGFORMAT, "empty signature file");
    if (!l1.complete)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "untrusted signature comment too long or not terminated");
    if (l1.clen < strlen(UNTRUSTED_PREFIX) ||
        memcmp(l1.content, UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX)) != 0)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "untrusted signature comment should start with \"" UNTRUSTED_PREFIX "\"");
    if (!read_line(&r, B64_BUF(SIG_BYTES), &l2))
        return vfail(v, FUIN_E_SIGFORMAT, "signature line missing");
    if (!l2.complete)
        return vfail(v, FUIN_E_SIGFORMAT, "signature line too long or not terminated");
    if (!read_line(&r, TRUSTED_LINE_BUF, &l3))
        return vfail(v, FUIN_E_SIGFORMAT, "trusted comment not present");
    if (l3.rawlen < tpre || memcmp(l3.raw, TRUSTED_PREFIX, tpre) != 0)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "trusted signature comment should start with \"" TRUSTED_PREFIX "\"");
    if (!l3.complete)
        return vfail(v, FUIN_E_SIGFORMAT, "trusted comment too long or not terminated");
    if (!read_line(&r, B64_BUF(64), &l4))
        return vfail(v, FUIN_E_SIGFORMAT, "global signature line missing");

    if (b64_exact(sigstruct, sizeof sigstruct, l2.content, l2.clen) != 0)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "base64 conversion failed - was an actual signature given?");
    if (memcmp(sigstruct, SIGALG, 2) == 0)
        v->hashed = 0;
    else if (memcmp(sigstruct, SIGALG_HASHED, 2) == 0)
        v->hashed = 1;
    else
        return vfail(v, FUIN_E_SIGFORMAT, "unsupported signature algorithm");
    if (b64_exact(v->global_sig, sizeof v->global_sig, l4.content, l4.clen) != 0)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "base64 conversion failed for the global signature");

    /* l3.content starts at the prefix; the comment is what follows it */
    tlen = l3.clen - tpre;
    if ((v->trusted = malloc(tlen + 1)) == NULL)
        return vfail(v, FUIN_E_NOMEM, "out of memory");
    memcpy(v->trusted, l3.content + tpre, tlen);
    v->trusted[tlen] = '\0';
    v->trusted_len = tlen;
    memcpy(v->keyid, sigstruct + 2, FUIN_KEYID_BYTES);
    memcpy(v->sig, sigstruct + 2 + FUIN_KEYID_BYTES, 64);
    if (v->hashed)
        crypto_generichash_init(&v->hs, NULL, 0, crypto_generichash_BYTES_MAX);
    v->state = V_LOADED;
    return FUIN_OK;
}

void fuin_verifier_keyid(const fuin_verifier *v, uint8_t keyid[FUIN_KEYID_BYTES])
{
    if (keyid == NULL)
        return;
    if (!verifier_ok(v) || (v->state != V_LOADED && v->state != V_FINAL))
        memset(keyid, 0, FUIN_KEYID_BYTES);
    else
        memcpy(keyid, v->keyid, FUIN_KEYID_BYTES);
}

const char *fuin_verifier_trusted_comment(const fuin_verifier *v)
{
    if (!verifier_ok(v))
        return NULL;
    return v->trusted;
}

int fuin_verifier_prehashed(const fuin_verifier *v)
{
    if (!verifier_ok(v) || v->trusted == NULL)
        return -1;
    return v->hashed;
}

fuin_status fuin_verify_update(fuin_verifier *v, const uint8_t *in, size_t len)
{
    if (!verifier_ok(v) || v->state != V_LOADED)
        return FUIN_E_STATE;
    if (len == 0)
        return FUIN_OK;
    if (in == NULL)
        return FUIN_E_INVALID;
    if (v->hashed) {
        crypto_generichash_update(&v->hs, in, len);
        return FUIN_OK;
    }
    /* legacy "Ed": Ed25519 over the whole file, as minisign (which also
     * loads the file into memory for it) */
    if (len > FUIN_MAX_LEGACY_MESSAGE - v->msg_len)
        return vfail(v, FUIN_E_LIMIT,
                     "legacy (non-prehashed) signature over a file larger than 1 GiB: "
                     "fuin does not hold such a file in memory");
    if (v->msg_len + len > v->msg_cap) {
        size_t cap = v->msg_cap ? v->msg_cap : 65536;
        uint8_t *n;
        while (cap < v->msg_len + len)
            cap = cap > FUIN_MAX_LEGACY_MESSAGE / 2 ? (size_t)FUIN_MAX_LEGACY_MESSAGE : cap * 2;
        if ((n = realloc(v->msg, cap)) == NULL)
            return vfail(v, FUIN_E_NOMEM, "out of memory holding a legacy-signed file");
        v->msg = n;
        v->msg_cap = cap;
    }
    memcpy(v->msg + v->msg_len, in, len);
    v->msg_len += len;
    return FUIN_OK;
}

fuin_status fuin_verify_final(fuin_verifier *v, const fuin_pubkey *pk)
{
    static const uint8_t empty[1];
    const uint8_t *m;
    unsigned long long mlen;
    uint8_t *signed_comment;
    char want[FUIN_KEYID_HEX], have[FUIN_KEYID_HEX];
    int bad;

    if (!verifier_ok(v) || (v->state != V_LOADED && v->state != V_FINAL))
        return FUIN_E_STATE;
    if (pk == NULL) {
        fuin__seterr(v->errmsg, "no public key given");
        return FUIN_E_INVALID;
    }
    if (v->state == V_LOADED) {
        if (v->hashed)
            crypto_generichash_final(&v->hs, v->digest, sizeof v->digest);
        v->state = V_FINAL;
    }
    if (sodium_memcmp(v->keyid, pk->keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(v->keyid, have);
        fuin_keyid_hex(pk->keyid, want);
        fuin__seterr(v->errmsg,
                     "signature key id is %s but the key id in the public key is %s",
                     have, want);
        return FUIN_E_WRONG_KEY;
    }
    if (v->hashed) {
        m = v->digest;
        mlen = sizeof v->digest;
    } else {
        m = v->msg != NULL ? v->msg : empty;
        mlen = v->msg_len;
    }
    if (crypto_sign_verify_detached(v->sig, m, mlen, pk->pk) != 0) {
        fuin__seterr(v->errmsg, "signature verification failed");
        return FUIN_E_SIGNATURE;
    }
    if ((signed_comment = malloc(64 + v->trusted_len)) == NULL) {
        fuin__seterr(v->errmsg, "out of memory");
        return FUIN_E_NOMEM;
    }
    memcpy(signed_comment, v->sig, 64);
    memcpy(signed_comment + 64, v->trusted, v->trusted_len);
    bad = crypto_sign_verify_detached(v->global_sig, signed_comment, 64 + v->trusted_len,
                                      pk->pk) != 0;
    free(signed_comment);
    if (bad) {
        fuin__seterr(v->errmsg, "comment signature verification failed");
        return FUIN_E_COMMENT;
    }
    v->errmsg[0] = '\0';
    return FUIN_OK;
}

fuin_status fuin__verifier_set_hash_state(fuin_verifier *v, const void *state)
{
    if (!verifier_ok(v) || v->state != V_LOADED)
        return FUIN_E_STATE;
    if (!v->hashed)
        return vfail(v, FUIN_E_SIGFORMAT,
                     "legacy (non-prehashed) signature: a package manifest must be "
                     "signed in the prehashed form");
    memcpy(&v->hs, state, sizeof v->hs);
    return FUIN_OK;
}
