/*
 * fuin policy: the CISO-defined method (security policy §2.6.1(16)).
 * Included by <fuin.h>; do not include directly.
 *
 * The policy is a small INI file (policy.ini) that the CISO signs with the
 * root key (policy.ini.minisig).  Checking that signature is the trust
 * module's job; the functions here take the text after it verified.
 * Without an installed policy, fuin_policy_default() gives the built-in
 * default, which follows the union's policy.  Every key, value and default
 * is listed in docs/policy.md; examples/policy.ini is the default written
 * out.
 *
 * Each effective rule remembers where it came from: a line of the policy
 * file, or the built-in default (line 0).  Refusals name the rule and that
 * origin, e.g.
 *   policy.ini:17: [class.C3] passphrase = forbidden: 機密性3 files may not
 *   be encrypted with a passphrase
 *
 * Message buffers (`err`, `msg`, `buf`) may be NULL when `cap` is 0; they
 * are always NUL-terminated when cap > 0, truncated at a UTF-8 character
 * boundary.  A 512-byte buffer holds every message of the parser and the
 * checks as long as the policy's file name is under 300 bytes, except
 * fuin_policy_check_wipe() on unlabelled media, which names two origins
 * (1 KiB holds it); describe() and format() need more (about 2.5 KiB and
 * 2 KiB; they return the size needed, like snprintf).
 *
 * A fuin_policy is immutable after parsing: any number of threads may use
 * one at the same time.  fuin_passphrase_check() should be called from one
 * thread at a time (cracklib keeps global state).
 */
#ifndef FUIN_POLICY_H
#define FUIN_POLICY_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* An effective policy.  Opaque; free with fuin_policy_free(). */
typedef struct fuin_policy fuin_policy;

/* Largest policy text fuin_policy_parse() accepts (FUIN_E_LIMIT above). */
#define FUIN_POLICY_MAX_BYTES (64u * 1024u)
/* Longest policy line, in bytes without the line end.  A longer line is
 * accepted only when the excess is a comment. */
#define FUIN_POLICY_MAX_LINE 197
/* Longest organisation name, in bytes (UTF-8). */
#define FUIN_POLICY_MAX_ORG 128
/* Longest [passphrase] dictionary path, in bytes. */
#define FUIN_POLICY_MAX_DICT 160

/* The built-in default policy (used when none is installed).
 * FUIN_OK, or FUIN_E_NOMEM / FUIN_E_INVALID (p NULL). */
FUIN_EXPORT fuin_status fuin_policy_default(fuin_policy **p) FUIN_WUR;

/* Parse policy.ini text (`len` bytes, need not be NUL-terminated).  Keys
 * missing from the text keep their built-in default.  `filename` is used
 * only in messages and origins ("policy.ini:17"); NULL means "policy.ini".
 * Returns
 *   FUIN_OK        *p is the new policy (free it with fuin_policy_free)
 *   FUIN_E_SYNTAX  the text is not a valid policy: unknown section or key,
 *                  bad value, duplicate, unknown method, indented line,
 *                  NUL byte, invalid UTF-8, over-long line, or an INI
 *                  syntax error.  `err` gets one line,
 *                  "FILE:LINE: unknown key \"x\" in [class.C3] (...)".
 *   FUIN_E_LIMIT   the text is longer than FUIN_POLICY_MAX_BYTES
 *   FUIN_E_NOMEM, FUIN_E_INVALID (p NULL, or text NULL with len > 0)
 * On failure *p is NULL.  Nothing is retained from the arguments. */
FUIN_EXPORT fuin_status fuin_policy_parse(const char *text, size_t len,
                                          const char *filename,
                                          fuin_policy **p, char *err,
                                          size_t errcap) FUIN_WUR;

FUIN_EXPORT void fuin_policy_free(fuin_policy *p);

/* [organisation] name; "(no policy installed)" in the built-in default.
 * Owned by p. */
FUIN_EXPORT const char *fuin_policy_organisation(const fuin_policy *p);

/* The effective policy as INI text that fuin_policy_parse() accepts, every
 * key present, each value followed by its origin as a comment
 * ("; policy.ini:17" or "; built-in default").  Used by `fuin policy
 * show`.  Returns the bytes needed excluding the NUL (like snprintf). */
FUIN_EXPORT size_t fuin_policy_format(const fuin_policy *p, char *buf,
                                      size_t cap);

/* One rule's effective value as text (as fuin_policy_format writes it)
 * and the line it came from (0 = built-in default; `line` may be NULL).
 * FUIN_E_INVALID if the policy has no such section/key. */
FUIN_EXPORT fuin_status fuin_policy_value(const fuin_policy *p,
                                          const char *section,
                                          const char *key, char *value,
                                          size_t cap, unsigned *line);

/* "FILE:LINE" for a line of this policy, "built-in default" for line 0.
 * Returns the bytes needed excluding the NUL. */
FUIN_EXPORT size_t fuin_policy_origin(const fuin_policy *p, unsigned line,
                                      char *buf, size_t cap);

/* 1 if the policy allows this method ("age-x25519", "age-scrypt",
 * "minisign-ed25519"), 0 otherwise (also for any other name). */
FUIN_EXPORT int fuin_policy_method_allowed(const fuin_policy *p,
                                           const char *method);

/* [keys] and [passphrase] values (0 if p is NULL). */
FUIN_EXPORT int fuin_policy_key_lifetime_days(const fuin_policy *p);
FUIN_EXPORT int fuin_policy_cert_lifetime_days(const fuin_policy *p);
FUIN_EXPORT int fuin_policy_passphrase_min_length(const fuin_policy *p);
FUIN_EXPORT int fuin_policy_passphrase_min_quality(const fuin_policy *p);
/* [passphrase] dictionary: the cracklib dictionary prefix the policy
 * names, or NULL for "system" (cracklib's compiled-in one). */
FUIN_EXPORT const char *fuin_policy_passphrase_dictionary(const fuin_policy *p);

/* ---- checks ----------------------------------------------------------
 * Each returns FUIN_OK, FUIN_E_POLICY with `msg` naming the rule and its
 * origin, or FUIN_E_INVALID (p NULL, label out of range, inconsistent
 * counts).  On FUIN_OK `msg` is empty, except that a rule that only
 * recommends something leaves advice there (encrypt = recommended).
 * `label` NULL means an unlabelled file, handled as C1-I1-A1.
 * "Certified" means: a certificate from this organisation's root that is
 * valid now (or at the signing time) and not revoked; the caller (the trust
 * module) decides that and passes the result. */

/* Encrypting a file of class `label`.  passphrase_mode non-zero: age
 * scrypt (passphrase); zero: to `n_recipients` X25519 recipients, of which
 * `n_uncertified_recipients` are not certified.  Checks, in order: the
 * method is allowed ([methods] encryption), [class.Cn] passphrase, and
 * [class.Cn] recipients. */
FUIN_EXPORT fuin_status fuin_policy_check_encrypt(const fuin_policy *p,
                                                  const fuin_label *label,
                                                  int passphrase_mode,
                                                  size_t n_recipients,
                                                  size_t n_uncertified_recipients,
                                                  char *msg, size_t cap);

/* Signing a file of class `label` with a key that is (signer_certified
 * non-zero) or is not certified: [methods] signature and [class.In]
 * signer. */
FUIN_EXPORT fuin_status fuin_policy_check_sign(const fuin_policy *p,
                                               const fuin_label *label,
                                               int signer_certified,
                                               char *msg, size_t cap);

/* Accepting a verified signature on a file of class `label` (the class in
 * its trusted comment): [class.In] signer = certified demands a certified
 * signer, so a 完全性2 file signed by an uncertified key is refused even
 * though the signature itself is intact. */
FUIN_EXPORT fuin_status fuin_policy_check_verify(const fuin_policy *p,
                                                 const fuin_label *label,
                                                 int signer_certified,
                                                 char *msg, size_t cap);

/* Sending or carrying a file of class `label` without encryption:
 * refused when [class.Cn] encrypt = required or the label carries the
 * 暗号化必須 (encrypt-required) restriction; advice in msg for
 * encrypt = recommended. */
FUIN_EXPORT fuin_status fuin_policy_check_unencrypted(const fuin_policy *p,
                                                      const fuin_label *label,
                                                      char *msg, size_t cap);

/* Sending or publishing a file of class `label` without a signature:
 * refused when [class.In] sign = required. */
FUIN_EXPORT fuin_status fuin_policy_check_unsigned(const fuin_policy *p,
                                                   const fuin_label *label,
                                                   char *msg, size_t cap);

/* Sending a package of class `label` as a password zip (fuin pack --zip,
 * WinZip AES-256, for recipients who have only 7-Zip): [class.Cn] zip =
 * allowed | forbidden (built-in default: forbidden for 機密性3). */
FUIN_EXPORT fuin_status fuin_policy_check_zip(const fuin_policy *p,
                                              const fuin_label *label,
                                              char *msg, size_t cap);
/* Wiping or destroying something of class `label` (policy §2.3(2)⑩:
 * 機密性2 and up made unrecoverable, (ウ) with the 情報セキュリティ管理者's
 * permission).  Called before anything is erased.
 *   media         non-zero for a block device wipe or a physical
 *                 destruction (disposal of a medium), zero for a file wipe
 *   label         NULL = unlabelled: media take the class of [wipe]
 *                 unlabelled (built-in default C2: unknown media are
 *                 treated as 機密性2), files are C1 as in the other checks
 *   verify_level  0 none, 1 sample, 2 full.  For category 3 (Destroy)
 *                 verification is not applicable: pass 2 (the verify rule
 *                 is not applied to a destruction)
 *   category      the NIST SP 800-88 category the method achieves:
 *                 1 Clear, 2 Purge, 3 Destroy
 *   approved      non-zero when the caller checked a valid approval: a
 *                 disposal request signed by the operator and approved by
 *                 a certified manager who is not the operator
 *   witnessed     non-zero when a witness is named (--witness)
 * Rules of [class.Cn], checked in this order; the first one that fails
 * gives FUIN_E_POLICY with msg naming the rule and its origin, e.g.
 *   built-in default: [class.C2] wipe_approval = required: disposal of
 *   機密性2 media needs an approved request (fuin request disposal / fuin
 *   approve / fuin wipe --approval)
 * (for unlabelled media the message adds which class they were taken for
 * and the [wipe] unlabelled rule behind it):
 *   wipe_category  category at least clear / purge (Destroy satisfies both)
 *   wipe_verify    verify_level at least none / sample / full
 *   wipe_approval  required: `approved` must be set       } media only: a
 *   wipe_witness   required: `witnessed` must be set     } file wipe (e.g.
 *                  a draft deleted under §2.3(2)③(ウ)) needs no approval
 *                  and no witness, whatever the class
 * FUIN_OK (msg empty), FUIN_E_POLICY, or FUIN_E_INVALID (p NULL, label out
 * of range, verify_level or category out of range). */
FUIN_EXPORT fuin_status fuin_policy_check_wipe(const fuin_policy *p,
                                               const fuin_label *label,
                                               int media, int verify_level,
                                               int category, int approved,
                                               int witnessed, char *msg,
                                               size_t cap);

/* Human text (English with the Japanese terms, several lines, each rule
 * with its origin) of what the policy demands for a file of class
 * `label`: encryption, passphrase, recipients, signature, signer,
 * methods, the label's own restrictions, and wiping and disposal (for
 * `label` NULL: the file rules of C1, then the media rules of the class
 * [wipe] unlabelled names).  Used by `fuin policy
 * check`.  Returns the bytes needed excluding the NUL. */
FUIN_EXPORT size_t fuin_policy_describe(const fuin_policy *p,
                                        const fuin_label *label, char *buf,
                                        size_t cap);

/* ---- passphrase strength (§2.5.4(3)③) ---------------------------------
 * Check a new passphrase (`len` bytes, not NUL-terminated, not retained;
 * a NUL byte inside is refused) against [passphrase] min_length and
 * min_quality with libpwquality (length check, dictionary check through
 * cracklib, and its 0-100 score).  Lengths count bytes, as libpwquality
 * does: a Japanese character is 3 bytes in UTF-8, so a Japanese passphrase
 * meets min_length with fewer characters (docs/policy.md).
 * The check is never skipped: when the machine cannot make it (no
 * cracklib dictionary) the answer is FUIN_E_ENVIRONMENT, never "weak".
 *   FUIN_OK
 *   FUIN_E_WEAK_PASSPHRASE  msg: "passphrase too weak: <reason>"
 *   FUIN_E_ENVIRONMENT      msg: as fuin_passphrase_ready()
 *   FUIN_E_NOMEM, FUIN_E_INVALID (p NULL, pass NULL with len > 0) */
FUIN_EXPORT fuin_status fuin_passphrase_check(const fuin_policy *p,
                                              const char *pass, size_t len,
                                              char *msg, size_t cap) FUIN_WUR;

/* Can passphrases be judged on this machine?  Checks that the cracklib
 * dictionary the policy uses ([passphrase] dictionary, or cracklib's
 * compiled-in /var/cache/cracklib/cracklib_dict) is there and readable,
 * so that a program can say so before anyone types a passphrase.
 *   FUIN_OK
 *   FUIN_E_ENVIRONMENT  msg names the missing or unreadable file and what
 *                       provides it, e.g. "cannot check passphrases: the
 *                       cracklib dictionary /var/cache/cracklib/
 *                       cracklib_dict.pwd is missing (install the Debian
 *                       package cracklib-runtime)"
 *   FUIN_E_INVALID (p NULL) */
FUIN_EXPORT fuin_status fuin_passphrase_ready(const fuin_policy *p, char *msg,
                                              size_t cap) FUIN_WUR;

/* ---- labels ([labels]) ------------------------------------------------ */
/* 1 when the policy wants files of this class to carry the 【機密性n】 name
 * prefix ([labels] name_required = Cn: that class and above). */
FUIN_EXPORT int fuin_policy_label_name_required(const fuin_policy *p, const fuin_label *label);
/* The Microsoft Purview (MSIP) label id for a confidentiality class
 * ([labels] msip_C1..msip_C3), lower-case GUID text, or NULL (none). */
FUIN_EXPORT const char *fuin_policy_msip_label(const fuin_policy *p, int confidentiality);
/* [labels] msip_site: the Microsoft 365 tenant id, or NULL. */
FUIN_EXPORT const char *fuin_policy_msip_site(const fuin_policy *p);
/* The confidentiality class an MSIP label id stands for (1..3), 0 when
 * the policy does not map it (ids compare case-insensitively). */
FUIN_EXPORT int fuin_policy_msip_class(const fuin_policy *p, const char *id);

/* ---- approvals ([approval]) -------------------------------------------- */
/* 1 when encrypting or packaging information of this confidentiality
 * class for an outside recipient needs an approved "provide" request
 * ([approval] provide = Cn: that class and above; built-in: none). */
FUIN_EXPORT int fuin_policy_provide_approval_required(const fuin_policy *p,
                                                      int confidentiality);
/* The certified role whose holder approves a request of `kind`
 * ("provide", "carry", "disposal", "exception") for information of this
 * class: "manager" or "ciso" ([approval] <kind>_C<n>; built-in: manager,
 * and ciso for exceptions).  NULL for an unknown kind or class. */
FUIN_EXPORT const char *fuin_policy_approver_role(const fuin_policy *p, const char *kind,
                                                  int confidentiality);
/* Where that rule comes from ("FILE:LINE" or "built-in default"). */
FUIN_EXPORT size_t fuin_policy_approver_origin(const fuin_policy *p, const char *kind,
                                               int confidentiality, char *buf, size_t cap);
/* [approval] max_days: the longest validity a request may ask for. */
FUIN_EXPORT int fuin_policy_approval_max_days(const fuin_policy *p);

/* ---- the audit record ([audit]) ----------------------------------------- */
/* 1 when every operation is recorded in the ledger ([audit] record = on;
 * built-in: off, and off without a policy). */
FUIN_EXPORT int fuin_policy_audit_record(const fuin_policy *p);
/* 1 when each record also goes to the system log ([audit] syslog = on,
 * the built-in default), through the unix datagram socket
 * fuin_policy_audit_syslog_socket() names ([audit] syslog_socket,
 * default /dev/log). */
FUIN_EXPORT int fuin_policy_audit_syslog(const fuin_policy *p);
FUIN_EXPORT const char *fuin_policy_audit_syslog_socket(const fuin_policy *p);

#ifdef __cplusplus
}
#endif

#endif /* FUIN_POLICY_H */
