/* fuin decrypt [-i IDENTITY_FILE]... [--passphrase-file FILE] [-o OUTPUT]
 *              [--force] [INPUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static const char *const CMD = "decrypt";

enum { OPT_PASSFILE = 256, OPT_FORCE };

static const struct option decrypt_options[] = {
    {"identity", required_argument, NULL, 'i'},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char **identities;
    size_t n_identities;
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
    fprintf(stderr, "fuin: %s: %s: label: %s\n", CMD, h->in_name, text);
    fflush(stderr);
    return 0;
}

static int add_identity_file(fuin_decryptor *d, const char *path)
{
    const char *name = strcmp(path, "-") == 0 ? FUIN_CLI_STDIN_NAME : path;
    char *text;
    size_t len;
    fuin_status s;
    int rc = fuin_cli_read_keyfile(CMD, path, name, &text, &len);
    if (rc != 0)
        return rc;
    s = fuin_decryptor_add_identities(d, text, len);
    fuin_cli_free_secret(text, len + 1);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, name, "%s", fuin_cli_msg(fuin_decryptor_errmsg(d), s));
        return fuin_cli_exit_code(s, 0);
    }
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
    if (a->output != NULL && strcmp(a->output, "-") == 0)
        a->output = NULL;
    return 0;
}

static int run(const decrypt_args *a)
{
    fuin_decryptor *d;
    fuin_cli_pass pass = {.cmd = CMD, .file = a->passfile};
    header_ctx hctx;
    const char *in_name = NULL;
    int rc = 0, in_fd = -1;
    fuin_status s;

    d = fuin_decryptor_new();
    if (d == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < a->n_identities && rc == 0; i++)
        rc = add_identity_file(d, a->identities[i]);
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

    s = fuin_decrypt_fd(d, in_fd, a->output, STDOUT_FILENO,
                        a->force ? FUIN_F_FORCE : 0);
    if (s != FUIN_OK) {
        const char *msg = fuin_decryptor_errmsg(d);
        if (pass.exit_code != 0) {
            /* The callback knows why there is no passphrase; the library
             * only knows that there is none. */
            fuin_cli_error(CMD, pass.file ? NULL : in_name, "%s", pass.errmsg);
            rc = pass.exit_code;
        } else {
            fuin_cli_error(CMD, fuin_cli_fd_error_name(s, msg, in_name, a->output),
                           "%s", fuin_cli_msg(msg, s));
            rc = fuin_cli_exit_code(s, 0);
        }
    }
done:
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    fuin_decryptor_free(d);
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
