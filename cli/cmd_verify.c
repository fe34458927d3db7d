/* fuin verify [-p PUBLIC_KEY | --trust ROOT_PUBLIC_KEY] [--store DIR]
 *             [--revocations FILE] [--require-revocation-check]
 *             [-x SIGFILE] [--json] FILE...
 * Never a false OK: every result says whether revocation was checked, and
 * against which list, and shows the name the file was signed under. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "verify";

/* Read size while hashing (see cmd_sign.c). */
#define VERIFY_CHUNK (1u << 16) /* as minisign: a 64 KiB buffer stays in cache */

enum { OPT_TRUST = 256, OPT_STORE, OPT_JSON, OPT_REVOCATIONS, OPT_REQUIRE_RL, OPT_DIR,
       OPT_PASSFILE, OPT_ZIP_PASSFILE };

static const struct option verify_options[] = {
    {"public-key", required_argument, NULL, 'p'},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"store", required_argument, NULL, OPT_STORE},
    {"sig-file", required_argument, NULL, 'x'},
    {"json", no_argument, NULL, OPT_JSON},
    {"revocations", required_argument, NULL, OPT_REVOCATIONS},
    {"require-revocation-check", no_argument, NULL, OPT_REQUIRE_RL},
    {"identity", required_argument, NULL, 'i'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"zip-passphrase-file", required_argument, NULL, OPT_ZIP_PASSFILE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *pubkey;
    const char *trust;
    const char *store;
    const char *sigfile;
    const char *revocations;
    int json;
    int require_rl;
    char **files;
    int n_files;
    const char **identities; /* packages: -i files */
    size_t n_identities;
    const char *dir, *passfile, *zip_passfile;
} verify_args;

/* What the run needs for every file. */
typedef struct {
    int release;              /* --trust: full release check             */
    fuin_pubkey key;          /* -p key, or the trusted root             */
    const fuin_store *store;  /* for revocations and certification, or NULL */
    const fuin_revocations *rl;
    char rl_source[512];      /* where rl came from, for the result      */
    const fuin_policy *pol;
    uint8_t *buf;
    json_t *array;            /* --json output, or NULL                  */
} verify_ctx;

/* The outcome for one file. */
typedef struct {
    fuin_status status;
    int exit_code;
    char reason[FUIN_RESULT_REASON_MAX + 256];
    int has_keyid;
    uint8_t keyid[FUIN_KEYID_BYTES];
    int has_meta;
    fuin_sigmeta meta;
    const char *signer;        /* verified or claimed name              */
    const char *role;
    const char *organisation;
    int name_differs;          /* signed under another file name        */
    const char *word;          /* JSON status instead of the status's   */
} outcome;

static int parse_args(int argc, char **argv, verify_args *a, int *help)
{
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:x:i:h", verify_options, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->identities[a->n_identities++] = optarg;
            break;
        case OPT_DIR:
            rc = fuin_cli_set_once(CMD, &a->dir, optarg, "--dir");
            break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file");
            break;
        case OPT_ZIP_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->zip_passfile, optarg, "--zip-passphrase-file");
            break;
        case 'p':
            rc = fuin_cli_set_once(CMD, &a->pubkey, optarg, "-p/--public-key");
            break;
        case OPT_TRUST:
            rc = fuin_cli_set_once(CMD, &a->trust, optarg, "--trust");
            break;
        case OPT_STORE:
            rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store");
            break;
        case 'x':
            rc = fuin_cli_set_once(CMD, &a->sigfile, optarg, "-x/--sig-file");
            break;
        case OPT_JSON:
            if (fuin_cli_set_flag(CMD, &a->json, "--json") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_REVOCATIONS:
            rc = fuin_cli_set_once(CMD, &a->revocations, optarg, "--revocations");
            break;
        case OPT_REQUIRE_RL:
            if (fuin_cli_set_flag(CMD, &a->require_rl, "--require-revocation-check") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            *help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (*help)
        return 0;
    if (a->pubkey != NULL && a->trust != NULL)
        return fuin_cli_usage(CMD, "-p and --trust cannot be used together");
    if (optind >= argc)
        return fuin_cli_usage(CMD, "no FILE to verify");
    a->files = argv + optind;
    a->n_files = argc - optind;
    if (a->sigfile != NULL && a->n_files != 1)
        return fuin_cli_usage(CMD, "-x names the signature of one FILE only");
    for (int i = 0; i < a->n_files; i++)
        if (strcmp(a->files[i], "-") == 0)
            return fuin_cli_usage(CMD, "FILE must be a file, not standard input");
    return 0;
}

static int fail(outcome *o, fuin_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(outcome *o, fuin_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reason, sizeof o->reason, fmt, ap);
    va_end(ap);
    o->status = s;
    o->exit_code = fuin_cli_exit_code(s, 0);
    return -1;
}

static const char *status_word(fuin_status s)
{
    switch (s) {
    case FUIN_OK:
        return "ok";
    case FUIN_E_SIGNATURE:
        return "modified";
    case FUIN_E_COMMENT:
        return "comment-modified";
    case FUIN_E_WRONG_KEY:
        return "wrong-key";
    case FUIN_E_SIGFORMAT:
        return "malformed";
    case FUIN_E_UNTRUSTED:
        return "unknown-signer";
    case FUIN_E_EXPIRED:
        return "expired";
    case FUIN_E_REVOKED:
        return "revoked";
    case FUIN_E_FOREIGN_ROOT:
        return "foreign-root";
    case FUIN_E_POLICY:
        return "policy";
    case FUIN_E_IO:
        return "io-error";
    case FUIN_E_LIMIT:
        return "limit";
    default:
        return "error";
    }
}

/* Is the signer of a -p verified signature certified by the store's root,
 * valid at the signing time and not revoked?  Only matters for the
 * policy's [class.In] signer rule. */
static int signer_certified(const verify_ctx *c, const outcome *o)
{
    const char *ct, *st;
    size_t cl, sl;
    fuin_cert cert;
    const fuin_cert *known;

    if (c->store == NULL)
        return 0;
    if (fuin_revocations_find(c->rl, o->keyid, NULL, NULL))
        return 0;
    known = fuin_store_find_keyid(c->store, o->keyid);
    if (known != NULL)
        return 1;
    if (!o->has_meta || o->meta.cert_bundle == NULL ||
        fuin_sigmeta_cert(&o->meta, &ct, &cl, &st, &sl) != FUIN_OK ||
        fuin_cert_verify(ct, cl, st, sl, fuin_store_root(c->store), &cert, NULL,
                         0) != FUIN_OK)
        return 0;
    return memcmp(cert.card.sign_pk.keyid, o->keyid, FUIN_KEYID_BYTES) == 0 &&
           o->meta.time >= cert.valid_from && o->meta.time <= cert.valid_until;
}

static void describe_plain(outcome *o, const char *trusted)
{
    char hex[FUIN_KEYID_HEX], when[FUIN_TIME_MAX], label[256];
    if (!o->has_meta) {
        snprintf(o->reason, sizeof o->reason, "trusted comment: %s", trusted);
        return;
    }
    fuin_keyid_hex(o->keyid, hex);
    fuin_time_format_rfc3339(o->meta.time, when, sizeof when);
    if (o->meta.has_label)
        fuin_label_format(&o->meta.label, label, sizeof label);
    snprintf(o->reason, sizeof o->reason, "signed by %s (key %s)%s%s, at %s",
             o->meta.signer, hex, o->meta.has_label ? ", label " : "",
             o->meta.has_label ? label : "", when);
}

static void verify_one(const verify_ctx *c, const char *file, const char *sigfile,
                       outcome *o, fuin_release_result *rr)
{
    char *sig_path = NULL, *sig = NULL, msg[1024];
    size_t siglen;
    int fd = -1, missing;
    fuin_verifier *v = NULL;
    fuin_status s;

    sig_path = sigfile ? strdup(sigfile) : fuin_cli_suffix(file, ".minisig");
    if (sig_path == NULL) {
        fail(o, FUIN_E_NOMEM, "out of memory");
        goto done;
    }
    /* The helper prints its own message for errors other than a missing
     * file; the outcome only records the exit code. */
    o->exit_code = fuin_cli_read_file(CMD, sig_path, FUIN_CLI_PUBFILE_MAX, &sig,
                                      &siglen, &missing);
    if (o->exit_code != 0) {
        o->status = o->exit_code == FUIN_EXIT_FORMAT ? FUIN_E_SIGFORMAT : FUIN_E_IO;
        snprintf(o->reason, sizeof o->reason, "cannot read the signature %s",
                 sig_path);
        goto done;
    }
    if (missing) {
        fail(o, FUIN_E_IO, "no signature: %s: %s", sig_path, strerror(ENOENT));
        goto done;
    }
    v = fuin_verifier_new();
    if (v == NULL) {
        fail(o, FUIN_E_NOMEM, "out of memory");
        goto done;
    }
    s = fuin_verifier_load(v, sig, siglen);
    if (s != FUIN_OK) {
        fail(o, s, "%s: %s", sig_path, fuin_cli_msg(fuin_verifier_errmsg(v), s));
        goto done;
    }
    fuin_verifier_keyid(v, o->keyid);
    o->has_keyid = 1;

    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        fail(o, FUIN_E_IO, "cannot open: %s", strerror(errno));
        goto done;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (;;) {
        ssize_t r = read(fd, c->buf, VERIFY_CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail(o, FUIN_E_IO, "cannot read: %s", strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        s = fuin_verify_update(v, c->buf, (size_t)r);
        if (s != FUIN_OK) {
            fail(o, s, "%s", fuin_cli_msg(fuin_verifier_errmsg(v), s));
            goto done;
        }
    }

    if (c->release) {
        s = fuin_release_check(&c->key, c->rl, v, rr);
        if (rr->has_meta) {
            o->has_meta = 1;
            o->meta = rr->meta; /* borrowed: rr owns the bundle */
        }
        if (rr->has_cert) {
            o->signer = rr->cert.card.name;
            o->role = fuin_role_name(rr->cert.role);
            o->organisation = rr->cert.organisation;
        } else if (rr->has_meta) {
            o->signer = rr->meta.signer;
        }
        if (s != FUIN_OK) {
            fail(o, s, "%s", fuin_cli_msg(rr->reason, s));
            goto done;
        }
        snprintf(o->reason, sizeof o->reason, "%s", rr->reason);
    } else {
        const char *trusted;
        s = fuin_verify_final(v, &c->key);
        if (s == FUIN_E_SIGNATURE) {
            fail(o, s, "file modified (signature does not verify)");
            goto done;
        }
        if (s == FUIN_E_COMMENT) {
            fail(o, s, "trusted comment modified (signature does not verify)");
            goto done;
        }
        if (s != FUIN_OK) {
            fail(o, s, "%s", fuin_cli_msg(fuin_verifier_errmsg(v), s));
            goto done;
        }
        trusted = fuin_verifier_trusted_comment(v);
        /* A comment that is not fuin's (stock minisign) is shown as is. */
        if (fuin_sigmeta_parse(trusted, &o->meta, NULL, 0) == FUIN_OK) {
            o->has_meta = 1;
            o->signer = o->meta.signer;
        } else {
            fuin_sigmeta_clear(&o->meta);
        }
        describe_plain(o, trusted);
        {
            /* The key given with -p may have been revoked since. */
            int64_t when;
            const char *why;
            if (fuin_revocations_find(c->rl, o->keyid, &when, &why)) {
                char hex[FUIN_KEYID_HEX], t[FUIN_TIME_MAX];
                fuin_keyid_hex(o->keyid, hex);
                fuin_time_format_rfc3339(when, t, sizeof t);
                fail(o, FUIN_E_REVOKED, "key %s revoked on %s: %s", hex, t,
                     why ? why : "");
                goto done;
            }
        }
    }
    /* The name the signer signed, against the name on disk: a signed
     * 予算書.pdf copied to 予算書_確定版.pdf is the same bytes, but not the
     * document its name now claims. */
    if (o->has_meta && o->meta.file[0] != '\0') {
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        o->name_differs = strcmp(base, o->meta.file) != 0;
    }

    /* The policy may still refuse an intact signature: a 完全性2 file must
     * come from a certified signer. */
    msg[0] = '\0';
    s = fuin_policy_check_verify(c->pol,
                                 o->has_meta && o->meta.has_label ? &o->meta.label
                                                                  : NULL,
                                 c->release ? 1 : signer_certified(c, o), msg,
                                 sizeof msg);
    if (s != FUIN_OK) {
        /* What was verified stays in the JSON; the file is refused all
         * the same. */
        fail(o, s, "policy: %s", fuin_cli_msg(msg, s));
        goto done;
    }
    o->status = FUIN_OK;
    o->exit_code = 0;
done:
    if (fd >= 0)
        close(fd);
    fuin_verifier_free(v);
    free(sig);
    free(sig_path);
}

/* {"checked": true, "list": "...", "updated": "..."} or
 * {"checked": false, "reason": "..."} */
static json_t *revocation_json(const verify_ctx *c)
{
    char when[FUIN_TIME_MAX];
    if (c->rl == NULL)
        return json_pack("{s:b,s:s}", "checked", 0, "reason", c->rl_source);
    fuin_time_format_rfc3339(fuin_revocations_updated(c->rl), when, sizeof when);
    return json_pack("{s:b,s:s,s:s}", "checked", 1, "list", c->rl_source, "updated",
                     when);
}

static int add_json(const verify_ctx *c, json_t *array, const char *file,
                    const outcome *o)
{
    json_t *obj = json_object();
    char hex[FUIN_KEYID_HEX], when[FUIN_TIME_MAX], label[256];
    int bad = obj == NULL;
    if (o->has_keyid)
        fuin_keyid_hex(o->keyid, hex);
    if (o->has_meta) {
        fuin_time_format_rfc3339(o->meta.time, when, sizeof when);
        if (o->meta.has_label)
            fuin_label_format(&o->meta.label, label, sizeof label);
    }
#define STR_OR_NULL(cond, v) ((cond) ? json_string(v) : json_null())
    bad = bad || json_object_set_new(obj, "file", json_string(file)) ||
          json_object_set_new(obj, "ok", json_boolean(o->status == FUIN_OK)) ||
          json_object_set_new(obj, "status", json_string(o->word ? o->word : status_word(o->status))) ||
          json_object_set_new(obj, "reason", json_string(o->reason)) ||
          json_object_set_new(obj, "signer", STR_OR_NULL(o->signer, o->signer)) ||
          json_object_set_new(obj, "role", STR_OR_NULL(o->role, o->role)) ||
          json_object_set_new(obj, "key_id", STR_OR_NULL(o->has_keyid, hex)) ||
          json_object_set_new(obj, "label",
                              STR_OR_NULL(o->has_meta && o->meta.has_label, label)) ||
          json_object_set_new(obj, "time", STR_OR_NULL(o->has_meta, when)) ||
          json_object_set_new(obj, "organisation",
                              STR_OR_NULL(o->organisation, o->organisation)) ||
          json_object_set_new(obj, "signed_name",
                              STR_OR_NULL(o->has_meta && o->meta.file[0], o->meta.file)) ||
          json_object_set_new(obj, "name_matches",
                              o->has_meta && o->meta.file[0] ? json_boolean(!o->name_differs)
                                                             : json_null()) ||
          json_object_set_new(obj, "revocation", revocation_json(c));
#undef STR_OR_NULL
    if (bad || json_array_append_new(array, obj) != 0) {
        json_decref(obj);
        return -1;
    }
    return 0;
}

/* The lines under an OK: whether revocation was checked, and a file
 * name other than the signed one.  Indented, so "FILE: OK:" stays the
 * line scripts look for. */
static void print_notes(const verify_ctx *c, const outcome *o, const char *file)
{
    char when[FUIN_TIME_MAX];
    if (c->rl != NULL) {
        fuin_time_format_rfc3339(fuin_revocations_updated(c->rl), when, sizeof when);
        printf("  revocation: checked against %s (updated %s)\n",
               fuin_cli_safe(c->rl_source), when);
    } else {
        printf("  revocation: NOT checked: %s\n", fuin_cli_safe(c->rl_source));
    }
    if (o->name_differs)
        printf("  name: signed as \"%s\", checked as \"%s\": the same bytes "
               "under another name\n",
               fuin_cli_safe(o->meta.file), fuin_cli_safe(file));
}

static int run(const verify_args *a)
{
    verify_ctx c;
    fuin_cli_trust t;
    fuin_cli_audit au;
    int rc = 0;

    memset(&c, 0, sizeof c);
    memset(&au, 0, sizeof au);
    if ((rc = fuin_cli_trust_open(CMD, a->pubkey, a->trust, a->store, a->revocations, 1,
                                  &t)) != 0)
        goto done;
    if ((rc = fuin_cli_audit_begin(CMD, t.pol, NULL, a->dir, NULL, &au)) != 0)
        goto done;
    c.release = t.release;
    c.key = t.key;
    c.store = t.store;
    c.rl = t.rl;
    snprintf(c.rl_source, sizeof c.rl_source, "%s", t.rl_source);
    c.pol = t.pol;
    c.buf = malloc(VERIFY_CHUNK);
    if (a->json)
        c.array = json_array();
    if (c.buf == NULL || (a->json && c.array == NULL)) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }

    for (int i = 0; i < a->n_files; i++) {
        outcome o;
        fuin_release_result rr;
        memset(&o, 0, sizeof o);
        memset(&rr, 0, sizeof rr);
        /* A package carries its signature inside: FILE.minisig is absent. */
        if (a->sigfile == NULL && fuin_cli_is_package(a->files[i])) {
            char *sp = fuin_cli_suffix(a->files[i], ".minisig");
            int is_pkg = sp != NULL && !fuin_cli_exists(sp);
            free(sp);
            if (is_pkg) {
                fuin_cli_package_opts po;
                fuin_label pcls = {0, 0, 0, 0};
                int r;
                memset(&po, 0, sizeof po);
                fuin_unpack_limits_default(&po.limits);
                po.identities = a->identities;
                po.n_identities = a->n_identities;
                po.dir = a->dir;
                po.passfile = a->passfile;
                po.zip_passfile = a->zip_passfile;
                po.json = a->json;
                po.require_rl = a->require_rl;
                if (!c.release) {
                    fuin_cli_error(CMD, a->files[i],
                                   "FAILED: a package is checked against the CISO root "
                                   "(--trust ROOT.pub or the trust store), not -p");
                    r = FUIN_EXIT_USAGE;
                } else {
                    po.class_out = &pcls;
                    r = fuin_cli_package(CMD, a->files[i], &t, &po, c.array);
                }
                {
                    fuin_cli_audit_rec rec = {.op = "verify", .path = a->files[i],
                                              .label = pcls.confidentiality ? &pcls : NULL,
                                              .method = "package", .ok = r == 0};
                    if (fuin_cli_audit_record(&au, &rec, NULL) != 0 && r == 0)
                        r = FUIN_EXIT_IO;
                }
                if (r != 0 && rc == 0)
                    rc = r;
                continue;
            }
        }
        verify_one(&c, a->files[i], a->sigfile, &o, &rr);
        if (o.status == FUIN_OK && c.rl == NULL && a->require_rl) {
            snprintf(o.reason, sizeof o.reason,
                     "revocation could not be checked (%s), and "
                     "--require-revocation-check was given",
                     c.rl_source);
            o.status = FUIN_E_REVOKED;
            o.exit_code = FUIN_EXIT_REFUSED;
            o.word = "revocation-unchecked";
        }
        if (o.status == FUIN_OK) {
            if (!a->json) {
                /* the reason holds the signer's name and trusted comment */
                printf("%s: OK: %s\n", fuin_cli_safe(a->files[i]), fuin_cli_safe(o.reason));
                print_notes(&c, &o, a->files[i]);
            }
        } else {
            fuin_cli_error(CMD, a->files[i], "FAILED: %s", o.reason);
            if (rc == 0)
                rc = o.exit_code ? o.exit_code : FUIN_EXIT_INTERNAL;
        }
        {
            fuin_cli_audit_rec rec = {
                .op = "verify", .path = a->files[i], .method = "minisign-ed25519",
                .label = o.has_meta && o.meta.has_label ? &o.meta.label : NULL,
                .detail = o.reason, .ok = o.status == FUIN_OK};
            if (fuin_cli_audit_record(&au, &rec, NULL) != 0 && rc == 0)
                rc = FUIN_EXIT_IO;
        }
        if (a->json && add_json(&c, c.array, a->files[i], &o) != 0) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
        }
        if (c.release)
            fuin_release_result_clear(&rr);
        else
            fuin_sigmeta_clear(&o.meta);
        if (rc == FUIN_EXIT_INTERNAL)
            break;
    }
    if (a->json) {
        char *text = json_dumps(c.array, JSON_COMPACT);
        if (text == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
        } else {
            printf("%s\n", text);
            free(text);
        }
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_cli_audit_drop(&au);
    json_decref(c.array);
    free(c.buf);
    fuin_cli_trust_close(&t);
    return rc;
}

int fuin_cmd_verify(int argc, char **argv)
{
    verify_args a;
    int help = 0, rc;
    memset(&a, 0, sizeof a);
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
