/*
 * fuin (封印) — classification-aware file protection.
 *
 * Public API of libfuin.  Everything the `fuin` program does is available
 * here; the program itself only parses arguments, prompts and prints.
 *
 * Conventions
 *  - Every function returns a fuin_status (or a pointer that is NULL on
 *    allocation failure).  FUIN_OK is 0.  Codes are only ever appended.
 *  - Handles are opaque.  fuin_*_free(NULL) is a no-op.
 *  - The library never prints, never exits and never prompts; it asks for a
 *    passphrase through a callback and reports detail through
 *    fuin_*_errmsg(handle).
 *  - Secret material is kept in sodium_malloc() memory and wiped as soon as
 *    it is no longer needed.  Strings passed in are not retained.
 *  - Call fuin_init() once before anything else (it initialises libsodium).
 */
#ifndef FUIN_H
#define FUIN_H

#include <stddef.h>
#include <stdint.h>

#include "fuin/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FUIN_EXPORT __attribute__((visibility("default")))
#define FUIN_WUR __attribute__((warn_unused_result))
#else
#define FUIN_EXPORT
#define FUIN_WUR
#endif

/* ------------------------------------------------------------------ */
/* Status codes.  Frozen: never renumbered, only appended to.          */
/* The age testkit's `expect` classes map one to one:                  */
/*   header failure  -> FUIN_E_HEADER     no match -> FUIN_E_NO_MATCH    */
/*   HMAC failure    -> FUIN_E_HMAC       payload failure -> FUIN_E_PAYLOAD */
/*   armor failure   -> FUIN_E_ARMOR      success -> FUIN_OK             */
/* ------------------------------------------------------------------ */
typedef enum {
    FUIN_OK = 0,
    FUIN_E_IO = 1,          /* read, write, open, fsync or rename failed    */
    FUIN_E_NOMEM = 2,       /* allocation failed                            */
    FUIN_E_HEADER = 3,      /* malformed or unsupported age header          */
    FUIN_E_NO_MATCH = 4,    /* no identity or passphrase opened the file    */
    FUIN_E_HMAC = 5,        /* header MAC does not verify                   */
    FUIN_E_PAYLOAD = 6,     /* payload chunk failed to authenticate, was
                               truncated, or is followed by trailing data   */
    FUIN_E_ARMOR = 7,       /* invalid ASCII armor                          */
    FUIN_E_STATE = 8,       /* call made in the wrong state of a handle     */
    FUIN_E_INVALID = 9,     /* invalid argument                             */
    FUIN_E_LABEL = 10,      /* a classification label did not parse         */
    FUIN_E_KEY = 11,        /* malformed key, recipient, or identity file   */
    FUIN_E_EXISTS = 12,     /* output exists and overwriting was not allowed*/
    FUIN_E_LIMIT = 13,      /* a documented limit was exceeded (header size,
                               scrypt work factor, ...)                     */
    FUIN_E_PASSPHRASE = 14, /* no passphrase could be obtained              */
    FUIN_E_POLICY = 15,     /* refused by policy (e.g. C3 with passphrase)  */
    FUIN_E_SIGNATURE = 16,  /* signature does not verify: file modified     */
    FUIN_E_COMMENT = 17,    /* trusted comment does not verify: modified    */
    FUIN_E_WRONG_KEY = 18,  /* signed by another key than the one given     */
    FUIN_E_SIGFORMAT = 19,  /* malformed signature or minisign key file     */
    FUIN_E_UNTRUSTED = 20,  /* signer unknown: no certificate from the root */
    FUIN_E_EXPIRED = 21,    /* certificate not valid at the signing time    */
    FUIN_E_REVOKED = 22,    /* the signing key was revoked                  */
    FUIN_E_FOREIGN_ROOT = 23, /* certificate signed by another root         */
    FUIN_E_WEAK_PASSPHRASE = 24, /* passphrase below the policy's strength  */
    FUIN_E_SYNTAX = 25,     /* policy, card or certificate text malformed   */
    FUIN_E_AMBIGUOUS = 26,  /* a name matches several certificates          */
    FUIN_E_ENVIRONMENT = 27, /* something this machine must provide is
                               missing: a runtime file (cracklib's
                               dictionary, /proc) or a program; the
                               message names it and the Debian package  */
    FUIN_E_MISMATCH = 28,   /* a package's contents differ from its signed
                               manifest: changed, missing, added, duplicated
                               or truncated                                */
    FUIN_E_UNSAFE = 29,     /* an archive entry cannot be created safely:
                               absolute path, "..", link leading outside,
                               device node, colliding or hostile name      */
    FUIN_E_LABEL_CONFLICT = 30 /* the places of a file's label disagree, or
                               one holds text that is not a label: fuin
                               does not guess (docs/labels.md)             */
} fuin_status;

/* Static English text for a status; never NULL. */
FUIN_EXPORT const char *fuin_strerror(fuin_status s);

/* Text that came from a file or from another person (a name, label,
 * comment, path, device model), made safe to show on a terminal: C0 and
 * C1 controls and DEL become \xNN (\n, \t, \r for those three),
 * bidirectional overrides, embeddings, isolates and marks, zero-width
 * characters, U+2028/U+2029 and the BOM become \uXXXX, bytes that are
 * not UTF-8 become \xNN; everything else, Japanese included, is kept.
 * Reads n bytes of s; returns a NUL-terminated malloc() string (free()
 * it), or NULL when s is NULL or memory is short. */
FUIN_EXPORT char *fuin_text_escape(const char *s, size_t n);

/* Initialise the library (libsodium).  Safe to call more than once. */
FUIN_EXPORT fuin_status fuin_init(void);

/* Version of the library actually linked (compare FUIN_VERSION_STRING). */
FUIN_EXPORT const char *fuin_version(void);

/* Limits, documented in docs/format.md. */
#define FUIN_MAX_HEADER_BYTES (64u * 1024u) /* age header incl. MAC line */
#define FUIN_MAX_SCRYPT_LOG_N 22            /* decrypt refuses above     */
#define FUIN_DEFAULT_SCRYPT_LOG_N 18        /* what encrypt writes       */
#define FUIN_CHUNK_SIZE 65536u              /* STREAM plaintext chunk    */

/* Output sink used by the streaming API: write all `len` bytes or return
 * non-zero (the operation then fails with FUIN_E_IO). */
typedef int (*fuin_write_fn)(void *ctx, const uint8_t *buf, size_t len);

/* Passphrase callback: store at most `cap` bytes (no terminator needed) in
 * `buf`, which is sodium_malloc() memory owned by the library and wiped after
 * use, set *len and return 0; return non-zero to give up.  `confirm` is 1
 * when a new passphrase is being chosen (a UI should ask twice). */
typedef int (*fuin_passphrase_fn)(void *ctx, int confirm, char *buf,
                                  size_t cap, size_t *len);

/* ------------------------------------------------------------------ */
/* Labels (classification).  See docs/labels.md.                      */
/* ------------------------------------------------------------------ */
typedef enum {
    FUIN_R_NO_COPY = 1 << 0,         /* 複製禁止   no-copy              */
    FUIN_R_NO_FORWARD = 1 << 1,      /* 転送禁止   no-forward           */
    FUIN_R_NO_DISTRIBUTE = 1 << 2,   /* 配付禁止   no-distribute        */
    FUIN_R_ENCRYPT_REQUIRED = 1 << 3,/* 暗号化必須 encrypt-required     */
    FUIN_R_NO_TAKEOUT = 1 << 4,      /* 持出禁止   no-takeout           */
    FUIN_R_DESTROY_AFTER_READ = 1 << 5 /* 読後廃棄 destroy-after-reading */
} fuin_restriction;

#define FUIN_RESTRICTION_COUNT 6

typedef struct {
    int confidentiality; /* 1..3 */
    int integrity;       /* 1..2 */
    int availability;    /* 1..2 */
    unsigned restrictions; /* OR of fuin_restriction */
} fuin_label;

/* Parse any accepted spelling (C2, C3-I2-A2, 機密性３, 機密性3/完全性2/可用性2,
 * with optional restrictions).  On FUIN_E_LABEL, if `err` is not NULL it
 * receives a static-length message naming the bad part (NUL-terminated,
 * truncated to errcap). */
FUIN_EXPORT fuin_status fuin_label_parse(const char *text, fuin_label *out,
                                         char *err, size_t errcap) FUIN_WUR;

/* Canonical text form, e.g. "C3-I2-A2 複製禁止 転送禁止" (UTF-8).  Returns
 * the number of bytes needed excluding the NUL (like snprintf). */
FUIN_EXPORT size_t fuin_label_format(const fuin_label *l, char *buf, size_t cap);

/* ASCII tokens used inside the age header, e.g. "no-copy"; NULL if the bit
 * is unknown.  fuin_restriction_name_ja gives the Japanese word. */
FUIN_EXPORT const char *fuin_restriction_name(fuin_restriction r);
FUIN_EXPORT const char *fuin_restriction_name_ja(fuin_restriction r);

/* ------------------------------------------------------------------ */
/* Keys.  Formats are age's (Bech32 "age1..." / "AGE-SECRET-KEY-1..."). */
/* ------------------------------------------------------------------ */
#define FUIN_RECIPIENT_MAX 128   /* buffer size for an age1... string     */
#define FUIN_IDENTITY_MAX 128    /* buffer size for AGE-SECRET-KEY-1...  */

/* Generate an X25519 identity.  `identity` (cap >= FUIN_IDENTITY_MAX)
 * should be sodium_malloc() memory; `recipient` receives the public key. */
FUIN_EXPORT fuin_status fuin_keygen(char *identity, size_t identity_cap,
                                    char *recipient, size_t recipient_cap);

/* Derive the recipient of an identity string. */
FUIN_EXPORT fuin_status fuin_identity_to_recipient(const char *identity,
                                                   char *recipient,
                                                   size_t recipient_cap) FUIN_WUR;

/* Check a recipient string ("age1...").  FUIN_E_KEY if malformed. */
FUIN_EXPORT fuin_status fuin_recipient_check(const char *recipient) FUIN_WUR;

/* ------------------------------------------------------------------ */
/* Encryption (streaming).                                             */
/* ------------------------------------------------------------------ */
typedef struct fuin_encryptor fuin_encryptor;

FUIN_EXPORT fuin_encryptor *fuin_encryptor_new(void);
FUIN_EXPORT void fuin_encryptor_free(fuin_encryptor *e);
FUIN_EXPORT const char *fuin_encryptor_errmsg(const fuin_encryptor *e);

/* Configuration: only before fuin_encrypt_begin(). */
FUIN_EXPORT fuin_status fuin_encryptor_add_recipient(fuin_encryptor *e,
                                                     const char *recipient);
/* Use a passphrase (scrypt) instead of recipients.  The two are exclusive. */
FUIN_EXPORT fuin_status fuin_encryptor_set_passphrase(fuin_encryptor *e,
                                                      const char *pass,
                                                      size_t len, int log_n);
/* Attach a label.  Recipient mode: written as an authenticated
 * "fuin-label" stanza.  Passphrase mode: age allows no stanza besides
 * scrypt, so nothing is written (fuin_encrypt_begin returns FUIN_OK and
 * fuin_encryptor_label_written() says 0); a label with confidentiality 3
 * with a passphrase is refused with FUIN_E_POLICY. */
FUIN_EXPORT fuin_status fuin_encryptor_set_label(fuin_encryptor *e,
                                                 const fuin_label *l);
FUIN_EXPORT int fuin_encryptor_label_written(const fuin_encryptor *e);
/* The id (64 lower-case hex: the approved provide request's SHA-256,
 * docs/approvals.md) of the approval the file is sent under, written as a
 * header stanza "-> fuin-approval ID" that the header MAC authenticates
 * and stock age ignores.  Recipient mode only: with a passphrase,
 * fuin_encrypt_begin fails with FUIN_E_POLICY (age allows no other stanza
 * beside scrypt).  FUIN_E_INVALID for a malformed id. */
FUIN_EXPORT fuin_status fuin_encryptor_set_approval(fuin_encryptor *e, const char *id);
FUIN_EXPORT fuin_status fuin_encryptor_set_armor(fuin_encryptor *e, int on);
/* Worker threads for STREAM chunks; 0 = number of online CPUs (default). */
FUIN_EXPORT fuin_status fuin_encryptor_set_threads(fuin_encryptor *e, int n);

/* Write the header through `out`; then feed plaintext with update() and
 * finish with final(), which writes the last chunk (and armor footer).
 * After an error the handle is in a failed state; only free() is valid. */
FUIN_EXPORT fuin_status fuin_encrypt_begin(fuin_encryptor *e, fuin_write_fn out,
                                           void *ctx);
FUIN_EXPORT fuin_status fuin_encrypt_update(fuin_encryptor *e,
                                            const uint8_t *in, size_t len);
FUIN_EXPORT fuin_status fuin_encrypt_final(fuin_encryptor *e);

/* ------------------------------------------------------------------ */
/* Decryption (streaming).                                             */
/* ------------------------------------------------------------------ */
typedef struct fuin_decryptor fuin_decryptor;

FUIN_EXPORT fuin_decryptor *fuin_decryptor_new(void);
FUIN_EXPORT void fuin_decryptor_free(fuin_decryptor *d);
FUIN_EXPORT const char *fuin_decryptor_errmsg(const fuin_decryptor *d);

/* Add an identity: a single AGE-SECRET-KEY-1 string. */
FUIN_EXPORT fuin_status fuin_decryptor_add_identity(fuin_decryptor *d,
                                                    const char *identity);
/* Add every identity of an identity file's contents (age rules: '#'
 * comments and blank lines ignored).  FUIN_E_KEY names the line; a
 * passphrase-protected identity file is FUIN_E_KEY too (use
 * fuin_decryptor_add_identity_file). */
FUIN_EXPORT fuin_status fuin_decryptor_add_identities(fuin_decryptor *d,
                                                      const char *text,
                                                      size_t len);
/* Add the identities of an identity file that may be passphrase-protected:
 * age's encrypted identity format (an age file, binary or armored,
 * encrypted with a passphrase, whose plaintext is an identity file), as
 * `fuin key new` writes and stock `age -d -i` reads.  A plain identity
 * file is added at once, as by fuin_decryptor_add_identities().  A
 * protected one is kept and opened only when a file's header has an X25519
 * stanza that no identity added so far opens, as age does: `cb` (confirm
 * 0) is then asked for its passphrase, once.  A passphrase-encrypted file
 * therefore never asks for it.  `name` prefixes messages ("identity.age:
 * incorrect passphrase for the identity file").  Errors from the lazy
 * opening come from fuin_decrypt_update(): FUIN_E_NO_MATCH wrong
 * passphrase, FUIN_E_PASSPHRASE none given, FUIN_E_KEY the plaintext is
 * not an identity file, FUIN_E_HEADER / FUIN_E_LIMIT a damaged or huge
 * identity file.  At most 8 protected files per decryptor (FUIN_E_LIMIT).
 * The encrypted text is copied; `ctx` must stay valid until the
 * decryption ends. */
FUIN_EXPORT fuin_status fuin_decryptor_add_identity_file(fuin_decryptor *d,
                                                         const char *name,
                                                         const char *text,
                                                         size_t len,
                                                         fuin_passphrase_fn cb,
                                                         void *ctx);
/* Passphrase: either set directly, or through a callback that is called
 * only if the file has an scrypt stanza. */
FUIN_EXPORT fuin_status fuin_decryptor_add_passphrase(fuin_decryptor *d,
                                                      const char *pass,
                                                      size_t len);
FUIN_EXPORT fuin_status fuin_decryptor_set_passphrase_cb(fuin_decryptor *d,
                                                         fuin_passphrase_fn cb,
                                                         void *ctx);
FUIN_EXPORT fuin_status fuin_decryptor_set_threads(fuin_decryptor *d, int n);
/* Armor detection: AUTO (default) treats input whose first non-whitespace
 * byte is '-' as armored; REQUIRE always runs the strict armor decoder
 * first; NONE accepts only binary age files. */
#define FUIN_ARMOR_AUTO 0
#define FUIN_ARMOR_REQUIRE 1
#define FUIN_ARMOR_NONE 2
FUIN_EXPORT fuin_status fuin_decryptor_set_armor(fuin_decryptor *d, int mode);

/* Called once, after the header MAC verified and before any plaintext is
 * released: `label` is NULL when the file carries none.  Returning non-zero
 * aborts with FUIN_E_POLICY. */
typedef int (*fuin_header_fn)(void *ctx, const fuin_label *label);
FUIN_EXPORT fuin_status fuin_decryptor_set_header_cb(fuin_decryptor *d,
                                                     fuin_header_fn cb,
                                                     void *ctx);

/* Plaintext goes to `out`, and only for chunks whose tag verified.
 * final() fails with FUIN_E_PAYLOAD if the last chunk never came. */
FUIN_EXPORT fuin_status fuin_decrypt_begin(fuin_decryptor *d, fuin_write_fn out,
                                           void *ctx);
FUIN_EXPORT fuin_status fuin_decrypt_update(fuin_decryptor *d,
                                            const uint8_t *in,
                                            size_t len) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_decrypt_final(fuin_decryptor *d) FUIN_WUR;

/* After the header was authenticated: the label (or NULL). */
FUIN_EXPORT const fuin_label *fuin_decryptor_label(const fuin_decryptor *d);
/* 1 when fuin_decrypt_fd() stamped the file's authenticated label on its
 * output file (the xattrs user.fuin.label and user.fuin.class); 0 when
 * there was no label, the output was not a named file, or its file
 * system has no user xattrs. */
FUIN_EXPORT int fuin_decryptor_label_stamped(const fuin_decryptor *d);

/* Plaintext bytes released so far. */
FUIN_EXPORT uint64_t fuin_decryptor_plaintext_bytes(const fuin_decryptor *d);

/* ------------------------------------------------------------------ */
/* Inspection: what a file is, without any key.                        */
/* ------------------------------------------------------------------ */
#define FUIN_INSPECT_MAX_STANZAS 64
typedef struct {
    int armored;                    /* 1 if ASCII armor                    */
    size_t n_stanzas;               /* all stanzas, including unlisted     */
    char stanza_types[FUIN_INSPECT_MAX_STANZAS][32]; /* first 64 types     */
    int has_label;                  /* a fuin-label stanza is present      */
    fuin_label label;               /* valid when has_label (NOT yet
                                       authenticated: no key was used)     */
    uint64_t header_bytes;          /* binary header incl. MAC line        */
    uint64_t payload_bytes;         /* binary payload incl. nonce          */
    uint64_t plaintext_bytes;       /* derived from payload size; exact
                                       when the payload is well-formed     */
    int plaintext_known;            /* 0 if payload size is impossible     */
    char approval[65];              /* the fuin-approval stanza's id, or ""
                                       (NOT authenticated without a key)    */
} fuin_info;

/* Read a whole file's bytes from `read_fn` and describe it. */
typedef long (*fuin_read_fn)(void *ctx, uint8_t *buf, size_t cap);
FUIN_EXPORT fuin_status fuin_inspect(fuin_read_fn in, void *ctx,
                                     fuin_info *info, char *err,
                                     size_t errcap) FUIN_WUR;

/* ------------------------------------------------------------------ */
/* File helpers: thin wrappers over the streaming calls.               */
/* ------------------------------------------------------------------ */
/* Flags for the file helpers. */
#define FUIN_F_FORCE 1u /* replace an existing output file */

/* Encrypt `in_fd` to `out_path` (NULL = write to out_fd).  A file output is
 * written to a temporary file beside the target, fsynced, and renamed over
 * it only after success; on failure nothing is left behind.  The errmsg of
 * the handle tells what failed. */
FUIN_EXPORT fuin_status fuin_encrypt_fd(fuin_encryptor *e, int in_fd,
                                        const char *out_path, int out_fd,
                                        unsigned flags);
/* Same for decryption: the temporary file is renamed only after the final
 * chunk authenticated. */
FUIN_EXPORT fuin_status fuin_decrypt_fd(fuin_decryptor *d, int in_fd,
                                        const char *out_path, int out_fd,
                                        unsigned flags) FUIN_WUR;

/* Create a file for secret material (mode 0600) through fuin_outfile: it
 * appears complete and synced, or not at all.  FUIN_E_EXISTS if it
 * exists. */
FUIN_EXPORT fuin_status fuin_write_secret_file(const char *path,
                                               const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Output files: what fuin writes under a name appears complete and     */
/* synced, or not at all.                                               */
/* ------------------------------------------------------------------ */
/* The bytes go to an unnamed file (O_TMPFILE) in PATH's directory; commit
 * fsyncs it and links it into place (never replacing an existing file
 * unless FUIN_F_FORCE, then by an atomic rename), then fsyncs the
 * directory.  A crash or kill -9 before that leaves nothing.  Where the
 * file system has no O_TMPFILE, a hidden DIR/.fuin-tmp-XXXXXX is used,
 * flock()ed while written: abort() removes it, a signal handler can with
 * fuin_outfile_unlink_all(), and an unlocked one (left by a killed run)
 * is removed by the next open in that directory and counted in
 * fuin_outfile_stale_removed().  An existing character device or FIFO
 * (/dev/null, a pipe) is written in place, with no --force needed.
 * Directories, block devices and sockets are refused (FUIN_E_IO).
 * Messages do not include the path (the caller names it).
 *   open:   FUIN_OK, FUIN_E_EXISTS, FUIN_E_IO, FUIN_E_NOMEM, FUIN_E_INVALID
 *           (mode beyond 0777)
 *   commit: FUIN_OK, FUIN_E_IO (write, fsync, link or rename failed; then
 *           nothing new has the name, except when the directory's fsync
 *           failed after the link), FUIN_E_EXISTS (the name appeared
 *           meanwhile); frees f in every case
 *   abort:  removes what was written and frees f (NULL is a no-op) */
typedef struct fuin_outfile fuin_outfile;
FUIN_EXPORT fuin_status fuin_outfile_open(const char *path, int mode,
                                          unsigned flags, fuin_outfile **out,
                                          char *err, size_t errcap) FUIN_WUR;
FUIN_EXPORT int fuin_outfile_fd(const fuin_outfile *f);
FUIN_EXPORT fuin_status fuin_outfile_write(fuin_outfile *f, const void *buf,
                                           size_t len, char *err,
                                           size_t errcap) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_outfile_commit(fuin_outfile *f, char *err,
                                            size_t errcap) FUIN_WUR;
FUIN_EXPORT void fuin_outfile_abort(fuin_outfile *f);
/* Stale ".fuin-tmp-*" files of an interrupted run removed by open. */
FUIN_EXPORT unsigned fuin_outfile_stale_removed(const fuin_outfile *f);
/* Remove now the stale ".fuin-tmp-*" files in the directory that would
 * hold `path` (what open would remove), returning how many: for a caller
 * that writes through fuin_encrypt_fd()/fuin_decrypt_fd() and wants to
 * report them. */
FUIN_EXPORT unsigned fuin_outfile_sweep(const char *path);
/* 1 when the output is a device or FIFO written in place. */
FUIN_EXPORT int fuin_outfile_is_direct(const fuin_outfile *f);
/* Async-signal-safe: remove every named temporary still being written
 * (for SIGINT/SIGTERM/SIGHUP/SIGPIPE handlers, before re-raising). */
FUIN_EXPORT void fuin_outfile_unlink_all(void);

#ifdef __cplusplus
}
#endif

#include "fuin/sign.h"
#include "fuin/trust.h"
#include "fuin/policy.h"
#include "fuin/wipe.h"
#include "fuin/sanitize.h"
#include "fuin/ledger.h"
#include "fuin/pack.h"
#include "fuin/label.h"
#include "fuin/approval.h"

#endif /* FUIN_H */
