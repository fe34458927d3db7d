/*
 * fuin ledger: signed disposal records in a tamper-evident, append-only
 * ledger file.  Included by <fuin.h>; do not include directly.
 *
 * File format: UTF-8 text, one record per line, each line terminated by a
 * single LF.  A line is one JSON object written by jansson with
 * JSON_COMPACT | JSON_SORT_KEYS (UTF-8 kept as is, not \u-escaped), and the
 * verifier insists that every line re-serialises to exactly its own bytes,
 * so there is one byte form per record.  Keys:
 *   record_id    16 lowercase hex digits, random
 *   seq          1, 2, 3, ... (line n holds seq n)
 *   prev_hash    hex SHA-256 of the previous line's bytes (without its LF);
 *                64 zeros on the first line
 *   start, end   RFC 3339 in the operator's local time with its UTC offset
 *                ("2026-11-26T05:47:07+09:00"; "2026-11-25T20:47:07Z" when
 *                the offset is zero).  The verifier accepts exactly these
 *                two forms: offset +HH:MM or -HH:MM with HH <= 23 and
 *                MM <= 59, never +00:00 or -00:00 (UTC is written Z).
 *                Ledgers written before offsets (all "Z") still verify.
 *   operator     {"name": text, "key_id": 16 uppercase hex digits}
 *   witness, approver, asset_id      text or null
 *   class        canonical label text ("C3-I2-A2 複製禁止") or null
 *   target       {"kind": "file"|"device"|"physical", "path", "model",
 *                 "serial", "transport": text or null, "size": bytes or null}
 *   method       text; category "Clear"|"Purge"|"Destroy"|"none"
 *   passes       integer; pattern text or null
 *   verify       {"mode": text or null, "bytes": integer}
 *   errors       [text, ...]
 *   result       "success"|"failure"|"interrupted"
 *   fuin_version the library's version; caveat text or null
 *   request      (only when the disposal carried out an approved request)
 *                hex SHA-256 of the request's bytes
 *   sig          {"signature": line 2 of the .minisig (base64 of "ED" ||
 *                 key id || Ed25519 signature), "comment": the trusted
 *                 comment "fuin-ledger record:<record_id> seq:<seq>",
 *                 "global": line 4 (base64 global signature)}
 * The signature is the operator's minisign ("ED", prehashed) signature
 * over the canonical JSON of the record without its "sig" key; the
 * .minisig text is therefore
 *   "untrusted comment: fuin ledger record\n" + signature + "\n" +
 *   "trusted comment: " + comment + "\n" + global + "\n"
 * and `minisign -V` can check a record extracted with e.g. jq.
 *
 * Torn lines: a crash in the middle of an append can leave an unterminated
 * last line.  Every complete line before it is intact (appends are one
 * write() each, followed by fsync).  fuin_ledger_verify() reports the torn
 * line and its byte offset; fuin_ledger_append() refuses to append after
 * it, so that nothing is chained to a record that was never complete.
 * Repair: after verify reports everything before the torn line as good,
 * truncate the file to report.torn_offset bytes (fuin_ledger_repair()),
 * best keeping the cut bytes aside (fuin_ledger_repair_keep()).  The torn
 * record was never acknowledged to its caller, so nothing that anyone was
 * told is lost.
 */
#ifndef FUIN_LEDGER_H
#define FUIN_LEDGER_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Longest ledger line read or written (bytes, without the LF). */
#define FUIN_LEDGER_MAX_LINE (1024u * 1024u)
#define FUIN_LEDGER_REASON_MAX 1024

/* One disposal record, filled by the caller.  Text members are UTF-8,
 * borrowed (never retained) and may be NULL where the JSON allows null.
 * Required: operator_name, target_kind, method, category, result (each
 * from its set above); start/end >= 0.  The members after the blank line
 * are written by fuin_ledger_append(). */
typedef struct {
    int64_t start, end;             /* seconds since the epoch; written in
                                       local time with the offset that the
                                       process's TZ gives at that instant  */
    const char *operator_name;      /* key id comes from the signing key   */
    const char *witness;
    const char *approver;
    const char *asset_id;
    const fuin_label *label;        /* NULL: "class": null                 */
    const char *target_kind;        /* "file" | "device" | "physical"      */
    const char *target_path;
    const char *target_model;
    const char *target_serial;
    const char *target_transport;   /* "USB", "SATA", "NVMe", "MMC", ...   */
    int64_t target_size;            /* bytes; < 0: unknown (null)          */
    const char *method;             /* e.g. "zero-1pass", "chacha20-1pass" */
    const char *category;           /* "Clear" | "Purge" | "Destroy" | "none" */
    unsigned passes;
    const char *pattern;
    const char *verify_mode;        /* "full", "sample=5", "none", NULL    */
    uint64_t verify_bytes;
    const char *const *errors;      /* nerrors strings (may be NULL if 0)  */
    size_t nerrors;
    const char *result;             /* "success" | "failure" | "interrupted" */
    const char *caveat;
    /* The approved disposal request this disposal carried out: 64
     * lowercase hex digits (SHA-256 of the request's bytes), or NULL.
     * Written as the key "request" only when set, so records without an
     * approval keep the form they had before the key existed. */
    const char *request;
    /* Operation records (docs/audit.md).  op NULL: a disposal record, as
     * above, written without the keys below.  Otherwise one of
     * FUIN_LEDGER_OPS ("encrypt", "decrypt", ...): the record also gets
     * "op", "user" (the login name, required) and "detail" (one line or
     * null), and "target" gets "sha256" (64 lowercase hex digits or
     * null).  Such a record may be written without a key
     * (operator_key NULL): it is chained at once, "sig" is null, and the
     * next signed record (any record written with a key, or a
     * checkpoint) vouches for it through its prev_hash. */
    const char *op;
    const char *user;
    const char *detail;
    const char *target_sha256;
    /* The operator's key id when operator_key is NULL (NULL: "key_id":
     * null); ignored when a key signs. */
    const uint8_t *operator_keyid;

    /* out: set by fuin_ledger_append() on FUIN_OK */
    char record_id[17];
    uint64_t seq;
    char hash[65];                  /* hex SHA-256 of the line written     */
} fuin_record;

/* The operations an operation record may name (fuin_record.op). */
#define FUIN_LEDGER_OPS                                                        \
    "encrypt", "decrypt", "sign", "verify", "label", "pack", "unpack",         \
        "request", "approve", "certify", "revoke", "policy-install",           \
        "key-new", "key-passwd", "checkpoint"

/* Append one signed record to the ledger at `path` (created 0600 if
 * absent; a symlink or non-regular file is refused).  The append holds an
 * exclusive flock() on the file from reading the last line until after
 * write() + fsync(), so concurrent appenders (several wipes at once,
 * several processes) chain correctly.  The line goes out in a single
 * write(); a short write is truncated away again.  Statuses:
 *   FUIN_E_INVALID  a required field missing or not from its set, text not
 *                   valid UTF-8, bad key handle
 *   FUIN_E_SYNTAX   the ledger's last line is torn ("ledger: torn last line
 *                   at byte N: run fuin ledger verify") or not a record
 *   FUIN_E_LIMIT    the record would exceed FUIN_LEDGER_MAX_LINE
 *   FUIN_E_IO       open, lock, read, write or fsync failed
 *   FUIN_E_NOMEM
 * `err` (may be NULL) receives one line on error. */
FUIN_EXPORT fuin_status fuin_ledger_append(const char *path, fuin_record *r,
                                           const fuin_seckey *operator_key,
                                           char *err, size_t errcap) FUIN_WUR;

/* Result of a verification.  `status` is what the function returned. */
typedef struct {
    fuin_status status;
    uint64_t records;     /* complete lines verified good, from the top   */
    uint64_t bad_line;    /* 1-based line of the first bad record, 0: none */
    uint64_t bad_seq;     /* seq that line claims, 0 if it has none        */
    int torn;             /* 1: the last line is unterminated              */
    uint64_t torn_offset; /* byte offset where the torn line starts        */
    char last_hash[65];   /* hash of the last good line (64 zeros if none) */
    char reason[FUIN_LEDGER_REASON_MAX]; /* one line, names line and seq   */
    uint64_t signed_records; /* of `records`, those with a signature      */
    uint64_t unsigned_tail;  /* records after the last signed one: chained
                                but vouched for by no signature yet      */
} fuin_ledger_report;

/* Check every line: JSON in canonical form with the documented keys, the
 * prev_hash chain, seq = line number, and the signature with the key in
 * `keys` whose key id is the record's operator.key_id ("sig": null, an
 * unsigned operation record, has none to check).  Every signature is
 * checked: a later record signed by the same key does not vouch for an
 * earlier signed one, since the signer never checked it.  Lines are
 * parsed and checked on every core; on any failure the ledger is checked
 * again line by line, so that the report names the first bad record.
 * Stops at the first bad record:
 *   FUIN_E_SYNTAX     not a canonical record / torn last line (rep->torn)
 *   FUIN_E_SIGNATURE  prev_hash or seq wrong (record deleted, inserted,
 *                     reordered or an earlier line edited), or the
 *                     signature does not verify (record edited)
 *   FUIN_E_UNTRUSTED  signed by a key id not in `keys` (the reason names it)
 *   FUIN_E_LIMIT      a line longer than FUIN_LEDGER_MAX_LINE
 *   FUIN_E_IO, FUIN_E_NOMEM, FUIN_E_INVALID (NULL path/rep, keys NULL with
 *                     nkeys > 0)
 * An empty file is a valid ledger with no records. */
FUIN_EXPORT fuin_status fuin_ledger_verify(const char *path,
                                           const fuin_pubkey *keys,
                                           size_t nkeys,
                                           fuin_ledger_report *rep) FUIN_WUR;
/* The same on ledger bytes held in memory. */
FUIN_EXPORT fuin_status fuin_ledger_verify_buf(const char *buf, size_t len,
                                               const fuin_pubkey *keys,
                                               size_t nkeys,
                                               fuin_ledger_report *rep) FUIN_WUR;

/* Drop a torn last line: verifies the ledger first (under the append
 * lock), and truncates only when the sole problem is a torn last line.
 * FUIN_OK (also when there is nothing to repair; *dropped gets the number
 * of bytes removed, may be NULL), otherwise the verify status with the
 * reason in err. */
FUIN_EXPORT fuin_status fuin_ledger_repair(const char *path,
                                           const fuin_pubkey *keys,
                                           size_t nkeys, uint64_t *dropped,
                                           char *err, size_t errcap) FUIN_WUR;

#define FUIN_LEDGER_REPAIR_DRY_RUN 1u

/* fuin_ledger_repair() that keeps what it cuts.  Under the append lock it
 * verifies the ledger (the report goes to *rep, which may be NULL); only
 * when the sole problem is a torn last line starting at byte N does it
 * copy bytes N..end to a new file "<path>.torn-<N>" (created with
 * O_EXCL | O_NOFOLLOW, mode 0600, fsynced with its directory), and then
 * truncate the ledger to N bytes and fsync it.  `saved` (may be NULL)
 * receives that file's name, `*dropped` (may be NULL) the number of bytes
 * cut.  With FUIN_LEDGER_REPAIR_DRY_RUN the ledger is opened read-only and
 * nothing is written: the same answers say what would happen.
 *   FUIN_OK        repaired (rep->torn == 1), or nothing to repair
 *                  (rep->torn == 0, *dropped == 0, no file made)
 *   FUIN_E_EXISTS  "<path>.torn-<N>" exists: nothing changed
 *   FUIN_E_INVALID bad argument, unknown flag, `saved` too small
 *   otherwise      the verify status (nothing changed; the reason is in
 *                  rep->reason and err), or FUIN_E_IO / FUIN_E_NOMEM.
 * If writing the copy fails, it is removed and the ledger left as it was;
 * if the truncation fails after the copy was made, the copy is removed. */
FUIN_EXPORT fuin_status fuin_ledger_repair_keep(const char *path,
                                                const fuin_pubkey *keys,
                                                size_t nkeys, unsigned flags,
                                                fuin_ledger_report *rep,
                                                uint64_t *dropped, char *saved,
                                                size_t savedcap, char *err,
                                                size_t errcap) FUIN_WUR;

typedef enum {
    FUIN_LEDGER_CSV = 1,  /* header row + one row per record, RFC 4180,
                             CRLF line ends; a text cell starting with
                             = + - @ TAB or CR is written as a quoted
                             field with a ' in front (no formula)         */
    FUIN_LEDGER_JSON = 2, /* a JSON array of the records, each exactly its
                             ledger line (signatures stay checkable)     */
    FUIN_LEDGER_HTML = 3, /* printable Japanese certificate per record:
                             消去証明書, or 廃棄記録 for physical destruction;
                             an operation record is a table of its fields */
    FUIN_LEDGER_TSV = 4   /* one line per record, TAB-separated: seq, end,
                             operator, kind, asset, target kind and path,
                             method, category, result (fuin ledger show);
                             kind is "disposal" for a disposal record, an
                             empty field is "-", and a TAB, LF, CR or \
                             inside a field is written \t \n \r \\ */
} fuin_ledger_format;

/* Which records an export includes; every member NULL / 0 matches all.
 * kind: the record's "op", or "disposal" for a disposal record.
 * person: equal to the operator's name, key id or "user".
 * min_confidentiality: 1..3, records whose class is at least that
 * (records without a class are left out when it is set).
 * since, until: seconds since the epoch; the record's end time lies in
 * [since, until) (0: no bound). */
typedef struct {
    const char *kind;
    const char *person;
    int min_confidentiality;
    int64_t since, until;
} fuin_ledger_filter;

/* An approval is good for one disposal: whether the ledger at `path`
 * already holds a disposal record (not an operation record: making,
 * approving or checking a request carries nothing out) with result
 * "success" that carried out the request `request` (64 lowercase hex
 * digits, see fuin_record.request).
 *   FUIN_OK        found; record_id (17 bytes, may be NULL) and *seq (may
 *                  be NULL) name the first such record
 *   FUIN_E_NO_MATCH  none (also when the file does not exist)
 *   FUIN_E_SYNTAX  a line is not a record, or the last line is torn
 *   FUIN_E_IO, FUIN_E_LIMIT, FUIN_E_NOMEM, FUIN_E_INVALID (bad request)
 * Records are not verified here; fuin_ledger_verify does that. */
FUIN_EXPORT fuin_status fuin_ledger_find_request(const char *path,
                                                 const char *request,
                                                 char *record_id,
                                                 uint64_t *seq) FUIN_WUR;

/* Export every record, or only the one whose record_id is `record_id`
 * (FUIN_E_NO_MATCH if none).  The ledger is parsed, not verified: run
 * fuin_ledger_verify() first when the export must be trustworthy.  Every
 * complete line must be a record (FUIN_E_SYNTAX otherwise); a torn last
 * line is skipped.  Output goes to `out` (FUIN_E_IO if it fails). */
FUIN_EXPORT fuin_status fuin_ledger_export(const char *path,
                                           fuin_ledger_format format,
                                           const char *record_id,
                                           fuin_write_fn out, void *ctx,
                                           char *err, size_t errcap) FUIN_WUR;

/* fuin_ledger_export() of the records `filter` (may be NULL) matches. */
FUIN_EXPORT fuin_status fuin_ledger_export_filtered(const char *path, fuin_ledger_format format,
                                                    const char *record_id,
                                                    const fuin_ledger_filter *filter,
                                                    fuin_write_fn out, void *ctx, char *err,
                                                    size_t errcap) FUIN_WUR;

/* ---- the audit record of every operation (docs/audit.md) -------------- */
/* One handle per operation.  fuin_audit_open() looks at the policy: with
 * [audit] record = off (or no policy) *out is NULL and nothing is ever
 * written (fuin_audit_append(NULL, ...) is a no-op returning FUIN_OK).
 * Otherwise it checks, before the operation starts, that the ledger at
 * `ledger_path` can take a record: it is created if absent, its last
 * line must be complete, and room for the record is reserved on disk
 * (fallocate FALLOC_FL_KEEP_SIZE where the file system supports it), so
 * that a full disk fails the operation before it does anything.
 * operator_name: the certified name or the key id (NULL or "": the login
 * name); keyid (may be NULL):
 * the operator's signing key id, for unsigned records.
 *   FUIN_E_IO / FUIN_E_SYNTAX / FUIN_E_NOMEM / FUIN_E_INVALID, with err. */
typedef struct fuin_audit fuin_audit;
FUIN_EXPORT fuin_status fuin_audit_open(const fuin_policy *policy, const char *ledger_path,
                                        const char *operator_name, const uint8_t *keyid,
                                        fuin_audit **out, char *err, size_t errcap) FUIN_WUR;
/* Append r (its operator_name, user and operator_keyid are filled in from
 * the handle when NULL) to the ledger, signed with `key` when it is not
 * NULL, and then send it to the system log when [audit] syslog = on: an
 * RFC 5424 message (facility authpriv, severity info, or notice for a
 * result other than success; APP-NAME fuin, MSGID the op or "disposal")
 * with structured data [fuin@32473 seq= record_id= hash= prev_hash= op=
 * result= class= user=] and the ledger line as MSG, over the unix
 * datagram socket [audit] syslog_socket names.  A ledger failure is
 * returned (the caller fails the operation: fail closed); a syslog
 * failure is not (the ledger holds the record, and the next message
 * carries the chain): fuin_audit_syslog_failures() counts them. */
FUIN_EXPORT fuin_status fuin_audit_append(fuin_audit *a, fuin_record *r, const fuin_seckey *key,
                                          char *err, size_t errcap) FUIN_WUR;
FUIN_EXPORT unsigned fuin_audit_syslog_failures(const fuin_audit *a);
/* What a record names a file by: the lowercase hex SHA-256 of the file at
 * `path` (a regular file, opened without following a final symlink) and
 * its size.  FUIN_E_IO (err says why) or FUIN_E_NOMEM. */
FUIN_EXPORT fuin_status fuin_file_sha256(const char *path, char hex[65], int64_t *size,
                                         char *err, size_t errcap) FUIN_WUR;
FUIN_EXPORT void fuin_audit_free(fuin_audit *a);

#ifdef __cplusplus
}
#endif
#endif
