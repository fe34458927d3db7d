/*
 * fuin trust: staff cards, CISO certificates, the revocation list, the
 * trusted comment of fuin signatures, the trust store and release
 * verification.  Included by <fuin.h>; do not include directly.
 * Every text format is documented byte for byte in docs/trust.md.
 *
 * Ownership: plain structs (fuin_card, fuin_cert, fuin_sigmeta,
 * fuin_release_result) are filled by the library and owned by the caller;
 * the only heap member is fuin_sigmeta.cert_bundle, released by
 * fuin_sigmeta_clear() / fuin_release_result_clear().  Text produced into
 * `char **out` is malloc()ed; the caller free()s it.  Handles
 * (fuin_revocations, fuin_store) are opaque; *_free(NULL) is a no-op.
 * Pointers returned by accessors stay valid until the handle is freed.
 *
 * Error text: functions taking (err, errcap) write one NUL-terminated line
 * (truncated to errcap; err may be NULL) whenever they return an error.
 * Parsers name the line: "line 4: age-recipient: not a valid age recipient".
 *
 * Text values (names, e-mail, organisation, reasons, file names) must be
 * valid UTF-8 without control characters (C0, DEL, C1) and without the
 * invisible direction / zero-width characters U+200B-U+200F, U+202A-U+202E,
 * U+2066-U+2069 and U+FEFF, which could make one name look like another.
 */
#ifndef FUIN_TRUST_H
#define FUIN_TRUST_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define FUIN_TEXT_MAX 256   /* buffer size of names, e-mail, organisation */
#define FUIN_REASON_MAX 1024 /* longest revocation reason, bytes          */
#define FUIN_TIME_MAX 21    /* "YYYY-MM-DDTHH:MM:SSZ" + NUL               */

/* ---- time ------------------------------------------------------------- */
/* Times are seconds since the epoch (UTC).  The only text form is
 * RFC 3339 in UTC with a "Z" and whole seconds, "2026-11-25T18:00:00Z";
 * years 0000-9999, no leap second (:60).  FUIN_E_SYNTAX otherwise. */
FUIN_EXPORT fuin_status fuin_time_parse_rfc3339(const char *s,
                                                int64_t *t) FUIN_WUR;
/* For command-line dates such as --until: the full form above, or a bare
 * date "YYYY-MM-DD" meaning 23:59:59Z of that day when end_of_day is 1,
 * 00:00:00Z when it is 0. */
FUIN_EXPORT fuin_status fuin_time_parse_date(const char *s, int end_of_day,
                                             int64_t *t) FUIN_WUR;
/* Writes the RFC 3339 form (needs FUIN_TIME_MAX bytes); returns its length
 * (20), or 0 with buf set to "" if t is outside years 0000-9999 or cap is
 * too small. */
FUIN_EXPORT size_t fuin_time_format_rfc3339(int64_t t, char *buf, size_t cap);

/* ---- the card: a staff member's public identity ------------------------- */
/* Text (UTF-8, LF line ends, these lines in this order, nothing else):
 *     fuin-card: 1
 *     name: 山田 花子
 *     email: hanako@example.lg.jp        (or "email:" when there is none)
 *     age-recipient: age1...
 *     minisign-key-id: 0123456789ABCDEF
 *     minisign-public-key: RWQ...
 *     created: 2026-11-25T18:00:00Z                                        */
typedef struct {
    char name[FUIN_TEXT_MAX];      /* non-empty, no leading/trailing space  */
    char email[FUIN_TEXT_MAX];     /* "" or local@domain, no white space    */
    char age_recipient[FUIN_RECIPIENT_MAX];
    fuin_pubkey sign_pk;           /* minisign key (its key id included)    */
    int64_t created;
} fuin_card;

/* Strict: any deviation is FUIN_E_SYNTAX naming the line (exact header,
 * every key in order, "key: value", recipient checked with
 * fuin_recipient_check, the key id line equal to the public key's key id,
 * a final LF, no CR). */
FUIN_EXPORT fuin_status fuin_card_parse(const char *text, size_t len,
                                        fuin_card *card, char *err,
                                        size_t errcap) FUIN_WUR;
/* The text above; FUIN_E_INVALID if a field breaks the rules (then
 * *text is NULL).  parse(format(c)) == c and format(parse(t)) == t. */
FUIN_EXPORT fuin_status fuin_card_format(const fuin_card *card, char **text,
                                         size_t *len) FUIN_WUR;

/* ---- roles ------------------------------------------------------------ */
/* Separation of duties (policy 2.2(8)): who may approve is not who asks.
 * staff: signs and encrypts their own work.  manager: 情報セキュリティ管理者
 * / 情報システム管理者, approves.  sysadmin: operates systems and keys, does
 * not approve.  ciso: the CISO's own daily key (not the root key), which
 * approves what the policy reserves to the CISO (exceptions, by default;
 * [approval] in docs/policy.md).  fuin records the role; the policy
 * decides what it allows.  Appended only, never renumbered. */
typedef enum {
    FUIN_ROLE_STAFF = 1,
    FUIN_ROLE_MANAGER = 2,
    FUIN_ROLE_SYSADMIN = 3,
    FUIN_ROLE_CISO = 4
} fuin_role;
/* "staff", "manager", "sysadmin", "ciso"; NULL for any other value. */
FUIN_EXPORT const char *fuin_role_name(fuin_role r);
/* Accepts those names in any ASCII case; FUIN_E_INVALID otherwise. */
FUIN_EXPORT fuin_status fuin_role_parse(const char *s, fuin_role *r) FUIN_WUR;

/* ---- certificates ------------------------------------------------------- */
/* NAME.cert, signed by the root in NAME.cert.minisig (trusted comment
 * "fuin-certificate serial:<serial>"), so `minisign -Vm NAME.cert -p
 * root.pub` checks it.  Text:
 *     fuin-certificate: 1
 *     serial: 16 uppercase hex digits
 *     organisation: 〇〇事務組合
 *     role: staff|manager|sysadmin|ciso
 *     valid-from: RFC 3339
 *     valid-until: RFC 3339 (not before valid-from)
 *     root-key-id: 16 uppercase hex digits
 *     name: / email: / age-recipient: / minisign-key-id: /
 *     minisign-public-key: / created:   (the card's lines, same rules)     */
typedef struct {
    fuin_card card;
    fuin_role role;
    char organisation[FUIN_TEXT_MAX];
    char serial[17];
    int64_t valid_from;
    int64_t valid_until;                 /* inclusive                       */
    uint8_t root_keyid[FUIN_KEYID_BYTES]; /* stored order, as fuin_pubkey   */
} fuin_cert;

/* Syntax only, no signature check: FUIN_E_SYNTAX naming the line. */
FUIN_EXPORT fuin_status fuin_cert_parse(const char *text, size_t len,
                                        fuin_cert *cert, char *err,
                                        size_t errcap) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_cert_format(const fuin_cert *cert, char **text,
                                         size_t *len) FUIN_WUR;

/* Certify a card: a fresh random serial, root-key-id from `root`.  Writes
 * the certificate text and its .minisig text (both malloc()ed).
 * FUIN_E_INVALID for a bad card, role, organisation or validity
 * (valid_until before valid_from). */
FUIN_EXPORT fuin_status fuin_cert_issue(const fuin_card *card, fuin_role role,
                                        const char *organisation,
                                        int64_t valid_from,
                                        int64_t valid_until,
                                        const fuin_seckey *root,
                                        char **cert_text, size_t *cert_len,
                                        char **sig_text,
                                        size_t *sig_len) FUIN_WUR;

/* Check a certificate against the root public key, then parse it into
 * *out (filled only on FUIN_OK):
 *   FUIN_E_SIGFORMAT    the .minisig is malformed
 *   FUIN_E_FOREIGN_ROOT signed by another key than `root`, or its
 *                       root-key-id names another root
 *   FUIN_E_SIGNATURE    the certificate text was modified
 *   FUIN_E_COMMENT      the signature's trusted comment was modified or is
 *                       not "fuin-certificate serial:<this serial>"
 *   FUIN_E_SYNTAX       signed by the root but not a certificate          */
FUIN_EXPORT fuin_status fuin_cert_verify(const char *cert_text, size_t len,
                                         const char *sig_text, size_t siglen,
                                         const fuin_pubkey *root,
                                         fuin_cert *out, char *err,
                                         size_t errcap) FUIN_WUR;

/* ---- revocation list ---------------------------------------------------- */
/* revoked.txt, signed by the root in revoked.txt.minisig (trusted comment
 * "fuin-revocations updated:<updated>").  Text:
 *     fuin-revocations: 1
 *     organisation: 〇〇事務組合
 *     updated: RFC 3339
 *     revoke: <KEYID> <RFC 3339 time> <reason to the end of the line>
 *     ... (zero or more revoke lines, each key id at most once)           */
typedef struct fuin_revocations fuin_revocations;

/* An empty list.  FUIN_E_INVALID for a bad organisation. */
FUIN_EXPORT fuin_status fuin_revocations_new(const char *organisation,
                                             int64_t updated,
                                             fuin_revocations **out) FUIN_WUR;
FUIN_EXPORT void fuin_revocations_free(fuin_revocations *rl);
/* Verify sig_text with `root` (statuses as fuin_cert_verify, the trusted
 * comment must match the list's "updated"), then parse
 * (FUIN_E_SYNTAX naming the line). */
FUIN_EXPORT fuin_status fuin_revocations_parse_verified(
    const char *text, size_t len, const char *sig_text, size_t siglen,
    const fuin_pubkey *root, fuin_revocations **out, char *err,
    size_t errcap) FUIN_WUR;
/* FUIN_E_EXISTS if the key id is already listed (the list is unchanged);
 * FUIN_E_INVALID for an empty or bad reason.  Raises "updated" to `when`
 * if it is later. */
FUIN_EXPORT fuin_status fuin_revocations_add(fuin_revocations *rl,
                                             const uint8_t keyid[FUIN_KEYID_BYTES],
                                             int64_t when,
                                             const char *reason) FUIN_WUR;
FUIN_EXPORT void fuin_revocations_set_updated(fuin_revocations *rl,
                                              int64_t updated);
/* 1 and the revocation time and reason (either pointer may be NULL) if the
 * key id is listed, else 0.  rl NULL means an empty list. */
FUIN_EXPORT int fuin_revocations_find(const fuin_revocations *rl,
                                      const uint8_t keyid[FUIN_KEYID_BYTES],
                                      int64_t *when, const char **reason);
FUIN_EXPORT size_t fuin_revocations_count(const fuin_revocations *rl);
/* Entry i in list order; FUIN_E_INVALID if i is out of range. */
FUIN_EXPORT fuin_status fuin_revocations_entry(const fuin_revocations *rl,
                                               size_t i,
                                               uint8_t keyid[FUIN_KEYID_BYTES],
                                               int64_t *when,
                                               const char **reason);
FUIN_EXPORT const char *fuin_revocations_organisation(const fuin_revocations *rl);
FUIN_EXPORT int64_t fuin_revocations_updated(const fuin_revocations *rl);
FUIN_EXPORT fuin_status fuin_revocations_format(const fuin_revocations *rl,
                                                char **text,
                                                size_t *len) FUIN_WUR;
/* Format and sign with the root: revoked.txt and revoked.txt.minisig. */
FUIN_EXPORT fuin_status fuin_revocations_sign(const fuin_revocations *rl,
                                              const fuin_seckey *root,
                                              char **text, size_t *len,
                                              char **sig_text,
                                              size_t *sig_len) FUIN_WUR;

/* ---- the trusted comment of a fuin signature --------------------------- */
/* One line of TAB-separated fields, in this order (docs/trust.md):
 *   timestamp:N  file:NAME  hashed  fuin:1  signer:NAME  key-id:KEYID
 *   [class:LABEL]  time:RFC3339  [cert:BASE64]
 * The first three are what minisign itself writes, so `minisign -V` shows
 * a familiar line.  N and time are the same instant.  cert is standard
 * padded base64 of (certificate text || certificate .minisig text). */
#define FUIN_SIGMETA_MAX 8000 /* longest trusted comment fuin writes/reads */
typedef struct {
    char file[FUIN_TEXT_MAX];      /* may be ""                             */
    char signer[FUIN_TEXT_MAX];    /* the card's name, informational: the
                                      verified name is the certificate's    */
    uint8_t keyid[FUIN_KEYID_BYTES];
    int has_label;
    fuin_label label;
    int64_t time;                  /* signing time, >= 0                    */
    char *cert_bundle;             /* malloc()ed, NUL-terminated; NULL if
                                      the signer has no certificate         */
    size_t cert_bundle_len;
} fuin_sigmeta;

/* *out is malloc()ed.  FUIN_E_INVALID if a value is empty where it may not
 * be, has TAB/CR/LF or other forbidden characters, or the bundle is not
 * a certificate followed by its .minisig; FUIN_E_LIMIT beyond
 * FUIN_SIGMETA_MAX. */
FUIN_EXPORT fuin_status fuin_sigmeta_format(const fuin_sigmeta *meta,
                                            char **out) FUIN_WUR;
/* Overwrites *meta without freeing what it held (clear a meta before
 * reusing it) and leaves it to be fuin_sigmeta_clear()ed, even on error.
 * FUIN_E_UNTRUSTED: not a fuin comment at all (e.g. stock minisign's
 * "timestamp:N\tfile:NAME\thashed"); FUIN_E_SYNTAX: a fuin comment that
 * breaks the format (err names the field). */
FUIN_EXPORT fuin_status fuin_sigmeta_parse(const char *trusted_comment,
                                           fuin_sigmeta *meta, char *err,
                                           size_t errcap) FUIN_WUR;
/* Replace meta's bundle with cert || sig (copied; the old one is freed). */
FUIN_EXPORT fuin_status fuin_sigmeta_set_cert(fuin_sigmeta *meta,
                                              const char *cert_text,
                                              size_t cert_len,
                                              const char *sig_text,
                                              size_t sig_len) FUIN_WUR;
/* Split the bundle into the certificate and its .minisig (pointers into
 * meta->cert_bundle).  FUIN_E_UNTRUSTED if there is no bundle,
 * FUIN_E_SYNTAX if it has no "untrusted comment:" line after the
 * certificate. */
FUIN_EXPORT fuin_status fuin_sigmeta_cert(const fuin_sigmeta *meta,
                                          const char **cert_text,
                                          size_t *cert_len,
                                          const char **sig_text,
                                          size_t *sig_len) FUIN_WUR;
FUIN_EXPORT void fuin_sigmeta_clear(fuin_sigmeta *meta);

/* ---- trust store -------------------------------------------------------- */
/* A directory (default /etc/fuin/):
 *   root.pub                         required: the CISO root public key
 *   revoked.txt + revoked.txt.minisig  optional (absent = nothing revoked)
 *   certs/NAME.cert + .cert.minisig  known certificates, each verified
 *   policy.ini + policy.ini.minisig  optional signed policy (text kept raw
 *                                    for the policy module)
 * Everything is checked when the store is opened; nothing is re-read. */
typedef struct fuin_store fuin_store;

/* Errors name the file (full path):
 *   FUIN_E_IO       a file cannot be read (root.pub missing, ...)
 *   FUIN_E_LIMIT    a file is larger than its cap (key 16 KiB, signature
 *                   and certificate 64 KiB, policy 1 MiB, list 16 MiB)
 *   FUIN_E_SIGFORMAT / FUIN_E_KEY  root.pub or a .minisig is malformed
 *   FUIN_E_SIGNATURE "DIR/policy.ini: signature missing" / "... invalid",
 *                   a list or certificate whose signature is missing or
 *                   does not verify; also policy.ini.minisig without
 *                   policy.ini (a deleted policy must not fall back to
 *                   the built-in default silently)
 *   other statuses of fuin_cert_verify / fuin_revocations_parse_verified */
FUIN_EXPORT fuin_status fuin_store_open(const char *dir, fuin_store **out,
                                        char *err, size_t errcap) FUIN_WUR;
/* A store for an outside verifier: the root public key file and,
 * optionally (NULL), a revocation list file (its signature at
 * PATH.minisig).  No certificates, no policy. */
FUIN_EXPORT fuin_status fuin_store_open_root(const char *root_pub_path,
                                             const char *revoked_path,
                                             fuin_store **out, char *err,
                                             size_t errcap) FUIN_WUR;
FUIN_EXPORT void fuin_store_free(fuin_store *s);

FUIN_EXPORT const fuin_pubkey *fuin_store_root(const fuin_store *s);
/* NULL when the store has no revocation list (fuin_revocations_find and
 * fuin_release_check accept NULL as an empty list). */
FUIN_EXPORT const fuin_revocations *fuin_store_revocations(const fuin_store *s);
FUIN_EXPORT size_t fuin_store_cert_count(const fuin_store *s);
/* Certificates in file-name order; NULL if i is out of range. */
FUIN_EXPORT const fuin_cert *fuin_store_cert(const fuin_store *s, size_t i);
/* The verified policy.ini bytes (NUL-terminated) and the path to name in
 * messages; NULL when the store has no policy (the built-in default
 * applies). */
FUIN_EXPORT const char *fuin_store_policy_text(const fuin_store *s,
                                               size_t *len);
FUIN_EXPORT const char *fuin_store_policy_path(const fuin_store *s);

/* When the installed policy was signed (the "timestamp:" of
 * policy.ini.minisig), 0 when the store has no policy. */
FUIN_EXPORT int64_t fuin_store_policy_signed(const fuin_store *s);

/* Updating a store (`fuin store update`): should it take this signed file?
 * Each is verified with the store's root and must not be older than what
 * the store holds, so that nobody can put back an old policy or an old
 * revocation list (one that does not yet revoke a lost key).
 *   FUIN_OK             (revocations: *out, if not NULL, holds the list;
 *                       policy: *signed_at its signing time)
 *   FUIN_E_SIGNATURE / FUIN_E_WRONG_KEY / FUIN_E_SIGFORMAT / FUIN_E_COMMENT
 *                       the signature is not the root's over this file
 *   FUIN_E_SYNTAX       not a policy / revocation list (line named)
 *   FUIN_E_POLICY       older than the installed one, or (revocations) it
 *                       drops a key the installed list revokes */
FUIN_EXPORT fuin_status fuin_store_check_policy_update(
    const fuin_store *s, const char *text, size_t len, const char *sig,
    size_t siglen, int64_t *signed_at, char *err, size_t errcap) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_store_check_revocations_update(
    const fuin_store *s, const char *text, size_t len, const char *sig,
    size_t siglen, fuin_revocations **out, char *err, size_t errcap) FUIN_WUR;

/* Single use of approvals.  An approval is carried out once; which
 * approvals were used is kept in the trust store, DIR/used/HASH (HASH:
 * the 64 lower-case hex digits of the request's SHA-256), not in a ledger
 * the operator names, so choosing another ledger does not make an
 * approval new again.  The file holds one line: what used it.
 * claim creates it with O_EXCL (of two operators at the same instant one
 * wins) and fsyncs it: FUIN_OK, FUIN_E_EXISTS (err: the path and its
 * line), FUIN_E_IO (the store is not writable; err names the path).
 * release removes a claim whose disposal failed, so that it may be tried
 * again.  used: FUIN_OK with the line in note, or FUIN_E_NO_MATCH.
 * FUIN_E_INVALID for a store opened with fuin_store_open_root() or a bad
 * hash. */
FUIN_EXPORT fuin_status fuin_store_approval_claim(const fuin_store *s,
                                                  const char *hash,
                                                  const char *note, char *err,
                                                  size_t errcap) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_store_approval_release(const fuin_store *s,
                                                    const char *hash);
FUIN_EXPORT fuin_status fuin_store_approval_used(const fuin_store *s,
                                                 const char *hash, char *note,
                                                 size_t cap);

/* "Now" for the checks below: 0 (the default) reads the clock on every
 * call; any other value is used as the current time (tests, "as of"). */
FUIN_EXPORT void fuin_store_set_time(fuin_store *s, int64_t now);

/* Is this certificate usable now: FUIN_OK, FUIN_E_EXPIRED (outside its
 * validity) or FUIN_E_REVOKED (its key is on the list), with a message
 * naming the person. */
FUIN_EXPORT fuin_status fuin_store_check_cert(const fuin_store *s,
                                              const fuin_cert *c, char *err,
                                              size_t errcap) FUIN_WUR;

/* Find the certified colleague meant by `who`: an age1 recipient (exact),
 * an e-mail address (contains '@'; ASCII case-insensitive), or a name
 * (white space at both ends ignored; ASCII and ideographic spaces inside
 * are ignored, so "山田花子" and "山田　花子" find "山田 花子"; ASCII
 * case-insensitive).  Only certificates that are valid now and not revoked
 * count.  Several certificates for the same age recipient, or for the same
 * name and e-mail, count as one person (the newest card wins).
 *   FUIN_OK           *out points into the store
 *   FUIN_E_AMBIGUOUS  "ambiguous: 佐藤 (sato@..), 佐藤 (sato.k@..)"
 *   FUIN_E_UNTRUSTED  "no certified colleague named 山田"
 *   FUIN_E_EXPIRED / FUIN_E_REVOKED  only a no longer (or not yet) valid
 *                     or revoked certificate matches; the message says so */
FUIN_EXPORT fuin_status fuin_store_resolve(const fuin_store *s, const char *who,
                                           const fuin_cert **out, char *err,
                                           size_t errcap) FUIN_WUR;
/* For policy checks: the certificate of a certified (present, unrevoked,
 * valid now) recipient or signing key, or NULL. */
FUIN_EXPORT const fuin_cert *fuin_store_find_recipient(const fuin_store *s,
                                                       const char *recipient);
FUIN_EXPORT const fuin_cert *fuin_store_find_keyid(
    const fuin_store *s, const uint8_t keyid[FUIN_KEYID_BYTES]);

/* ---- release verification ---------------------------------------------- */
/* What `fuin verify --trust ROOT.pub FILE` decides.  The caller loads the
 * .minisig into a verifier and feeds it the whole file (one pass, constant
 * memory) but does NOT call fuin_verify_final(); fuin_release_check() does,
 * with the key from the certificate carried in the trusted comment.
 * Steps, first failure wins (r->status, r->reason):
 *   FUIN_E_UNTRUSTED    "unknown signer: the signature carries no
 *                       certificate" (or the comment / certificate in it
 *                       cannot be read)
 *   FUIN_E_FOREIGN_ROOT "certificate signed by another root (key id X,
 *                       expected Y)"
 *   FUIN_E_SIGNATURE / FUIN_E_COMMENT for the certificate itself:
 *                       "certificate was modified (...)"
 *   FUIN_E_WRONG_KEY    the signature's key id is not the certificate's
 *   FUIN_E_SIGNATURE    "file modified (signature does not verify)"
 *   FUIN_E_COMMENT      "trusted comment modified (signature does not
 *                       verify)"
 *   FUIN_E_REVOKED      "key X revoked on T: reason" -- whatever the
 *                       signing time: the signing time is the signer's own
 *                       claim, and a stolen key can claim any time, so a
 *                       revocation invalidates every signature of the key,
 *                       earlier ones included (re-sign with a new key)
 *   FUIN_E_EXPIRED      "certificate expired at signing time (valid until
 *                       T1, signed T2)" / "certificate not yet valid at
 *                       signing time (valid from T1, signed T2)"
 *   FUIN_OK             "signed by 山田 花子 (staff), label C2-I2-A1, at T,
 *                       certified by 〇〇事務組合" (", label ..." left out
 *                       when the signature has no label)
 * `rl` may be NULL (no revocation list).  *r is overwritten without
 * freeing what it held; release it with fuin_release_result_clear().  Returns r->status; FUIN_E_STATE (and
 * nothing else happens) if v has no signature loaded. */
#define FUIN_RESULT_REASON_MAX 2048
typedef struct {
    fuin_status status;
    int has_meta;         /* the trusted comment parsed into meta           */
    fuin_sigmeta meta;    /* authenticated only when status is FUIN_OK or
                             FUIN_E_REVOKED / FUIN_E_EXPIRED                */
    int has_cert;         /* the carried certificate verified with the root */
    fuin_cert cert;
    int64_t revoked_at;   /* FUIN_E_REVOKED: the listed revocation time     */
    char reason[FUIN_RESULT_REASON_MAX]; /* one line, UTF-8, no file name   */
} fuin_release_result;

FUIN_EXPORT fuin_status fuin_release_check(const fuin_pubkey *root,
                                           const fuin_revocations *rl,
                                           fuin_verifier *v,
                                           fuin_release_result *r) FUIN_WUR;
FUIN_EXPORT void fuin_release_result_clear(fuin_release_result *r);

#ifdef __cplusplus
}
#endif
#endif
