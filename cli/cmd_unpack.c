/* fuin unpack [-C DIR] [-i IDENTITY]... [--dir DIR] [--passphrase-file FILE]
 *             [--trust ROOT.pub] [--store DIR] [--revocations FILE]
 *             [--require-revocation-check] [--any] [--rename-unsafe] [--list]
 *             [--max-files N] [--max-file-size BYTES] [--max-size BYTES]
 *             [--max-ratio N] PACKAGE */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "unpack";

enum {
    OPT_DIR = 256, OPT_PASSFILE, OPT_ZIP_PASSFILE, OPT_TRUST, OPT_STORE, OPT_REVOCATIONS, OPT_REQUIRE_RL,
    OPT_ANY, OPT_RENAME, OPT_LIST, OPT_MAX_FILES, OPT_MAX_FILE, OPT_MAX_SIZE, OPT_MAX_RATIO
};

static const struct option unpack_options[] = {
    {"directory", required_argument, NULL, 'C'},
    {"identity", required_argument, NULL, 'i'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"zip-passphrase-file", required_argument, NULL, OPT_ZIP_PASSFILE},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"store", required_argument, NULL, OPT_STORE},
    {"revocations", required_argument, NULL, OPT_REVOCATIONS},
    {"require-revocation-check", no_argument, NULL, OPT_REQUIRE_RL},
    {"any", no_argument, NULL, OPT_ANY},
    {"rename-unsafe", no_argument, NULL, OPT_RENAME},
    {"list", no_argument, NULL, OPT_LIST},
    {"max-files", required_argument, NULL, OPT_MAX_FILES},
    {"max-file-size", required_argument, NULL, OPT_MAX_FILE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A signal stops the unpack at its next read, which removes what was
 * extracted; then the signal does what it would have done. */
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
    fuin_unpack_interrupt();
}

static void catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

/* A count or a size: digits, optionally K, M, G or T (powers of 1024). */
static int parse_amount(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    int shift = 0;
    if (s[0] < '0' || s[0] > '9')
        return fuin_cli_usage(CMD, "%s: \"%.40s\" is not a number", opt, s);
    v = strtoull(s, &end, 10);
    if (*end != '\0') {
        const char *u = "KMGT", *p = strchr(u, *end);
        if (p == NULL || *p == '\0' || end[1] != '\0')
            return fuin_cli_usage(CMD, "%s: \"%.40s\" is not a number (suffix K, M, G, T)",
                                  opt, s);
        shift = 10 * (int)(p - u + 1);
    }
    if (v == 0 || (shift && v > (UINT64_MAX >> shift)))
        return fuin_cli_usage(CMD, "%s: \"%.40s\" is out of range", opt, s);
    *out = (uint64_t)v << shift;
    return 0;
}

int fuin_cmd_unpack(int argc, char **argv)
{
    fuin_cli_package_opts o;
    fuin_cli_audit au = {0};
    fuin_cli_trust t;
    const char *trust = NULL, *store = NULL, *revocations = NULL, *dest = NULL;
    const char **ids;
    int c, help = 0, rc = 0;

    memset(&o, 0, sizeof o);
    fuin_unpack_limits_default(&o.limits);
    ids = calloc((size_t)argc + 1, sizeof *ids);
    if (ids == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    optind = 1;
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":C:i:h", unpack_options, NULL)) != -1) {
        switch (c) {
        case 'C': rc = fuin_cli_set_once(CMD, &dest, optarg, "-C/--directory"); break;
        case 'i': ids[o.n_identities++] = optarg; break;
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &o.dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &o.passfile, optarg, "--passphrase-file");
            break;
        case OPT_ZIP_PASSFILE:
            rc = fuin_cli_set_once(CMD, &o.zip_passfile, optarg, "--zip-passphrase-file");
            break;
        case OPT_TRUST: rc = fuin_cli_set_once(CMD, &trust, optarg, "--trust"); break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &store, optarg, "--store"); break;
        case OPT_REVOCATIONS:
            rc = fuin_cli_set_once(CMD, &revocations, optarg, "--revocations");
            break;
        case OPT_REQUIRE_RL:
            rc = fuin_cli_set_flag(CMD, &o.require_rl, "--require-revocation-check");
            break;
        case OPT_ANY: rc = fuin_cli_set_flag(CMD, &o.foreign, "--any"); break;
        case OPT_RENAME: rc = fuin_cli_set_flag(CMD, &o.rename_unsafe, "--rename-unsafe"); break;
        case OPT_LIST: rc = fuin_cli_set_flag(CMD, &o.list, "--list"); break;
        case OPT_MAX_FILES: rc = parse_amount("--max-files", optarg, &o.limits.max_entries); break;
        case OPT_MAX_FILE:
            rc = parse_amount("--max-file-size", optarg, &o.limits.max_file_bytes);
            break;
        case OPT_MAX_SIZE: rc = parse_amount("--max-size", optarg, &o.limits.max_total_bytes); break;
        case OPT_MAX_RATIO: rc = parse_amount("--max-ratio", optarg, &o.limits.max_ratio); break;
        case 'h': help = 1; break;
        default: rc = fuin_cli_bad_option(CMD, c, argv); break;
        }
        if (rc != 0 && rc != FUIN_EXIT_USAGE)
            rc = FUIN_EXIT_USAGE;
    }
    if (rc != 0 || help) {
        free(ids);
        return rc ? rc : fuin_cli_print_help(CMD);
    }
    if (argc - optind != 1) {
        free(ids);
        return fuin_cli_usage(CMD, argc - optind ? "one PACKAGE at a time" : "no PACKAGE");
    }
    if (o.rename_unsafe && !o.foreign) {
        free(ids);
        return fuin_cli_usage(CMD, "--rename-unsafe is for --any: a package's names are "
                                   "signed and never changed");
    }
    o.identities = ids;
    o.dest = dest ? dest : ".";
    rc = fuin_cli_trust_open(CMD, NULL, trust, store, revocations, 0, &t);
    /* Nothing is unpacked that cannot be recorded. */
    if (rc == 0)
        rc = fuin_cli_audit_begin(CMD, t.pol, NULL, o.dir, NULL, &au);
    catch_signals();
    if (rc == 0) {
        char detail[600];
        fuin_label cls = {0, 0, 0, 0};
        fuin_cli_audit_rec rec = {.op = "unpack", .path = argv[optind], .method = "package"};
        o.class_out = &cls;
        rc = fuin_cli_package(CMD, argv[optind], &t, &o, NULL);
        snprintf(detail, sizeof detail, "%s %s", o.foreign ? "archive into" : "into", o.dest);
        rec.detail = detail;
        rec.label = cls.confidentiality ? &cls : NULL;
        rec.ok = rc == 0;
        /* what was unpacked stays: it was verified; the failure is reported */
        if (fuin_cli_audit_end(&au, &rec, NULL) != 0 && rc == 0)
            rc = FUIN_EXIT_IO;
    }
    fuin_cli_audit_drop(&au);
    fuin_cli_trust_close(&t);
    free(ids);
    if (caught) {
        int sig = caught;
        signal(sig, SIG_DFL);
        raise(sig);
    }
    return rc;
}
