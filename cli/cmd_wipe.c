/* fuin wipe [--method zero|random|SANITIZE] [--passes N] [--verify full|sample=PCT|none]
 *           [--asset ID] [--class LABEL] [--witness NAME] [--ledger FILE]
 *           [--approval REQUEST] [--store DIR]
 *           [--dir DIR] [--passphrase-file FILE] [--dry-run] [--yes]
 *           [--force] [--force-sanitize] TARGET... */
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
    OPT_HARD_LINKS, OPT_APPROVAL, OPT_STORE, OPT_FORCE_SANITIZE
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
    {"hard-links", no_argument, NULL, OPT_HARD_LINKS},
    {"approval", required_argument, NULL, OPT_APPROVAL},
    {"store", required_argument, NULL, OPT_STORE},
    {"force-sanitize", no_argument, NULL, OPT_FORCE_SANITIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *method, *passes, *verify, *asset, *class_text, *witness;
    const char *ledger, *dir, *passfile, *approval, *store;
    int dry_run, yes, hard_links, force_sanitize;
    fuin_sanitize_kind sanitize; /* 0: overwrite (zero/random) */
    char **targets;
    int n_targets;
} wipe_args;

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
        case OPT_DRYRUN: rc = fuin_cli_set_flag(CMD, &a->dry_run, "--dry-run"); break;
        case OPT_YES: rc = fuin_cli_set_flag(CMD, &a->yes, "--yes"); break;
        case OPT_HARD_LINKS: rc = fuin_cli_set_flag(CMD, &a->hard_links, "--hard-links"); break;
        case OPT_FORCE_SANITIZE:
            rc = fuin_cli_set_flag(CMD, &a->force_sanitize, "--force-sanitize");
            break;
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
static int build_options(wipe_args *a, fuin_wipe_options *o)
{
    fuin_wipe_options_init(o);
    if (a->method != NULL) {
        if (strcmp(a->method, "zero") == 0)
            o->pattern = FUIN_WIPE_ZERO;
        else if (strcmp(a->method, "random") == 0)
            o->pattern = FUIN_WIPE_RANDOM;
        else if ((a->sanitize = fuin_sanitize_kind_from_name(a->method)) == 0)
            return fuin_cli_usage(CMD, "--method must be zero, random or a device "
                                       "erase command (see fuin help wipe), not \"%.100s\"",
                                  a->method);
    }
    if (a->sanitize != 0 && (a->passes != NULL || a->verify != NULL))
        return fuin_cli_usage(CMD, "--passes and --verify apply to overwrites, not to "
                                   "the device's own erase command %s", a->method);
    if (a->force_sanitize && a->sanitize == 0)
        return fuin_cli_usage(CMD, "--force-sanitize needs --method with a device "
                                   "erase command");
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
    if (a->hard_links)
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

/* The device's own erase commands, as the probe found them: supported
 * and undetectable ones one per line, the rest grouped by reason. */
static void describe_sanitize(const fuin_sanitize_support *sup)
{
    size_t n = 0;
    const fuin_sanitize_kind *m = fuin_sanitize_methods(&n);
    int printed[FUIN_SANITIZE_KIND_MAX + 1] = {0};
    printf("  erase commands (the device's own):\n");
    for (size_t i = 0; i < n; i++) {
        uint32_t bit = FUIN_SANITIZE_BIT(m[i]);
        if (sup->supported & bit)
            printf("    %-28s supported\n", fuin_sanitize_kind_name(m[i]));
        else if (sup->unknown & bit)
            printf("    %-28s unknown: %s\n", fuin_sanitize_kind_name(m[i]),
                   fuin_cli_safe(sup->why_not[m[i]][0] ? sup->why_not[m[i]] : "cannot be detected"));
        else
            continue;
        printed[m[i]] = 1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *why;
        if (printed[m[i]])
            continue;
        why = sup->why_not[m[i]][0] ? sup->why_not[m[i]] : "not reported by the device";
        printf("    no: ");
        for (size_t j = i, first = 1; j < n; j++) {
            const char *w2 = sup->why_not[m[j]][0] ? sup->why_not[m[j]]
                                                   : "not reported by the device";
            if (printed[m[j]] || strcmp(w2, why) != 0)
                continue;
            printf("%s%s", first ? "" : ", ", fuin_sanitize_kind_name(m[j]));
            printed[m[j]] = 1;
            first = 0;
        }
        printf(": %s\n", fuin_cli_safe(why));
    }
}

/* What will happen, on stdout. */
static void describe(const wipe_args *a, const fuin_wipe_target *t,
                     const fuin_wipe_options *o, const fuin_sanitize_support *sup)
{
    char vt[32], mt[64];
    verify_text(o, vt, sizeof vt);
    method_text(o, mt, sizeof mt);
    /* the model, serial and names come from the device and the kernel */
    printf("%s: %s\n", fuin_cli_safe(t->path), kind_name(t->kind));
    if (t->kind == FUIN_WIPE_KIND_DEVICE) {
        printf("  model:        %s\n", fuin_cli_safe(t->model[0] ? t->model : "(not exposed)"));
        printf("  serial:       %s\n", fuin_cli_safe(t->serial[0] ? t->serial : "(not exposed)"));
        printf("  transport:    %s\n", fuin_cli_safe(t->transport[0] ? t->transport : "unknown"));
        printf("  kernel name:  %s (disk %s)%s\n", fuin_cli_safe(t->name), fuin_cli_safe(t->disk),
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
        printf("  holders:      %s\n", fuin_cli_safe(t->holders ? t->holder_names : "none"));
        printf("  holds /:      %s\n", t->holds_root ? "yes" : "no");
        if (sup != NULL)
            describe_sanitize(sup);
    } else {
        printf("  size:         %" PRIu64 " bytes\n", t->size_bytes);
        if (t->kind == FUIN_WIPE_KIND_FILE)
            printf("  hard links:   %lu\n", t->nlink);
    }
    if (a->sanitize != 0) {
        char plan[2048], *line, *save = NULL;
        printf("  method:       %s (the device's own erase command); verify: the "
               "device reports completion, nothing is read back\n", a->method);
        printf("  category:     %s\n", fuin_wipe_category_name(
                                          fuin_sanitize_category_for(a->sanitize, t)));
        plan[0] = '\0';
        if (t->kind == FUIN_WIPE_KIND_DEVICE &&
            fuin_sanitize_plan(a->sanitize, t, sup, NULL, plan, sizeof plan) > 0) {
            for (line = strtok_r(plan, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save))
                printf("  runs:         %s\n", fuin_cli_safe(line));
        }
    } else {
        fuin_sanitize_kind rec = sup != NULL ? fuin_sanitize_recommend(sup, t) : 0;
        printf("  method:       %s (%s pattern, %u pass%s), verify %s\n", mt,
               fuin_wipe_pattern_name(o->pattern), o->passes,
               o->passes == 1 ? "" : "es", vt);
        /* An overwrite never reaches remapped or over-provisioned blocks. */
        printf("  category:     Clear (an overwrite is never Purge)\n");
        if (rec != 0)
            printf("  note:         the device supports %s (Purge): --method %s\n",
                   fuin_sanitize_kind_name(rec), fuin_sanitize_kind_name(rec));
    }
    if (t->kind != FUIN_WIPE_KIND_DEVICE)
        printf("  caveat:       %s\n", FUIN_WIPE_FILE_CAVEAT);
    if (t->refused)
        printf("  REFUSED:      %s\n", fuin_cli_safe(t->refuse_reason));
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
                 "Type the target's name (%s) to confirm: ", fuin_cli_safe(path),
            fuin_cli_safe(base));
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

static int sanitize_progress_cb(void *ctx, fuin_sanitize_kind step, int percent)
{
    const progress_ctx *pc = ctx;
    if (interrupted)
        return 1;
    if (pc->show && percent >= 0)
        fprintf(stderr, "\rfuin: wipe: %s: %s: %3d%%", fuin_cli_safe(pc->path),
                fuin_sanitize_kind_name(step), percent);
    return 0;
}

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
    fprintf(stderr, "\rfuin: wipe: %s: %s pass %u: %3u%%", fuin_cli_safe(path),
            phase == FUIN_WIPE_PHASE_WRITE ? "write" : "verify", pass, pct);
    if (done == total)
        fputc('\n', stderr);
    return 0;
}

typedef struct {
    const wipe_args *a;
    const fuin_sanitize_support *sup; /* of the current target */
    const fuin_label *label;
    fuin_seckey *sk;
    char operator_name[FUIN_TEXT_MAX];
    char *ledger;
    char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4];
    char request[65]; /* hex SHA-256 of the approved request, or "" */
    int any_success;  /* some target was wiped (the approval is spent) */
    fuin_audit *au;   /* [audit] record = on: records also go to syslog */
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
    if (w->a->sanitize != 0) {
        snprintf(vt, sizeof vt, "none");
        snprintf(mt, sizeof mt, "%s", w->a->method);
    } else {
        verify_text(o, vt, sizeof vt);
        method_text(o, mt, sizeof mt);
    }
    r.start = res->start_time > 0 ? res->start_time : (int64_t)time(NULL);
    r.end = res->end_time >= r.start ? res->end_time : (int64_t)time(NULL);
    r.operator_name = w->operator_name;
    r.witness = w->a->witness;
    r.approver = w->approver[0] ? w->approver : NULL;
    r.request = w->request[0] ? w->request : NULL;
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
    r.pattern = w->a->sanitize != 0 ? NULL : fuin_wipe_pattern_name(o->pattern);
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
    s = w->au != NULL ? fuin_audit_append(w->au, &r, w->sk, err, sizeof err)
                      : fuin_ledger_append(w->ledger, &r, w->sk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, w->ledger,
                       "LEDGER APPEND FAILED: the wipe of %s is NOT recorded: %s",
                       t->path, fuin_cli_msg(err, s));
        return s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
    }
    fprintf(stderr, "fuin: wipe: %s: recorded as %s, record %s (seq %" PRIu64 ")\n",
            fuin_cli_safe(t->path), r.result, r.record_id, r.seq);
    return 0;
}

static int wipe_one(wipe_ctx *w, const fuin_wipe_target *t,
                    fuin_wipe_dev *dev, fuin_wipe_options o)
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
    if (w->a->sanitize != 0) {
        fuin_sanitize_options so;
        fuin_sanitize_options_init(&so);
        so.support = w->sup;
        so.held = dev;
        so.flags = w->a->force_sanitize ? FUIN_SANITIZE_F_FORCE : 0;
        so.progress = sanitize_progress_cb;
        so.progress_ctx = &pc;
        s = fuin_sanitize_run(w->a->sanitize, t, &so, &res);
    } else if (dev != NULL)
        s = fuin_wipe_device_run(dev, &o, &res);
    else if (t->kind == FUIN_WIPE_KIND_DEVICE)
        s = fuin_wipe_device(t->path, &o, &res);
    else
        s = fuin_wipe_file(t->path, &o, &res);
    if (pc.show && !res.success)
        fputc('\n', stderr);
    if (s == FUIN_OK && res.success)
        w->any_success = 1;
    if (s == FUIN_OK && res.success && w->a->sanitize != 0) {
        printf("%s: erased by the device (%s), %s\n", fuin_cli_safe(t->path), w->a->method,
               fuin_wipe_category_name(res.category));
        fflush(stdout);
    } else if (s == FUIN_OK && res.success) {
        printf("%s: wiped: %" PRIu64 " bytes written, %" PRIu64 " verified, Clear\n",
               fuin_cli_safe(t->path), res.bytes_written, res.bytes_verified);
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
             : s == FUIN_E_ENVIRONMENT ? FUIN_EXIT_ENVIRONMENT
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

static int verify_level(const fuin_wipe_options *o)
{
    return o->verify == FUIN_WIPE_VERIFY_FULL ? 2
           : o->verify == FUIN_WIPE_VERIFY_SAMPLE ? 1 : 0;
}

/* What the policy demands of this target (class, media or file), before
 * anything is asked or erased.  An approval is only counted here as
 * given; it is checked in full once the operator's key is loaded.
 * 0, or 1 after printing the refusal. */
static int check_policy(const wipe_args *a, const fuin_policy *pol,
                        const fuin_label *label, const fuin_wipe_target *t,
                        const fuin_wipe_options *o)
{
    char msg[1024];
    fuin_status s;
    msg[0] = '\0';
    /* A device's own erase command is checked by the device (its status
     * or sanitize log), which the policy counts as full verification. */
    s = fuin_policy_check_wipe(pol, label, t->kind == FUIN_WIPE_KIND_DEVICE,
                               a->sanitize != 0 ? 2 : verify_level(o),
                               a->sanitize != 0
                                   ? (int)fuin_sanitize_category_for(a->sanitize, t)
                                   : (int)FUIN_WIPE_CLEAR,
                               a->approval != NULL, a->witness != NULL, msg,
                               sizeof msg);
    if (s == FUIN_OK) {
        char lt[256] = "";
        if (label != NULL)
            (void)fuin_label_format(label, lt, sizeof lt);
        printf("  policy:       allowed%s%s\n", label ? " for " : "", lt);
        fflush(stdout);
        return 0;
    }
    printf("  REFUSED:      policy: %s\n", msg);
    fflush(stdout);
    fuin_cli_error(CMD, t->path, "policy: %s", fuin_cli_msg(msg, s));
    return 1;
}

/* Whether the chosen device erase command can run on `t`: supported, or
 * undetectable and --force-sanitize.  0, or 1 after marking
 * the target refused and printing why. */
static int check_sanitize(const wipe_args *a, fuin_wipe_target *t,
                          const fuin_sanitize_support *sup)
{
    char why[FUIN_WIPE_TEXT];
    if (fuin_sanitize_allowed(a->sanitize, t, sup,
                              a->force_sanitize ? FUIN_SANITIZE_F_FORCE : 0, why,
                              sizeof why) == FUIN_OK)
        return 0;
    snprintf(t->refuse_reason, sizeof t->refuse_reason, "%s: %.190s%s", a->method, why,
             (sup->unknown & FUIN_SANITIZE_BIT(a->sanitize)) && !t->is_partition
                 ? " (--force-sanitize runs it anyway)"
                 : "");
    printf("  REFUSED:      %s\n", fuin_cli_safe(t->refuse_reason));
    fflush(stdout);
    fuin_cli_error(CMD, t->path, "refused: %s", t->refuse_reason);
    t->refused = 1;
    return 1;
}

static int run(wipe_args *a)
{
    fuin_wipe_options o;
    fuin_label label;
    fuin_wipe_target *t = NULL;
    fuin_wipe_dev **dev = NULL;
    fuin_sanitize_support *sup = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    wipe_ctx w;
    fuin_pubkey op;
    int rc, any_refused = 0, claimed = 0;

    memset(&w, 0, sizeof w);
    w.a = a;
    if ((rc = build_options(a, &o)) != 0)
        return rc;
    {
        int has_label = 0;
        if ((rc = fuin_cli_disposal_begin(CMD, a->class_text, a->approval, a->store,
                                          &label, &has_label, &store, &pol)) != 0)
            goto done;
        w.label = has_label ? &label : NULL;
    }
    /* The approval is checked before anything else is asked or looked at:
     * who made the request is known from sign.pub, without a passphrase. */
    if ((rc = fuin_cli_ledger_path(CMD, a->ledger, &w.ledger)) != 0)
        goto done;
    if (a->approval != NULL &&
        ((rc = fuin_cli_load_operator_pub(CMD, a->dir, &op)) != 0 ||
         (rc = fuin_cli_disposal_approval(CMD, store, a->approval, a->asset, w.label, &op,
                                          w.ledger, w.approver, w.request)) != 0))
        goto done;
    t = calloc((size_t)a->n_targets, sizeof *t);
    dev = calloc((size_t)a->n_targets, sizeof *dev);
    sup = calloc((size_t)a->n_targets, sizeof *sup);
    if (t == NULL || dev == NULL || sup == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    /* Every target is examined and shown before anything is erased.  A
     * device is opened exclusively here and held until it is wiped, so
     * that what the operator confirms is what gets erased: nobody can
     * mount it or claim it in between. */
    for (int i = 0; i < a->n_targets; i++) {
        char err[512];
        fuin_status s;
        err[0] = '\0';
        if (a->dry_run) {
            s = fuin_wipe_target_probe(a->targets[i], &t[i], err, sizeof err);
        } else {
            /* Probes, and holds the target if it is a device; a file or
             * directory comes back as "not a block device", described. */
            s = fuin_wipe_device_open(a->targets[i], &t[i], &dev[i], err, sizeof err);
            if (s == FUIN_E_INVALID && (t[i].kind == FUIN_WIPE_KIND_FILE ||
                                        t[i].kind == FUIN_WIPE_KIND_DIR)) {
                s = FUIN_OK;
                err[0] = '\0';
            }
        }
        if ((s == FUIN_OK || s == FUIN_E_POLICY) && a->sanitize != 0 &&
            t[i].kind != FUIN_WIPE_KIND_DEVICE) {
            fuin_cli_error(CMD, a->targets[i], "--method %s erases block devices only",
                           a->method);
            rc = FUIN_EXIT_USAGE;
            goto done;
        }
        if (s == FUIN_OK && t[i].kind == FUIN_WIPE_KIND_DEVICE) {
            /* Asks the device (nvme id-ctrl, hdparm -I); writes nothing. */
            char serr[512];
            fuin_sanitize_options so;
            fuin_sanitize_options_init(&so);
            serr[0] = '\0';
            if (fuin_sanitize_probe(&t[i], &so, &sup[i], serr, sizeof serr) != FUIN_OK)
                memset(&sup[i], 0, sizeof sup[i]);
        }
        /* Another name would keep the data reachable: a refusal, decided
         * here so that it is not recorded as a failed wipe. */
        if (s == FUIN_OK && t[i].kind == FUIN_WIPE_KIND_FILE && t[i].nlink > 1 &&
            !a->hard_links) {
            snprintf(t[i].refuse_reason, sizeof t[i].refuse_reason,
                     "it has %lu hard links: the data stays reachable through the "
                     "others (--hard-links wipes it anyway)", t[i].nlink);
            s = FUIN_E_POLICY;
        }
        if (s == FUIN_OK || s == FUIN_E_POLICY) {
            snprintf(t[i].path, sizeof t[i].path, "%s", a->targets[i]);
            if (s == FUIN_E_POLICY && t[i].refuse_reason[0] == '\0')
                snprintf(t[i].refuse_reason, sizeof t[i].refuse_reason, "%.200s", err);
            if (s == FUIN_E_POLICY)
                t[i].refused = 1;
            describe(a, &t[i], &o,
                     s == FUIN_OK && t[i].kind == FUIN_WIPE_KIND_DEVICE ? &sup[i] : NULL);
            if (s == FUIN_E_POLICY) {
                fuin_cli_error(CMD, a->targets[i], "refused: %s",
                               fuin_cli_msg(t[i].refuse_reason, s));
                any_refused = 1;
            } else if ((a->sanitize != 0 && check_sanitize(a, &t[i], &sup[i]) != 0) ||
                       check_policy(a, pol, w.label, &t[i], &o) != 0) {
                t[i].refused = 1;
                any_refused = 1;
                (void)fuin_wipe_device_close(dev[i]);
                dev[i] = NULL;
            }
            continue;
        }
        {
            /* The library's message starts with the path already. */
            size_t pl = strlen(a->targets[i]);
            int named = strncmp(err, a->targets[i], pl) == 0 && err[pl] == ':';
            fuin_cli_error(CMD, named ? NULL : a->targets[i], "%s",
                           fuin_cli_msg(err, s));
        }
        rc = s == FUIN_E_INVALID       ? FUIN_EXIT_USAGE
             : s == FUIN_E_ENVIRONMENT ? FUIN_EXIT_ENVIRONMENT
                                       : FUIN_EXIT_IO;
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
    if ((rc = fuin_cli_load_operator(CMD, a->dir, a->passfile, &w.sk,
                                     w.operator_name)) != 0)
        goto done;
    if (a->approval != NULL && (rc = fuin_cli_same_operator(CMD, w.sk, &op)) != 0)
        goto done;
    if ((rc = ledger_preflight(&w)) != 0)
        goto done;
    {
        char err[512];
        fuin_status s;
        err[0] = '\0';
        s = fuin_audit_open(pol, w.ledger, w.operator_name, NULL, &w.au, err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, w.ledger, "%s: nothing was erased", fuin_cli_msg(err, s));
            rc = s == FUIN_E_SYNTAX ? FUIN_EXIT_FORMAT : FUIN_EXIT_IO;
            goto done;
        }
    }
    if (a->approval != NULL) {
        /* Spent here, in the trust store, whatever --ledger says. */
        char what[FUIN_TEXT_MAX * 2 + 512], now[FUIN_TIME_MAX], hex[FUIN_KEYID_HEX];
        fuin_keyid_hex(op.keyid, hex);
        fuin_time_format_rfc3339((int64_t)time(NULL), now, sizeof now);
        snprintf(what, sizeof what, "wipe of %s by %s (%s) started %s, ledger %s",
                 a->asset, w.operator_name, hex, now, w.ledger);
        if ((rc = fuin_cli_approval_claim(CMD, store, a->approval, w.request, what)) != 0)
            goto done;
        claimed = 1;
    }
    rc = any_refused ? FUIN_EXIT_REFUSED : 0;
    for (int i = 0; i < a->n_targets; i++) {
        int r;
        if (t[i].refused)
            continue;
        w.sup = &sup[i];
        r = wipe_one(&w, &t[i], dev[i], o);
        (void)fuin_wipe_device_close(dev[i]);
        dev[i] = NULL;
        if (r != 0 && (rc == 0 || r > rc))
            rc = r;
    }
    /* Nothing erased: the approval may be tried again. */
    if (claimed && !w.any_success)
        (void)fuin_store_approval_release(store, w.request);
done:
    if (dev != NULL)
        for (int i = 0; i < a->n_targets; i++)
            (void)fuin_wipe_device_close(dev[i]);
    free(dev);
    free(sup);
    free(t);
    free(w.ledger);
    fuin_audit_free(w.au);
    fuin_seckey_free(w.sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
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
