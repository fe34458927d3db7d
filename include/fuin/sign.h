/*
 * fuin signatures: minisign-compatible Ed25519 keys and signatures.
 * Included by <fuin.h>; do not include directly.
 *
 * Formats are minisign's (https://jedisct1.github.io/minisign/):
 *  - public key file:  "untrusted comment: ...\n" + base64("Ed" || keyid[8] || pk[32]) + "\n"
 *  - secret key file:  "untrusted comment: ...\n" + base64("Ed" || "Sc"|"\0\0" || "B2" ||
 *                      salt[32] || opslimit[8 LE] || memlimit[8 LE] ||
 *                      (keyid[8] || sk[64] || BLAKE2b-256 checksum[32]) XOR scrypt stream) + "\n"
 *  - signature file:   "untrusted comment: ...\n" + base64("ED" || keyid[8] || sig[64]) + "\n"
 *                      "trusted comment: TEXT\n" + base64(sig over (sig[64] || TEXT)) + "\n"
 * "ED" signs BLAKE2b-512(file) (prehashed, what fuin writes); the legacy
 * "Ed" form signs the file itself and is verified too.
 */
#ifndef FUIN_SIGN_H
#define FUIN_SIGN_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define FUIN_KEYID_BYTES 8
#define FUIN_KEYID_HEX 17 /* 16 hex digits + NUL, as minisign prints them */

/* A public signing key (not secret: a plain struct). */
typedef struct {
    uint8_t keyid[FUIN_KEYID_BYTES]; /* little-endian as stored in the file */
    uint8_t pk[32];
} fuin_pubkey;

/* A secret signing key: opaque, sodium_malloc() inside. */
typedef struct fuin_seckey fuin_seckey;

/* Key id as minisign prints it: 16 uppercase hex digits, most significant
 * byte first (the stored bytes reversed). */
FUIN_EXPORT void fuin_keyid_hex(const uint8_t keyid[FUIN_KEYID_BYTES],
                                char out[FUIN_KEYID_HEX]);

/* Generate a new key pair.  *sk must be freed with fuin_seckey_free(). */
FUIN_EXPORT fuin_status fuin_seckey_generate(fuin_seckey **sk, fuin_pubkey *pk);
FUIN_EXPORT void fuin_seckey_free(fuin_seckey *sk);
FUIN_EXPORT void fuin_seckey_public(const fuin_seckey *sk, fuin_pubkey *pk);

/* Public key file text <-> struct.  format: `comment` NULL gives
 * "minisign public key <KEYID>".  Returns bytes needed excluding NUL. */
FUIN_EXPORT fuin_status fuin_pubkey_parse(const char *text, size_t len,
                                          fuin_pubkey *pk, char *err,
                                          size_t errcap) FUIN_WUR;
/* Accepts the bare base64 line too (as `minisign -P`). */
FUIN_EXPORT fuin_status fuin_pubkey_from_base64(const char *b64, fuin_pubkey *pk) FUIN_WUR;
FUIN_EXPORT size_t fuin_pubkey_format(const fuin_pubkey *pk, const char *comment,
                                      char *buf, size_t cap);
/* The base64 line alone (what minisign -P takes). */
FUIN_EXPORT size_t fuin_pubkey_base64(const fuin_pubkey *pk, char *buf, size_t cap);

/* Secret key file.  `pass` NULL/len 0 writes or reads an unencrypted key
 * (minisign -W).  Encryption uses scrypt with the given limits (0 = fuin's
 * defaults: opslimit 2^20, memlimit 16 MiB; see docs/trust.md);
 * decryption takes the limits from the file and refuses more than
 * FUIN_MAX_MINISIGN_MEMLIMIT.  A wrong passphrase is FUIN_E_NO_MATCH (the
 * checksum did not match); a corrupted file FUIN_E_KEY. */
#define FUIN_MAX_MINISIGN_MEMLIMIT (1024ull * 1024 * 1024)
FUIN_EXPORT fuin_status fuin_seckey_parse(const char *text, size_t len,
                                          const char *pass, size_t passlen,
                                          fuin_seckey **sk, char *err,
                                          size_t errcap) FUIN_WUR;
/* Does the secret key file need a passphrase? 1 yes, 0 no, -1 malformed. */
FUIN_EXPORT int fuin_seckey_file_encrypted(const char *text, size_t len);
/* Writes the file text into a sodium_malloc()ed buffer *out (caller frees
 * with fuin_secret_free()). */
FUIN_EXPORT fuin_status fuin_seckey_format(const fuin_seckey *sk, const char *pass,
                                           size_t passlen, uint64_t opslimit,
                                           uint64_t memlimit, char **out,
                                           size_t *outlen);
FUIN_EXPORT void fuin_secret_free(void *p);

/* ---- signing (streaming) --------------------------------------------- */
typedef struct fuin_signer fuin_signer;
/* The signer keeps its own copy of the key. */
FUIN_EXPORT fuin_signer *fuin_signer_new(const fuin_seckey *sk);
FUIN_EXPORT void fuin_signer_free(fuin_signer *s);
FUIN_EXPORT fuin_status fuin_sign_update(fuin_signer *s, const uint8_t *in, size_t len);
/* Produce the .minisig text: untrusted and trusted comments are one line
 * each (no '\n' or '\r').  *out is malloc()ed; free() it. */
FUIN_EXPORT fuin_status fuin_sign_final(fuin_signer *s, const char *untrusted,
                                        const char *trusted, char **out,
                                        size_t *outlen);

/* ---- verification (streaming) ---------------------------------------- */
typedef struct fuin_verifier fuin_verifier;
/* Load a .minisig with fuin_verifier_load(); FUIN_E_SIGFORMAT if malformed. */
FUIN_EXPORT fuin_verifier *fuin_verifier_new(void);
FUIN_EXPORT void fuin_verifier_free(fuin_verifier *v);
FUIN_EXPORT const char *fuin_verifier_errmsg(const fuin_verifier *v);
FUIN_EXPORT fuin_status fuin_verifier_load(fuin_verifier *v, const char *sig,
                                           size_t len) FUIN_WUR;
/* Key id the signature claims (valid after load). */
FUIN_EXPORT void fuin_verifier_keyid(const fuin_verifier *v,
                                     uint8_t keyid[FUIN_KEYID_BYTES]);
/* The trusted comment (valid after load; authenticated only after final
 * returned FUIN_OK). */
FUIN_EXPORT const char *fuin_verifier_trusted_comment(const fuin_verifier *v);
FUIN_EXPORT int fuin_verifier_prehashed(const fuin_verifier *v);
FUIN_EXPORT fuin_status fuin_verify_update(fuin_verifier *v, const uint8_t *in,
                                           size_t len);
/* FUIN_OK, or FUIN_E_WRONG_KEY (signed by another key), FUIN_E_SIGNATURE
 * (file modified), FUIN_E_COMMENT (trusted comment modified). */
FUIN_EXPORT fuin_status fuin_verify_final(fuin_verifier *v,
                                          const fuin_pubkey *pk) FUIN_WUR;

#ifdef __cplusplus
}
#endif
#endif
