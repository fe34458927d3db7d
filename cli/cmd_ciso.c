/* fuin ciso init --org NAME [--dir DIR] [--passphrase-file FILE]
 * fuin ciso certify CARD --role staff|manager|sysadmin --until DATE [-o CERT]
 * fuin ciso revoke KEY_ID --reason TEXT
 * fuin ciso sign-policy POLICY_FILE [--force]
 * (all with [--dir DIR] [--passphrase-file FILE]) */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "ciso";

enum { OPT_ORG = 256, OPT_DIR, OPT_PASSFILE, OPT_STORE, OPT_ROLE, OPT_UNTIL,
       OPT_REASON, OPT_FORCE, OPT_NOT_ISSUED };

static const struct option init_options[] = {
    {"org", required_argument, NULL, OPT_ORG},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option certify_options[] = {
    {"role", required_argument, NULL, OPT_ROLE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"output", required_argument, NULL, 'o'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option revoke_options[] = {
    {"reason", required_argument, NULL, OPT_REASON},
    {"not-issued", no_argument, NULL, OPT_NOT_ISSUED},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option sign_policy_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Options of all subcommands; each subcommand's table decides which it
 * accepts. */
typedef struct {
    const char *org, *dir, *passfile, *store, *role, *until, *output, *reason;
    int force, not_issued;
    char **args;
    int n_args;
} ciso_args;

/* Returns 0 and fills a, 2 on a usage error, -1 for --help. */
static int parse(int argc, char **argv, const struct option *table,
                 ciso_args *a)
{
    int c, rc = 0, help = 0;
    memset(a, 0, sizeof *a);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", table, NULL)) != -1) {
        switch (c) {
        case OPT_ORG:
            rc = fuin_cli_set_once(CMD, &a->org, optarg, "--org");
            break;
        case OPT_DIR:
            rc = fuin_cli_set_once(CMD, &a->dir, optarg, "--dir");
            break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE:
            rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store");
            break;
        case OPT_ROLE:
            rc = fuin_cli_set_once(CMD, &a->role, optarg, "--role");
            break;
        case OPT_UNTIL:
            rc = fuin_cli_set_once(CMD, &a->until, optarg, "--until");
            break;
        case 'o':
            /* One short-option string for all subcommands: -o is
             * certify's only. */
            if (table != certify_options)
                return fuin_cli_usage(CMD, "unknown option \"-o\"");
            rc = fuin_cli_set_once(CMD, &a->output, optarg, "-o/--output");
            break;
        case OPT_REASON:
            rc = fuin_cli_set_once(CMD, &a->reason, optarg, "--reason");
            break;
        case OPT_FORCE:
            if (fuin_cli_set_flag(CMD, &a->force, "--force") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_NOT_ISSUED:
            if (fuin_cli_set_flag(CMD, &a->not_issued, "--not-issued") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return -1;
    a->args = argv + optind;
    a->n_args = argc - optind;
    return 0;
}

static char *ciso_dir(const ciso_args *a, int *rc)
{
    char *dir = NULL;
    *rc = 0;
    if (a->dir != NULL) {
        dir = strdup(a->dir);
        if (dir == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            *rc = FUIN_EXIT_INTERNAL;
        }
        return dir;
    }
    *rc = fuin_cli_default_dir(CMD, "ciso", &dir);
    return dir;
}

/* DIR/NAME, or NULL after printing (rc set). */
static char *in_dir(const char *dir, const char *name, int *rc)
{
    char *p = fuin_cli_path(dir, name);
    if (p == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        *rc = FUIN_EXIT_INTERNAL;
    }
    return p;
}

/* The organisation recorded by `ciso init` (first line of DIR/org.txt). */
static int read_org(const char *dir, char org[FUIN_TEXT_MAX])
{
    char *path, *text;
    size_t len, n;
    int rc = 0;
    if ((path = in_dir(dir, "org.txt", &rc)) == NULL)
        return rc;
    rc = fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL);
    if (rc == 0) {
        n = strcspn(text, "\r\n");
        if (n == 0 || n >= FUIN_TEXT_MAX) {
            fuin_cli_error(CMD, path, "no organisation name on the first line");
            rc = FUIN_EXIT_FORMAT;
        } else {
            memcpy(org, text, n);
            org[n] = '\0';
        }
        free(text);
    }
    free(path);
    return rc;
}

static int read_pubkey(const char *path, fuin_pubkey *pk)
{
    char *text, err[512];
    size_t len;
    fuin_status s;
    int rc = fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL);
    if (rc != 0)
        return rc;
    err[0] = '\0';
    s = fuin_pubkey_parse(text, len, pk, err, sizeof err);
    free(text);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

/* The root secret key of DIR, checked against DIR/root.pub so that a
 * mixed-up directory cannot sign with a key nobody trusts. */
static int load_root(const char *dir, const char *passfile, fuin_seckey **sk)
{
    char *key_path = NULL, *pub_path = NULL;
    fuin_pubkey pub, have;
    int rc = 0;
    *sk = NULL;
    if ((key_path = in_dir(dir, "root.key", &rc)) == NULL ||
        (pub_path = in_dir(dir, "root.pub", &rc)) == NULL)
        goto done;
    if ((rc = read_pubkey(pub_path, &pub)) != 0)
        goto done;
    {
        fuin_cli_pass p = {.cmd = CMD, .file = passfile,
                           .prompt = "Root key passphrase: "};
        if ((rc = fuin_cli_load_seckey(CMD, key_path, &p, sk)) != 0)
            goto done;
    }
    fuin_seckey_public(*sk, &have);
    if (memcmp(have.keyid, pub.keyid, FUIN_KEYID_BYTES) != 0 ||
        sodium_memcmp(have.pk, pub.pk, sizeof pub.pk) != 0) {
        fuin_cli_error(CMD, key_path, "does not match %s", pub_path);
        fuin_seckey_free(*sk);
        *sk = NULL;
        rc = FUIN_EXIT_FORMAT;
    }
done:
    free(key_path);
    free(pub_path);
    return rc;
}

/* Publish two staged files as a pair; if the second fails the first is
 * withdrawn again (only when it did not replace anything). */
/* ---- ciso init ------------------------------------------------------------ */

static int ciso_init(int argc, char **argv)
{
    ciso_args a;
    char *dir = NULL, *key_path = NULL, *pub_path = NULL, *org_path = NULL;
    char *pass = NULL, *key_text = NULL, *org_text = NULL;
    char pubtext[2048], comment[FUIN_MAX_UNTRUSTED_COMMENT + 1], hex[FUIN_KEYID_HEX];
    size_t plen = 0, key_len = 0, publen, org_len;
    char digest_hex[65];
    fuin_seckey *sk = NULL;
    fuin_pubkey pk;
    fuin_revocations *probe = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    int rc, wrote = 0, dir_existed = 1;
    fuin_status s;

    rc = parse(argc, argv, init_options, &a);
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args > 0)
        return fuin_cli_usage(CMD, "init: unexpected argument \"%s\"", a.args[0]);
    if (a.org == NULL)
        return fuin_cli_usage(CMD, "init: --org is required");
    /* The revocation list carries the organisation too; its rules are the
     * ones every signed file applies to the name. */
    s = fuin_revocations_new(a.org, 0, &probe);
    fuin_revocations_free(probe);
    if (s != FUIN_OK || strlen(a.org) >= FUIN_TEXT_MAX)
        return fuin_cli_usage(CMD, "init: --org \"%.200s\" is not a valid "
                                   "organisation name (one line, at most %d "
                                   "bytes, no control characters)",
                              a.org, FUIN_TEXT_MAX - 1);

    if ((dir = ciso_dir(&a, &rc)) == NULL)
        return rc;
    if ((key_path = in_dir(dir, "root.key", &rc)) == NULL ||
        (pub_path = in_dir(dir, "root.pub", &rc)) == NULL ||
        (org_path = in_dir(dir, "org.txt", &rc)) == NULL)
        goto done;
    {
        const char *paths[] = {key_path, pub_path, org_path};
        for (size_t i = 0; i < 3; i++) {
            if (fuin_cli_exists(paths[i])) {
                fuin_cli_error(CMD, paths[i],
                               "file exists (a root key is already there)");
                rc = FUIN_EXIT_EXISTS;
                goto done;
            }
        }
    }
    if ((rc = fuin_cli_open_store(CMD, a.store, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0)
        goto done;
    {
        fuin_cli_pass p = {.cmd = CMD, .file = a.passfile,
                           .prompt = "New root key passphrase: ",
                           .confirm_prompt = "Confirm root key passphrase: "};
        if ((rc = fuin_cli_new_passphrase(&p, pol, &pass, &plen)) != 0)
            goto done;
    }
    s = fuin_seckey_generate(&sk, &pk);
    if (s == FUIN_OK)
        s = fuin_seckey_format(sk, pass, plen, 0, 0, &key_text, &key_len);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot create the root key: %s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, s == FUIN_E_INVALID);
        goto done;
    }
    fuin_keyid_hex(pk.keyid, hex);
    snprintf(comment, sizeof comment, "fuin root key %s of %s", hex, a.org);
    publen = fuin_pubkey_format(&pk, comment, pubtext, sizeof pubtext);
    if (publen == 0 || publen >= sizeof pubtext)
        publen = fuin_pubkey_format(&pk, NULL, pubtext, sizeof pubtext);
    org_len = strlen(a.org) + 1;
    org_text = malloc(org_len + 1);
    if (publen == 0 || publen >= sizeof pubtext || org_text == NULL) {
        fuin_cli_error(CMD, NULL, "cannot format the root public key");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    snprintf(org_text, org_len + 1, "%s\n", a.org);

    dir_existed = fuin_cli_exists(dir);
    if ((rc = fuin_cli_mkdir_private(CMD, dir)) != 0)
        goto done;
    rc = fuin_cli_write_secret(CMD, key_path, key_text, key_len);
    if (rc == 0) {
        wrote = 1;
        rc = fuin_cli_write_public(CMD, pub_path, pubtext, publen);
    }
    if (rc == 0) {
        wrote = 2;
        rc = fuin_cli_write_public(CMD, org_path, org_text, org_len);
    }
    if (rc != 0) {
        if (wrote >= 2)
            unlink(pub_path);
        if (wrote >= 1)
            unlink(key_path);
        if (!dir_existed)
            (void)rmdir(dir);
        goto done;
    }
    fuin_cli_sync_parent(key_path);

    /* The fingerprint is of the file's bytes, so an outside verifier can
     * compare it with `sha256sum root.pub`. */
    fuin_cli_sha256_hex(pubtext, publen, digest_hex);
    printf("organisation: %s\n", a.org);
    printf("root-key-id:  %s\n", hex);
    printf("root.pub:     %s\n", pub_path);
    printf("sha256:       %s\n", digest_hex);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    free(dir);
    free(key_path);
    free(pub_path);
    free(org_path);
    free(org_text);
    fuin_secret_free(key_text);
    if (pass != NULL)
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

/* ---- ciso certify --------------------------------------------------------- */

/* --until must stay within the policy's lifetimes: the certificate's,
 * counted from now, and the key's, counted from the card's creation.  The
 * last allowed day counts whole, so "today + lifetime" as a date is
 * accepted. */
static int check_lifetime(const fuin_policy *pol, const char *key, int days,
                          int64_t from, const char *from_what, int64_t until,
                          const char *until_text)
{
    int64_t limit = from + (int64_t)days * 86400;
    char value[64], origin[512];
    unsigned line = 0;

    limit = limit - limit % 86400 + 86399;
    if (days > 0 && until <= limit)
        return 0;
    if (fuin_policy_value(pol, "keys", key, value, sizeof value, &line) != FUIN_OK)
        snprintf(value, sizeof value, "%d", days);
    fuin_policy_origin(pol, line, origin, sizeof origin);
    fuin_cli_error(CMD, NULL,
                   "policy: %s: [keys] %s = %s: --until %s is %lld days after %s",
                   origin, key, value, until_text,
                   (long long)((until - from + 86399) / 86400), from_what);
    return FUIN_EXIT_REFUSED;
}

/* CARD.pub -> CARD.cert; any other name gets ".cert" appended. */
static char *default_cert_path(const char *card_path)
{
    size_t n = strlen(card_path);
    char *p;
    if (n > 4 && strcmp(card_path + n - 4, ".pub") == 0)
        n -= 4;
    p = malloc(n + sizeof ".cert");
    if (p == NULL)
        return NULL;
    memcpy(p, card_path, n);
    memcpy(p + n, ".cert", sizeof ".cert");
    return p;
}

static int ciso_certify(int argc, char **argv)
{
    ciso_args a;
    char *dir = NULL, *card_text = NULL, *cert_path = NULL, *sig_path = NULL;
    char *cert_text = NULL, *sig_text = NULL, *issued = NULL, *copy = NULL;
    char org[FUIN_TEXT_MAX], err[512], t1[FUIN_TIME_MAX];
    size_t card_len, cert_len = 0, sig_len = 0;
    fuin_card card;
    fuin_cert cert = {0};
    fuin_role role;
    int64_t now, until;
    fuin_seckey *sk = NULL;
    fuin_cli_audit au = {0};
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_cli_staged st_cert = {0}, st_sig = {0};
    int rc;
    fuin_status s;

    rc = parse(argc, argv, certify_options, &a);
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args != 1)
        return fuin_cli_usage(CMD, "certify: give exactly one CARD");
    if (a.role == NULL)
        return fuin_cli_usage(CMD, "certify: --role is required "
                                   "(staff, manager, sysadmin or ciso)");
    if (a.until == NULL)
        return fuin_cli_usage(CMD, "certify: --until is required");
    if (fuin_role_parse(a.role, &role) != FUIN_OK)
        return fuin_cli_usage(CMD, "certify: --role \"%.100s\": not staff, "
                                   "manager, sysadmin or ciso",
                              a.role);
    if (fuin_time_parse_date(a.until, 1, &until) != FUIN_OK)
        return fuin_cli_usage(CMD, "certify: --until \"%.100s\": not a date "
                                   "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                              a.until);
    now = (int64_t)time(NULL);
    if (until <= now)
        return fuin_cli_usage(CMD, "certify: --until %s is in the past", a.until);

    rc = fuin_cli_read_file(CMD, a.args[0], FUIN_CLI_PUBFILE_MAX, &card_text,
                            &card_len, NULL);
    if (rc != 0)
        return rc;
    err[0] = '\0';
    s = fuin_card_parse(card_text, card_len, &card, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, a.args[0], "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    cert_path = a.output ? strdup(a.output) : default_cert_path(a.args[0]);
    if (cert_path == NULL || (sig_path = fuin_cli_suffix(cert_path, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_check_output(CMD, cert_path, -1)) != 0 ||
        (rc = fuin_cli_check_output(CMD, sig_path, -1)) != 0)
        goto done;
    if ((rc = fuin_cli_open_store(CMD, a.store, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = check_lifetime(pol, "certificate_lifetime_days",
                             fuin_policy_cert_lifetime_days(pol), now, "now", until,
                             a.until)) != 0 ||
        (rc = check_lifetime(pol, "key_lifetime_days",
                             fuin_policy_key_lifetime_days(pol), card.created,
                             "the key's creation (the card's created:)", until,
                             a.until)) != 0)
        goto done;
    if ((dir = ciso_dir(&a, &rc)) == NULL || (rc = read_org(dir, org)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, NULL, NULL, &au)) != 0 ||
        (rc = load_root(dir, a.passfile, &sk)) != 0)
        goto done;

    err[0] = '\0';
    s = fuin_cert_issue(&card, role, org, now, until, sk, &cert_text, &cert_len,
                        &sig_text, &sig_len);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, a.args[0], "cannot certify: %s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((rc = fuin_cli_stage(CMD, cert_path, cert_text, cert_len, 0644, -1, &st_cert)) != 0 ||
        (rc = fuin_cli_stage(CMD, sig_path, sig_text, sig_len, 0644, -1, &st_sig)) != 0 ||
        (rc = fuin_cli_commit_pair(CMD, &st_cert, &st_sig)) != 0)
        goto done;

    /* The CISO keeps a copy of everything issued, by serial number. */
    if (fuin_cert_parse(cert_text, cert_len, &cert, NULL, 0) == FUIN_OK &&
        (issued = fuin_cli_path(dir, "issued")) != NULL &&
        fuin_cli_mkdir_private(CMD, issued) == 0) {
        char name[32];
        snprintf(name, sizeof name, "%s.cert", cert.serial);
        if ((copy = fuin_cli_path(issued, name)) != NULL &&
            fuin_cli_write_public(CMD, copy, cert_text, cert_len) == 0) {
            char *csig = fuin_cli_suffix(copy, ".minisig");
            if (csig != NULL)
                (void)fuin_cli_write_public(CMD, csig, sig_text, sig_len);
            free(csig);
        }
    }
    fuin_time_format_rfc3339(until, t1, sizeof t1);
    {
        char detail[FUIN_TEXT_MAX * 2 + 200], kid[FUIN_KEYID_HEX];
        fuin_keyid_hex(card.sign_pk.keyid, kid);
        snprintf(detail, sizeof detail, "%s as %s until %s, serial %s, key %s", card.name,
                 fuin_role_name(role), t1, cert.serial, kid);
        fuin_cli_audit_rec rec = {.op = "certify", .path = cert_path, .method = "fuin-cert",
                                  .detail = detail, .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0) {
            /* fail closed: a certificate nobody recorded is not handed out */
            (void)unlink(cert_path);
            (void)unlink(sig_path);
            if (copy != NULL) {
                char *csig = fuin_cli_suffix(copy, ".minisig");
                (void)unlink(copy);
                if (csig != NULL)
                    (void)unlink(csig);
                free(csig);
            }
            rc = FUIN_EXIT_IO;
            goto done;
        }
    }
    printf("certified %s%s%s%s as %s of %s until %s (serial %s)\n", fuin_cli_safe(card.name),
           card.email[0] ? " <" : "", fuin_cli_safe(card.email), card.email[0] ? ">" : "",
           fuin_role_name(role), fuin_cli_safe(org), t1, cert.serial);
    printf("%s\n%s\n", cert_path, sig_path);
    /* What to hand to whom: both files, to the person and to every
     * workstation's trust store. */
    printf("give both files to %s: they go beside the key as card.cert and "
           "card.cert.minisig (in ~/.config/fuin)\n",
           card.name);
    printf("install them on every workstation: fuin store add %s\n", cert_path);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_cli_audit_drop(&au);
    fuin_cli_discard(&st_cert);
    fuin_cli_discard(&st_sig);
    free(dir);
    free(card_text);
    free(cert_path);
    free(sig_path);
    free(cert_text);
    free(sig_text);
    free(issued);
    free(copy);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

/* ---- ciso revoke ---------------------------------------------------------- */

/* A key id as people copy it: 1 to 16 hex digits.  Debian's minisign
 * prints key ids without their leading zeros, so shorter ids are padded
 * on the left; the id must then match an issued certificate. */
static int parse_keyid(const char *text, uint8_t keyid[FUIN_KEYID_BYTES])
{
    char full[FUIN_KEYID_HEX];
    size_t n = strlen(text);
    if (n == 0 || n > 16 || strspn(text, "0123456789abcdefABCDEF") != n)
        return -1;
    memset(full, '0', 16 - n);
    memcpy(full + 16 - n, text, n + 1);
    return fuin_keyid_from_hex(full, keyid) == FUIN_OK ? 0 : -1;
}

/* The certificates the CISO issued for this key (DIR/issued/), described
 * in who (one line: "山田 花子 <a@b> (staff, certificate SERIAL valid
 * until T)", several joined by "; ").  Returns how many. */
static int issued_for(const char *dir, const uint8_t keyid[FUIN_KEYID_BYTES],
                      char *who, size_t cap)
{
    char *issued = fuin_cli_path(dir, "issued");
    DIR *d = issued ? opendir(issued) : NULL;
    struct dirent *e;
    int n = 0;
    size_t used = 0;
    who[0] = '\0';
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        char *path, *text = NULL, until[FUIN_TIME_MAX];
        size_t len;
        int missing;
        fuin_cert c;
        if (k <= 5 || strcmp(e->d_name + k - 5, ".cert") != 0 ||
            (path = fuin_cli_path(issued, e->d_name)) == NULL)
            continue;
        if (fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                               &missing) == 0 &&
            !missing && fuin_cert_parse(text, len, &c, NULL, 0) == FUIN_OK &&
            memcmp(c.card.sign_pk.keyid, keyid, FUIN_KEYID_BYTES) == 0) {
            int w;
            fuin_time_format_rfc3339(c.valid_until, until, sizeof until);
            w = snprintf(who + used, used < cap ? cap - used : 0,
                         "%s%s%s%s%s (%s, certificate %s valid until %s)",
                         n ? "; " : "", c.card.name, c.card.email[0] ? " <" : "",
                         c.card.email, c.card.email[0] ? ">" : "",
                         fuin_role_name(c.role), c.serial, until);
            if (w > 0)
                used += (size_t)w;
            n++;
        }
        free(text);
        free(path);
    }
    if (d != NULL)
        closedir(d);
    free(issued);
    return n;
}

static int ciso_revoke(int argc, char **argv)
{
    ciso_args a;
    char *dir = NULL, *list_path = NULL, *sig_path = NULL, *pub_path = NULL;
    char *text = NULL, *sig = NULL, *new_text = NULL, *new_sig = NULL;
    char org[FUIN_TEXT_MAX], err[512], when[FUIN_TIME_MAX];
    size_t len = 0, siglen = 0, new_len = 0, new_siglen = 0;
    uint8_t keyid[FUIN_KEYID_BYTES];
    fuin_pubkey root;
    fuin_revocations *rl = NULL;
    fuin_seckey *sk = NULL;
    fuin_cli_audit au = {0};
    fuin_cli_staged st_list = {0}, st_sig = {0};
    int64_t now = (int64_t)time(NULL), t;
    const char *old_reason;
    char hexid[FUIN_KEYID_HEX], who[2048];
    int rc, missing, n_issued;
    fuin_status s;

    rc = parse(argc, argv, revoke_options, &a);
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args != 1)
        return fuin_cli_usage(CMD, "revoke: give exactly one KEY_ID");
    if (parse_keyid(a.args[0], keyid) != 0)
        return fuin_cli_usage(CMD, "revoke: \"%.100s\" is not a key id "
                                   "(up to 16 hex digits, as `fuin key show` "
                                   "prints)",
                              a.args[0]);
    fuin_keyid_hex(keyid, hexid);
    if (a.reason == NULL)
        return fuin_cli_usage(CMD, "revoke: --reason is required");

    if ((dir = ciso_dir(&a, &rc)) == NULL)
        return rc;
    if ((list_path = in_dir(dir, "revoked.txt", &rc)) == NULL ||
        (sig_path = in_dir(dir, "revoked.txt.minisig", &rc)) == NULL ||
        (pub_path = in_dir(dir, "root.pub", &rc)) == NULL)
        goto done;
    if ((rc = read_org(dir, org)) != 0 || (rc = read_pubkey(pub_path, &root)) != 0)
        goto done;
    /* Whose key is it?  A typo must not leave the lost key valid while a
     * key nobody holds is revoked. */
    n_issued = issued_for(dir, keyid, who, sizeof who);
    if (n_issued == 0 && !a.not_issued) {
        fuin_cli_error(CMD, NULL,
                       "revoke: key %s was never certified by this root (no "
                       "certificate for it in %s/issued): check the key id "
                       "(fuin key show prints it); --not-issued revokes it "
                       "anyway",
                       hexid, dir);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    rc = fuin_cli_read_file(CMD, list_path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                            &missing);
    if (rc != 0)
        goto done;
    if (missing) {
        s = fuin_revocations_new(org, now, &rl);
    } else {
        rc = fuin_cli_read_file(CMD, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                                NULL);
        if (rc != 0)
            goto done;
        err[0] = '\0';
        /* The list is extended only if it is the root's own: a tampered
         * list must not be re-signed. */
        s = fuin_revocations_parse_verified(text, len, sig, siglen, &root, &rl,
                                            err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, list_path, "%s", fuin_cli_msg(err, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (fuin_revocations_find(rl, keyid, &t, &old_reason)) {
        fuin_time_format_rfc3339(t, when, sizeof when);
        fuin_cli_error(CMD, list_path, "key %s is already revoked (%s: %s)",
                       hexid, when, old_reason ? old_reason : "");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    s = fuin_revocations_add(rl, keyid, now, a.reason);
    if (s == FUIN_E_INVALID) {
        rc = fuin_cli_usage(CMD, "revoke: --reason must be one line of text, "
                                 "at most %d bytes, without control characters",
                            FUIN_REASON_MAX);
        goto done;
    }
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    fuin_revocations_set_updated(rl, now);
    if ((rc = fuin_cli_audit_begin(CMD, NULL, a.store, NULL, NULL, &au)) != 0 ||
        (rc = load_root(dir, a.passfile, &sk)) != 0)
        goto done;
    s = fuin_revocations_sign(rl, sk, &new_text, &new_len, &new_sig, &new_siglen);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, list_path, "cannot sign: %s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((rc = fuin_cli_stage(CMD, list_path, new_text, new_len, 0644, 1, &st_list)) != 0 ||
        (rc = fuin_cli_stage(CMD, sig_path, new_sig, new_siglen, 0644, 1, &st_sig)) != 0 ||
        (rc = fuin_cli_commit_pair(CMD, &st_list, &st_sig)) != 0)
        goto done;
    printf("revoked %s: %s\n", hexid, a.reason);
    if (n_issued > 0)
        printf("holder: %s\n", fuin_cli_safe(who));
    else
        printf("holder: none known (no certificate of this root names the key)\n");
    printf("%s\n%s\n", list_path, sig_path);
    printf("install the list on every workstation: fuin store update %s\n",
           list_path);
    {
        char detail[FUIN_REASON_MAX + FUIN_TEXT_MAX + 64];
        snprintf(detail, sizeof detail, "key %s (%s): %s", hexid,
                 n_issued > 0 ? who : "holder unknown", a.reason);
        fuin_cli_audit_rec rec = {.op = "revoke", .path = list_path, .method = "fuin-revocations",
                                  .detail = detail, .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0)
            rc = FUIN_EXIT_IO;
    }
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_cli_audit_drop(&au);
    fuin_cli_discard(&st_list);
    fuin_cli_discard(&st_sig);
    free(dir);
    free(list_path);
    free(sig_path);
    free(pub_path);
    free(text);
    free(sig);
    free(new_text);
    free(new_sig);
    fuin_revocations_free(rl);
    fuin_seckey_free(sk);
    return rc;
}

/* ---- ciso sign-policy ------------------------------------------------------ */

static int ciso_sign_policy(int argc, char **argv)
{
    ciso_args a;
    char *dir = NULL, *text = NULL, *sig_path = NULL, *out = NULL, *trusted = NULL;
    char org[FUIN_TEXT_MAX], err[1024], when[FUIN_TIME_MAX];
    size_t len, outlen = 0, tlen;
    const char *path, *base;
    fuin_policy *pol = NULL;
    fuin_seckey *sk = NULL;
    fuin_signer *sg = NULL;
    fuin_cli_staged st = {0};
    int64_t now = (int64_t)time(NULL);
    int rc;
    fuin_status s;

    rc = parse(argc, argv, sign_policy_options, &a);
    if (rc != 0)
        return rc < 0 ? fuin_cli_print_help(CMD) : rc;
    if (a.n_args != 1)
        return fuin_cli_usage(CMD, "sign-policy: give exactly one POLICY_FILE");
    path = a.args[0];
    rc = fuin_cli_read_file(CMD, path, FUIN_POLICY_MAX_BYTES, &text, &len, NULL);
    if (rc != 0)
        return rc;
    /* Only a policy that parses is signed: a signed policy with an error
     * would lock every user out. */
    err[0] = '\0';
    s = fuin_policy_parse(text, len, path, &pol, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(err, s));
        rc = s == FUIN_E_LIMIT ? FUIN_EXIT_FORMAT : fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((sig_path = fuin_cli_suffix(path, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_check_output(CMD, sig_path, a.force)) != 0)
        goto done;
    if ((dir = ciso_dir(&a, &rc)) == NULL || (rc = read_org(dir, org)) != 0)
        goto done;
    if (strcmp(fuin_policy_organisation(pol), org) != 0) {
        fuin_cli_error(CMD, path,
                       "[organisation] name is \"%s\", but the root key in %s "
                       "belongs to \"%s\"",
                       fuin_policy_organisation(pol), dir, org);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if ((rc = load_root(dir, a.passfile, &sk)) != 0)
        goto done;

    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    fuin_time_format_rfc3339(now, when, sizeof when);
    tlen = strlen(base) + 128;
    trusted = malloc(tlen);
    sg = fuin_signer_new(sk);
    if (trusted == NULL || sg == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    /* minisign's own fields first, as in every fuin signature. */
    snprintf(trusted, tlen, "timestamp:%lld\tfile:%s\thashed\tfuin-policy\ttime:%s",
             (long long)now, base, when);
    if (strpbrk(base, "\t\r\n") != NULL)
        snprintf(trusted, tlen, "timestamp:%lld\tfile:\thashed\tfuin-policy\ttime:%s",
                 (long long)now, when);
    s = fuin_sign_update(sg, (const uint8_t *)text, len);
    if (s == FUIN_OK)
        s = fuin_sign_final(sg, "signature from fuin root key", trusted, &out, &outlen);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "cannot sign: %s",
                       fuin_cli_msg(fuin_signer_errmsg(sg), s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((rc = fuin_cli_stage(CMD, sig_path, out, outlen, 0644, a.force, &st)) != 0 ||
        (rc = fuin_cli_commit(CMD, &st)) != 0)
        goto done;
    printf("%s\n", sig_path);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
done:
    fuin_cli_discard(&st);
    free(dir);
    free(text);
    free(sig_path);
    free(out);
    free(trusted);
    fuin_signer_free(sg);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    return rc;
}

int fuin_cmd_ciso(int argc, char **argv)
{
    if (argc < 2)
        return fuin_cli_usage(CMD, "missing subcommand: init, certify, revoke "
                                   "or sign-policy");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help(CMD);
    if (strcmp(argv[1], "init") == 0)
        return ciso_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "certify") == 0)
        return ciso_certify(argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0)
        return ciso_revoke(argc - 1, argv + 1);
    if (strcmp(argv[1], "sign-policy") == 0)
        return ciso_sign_policy(argc - 1, argv + 1);
    return fuin_cli_usage(CMD, "unknown subcommand \"%s\" (init, certify, revoke "
                               "or sign-policy)",
                          argv[1]);
}
