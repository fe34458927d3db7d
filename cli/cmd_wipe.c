/* fuin wipe [--method zero|random] [--passes N] [--verify full|sample=PCT|none]
 *           [--asset ID] [--class LABEL] [--witness NAME] [--ledger FILE]
 *           [--approval REQUEST] [--store DIR]
 *           [--dir DIR] [--passphrase-file FILE] [--dry-run] [--yes]
 *           [--force] TARGET... */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *const CMD = "wipe";

enum {
    OPT_METHOD = 256, OPT_PASSES, OPT_VERIFY, OPT_ASSET, OPT_CLASS,
    OPT_WITNESS, OPT_LEDGER, OPT_DIR, OPT_PASSFILE, OPT_DRYRUN, OPT_YES,
    OPT_FORCE, OPT_APPROVAL, OPT_STORE
};

static const struct option wipe_options[] = {
    {"method", required_argument, NULL, OPT_METHOD},
    {"passes", required_argument, NULL, OPT_PASSES},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"asset", required_argument, NULL, OPT_ASSET},
    {"class", required_argument, NULL, OPT_CLASS},
    {"witness", required_argument, NULL, OPT_WITNESS},
    {"ledger", required_argument, NULL, OPT_LEDGER},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"dry-run", no_argument, NULL, OPT_DRYRUN},
    {"yes", no_argument, NULL, OPT_YES},
    {"force", no_argument, NULL, OPT_FORCE},
    {"approval", required_argument, NULL, OPT_APPROVAL},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *method, *passes, *verify, *asset, *class_text, *witness;
    const char *ledger, *dir, *passfile, *approval, *store;
    int dry_run, yes, force;
    char **targets;
    int n_targets;
} wipe_args;

static int set_flag(int *slot, const char *opt)
{
    if (*slot)
        return fuin_cli_usage(CMD, "%s given more than once", opt);
    *slot = 1;
    return 0;
}

static int parse_args(int argc, char **argv, wipe_args *a, int *help)
{
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", wipe_options, NULL)) != -1) {
        switch (c) {
        case OPT_METHOD: rc = fuin_cli_set_once(CMD, &a->method, optarg, "--method"); break;
        case OPT_PASSES: rc = fuin_cli_set_once(CMD, &a->passes, optarg, "--passes"); break;
        case OPT_VERIFY: rc = fuin_cli_set_once(CMD, &a->verify, optarg, "--verify"); break;
        case OPT_ASSET: rc = fuin_cli_set_once(CMD, &a->asset, optarg, "--asset"); break;
        case OPT_CLASS: rc = fuin_cli_set_once(CMD, &a->class_text, optarg, "--class"); break;
        case OPT_WITNESS: rc = fuin_cli_set_once(CMD, &a->witness, optarg, "--witness"); break;
        case OPT_LEDGER: rc = fuin_cli_set_once(CMD, &a->ledger, optarg, "--ledger"); break;
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &a->dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file");
            break;
        case OPT_DRYRUN: rc = set_flag(&a->dry_run, "--dry-run"); break;
        case OPT_YES: rc = set_flag(&a->yes, "--yes"); break;
        case OPT_FORCE: rc = set_flag(&a->force, "--force"); break;
        case OPT_APPROVAL:
            rc = fuin_cli_set_once(CMD, &a->approval, optarg, "--approval");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store"); break;
        case 'h': *help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (*help)
        return 0;
    a->targets = argv + optind;
    a->n_targets = argc - optind;
    if (a->n_targets == 0)
        return fuin_cli_usage(CMD, "no TARGET given");
    return 0;
}

/* Options for the library from the command line. */
static int build_options(const wipe_args *a, fuin_wipe_options *o)
{
    fuin_wipe_options_init(o);
    if (a->method != NULL) {
        if (strcmp(a->method, "zero") == 0)
            o->pattern = FUIN_WIPE_ZERO;
        else if (strcmp(a->method, "random") == 0)
            o->pattern = FUIN_WIPE_RANDOM;
        else
            return fuin_cli_usage(CMD, "--method must be zero or random, not \"%.100s\"",
                                  a->method);
    }
    if (a->passes != NULL) {
        char *end;
        unsigned long n;
        errno = 0;
        n = strtoul(a->passes, &end, 10);
        if (a->passes[0] < '0' || a->passes[0] > '9' || *end != '\0' || errno != 0 ||
            n < 1 || n > 64)
            return fuin_cli_usage(CMD, "--passes must be 1 to 64");
        o->passes = (unsigned)n;
    }
    if (a->verify != NULL) {
        if (strcmp(a->verify, "full") == 0)
            o->verify = FUIN_WIPE_VERIFY_FULL;
        else if (strcmp(a->verify, "none") == 0)
            o->verify = FUIN_WIPE_VERIFY_NONE;
        else if (strncmp(a->verify, "sample=", 7) == 0) {
            const char *v = a->verify + 7;
            char *end;
            unsigned long n;
            errno = 0;
            n = strtoul(v, &end, 10);
            if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < 1 ||
                n > 100)
                return fuin_cli_usage(CMD, "--verify sample=PCT needs PCT 1 to 100");
            o->verify = FUIN_WIPE_VERIFY_SAMPLE;
            o->sample_pct = (unsigned)n;
        } else
            return fuin_cli_usage(CMD, "--verify must be full, sample=PCT or none");
    }
    if (a->force)
        o->flags |= FUIN_WIPE_F_FORCE_LINKS;
    return 0;
}

static const char *kind_name(fuin_wipe_kind k)
{
    switch (k) {
    case FUIN_WIPE_KIND_FILE: return "file";
    case FUIN_WIPE_KIND_DIR: return "directory";
    case FUIN_WIPE_KIND_DEVICE: return "device";
    }
    return "unknown";
}

static void verify_text(const fuin_wipe_options *o, char *buf, size_t cap)
{
    if (o->verify == FUIN_WIPE_VERIFY_SAMPLE)
        snprintf(buf, cap, "sample=%u", o->sample_pct);
    else
        snprintf(buf, cap, "%s", fuin_wipe_verify_name(o->verify));
}

static void method_text(const fuin_wipe_options *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%upass", o->pattern == FUIN_WIPE_ZERO ? "zero" : "chacha20",
             o->passes);
}

static const char *yesno(int v)
{
    return v > 0 ? "yes" : v == 0 ? "no" : "unknown";
}

/* What will happen, on stdout. */
static void describe(const fuin_wipe_target *t, const fuin_wipe_options *o)
{
    char vt[32], mt[64];
    verify_text(o, vt, sizeof vt);
    method_text(o, mt, sizeof mt);
    printf("%s: %s\n", t->path, kind_name(t->kind));
    if (t->kind == FUIN_WIPE_KIND_DEVICE) {
        printf("  model:        %s\n", t->model[0] ? t->model : "(not exposed)");
        printf("  serial:       %s\n", t->serial[0] ? t->serial : "(not exposed)");
        printf("  transport:    %s\n", t->transport[0] ? t->transport : "unknown");
        printf("  kernel name:  %s (disk %s)%s\n", t->name, t->disk,
               t->is_partition ? ", partition" : "");
        printf("  size:         %" PRIu64 " bytes\n", t->size_bytes);
        printf("  sectors:      logical %" PRIu32 ", physical %" PRIu32 " bytes\n",
               t->logical_block_size, t->physical_block_size);
        printf("  rotational:   %s\n", yesno(t->rotational));
        printf("  removable:    %s\n", yesno(t->removable));
        printf("  discard:      %s; secure discard: %s\n", yesno(t->discard),
               yesno(t->secure_discard));
        printf("  mounted:      %s%s%s\n", t->mounted ? "yes" : "no",
               t->mounted ? " on " : "", t->mounted ? t->mount_point : "");
        printf("  swap:         %s\n", t->swap ? "yes" : "no");
        printf("  holders:      %s\n", t->holders ? t->holder_names : "none");
        printf("  holds /:      %s\n", t->holds_root ? "yes" : "no");
    } else {
        printf("  size:         %" PRIu64 " bytes\n", t->size_bytes);
        if (t->kind == FUIN_WIPE_KIND_FILE)
            printf("  hard links:   %lu\n", t->nlink);
    }
    printf("  method:       %s (%s pattern, %u pass%s), verify %s\n", mt,
           fuin_wipe_pattern_name(o->pattern), o->passes, o->passes == 1 ? "" : "es", vt);
    /* An overwrite never reaches remapped or over-provisioned blocks. */
    printf("  category:     Clear (an overwrite is never Purge)\n");
    if (t->kind != FUIN_WIPE_KIND_DEVICE)
        printf("  caveat:       %s\n", FUIN_WIPE_FILE_CAVEAT);
    if (t->refused)
        printf("  REFUSED:      %s\n", t->refuse_reason);
    fflush(stdout);
}

/* Confirmation on the terminal, naming the target. 0 confirmed, else exit. */
static int confirm(const char *path)
{
    FILE *tty = fopen("/dev/tty", "r+");
    char line[4200];
    const char *base = strrchr(path, '/');
    size_t n;
    base = base ? base + 1 : path;
    if (tty == NULL) {
        fuin_cli_error(CMD, path, "no terminal to confirm on; use --yes");
        return FUIN_EXIT_USAGE;
    }
    fprintf(tty, "fuin: wipe %s: everything on it will be destroyed.\n"
                 "Type the target's name (%s) to confirm: ", path, base);
    fflush(tty);
    if (fgets(line, sizeof line, tty) == NULL) {
        fclose(tty);
        fuin_cli_error(CMD, path, "not confirmed");
        return FUIN_EXIT_REFUSED;
    }
    fclose(tty);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (strcmp(line, base) != 0 && strcmp(line, path) != 0) {
        fuin_cli_error(CMD, path, "not confirmed");
        return FUIN_EXIT_REFUSED;
    }
    return 0;
}

/* SIGINT / SIGTERM during a wipe: stop at the next buffer so that the
 * attempt is recorded as interrupted rather than lost. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    const char *path;
    int show;
} progress_ctx;

static int progress_cb(void *ctx, fuin_wipe_phase phase, unsigned pass,
                       uint64_t done, uint64_t total)
{
    const progress_ctx *pc = ctx;
    const char *path = pc->path;
    unsigned pct;
    if (interrupted)
        return 1;
    if (!pc->show)
        return 0;
    pct = total ? (unsigned)(done * 100 / total) : 100;
    fprintf(stderr, "\rfuin: wipe: %s: %s pass %u: %3u%%", path,
            phase == FUIN_WIPE_PHASE_WRITE ? "write" : "verify", pass, pct);
    if (done == total)
        fputc('\n', stderr);
    return 0;
}

typedef struct {
    const wipe_args *a;
    const fuin_label *label;
    fuin_seckey *sk;
    char operator_name[FUIN_TEXT_MAX];
    char *ledger;
    char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4];
} wipe_ctx;

/* Append one record for an attempted wipe.  0 or exit code. */
static int record(const wipe_ctx *w, const fuin_wipe_target *t,
                  const fuin_wipe_options *o, const fuin_wipe_result *res)
{
    fuin_record r;
    char vt[32], mt[64], err[512];
    const char *errs[1];
    fuin_status s;

    memset(&r, 0, sizeof r);
    verify_text(o, vt, sizeof vt);
    method_text(o, mt, sizeof mt);
    r.start = res->start_time > 0 ? res->start_time : (int64_t)time(NULL);
    r.end = res->end_time >= r.start ? res->end_time : (int64_t)time(NULL);
    r.operator_name = w->operator_name;
    r.witness = w->a->witness;
    r.approver = w->approver[0] ? w->approver : NULL;
    r.asset_id = w->a->asset;
    r.label = w->label;
    r.target_kind = t->kind == FUIN_WIPE_KIND_DEVICE ? "device" : "file";
    r.target_path = t->path;
    r.target_model = t->model[0] ? t->model : NULL;
    r.target_serial = t->serial[0] ? t->serial : NULL;
    r.target_transport = t->transport[0] ? t->transport : NULL;
    r.target_size = (int64_t)t->size_bytes;
    r.method = mt;
    r.category = fuin_wipe_category_name(res->category ? res->category : FUIN_WIPE_CLEAR);
    r.passes = res->passes;
    r.pattern = fuin_wipe_pattern_name(o->pattern);
    r.verify_mode = vt;
    r.verify_bytes = res->bytes_verified;
    if (res->message[0] != '\0') {
        errs[0] = res->message;
        r.errors = errs;
        r.nerrors = 1;
    }
    r.result = res->success ? "success" : res->cancelled ? "interrupted" : "failure";
    r.caveat = t->kind == FUIN_WIPE_KIND_DEVICE ? res->caveat : FUIN_WIPE_FILE_CAVEAT;
    err[0] = '\0';
    s = fuin_ledger_append(w->ledger, &r, w->sk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, w->ledger,
                       "LEDGER APPEND FAILED: the wipe of %s is NOT recorded: %s",
                       t->path, fuin_cli_msg(err, s));
        return s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
    }
    fprintf(stderr, "fuin: wipe: %s: recorded as %s, record %s (seq %" PRIu64 ")\n",
            t->path, r.result, r.record_id, r.seq);
    return 0;
}

static int wipe_one(const wipe_ctx *w, const fuin_wipe_target *t,
                    fuin_wipe_options o)
{
    fuin_wipe_result res;
    fuin_status s;
    int rc = 0, lrc;

    progress_ctx pc = {t->path, isatty(STDERR_FILENO)};
    struct sigaction sa, old_int, old_term;

    if (interrupted) {
        fuin_cli_error(CMD, t->path, "not started: interrupted");
        return FUIN_EXIT_REFUSED;
    }
    o.progress = progress_cb;
    o.progress_ctx = &pc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &old_int);
    (void)sigaction(SIGTERM, &sa, &old_term);
    memset(&res, 0, sizeof res);
    if (t->kind == FUIN_WIPE_KIND_DEVICE)
        s = fuin_wipe_device(t->path, &o, &res);
    else
        s = fuin_wipe_file(t->path, &o, &res);
    if (pc.show && !res.success)
        fputc('\n', stderr);
    if (s == FUIN_OK && res.success) {
        printf("%s: wiped: %" PRIu64 " bytes written, %" PRIu64 " verified, Clear\n",
               t->path, res.bytes_written, res.bytes_verified);
        fflush(stdout);
    } else {
        if (s == FUIN_OK)
            s = FUIN_E_IO;
        fuin_cli_error(CMD, t->path, "wipe failed: %s",
                       fuin_cli_msg(res.message, s));
        /* A mismatch on read-back is a check that said no; anything else
         * is the medium or the system failing. */
        rc = res.cancelled || s == FUIN_E_POLICY || (res.errors > 0 && res.fail_offset >= 0 &&
                                    strstr(res.message, "mismatch") != NULL)
                 ? FUIN_EXIT_REFUSED
                 : FUIN_EXIT_IO;
    }
    /* The record is written with the signals still caught, so that a
     * second ^C cannot cut the append short. */
    lrc = record(w, t, &o, &res);
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGTERM, &old_term, NULL);
    if (lrc != 0)
        return rc != 0 ? rc : lrc;
    return rc;
}

/* A wipe whose record cannot be appended must not start: a torn or
 * malformed ledger is found before anything is erased.  Records by other
 * operators (untrusted here) or a bad signature do not stop an append;
 * they are for `fuin ledger verify` to report. */
static int ledger_preflight(const wipe_ctx *w)
{
    fuin_ledger_report rep;
    fuin_pubkey pk;
    fuin_status s;
    if (!fuin_cli_exists(w->ledger))
        return 0;
    fuin_seckey_public(w->sk, &pk);
    memset(&rep, 0, sizeof rep);
    s = fuin_ledger_verify(w->ledger, &pk, 1, &rep);
    if (s == FUIN_E_SYNTAX || s == FUIN_E_LIMIT || s == FUIN_E_IO) {
        fuin_cli_error(CMD, w->ledger,
                       "ledger cannot take a record, nothing wiped: %s",
                       fuin_cli_msg(rep.reason, s));
        return s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
    }
    if (s == FUIN_E_NOMEM) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    return 0;
}

/* Separation of duties: the disposal was requested by this operator and
 * approved by a certified manager who is someone else, for this asset.
 * Checked before anything is erased.  0 or exit code after printing. */
static int check_approval(const wipe_args *a, const fuin_seckey *sk,
                          char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4])
{
    fuin_store *store = NULL;
    fuin_cli_request rq;
    fuin_pubkey pk;
    int rc;

    memset(&rq, 0, sizeof rq);
    if ((rc = fuin_cli_open_store(CMD, a->store, &store)) != 0)
        return rc;
    if (store == NULL) {
        fuin_cli_error(CMD, a->approval, "--approval needs a trust store; give --store DIR");
        return FUIN_EXIT_USAGE;
    }
    if ((rc = fuin_cli_request_check(CMD, store, a->approval, &rq)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    if (memcmp(pk.keyid, rq.keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_cli_error(CMD, a->approval,
                       "request is by %s, not by this operator; nothing wiped",
                       rq.requester);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (a->asset == NULL || strcmp(a->asset, rq.asset) != 0) {
        fuin_cli_error(CMD, a->approval,
                       "request is for asset %s, not --asset %s; nothing wiped",
                       rq.asset, a->asset ? a->asset : "(none)");
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if ((rc = fuin_cli_approval_check(CMD, store, a->approval, &rq, approver)) != 0)
        goto done;
    fprintf(stderr, "fuin: wipe: %s: disposal of %s approved by %s\n", a->approval,
            rq.asset, approver);
done:
    fuin_cli_request_clear(&rq);
    fuin_store_free(store);
    return rc;
}

static int run(const wipe_args *a)
{
    fuin_wipe_options o;
    fuin_label label;
    fuin_wipe_target *t = NULL;
    wipe_ctx w;
    int rc, any_refused = 0;

    memset(&w, 0, sizeof w);
    w.a = a;
    if ((rc = build_options(a, &o)) != 0)
        return rc;
    if (a->class_text != NULL) {
        char err[256];
        fuin_status s;
        err[0] = '\0';
        s = fuin_label_parse(a->class_text, &label, err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, NULL, "--class: %s", fuin_cli_msg(err, s));
            return fuin_cli_exit_code(s, 1);
        }
        w.label = &label;
    }
    t = calloc((size_t)a->n_targets, sizeof *t);
    if (t == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    /* Every target is examined and shown before anything is erased. */
    for (int i = 0; i < a->n_targets; i++) {
        char err[512];
        fuin_status s;
        err[0] = '\0';
        s = fuin_wipe_target_probe(a->targets[i], &t[i], err, sizeof err);
        if (s == FUIN_OK || s == FUIN_E_POLICY) {
            snprintf(t[i].path, sizeof t[i].path, "%s", a->targets[i]);
            describe(&t[i], &o);
            if (s == FUIN_E_POLICY) {
                t[i].refused = 1;
                fuin_cli_error(CMD, a->targets[i], "refused: %s",
                               fuin_cli_msg(t[i].refuse_reason[0] ? t[i].refuse_reason : err, s));
                any_refused = 1;
            }
            continue;
        }
        fuin_cli_error(CMD, a->targets[i], "%s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_INVALID ? FUIN_EXIT_USAGE : FUIN_EXIT_IO;
        goto done;
    }
    if (a->dry_run) {
        rc = any_refused ? FUIN_EXIT_REFUSED : 0;
        goto done;
    }
    /* Confirmation first, so that no passphrase is asked for nothing; a
     * refused target is not a wipe and gets no record. */
    if (!a->yes) {
        for (int i = 0; i < a->n_targets; i++) {
            if (t[i].refused)
                continue;
            if ((rc = confirm(a->targets[i])) != 0)
                goto done;
        }
    }
    {
        int all_refused = 1;
        for (int i = 0; i < a->n_targets; i++)
            if (!t[i].refused)
                all_refused = 0;
        if (all_refused) {
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    if ((rc = fuin_cli_ledger_path(CMD, a->ledger, &w.ledger)) != 0 ||
        (rc = fuin_cli_load_operator(CMD, a->dir, a->passfile, &w.sk,
                                     w.operator_name)) != 0)
        goto done;
    if ((rc = ledger_preflight(&w)) != 0)
        goto done;
    if (a->approval != NULL && (rc = check_approval(a, w.sk, w.approver)) != 0)
        goto done;
    rc = any_refused ? FUIN_EXIT_REFUSED : 0;
    for (int i = 0; i < a->n_targets; i++) {
        int r;
        if (t[i].refused)
            continue;
        r = wipe_one(&w, &t[i], o);
        if (r != 0 && (rc == 0 || r > rc))
            rc = r;
    }
done:
    free(t);
    free(w.ledger);
    fuin_seckey_free(w.sk);
    return rc;
}

int fuin_cmd_wipe(int argc, char **argv)
{
    wipe_args a;
    int help = 0, rc;
    memset(&a, 0, sizeof a);
    rc = parse_args(argc, argv, &a, &help);
    if (rc != 0)
        return rc;
    return help ? fuin_cli_print_help(CMD) : run(&a);
}
