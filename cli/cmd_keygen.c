/* fuin keygen [-o FILE] | fuin keygen -y [FILE] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common.h"

static const char *const CMD = "keygen";

static const struct option keygen_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* age-keygen's text: two comment lines and the secret key line. */
#define KEYFILE_CAP (64 + 2 * FUIN_RECIPIENT_MAX + FUIN_IDENTITY_MAX)

static int generate(const char *out_path)
{
    char *identity = NULL, *text = NULL;
    char recipient[FUIN_RECIPIENT_MAX];
    char created[32];
    struct tm tm;
    time_t now = time(NULL);
    fuin_status s;
    int n, rc = FUIN_EXIT_OK;
    const char *name = out_path ? out_path : FUIN_CLI_STDOUT_NAME;

    if (out_path != NULL) {
        rc = fuin_cli_check_output(CMD, out_path, -1);
        if (rc != 0)
            return rc;
    }
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        fuin_cli_error(CMD, NULL, "cannot format the current time");
        return FUIN_EXIT_INTERNAL;
    }
    identity = sodium_malloc(FUIN_IDENTITY_MAX);
    text = sodium_malloc(KEYFILE_CAP);
    if (identity == NULL || text == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    s = fuin_keygen(identity, FUIN_IDENTITY_MAX, recipient, sizeof recipient);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    n = snprintf(text, KEYFILE_CAP, "# created: %s\n# public key: %s\n%s\n",
                 created, recipient, identity);
    if (n < 0 || (size_t)n >= KEYFILE_CAP) {
        fuin_cli_error(CMD, NULL, "key text does not fit");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if (out_path != NULL) {
        /* complete and synced, or not there at all */
        if ((rc = fuin_cli_write_secret(CMD, out_path, text, (size_t)n)) != 0)
            goto done;
    } else if (fuin_cli_write_all(STDOUT_FILENO, text, (size_t)n) != 0) {
        fuin_cli_error(CMD, name, "cannot write: %s", strerror(errno));
        rc = FUIN_EXIT_IO;
        goto done;
    }
    /* Like age-keygen: when the key does not go to a screen, show where it
     * can be encrypted to. */
    if (out_path != NULL || !isatty(STDOUT_FILENO))
        fprintf(stderr, "Public key: %s\n", recipient);
done:
    fuin_cli_free_secret(text, KEYFILE_CAP);
    fuin_cli_free_secret(identity, FUIN_IDENTITY_MAX);
    return rc;
}

static int to_public(const char *path)
{
    const char *name = path && strcmp(path, "-") != 0 ? path : FUIN_CLI_STDIN_NAME;
    char *text;
    size_t len, pos = 0;
    char *line;
    int lineno = 0, count = 0, rc;
    fuin_decryptor *d;
    fuin_status s;

    rc = fuin_cli_read_keyfile(CMD, path ? path : "-", name, &text, &len);
    if (rc != 0)
        return rc;
    /* The decryptor parses the whole file by age's rules and says which
     * line is wrong and why, so validate with it before printing anything. */
    d = fuin_decryptor_new();
    if (d == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        fuin_cli_free_secret(text, len + 1);
        return FUIN_EXIT_INTERNAL;
    }
    s = fuin_decryptor_add_identities(d, text, len);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, name, "%s",
                       fuin_cli_msg(fuin_decryptor_errmsg(d), s));
        fuin_decryptor_free(d);
        fuin_cli_free_secret(text, len + 1);
        return fuin_cli_exit_code(s, 0);
    }
    fuin_decryptor_free(d);

    while ((line = fuin_cli_next_line(text, len, &pos, &lineno)) != NULL) {
        char recipient[FUIN_RECIPIENT_MAX];
        s = fuin_identity_to_recipient(line, recipient, sizeof recipient);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, name, "line %d: invalid identity", lineno);
            rc = fuin_cli_exit_code(s, 0);
            break;
        }
        if (printf("%s\n", recipient) < 0) {
            fuin_cli_error(CMD, FUIN_CLI_STDOUT_NAME, "cannot write: %s",
                           strerror(errno));
            rc = FUIN_EXIT_IO;
            break;
        }
        count++;
    }
    fuin_cli_free_secret(text, len + 1);
    if (rc == 0 && count == 0) {
        fuin_cli_error(CMD, name, "no identities found");
        rc = FUIN_EXIT_FORMAT;
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

int fuin_cmd_keygen(int argc, char **argv)
{
    const char *out_path = NULL;
    int to_pub = 0, help = 0, c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:yh", keygen_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (fuin_cli_set_once(CMD, &out_path, optarg, "-o/--output") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'y':
            if (fuin_cli_set_flag(CMD, &to_pub, "-y") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (to_pub && out_path != NULL)
        return fuin_cli_usage(CMD, "-y and -o cannot be used together");
    if (to_pub) {
        if (argc - optind > 1)
            return fuin_cli_usage(CMD, "too many arguments");
        return to_public(optind < argc ? argv[optind] : NULL);
    }
    if (optind < argc)
        return fuin_cli_usage(CMD, "unexpected argument \"%s\"", argv[optind]);
    if (out_path != NULL && strcmp(out_path, "-") == 0)
        out_path = NULL;
    return generate(out_path);
}
