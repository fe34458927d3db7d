/*
 * fuin approvals: requests for a permission and their approval by someone
 * else (separation of duties, security policy §2.2(8)①: the person who
 * asks for a permission never approves it).  Included by <fuin.h>; do not
 * include directly.  Formats and every refusal: docs/approvals.md.
 *
 * A request is a small text file signed (detached, minisign, REQUEST.minisig)
 * by the requester's certified key; its approval is a second detached
 * signature over the same bytes (REQUEST.approval) by a certified holder of
 * the role the policy names for the request's kind and class ([approval]
 * <kind>_C<n>: "manager", or "ciso"), who is not the requester.  This
 * header is the library side of `fuin request`, `fuin approve`,
 * `fuin wipe --approval`, `fuin encrypt --approval` and `fuin pack
 * --approval`, so that any program using libfuin (a mail gateway, the
 * Python binding) checks an approval the same way.
 *
 * Kinds:
 *   provide    information handed to someone outside (a file or package,
 *              object "sha256:HEX", destination the organisation/address)
 *   carry      a medium or device taken out (object "asset:ID" or
 *              "sha256:HEX", destination where it goes)
 *   disposal   a medium wiped or destroyed (docs/wipe.md; its own older
 *              format "fuin-disposal-request: 1", object "asset:ID")
 *   exception  an exception to the policy, approved by the CISO (object
 *              optional)
 *
 * The request's id is its hash: the hex SHA-256 of its bytes.  An approval
 * is used once: fuin_store_approval_claim() records the use in the trust
 * store (DIR/used/ID).
 *
 * Ownership: fuin_request_info is a plain struct owned by the caller.
 * Text produced into `char **` is malloc()ed; the caller free()s it.
 * err (may be NULL) receives one line whenever an error is returned.
 */
#ifndef FUIN_APPROVAL_H
#define FUIN_APPROVAL_H
#ifndef FUIN_H
#error "include <fuin.h>"
#endif
#ifdef __cplusplus
extern "C" {
#endif

/* Largest request file read. */
#define FUIN_REQUEST_MAX (64u * 1024u)

/* A request: filled by the parser (and then authenticated by
 * fuin_request_verify), or filled by the caller for fuin_request_format.
 * Fields after `hash` were added by issue 13 (pre-1.0: the struct grows). */
typedef struct {
    char kind[16];                  /* "provide" "carry" "disposal" "exception" */
    char asset[FUIN_TEXT_MAX];      /* the asset id of an "asset:ID" object
                                       (disposal: always), else ""          */
    char class_text[FUIN_TEXT_MAX]; /* canonical label, as requested       */
    char reason[FUIN_REASON_MAX + 1];
    char requester[FUIN_TEXT_MAX];  /* the certificate's name (verified)   */
    uint8_t keyid[FUIN_KEYID_BYTES];/* the requester's signing key         */
    char created[FUIN_TEXT_MAX];    /* RFC 3339, as written                */
    char hash[65];                  /* hex SHA-256 of the request's bytes: its
                                       id, what a claim, a ledger record, a
                                       label stanza or a manifest names    */
    char object[FUIN_TEXT_MAX];     /* "sha256:<64 lower-case hex>",
                                       "asset:ID" or "" (exception only)   */
    char destination[FUIN_TEXT_MAX];/* organisation / address; "" for
                                       disposal and exception              */
    int64_t valid_from;             /* the approval may be used from ...   */
    int64_t valid_until;            /* ... until this second, inclusive;
                                       both 0 for a disposal request (no
                                       period: single use only)            */
    int64_t created_at;             /* `created` as seconds                */
    int format;                     /* 1 "fuin-disposal-request: 1",
                                       2 "fuin-request: 1"                 */
} fuin_request_info;

/* Is `kind` one of the four kinds: 1 or 0. */
FUIN_EXPORT int fuin_request_kind_valid(const char *kind);

/* The request's text, to be signed with fuin_request_sign().  From `in`:
 * kind, object (disposal: asset), class_text (any label text; written in
 * canonical form), destination, reason, requester, keyid, valid_from,
 * valid_until, created_at; a fresh random nonce is added.  Disposal is
 * written in its older format (docs/wipe.md), the other kinds as
 * "fuin-request: 1" (docs/approvals.md).  Rules (FUIN_E_INVALID, err
 * names the field): every value one line of printable text; provide
 * needs a "sha256:" object and a destination, carry an object and a
 * destination, exception a reason, disposal an asset; valid_until after
 * valid_from, and not before created_at. */
FUIN_EXPORT fuin_status fuin_request_format(const fuin_request_info *in, char **text,
                                            size_t *len, char *err, size_t cap) FUIN_WUR;

/* REQUEST.minisig: the requester's signature over the request text, with
 * the trusted comment "fuin-request kind:KIND object:OBJECT" (disposal:
 * "fuin-disposal-request asset:ID").  FUIN_E_SYNTAX if text is not a
 * request; FUIN_E_WRONG_KEY if sk is not the key the request names. */
FUIN_EXPORT fuin_status fuin_request_sign(const fuin_seckey *sk, const char *text, size_t len,
                                          char **sig, size_t *siglen, char *err,
                                          size_t cap) FUIN_WUR;

/* The request's text parsed WITHOUT any signature check (to know its class
 * before keys are loaded; verify it before relying on it).  FUIN_OK or
 * FUIN_E_SYNTAX ("not a valid disposal request" for the older format,
 * "not a valid request: line N: ..." for the newer one). */
FUIN_EXPORT fuin_status fuin_request_parse(const char *text, size_t len, fuin_request_info *out,
                                           char *err, size_t cap) FUIN_WUR;

/* Parse and verify a request: `sig` is its .minisig text, made by a key
 * that has a valid certificate in `store` (the store's "now", see
 * fuin_store_set_time; not revoked), and whose trusted comment names the
 * same kind and object.  requester and keyid are then the certificate's.
 * Statuses, each with a one-line message in err:
 *   FUIN_E_SYNTAX     not a valid request; the key id it names is not its signer's
 *   FUIN_E_SIGFORMAT  the signature file is malformed
 *   FUIN_E_UNTRUSTED  "requester key X has no valid certificate in the trust store"
 *   FUIN_E_SIGNATURE  the signature does not verify (the request was edited)
 *   FUIN_E_COMMENT    it verifies, but its trusted comment names another
 *                     asset / object */
FUIN_EXPORT fuin_status fuin_request_verify(const fuin_store *store, const char *text,
                                            size_t len, const char *sig, size_t siglen,
                                            fuin_request_info *out, char *err,
                                            size_t cap) FUIN_WUR;

/* The role `policy` requires of whoever approves this request ("manager"
 * or "ciso"), and in origin (may be NULL) where the rule comes from, e.g.
 * "[approval] exception_C2, built-in default" or "[approval] carry_C3,
 * /etc/fuin/policy.ini:14".  policy NULL means the built-in default.
 * NULL when the request's class or kind is not one the policy knows. */
FUIN_EXPORT const char *fuin_approval_required_role(const fuin_policy *policy,
                                                    const fuin_request_info *rq,
                                                    char *origin, size_t origin_cap);

/* REQUEST.approval: the approver's signature over the request text, with
 * the trusted comment "fuin-approval approver:NAME key-id:KEYID
 * role:ROLE time:T" (ROLE the certificate's, T = now, 0: the clock).
 * `cert` is the approver's certificate, which must be for sk's key
 * (FUIN_E_WRONG_KEY).  Nothing else is checked here: the approver checks
 * with fuin_approval_verify() first (fuin approve does). */
FUIN_EXPORT fuin_status fuin_approval_sign(const fuin_seckey *sk, const fuin_cert *cert,
                                           const char *text, size_t len, int64_t now,
                                           char **sig, size_t *siglen, char *err,
                                           size_t cap) FUIN_WUR;

/* Who may approve `rq` (a verified request): the certificate `cert`
 * (which the caller has checked to be valid and unrevoked) must not be
 * the requester's (key or name), and must have exactly the role
 * fuin_approval_required_role() names (a ciso does not stand in for a
 * manager: each approves what the policy gives them).  FUIN_OK or
 * FUIN_E_POLICY with the reason in err. */
FUIN_EXPORT fuin_status fuin_approval_may_approve(const fuin_policy *policy,
                                                  const fuin_request_info *rq,
                                                  const fuin_cert *cert, char *err,
                                                  size_t cap) FUIN_WUR;

/* Check an approval (`sig`, the .approval text) of a verified request `rq`
 * at time `now` (0: the clock; certificates are checked at the store's
 * time, fuin_store_set_time): signed over the request's bytes by a key
 * with a valid, unrevoked certificate in `store`, whose trusted comment is
 * a fuin approval naming that key and the certificate's role, and
 * fuin_approval_may_approve(); for requests with a period, now within
 * [valid_from, valid_until] and a period no longer than [approval]
 * max_days.  `approver` receives "NAME (KEYID)".  Statuses:
 *   FUIN_E_SIGFORMAT, FUIN_E_UNTRUSTED, FUIN_E_SIGNATURE as above
 *   FUIN_E_POLICY   "approval: not a fuin approval", "approved by the
 *                   requester: ...", "approver role manager, the policy
 *                   needs ciso ([approval] exception_C2, built-in
 *                   default)", "approval expired at T", "approval not
 *                   valid before T", "request period of N days is longer
 *                   than [approval] max_days = M (...)" */
FUIN_EXPORT fuin_status fuin_approval_verify(const fuin_store *store, const fuin_policy *policy,
                                             const fuin_request_info *rq, const char *text,
                                             size_t len, const char *sig, size_t siglen,
                                             int64_t now, char *approver, size_t approver_cap,
                                             char *err, size_t cap) FUIN_WUR;

/* Everything a program that lets information out (a mail gateway,
 * fuin encrypt, fuin pack) asks of an approval, in one call:
 * fuin_request_verify (rsig: REQUEST.minisig), the kind is `kind`, the
 * object is `object` (NULL: not compared, e.g. an exception), 
 * fuin_approval_verify (asig: REQUEST.approval) at `now`, and not yet used
 * (fuin_store_approval_used).  It does NOT claim the approval: the caller
 * does, with fuin_store_approval_claim(store, info->hash, ...), when it
 * acts on it.  *info (may be NULL) holds the verified request on FUIN_OK.
 * Statuses as above, and FUIN_E_POLICY "request is a carry request, not
 * provide", "approval is for another file (sha256:...), not sha256:...",
 * "approval already used (NOTE)". */
FUIN_EXPORT fuin_status fuin_approval_check(const fuin_store *store, const fuin_policy *policy,
                                            const char *kind, const char *object, int64_t now,
                                            const char *text, size_t len, const char *rsig,
                                            size_t rsiglen, const char *asig, size_t asiglen,
                                            fuin_request_info *info, char *approver,
                                            size_t approver_cap, char *err,
                                            size_t cap) FUIN_WUR;

/* ---- objects ------------------------------------------------------------
 * What a provide or carry request names.  A file: "sha256:" and the hex
 * SHA-256 of its bytes, read with pread() from offset 0 (the file offset
 * does not move, so the caller can still read it; a pipe cannot be named
 * this way: FUIN_E_IO).  A package: fuin_packer_object() (pack.h).
 * obj needs FUIN_OBJECT_MAX bytes. */
#define FUIN_OBJECT_MAX 72
FUIN_EXPORT fuin_status fuin_request_object_fd(int fd, char *obj, size_t cap, char *err,
                                               size_t errcap) FUIN_WUR;

#ifdef __cplusplus
}
#endif
#endif
