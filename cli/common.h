/* Shared pieces of the fuin program: messages, exit codes, passphrases,
 * key files and file descriptors.  Nothing here is crypto or format code;
 * that all lives in libfuin. */
#ifndef FUIN_CLI_COMMON_H
#define FUIN_CLI_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "exitcodes.h"
#include "fuin.h"

/* Name used for standard input / output in messages. */
#define FUIN_CLI_STDIN_NAME "<stdin>"
#define FUIN_CLI_STDOUT_NAME "<stdout>"

/* Longest passphrase accepted from a terminal or a file. */
#define FUIN_CLI_PASS_MAX 1024
/* Identity and recipient files larger than this are refused. */
#define FUIN_CLI_KEYFILE_MAX (1024u * 1024u)

/* Subcommand entry points (one file each). */
int fuin_cmd_keygen(int argc, char **argv);
int fuin_cmd_encrypt(int argc, char **argv);
int fuin_cmd_decrypt(int argc, char **argv);
int fuin_cmd_inspect(int argc, char **argv);
int fuin_cmd_key(int argc, char **argv);
int fuin_cmd_sign(int argc, char **argv);
int fuin_cmd_verify(int argc, char **argv);
int fuin_cmd_ciso(int argc, char **argv);
int fuin_cmd_policy(int argc, char **argv);
int fuin_cmd_wipe(int argc, char **argv);
int fuin_cmd_ledger(int argc, char **argv);
int fuin_cmd_request(int argc, char **argv);
int fuin_cmd_approve(int argc, char **argv);
int fuin_cmd_store(int argc, char **argv);
int fuin_cmd_pack(int argc, char **argv);
int fuin_cmd_unpack(int argc, char **argv);
int fuin_cmd_label(int argc, char **argv);

/* One line on stderr: "fuin: CMD: FILE: message" (FILE may be NULL). */
/* s escaped for the terminal (fuin_text_escape): for every name, label,
 * comment or path that came from a file or another person.  The result
 * lives until 16 more calls; NULL gives "". */
const char *fuin_cli_safe(const char *s);
/* Print multi-line text to stdout, each line escaped (fuin_cli_safe),
 * each ending in '\n'. */
void fuin_cli_put_lines(const char *text);
void fuin_cli_error(const char *cmd, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Usage error: prints one line and returns FUIN_EXIT_USAGE. */
int fuin_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Store a single-valued option; a second one is a usage error (returns
 * FUIN_EXIT_USAGE after printing it), as in minisign and signify. */
int fuin_cli_set_once(const char *cmd, const char **slot, const char *value,
                      const char *opt);
/* A flag that may be given once: sets *slot to 1, or a usage error
 * "OPT given more than once".  0 or exit code after printing. */
int fuin_cli_set_flag(const char *cmd, int *slot, const char *opt);

/* Print help text for a subcommand to stdout; returns the exit code. */
int fuin_cli_print_help(const char *cmd);

/* Report a getopt_long failure (unknown option or missing argument) for the
 * option at argv[optind - 1]; returns FUIN_EXIT_USAGE.  `c` is what
 * getopt_long returned ('?' or ':'). */
int fuin_cli_bad_option(const char *cmd, int c, char **argv);

/* Standard output reached its destination: flushed without error (a full
 * disk, a closed pipe).  The first failure is reported once, as
 * "fuin: CMD: <stdout>: cannot write: REASON".  0 or FUIN_EXIT_IO.
 * fuin_cli_stdout_close also closes it, which main() does last. */
int fuin_cli_stdout_check(const char *cmd);
int fuin_cli_stdout_close(const char *cmd);

/* Exit code for a library status.  `from_args` is 1 when the failing value
 * came from the command line (a bad --class or -r is a usage error), 0 when
 * it came from a file (then it is malformed input or an internal error). */
int fuin_cli_exit_code(fuin_status s, int from_args);
/* For package verification and unpacking: signature, trust, contents and
 * safety each have their own exit code (exitcodes.h). */
int fuin_cli_package_exit_code(fuin_status s);

/* Strip a library error message down to something printable after
 * "fuin: CMD: FILE: "; falls back to fuin_strerror(s) when empty. */
const char *fuin_cli_msg(const char *errmsg, fuin_status s);

/* ---- input and output ------------------------------------------------- */
/* Open INPUT ("-" or NULL = stdin).  On failure prints the error and
 * returns -1 with *exit_code set; a directory is refused (FUIN_EXIT_IO). */
int fuin_cli_open_input(const char *cmd, const char *path, const char **name,
                        int *exit_code);
/* Early checks on an output path so the user is not asked for a passphrase
 * for nothing: the directory must exist and, unless force, the file must
 * not.  The library repeats both checks atomically; these only make the
 * common mistakes fail fast.  force < 0: the command has no --force.
 * Returns 0 or an exit code (error printed). */
int fuin_cli_check_output(const char *cmd, const char *path, int force);
/* Which name an error of fuin_encrypt_fd/fuin_decrypt_fd is about: the
 * output for EXISTS and for I/O errors that are not about reading, the
 * input otherwise. */
const char *fuin_cli_fd_error_name(fuin_status s, const char *errmsg,
                                   const char *in_name, const char *out_path);
/* Write all of buf to fd; 0 or -1 (errno set). */
int fuin_cli_write_all(int fd, const void *buf, size_t len);

/* ---- secrets ---------------------------------------------------------- */
/* Read a whole key file into sodium_malloc() memory, NUL-terminated (cap
 * FUIN_CLI_KEYFILE_MAX).  path "-" reads stdin.  Returns 0, or an exit code
 * after printing an error that names `name`.  Free with
 * fuin_cli_free_secret(*buf, *len). */
int fuin_cli_read_keyfile(const char *cmd, const char *path, const char *name,
                          char **buf, size_t *len);
void fuin_cli_free_secret(char *buf, size_t len);

/* Passphrase source, also the ctx of fuin_cli_passphrase_cb. */
typedef struct {
    const char *cmd;        /* for messages                              */
    const char *file;       /* --passphrase-file, or NULL for /dev/tty   */
    int called;             /* the callback ran                          */
    int exit_code;          /* non-zero: why obtaining it failed         */
    char errmsg[512];       /* the one line to print when it failed      */
    const char *prompt;     /* terminal prompt; NULL: "Enter passphrase: " */
    const char *confirm_prompt; /* NULL: "Confirm passphrase: "          */
} fuin_cli_pass;

/* Obtain a passphrase into sodium_malloc() memory (*out, *len; not
 * NUL-terminated beyond len).  On failure returns non-zero and fills
 * p->exit_code / p->errmsg without printing. */
int fuin_cli_get_passphrase(fuin_cli_pass *p, int confirm, char **out,
                            size_t *len);
/* fuin_passphrase_fn for decryptors; ctx is a fuin_cli_pass. */
int fuin_cli_passphrase_cb(void *ctx, int confirm, char *buf, size_t cap,
                           size_t *len);

/* Split text into lines by age's rules: returns the next line that is not
 * blank and does not start with '#', NUL-terminated in place (trailing '\r'
 * removed), with its 1-based number; NULL at the end.  *pos is the cursor. */
char *fuin_cli_next_line(char *text, size_t len, size_t *pos, int *lineno);

/* ---- identities, signatures, trust store (issue 3) -------------------- */
/* Where the CISO's trust store lives unless --store names another. */
#define FUIN_CLI_DEFAULT_STORE "/etc/fuin"
/* Public files (cards, certificates, signatures, lists) larger than this
 * are refused. */
#define FUIN_CLI_PUBFILE_MAX (1024u * 1024u)

/* DIR/NAME in malloc() memory; NULL when out of memory. */
char *fuin_cli_path(const char *dir, const char *name);
/* PATH with SUFFIX appended, malloc(); NULL when out of memory. */
char *fuin_cli_suffix(const char *path, const char *suffix);
/* $HOME/.config/fuin, or that with "/SUB" appended (sub may be NULL).
 * Returns 0 or an exit code after printing why. */
int fuin_cli_default_dir(const char *cmd, const char *sub, char **out);
/* Create DIR and any missing parents with mode 0700.  0 or exit code. */
int fuin_cli_mkdir_private(const char *cmd, const char *dir);
/* 1 if something exists at path (lstat), else 0. */
int fuin_cli_exists(const char *path);
/* 1 if path is (or leads to) a regular file. */
int fuin_cli_is_regular(const char *path);
/* 1 if path is a directory (not through a symbolic link). */
int fuin_cli_is_dir(const char *path);

/* Read a public file (not secret) into malloc() memory, NUL-terminated.
 * When `missing` is not NULL a file that does not exist is not an error:
 * *missing is set to 1 and 0 returned with *buf NULL.  Returns 0 or an
 * exit code after printing an error that names the path. */
int fuin_cli_read_file(const char *cmd, const char *path, size_t max,
                       char **buf, size_t *len, int *missing);

/* A file being written under its final name through fuin_outfile: it
 * appears complete and synced at fuin_cli_commit, or never.  force > 0
 * replaces an existing file; 0 refuses it with "(use --force ...)"; < 0:
 * the command has no --force, so the message does not offer it.
 * fuin_cli_discard drops what was not committed (and frees the name). */
typedef struct {
    char *path;       /* final name */
    fuin_outfile *of; /* NULL once committed or discarded */
    int force;
} fuin_cli_staged;
/* The note for `n` stale temporaries removed beside path (none: silent). */
void fuin_cli_report_stale(const char *cmd, const char *path, unsigned n);
int fuin_cli_stage(const char *cmd, const char *path, const void *buf,
                   size_t len, int mode, int force, fuin_cli_staged *st);
int fuin_cli_commit(const char *cmd, fuin_cli_staged *st);
void fuin_cli_discard(fuin_cli_staged *st);
/* fsync the directory that holds path (best effort). */
void fuin_cli_sync_parent(const char *path);
/* Create a new public file (mode 0644) / file of secret material (0600);
 * exit 5 if it exists.  0 or exit code after printing. */
int fuin_cli_write_public(const char *cmd, const char *path, const void *buf,
                          size_t len);
int fuin_cli_write_secret(const char *cmd, const char *path, const void *buf,
                          size_t len);
/* Lower-case hex SHA-256 of buf: the fingerprint of a published file
 * (`sha256sum` shows the same). */
void fuin_cli_sha256_hex(const void *buf, size_t len, char out[65]);
/* Publish a file and its signature (a, then b).  When b fails and a did
 * not replace anything, a is removed again, so that no file is left
 * without its signature. */
int fuin_cli_commit_pair(const char *cmd, fuin_cli_staged *a, fuin_cli_staged *b);

/* Open the trust store: `dir` given (--store) must open; NULL means the
 * default, used only when FUIN_CLI_DEFAULT_STORE/root.pub exists (else
 * *out is NULL and 0 returned).  0 or exit code after printing. */
int fuin_cli_open_store(const char *cmd, const char *dir, fuin_store **out);
/* The effective policy: the store's verified policy.ini, or the built-in
 * default when there is no store or it holds no policy.  0 or exit code
 * after printing (a syntax error names file and line, exit 3). */
int fuin_cli_load_policy(const char *cmd, const fuin_store *store,
                         fuin_policy **out);
/* Whether this machine can judge new passphrases (the cracklib
 * dictionary is installed), asked before anyone is prompted.  0 or exit
 * code (7, environment) after printing what to install. */
int fuin_cli_passphrase_ready(const char *cmd, const fuin_policy *pol);
/* A new passphrase: fuin_cli_passphrase_ready(), then asked twice (or the first line of p->file), then
 * judged by the policy's strength rule.  0 or exit code after printing;
 * free *out with fuin_cli_free_secret(*out, FUIN_CLI_PASS_MAX + 1). */
int fuin_cli_new_passphrase(fuin_cli_pass *p, const fuin_policy *pol,
                            char **out, size_t *len);
/* Load a minisign secret key file, asking for its passphrase (p) only if
 * it is encrypted.  0 or exit code after printing. */
int fuin_cli_load_seckey(const char *cmd, const char *path, fuin_cli_pass *p,
                         fuin_seckey **sk);
/* ---- disposal records (issue 4) -------------------------------------- */
/* The operator who signs ledger records: DIR/sign.key (DIR: `dir` or
 * ~/.config/fuin), name from DIR/card.pub when it belongs to that key,
 * else the key id.  0 or exit code after printing. */
int fuin_cli_load_operator(const char *cmd, const char *dir,
                           const char *passfile, fuin_seckey **sk,
                           char name[FUIN_TEXT_MAX]);
/* The operator's public signing key, DIR/sign.pub: known without a
 * passphrase, so that an approval is checked before anything is asked.
 * 0 or exit code after printing. */
int fuin_cli_load_operator_pub(const char *cmd, const char *dir, fuin_pubkey *pk);
/* 0 if sk is the key of pk, else an exit code after printing. */
int fuin_cli_same_operator(const char *cmd, const fuin_seckey *sk,
                           const fuin_pubkey *pk);
/* Claim an approval for this use in the trust store (O_EXCL), just before
 * the disposal; `what` is the one line kept there.  0, or an exit code
 * after printing (1: already used; 4: the store is not writable). */
int fuin_cli_approval_claim(const char *cmd, const fuin_store *store,
                            const char *request, const char *request_hash,
                            const char *what);
/* `given`, or ~/.config/fuin/ledger.jsonl; malloc().  0 or exit code. */
int fuin_cli_ledger_path(const char *cmd, const char *given, char **out);
/* ---- requests and approvals (issues 4 and 13, separation of duties) -- */
#define FUIN_CLI_REQUEST_MAX (64u * 1024u)
#define FUIN_CLI_APPROVER_MAX (FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4)
/* A request whose REQUEST.minisig verified with the requester's certified
 * key (valid now, not revoked): the library's fields, and the bytes. */
typedef struct {
    char *text;                     /* the REQUEST bytes, malloc()        */
    size_t len;
    char asset[FUIN_TEXT_MAX];
    char requester[FUIN_TEXT_MAX];  /* the certificate's name             */
    char class_text[FUIN_TEXT_MAX]; /* canonical label, as requested      */
    char reason[FUIN_REASON_MAX + 1];
    char created[FUIN_TEXT_MAX];
    uint8_t keyid[FUIN_KEYID_BYTES];
    fuin_request_info info;         /* everything, kind and object included */
} fuin_cli_request;
/* The class a REQUEST names, read WITHOUT checking its signature
 * (so that the policy can be asked before any key is loaded; the request
 * is verified, and the class compared again, by
 * fuin_cli_disposal_approval / fuin_cli_provide_approval).  0 or an exit
 * code after printing. */
int fuin_cli_request_class(const char *cmd, const char *path, fuin_label *out);
/* Read and check REQUEST and REQUEST.minisig against the store.  0 or an
 * exit code after printing (a check that says no is exit 1). */
int fuin_cli_request_check(const char *cmd, const fuin_store *store,
                           const char *path, fuin_cli_request *rq);
void fuin_cli_request_clear(fuin_cli_request *rq);
/* Check REQUEST.approval (fuin_approval_verify at the store's time, with
 * the store's policy): signed over the request bytes by a certified
 * holder of the role the policy requires (valid now, not revoked) who is
 * not the requester.  Fills approver with "NAME (KEYID)".  0 or an exit
 * code after printing. */
int fuin_cli_approval_check(const char *cmd, const fuin_store *store,
                            const char *path, const fuin_cli_request *rq,
                            char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4]);
/* For fuin encrypt / fuin pack --approval REQUEST: fuin_approval_check
 * (kind provide, the object `object`, or `alt` when not NULL and it is
 * the request's, not yet used), and the request's class must be `label`'s
 * (when `label` has no class yet, *label becomes the request's and
 * *has_label 1).  Does not claim it (fuin_cli_approval_claim does, when
 * the output is about to be written).  *info: the verified request.
 * 0 or an exit code after printing (1 for every refusal). */
int fuin_cli_provide_approval(const char *cmd, const fuin_store *store,
                              const fuin_policy *pol, const char *request,
                              const char *object, const char *alt,
                              fuin_label *label, int *has_label,
                              fuin_request_info *info,
                              char approver[FUIN_CLI_APPROVER_MAX]);
/* Claim a checked provide approval (fuin_cli_provide_approval) for
 * `verb` ("encrypt", "pack") just before the output is written: the line
 * kept in the store names the object, the destination and the time.
 * 0 or an exit code after printing, as fuin_cli_approval_claim. */
int fuin_cli_provide_claim(const char *cmd, const fuin_store *store, const char *request,
                           const fuin_request_info *info, const char *verb);
/* The policy's word on providing information of class `label` to
 * someone outside without an approval: 0 when allowed (no rule, or the
 * class is below it), else an exit code after printing the rule, its
 * origin and what to do (`what`: "encrypting for X", ...). */
int fuin_cli_provide_refused(const char *cmd, const fuin_policy *pol,
                             const fuin_label *label, const char *what);
/* What every disposal (wipe, destruction) starts with: the class (--class,
 * or with --approval and no --class the request's class; *has_label 0 for
 * none), the trust store (--store, or /etc/fuin when installed; NULL if
 * none) and the effective policy.  --approval without a store is a usage
 * error.  On error nothing needs freeing.  0 or exit code after printing. */
int fuin_cli_disposal_begin(const char *cmd, const char *class_text,
                            const char *approval, const char *store_dir,
                            fuin_label *label, int *has_label,
                            fuin_store **store, fuin_policy **pol);
/* Separation of duties for a disposal (wipe or destruction): REQUEST was
 * made by this operator (public key op) for `asset` and class `label`
 * (the request's class must be exactly this one), and approved by a
 * certified manager who is someone else, and not yet used: neither the
 * trust store's record of used approvals (fuin_store_approval_used) nor
 * `ledger` names it.  request_hash receives the hex SHA-256 of REQUEST
 * for the record.  Checked before anything is asked or done; prints
 * "disposal of ASSET approved by NAME (KEYID)" on success.  0 or an exit
 * code after printing. */
int fuin_cli_disposal_approval(const char *cmd, const fuin_store *store,
                               const char *request, const char *asset,
                               const fuin_label *label, const fuin_pubkey *op,
                               const char *ledger,
                               char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4],
                               char request_hash[65]);
/* ---- trust for verification (trustargs.c) ---- */
typedef struct {
    int release;              /* a root (--trust or the store's): full check */
    fuin_pubkey key;          /* -p key, or the trusted root                 */
    fuin_store *store;        /* or NULL                                     */
    fuin_policy *pol;
    fuin_revocations *own_rl;
    const fuin_revocations *rl; /* or NULL: revocation not checked          */
    char rl_source[512];      /* where rl came from, or why there is none    */
} fuin_cli_trust;
/* -p PUBKEY | --trust ROOT | the store's root; the revocation list from
 * --revocations FILE, the store, or revoked.txt beside ROOT.  need_key: no
 * key at all is a usage error (else release is 0 and key zero). */
int fuin_cli_trust_open(const char *cmd, const char *pubkey, const char *trust,
                        const char *store_dir, const char *revocations, int need_key,
                        fuin_cli_trust *t);
void fuin_cli_trust_close(fuin_cli_trust *t);

/* "12 bytes", "3.4 KiB", "1.2 MiB", "2.00 GiB" (common.c). */
void fuin_cli_human_size(uint64_t n, char *buf, size_t cap);

/* ---- packages (package.c) ---- */
/* One identity file for a decryptor: plain, or passphrase-protected
 * (`pass` is asked only if a header needs it; it and `prompt` must live as
 * long as the decryptor). */
int fuin_cli_add_identity_file(const char *cmd, fuin_decryptor *d, const char *path,
                               fuin_cli_pass *pass, char *prompt, size_t cap);
typedef struct {
    const char *const *identities; /* -i files                           */
    size_t n_identities;
    const char *dir;               /* key directory (identity.age)       */
    const char *passfile;
    const char *zip_passfile;      /* an AES zip's passphrase            */
    const char *dest;              /* unpack: -C DIR; NULL: verify only  */
    int foreign, rename_unsafe, json, require_rl, list;
    fuin_unpack_limits limits;
    fuin_label *class_out;         /* when not NULL and the package verifies:
                                      its class (for the audit record)   */
} fuin_cli_package_opts;
/* 1 if FILE starts like an age file or a tar/zip (for `fuin verify`). */
int fuin_cli_is_package(const char *path);
/* Verify (and with o->dest, unpack) one package; prints the result.
 * Returns the exit code.  json: appends an object to `array`. */
int fuin_cli_package(const char *cmd, const char *file, const fuin_cli_trust *t,
                     const fuin_cli_package_opts *o, void *json_array);

/* ---- recipients (recipients.c) ---- */
/* Every recipient an encryption goes to, for the policy's count of
 * uncertified ones. */
typedef struct {
    char **items;
    size_t n, cap;
} fuin_cli_recipients;
void fuin_cli_recipients_free(fuin_cli_recipients *l);
/* -r values (age1 keys or certified colleagues looked up in the store)
 * and -R files, added to e and remembered in seen. */
int fuin_cli_add_recipients(const char *cmd, fuin_encryptor *e, fuin_cli_recipients *seen,
                            const fuin_store *store, const char *store_dir,
                            const char *const *recipients, size_t n_recipients,
                            const char *const *files,
                            size_t n_files);

/* ---- signers (signer.c) ---- */
typedef struct {
    const char *cmd;             /* for messages                         */
    fuin_pubkey pk;
    char signer[FUIN_TEXT_MAX];
    char *cert_text, *cert_sig;  /* NULL: no certificate found */
    size_t cert_len, cert_siglen;
    char *cert_path;
    int certified;               /* valid now by the trust store's rules */
    char why_not[1024];          /* when not certified: the real cause   */
    char other_cert[512];        /* a card.cert for another key, if seen */
} fuin_cli_signer;
void fuin_cli_signer_free(fuin_cli_signer *si);
int fuin_cli_find_signer(const char *dir, const char *store_dir, const fuin_store *store,
                         const fuin_pubkey *pk, fuin_cli_signer *si);
int fuin_cli_check_sign_policy(const fuin_policy *pol, const fuin_label *label,
                               const fuin_cli_signer *si);
/* Load the signing key (asking for its passphrase only after the policy
 * allowed the signer known from DIR/sign.pub), find the certificate and
 * check the policy for `label`.  *sk is freed by the caller. */
int fuin_cli_signer_setup(const char *cmd, const char *dir, const char *seckey,
                          const char *key_path, const char *passfile,
                          const fuin_store *store, const char *store_dir,
                          const fuin_policy *pol, const fuin_label *label,
                          fuin_cli_signer *si, fuin_seckey **sk);

#endif
