/* fuin policy show [--store DIR]
 * fuin policy check [--store DIR] [--class LABEL] [FILE] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static const char *const CMD = "policy";

enum { OPT_STORE = 256, OPT_CLASS };

static const struct option show_options[] = {
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option check_options[] = {
    {"store", required_argument, NULL, OPT_STORE},
    {"class", required_argument, NULL, OPT_CLASS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Print text produced by one of the snprintf-like formatters. */
static int print_formatted(size_t (*fmt)(const void *, const void *, char *, size_t),
                           const void *a, const void *b)
{
    size_t n = fmt(a, b, NULL, 0);
    char *buf = malloc(n + 1);
    if (buf == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    fmt(a, b, buf, n + 1);
    /* values come from policy.ini: shown escaped, line by line */
    fuin_cli_put_lines(buf);
    free(buf);
    return 0;
}

static size_t format_policy(const void *p, const void *unused, char *buf, size_t cap)
{
    (void)unused;
    return fuin_policy_format(p, buf, cap);
}

static size_t describe_policy(const void *p, const void *label, char *buf,
                              size_t cap)
{
    return fuin_policy_describe(p, label, buf, cap);
}

static int finish(int rc)
{
    if (fuin_cli_stdout_check(CMD) != 0)
        return FUIN_EXIT_IO;
    return rc;
}

/* Options shared by both subcommands. */
static int parse(int argc, char **argv, const struct option *table,
                 const char **store, const char **class_text, int *help)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", table, NULL)) != -1) {
        switch (c) {
        case OPT_STORE:
            if (fuin_cli_set_once(CMD, store, optarg, "--store") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_CLASS:
            if (fuin_cli_set_once(CMD, class_text, optarg, "--class") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            *help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
    }
    return 0;
}

/* Which policy applies, as an INI comment so that the output stays a
 * policy file fuin_policy_parse() accepts. */
static void print_source(const char *lead, const char *store_arg,
                         const fuin_store *store)
{
    const char *where = store_arg ? store_arg : FUIN_CLI_DEFAULT_STORE;
    if (store != NULL && fuin_store_policy_path(store) != NULL) {
        char hex[FUIN_KEYID_HEX];
        fuin_keyid_hex(fuin_store_root(store)->keyid, hex);
        printf("%seffective policy: %s (signature verified with the root key %s)\n",
               lead, fuin_cli_safe(fuin_store_policy_path(store)), hex);
    } else if (store != NULL) {
        printf("%seffective policy: built-in default (no policy.ini in %s)\n", lead,
               fuin_cli_safe(where));
    } else {
        printf("%seffective policy: built-in default (no trust store at %s)\n", lead,
               fuin_cli_safe(where));
    }
}

static int policy_show(int argc, char **argv)
{
    const char *store_arg = NULL, *unused = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    int help = 0, rc;

    rc = parse(argc, argv, show_options, &store_arg, &unused, &help);
    if (rc != 0)
        return rc;
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind < argc)
        return fuin_cli_usage(CMD, "show: unexpected argument \"%s\"", argv[optind]);
    if ((rc = fuin_cli_open_store(CMD, store_arg, &store)) == 0 &&
        (rc = fuin_cli_load_policy(CMD, store, &pol)) == 0) {
        print_source("; ", store_arg, store);
        rc = finish(print_formatted(format_policy, pol, NULL));
    }
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

typedef struct {
    int fd;
    int err;
} reader;

static long read_fd(void *ctx, uint8_t *buf, size_t cap)
{
    reader *r = ctx;
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR) {
            r->err = errno;
            return -1;
        }
    }
}

/* The label a file carries: in its age header, or else in the trusted
 * comment of FILE.minisig.  Neither is authenticated here (no key), which
 * the output says.  *found 0: the file carries none. */
static int label_of_file(const char *path, fuin_label *label, int *found,
                         char *source, size_t cap)
{
    fuin_info info;
    reader r;
    char *sig_path = NULL, *sig = NULL;
    size_t siglen;
    int missing, rc = 0;
    fuin_status s;

    *found = 0;
    r.fd = fuin_cli_open_input(CMD, path, &path, &rc);
    r.err = 0;
    if (r.fd < 0)
        return rc;
    s = fuin_inspect(read_fd, &r, &info, NULL, 0);
    close(r.fd);
    if (r.err != 0) {
        fuin_cli_error(CMD, path, "cannot read: %s", strerror(r.err));
        return FUIN_EXIT_IO;
    }
    if (s == FUIN_OK) {
        if (info.has_label) {
            *label = info.label;
            *found = 1;
            snprintf(source, cap, "the age header of %s, not authenticated "
                                  "without a key", path);
        } else {
            snprintf(source, cap, "%s is an age file without a label", path);
        }
        return 0;
    }
    snprintf(source, cap, "%s carries no label", path);
    if ((sig_path = fuin_cli_suffix(path, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    rc = fuin_cli_read_file(CMD, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                            &missing);
    if (rc == 0 && !missing) {
        fuin_verifier *v = fuin_verifier_new();
        fuin_sigmeta meta;
        memset(&meta, 0, sizeof meta);
        if (v != NULL && fuin_verifier_load(v, sig, siglen) == FUIN_OK &&
            fuin_sigmeta_parse(fuin_verifier_trusted_comment(v), &meta, NULL, 0) ==
                FUIN_OK &&
            meta.has_label) {
            *label = meta.label;
            *found = 1;
            snprintf(source, cap, "the signature %s, not verified", sig_path);
        }
        fuin_sigmeta_clear(&meta);
        fuin_verifier_free(v);
    }
    free(sig);
    free(sig_path);
    return rc;
}

static int policy_check(int argc, char **argv)
{
    const char *store_arg = NULL, *class_text = NULL, *file;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_label label;
    char source[1024], text[256];
    int help = 0, found = 0, rc;
    fuin_status s;

    rc = parse(argc, argv, check_options, &store_arg, &class_text, &help);
    if (rc != 0)
        return rc;
    if (help)
        return fuin_cli_print_help(CMD);
    if (argc - optind > 1)
        return fuin_cli_usage(CMD, "check: too many arguments (one FILE at most)");
    file = optind < argc ? argv[optind] : NULL;
    if (file != NULL && class_text != NULL)
        return fuin_cli_usage(CMD, "check: give --class or FILE, not both");
    if (file == NULL && class_text == NULL)
        return fuin_cli_usage(CMD, "check: give --class LABEL or FILE");
    if (class_text != NULL) {
        char err[256];
        err[0] = '\0';
        s = fuin_label_parse(class_text, &label, err, sizeof err);
        if (s != FUIN_OK) {
            if (err[0] != '\0')
                fuin_cli_error(CMD, NULL, "--class: %s", err);
            else
                fuin_cli_error(CMD, NULL, "--class \"%.200s\": %s", class_text,
                               fuin_strerror(s));
            return fuin_cli_exit_code(s, 1);
        }
        found = 1;
        snprintf(source, sizeof source, "--class");
    } else if ((rc = label_of_file(file, &label, &found, source, sizeof source)) != 0) {
        return rc;
    }
    if ((rc = fuin_cli_open_store(CMD, store_arg, &store)) == 0 &&
        (rc = fuin_cli_load_policy(CMD, store, &pol)) == 0) {
        if (found) {
            fuin_label_format(&label, text, sizeof text);
            printf("label: %s (from %s)\n", text, fuin_cli_safe(source));
        } else {
            printf("label: none, handled as C1-I1-A1 (%s)\n", fuin_cli_safe(source));
        }
        print_source("", store_arg, store);
        rc = finish(print_formatted(describe_policy, pol, found ? &label : NULL));
    }
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

int fuin_cmd_policy(int argc, char **argv)
{
    if (argc < 2)
        return fuin_cli_usage(CMD, "missing subcommand: show or check");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help(CMD);
    if (strcmp(argv[1], "show") == 0)
        return policy_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return policy_check(argc - 1, argv + 1);
    return fuin_cli_usage(CMD, "unknown subcommand \"%s\" (show or check)", argv[1]);
}
