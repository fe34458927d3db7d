/*
 * fuin packages: several files sealed as one, by class, and received
 * packages verified and opened safely.  Included by <fuin.h>; do not
 * include directly.  The format is documented in docs/packages.md.
 *
 * A package is a pax tar (optionally zstd-compressed), sealed as an age v1
 * file when its class needs encryption.  The tar holds, in this order:
 *   fuin-manifest.jsonl          what is inside (JSON Lines, below)
 *   fuin-manifest.jsonl.minisig  minisign signature of the manifest (when
 *                                signed): fuin's trusted comment, with the
 *                                signer's certificate and the class
 *   bagit.txt, manifest-sha256.txt  so that an extracted package is a
 *                                BagIt bag (RFC 8493)
 *   data/PATH ...                the files, in manifest order, each with
 *                                its label in the pax xattr user.fuin.label
 *
 * Manifest: line 1 describes the package, every further line one entry:
 *   {"fuin-package":1,"class":"C2-I2-A1","created":"2026-12-06T10:00:00Z",
 *    "creator":"山田 花子","tool":"fuin 0.5.0","hash":"sha256",
 *    "entries":2,"bytes":1234,"recipients":["age1..."],"approval":""}
 *   {"path":"docs","type":"dir","mode":"0755","mtime":"..."}
 *   {"path":"docs/a.txt","type":"file","size":1234,"mode":"0644",
 *    "mtime":"...","sha256":"<64 hex>","label":"C2-I1-A1"}
 * Entry paths are relative, '/'-separated, NFC-clean UTF-8 that passes
 * fuin_entry_name_check(); a directory comes before what it contains.
 */
#ifndef FUIN_PACK_H
#define FUIN_PACK_H
#ifndef FUIN_H
#error "include <fuin.h>"
#endif
#ifdef __cplusplus
extern "C" {
#endif

#define FUIN_MANIFEST_NAME "fuin-manifest.jsonl"
#define FUIN_MANIFEST_SIG_NAME "fuin-manifest.jsonl.minisig"
#define FUIN_PACKAGE_DATA_DIR "data/"
/* Longest manifest line and entry path, in bytes. */
#define FUIN_MANIFEST_MAX_LINE 16384u
#define FUIN_ENTRY_PATH_MAX 4096u
/* The pax xattr (and, on extraction, the file's xattr) holding a label. */
#define FUIN_LABEL_XATTR "user.fuin.label"

/* ---- entry names -------------------------------------------------------
 * Is `path` (len bytes) safe to create beneath a directory?  Refused, with
 * the reason in msg: empty, absolute, a ".." or "." or empty component
 * (after dropping one leading "./"), longer than FUIN_ENTRY_PATH_MAX or a
 * component over 255 bytes, not UTF-8, a NUL, C0/C1 control or DEL,
 * bidirectional overrides/isolates/marks, zero-width characters,
 * U+2028/U+2029 or the BOM, a backslash, and names Windows cannot hold:
 * < > : " | ? *, a component ending in a dot or a space, and the reserved
 * device names CON PRN AUX NUL COM1-9 LPT1-9 (with any extension, any
 * case).  FUIN_OK or FUIN_E_UNSAFE. */
FUIN_EXPORT fuin_status fuin_entry_name_check(const char *path, size_t len,
                                              char *msg, size_t cap) FUIN_WUR;
/* The key under which two names collide on a case-insensitive or
 * normalising file system (macOS, Windows, a USB stick): the Unicode
 * case folding of the NFC form (NFKC is not used: distinct compatibility
 * characters are distinct names on those systems too).  malloc()ed,
 * NUL-terminated; NULL if not UTF-8 or memory is short. */
FUIN_EXPORT char *fuin_entry_collision_key(const char *path, size_t len);

/* ---- manifest entries --------------------------------------------------- */
typedef enum { FUIN_ENTRY_FILE = 1, FUIN_ENTRY_DIR = 2 } fuin_entry_type;

typedef struct {
    const char *path;        /* relative, without "data/"; owned by the
                                handle that returned the entry          */
    fuin_entry_type type;
    uint64_t size;           /* 0 for a directory                        */
    unsigned mode;           /* permission bits only, <= 0777            */
    int64_t mtime;           /* seconds since the epoch                  */
    uint8_t sha256[32];      /* files only                               */
    int has_label;
    fuin_label label;
} fuin_pack_entry;

/* The package line of a manifest. */
#define FUIN_MANIFEST_MAX_RECIPIENTS 64
typedef struct {
    fuin_label class_label;
    int64_t created;
    char creator[FUIN_TEXT_MAX];
    char tool[64];
    uint64_t entries, bytes;
    size_t n_recipients;
    char recipients[FUIN_MANIFEST_MAX_RECIPIENTS][FUIN_RECIPIENT_MAX];
    char approval[FUIN_TEXT_MAX];   /* "" when none applied              */
} fuin_manifest_info;

/* ---- packing ------------------------------------------------------------ */
typedef struct fuin_packer fuin_packer;
FUIN_EXPORT fuin_packer *fuin_packer_new(void);
FUIN_EXPORT void fuin_packer_free(fuin_packer *p);
FUIN_EXPORT const char *fuin_packer_errmsg(const fuin_packer *p);
/* Add a file or a directory (recursively, in byte order of names) under
 * its last path component: "docs/" packs as "docs/...", "a/b.txt" as
 * "b.txt".  Only regular files and directories are packed: a symbolic
 * link, device, FIFO or socket is refused (FUIN_E_UNSAFE, named), as is a
 * name that fails fuin_entry_name_check() or collides with another
 * (FUIN_E_UNSAFE).  Labels come from every place the file shows one
 * (fuin_file_labels_read(): the xattrs, a bracketed label that starts the
 * name such as 【機密性2】報告.pdf, document properties, an age header);
 * places that disagree, or one that is not a label, are FUIN_E_LABEL
 * with the reason.
 * FUIN_E_IO names the path.  After a write (fuin_packer_write or
 * fuin_packer_write_zip, even a failed one), FUIN_E_STATE: a packer
 * writes one package (it may be written again). */
FUIN_EXPORT fuin_status fuin_packer_add_path(fuin_packer *p, const char *path) FUIN_WUR;
FUIN_EXPORT size_t fuin_packer_count(const fuin_packer *p);
FUIN_EXPORT const fuin_pack_entry *fuin_packer_entry(const fuin_packer *p, size_t i);
/* The lowest class that holds every labelled entry (each of C, I, A the
 * highest found; restrictions the union); C1-I1-A1 when none is labelled. */
FUIN_EXPORT void fuin_packer_min_class(const fuin_packer *p, fuin_label *out);
/* The package's class.  FUIN_E_POLICY if it is below an entry's label in
 * any of C, I, A (the message names the entry): a package is classed by
 * the highest class of anything inside (policy §2.3(2)⑤(ウ)). */
FUIN_EXPORT fuin_status fuin_packer_set_class(fuin_packer *p, const fuin_label *l) FUIN_WUR;
/* The policy whose [labels] msip_C1..msip_C3 map Microsoft Purview labels
 * found in Office documents (fuin_file_labels_read()); set it before
 * adding paths.  Not copied: it must outlive the packer's writing. */
FUIN_EXPORT void fuin_packer_set_policy(fuin_packer *p, const fuin_policy *policy);
FUIN_EXPORT fuin_status fuin_packer_set_creator(fuin_packer *p, const char *name);
/* The approval the package is sent under: the hex SHA-256 of the approved
 * provide request (its id, docs/approvals.md), written to the manifest's
 * "approval" field, which the signature covers. */
FUIN_EXPORT fuin_status fuin_packer_set_approval(fuin_packer *p, const char *id);
/* What a provide request for this package names (its "object"): hashes
 * every file (once; writing then does not hash again) and writes
 * "sha256:" and the hex SHA-256 of the lines "<sha256 hex>  <path>\n" of
 * every file entry, in manifest order (directories are not included), into
 * obj (FUIN_OBJECT_MAX bytes).  The same files under the same names give
 * the same object, whatever their times or modes.  Statuses of
 * fuin_packer_write's hashing (FUIN_E_IO, FUIN_E_MISMATCH), FUIN_E_STATE
 * after a write. */
FUIN_EXPORT fuin_status fuin_packer_object(fuin_packer *p, char *obj, size_t cap) FUIN_WUR;
/* zstd level 1..9 (0 = none, the default).  Levels above 9 need more
 * than the 64 MiB fuin stays within and are not offered. */
FUIN_EXPORT fuin_status fuin_packer_set_zstd(fuin_packer *p, int level);
/* Seal: `e` (configured with recipients or a passphrase, not begun) gets
 * the package class as its label; the packer does not own it.  Recipient
 * strings given here are recorded in the manifest. */
FUIN_EXPORT fuin_status fuin_packer_set_encryptor(fuin_packer *p, fuin_encryptor *e);
FUIN_EXPORT fuin_status fuin_packer_add_recipient_note(fuin_packer *p,
                                                       const char *recipient);
/* Sign the manifest with `sk`; `meta` supplies signer, key id and the
 * certificate bundle (time, file and label are set by the packer).  Both
 * are copied. */
FUIN_EXPORT fuin_status fuin_packer_set_signer(fuin_packer *p, const fuin_seckey *sk,
                                               const fuin_sigmeta *meta) FUIN_WUR;
/* Write the package to `out`: hash every file (on every CPU), write the
 * manifest, its signature and the files in one pass in constant memory.
 * A file that changes while it is packed (size, mtime, ctime) fails with
 * FUIN_E_MISMATCH.  FUIN_E_IO names the file. */
FUIN_EXPORT fuin_status fuin_packer_write(fuin_packer *p, fuin_write_fn out,
                                          void *ctx) FUIN_WUR;

/* ---- password zips (fuin pack --zip) ------------------------------------
 * For outside recipients who have only Windows and 7-Zip: the same layout
 * (manifest, signature, BagIt files, data/) in a zip whose every file is
 * encrypted with WinZip AES-256 (AE-2), written with libzip; UTF-8 names;
 * nothing compressed (deflate stored blocks).  Names, sizes and times are NOT
 * encrypted in a zip.  Windows Explorer alone cannot open AES zips.
 * Recipient keys (age) are preferred; see docs/packages.md on "PPAP". */
#define FUIN_ZIP_PASSPHRASE_MAX 32
/* A new passphrase: 24 symbols of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ (120
 * bits) in six groups of four, "7KQM-R3TX-...", NUL-terminated; cap >=
 * FUIN_ZIP_PASSPHRASE_MAX (give sodium_malloc() memory). */
FUIN_EXPORT fuin_status fuin_zip_passphrase_new(char *buf, size_t cap);
/* Write the zip to `path` (written beside it, flushed, renamed into
 * place; an existing path is kept unless FUIN_F_FORCE: FUIN_E_EXISTS).
 * No encryptor may be set.  Each file is read once (on every CPU), and the
 * manifest written over a placeholder at the end.  A file that changes
 * while it is packed: FUIN_E_MISMATCH. */
FUIN_EXPORT fuin_status fuin_packer_write_zip(fuin_packer *p, const char *path,
                                              const char *passphrase,
                                              unsigned flags) FUIN_WUR;

/* ---- verifying and unpacking ------------------------------------------- */
typedef struct {
    uint64_t max_entries;     /* default 1,000,000                       */
    uint64_t max_file_bytes;  /* default 64 GiB                          */
    uint64_t max_total_bytes; /* default 256 GiB                         */
    uint64_t max_ratio;       /* uncompressed / compressed, default 1000 */
} fuin_unpack_limits;
FUIN_EXPORT void fuin_unpack_limits_default(fuin_unpack_limits *l);

typedef struct fuin_unpacker fuin_unpacker;
FUIN_EXPORT fuin_unpacker *fuin_unpacker_new(void);
FUIN_EXPORT void fuin_unpacker_free(fuin_unpacker *u);
FUIN_EXPORT const char *fuin_unpacker_errmsg(const fuin_unpacker *u);
/* Used when the input is an age file (not owned; configured with
 * identities or a passphrase callback).  Without one an encrypted input
 * fails with FUIN_E_NO_MATCH. */
FUIN_EXPORT fuin_status fuin_unpacker_set_decryptor(fuin_unpacker *u, fuin_decryptor *d);
/* The trust root and revocation list (rl may be NULL: not checked, the
 * result says so) a signature is checked against, and the policy (NULL:
 * the built-in default).  None is owned. */
FUIN_EXPORT fuin_status fuin_unpacker_set_trust(fuin_unpacker *u, const fuin_pubkey *root,
                                                const fuin_revocations *rl);
FUIN_EXPORT fuin_status fuin_unpacker_set_policy(fuin_unpacker *u, const fuin_policy *pol);
FUIN_EXPORT fuin_status fuin_unpacker_set_limits(fuin_unpacker *u,
                                                 const fuin_unpack_limits *l);
/* Extract into `dir` (NULL: verify only, nothing is written).  Entries
 * are written to a private directory DIR/.fuin-unpack-XXXXXX, every check
 * is made, and only then are the top-level names moved into DIR (never
 * replacing anything: FUIN_E_EXISTS names the first clash, and nothing
 * is moved).  On any failure nothing is left in DIR. */
FUIN_EXPORT fuin_status fuin_unpacker_set_dest(fuin_unpacker *u, const char *dir);
/* Refuse a signed package when no revocation list was given
 * (FUIN_E_UNTRUSTED), before anything is extracted. */
FUIN_EXPORT fuin_status fuin_unpacker_set_require_revocation(fuin_unpacker *u, int on);
/* Accept an archive that is not a fuin package (any tar or zip): only
 * the safety checks apply, nothing is verified; the result says so.
 * Off by default: a non-package input is FUIN_E_HEADER. */
FUIN_EXPORT fuin_status fuin_unpacker_set_foreign(fuin_unpacker *u, int allow);
/* Replace unsafe characters in names ('_') and suffix reserved names
 * instead of refusing them (the result counts the renames). */
FUIN_EXPORT fuin_status fuin_unpacker_set_rename_unsafe(fuin_unpacker *u, int on);
/* Passphrase for an encrypted zip (WinZip AES). */
FUIN_EXPORT fuin_status fuin_unpacker_set_zip_passphrase_cb(fuin_unpacker *u,
                                                            fuin_passphrase_fn cb,
                                                            void *ctx);

/* Read the package (or archive) from in_fd.  Statuses:
 *   FUIN_OK          verified (and, with a dest, moved into place)
 *   FUIN_E_HEADER / FUIN_E_SYNTAX  not a package or archive, malformed
 *                    manifest (the message names the line)
 *   FUIN_E_NO_MATCH, FUIN_E_HMAC  the age layer did not open
 *   FUIN_E_SIGNATURE, FUIN_E_COMMENT, FUIN_E_WRONG_KEY, FUIN_E_SIGFORMAT
 *                    the manifest's signature is bad
 *   FUIN_E_UNTRUSTED, FUIN_E_FOREIGN_ROOT, FUIN_E_EXPIRED, FUIN_E_REVOKED
 *                    the signer is not trusted
 *   FUIN_E_MISMATCH  contents differ from the manifest: a file changed,
 *                    missing, added or duplicated, truncation (also of
 *                    the age payload: FUIN_E_PAYLOAD)
 *   FUIN_E_UNSAFE    an entry could not be created safely (name, type,
 *                    link target, collision)
 *   FUIN_E_LIMIT     a size, count or ratio limit
 *   FUIN_E_POLICY    the package's class is not sealed as the policy
 *                    demands, or an entry's label is above the class
 *   FUIN_E_EXISTS, FUIN_E_IO */
FUIN_EXPORT fuin_status fuin_unpack_fd(fuin_unpacker *u, int in_fd) FUIN_WUR;

/* Async-signal-safe: make a running fuin_unpack_fd() stop at its next
 * read (FUIN_E_IO, "interrupted"), removing what it extracted; for a
 * SIGINT/SIGTERM handler.  Every later call fails the same way. */
FUIN_EXPORT void fuin_unpack_interrupt(void);

typedef struct {
    int is_package;          /* a fuin package (else a foreign archive)  */
    int encrypted;           /* arrived as an age file                   */
    int zip_aes;             /* a zip whose every file is AES-encrypted  */
    int has_age_label;
    fuin_label age_label;    /* the fuin-label stanza, authenticated     */
    int has_manifest;
    fuin_manifest_info info;
    int signed_;             /* carried a manifest signature             */
    fuin_release_result release; /* the signature check (when signed_)   */
    int revocation_checked;
    uint64_t entries, bytes; /* what was read                            */
    uint64_t renamed;        /* names changed by rename_unsafe           */
} fuin_unpack_result;
FUIN_EXPORT const fuin_unpack_result *fuin_unpacker_result(const fuin_unpacker *u);
/* Entries read, in order (for listing): valid after fuin_unpack_fd(). */
FUIN_EXPORT size_t fuin_unpacker_count(const fuin_unpacker *u);
FUIN_EXPORT const fuin_pack_entry *fuin_unpacker_entry(const fuin_unpacker *u, size_t i);

#ifdef __cplusplus
}
#endif
#endif
