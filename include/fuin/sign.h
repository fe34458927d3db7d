/*
 * fuin signatures: minisign-compatible Ed25519 keys and signatures.
 * Included by <fuin.h>; do not include directly.
 *
 * Formats are minisign's (https://jedisct1.github.io/minisign/); base64 is
 * the standard alphabet with '=' padding:
 *  - public key file:  "untrusted comment: ...\n" + base64("Ed" || keyid[8] || pk[32]) + "\n"
 *  - secret key file:  "untrusted comment: ...\n" + base64("Ed" || "Sc"|"\0\0" || "B2" ||
 *                      salt[32] || opslimit[8 LE] || memlimit[8 LE] ||
 *                      (keyid[8] || sk[64] || BLAKE2b-256 checksum[32]) XOR scrypt stream) + "\n"
 *                      checksum = BLAKE2b-256("Ed" || keyid || sk)
 *  - signature file:   "untrusted comment: ...\n" + base64("ED" || keyid[8] || sig[64]) + "\n"
 *                      "trusted comment: TEXT\n" + base64(sig over (sig[64] || TEXT)) + "\n"
 * "ED" signs BLAKE2b-512(file) (prehashed, what fuin writes); the legacy
 * "Ed" form signs the file itself and is verified too.
 *
 * Reading follows minisign's line reader: LF or CRLF line ends, a line's
 * content ends at its first CR, the last line may lack its LF, anything
 * after the fourth line of a signature is ignored, and the same line length
 * limits apply (untrusted comment line <= 1022 bytes, trusted comment text
 * <= FUIN_MAX_TRUSTED_COMMENT bytes).  Two deliberate differences: base64
 * whose unused trailing bits are not zero is refused (minisign ignores those
 * bits; no signer writes them), and a secret key is checked more strictly
 * (see fuin_seckey_parse).
 *
 * Ownership: strings passed in are never retained.  Buffers returned
 * through `char **out` are owned by the caller and freed as each function
 * says (free() for public data, fuin_secret_free() for secret key text).
 * Every fuin_*_free(NULL) is a no-op.
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

/* Longest trusted comment text minisign reads and writes (its 8 KiB line
 * buffer minus "trusted comment: " and the line end). */
#define FUIN_MAX_TRUSTED_COMMENT 8173u
/* Longest untrusted comment text minisign can read back (1 KiB line buffer
 * minus "untrusted comment: " and the line end). */
#define FUIN_MAX_UNTRUSTED_COMMENT 1003u
/* Legacy "Ed" signatures sign the whole file, which must therefore be held
 * in memory to verify; larger files are refused with FUIN_E_LIMIT. */
#define FUIN_MAX_LEGACY_MESSAGE (1024ull * 1024 * 1024)

/* Secret key KDF (scrypt) limits.  Stock minisign writes opslimit 2^25 and
 * memlimit 1 GiB (libsodium's "sensitive" level); reading refuses anything
 * above these maxima with FUIN_E_LIMIT so that a crafted key cannot make
 * fuin spend unbounded memory or time.  fuin writes the cheaper defaults
 * (opslimit 2^20, memlimit 8 MiB, so `fuin sign` stays within 16 MiB of
 * RSS) — see lib/sign/minisign.c. */
#define FUIN_MAX_MINISIGN_MEMLIMIT (1024ull * 1024 * 1024)
#define FUIN_MAX_MINISIGN_OPSLIMIT (1ull << 26)
#define FUIN_DEFAULT_MINISIGN_OPSLIMIT (1ull << 20)
#define FUIN_DEFAULT_MINISIGN_MEMLIMIT (1ull << 23)

/* A public signing key (not secret: a plain struct). */
typedef struct {
    uint8_t keyid[FUIN_KEYID_BYTES]; /* as stored in the file (little-endian) */
    uint8_t pk[32];                  /* Ed25519 public key */
} fuin_pubkey;

/* A secret signing key: opaque; key id and Ed25519 secret key live in
 * sodium_malloc() memory, wiped by fuin_seckey_free(). */
typedef struct fuin_seckey fuin_seckey;

/* ---- key ids ------------------------------------------------------------ */
/* Key id as minisign prints it: 16 uppercase hex digits of the little-endian
 * 64-bit number, i.e. the stored bytes reversed.  `out` gets a NUL. */
FUIN_EXPORT void fuin_keyid_hex(const uint8_t keyid[FUIN_KEYID_BYTES],
                                char out[FUIN_KEYID_HEX]);
/* The reverse: exactly 16 hex digits (either case), NUL-terminated.
 * FUIN_OK or FUIN_E_KEY (keyid untouched); FUIN_E_INVALID on NULL. */
FUIN_EXPORT fuin_status fuin_keyid_from_hex(const char *hex,
                                            uint8_t keyid[FUIN_KEYID_BYTES]) FUIN_WUR;

/* ---- key pairs ---------------------------------------------------------- */
/* Generate a new key pair with a random key id.  *sk must be freed with
 * fuin_seckey_free(); pk (may be NULL) receives the public key.  FUIN_OK,
 * FUIN_E_INVALID (sk NULL) or FUIN_E_NOMEM (*sk set to NULL). */
FUIN_EXPORT fuin_status fuin_seckey_generate(fuin_seckey **sk, fuin_pubkey *pk);
/* Wipes and frees; NULL or a non-key pointer is ignored. */
FUIN_EXPORT void fuin_seckey_free(fuin_seckey *sk);
/* The matching public key (zeroed if sk is not a valid handle). */
FUIN_EXPORT void fuin_seckey_public(const fuin_seckey *sk, fuin_pubkey *pk);

/* ---- public key files --------------------------------------------------- */
/* Parse public key file text (`len` bytes, no NUL needed): the first line
 * is not interpreted (minisign ignores it), the second is the base64 key.
 * FUIN_OK, FUIN_E_KEY (malformed; `err` says why, NUL-terminated, truncated
 * to errcap; err may be NULL) or FUIN_E_INVALID (NULL text/pk). */
FUIN_EXPORT fuin_status fuin_pubkey_parse(const char *text, size_t len,
                                          fuin_pubkey *pk, char *err,
                                          size_t errcap) FUIN_WUR;
/* The bare base64 string (what `minisign -P` takes), NUL-terminated, no
 * surrounding whitespace.  FUIN_OK, FUIN_E_KEY or FUIN_E_INVALID. */
FUIN_EXPORT fuin_status fuin_pubkey_from_base64(const char *b64, fuin_pubkey *pk) FUIN_WUR;
/* Public key file text.  `comment` NULL gives minisign's
 * "minisign public key <KEYID>" with the 16-digit id (minisign >= 0.12;
 * Debian's 0.11 drops leading zeros there; no program reads it).  Like snprintf: returns the length
 * excluding the NUL and writes at most cap bytes (NUL-terminated when
 * cap > 0); returns 0 if the comment contains CR or LF or is longer than
 * FUIN_MAX_UNTRUSTED_COMMENT. */
FUIN_EXPORT size_t fuin_pubkey_format(const fuin_pubkey *pk, const char *comment,
                                      char *buf, size_t cap);
/* The base64 line alone (56 characters), snprintf-like. */
FUIN_EXPORT size_t fuin_pubkey_base64(const fuin_pubkey *pk, char *buf, size_t cap);

/* ---- secret key files --------------------------------------------------- */
/* Parse a secret key file.  `pass` NULL means "no passphrase available":
 * fine for an unencrypted key (minisign -W), FUIN_E_PASSPHRASE for an
 * encrypted one.  A non-NULL pass of length 0 is the empty passphrase
 * (minisign accepts one).  The passphrase is ignored for unencrypted keys.
 * The KDF limits come from the file.  Statuses:
 *   FUIN_OK           *sk set (free with fuin_seckey_free())
 *   FUIN_E_KEY        malformed file, unsupported algorithm, an unencrypted
 *                     key whose checksum is wrong ("corrupted secret key
 *                     (checksum)"), or a key whose public half does not
 *                     match its seed
 *   FUIN_E_NO_MATCH   encrypted key, checksum mismatch after decryption:
 *                     "wrong passphrase or corrupted secret key (checksum)"
 *   FUIN_E_PASSPHRASE encrypted key and pass == NULL
 *   FUIN_E_LIMIT      memlimit > FUIN_MAX_MINISIGN_MEMLIMIT or opslimit >
 *                     FUIN_MAX_MINISIGN_OPSLIMIT (nothing is derived)
 *   FUIN_E_NOMEM      allocation or scrypt's own allocation failed
 *   FUIN_E_INVALID    NULL text or sk
 * On failure *sk is NULL and `err` (may be NULL) holds the message.
 * Stock `minisign -G -W` writes no checksum (32 zero bytes); such a key is
 * accepted, its seed/public-key consistency still checked. */
FUIN_EXPORT fuin_status fuin_seckey_parse(const char *text, size_t len,
                                          const char *pass, size_t passlen,
                                          fuin_seckey **sk, char *err,
                                          size_t errcap) FUIN_WUR;
/* Does the secret key file need a passphrase? 1 yes, 0 no, -1 malformed. */
FUIN_EXPORT int fuin_seckey_file_encrypted(const char *text, size_t len);
/* Secret key file text.  `pass` NULL writes an unencrypted key (as
 * minisign -W, but with a valid checksum); otherwise scrypt with the given
 * limits (0 = FUIN_DEFAULT_MINISIGN_OPSLIMIT / _MEMLIMIT).  The passphrase
 * must be what minisign can type back: 1..1023 bytes without NUL, CR or LF
 * (else FUIN_E_INVALID).  Limits above the maxima: FUIN_E_LIMIT.  *out is
 * sodium_malloc() memory, NUL-terminated, *outlen excludes the NUL (outlen
 * may be NULL); free it with fuin_secret_free().  FUIN_E_NOMEM on
 * allocation failure; FUIN_E_INVALID on a bad handle or NULL out. */
FUIN_EXPORT fuin_status fuin_seckey_format(const fuin_seckey *sk, const char *pass,
                                           size_t passlen, uint64_t opslimit,
                                           uint64_t memlimit, char **out,
                                           size_t *outlen) FUIN_WUR;
/* Wipe and free a buffer returned by fuin_seckey_format(); NULL is a no-op. */
FUIN_EXPORT void fuin_secret_free(void *p);

/* ---- signing (streaming) ------------------------------------------------ */
/* new() -> update()* -> final() once.  Writes prehashed "ED" signatures. */
typedef struct fuin_signer fuin_signer;
/* The signer keeps its own copy of the key (sk may be freed afterwards).
 * NULL if sk is not a valid key handle or memory ran out. */
FUIN_EXPORT fuin_signer *fuin_signer_new(const fuin_seckey *sk);
FUIN_EXPORT void fuin_signer_free(fuin_signer *s);
/* Last error text of the handle ("no error" if none; "invalid handle"). */
FUIN_EXPORT const char *fuin_signer_errmsg(const fuin_signer *s);
/* FUIN_OK, FUIN_E_STATE (after final or bad handle), FUIN_E_INVALID
 * (in == NULL with len > 0). */
FUIN_EXPORT fuin_status fuin_sign_update(fuin_signer *s, const uint8_t *in, size_t len);
/* Produce the .minisig text.  `untrusted` NULL gives minisign's
 * "signature from minisign secret key"; `trusted` must not be NULL (it may
 * be empty).  Neither may contain CR or LF (FUIN_E_INVALID); longer than
 * FUIN_MAX_UNTRUSTED_COMMENT / FUIN_MAX_TRUSTED_COMMENT: FUIN_E_LIMIT.
 * Those argument errors leave the signer usable for another final().
 * On FUIN_OK *out is malloc()ed, NUL-terminated (free() it) and *outlen
 * (may be NULL) excludes the NUL; the signer is then finished (further
 * calls: FUIN_E_STATE).  FUIN_E_NOMEM on allocation failure. */
FUIN_EXPORT fuin_status fuin_sign_final(fuin_signer *s, const char *untrusted,
                                        const char *trusted, char **out,
                                        size_t *outlen) FUIN_WUR;

/* ---- verification (streaming) ------------------------------------------- */
/* new() -> load() -> update()* -> final(pk) (final may be repeated with
 * other keys; the message is not needed again). */
typedef struct fuin_verifier fuin_verifier;
FUIN_EXPORT fuin_verifier *fuin_verifier_new(void);
FUIN_EXPORT void fuin_verifier_free(fuin_verifier *v);
/* Last error text of the handle ("no error" if none; "invalid handle"). */
FUIN_EXPORT const char *fuin_verifier_errmsg(const fuin_verifier *v);
/* Parse .minisig text (`len` bytes, no NUL needed), once per handle.
 * FUIN_OK, FUIN_E_SIGFORMAT (malformed: the handle is then failed, only
 * free() and errmsg() remain), FUIN_E_STATE (already loaded / bad handle),
 * FUIN_E_NOMEM, FUIN_E_INVALID (sig NULL). */
FUIN_EXPORT fuin_status fuin_verifier_load(fuin_verifier *v, const char *sig,
                                           size_t len) FUIN_WUR;
/* Key id the signature claims (zeroed before a successful load). */
FUIN_EXPORT void fuin_verifier_keyid(const fuin_verifier *v,
                                     uint8_t keyid[FUIN_KEYID_BYTES]);
/* The trusted comment, NUL-terminated, owned by the handle (NULL before a
 * successful load).  It is authenticated only once fuin_verify_final()
 * returned FUIN_OK. */
FUIN_EXPORT const char *fuin_verifier_trusted_comment(const fuin_verifier *v);
/* 1 for a prehashed "ED" signature, 0 for legacy "Ed", -1 if not loaded. */
FUIN_EXPORT int fuin_verifier_prehashed(const fuin_verifier *v);
/* Feed the signed file.  FUIN_OK, FUIN_E_STATE (not loaded, after final,
 * failed or bad handle), FUIN_E_INVALID (in == NULL with len > 0),
 * FUIN_E_LIMIT (legacy signature and more than FUIN_MAX_LEGACY_MESSAGE
 * bytes: the handle is then failed), FUIN_E_NOMEM. */
FUIN_EXPORT fuin_status fuin_verify_update(fuin_verifier *v, const uint8_t *in,
                                           size_t len);
/* Check in minisign's order: key id, file signature, trusted comment.
 * FUIN_OK, FUIN_E_WRONG_KEY (signed by another key id), FUIN_E_SIGNATURE
 * (file modified, or another key with the same id), FUIN_E_COMMENT (trusted
 * comment or global signature modified), FUIN_E_STATE (not loaded, failed
 * or bad handle), FUIN_E_INVALID (pk NULL), FUIN_E_NOMEM.  The errmsg
 * says which check failed (for WRONG_KEY: both key ids).  After the first
 * call the handle accepts only further final() calls. */
FUIN_EXPORT fuin_status fuin_verify_final(fuin_verifier *v,
                                          const fuin_pubkey *pk) FUIN_WUR;

#ifdef __cplusplus
}
#endif
#endif
