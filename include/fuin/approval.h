/*
 * fuin approvals: requests for a permission and their approval by someone
 * else (separation of duties, security policy §2.2(8)①: the person who
 * asks for a permission never approves it).  Included by <fuin.h>; do not
 * include directly.
 *
 * A request is a small text file signed (detached, minisign) by the
 * requester's certified key; its approval is a second detached signature
 * over the same bytes by a certified manager who is not the requester.
 * This header is the library side of what `fuin request`, `fuin approve`
 * and `fuin wipe --approval` do, so that any program using libfuin (a
 * mail gateway, the Python binding) checks an approval the same way.
 *
 * Kinds today: "disposal" (request file "fuin-disposal-request: 1",
 * docs/wipe.md).  Requests for carrying, providing and exceptions are
 * issue 13's remaining work.
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

/* A request whose signature verified with the requester's certificate. */
typedef struct {
    char kind[16];                  /* "disposal"                          */
    char asset[FUIN_TEXT_MAX];
    char class_text[FUIN_TEXT_MAX]; /* canonical label, as requested       */
    char reason[FUIN_REASON_MAX + 1];
    char requester[FUIN_TEXT_MAX];  /* the certificate's name              */
    uint8_t keyid[FUIN_KEYID_BYTES];/* the requester's signing key         */
    char created[FUIN_TEXT_MAX];
    char hash[65];                  /* hex SHA-256 of the request's bytes: what
                                       a ledger record or a claim names     */
} fuin_request_info;

/* The request's text parsed WITHOUT any signature check (to know its class
 * before keys are loaded; verify it before relying on it).  FUIN_OK or
 * FUIN_E_SYNTAX ("not a valid disposal request"). */
FUIN_EXPORT fuin_status fuin_request_parse(const char *text, size_t len, fuin_request_info *out,
                                           char *err, size_t cap) FUIN_WUR;

/* Parse and verify a request: `sig` is its .minisig text, made by a key
 * that has a valid certificate in `store` (now, not revoked), and whose
 * trusted comment names the same asset.  Statuses, each with a one-line
 * message in err:
 *   FUIN_E_SYNTAX     not a valid request; the key id it names is not its signer's
 *   FUIN_E_SIGFORMAT  the signature file is malformed
 *   FUIN_E_UNTRUSTED  "requester key X has no valid certificate in the trust store"
 *   FUIN_E_SIGNATURE  the signature does not verify
 *   FUIN_E_COMMENT    it verifies, but its trusted comment names another asset */
FUIN_EXPORT fuin_status fuin_request_verify(const fuin_store *store, const char *text,
                                            size_t len, const char *sig, size_t siglen,
                                            fuin_request_info *out, char *err,
                                            size_t cap) FUIN_WUR;

/* Check an approval (`sig`, the .approval text) of a verified request:
 * signed over the request's bytes by a certified manager who is not the
 * requester (neither the same key nor the same name).  `approver`
 * receives "NAME (KEYID)".  FUIN_E_SIGFORMAT, FUIN_E_UNTRUSTED,
 * FUIN_E_SIGNATURE as above; FUIN_E_POLICY: not a fuin approval, the
 * approver is not a manager, or is the requester. */
FUIN_EXPORT fuin_status fuin_approval_verify(const fuin_store *store,
                                             const fuin_request_info *rq, const char *text,
                                             size_t len, const char *sig, size_t siglen,
                                             char *approver, size_t approver_cap, char *err,
                                             size_t cap) FUIN_WUR;

#ifdef __cplusplus
}
#endif
#endif
