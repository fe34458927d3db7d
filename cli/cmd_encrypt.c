/* fuin encrypt [-r RECIPIENT]... [-R FILE]... [-p] [--passphrase-file FILE]
 *              [-a] [--class LABEL] [--approval REQUEST] [--store DIR]
 *              [-o OUTPUT] [--force] [INPUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "encrypt";

enum { OPT_PASSFILE = 256, OPT_CLASS, OPT_FORCE, OPT_STORE, OPT_APPROVAL };

static const struct option encrypt_options[] = {
    {"recipient", required_argument, NULL, 'r'},
    {"recipients-file", required_argument, NULL, 'R'},
    {"passphrase", no_argument, NULL, 'p'},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"armor", no_argument, NULL, 'a'},
    {"class", required_argument, NULL, OPT_CLASS},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"store", required_argument, NULL, OPT_STORE},
    {"approval", required_argument, NULL, OPT_APPROVAL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char **recipients; /* -r values, in order */
    size_t n_recipients;
    const char **files;      /* -R values, in order */
    size_t n_files;
    int passphrase;          /* -p */
    const char *passfile;
    int armor;
    const char *class_text;
    const char *output;
    int force;
    const char *store;
    const char *approval;
    const char *input;
} encrypt_args;

static int parse_args(int argc, char **argv, encrypt_args *a, int *help)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:R:pao:h", encrypt_options, NULL)) !=
           -1) {
        switch (c) {
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
        case 'a':
            if (fuin_cli_set_flag(CMD, &a->armor, "-a/--armor") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_CLASS:
            if (fuin_cli_set_once(CMD, &a->class_text, optarg, "--class") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'o':
            if (fuin_cli_set_once(CMD, &a->output, optarg, "-o/--output") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_FORCE:
            if (fuin_cli_set_flag(CMD, &a->force, "--force") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_STORE:
            if (fuin_cli_set_once(CMD, &a->store, optarg, "--store") != 0)
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
    if (argc - optind > 1)
        return fuin_cli_usage(CMD, "too many arguments (one INPUT at most)");
    a->input = optind < argc ? argv[optind] : NULL;
    if (a->passphrase && (a->n_recipients || a->n_files))
        return fuin_cli_usage(CMD, "-p cannot be used with -r or -R");
    if (a->passfile && (a->n_recipients || a->n_files))
        return fuin_cli_usage(CMD,
                              "--passphrase-file cannot be used with -r or -R");
    if (!a->passphrase && !a->passfile && !a->n_recipients && !a->n_files)
        return fuin_cli_usage(CMD, "no recipients: use -r, -R or -p");
    if (a->approval != NULL && (a->passphrase || a->passfile))
        return fuin_cli_usage(CMD, "--approval cannot be used with -p: a passphrase-encrypted "
                                   "file has room for no approval id (age allows only the "
                                   "scrypt stanza); encrypt to the recipient's key (-r)");
    if (a->approval != NULL && (a->input == NULL || strcmp(a->input, "-") == 0))
        return fuin_cli_usage(CMD, "--approval needs INPUT to be a file (the approval names "
                                   "its sha256)");
    /* "-" and /dev/stdout both mean standard output (a link to fd 1,
     * which may be a file the shell opened) */
    if (a->output != NULL && (strcmp(a->output, "-") == 0 || strcmp(a->output, "/dev/stdout") == 0))
        a->output = NULL;
    return 0;
}

static int run(encrypt_args *a)
{
    fuin_encryptor *e = NULL;
    fuin_label label;
    int have_label = 0, pass_mode = a->passphrase || a->passfile != NULL;
    int rc = 0, in_fd = -1;
    const char *in_name = NULL;
    fuin_status s;
    char err[256], pmsg[1024];
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_cli_recipients seen = {NULL, 0, 0};
    fuin_cli_audit au = {0};
    size_t uncertified = 0;
    fuin_request_info appr;
    char approver[FUIN_CLI_APPROVER_MAX];
    int claimed = 0;

    if (a->class_text != NULL) {
        s = fuin_label_parse(a->class_text, &label, err, sizeof err);
        if (s != FUIN_OK) {
            /* The parser's message quotes the label and the bad part. */
            if (err[0] != '\0')
                fuin_cli_error(CMD, NULL, "--class: %s", err);
            else
                fuin_cli_error(CMD, NULL, "--class \"%.200s\": %s",
                               a->class_text, fuin_strerror(s));
            return fuin_cli_exit_code(s, 1);
        }
        have_label = 1;
    }
    /* Refused here as well as in the library so nobody types a passphrase
     * only to be told no. */
    if (have_label && pass_mode && label.confidentiality >= 3) {
        fuin_cli_error(CMD, NULL,
                       "policy: 機密性3 (C3) files may only be encrypted to "
                       "recipient keys, not with a passphrase");
        return FUIN_EXIT_REFUSED;
    }
    if (a->output == NULL && !a->armor && isatty(STDOUT_FILENO)) {
        fuin_cli_error(CMD, NULL,
                       "refusing to output binary to the terminal, use -a or -o");
        return FUIN_EXIT_USAGE;
    }

    if ((rc = fuin_cli_open_store(CMD, a->store, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, NULL, NULL, &au)) != 0)
        goto done;
    e = fuin_encryptor_new();
    if (e == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    rc = fuin_cli_add_recipients(CMD, e, &seen, store, a->store,
                                 a->recipients, a->n_recipients, a->files,
                                 a->n_files);
    if (rc != 0)
        goto done;

    /* The file's own label (xattr, name, document properties) applies
     * when --class is absent; a --class below it is refused.  Read from
     * the very file that is encrypted (a link's target, standard input);
     * a label that cannot be read refuses the operation. */
    in_fd = fuin_cli_open_input(CMD, a->input, &in_name, &rc);
    if (in_fd < 0)
        goto done;
    {
        fuin_label own;
        int has = 0;
        const char *lname = a->input != NULL && strcmp(a->input, "-") != 0 ? a->input : NULL;
        s = fuin_file_label_effective_fd(in_fd, lname, have_label ? &label : NULL, pol, &own, &has,
                                         pmsg, sizeof pmsg);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, in_name, "%s%s", s == FUIN_E_POLICY ? "policy: " : "its label: ",
                           fuin_cli_msg(pmsg, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        if (has && !have_label) {
            char t[256];
            fuin_label_format(&own, t, sizeof t);
            fuin_cli_error(CMD, in_name, "label: %s (the file's own)", t);
        }
        if (has) {
            label = own;
            have_label = 1;
        }
    }

    /* The policy decides before anything is read or asked for. */
    for (size_t i = 0; i < seen.n; i++)
        if (store == NULL || fuin_store_find_recipient(store, seen.items[i]) == NULL)
            uncertified++;
    /* Information for someone outside (a key the store does not certify,
     * or a passphrase) under an approved provide request: the request
     * names this very file; its id goes into the header. */
    memset(&appr, 0, sizeof appr);
    if (a->approval != NULL) {
        char obj[FUIN_OBJECT_MAX];
        s = fuin_request_object_fd(in_fd, obj, sizeof obj, pmsg, sizeof pmsg);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, in_name, "%s", fuin_cli_msg(pmsg, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        if ((rc = fuin_cli_provide_approval(CMD, store, pol, a->approval, obj, NULL, &label,
                                            &have_label, &appr, approver)) != 0)
            goto done;
    } else if (have_label && (pass_mode || uncertified > 0)) {
        char what[64];
        snprintf(what, sizeof what, "%s", pass_mode ? "encrypting with a passphrase"
                                                    : "encrypting");
        if ((rc = fuin_cli_provide_refused(CMD, pol, &label, what)) != 0)
            goto done;
    }
    pmsg[0] = '\0';
    s = fuin_policy_check_encrypt(pol, have_label ? &label : NULL, pass_mode, seen.n,
                                  uncertified, pmsg, sizeof pmsg);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "policy: %s", fuin_cli_msg(pmsg, s));
        rc = s == FUIN_E_POLICY ? FUIN_EXIT_REFUSED : fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (pmsg[0] != '\0')
        fuin_cli_error(CMD, NULL, "notice: %s", pmsg);

    if (a->output != NULL) {
        rc = fuin_cli_check_output(CMD, a->output, a->force);
        if (rc != 0)
            goto done;
    }

    if (pass_mode) {
        /* A file's passphrase is a password like any other (§2.5.4): the
         * policy's strength rule applies, as to key passphrases. */
        fuin_cli_pass p = {.cmd = CMD, .file = a->passfile};
        char *pass;
        size_t len;
        if ((rc = fuin_cli_new_passphrase(&p, pol, &pass, &len)) != 0)
            goto done;
        s = fuin_encryptor_set_passphrase(e, pass, len, FUIN_DEFAULT_SCRYPT_LOG_N);
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s",
                           fuin_cli_msg(fuin_encryptor_errmsg(e), s));
            rc = fuin_cli_exit_code(s, 1);
            goto done;
        }
    }
    if (have_label) {
        s = fuin_encryptor_set_label(e, &label);
        if (s == FUIN_E_POLICY) {
            fuin_cli_error(CMD, NULL, "policy: %s",
                           fuin_cli_msg(fuin_encryptor_errmsg(e), s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s",
                           fuin_cli_msg(fuin_encryptor_errmsg(e), s));
            rc = fuin_cli_exit_code(s, 1);
            goto done;
        }
    }
    if (a->armor && (s = fuin_encryptor_set_armor(e, 1)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_encryptor_errmsg(e), s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }

    if (a->approval != NULL) {
        if ((s = fuin_encryptor_set_approval(e, appr.hash)) != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_encryptor_errmsg(e), s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        /* single use: claimed just before the file is written */
        if ((rc = fuin_cli_provide_claim(CMD, store, a->approval, &appr, "encrypt")) != 0)
            goto done;
        claimed = 1;
    }
    if (a->output != NULL)
        fuin_cli_report_stale(CMD, a->output, fuin_outfile_sweep(a->output));
    s = fuin_encrypt_fd(e, in_fd, a->output, STDOUT_FILENO,
                        a->force ? FUIN_F_FORCE : 0);
    {
        /* the record: who encrypted which file of which class for whom */
        char detail[1024];
        size_t used = 0;
        if (pass_mode)
            snprintf(detail, sizeof detail, "passphrase");
        for (size_t i = 0; !pass_mode && i < seen.n && used + 4 < sizeof detail; i++) {
            int w = snprintf(detail + used, sizeof detail - used, "%s%s", i ? ", " : "to ",
                             seen.items[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        if (!pass_mode && seen.n == 0)
            snprintf(detail, sizeof detail, "to the recipients of the -R files");
        if (used >= sizeof detail)
            memcpy(detail + sizeof detail - 4, "...", 4);
        fuin_cli_audit_rec rec = {.op = "encrypt", .path = in_name, .hash_path = a->input,
                                  .label = have_label ? &label : NULL, .method = pass_mode ? "age-scrypt" : "age-x25519",
                                  .detail = detail, .approver = claimed ? approver : NULL,
                                  .request = claimed ? appr.hash : NULL, .ok = s == FUIN_OK};
        if (fuin_cli_audit_end(&au, &rec, NULL) != 0 && s == FUIN_OK) {
            /* fail closed: what nobody recorded does not go out */
            if (a->output != NULL)
                (void)unlink(a->output);
            if (claimed)
                (void)fuin_store_approval_release(store, appr.hash);
            rc = FUIN_EXIT_IO;
            goto done;
        }
    }
    if (s != FUIN_OK) {
        /* nothing went out: the approval may be used again */
        if (claimed)
            (void)fuin_store_approval_release(store, appr.hash);
        const char *msg = fuin_encryptor_errmsg(e);
        fuin_cli_error(CMD, fuin_cli_fd_error_name(s, msg, in_name, a->output),
                       "%s", fuin_cli_msg(msg, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (claimed)
        fprintf(stderr, "fuin: encrypt: approval %s (provide to %s, approved by %s) bound into "
                        "the header\n",
                appr.hash, fuin_cli_safe(appr.destination), fuin_cli_safe(approver));
    if (have_label && pass_mode && !fuin_encryptor_label_written(e)) {
        char text[256];
        fuin_label_format(&label, text, sizeof text);
        fuin_cli_error(CMD, NULL,
                       "notice: passphrase mode cannot carry the label (age "
                       "allows only the scrypt stanza); the label %s is not "
                       "recorded in the file",
                       text);
    }
done:
    fuin_cli_audit_drop(&au);
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    fuin_encryptor_free(e);
    fuin_cli_recipients_free(&seen);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

int fuin_cmd_encrypt(int argc, char **argv)
{
    encrypt_args a = {0};
    int help = 0, rc;

    /* Never more -r/-R values than arguments. */
    a.recipients = calloc((size_t)argc + 1, sizeof *a.recipients);
    a.files = calloc((size_t)argc + 1, sizeof *a.files);
    if (a.recipients == NULL || a.files == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
    } else {
        rc = parse_args(argc, argv, &a, &help);
        if (rc == 0)
            rc = help ? fuin_cli_print_help(CMD) : run(&a);
    }
    free(a.recipients);
    free(a.files);
    return rc;
}
