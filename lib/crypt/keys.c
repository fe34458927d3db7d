#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define ID_HRP "age-secret-key-"
#define RCPT_HRP "age"
#define X25519_LABEL "age-encryption.org/v1/X25519"
#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"

int fuin__identity_parse(const char *s, uint8_t sk[32])
{
    char hrp[32];
    uint8_t data[64];
    size_t n = 0;
    int r;

    /* age writes identities in uppercase; Bech32 forbids mixed case. */
    r = fuin__bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s);
    if (r != 0)
        return r;
    if (strcmp(hrp, ID_HRP) != 0 || n != 32) {
        sodium_memzero(data, sizeof data);
        return -1;
    }
    memcpy(sk, data, 32);
    sodium_memzero(data, sizeof data);
    return 0;
}

int fuin__recipient_parse(const char *s, uint8_t pk[32])
{
    char hrp[32];
    uint8_t data[64];
    size_t n = 0;
    int r = fuin__bech32_decode(hrp, sizeof hrp, data, sizeof data, &n, s);
    if (r != 0)
        return r;
    if (strcmp(hrp, RCPT_HRP) != 0 || n != 32)
        return -1;
    /* age recipients are lowercase by convention; accept only that. */
    for (const char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return -1;
    memcpy(pk, data, 32);
    return 0;
}

fuin_status fuin_recipient_check(const char *recipient)
{
    uint8_t pk[32];
    if (recipient == NULL)
        return FUIN_E_INVALID;
    return fuin__recipient_parse(recipient, pk) == 0 ? FUIN_OK : FUIN_E_KEY;
}

fuin_status fuin_keygen(char *identity, size_t identity_cap, char *recipient,
                        size_t recipient_cap)
{
    uint8_t *sk;
    uint8_t pk[32];
    fuin_status st = FUIN_OK;

    if (identity == NULL || recipient == NULL)
        return FUIN_E_INVALID;
    sk = sodium_malloc(32);
    if (sk == NULL)
        return FUIN_E_NOMEM;
    randombytes_buf(sk, 32);
    if (crypto_scalarmult_base(pk, sk) != 0 ||
        fuin__bech32_encode(identity, identity_cap, ID_HRP, sk, 32, 1) != 0 ||
        fuin__bech32_encode(recipient, recipient_cap, RCPT_HRP, pk, 32, 0) != 0)
        st = FUIN_E_INVALID;
    sodium_free(sk);
    return st;
}

fuin_status fuin_identity_to_recipient(const char *identity, char *recipient,
                                       size_t recipient_cap)
{
    uint8_t *sk;
    uint8_t pk[32];
    fuin_status st = FUIN_OK;

    if (identity == NULL || recipient == NULL)
        return FUIN_E_INVALID;
    sk = sodium_malloc(32);
    if (sk == NULL)
        return FUIN_E_NOMEM;
    if (fuin__identity_parse(identity, sk) != 0)
        st = FUIN_E_KEY;
    else if (crypto_scalarmult_base(pk, sk) != 0 ||
             fuin__bech32_encode(recipient, recipient_cap, RCPT_HRP, pk, 32, 0) != 0)
        st = FUIN_E_INVALID;
    sodium_free(sk);
    return st;
}

size_t fuin__stanza_write(char *text, size_t cap, const char *const *args,
                          int nargs, const uint8_t *body, size_t bodylen)
{
    size_t pos = 0;
    char b64[100];

#define PUT(p, n)                                                            \
    do {                                                                     \
        if (pos + (n) >= cap)                                                \
            return 0;                                                        \
        memcpy(text + pos, (p), (n));                                        \
        pos += (n);                                                          \
    } while (0)
    PUT("->", 2);
    for (int i = 0; i < nargs; i++) {
        PUT(" ", 1);
        PUT(args[i], strlen(args[i]));
    }
    PUT("\n", 1);
    /* 48 bytes encode to one full 64-column line; always end with a short
     * line, which is empty when the body is a multiple of 48 bytes. */
    for (size_t off = 0;; off += 48) {
        size_t take = bodylen - off < 48 ? bodylen - off : 48;
        /* a stanza without a body (the label) passes body NULL */
        fuin__b64_encode(b64, take ? body + off : body, take);
        PUT(b64, strlen(b64));
        PUT("\n", 1);
        if (take < 48)
            break;
    }
#undef PUT
    text[pos] = '\0';
    return pos;
}

static fuin_status aead_wrap(const uint8_t key[32], const uint8_t *file_key,
                             uint8_t body[32])
{
    static const uint8_t zero_nonce[12];
    unsigned long long clen = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(body, &clen, file_key,
                                              FUIN__FILE_KEY, NULL, 0, NULL,
                                              zero_nonce, key);
    return clen == 32 ? FUIN_OK : FUIN_E_INVALID;
}

static int aead_unwrap(const uint8_t key[32], const uint8_t *body,
                       uint8_t *file_key)
{
    static const uint8_t zero_nonce[12];
    return crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body,
                                                     32, NULL, 0, zero_nonce, key);
}

fuin_status fuin__x25519_wrap(const uint8_t pk[32], const uint8_t *file_key,
                              char *text, size_t cap, size_t *textlen)
{
    uint8_t esk[32], epk[32], shared[32], salt[64], key[32], body[32];
    char share_b64[48];
    const char *args[2];
    fuin_status st = FUIN_E_INVALID;

    randombytes_buf(esk, sizeof esk);
    if (crypto_scalarmult_base(epk, esk) != 0 ||
        crypto_scalarmult(shared, esk, pk) != 0)
        goto out;
    memcpy(salt, epk, 32);
    memcpy(salt + 32, pk, 32);
    fuin__hkdf_sha256(key, 32, salt, 64, shared, 32, X25519_LABEL);
    if ((st = aead_wrap(key, file_key, body)) != FUIN_OK)
        goto out;
    fuin__b64_encode(share_b64, epk, 32);
    args[0] = "X25519";
    args[1] = share_b64;
    *textlen = fuin__stanza_write(text, cap, args, 2, body, 32);
    st = *textlen ? FUIN_OK : FUIN_E_INVALID;
out:
    sodium_memzero(esk, sizeof esk);
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(key, sizeof key);
    return st;
}

fuin_status fuin__x25519_unwrap(const fuin__stanza *s, const uint8_t sk[32],
                                uint8_t *file_key, char *err)
{
    uint8_t share[33], pk[32], shared[32], salt[64], key[32];
    size_t n = 0;
    fuin_status st;

    if (s->nargs != 1 || fuin__b64_decode(share, sizeof share, &n, s->args[0],
                                          strlen(s->args[0])) != 0 || n != 32) {
        fuin__seterr(err, "malformed X25519 stanza");
        return FUIN_E_HEADER;
    }
    if (s->body_len != 32) {
        fuin__seterr(err, "malformed X25519 stanza: body is not 32 bytes");
        return FUIN_E_HEADER;
    }
    /* crypto_scalarmult fails on an all-zero shared secret (low order). */
    if (crypto_scalarmult(shared, sk, share) != 0) {
        fuin__seterr(err, "X25519 stanza with a low-order share");
        return FUIN_E_HEADER;
    }
    crypto_scalarmult_base(pk, sk);
    memcpy(salt, share, 32);
    memcpy(salt + 32, pk, 32);
    fuin__hkdf_sha256(key, 32, salt, 64, shared, 32, X25519_LABEL);
    st = aead_unwrap(key, s->body, file_key) == 0 ? FUIN_OK : FUIN_E_NO_MATCH;
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(key, sizeof key);
    return st;
}

static int parse_log_n(const char *a, int *log_n)
{
    int v = 0;
    if (a[0] < '1' || a[0] > '9')
        return -1;
    for (const char *p = a; *p; p++) {
        if (*p < '0' || *p > '9' || v > 1000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *log_n = v;
    return 0;
}

fuin_status fuin__scrypt_check(const fuin__stanza *s, char *err)
{
    uint8_t salt[17];
    size_t n = 0;
    int log_n = 0;

    if (s->nargs != 2 ||
        fuin__b64_decode(salt, sizeof salt, &n, s->args[0], strlen(s->args[0])) != 0 ||
        n != 16 || parse_log_n(s->args[1], &log_n) != 0 || log_n < 1 || log_n > 63) {
        fuin__seterr(err, "malformed scrypt stanza");
        return FUIN_E_HEADER;
    }
    if (log_n > FUIN_MAX_SCRYPT_LOG_N) {
        fuin__seterr(err, "scrypt work factor %d exceeds the limit of %d", log_n,
                     FUIN_MAX_SCRYPT_LOG_N);
        return FUIN_E_LIMIT;
    }
    if (s->body_len != 32) {
        fuin__seterr(err, "malformed scrypt stanza: body is not 32 bytes");
        return FUIN_E_HEADER;
    }
    return FUIN_OK;
}

static fuin_status scrypt_key(const char *pass, size_t passlen, const uint8_t salt16[16],
                              int log_n, uint8_t key[32])
{
    uint8_t salt[sizeof SCRYPT_LABEL - 1 + 16];
    memcpy(salt, SCRYPT_LABEL, sizeof SCRYPT_LABEL - 1);
    memcpy(salt + sizeof SCRYPT_LABEL - 1, salt16, 16);
    if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, passlen, salt,
                                              sizeof salt, (uint64_t)1 << log_n,
                                              8, 1, key, 32) != 0)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

fuin_status fuin__scrypt_wrap(const char *pass, size_t passlen, int log_n,
                              const uint8_t *file_key, char *text, size_t cap,
                              size_t *textlen)
{
    uint8_t salt[16], key[32], body[32];
    char salt_b64[32], wf[8];
    const char *args[3];
    fuin_status st;

    if (log_n < 1 || log_n > 30)
        return FUIN_E_INVALID;
    randombytes_buf(salt, sizeof salt);
    if ((st = scrypt_key(pass, passlen, salt, log_n, key)) != FUIN_OK)
        return st;
    st = aead_wrap(key, file_key, body);
    sodium_memzero(key, sizeof key);
    if (st != FUIN_OK)
        return st;
    fuin__b64_encode(salt_b64, salt, 16);
    snprintf(wf, sizeof wf, "%d", log_n);
    args[0] = "scrypt";
    args[1] = salt_b64;
    args[2] = wf;
    *textlen = fuin__stanza_write(text, cap, args, 3, body, 32);
    return *textlen ? FUIN_OK : FUIN_E_INVALID;
}

fuin_status fuin__scrypt_unwrap(const fuin__stanza *s, const char *pass,
                                size_t passlen, uint8_t *file_key, char *err)
{
    uint8_t salt[17], key[32];
    size_t n = 0;
    int log_n = 0;
    fuin_status st = fuin__scrypt_check(s, err);

    if (st != FUIN_OK)
        return st;
    fuin__b64_decode(salt, sizeof salt, &n, s->args[0], strlen(s->args[0]));
    parse_log_n(s->args[1], &log_n);
    if ((st = scrypt_key(pass, passlen, salt, log_n, key)) != FUIN_OK)
        return st;
    st = aead_unwrap(key, s->body, file_key) == 0 ? FUIN_OK : FUIN_E_NO_MATCH;
    sodium_memzero(key, sizeof key);
    return st;
}
