#include <string.h>

#include <sodium.h>

#include "internal.h"

/* RFC 5869 on libsodium's HMAC-SHA-256 (libsodium 1.0.18 has no HKDF). */
void fuin__hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt,
                       size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                       const char *info)
{
    uint8_t zero[crypto_auth_hmacsha256_BYTES] = {0};
    uint8_t prk[crypto_auth_hmacsha256_BYTES];
    uint8_t t[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    size_t infolen = strlen(info), done = 0, tlen = 0;
    uint8_t ctr = 1;

    if (saltlen == 0) {
        salt = zero;
        saltlen = sizeof zero;
    }
    crypto_auth_hmacsha256_init(&st, salt, saltlen);
    crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
    crypto_auth_hmacsha256_final(&st, prk);

    while (done < outlen) {
        size_t take;
        crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
        crypto_auth_hmacsha256_update(&st, t, tlen);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, infolen);
        crypto_auth_hmacsha256_update(&st, &ctr, 1);
        crypto_auth_hmacsha256_final(&st, t);
        tlen = sizeof t;
        take = outlen - done < sizeof t ? outlen - done : sizeof t;
        memcpy(out + done, t, take);
        done += take;
        ctr++;
    }
    sodium_memzero(prk, sizeof prk);
    sodium_memzero(t, sizeof t);
    sodium_memzero(&st, sizeof st);
}
