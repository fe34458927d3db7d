/* fuin ledger verify [--json] [--dir DIR] [--key PUBKEY]... [LEDGER]
 * fuin ledger repair [--dry-run] [--dir DIR] [--key PUBKEY]... [LEDGER]
 * fuin ledger show [--json] [FILTER] [LEDGER]
 * fuin ledger export --html|--json|--csv [--record ID] [FILTER] [LEDGER]
 *   FILTER: [--kind OP] [--person NAME] [--class Cn] [--since DATE] [--until DATE]
 * fuin ledger checkpoint [--dir DIR] [--passphrase-file FILE] [LEDGER]
 * fuin ledger record-destruction --asset ID --how TEXT [--witness NAME]
 *             [--class LABEL] [--approval REQUEST] [--store DIR]
 *             [--ledger FILE] [--dir DIR] [--passphrase-file FILE] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

static const char *const CMD = "ledger";

#define MAX_KEYS 64

enum {
    OPT_JSON = 256, OPT_DIR, OPT_KEY, OPT_HTML, OPT_CSV, OPT_RECORD, OPT_ASSET,
    OPT_HOW, OPT_WITNESS, OPT_CLASS, OPT_LEDGER, OPT_PASSFILE, OPT_DRY_RUN,
    OPT_APPROVAL, OPT_STORE, OPT_KIND, OPT_PERSON, OPT_SINCE, OPT_UNTIL
};

static const struct option ledger_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"dir", required_argument, NULL, OPT_DIR},
    {"key", required_argument, NULL, OPT_KEY},
    {"html", no_argument, NULL, OPT_HTML},
    {"csv", no_argument, NULL, OPT_CSV},
    {"record", required_argument, NULL, OPT_RECORD},
    {"asset", required_argument, NULL, OPT_ASSET},
    {"how", required_argument, NULL, OPT_HOW},
    {"witness", required_argument, NULL, OPT_WITNESS},
    {"class", required_argument, NULL, OPT_CLASS},
    {"ledger", required_argument, NULL, OPT_LEDGER},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"approval", required_argument, NULL, OPT_APPROVAL},
    {"store", required_argument, NULL, OPT_STORE},
    {"kind", required_argument, NULL, OPT_KIND},
    {"person", required_argument, NULL, OPT_PERSON},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *sub;
    int json, html, csv, dry_run;
    const char *dir, *record, *asset, *how, *witness, *class_text, *ledger,
        *passfile, *approval, *store, *kind, *person, *since, *until;
    const char *keys[MAX_KEYS];
    int n_keys;
    const char *path; /* LEDGER operand */
} ledger_args;

static int parse_args(int argc, char **argv, ledger_args *a, int *help)
{
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", ledger_options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: rc = fuin_cli_set_flag(CMD, &a->json, "--json"); break;
        case OPT_HTML: rc = fuin_cli_set_flag(CMD, &a->html, "--html"); break;
        case OPT_CSV: rc = fuin_cli_set_flag(CMD, &a->csv, "--csv"); break;
        case OPT_DRY_RUN: rc = fuin_cli_set_flag(CMD, &a->dry_run, "--dry-run"); break;
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &a->dir, optarg, "--dir"); break;
        case OPT_RECORD: rc = fuin_cli_set_once(CMD, &a->record, optarg, "--record"); break;
        case OPT_ASSET: rc = fuin_cli_set_once(CMD, &a->asset, optarg, "--asset"); break;
        case OPT_HOW: rc = fuin_cli_set_once(CMD, &a->how, optarg, "--how"); break;
        case OPT_WITNESS: rc = fuin_cli_set_once(CMD, &a->witness, optarg, "--witness"); break;
        case OPT_CLASS: rc = fuin_cli_set_once(CMD, &a->class_text, optarg, "--class"); break;
        case OPT_LEDGER: rc = fuin_cli_set_once(CMD, &a->ledger, optarg, "--ledger"); break;
        case OPT_APPROVAL:
            rc = fuin_cli_set_once(CMD, &a->approval, optarg, "--approval");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store"); break;
        case OPT_KIND: rc = fuin_cli_set_once(CMD, &a->kind, optarg, "--kind"); break;
        case OPT_PERSON: rc = fuin_cli_set_once(CMD, &a->person, optarg, "--person"); break;
        case OPT_SINCE: rc = fuin_cli_set_once(CMD, &a->since, optarg, "--since"); break;
        case OPT_UNTIL: rc = fuin_cli_set_once(CMD, &a->until, optarg, "--until"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file");
            break;
        case OPT_KEY:
            if (a->n_keys >= MAX_KEYS)
                return fuin_cli_usage(CMD, "too many --key options (at most %d)", MAX_KEYS);
            a->keys[a->n_keys++] = optarg;
            break;
        case 'h': *help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
        /* Options may follow the subcommand: restart after it. */
    }
    return 0;
}

/* Parse: SUB first, then options and at most one operand. */
static int parse_all(int argc, char **argv, ledger_args *a, int *help)
{
    int rc;
    if (argc < 2)
        return fuin_cli_usage(CMD, "no subcommand (verify, show, export, repair, "
                                   "checkpoint, record-destruction)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        *help = 1;
        return 0;
    }
    a->sub = argv[1];
    rc = parse_args(argc - 1, argv + 1, a, help);
    if (rc != 0 || *help)
        return rc;
    if (optind + 1 < argc - 1)
        return fuin_cli_usage(CMD, "too many arguments");
    if (optind < argc - 1)
        a->path = argv[1 + optind];
    return 0;
}

static int only(const ledger_args *a, const char *allowed)
{
    struct { int on; const char *name; } f[] = {
        {a->json, "json"}, {a->html, "html"}, {a->csv, "csv"},
        {a->dir != NULL, "dir"}, {a->n_keys > 0, "key"}, {a->record != NULL, "record"},
        {a->asset != NULL, "asset"}, {a->how != NULL, "how"},
        {a->witness != NULL, "witness"}, {a->class_text != NULL, "class"},
        {a->ledger != NULL, "ledger"}, {a->passfile != NULL, "passphrase-file"},
        {a->dry_run, "dry-run"}, {a->approval != NULL, "approval"},
        {a->store != NULL, "store"}, {a->kind != NULL, "kind"},
        {a->person != NULL, "person"}, {a->since != NULL, "since"},
        {a->until != NULL, "until"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        char want[40];
        snprintf(want, sizeof want, " %s ", f[i].name);
        if (f[i].on && strstr(allowed, want) == NULL)
            return fuin_cli_usage(CMD, "--%s does not apply to \"ledger %s\"", f[i].name,
                                  a->sub);
    }
    return 0;
}

static int ledger_file(const ledger_args *a, char **out)
{
    return fuin_cli_ledger_path(CMD, a->path != NULL ? a->path : a->ledger, out);
}

static int load_pub(const char *path, fuin_pubkey *pk, int optional)
{
    char *text = NULL, err[256];
    size_t len = 0;
    int missing = 0, rc;
    fuin_status s;
    rc = fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                            optional ? &missing : NULL);
    if (rc != 0)
        return rc;
    if (missing)
        return -1;
    err[0] = '\0';
    s = fuin_pubkey_parse(text, len, pk, err, sizeof err);
    free(text);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
        return FUIN_EXIT_FORMAT;
    }
    return 0;
}

/* The keys records may be signed with: the operator's own DIR/sign.pub
 * when present, and every --key file. */
static int load_keys(const ledger_args *a, fuin_pubkey keys[MAX_KEYS + 1], size_t *n)
{
    char *base = NULL, *own = NULL;
    int rc;

    *n = 0;
    if (a->dir != NULL)
        base = strdup(a->dir);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &base)) != 0)
        return rc;
    if (base == NULL || (own = fuin_cli_path(base, "sign.pub")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    rc = load_pub(own, &keys[*n], 1);
    if (rc == 0)
        (*n)++;
    else if (rc != -1)
        goto done;
    rc = 0;
    for (int i = 0; i < a->n_keys; i++) {
        if ((rc = load_pub(a->keys[i], &keys[*n], 0)) != 0)
            goto done;
        (*n)++;
    }
done:
    free(base);
    free(own);
    return rc;
}

static int cmd_verify(const ledger_args *a)
{
    fuin_pubkey keys[MAX_KEYS + 1];
    size_t n = 0;
    char *path = NULL;
    fuin_ledger_report rep;
    fuin_status s;
    int rc;

    if ((rc = only(a, " json dir key ")) != 0)
        return rc;
    if ((rc = ledger_file(a, &path)) != 0)
        return rc;
    if ((rc = load_keys(a, keys, &n)) != 0)
        goto done;
    memset(&rep, 0, sizeof rep);
    s = fuin_ledger_verify(path, keys, n, &rep);
    if (a->json) {
        json_t *o = json_object();
        char *txt;
        json_object_set_new(o, "ledger", json_string(path));
        json_object_set_new(o, "ok", json_boolean(s == FUIN_OK));
        json_object_set_new(o, "records", json_integer((json_int_t)rep.records));
        json_object_set_new(o, "bad_line",
                            rep.bad_line ? json_integer((json_int_t)rep.bad_line) : json_null());
        json_object_set_new(o, "torn", json_boolean(rep.torn));
        json_object_set_new(o, "torn_offset",
                            rep.torn ? json_integer((json_int_t)rep.torn_offset) : json_null());
        json_object_set_new(o, "last_hash", json_string(rep.last_hash));
        json_object_set_new(o, "signed", json_integer((json_int_t)rep.signed_records));
        json_object_set_new(o, "unsigned_tail", json_integer((json_int_t)rep.unsigned_tail));
        json_object_set_new(o, "reason", s == FUIN_OK ? json_null() : json_string(rep.reason));
        txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (txt != NULL)
            printf("%s\n", txt);
        free(txt);
    } else if (s == FUIN_OK) {
        printf("%s: OK: %" PRIu64 " records\n", fuin_cli_safe(path), rep.records);
        if (rep.unsigned_tail > 0)
            printf("note: the last %" PRIu64 " record%s chained but not yet signed: "
                   "fuin ledger checkpoint signs %s\n",
                   rep.unsigned_tail, rep.unsigned_tail == 1 ? " is" : "s are",
                   rep.unsigned_tail == 1 ? "it" : "them");
    } else {
        printf("%s: FAILED after %" PRIu64 " good records: %s\n", fuin_cli_safe(path),
               rep.records, fuin_cli_safe(rep.reason[0] ? rep.reason : fuin_strerror(s)));
    }
    if (fuin_cli_stdout_check(CMD) != 0) {
        rc = FUIN_EXIT_IO;
        goto done;
    }
    if (s != FUIN_OK) {
        if (!a->json)
            fuin_cli_error(CMD, path, "%s", fuin_cli_msg(rep.reason, s));
        rc = s == FUIN_E_IO ? FUIN_EXIT_IO
             : s == FUIN_E_NOMEM ? FUIN_EXIT_INTERNAL
                                 : FUIN_EXIT_REFUSED;
    }
done:
    free(path);
    return rc;
}

/* At most `max` bytes of the torn tail, for a person to look at: printable
 * ASCII as is, everything else as \xHH, so that no byte of a broken
 * record can drive the terminal. */
static void print_torn_bytes(const char *path, uint64_t offset, uint64_t len)
{
    unsigned char buf[160];
    size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
    ssize_t got = -1;
    FILE *f = fopen(path, "rbe");

    if (f != NULL) {
        if (fseeko(f, (off_t)offset, SEEK_SET) == 0)
            got = (ssize_t)fread(buf, 1, want, f);
        fclose(f);
    }
    if (got < 0)
        return;
    printf("%s: torn bytes: ", path);
    for (ssize_t i = 0; i < got; i++) {
        if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '\\')
            putchar(buf[i]);
        else
            printf("\\x%02X", buf[i]);
    }
    printf("%s\n", (uint64_t)got < len ? "..." : "");
}

/* Only a torn last line is repaired, and only after everything before it
 * verifies; the cut bytes are kept in LEDGER.torn-OFFSET. */
static int cmd_repair(const ledger_args *a)
{
    fuin_pubkey keys[MAX_KEYS + 1];
    size_t n = 0;
    char *path = NULL, *saved = NULL, err[FUIN_LEDGER_REASON_MAX + 256];
    size_t savedcap;
    fuin_ledger_report rep;
    uint64_t dropped = 0;
    fuin_status s;
    int rc;

    if ((rc = only(a, " dry-run dir key ")) != 0)
        return rc;
    if ((rc = ledger_file(a, &path)) != 0)
        return rc;
    if ((rc = load_keys(a, keys, &n)) != 0)
        goto done;
    savedcap = strlen(path) + 32;
    if ((saved = malloc(savedcap)) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    err[0] = '\0';
    memset(&rep, 0, sizeof rep);
    s = fuin_ledger_repair_keep(path, keys, n, a->dry_run ? FUIN_LEDGER_REPAIR_DRY_RUN : 0,
                                &rep, &dropped, saved, savedcap, err, sizeof err);
    if (s != FUIN_OK) {
        rc = s == FUIN_E_EXISTS ? FUIN_EXIT_EXISTS
             : s == FUIN_E_IO ? FUIN_EXIT_IO
             : s == FUIN_E_NOMEM || s == FUIN_E_INVALID ? FUIN_EXIT_INTERNAL
                                                        : FUIN_EXIT_REFUSED;
        /* err names the ledger or the .torn file itself. */
        if (rc == FUIN_EXIT_REFUSED)
            fuin_cli_error(CMD, NULL, "%s (not repaired: repair only cuts a torn last "
                           "line after records that verify)", fuin_cli_msg(err, s));
        else
            fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(err, s));
        goto done;
    }
    if (!rep.torn) {
        printf("%s: OK: %" PRIu64 " records, nothing to repair\n", path, rep.records);
    } else if (a->dry_run) {
        printf("%s: would cut the torn last line at byte %" PRIu64 " (%" PRIu64
               " bytes) and keep it in %s\n",
               path, rep.torn_offset, dropped, saved);
        print_torn_bytes(path, rep.torn_offset, dropped);
        printf("%s: the %" PRIu64 " records before it verify\n", path, rep.records);
    } else {
        printf("%s: cut the torn last line at byte %" PRIu64 " (%" PRIu64
               " bytes), kept in %s\n",
               path, rep.torn_offset, dropped, saved);
        printf("%s: OK: %" PRIu64 " records\n", path, rep.records);
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    free(saved);
    free(path);
    return rc;
}

/* ctx: an int that receives the errno of a failed write. */
static int write_stdout(void *ctx, const uint8_t *buf, size_t len)
{
    if (fuin_cli_write_all(STDOUT_FILENO, buf, len) == 0)
        return 0;
    *(int *)ctx = errno;
    return -1;
}

/* The table of "show": the library's TSV, each field escaped for the
 * terminal (names, paths and details came from other people's files). */
typedef struct {
    char *buf;
    size_t len, cap;
    int werr;
} show_buf;

static int show_line(show_buf *b)
{
    char *line = b->buf, *tab;
    int first = 1;

    b->buf[b->len - 1] = '\0'; /* the LF */
    for (;;) {
        tab = strchr(line, '\t');
        if (tab != NULL)
            *tab = '\0';
        if (!first)
            putchar('\t');
        fputs(fuin_cli_safe(line), stdout);
        first = 0;
        if (tab == NULL)
            break;
        line = tab + 1;
    }
    putchar('\n');
    b->len = 0;
    return ferror(stdout) ? -1 : 0;
}

static int write_show(void *ctx, const uint8_t *p, size_t n)
{
    show_buf *b = ctx;
    for (size_t i = 0; i < n; i++) {
        if (b->len + 2 > b->cap) {
            size_t c = b->cap ? b->cap * 2 : 4096;
            char *nb = realloc(b->buf, c);
            if (nb == NULL) {
                b->werr = ENOMEM;
                return -1;
            }
            b->buf = nb;
            b->cap = c;
        }
        b->buf[b->len++] = (char)p[i];
        if (p[i] == '\n' && show_line(b) != 0) {
            b->werr = errno ? errno : EIO;
            return -1;
        }
    }
    return 0;
}

/* --kind, --person, --class, --since, --until.  0 or exit code. */
static int make_filter(const ledger_args *a, fuin_ledger_filter *f)
{
    static const char *const kinds[] = {FUIN_LEDGER_OPS, "disposal", NULL};
    memset(f, 0, sizeof *f);
    if (a->kind != NULL) {
        size_t i = 0;
        while (kinds[i] != NULL && strcmp(kinds[i], a->kind) != 0)
            i++;
        if (kinds[i] == NULL)
            return fuin_cli_usage(CMD, "--kind %s: not a kind of record (encrypt, decrypt, "
                                       "sign, verify, label, pack, unpack, request, approve, "
                                       "certify, revoke, policy-install, key-new, key-passwd, "
                                       "checkpoint, disposal)",
                                  fuin_cli_safe(a->kind));
        f->kind = a->kind;
    }
    f->person = a->person;
    if (a->class_text != NULL) {
        fuin_label l;
        const char *c = a->class_text;
        if ((c[0] == 'C' || c[0] == 'c') && c[1] >= '1' && c[1] <= '3' && c[2] == '\0')
            f->min_confidentiality = c[1] - '0';
        else if (fuin_label_parse(c, &l, NULL, 0) == FUIN_OK)
            f->min_confidentiality = l.confidentiality;
        else
            return fuin_cli_usage(CMD, "--class %s: give C1, C2, C3 or a label",
                                  fuin_cli_safe(c));
    }
    if (a->since != NULL && fuin_time_parse_date(a->since, 0, &f->since) != FUIN_OK)
        return fuin_cli_usage(CMD, "--since %s: not a date (YYYY-MM-DD or RFC 3339)",
                              fuin_cli_safe(a->since));
    if (a->until != NULL) {
        if (fuin_time_parse_date(a->until, 1, &f->until) != FUIN_OK)
            return fuin_cli_usage(CMD, "--until %s: not a date (YYYY-MM-DD or RFC 3339)",
                                  fuin_cli_safe(a->until));
        f->until++; /* the bound is exclusive; the date's last second is in */
    }
    return 0;
}

static int cmd_show(const ledger_args *a)
{
    fuin_ledger_filter filt;
    show_buf b = {0};
    char *path = NULL, err[512];
    fuin_status s;
    int rc, werr = 0;

    if ((rc = only(a, " json kind person class since until ")) != 0 ||
        (rc = make_filter(a, &filt)) != 0)
        return rc;
    if ((rc = ledger_file(a, &path)) != 0)
        return rc;
    err[0] = '\0';
    if (a->json)
        s = fuin_ledger_export_filtered(path, FUIN_LEDGER_JSON, NULL, &filt, write_stdout,
                                        &werr, err, sizeof err);
    else
        s = fuin_ledger_export_filtered(path, FUIN_LEDGER_TSV, NULL, &filt, write_show, &b,
                                        err, sizeof err);
    if (b.werr)
        werr = b.werr;
    free(b.buf);
    if (s == FUIN_E_IO && werr != 0) {
        fuin_cli_error(CMD, FUIN_CLI_STDOUT_NAME, "cannot write: %s", strerror(werr));
        rc = FUIN_EXIT_IO;
    } else if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_SYNTAX ? FUIN_EXIT_FORMAT : fuin_cli_exit_code(s, 0);
    } else if (fuin_cli_stdout_check(CMD) != 0)
        rc = FUIN_EXIT_IO;
    free(path);
    return rc;
}

static int cmd_export(const ledger_args *a)
{
    fuin_ledger_format f;
    fuin_ledger_filter filt;
    char *path = NULL, err[512];
    fuin_status s;
    int rc, werr = 0;

    if ((rc = only(a, " json html csv record kind person class since until ")) != 0 ||
        (rc = make_filter(a, &filt)) != 0)
        return rc;
    if (a->json + a->html + a->csv != 1)
        return fuin_cli_usage(CMD, "export needs exactly one of --html, --json, --csv");
    f = a->html ? FUIN_LEDGER_HTML : a->json ? FUIN_LEDGER_JSON : FUIN_LEDGER_CSV;
    if ((rc = ledger_file(a, &path)) != 0)
        return rc;
    err[0] = '\0';
    if (fuin_cli_stdout_check(CMD) != 0) {
        free(path);
        return FUIN_EXIT_IO;
    }
    s = fuin_ledger_export_filtered(path, f, a->record, &filt, write_stdout, &werr, err,
                                    sizeof err);
    if (s == FUIN_E_IO && werr != 0) {
        fuin_cli_error(CMD, FUIN_CLI_STDOUT_NAME, "cannot write: %s", strerror(werr));
        rc = FUIN_EXIT_IO;
    } else if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_NO_MATCH ? FUIN_EXIT_REFUSED
             : s == FUIN_E_SYNTAX ? FUIN_EXIT_FORMAT
                                  : fuin_cli_exit_code(s, 0);
    }
    free(path);
    return rc;
}

/* Append r; with [audit] record = on (policy `pol`, or the installed one
 * when NULL), through fuin_audit, so that it also reaches the system log. */
static fuin_status syslog_too(const char *path, const fuin_policy *pol, const char *store_dir,
                              const char *name, fuin_record *r, const fuin_seckey *sk, char *err,
                              size_t cap)
{
    fuin_store *store = NULL;
    fuin_policy *own = NULL;
    fuin_audit *au = NULL;
    fuin_status s;

    if (pol == NULL && fuin_cli_open_store(CMD, store_dir, &store) == 0 &&
        fuin_cli_load_policy(CMD, store, &own) == 0)
        pol = own;
    s = fuin_audit_open(pol, path, name, NULL, &au, err, cap);
    if (s == FUIN_OK)
        s = au != NULL ? fuin_audit_append(au, r, sk, err, cap)
                       : fuin_ledger_append(path, r, sk, err, cap);
    fuin_audit_free(au);
    fuin_policy_free(own);
    fuin_store_free(store);
    return s;
}

/* A signed record that vouches for every record before it. */
static int cmd_checkpoint(const ledger_args *a)
{
    fuin_record r;
    fuin_seckey *sk = NULL;
    fuin_ledger_report rep;
    fuin_pubkey pk, keys[MAX_KEYS + 2];
    char name[FUIN_TEXT_MAX], *path = NULL, err[1024], detail[160];
    fuin_status s;
    size_t nk = 0;
    int rc;

    if ((rc = only(a, " dir passphrase-file key store ")) != 0)
        return rc;
    if ((rc = ledger_file(a, &path)) != 0)
        return rc;
    if ((rc = fuin_cli_load_operator(CMD, a->dir, a->passfile, &sk, name)) != 0)
        goto done;
    /* Vouch only for what verifies (with this key, DIR/sign.pub and any
     * --key, as verify): a checkpoint over a broken chain would sign the
     * breakage. */
    if ((rc = load_keys(a, keys, &nk)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    keys[nk++] = pk;
    memset(&rep, 0, sizeof rep);
    s = fuin_ledger_verify(path, keys, nk, &rep);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "not signed: %s", fuin_cli_msg(rep.reason, s));
        rc = s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_REFUSED;
        goto done;
    }
    memset(&r, 0, sizeof r);
    r.start = r.end = (int64_t)time(NULL);
    r.operator_name = name;
    r.op = "checkpoint";
    {
        static char user[FUIN_TEXT_MAX];
        struct passwd *pw = getpwuid(geteuid());
        snprintf(user, sizeof user, "%s", pw != NULL && pw->pw_name[0] ? pw->pw_name : "-");
        r.user = user;
    }
    snprintf(detail, sizeof detail, "vouches for the %" PRIu64 " records before it", rep.records);
    r.detail = detail;
    r.target_kind = "file";
    r.target_path = path;
    r.target_size = -1;
    r.method = "minisign-ed25519";
    r.category = "none";
    r.result = "success";
    err[0] = '\0';
    s = syslog_too(path, NULL, a->store, name, &r, sk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "LEDGER APPEND FAILED: %s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
        goto done;
    }
    printf("%s: checkpoint: record %s (seq %" PRIu64 ") signs the %" PRIu64
           " records before it\n", fuin_cli_safe(path), r.record_id, r.seq, rep.records);
    if (fuin_cli_stdout_check(CMD) != 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_seckey_free(sk);
    free(path);
    return rc;
}

static int cmd_destroy(const ledger_args *a)
{
    fuin_record r;
    fuin_label label;
    fuin_seckey *sk = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    char name[FUIN_TEXT_MAX], *path = NULL, err[1024];
    char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4] = "";
    char request[65] = "";
    fuin_pubkey op;
    fuin_status s;
    int rc, claimed = 0;

    if ((rc = only(a, " asset how witness class ledger dir passphrase-file approval store ")) != 0)
        return rc;
    if (a->path != NULL)
        return fuin_cli_usage(CMD, "record-destruction takes no operand (use --ledger)");
    if (a->asset == NULL || a->how == NULL)
        return fuin_cli_usage(CMD, "record-destruction needs --asset ID and --how TEXT");
    memset(&r, 0, sizeof r);
    /* Destruction is disposal of media: the policy's rules for the class
     * (approval, witness) apply before anything is asked or recorded. */
    {
        int has_label = 0;
        if ((rc = fuin_cli_disposal_begin(CMD, a->class_text, a->approval, a->store,
                                          &label, &has_label, &store, &pol)) != 0)
            goto done;
        r.label = has_label ? &label : NULL;
    }
    err[0] = '\0';
    s = fuin_policy_check_wipe(pol, r.label, 1, 2, (int)FUIN_WIPE_DESTROY,
                               a->approval != NULL, a->witness != NULL, err,
                               sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, a->asset, "policy: %s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 1);
        goto done;
    }
    if ((rc = fuin_cli_ledger_path(CMD, a->ledger, &path)) != 0)
        goto done;
    /* The approval first, from sign.pub: nothing is asked for a refusal. */
    if (a->approval != NULL &&
        ((rc = fuin_cli_load_operator_pub(CMD, a->dir, &op)) != 0 ||
         (rc = fuin_cli_disposal_approval("ledger", store, a->approval, a->asset, r.label,
                                          &op, path, approver, request)) != 0))
        goto done;
    if ((rc = fuin_cli_load_operator(CMD, a->dir, a->passfile, &sk, name)) != 0)
        goto done;
    if (a->approval != NULL) {
        char what[FUIN_TEXT_MAX * 2 + 512], now[FUIN_TIME_MAX], hex[FUIN_KEYID_HEX];
        if ((rc = fuin_cli_same_operator(CMD, sk, &op)) != 0)
            goto done;
        fuin_keyid_hex(op.keyid, hex);
        fuin_time_format_rfc3339((int64_t)time(NULL), now, sizeof now);
        snprintf(what, sizeof what, "destruction of %s recorded by %s (%s) %s, ledger %s",
                 a->asset, name, hex, now, path);
        if ((rc = fuin_cli_approval_claim(CMD, store, a->approval, request, what)) != 0)
            goto done;
        claimed = 1;
    }
    r.approver = approver[0] ? approver : NULL;
    r.request = request[0] ? request : NULL;
    r.start = r.end = (int64_t)time(NULL);
    r.operator_name = name;
    r.witness = a->witness;
    r.asset_id = a->asset;
    r.target_kind = "physical";
    r.target_size = -1;
    r.method = a->how;
    r.category = "Destroy";
    r.passes = 0;
    r.verify_mode = NULL;
    r.result = "success";
    err[0] = '\0';
    s = syslog_too(path, pol, NULL, name, &r, sk, err, sizeof err);
    if (s != FUIN_OK) {
        /* Not recorded: the approval was not used. */
        if (claimed)
            (void)fuin_store_approval_release(store, request);
        fuin_cli_error(CMD, path, "LEDGER APPEND FAILED: %s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_IO ? FUIN_EXIT_IO
             : s == FUIN_E_INVALID ? FUIN_EXIT_USAGE
                                   : FUIN_EXIT_FORMAT;
        goto done;
    }
    printf("%s: recorded destruction of %s: record %s (seq %" PRIu64 ")\n", path,
           a->asset, r.record_id, r.seq);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    free(path);
    return rc;
}

int fuin_cmd_ledger(int argc, char **argv)
{
    ledger_args a;
    int help = 0, rc;
    memset(&a, 0, sizeof a);
    rc = parse_all(argc, argv, &a, &help);
    if (rc != 0)
        return rc;
    if (help)
        return fuin_cli_print_help(CMD);
    if (strcmp(a.sub, "verify") == 0)
        return cmd_verify(&a);
    if (strcmp(a.sub, "show") == 0)
        return cmd_show(&a);
    if (strcmp(a.sub, "export") == 0)
        return cmd_export(&a);
    if (strcmp(a.sub, "repair") == 0)
        return cmd_repair(&a);
    if (strcmp(a.sub, "record-destruction") == 0)
        return cmd_destroy(&a);
    if (strcmp(a.sub, "checkpoint") == 0)
        return cmd_checkpoint(&a);
    return fuin_cli_usage(CMD, "unknown subcommand \"%.100s\"", a.sub);
}
