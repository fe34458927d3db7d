/* fuin decrypt [-i IDENTITY_FILE]... [--dir DIR] [--passphrase-file FILE]
 *              [-o OUTPUT] [--force] [--store DIR] [INPUT]
 * Without -i the user's own identity (DIR/identity.age, DIR defaulting to
 * ~/.config/fuin) is used when it exists. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "decrypt";

enum { OPT_PASSFILE = 256, OPT_FORCE, OPT_DIR, OPT_STORE };

static const struct option decrypt_options[] = {
    {"identity", required_argument, NULL, 'i'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"store", required_argument, NULL, OPT_STORE},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char **identities;
    size_t n_identities;
    const char *dir;
    const char *store;
    const char *passfile;
    const char *output;
    int force;
    const char *input;
} decrypt_args;

typedef struct {
    const char *in_name;
} header_ctx;

/* Runs after the header MAC verified and before any plaintext exists, so
 * the reader learns the handling rules before reading the contents. */
static int on_header(void *ctx, const fuin_label *label)
{
    const header_ctx *h = ctx;
    char text[256];
    if (label == NULL)
        return 0;
    fuin_label_format(label, text, sizeof text);
    fprintf(stderr, "fuin: %s: %s: label: %s\n", CMD, fuin_cli_safe(h->in_name), text);
    fflush(stderr);
    return 0;
}

static int parse_args(int argc, char **argv, decrypt_args *a, int *help)
{
    int c, stdin_ids = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:o:h", decrypt_options, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (strcmp(optarg, "-") == 0 && stdin_ids++)
                return fuin_cli_usage(CMD, "-i - given more than once");
            a->identities[a->n_identities++] = optarg;
            break;
        case OPT_PASSFILE:
            if (fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file") != 0)
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
        case 'o':
            if (fuin_cli_set_once(CMD, &a->output, optarg, "-o/--output") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_FORCE:
            if (fuin_cli_set_flag(CMD, &a->force, "--force") != 0)
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
    if (a->input != NULL && strcmp(a->input, "-") == 0)
        a->input = NULL;
    if (stdin_ids && a->input == NULL)
        return fuin_cli_usage(CMD, "-i - needs INPUT to be a file, not stdin");
    /* "-" and /dev/stdout both mean standard output (a link to fd 1,
     * which may be a file the shell opened) */
    if (a->output != NULL && (strcmp(a->output, "-") == 0 || strcmp(a->output, "/dev/stdout") == 0))
        a->output = NULL;
    if (a->dir != NULL && a->n_identities > 0)
        return fuin_cli_usage(CMD, "--dir names your own identity; it cannot be "
                                   "combined with -i");
    return 0;
}

/* Prompts of the identity files, each with its own passphrase source. */
typedef struct {
    fuin_cli_pass pass;
    char prompt[256];
    const char *name; /* the identity file, for messages */
} id_pass;

static int run(const decrypt_args *a)
{
    fuin_decryptor *d;
    fuin_cli_pass pass = {.cmd = CMD, .file = a->passfile};
    id_pass *ids = NULL;
    size_t n_ids = a->n_identities ? a->n_identities : 1;
    char *own_dir = NULL, *own = NULL;
    int own_missing = 0;
    header_ctx hctx;
    const char *in_name = NULL;
    int rc = 0, in_fd = -1;
    fuin_status s;
    fuin_cli_audit au;

    /* Nothing is decrypted that cannot be recorded. */
    if ((rc = fuin_cli_audit_begin(CMD, NULL, a->store, a->dir, NULL, &au)) != 0)
        return rc;

    d = fuin_decryptor_new();
    ids = calloc(n_ids, sizeof *ids);
    if (d == NULL || ids == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        free(ids);
        fuin_decryptor_free(d);
        fuin_cli_audit_drop(&au);
        return FUIN_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < n_ids; i++) {
        ids[i].pass.cmd = CMD;
        ids[i].pass.file = a->passfile;
    }
    for (size_t i = 0; i < a->n_identities && rc == 0; i++) {
        ids[i].name = a->identities[i];
        rc = fuin_cli_add_identity_file(CMD, d, a->identities[i], &ids[i].pass, ids[i].prompt,
                               sizeof ids[i].prompt);
    }
    if (rc == 0 && a->n_identities == 0) {
        /* Your own identity, as `fuin key new` made it.  Without one a
         * passphrase-encrypted file still opens. */
        if (a->dir != NULL)
            own_dir = strdup(a->dir);
        else
            rc = fuin_cli_default_dir(CMD, NULL, &own_dir);
        if (rc == 0 && (own_dir == NULL ||
                        (own = fuin_cli_path(own_dir, "identity.age")) == NULL)) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
        }
        if (rc == 0 && !fuin_cli_exists(own))
            own_missing = 1;
        else if (rc == 0) {
            ids[0].name = own;
            rc = fuin_cli_add_identity_file(CMD, d, own, &ids[0].pass, ids[0].prompt,
                                   sizeof ids[0].prompt);
        }
    }
    if (rc != 0)
        goto done;

    in_fd = fuin_cli_open_input(CMD, a->input, &in_name, &rc);
    if (in_fd < 0)
        goto done;
    if (a->output != NULL) {
        rc = fuin_cli_check_output(CMD, a->output, a->force);
        if (rc != 0)
            goto done;
    }

    hctx.in_name = in_name;
    if ((s = fuin_decryptor_set_passphrase_cb(d, fuin_cli_passphrase_cb, &pass)) !=
            FUIN_OK ||
        (s = fuin_decryptor_set_header_cb(d, on_header, &hctx)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(fuin_decryptor_errmsg(d), s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }

    if (a->output != NULL)
        fuin_cli_report_stale(CMD, a->output, fuin_outfile_sweep(a->output));
    s = fuin_decrypt_fd(d, in_fd, a->output, STDOUT_FILENO,
                        a->force ? FUIN_F_FORCE : 0);
    if (s != FUIN_OK) {
        const char *msg = fuin_decryptor_errmsg(d);
        const fuin_cli_pass *failed = pass.exit_code != 0 ? &pass : NULL;
        const char *about = failed ? in_name : NULL;
        for (size_t i = 0; failed == NULL && i < n_ids; i++)
            if (ids[i].pass.exit_code != 0) {
                failed = &ids[i].pass;
                about = ids[i].name;
            }
        if (failed != NULL) {
            /* The callback knows why there is no passphrase; the library
             * only knows that there is none. */
            fuin_cli_error(CMD, failed->file ? NULL : about, "%s", failed->errmsg);
            rc = failed->exit_code;
        } else if (s == FUIN_E_NO_MATCH && own_missing &&
                   strcmp(msg, "no identity given, and the file is not "
                               "passphrase-encrypted") == 0) {
            fuin_cli_error(CMD, in_name,
                           "no identity: no -i given and %s does not exist "
                           "(create yours with `fuin key new`, or give -i FILE)",
                           own);
            rc = FUIN_EXIT_REFUSED;
        } else if (strstr(msg, ": incorrect passphrase for the identity file") != NULL) {
            fuin_cli_error(CMD, NULL, "%s", msg); /* names the identity file */
            rc = fuin_cli_exit_code(s, 0);
        } else {
            fuin_cli_error(CMD, fuin_cli_fd_error_name(s, msg, in_name, a->output),
                           "%s", fuin_cli_msg(msg, s));
            rc = fuin_cli_exit_code(s, 0);
        }
    } else if (a->output != NULL && fuin_decryptor_label(d) != NULL &&
               !fuin_decryptor_label_stamped(d) && fuin_cli_is_regular(a->output)) {
        fuin_cli_error(CMD, a->output,
                       "note: the label is not on the output (its file system has no "
                       "extended attributes); keep it in the name: fuin label set --name "
                       "--no-xattr");
    }
    if (in_fd >= 0) {
        char detail[512];
        fuin_cli_audit_rec rec = {.op = "decrypt", .path = in_name,
                                  .hash_path = a->input, .label = fuin_decryptor_label(d),
                                  .method = "age", .ok = rc == 0};
        snprintf(detail, sizeof detail, "to %s", a->output ? a->output : FUIN_CLI_STDOUT_NAME);
        rec.detail = detail;
        if (fuin_cli_audit_record(&au, &rec, NULL) != 0 && rc == 0) {
            /* fail closed: plaintext nobody recorded is not left behind */
            if (a->output != NULL)
                (void)unlink(a->output);
            rc = FUIN_EXIT_IO;
        }
    }
done:
    fuin_cli_audit_drop(&au);
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    fuin_decryptor_free(d);
    free(ids);
    free(own);
    free(own_dir);
    return rc;
}

int fuin_cmd_decrypt(int argc, char **argv)
{
    decrypt_args a = {0};
    int help = 0, rc;

    a.identities = calloc((size_t)argc + 1, sizeof *a.identities);
    if (a.identities == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    rc = parse_args(argc, argv, &a, &help);
    if (rc == 0)
        rc = help ? fuin_cli_print_help(CMD) : run(&a);
    free(a.identities);
    return rc;
}
