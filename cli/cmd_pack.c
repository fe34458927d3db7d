/* fuin pack -o OUTPUT [--class LABEL] [-r RECIPIENT]... [-R FILE]... [-p]
 *           [--package-passphrase-file FILE] [--passphrase-file FILE]
 *           [--dir DIR] [-s SECRET_KEY]
 *           [--store DIR] [--zstd[=LEVEL]] [--unsigned] [--approval REQUEST]
 *           [--force] PATH... */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "pack";

enum { OPT_PASSFILE = 256, OPT_PKG_PASSFILE, OPT_CLASS, OPT_FORCE, OPT_STORE, OPT_DIR, OPT_ZSTD, OPT_UNSIGNED, OPT_ZIP, OPT_APPROVAL };

static const struct option pack_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"recipient", required_argument, NULL, 'r'},
    {"to", required_argument, NULL, 'r'},
    {"recipients-file", required_argument, NULL, 'R'},
    {"passphrase", no_argument, NULL, 'p'},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"package-passphrase-file", required_argument, NULL, OPT_PKG_PASSFILE},
    {"class", required_argument, NULL, OPT_CLASS},
    {"secret-key", required_argument, NULL, 's'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"store", required_argument, NULL, OPT_STORE},
    {"zstd", optional_argument, NULL, OPT_ZSTD},
    {"unsigned", no_argument, NULL, OPT_UNSIGNED},
    {"zip", no_argument, NULL, OPT_ZIP},
    {"approval", required_argument, NULL, OPT_APPROVAL},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *output, *class_text, *passfile, *pkg_passfile, *seckey, *dir, *store, *zstd_text, *approval;
    const char **recipients, **files;
    size_t n_recipients, n_files;
    int passphrase, force, zstd, no_sign, zstd_set, zip;
    char **paths;
    int n_paths;
} pack_args;

static int parse_args(int argc, char **argv, pack_args *a, int *help)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:r:R:ps:h", pack_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (fuin_cli_set_once(CMD, &a->output, optarg, "-o/--output") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'r':
            a->recipients[a->n_recipients++] = optarg;
            break;
        case 'R':
            a->files[a->n_files++] = optarg;
            break;
        case 'p':
            if (fuin_cli_set_flag(CMD, &a->passphrase, "-p/--passphrase") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_PASSFILE:
            if (fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_PKG_PASSFILE:
            if (fuin_cli_set_once(CMD, &a->pkg_passfile, optarg, "--package-passphrase-file") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_CLASS:
            if (fuin_cli_set_once(CMD, &a->class_text, optarg, "--class") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 's':
            if (fuin_cli_set_once(CMD, &a->seckey, optarg, "-s/--secret-key") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_DIR:
            if (fuin_cli_set_once(CMD, &a->dir, optarg, "--dir") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_STORE:
            if (fuin_cli_set_once(CMD, &a->store, optarg, "--store") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_ZSTD:
            if (fuin_cli_set_flag(CMD, &a->zstd_set, "--zstd") != 0)
                return FUIN_EXIT_USAGE;
            a->zstd_text = optarg;
            break;
        case OPT_UNSIGNED:
            if (fuin_cli_set_flag(CMD, &a->no_sign, "--unsigned") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_ZIP:
            if (fuin_cli_set_flag(CMD, &a->zip, "--zip") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_FORCE:
            if (fuin_cli_set_flag(CMD, &a->force, "--force") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_APPROVAL:
            if (fuin_cli_set_once(CMD, &a->approval, optarg, "--approval") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            *help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
    }
    if (*help)
        return 0;
    a->paths = argv + optind;
    a->n_paths = argc - optind;
    if (a->n_paths == 0)
        return fuin_cli_usage(CMD, "nothing to pack: name files or directories");
    if (a->output == NULL)
        return fuin_cli_usage(CMD, "no -o OUTPUT");
    if ((a->passphrase || a->pkg_passfile) && (a->n_recipients || a->n_files))
        return fuin_cli_usage(CMD, "-p cannot be used with -r or -R");
    if (a->zstd_set) {
        char *end;
        long l = a->zstd_text ? strtol(a->zstd_text, &end, 10) : 3;
        if (a->zstd_text != NULL && (*end != '\0' || l < 1 || l > 9))
            return fuin_cli_usage(CMD, "--zstd=LEVEL: LEVEL is 1 to 9");
        a->zstd = (int)l;
    }
    if (a->zip && (a->passphrase || a->pkg_passfile || a->n_recipients || a->n_files ||
                   a->zstd_set))
        return fuin_cli_usage(CMD, "--zip cannot be used with -r, -R, -p or --zstd (the zip "
                                   "has its own generated passphrase)");
    if (strcmp(a->output, "-") == 0 || strcmp(a->output, "/dev/stdout") == 0) {
        if (a->zip)
            return fuin_cli_usage(CMD, "--zip writes a file: give -o FILE");
        a->output = NULL;
    }
    return 0;
}

/* Where the package goes, and why writing it failed (the library only
 * knows that the callback failed). */
typedef struct {
    fuin_outfile *of; /* NULL: standard output */
    char err[320];
} out_ctx;

static int write_out(void *ctx, const uint8_t *buf, size_t len)
{
    out_ctx *o = ctx;
    if (o->of != NULL)
        return fuin_outfile_write(o->of, buf, len, o->err, sizeof o->err) != FUIN_OK;
    if (fuin_cli_write_all(STDOUT_FILENO, buf, len) != 0) {
        snprintf(o->err, sizeof o->err, "cannot write to standard output: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int run(pack_args *a)
{
    fuin_packer *pk = NULL;
    fuin_encryptor *e = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_seckey *sk = NULL;
    fuin_cli_signer si;
    fuin_cli_recipients seen = {NULL, 0, 0};
    fuin_outfile *of = NULL;
    out_ctx oc = {NULL, ""};
    fuin_label cls, min;
    char *dir = NULL, *key_path = NULL, text[256], msg[1024], err[512];
    const char *store_dir = a->store;
    int rc = 0, pass_mode = a->passphrase || a->pkg_passfile != NULL, encrypt, sign;
    int claimed = 0;
    size_t outside = 0;
    fuin_request_info appr;
    char approver[FUIN_CLI_APPROVER_MAX];
    fuin_status s;
    fuin_cli_audit au = {0};
    char detail[1024] = "";
    int started = 0;

    memset(&appr, 0, sizeof appr);
    memset(&si, 0, sizeof si);
    pk = fuin_packer_new();
    if (pk == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    /* The policy first: it maps Microsoft Purview labels in documents. */
    if ((rc = fuin_cli_open_store(CMD, a->store, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, a->dir, NULL, &au)) != 0)
        goto done;
    if (store != NULL && store_dir == NULL)
        store_dir = FUIN_CLI_DEFAULT_STORE;
    fuin_packer_set_policy(pk, pol);
    /* What is to be packed, and the class it needs. */
    for (int i = 0; i < a->n_paths; i++) {
        s = fuin_packer_add_path(pk, a->paths[i]);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_packer_errmsg(pk), s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
    fuin_packer_min_class(pk, &min);
    cls = min;
    if (a->class_text != NULL) {
        s = fuin_label_parse(a->class_text, &cls, err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "--class: %s", err[0] ? err : fuin_strerror(s));
            rc = fuin_cli_exit_code(s, 1);
            goto done;
        }
    }
    if ((s = fuin_packer_set_class(pk, &cls)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "refused: %s", fuin_cli_msg(fuin_packer_errmsg(pk), s));
        rc = fuin_cli_exit_code(s, 1);
        goto done;
    }
    fuin_label_format(&cls, text, sizeof text);

    /* The policy decides by class: encryption ... */
    msg[0] = '\0';
    encrypt = pass_mode || a->n_recipients > 0 || a->n_files > 0;
    if (a->zip && (s = fuin_policy_check_zip(pol, &cls, msg, sizeof msg)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "policy: --zip refused: %s", fuin_cli_msg(msg, s));
        rc = s == FUIN_E_POLICY ? FUIN_EXIT_REFUSED : fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (!encrypt && !a->zip && fuin_policy_check_unencrypted(pol, &cls, msg, sizeof msg) != FUIN_OK) {
        fuin_cli_error(CMD, NULL,
                       "policy: a %s package must be encrypted: %s; give -r NAME (the "
                       "recipients) or -p",
                       text, msg);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (encrypt) {
        size_t uncertified = 0;
        if ((e = fuin_encryptor_new()) == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
            goto done;
        }
        if ((rc = fuin_cli_add_recipients(CMD, e, &seen, store, a->store, a->recipients,
                                          a->n_recipients, a->files, a->n_files)) != 0)
            goto done;
        for (size_t i = 0; i < seen.n; i++) {
            if (store == NULL || fuin_store_find_recipient(store, seen.items[i]) == NULL)
                uncertified++;
            (void)fuin_packer_add_recipient_note(pk, seen.items[i]);
        }
        outside = uncertified + (pass_mode ? 1 : 0);
        msg[0] = '\0';
        s = fuin_policy_check_encrypt(pol, &cls, pass_mode, seen.n, uncertified, msg,
                                      sizeof msg);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "policy: %s", fuin_cli_msg(msg, s));
            rc = s == FUIN_E_POLICY ? FUIN_EXIT_REFUSED : fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
    /* Outside: a recipient the store does not certify, a passphrase, a
     * zip, or no encryption at all.  Under an approved provide request
     * the package must be the one approved; its id goes into the signed
     * manifest. */
    if (a->zip || !encrypt)
        outside++;
    if (a->approval != NULL) {
        char obj[FUIN_OBJECT_MAX], one[FUIN_OBJECT_MAX], *alt = NULL;
        int has = 1;
        if ((s = fuin_packer_object(pk, obj, sizeof obj)) != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_packer_errmsg(pk), s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        {
            /* one file alone may be approved by its own sha256 */
            size_t nf = 0, k = 0;
            for (size_t i = 0; i < fuin_packer_count(pk); i++)
                if (fuin_packer_entry(pk, i)->type == FUIN_ENTRY_FILE) {
                    nf++;
                    k = i;
                }
            if (nf == 1) {
                char hex[65];
                sodium_bin2hex(hex, sizeof hex, fuin_packer_entry(pk, k)->sha256, 32);
                snprintf(one, sizeof one, "sha256:%s", hex);
                alt = one;
            }
        }
        if ((rc = fuin_cli_provide_approval(CMD, store, pol, a->approval, obj, alt, &cls, &has,
                                            &appr, approver)) != 0)
            goto done;
        if ((s = fuin_packer_set_approval(pk, appr.hash)) != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "internal error");
            rc = FUIN_EXIT_INTERNAL;
            goto done;
        }
    } else if (outside > 0 &&
               (rc = fuin_cli_provide_refused(CMD, pol, &cls,
                                              a->zip ? "packaging as a zip"
                                              : !encrypt ? "packaging unencrypted"
                                              : pass_mode ? "packaging with a passphrase"
                                                          : "packaging")) != 0)
        goto done;
    /* ... and signing: a certified signature where the class demands one,
     * a signature whenever a key is at hand. */
    if (a->dir != NULL)
        dir = strdup(a->dir);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &dir)) != 0)
        goto done;
    if (dir == NULL ||
        (key_path = a->seckey ? strdup(a->seckey) : fuin_cli_path(dir, "sign.key")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    msg[0] = '\0';
    sign = !a->no_sign && (a->seckey != NULL || fuin_cli_exists(key_path));
    if (!sign && fuin_policy_check_unsigned(pol, &cls, msg, sizeof msg) != FUIN_OK) {
        if (a->no_sign)
            fuin_cli_error(CMD, NULL, "policy: --unsigned refused: %s", msg);
        else
            fuin_cli_error(CMD, NULL,
                           "policy: a %s package must be signed: %s; no signing key (%s "
                           "does not exist: make one with `fuin key new`, or give -s)",
                           text, msg, key_path);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (a->output != NULL && (rc = fuin_cli_check_output(CMD, a->output, a->force)) != 0)
        goto done;
    if (a->output == NULL && isatty(STDOUT_FILENO)) {
        fuin_cli_error(CMD, NULL, "refusing to write a package to the terminal, use -o FILE");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    if (sign) {
        fuin_sigmeta meta;
        if ((rc = fuin_cli_signer_setup(CMD, dir, a->seckey, key_path, a->passfile, store,
                                        store_dir, pol, &cls, &si, &sk)) != 0)
            goto done;
        memset(&meta, 0, sizeof meta);
        memcpy(meta.signer, si.signer, sizeof meta.signer);
        memcpy(meta.keyid, si.pk.keyid, FUIN_KEYID_BYTES);
        s = si.cert_text != NULL ? fuin_sigmeta_set_cert(&meta, si.cert_text, si.cert_len,
                                                         si.cert_sig, si.cert_siglen)
                                 : FUIN_OK;
        if (s == FUIN_OK)
            s = fuin_packer_set_signer(pk, sk, &meta);
        fuin_sigmeta_clear(&meta);
        if (s == FUIN_OK)
            s = fuin_packer_set_creator(pk, si.signer);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "cannot set up the signature: %s", fuin_strerror(s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
    if (pass_mode) {
        fuin_cli_pass p = {.cmd = CMD, .file = a->pkg_passfile};
        char *pass;
        size_t len;
        if ((rc = fuin_cli_new_passphrase(&p, pol, &pass, &len)) != 0)
            goto done;
        s = fuin_encryptor_set_passphrase(e, pass, len, FUIN_DEFAULT_SCRYPT_LOG_N);
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_encryptor_errmsg(e), s));
            rc = fuin_cli_exit_code(s, 1);
            goto done;
        }
    }
    if (e != NULL && (s = fuin_encryptor_set_label(e, &cls)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "policy: %s", fuin_cli_msg(fuin_encryptor_errmsg(e), s));
        rc = s == FUIN_E_POLICY ? FUIN_EXIT_REFUSED : fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((e != NULL && fuin_packer_set_encryptor(pk, e) != FUIN_OK) ||
        fuin_packer_set_zstd(pk, a->zstd) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "internal error");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }

    if (a->approval != NULL) {
        /* single use: claimed just before the package is written */
        if ((rc = fuin_cli_provide_claim(CMD, store, a->approval, &appr, "pack")) != 0)
            goto done;
        claimed = 1;
    }
    started = 1; /* from here a failure is the operation's, and recorded */
    if (a->zip) {
        char *zpass = sodium_malloc(FUIN_ZIP_PASSPHRASE_MAX);
        if (zpass == NULL || fuin_zip_passphrase_new(zpass, FUIN_ZIP_PASSPHRASE_MAX) != FUIN_OK) {
            sodium_free(zpass);
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
            goto done;
        }
        s = fuin_packer_write_zip(pk, a->output, zpass, a->force ? FUIN_F_FORCE : 0);
        if (s != FUIN_OK) {
            sodium_free(zpass);
            fuin_cli_error(CMD, s == FUIN_E_EXISTS ? a->output : NULL, "%s%s",
                           fuin_cli_msg(fuin_packer_errmsg(pk), s),
                           s == FUIN_E_EXISTS ? " (use --force to replace it)" : "");
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        /* Shown once.  It must reach the recipient another way than the
         * zip: telephone, in person, a letter; never the same mail. */
        fprintf(stderr,
                "fuin: %s: %s: AES-256 zip written; its passphrase, shown only now:\n"
                "\n    %s\n\n"
                "  Give it to the recipient by another channel than the zip (telephone, in "
                "person), never in the same or a follow-up mail.  7-Zip opens the zip; "
                "Windows Explorer alone cannot.\n",
                CMD, fuin_cli_safe(a->output), zpass);
        sodium_free(zpass);
        goto summary;
    }
    if (a->output != NULL) {
        fuin_cli_report_stale(CMD, a->output, fuin_outfile_sweep(a->output));
        s = fuin_outfile_open(a->output, 0644, a->force ? FUIN_F_FORCE : 0, &of, err,
                              sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, a->output, "%s", fuin_cli_msg(err, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
    oc.of = of;
    s = fuin_packer_write(pk, write_out, &oc);
    if (s != FUIN_OK) {
        const char *m = fuin_packer_errmsg(pk);
        if (s == FUIN_E_IO && strcmp(m, "cannot write the package") == 0 && oc.err[0])
            fuin_cli_error(CMD, of ? a->output : NULL, "%s", oc.err);
        else
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(m, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (of != NULL) {
        s = fuin_outfile_commit(of, err, sizeof err);
        of = NULL;
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, a->output, "%s", fuin_cli_msg(err, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
summary: {
        uint64_t bytes = 0, files = 0;
        char size[64];
        for (size_t i = 0; i < fuin_packer_count(pk); i++) {
            const fuin_pack_entry *pe = fuin_packer_entry(pk, i);
            files += pe->type == FUIN_ENTRY_FILE;
            bytes += pe->size;
        }
        fuin_cli_human_size(bytes, size, sizeof size);
        fprintf(stderr, "fuin: %s: %s: %llu file%s, %s, class %s, %s, %s\n", CMD,
                fuin_cli_safe(a->output ? a->output : FUIN_CLI_STDOUT_NAME),
                (unsigned long long)files, files == 1 ? "" : "s", size, text,
                sign ? (si.certified ? "signed (certified key)" : "signed (uncertified key)")
                     : "unsigned",
                a->zip     ? "AES-256 zip"
                : e == NULL ? "not encrypted"
                : pass_mode ? "encrypted with a passphrase"
                            : "encrypted to the recipients");
        if (sign)
            fprintf(stderr, "  signer: %s\n", fuin_cli_safe(si.signer));
        if (claimed)
            fprintf(stderr, "  approval: %s (provide to %s, approved by %s)\n", appr.hash,
                    fuin_cli_safe(appr.destination), fuin_cli_safe(approver));
        for (size_t i = 0; i < seen.n; i++)
            fprintf(stderr, "  recipient: %s\n", seen.items[i]);
        snprintf(detail, sizeof detail, "%llu file%s, %s%s%s", (unsigned long long)files,
                 files == 1 ? "" : "s",
                 a->zip ? "AES-256 zip" : e == NULL ? "not encrypted"
                 : pass_mode ? "passphrase" : "to ",
                 !a->zip && e != NULL && !pass_mode && seen.n ? seen.items[0] : "",
                 !a->zip && e != NULL && !pass_mode && seen.n > 1 ? " and others" : "");
    }
    {
        fuin_cli_audit_rec rec = {.op = "pack", .path = a->output ? a->output : FUIN_CLI_STDOUT_NAME,
                                  .label = &cls, .method = a->zip ? "zip-aes256" : "fuin-package",
                                  .detail = detail, .approver = claimed ? approver : NULL,
                                  .request = claimed ? appr.hash : NULL, .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sign ? sk : NULL) != 0) {
            /* fail closed: what nobody recorded does not go out */
            if (a->output != NULL)
                (void)unlink(a->output);
            rc = FUIN_EXIT_IO;
            goto done;
        }
    }
    if (a->output == NULL)
        rc = fuin_cli_stdout_close(CMD);
    claimed = 0; /* used: the package was written */
done:
    if (au.a != NULL && started) {
        /* a failure while writing is recorded; a refusal before is not */
        fuin_cli_audit_rec rec = {.op = "pack", .path = a->output ? a->output : FUIN_CLI_STDOUT_NAME,
                                  .hash_path = "-", /* not what a failure left there */
                                  .method = a->zip ? "zip-aes256" : "fuin-package", .ok = 0};
        (void)fuin_cli_audit_end(&au, &rec, NULL);
    }
    fuin_cli_audit_drop(&au);
    /* nothing went out: the approval may be used again */
    if (claimed && rc != 0)
        (void)fuin_store_approval_release(store, appr.hash);
    fuin_outfile_abort(of);
    fuin_cli_recipients_free(&seen);
    fuin_cli_signer_free(&si);
    fuin_seckey_free(sk);
    fuin_encryptor_free(e);
    fuin_packer_free(pk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    free(dir);
    free(key_path);
    return rc;
}

int fuin_cmd_pack(int argc, char **argv)
{
    pack_args a;
    int help = 0, rc;
    memset(&a, 0, sizeof a);
    a.recipients = calloc((size_t)argc + 1, sizeof *a.recipients);
    a.files = calloc((size_t)argc + 1, sizeof *a.files);
    if (a.recipients == NULL || a.files == NULL) {
        free(a.recipients);
        free(a.files);
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    rc = parse_args(argc, argv, &a, &help);
    if (rc == 0)
        rc = help ? fuin_cli_print_help(CMD) : run(&a);
    free(a.recipients);
    free(a.files);
    return rc;
}
