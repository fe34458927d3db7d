/* fuin store init ROOT_PUBLIC_KEY [--fingerprint SHA256] [--store DIR]
 * fuin store add CERT... [--store DIR] [--force]
 * fuin store update FILE... [--store DIR]
 * fuin store show [--json] [--store DIR]
 *
 * Setting up a workstation's trust store (default /etc/fuin) from what
 * the CISO hands out: the root public key (compared with its published
 * fingerprint), certificates, the signed policy and the revocation list.
 * Every file is verified with the root before anything is written, and
 * nothing older than what the store holds is taken. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "store";

enum { OPT_STORE = 256, OPT_FORCE, OPT_JSON, OPT_FINGERPRINT };

static const struct option store_options[] = {
    {"store", required_argument, NULL, OPT_STORE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"json", no_argument, NULL, OPT_JSON},
    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *store;
    const char *fingerprint;
    int force, json;
    char **args;
    int n_args;
} store_args;

/* -1: help shown is wanted; 0 ok; else an exit code. */
static int parse(int argc, char **argv, store_args *a, const char *sub)
{
    int c, rc = 0, help = 0;
    memset(a, 0, sizeof *a);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", store_options, NULL)) != -1) {
        switch (c) {
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store"); break;
        case OPT_FINGERPRINT:
            rc = fuin_cli_set_once(CMD, &a->fingerprint, optarg, "--fingerprint");
            break;
        case OPT_FORCE: rc = fuin_cli_set_flag(CMD, &a->force, "--force"); break;
        case OPT_JSON: rc = fuin_cli_set_flag(CMD, &a->json, "--json"); break;
        case 'h': help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return -1;
    /* Each option belongs to one subcommand. */
    if (a->fingerprint && strcmp(sub, "init") != 0)
        return fuin_cli_usage(CMD, "%s: --fingerprint is for store init", sub);
    if (a->force && strcmp(sub, "add") != 0)
        return fuin_cli_usage(CMD, "%s: --force is for store add", sub);
    if (a->json && strcmp(sub, "show") != 0)
        return fuin_cli_usage(CMD, "%s: --json is for store show", sub);
    a->args = argv + optind;
    a->n_args = argc - optind;
    return 0;
}

static const char *store_dir(const store_args *a)
{
    return a->store ? a->store : FUIN_CLI_DEFAULT_STORE;
}

/* The store must be there: a missing one is told how to set it up. */
static int open_existing(const store_args *a, fuin_store **s)
{
    int rc = fuin_cli_open_store(CMD, a->store, s);
    if (rc == 0 && *s == NULL) {
        /* The default store, not set up: the same words as for --store. */
        fuin_cli_error(CMD, NULL,
                       "trust store %s does not exist: set it up with `fuin "
                       "store init ROOT.pub`",
                       FUIN_CLI_DEFAULT_STORE);
        rc = FUIN_EXIT_IO;
    }
    return rc;
}

/* 1 if FILE at path exists with exactly these bytes. */
static int same_content(const char *path, const char *buf, size_t len)
{
    char *have = NULL;
    size_t hl = 0;
    int missing = 0, same;
    if (fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &have, &hl, &missing) != 0 ||
        missing)
        return 0;
    same = hl == len && memcmp(have, buf, len) == 0;
    free(have);
    return same;
}

/* Read FILE and FILE.minisig. */
static int read_signed(const char *path, char **text, size_t *len, char **sig,
                       size_t *siglen, char **sig_path)
{
    int rc;
    *text = *sig = *sig_path = NULL;
    if ((*sig_path = fuin_cli_suffix(path, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    if ((rc = fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, text, len, NULL)) != 0)
        return rc;
    if (!fuin_cli_exists(*sig_path)) {
        fuin_cli_error(CMD, path, "its signature %s is missing (the CISO hands "
                                  "out both files)", *sig_path);
        return FUIN_EXIT_IO;
    }
    return fuin_cli_read_file(CMD, *sig_path, FUIN_CLI_PUBFILE_MAX, sig, siglen, NULL);
}

static void free_signed(char *text, char *sig, char *sig_path)
{
    free(text);
    free(sig);
    free(sig_path);
}

/* ---- store init ---------------------------------------------------------- */

/* "ab:CD 12..." -> "abcd12...": colons and spaces as people copy them. */
static void normalise_hex(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 1 < cap; in++) {
        char c = *in;
        if (c == ':' || c == ' ' || c == '-')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        out[o++] = c;
    }
    out[o] = '\0';
}

static int store_init(int argc, char **argv)
{
    store_args a;
    char *text = NULL, *dir = NULL, *root = NULL, *certs = NULL, err[512];
    char fp[65], hex[FUIN_KEYID_HEX], want[160];
    size_t len;
    fuin_pubkey pk;
    fuin_status s;
    int dir_existed = 1;
    int rc = parse(argc, argv, &a, "init");
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args != 1)
        return fuin_cli_usage(CMD, "init: give exactly one ROOT_PUBLIC_KEY (the "
                                   "CISO's root.pub)");
    if ((rc = fuin_cli_read_file(CMD, a.args[0], FUIN_CLI_PUBFILE_MAX, &text, &len,
                                 NULL)) != 0)
        return rc;
    err[0] = '\0';
    s = fuin_pubkey_parse(text, len, &pk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, a.args[0], "not a minisign public key: %s",
                       fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    fuin_cli_sha256_hex(text, len, fp);
    fuin_keyid_hex(pk.keyid, hex);
    if (a.fingerprint != NULL) {
        normalise_hex(a.fingerprint, want, sizeof want);
        if (strcmp(want, fp) != 0) {
            fuin_cli_error(CMD, a.args[0],
                           "SHA-256 is %s, not the published %s: this is not "
                           "the CISO's root key; do not use it",
                           fp, a.fingerprint);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    dir = strdup(store_dir(&a));
    if (dir == NULL || (root = fuin_cli_path(dir, "root.pub")) == NULL ||
        (certs = fuin_cli_path(dir, "certs")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if (fuin_cli_exists(root)) {
        if (same_content(root, text, len)) {
            printf("%s already trusts this root (key id %s)\n", dir, hex);
            rc = 0;
        } else {
            fuin_cli_error(CMD, root, "the store already trusts another root; "
                                      "a store holds one organisation's root");
            rc = FUIN_EXIT_EXISTS;
        }
        goto done;
    }
    /* The store is public (everyone verifies with it) and the CISO's:
     * 0755 directories, 0644 files. */
    dir_existed = fuin_cli_exists(dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(certs, 0755) != 0 && errno != EEXIST)) {
        fuin_cli_error(CMD, dir, "cannot create: %s%s", strerror(errno),
                       errno == EACCES && a.store == NULL
                           ? " (set up /etc/fuin as root, or give --store DIR)"
                           : "");
        rc = FUIN_EXIT_IO;
        goto done;
    }
    if ((rc = fuin_cli_write_public(CMD, root, text, len)) != 0) {
        /* a store without its root is no store: take back what init made */
        if (!dir_existed) {
            (void)rmdir(certs);
            (void)rmdir(dir);
        }
        goto done;
    }
    fuin_cli_sync_parent(root);
    printf("trust store: %s\n", dir);
    printf("root-key-id: %s\n", hex);
    printf("sha256:      %s\n", fp);
    if (a.fingerprint != NULL)
        printf("the SHA-256 matches the published fingerprint\n");
    else
        printf("compare the key id and SHA-256 with what the CISO published "
               "(on paper, by phone) before you rely on this store; "
               "--fingerprint checks it for you\n");
    printf("next: fuin store add CERT...  and  fuin store update policy.ini "
           "revoked.txt\n");
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    free(text);
    free(dir);
    free(root);
    free(certs);
    return rc;
}

/* ---- store add ------------------------------------------------------------ */

static int add_one(const store_args *a, const fuin_store *st, const char *path)
{
    char *text = NULL, *sig = NULL, *sig_path = NULL, *dest = NULL, *dest_sig = NULL;
    char *certs = NULL, err[512], until[FUIN_TIME_MAX], name[32];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = 0, siglen = 0, bl = strlen(base);
    fuin_cert cert;
    fuin_cli_staged s1 = {0}, s2 = {0};
    fuin_status s;
    int rc;

    if ((rc = read_signed(path, &text, &len, &sig, &siglen, &sig_path)) != 0)
        goto done;
    err[0] = '\0';
    s = fuin_cert_verify(text, len, sig, siglen, fuin_store_root(st), &cert, err,
                         sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "not a certificate from this store's root: %s",
                       fuin_cli_msg(err, s));
        rc = s == FUIN_E_SYNTAX || s == FUIN_E_SIGFORMAT ? FUIN_EXIT_FORMAT
                                                         : FUIN_EXIT_REFUSED;
        goto done;
    }
    err[0] = '\0';
    s = fuin_store_check_cert(st, &cert, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (bl <= 5 || strcmp(base + bl - 5, ".cert") != 0) {
        fuin_cli_error(CMD, path, "a certificate's name ends in .cert (as fuin "
                                  "ciso certify writes it)");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    /* Stored by serial: every person's file may be called card.cert. */
    snprintf(name, sizeof name, "%s.cert", cert.serial);
    if ((certs = fuin_cli_path(store_dir(a), "certs")) == NULL ||
        (dest = fuin_cli_path(certs, name)) == NULL ||
        (dest_sig = fuin_cli_suffix(dest, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if (mkdir(certs, 0755) != 0 && errno != EEXIST) {
        fuin_cli_error(CMD, certs, "cannot create: %s", strerror(errno));
        rc = FUIN_EXIT_IO;
        goto done;
    }
    fuin_time_format_rfc3339(cert.valid_until, until, sizeof until);
    if (same_content(dest, text, len) && same_content(dest_sig, sig, siglen)) {
        printf("%s: already in the store: %s (%s, serial %s)\n", fuin_cli_safe(path),
               fuin_cli_safe(cert.card.name), fuin_role_name(cert.role), cert.serial);
        goto done;
    }
    if (!a->force && (fuin_cli_exists(dest) || fuin_cli_exists(dest_sig))) {
        fuin_cli_error(CMD, dest, "a different file has this certificate's "
                                  "serial (use --force to replace it)");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    if ((rc = fuin_cli_stage(CMD, dest, text, len, 0644, a->force ? 1 : 0, &s1)) != 0 ||
        (rc = fuin_cli_stage(CMD, dest_sig, sig, siglen, 0644, a->force ? 1 : 0, &s2)) != 0 ||
        (rc = fuin_cli_commit_pair(CMD, &s1, &s2)) != 0)
        goto done;
    printf("%s: added %s%s%s%s (%s of %s, valid until %s, serial %s)\n", fuin_cli_safe(dest),
           fuin_cli_safe(cert.card.name), cert.card.email[0] ? " <" : "",
           fuin_cli_safe(cert.card.email), cert.card.email[0] ? ">" : "",
           fuin_role_name(cert.role), fuin_cli_safe(cert.organisation), until, cert.serial);
done:
    fuin_cli_discard(&s1);
    fuin_cli_discard(&s2);
    free_signed(text, sig, sig_path);
    free(certs);
    free(dest);
    free(dest_sig);
    return rc;
}

static int store_add(int argc, char **argv)
{
    store_args a;
    fuin_store *st = NULL;
    int rc = parse(argc, argv, &a, "add");
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args < 1)
        return fuin_cli_usage(CMD, "add: give one or more CERT files (each "
                                   "with CERT.minisig beside it)");
    if ((rc = open_existing(&a, &st)) != 0)
        return rc;
    for (int i = 0; i < a.n_args; i++) {
        int r = add_one(&a, st, a.args[i]);
        if (r != 0 && rc == 0)
            rc = r;
    }
    fuin_store_free(st);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

/* ---- store update ------------------------------------------------------- */

static int is_revocation_list(const char *text, size_t len)
{
    static const char head[] = "fuin-revocations: 1\n";
    return len >= sizeof head - 1 && memcmp(text, head, sizeof head - 1) == 0;
}

static int update_one(const store_args *a, const fuin_store *st, const char *path)
{
    char *text = NULL, *sig = NULL, *sig_path = NULL, *dest = NULL, *dest_sig = NULL;
    char err[1024], when[FUIN_TIME_MAX];
    size_t len = 0, siglen = 0;
    fuin_revocations *rl = NULL;
    fuin_cli_staged s1 = {0}, s2 = {0};
    fuin_cli_audit au = {0};
    int64_t signed_at = 0;
    int list, rc;
    fuin_status s;

    if ((rc = read_signed(path, &text, &len, &sig, &siglen, &sig_path)) != 0)
        goto done;
    list = is_revocation_list(text, len);
    err[0] = '\0';
    s = list ? fuin_store_check_revocations_update(st, text, len, sig, siglen, &rl,
                                                   err, sizeof err)
             : fuin_store_check_policy_update(st, text, len, sig, siglen, &signed_at,
                                              err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "not installed: %s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((dest = fuin_cli_path(store_dir(a), list ? "revoked.txt" : "policy.ini")) == NULL ||
        (dest_sig = fuin_cli_suffix(dest, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if (same_content(dest, text, len) && same_content(dest_sig, sig, siglen)) {
        printf("%s: already installed\n", dest);
        goto done;
    }
    if (!list) {
        /* the policy being installed decides whether its install is
         * recorded; a record that cannot be written stops it here */
        fuin_policy *np = NULL, *cur = NULL;
        if (fuin_policy_parse(text, len, dest, &np, NULL, 0) == FUIN_OK)
            rc = fuin_cli_audit_begin(CMD, np, NULL, NULL, NULL, &au);
        /* a policy that turns the record off is recorded under the one
         * it replaces */
        if (rc == 0 && au.a == NULL && (rc = fuin_cli_load_policy(CMD, st, &cur)) == 0)
            rc = fuin_cli_audit_begin(CMD, cur, NULL, NULL, NULL, &au);
        fuin_policy_free(np);
        fuin_policy_free(cur);
        if (rc != 0)
            goto done;
    }
    /* Replaced as a pair: the signature goes first, so that a crash in
     * between leaves a file whose signature does not verify, which the
     * store refuses loudly, never an old file passing as new. */
    if ((rc = fuin_cli_stage(CMD, dest_sig, sig, siglen, 0644, 1, &s1)) != 0 ||
        (rc = fuin_cli_stage(CMD, dest, text, len, 0644, 1, &s2)) != 0 ||
        (rc = fuin_cli_commit_pair(CMD, &s1, &s2)) != 0)
        goto done;
    if (list) {
        fuin_time_format_rfc3339(fuin_revocations_updated(rl), when, sizeof when);
        printf("%s: revocation list of %s updated %s installed (%zu key%s "
               "revoked)\n",
               dest, fuin_revocations_organisation(rl), when,
               fuin_revocations_count(rl), fuin_revocations_count(rl) == 1 ? "" : "s");
    } else {
        fuin_time_format_rfc3339(signed_at, when, sizeof when);
        printf("%s: policy signed %s installed\n", dest, when);
        char detail[FUIN_TIME_MAX + 32];
        snprintf(detail, sizeof detail, "policy signed %s", when);
        fuin_cli_audit_rec rec = {.op = "policy-install", .path = dest, .method = "fuin-policy",
                                  .detail = detail, .ok = 1};
        rc = fuin_cli_audit_end(&au, &rec, NULL);
    }
done:
    fuin_cli_audit_drop(&au);
    fuin_cli_discard(&s1);
    fuin_cli_discard(&s2);
    fuin_revocations_free(rl);
    free_signed(text, sig, sig_path);
    free(dest);
    free(dest_sig);
    return rc;
}

static int store_update(int argc, char **argv)
{
    store_args a;
    int rc = parse(argc, argv, &a, "update");
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args < 1)
        return fuin_cli_usage(CMD, "update: give policy.ini and/or revoked.txt "
                                   "(each with its .minisig)");
    for (int i = 0; i < a.n_args; i++) {
        /* Reopened for each file, so that a list installed first is the
         * one the next file is compared with. */
        fuin_store *st = NULL;
        int r = open_existing(&a, &st);
        if (r != 0) {
            rc = r; /* no store: nothing can be installed */
            break;
        }
        r = update_one(&a, st, a.args[i]);
        fuin_store_free(st);
        if (r != 0 && rc == 0)
            rc = r;
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

/* ---- store show ----------------------------------------------------------- */

static int store_show(int argc, char **argv)
{
    store_args a;
    fuin_store *st = NULL;
    char *root = NULL, *text = NULL, fp[65], hex[FUIN_KEYID_HEX], when[FUIN_TIME_MAX];
    size_t len = 0;
    const fuin_revocations *rl;
    json_t *obj = NULL, *certs = NULL;
    int rc = parse(argc, argv, &a, "show");
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args != 0)
        return fuin_cli_usage(CMD, "show: unexpected argument \"%s\"", a.args[0]);
    if ((rc = open_existing(&a, &st)) != 0)
        return rc;
    if ((root = fuin_cli_path(store_dir(&a), "root.pub")) == NULL ||
        (rc = fuin_cli_read_file(CMD, root, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL)) != 0) {
        if (rc == 0) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
        }
        goto done;
    }
    fuin_cli_sha256_hex(text, len, fp);
    fuin_keyid_hex(fuin_store_root(st)->keyid, hex);
    rl = fuin_store_revocations(st);
    if (a.json) {
        obj = json_object();
        certs = json_array();
        if (obj == NULL || certs == NULL)
            goto nomem;
        json_object_set_new(obj, "store", json_string(store_dir(&a)));
        json_object_set_new(obj, "root_key_id", json_string(hex));
        json_object_set_new(obj, "root_sha256", json_string(fp));
        if (rl != NULL) {
            fuin_time_format_rfc3339(fuin_revocations_updated(rl), when, sizeof when);
            json_object_set_new(obj, "revocations",
                                json_pack("{s:s,s:I}", "updated", when, "count",
                                          (json_int_t)fuin_revocations_count(rl)));
        } else {
            json_object_set_new(obj, "revocations", json_null());
        }
        if (fuin_store_policy_text(st, NULL) != NULL) {
            fuin_time_format_rfc3339(fuin_store_policy_signed(st), when, sizeof when);
            json_object_set_new(obj, "policy",
                                json_pack("{s:s,s:s}", "file", fuin_store_policy_path(st),
                                          "signed", when));
        } else {
            json_object_set_new(obj, "policy", json_null());
        }
    } else {
        printf("trust store:  %s\n", store_dir(&a));
        printf("root-key-id:  %s\n", hex);
        printf("root sha256:  %s\n", fp);
        if (rl != NULL) {
            fuin_time_format_rfc3339(fuin_revocations_updated(rl), when, sizeof when);
            printf("revocations:  updated %s, %zu key%s revoked\n", when,
                   fuin_revocations_count(rl), fuin_revocations_count(rl) == 1 ? "" : "s");
        } else {
            printf("revocations:  none installed: revocation cannot be checked "
                   "(fuin store update revoked.txt)\n");
        }
        if (fuin_store_policy_text(st, NULL) != NULL) {
            fuin_time_format_rfc3339(fuin_store_policy_signed(st), when, sizeof when);
            printf("policy:       %s, signed %s\n", fuin_store_policy_path(st), when);
        } else {
            printf("policy:       none installed: the built-in default applies\n");
        }
        printf("certificates: %zu\n", fuin_store_cert_count(st));
    }
    for (size_t i = 0; i < fuin_store_cert_count(st); i++) {
        const fuin_cert *c = fuin_store_cert(st, i);
        char why[512], until[FUIN_TIME_MAX];
        fuin_status s = fuin_store_check_cert(st, c, why, sizeof why);
        const char *status = s == FUIN_OK ? "valid" : s == FUIN_E_REVOKED ? "revoked"
                                                                          : "expired";
        fuin_time_format_rfc3339(c->valid_until, until, sizeof until);
        if (a.json) {
            json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", c->card.name,
                                  "email", c->card.email, "role", fuin_role_name(c->role),
                                  "serial", c->serial, "valid_until", until, "status",
                                  status);
            if (e == NULL || json_array_append_new(certs, e) != 0)
                goto nomem;
        } else {
            printf("  %s%s%s%s  %s  until %s  serial %s  %s\n", fuin_cli_safe(c->card.name),
                   c->card.email[0] ? " <" : "", fuin_cli_safe(c->card.email),
                   c->card.email[0] ? ">" : "", fuin_role_name(c->role), until,
                   c->serial, status);
        }
    }
    if (a.json) {
        char *out;
        json_object_set(obj, "certificates", certs);
        out = json_dumps(obj, JSON_COMPACT);
        if (out == NULL)
            goto nomem;
        printf("%s\n", out);
        free(out);
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    goto done;
nomem:
    fuin_cli_error(CMD, NULL, "out of memory");
    rc = FUIN_EXIT_INTERNAL;
done:
    json_decref(certs);
    json_decref(obj);
    free(root);
    free(text);
    fuin_store_free(st);
    return rc;
}

int fuin_cmd_store(int argc, char **argv)
{
    if (argc < 2)
        return fuin_cli_usage(CMD, "missing subcommand: init, add, update or show");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help(CMD);
    if (strcmp(argv[1], "init") == 0)
        return store_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "add") == 0)
        return store_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "update") == 0)
        return store_update(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return store_show(argc - 1, argv + 1);
    return fuin_cli_usage(CMD, "unknown subcommand \"%s\" (init, add, update or show)",
                          argv[1]);
}
