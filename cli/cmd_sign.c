/* fuin sign [-s SECRET_KEY] [--dir DIR] [--class LABEL] [-c COMMENT]
 *           [--passphrase-file FILE] [--store DIR] [--force] FILE... */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common.h"

static const char *const CMD = "sign";

/* Read size while hashing: large enough that system calls do not show in
 * the time of a 1 GiB file, small enough for constant memory. */
#define SIGN_CHUNK (1u << 16) /* as minisign: a 64 KiB buffer stays in cache */

enum { OPT_DIR = 256, OPT_CLASS, OPT_PASSFILE, OPT_STORE, OPT_FORCE };

static const struct option sign_options[] = {
    {"secret-key", required_argument, NULL, 's'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"class", required_argument, NULL, OPT_CLASS},
    {"comment", required_argument, NULL, 'c'},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *seckey;
    const char *dir;
    const char *class_text;
    const char *comment;
    const char *passfile;
    const char *store;
    int force;
    char **files;
    int n_files;
} sign_args;

/* Who signs: the name for the trusted comment and the certificate that
 * travels with each signature. */
typedef struct {
    fuin_pubkey pk;
    char signer[FUIN_TEXT_MAX];
    char *cert_text, *cert_sig;  /* NULL: no certificate found */
    size_t cert_len, cert_siglen;
    char *cert_path;
    int certified;               /* valid now by the trust store's rules */
    char why_not[1024];          /* when not certified: the real cause   */
    char other_cert[512];        /* a card.cert for another key, if seen */
} signer_info;

static void signer_info_free(signer_info *si)
{
    free(si->cert_text);
    free(si->cert_sig);
    free(si->cert_path);
}

static int parse_args(int argc, char **argv, sign_args *a, int *help)
{
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:c:h", sign_options, NULL)) != -1) {
        switch (c) {
        case 's':
            rc = fuin_cli_set_once(CMD, &a->seckey, optarg, "-s/--secret-key");
            break;
        case OPT_DIR:
            rc = fuin_cli_set_once(CMD, &a->dir, optarg, "--dir");
            break;
        case OPT_CLASS:
            rc = fuin_cli_set_once(CMD, &a->class_text, optarg, "--class");
            break;
        case 'c':
            rc = fuin_cli_set_once(CMD, &a->comment, optarg, "-c/--comment");
            break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &a->passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE:
            rc = fuin_cli_set_once(CMD, &a->store, optarg, "--store");
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
        if (rc != 0)
            return rc;
    }
    if (*help)
        return 0;
    if (optind >= argc)
        return fuin_cli_usage(CMD, "no FILE to sign");
    a->files = argv + optind;
    a->n_files = argc - optind;
    for (int i = 0; i < a->n_files; i++)
        if (strcmp(a->files[i], "-") == 0)
            return fuin_cli_usage(CMD, "cannot sign standard input: the "
                                       "signature is written to FILE.minisig");
    if (a->comment != NULL) {
        if (strpbrk(a->comment, "\r\n") != NULL)
            return fuin_cli_usage(CMD, "-c: the comment must be one line");
        if (strlen(a->comment) > FUIN_MAX_UNTRUSTED_COMMENT)
            return fuin_cli_usage(CMD, "-c: the comment is longer than %u bytes",
                                  FUIN_MAX_UNTRUSTED_COMMENT);
    }
    return 0;
}

/* Read a certificate and its .minisig; keep them if they certify pk.
 * Returns 1 if kept, 0 if absent or for another key, -1 (with *rc) on an
 * error worth stopping for. */
static int try_cert(const char *path, const fuin_pubkey *pk, signer_info *si,
                    int *rc)
{
    char *text = NULL, *sig = NULL, *sig_path = NULL;
    size_t len, siglen;
    int missing;
    fuin_cert cert;

    *rc = fuin_cli_read_file(CMD, path, FUIN_CLI_PUBFILE_MAX, &text, &len, &missing);
    if (*rc != 0)
        return -1;
    if (missing)
        return 0;
    if (fuin_cert_parse(text, len, &cert, NULL, 0) != FUIN_OK ||
        memcmp(cert.card.sign_pk.keyid, pk->keyid, FUIN_KEYID_BYTES) != 0 ||
        sodium_memcmp(cert.card.sign_pk.pk, pk->pk, sizeof pk->pk) != 0) {
        /* Remember it: "a certificate for another key" is the cause the
         * user needs to hear, not "no certificate". */
        if (si->other_cert[0] == '\0' &&
            fuin_cert_parse(text, len, &cert, NULL, 0) == FUIN_OK) {
            char theirs[FUIN_KEYID_HEX], ours[FUIN_KEYID_HEX];
            fuin_keyid_hex(cert.card.sign_pk.keyid, theirs);
            fuin_keyid_hex(pk->keyid, ours);
            snprintf(si->other_cert, sizeof si->other_cert,
                     "%.200s is the certificate of %.100s's key %s, not of this "
                     "key %s",
                     path, cert.card.name, theirs, ours);
        }
        free(text);
        return 0;
    }
    sig_path = fuin_cli_suffix(path, ".minisig");
    if (sig_path == NULL) {
        free(text);
        fuin_cli_error(CMD, NULL, "out of memory");
        *rc = FUIN_EXIT_INTERNAL;
        return -1;
    }
    *rc = fuin_cli_read_file(CMD, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                             &missing);
    if (*rc == 0 && missing) {
        fuin_cli_error(CMD, path, "certificate without its signature (no %s)",
                       sig_path);
        *rc = FUIN_EXIT_IO;
    }
    free(sig_path);
    if (*rc != 0) {
        free(text);
        return -1;
    }
    si->cert_text = text;
    si->cert_len = len;
    si->cert_sig = sig;
    si->cert_siglen = siglen;
    si->cert_path = strdup(path);
    if (si->cert_path == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        *rc = FUIN_EXIT_INTERNAL;
        return -1;
    }
    if (si->signer[0] == '\0')
        memcpy(si->signer, cert.card.name, sizeof si->signer);
    return 1;
}

/* The store's certs/ directory, for a signer whose own directory holds no
 * certificate. */
static int find_store_cert(const char *store_dir, const fuin_pubkey *pk,
                           signer_info *si)
{
    char *certs = fuin_cli_path(store_dir, "certs");
    DIR *d;
    struct dirent *e;
    int rc = 0;
    if (certs == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    d = opendir(certs);
    if (d == NULL) {
        free(certs);
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        char *path;
        int r;
        if (e->d_name[0] == '.' || k <= 5 || strcmp(e->d_name + k - 5, ".cert") != 0)
            continue;
        path = fuin_cli_path(certs, e->d_name);
        if (path == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
            break;
        }
        r = try_cert(path, pk, si, &rc);
        free(path);
        if (r != 0)
            break;
    }
    closedir(d);
    free(certs);
    return rc;
}

static int find_signer(const char *dir, const char *store_dir,
                       const fuin_store *store, const fuin_pubkey *pk,
                       signer_info *si)
{
    char *card_path = NULL, *cert_path = NULL, *text = NULL;
    size_t len;
    int missing, rc = 0, r;
    fuin_card card;

    si->pk = *pk;
    card_path = fuin_cli_path(dir, "card.pub");
    cert_path = fuin_cli_path(dir, "card.cert");
    if (card_path == NULL || cert_path == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    rc = fuin_cli_read_file(CMD, card_path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                            &missing);
    if (rc != 0)
        goto done;
    /* A card for another key (-s names a key from elsewhere) is not this
     * signer's and is ignored. */
    if (!missing && fuin_card_parse(text, len, &card, NULL, 0) == FUIN_OK &&
        memcmp(card.sign_pk.keyid, si->pk.keyid, FUIN_KEYID_BYTES) == 0 &&
        sodium_memcmp(card.sign_pk.pk, si->pk.pk, sizeof si->pk.pk) == 0)
        memcpy(si->signer, card.name, sizeof si->signer);
    r = try_cert(cert_path, &si->pk, si, &rc);
    if (r < 0)
        goto done;
    if (r == 0 && store_dir != NULL) {
        /* The store holds everybody's certificates: only a card.cert in
         * the key directory counts as "a certificate for another key". */
        char mine[sizeof si->other_cert];
        memcpy(mine, si->other_cert, sizeof mine);
        rc = find_store_cert(store_dir, &si->pk, si);
        memcpy(si->other_cert, mine, sizeof mine);
        if (rc != 0)
            goto done;
    }
    if (si->signer[0] == '\0')
        /* No card and no certificate: the key id is all there is. */
        fuin_keyid_hex(si->pk.keyid, si->signer);

    /* Certified, or exactly why not: each cause has its own words and
     * what to do about it. */
    {
        char hex[FUIN_KEYID_HEX];
        fuin_keyid_hex(si->pk.keyid, hex);
        if (store == NULL) {
            snprintf(si->why_not, sizeof si->why_not,
                     "no trust store (%s/root.pub does not exist), so no "
                     "certificate can be checked: set it up with `fuin store "
                     "init ROOT.pub` (or give --store DIR)",
                     FUIN_CLI_DEFAULT_STORE);
        } else if (si->cert_text == NULL && si->other_cert[0] != '\0') {
            snprintf(si->why_not, sizeof si->why_not,
                     "%s: put your own card.cert and card.cert.minisig beside "
                     "your key",
                     si->other_cert);
        } else if (si->cert_text == NULL) {
            snprintf(si->why_not, sizeof si->why_not,
                     "key %s has no certificate (no %s, none in the trust "
                     "store): have the CISO certify your card.pub (fuin ciso "
                     "certify) and put card.cert and card.cert.minisig beside "
                     "your key",
                     hex, cert_path);
        } else {
            fuin_cert cert;
            char err[512];
            fuin_status s;
            err[0] = '\0';
            s = fuin_cert_verify(si->cert_text, si->cert_len, si->cert_sig,
                                 si->cert_siglen, fuin_store_root(store), &cert, err,
                                 sizeof err);
            if (s != FUIN_OK) {
                snprintf(si->why_not, sizeof si->why_not,
                         "%s is not signed by the trust store's root: %s",
                         si->cert_path, fuin_cli_msg(err, s));
            } else if ((s = fuin_store_check_cert(store, &cert, err, sizeof err)) !=
                       FUIN_OK) {
                snprintf(si->why_not, sizeof si->why_not, "%s: %s%s", si->cert_path,
                         fuin_cli_msg(err, s),
                         s == FUIN_E_REVOKED
                             ? " (make a new key with fuin key new and have it "
                               "certified)"
                             : " (have the CISO certify your key again)");
            } else {
                si->certified = 1;
            }
        }
    }
done:
    free(text);
    free(card_path);
    free(cert_path);
    return rc;
}

/* The policy's word on this signer; a refusal says why the key is not
 * certified. */
static int check_sign_policy(const fuin_policy *pol, const fuin_label *label,
                             const signer_info *si)
{
    char msg[1024];
    fuin_status s;
    msg[0] = '\0';
    s = fuin_policy_check_sign(pol, label, si->certified, msg, sizeof msg);
    if (s == FUIN_E_POLICY) {
        if (!si->certified && si->why_not[0] != '\0')
            fuin_cli_error(CMD, NULL, "policy: %s; not certified: %s",
                           fuin_cli_msg(msg, s), si->why_not);
        else
            fuin_cli_error(CMD, NULL, "policy: %s", fuin_cli_msg(msg, s));
        return FUIN_EXIT_REFUSED;
    }
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int sign_one(const sign_args *a, const char *file, const fuin_seckey *sk,
                    const signer_info *si, const fuin_label *label,
                    uint8_t *buf)
{
    fuin_signer *sg = NULL;
    fuin_sigmeta meta;
    fuin_cli_staged staged = {0};
    char *trusted = NULL, *out = NULL, *sig_path;
    size_t outlen = 0;
    const char *name;
    int fd, rc = 0;
    fuin_status s;

    memset(&meta, 0, sizeof meta);
    sig_path = fuin_cli_suffix(file, ".minisig");
    if (sig_path == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    fd = fuin_cli_open_input(CMD, file, &name, &rc);
    if (fd < 0)
        goto done;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    sg = fuin_signer_new(sk);
    if (sg == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf, SIGN_CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fuin_cli_error(CMD, file, "cannot read: %s", strerror(errno));
            rc = FUIN_EXIT_IO;
            goto done;
        }
        if (r == 0)
            break;
        s = fuin_sign_update(sg, buf, (size_t)r);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, file, "%s", fuin_cli_msg(fuin_signer_errmsg(sg), s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
    }

    memcpy(meta.signer, si->signer, sizeof meta.signer);
    memcpy(meta.keyid, si->pk.keyid, FUIN_KEYID_BYTES);
    if (label != NULL) {
        meta.has_label = 1;
        meta.label = *label;
    }
    meta.time = (int64_t)time(NULL);
    if (si->cert_text != NULL &&
        (s = fuin_sigmeta_set_cert(&meta, si->cert_text, si->cert_len,
                                   si->cert_sig, si->cert_siglen)) != FUIN_OK) {
        fuin_cli_error(CMD, si->cert_path, "cannot attach the certificate: %s",
                       fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    /* The file name is informational (minisign records it too); a name the
     * comment cannot carry (TAB, control characters) is left out. */
    snprintf(meta.file, sizeof meta.file, "%s", base_name(file));
    if (strlen(base_name(file)) >= sizeof meta.file)
        meta.file[0] = '\0';
    s = fuin_sigmeta_format(&meta, &trusted);
    if (s == FUIN_E_INVALID && meta.file[0] != '\0') {
        meta.file[0] = '\0';
        s = fuin_sigmeta_format(&meta, &trusted);
    }
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, file, "cannot build the trusted comment: %s%s",
                       fuin_strerror(s),
                       s == FUIN_E_LIMIT ? " (certificate too large)" : "");
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    s = fuin_sign_final(sg, a->comment, trusted, &out, &outlen);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, file, "%s", fuin_cli_msg(fuin_signer_errmsg(sg), s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if ((rc = fuin_cli_stage(CMD, sig_path, out, outlen, 0644, a->force, &staged)) != 0)
        goto done;
    rc = fuin_cli_commit(CMD, &staged);
done:
    fuin_cli_discard(&staged);
    if (fd > STDIN_FILENO)
        close(fd);
    fuin_sigmeta_clear(&meta);
    fuin_signer_free(sg);
    free(trusted);
    free(out);
    free(sig_path);
    return rc;
}

static int run(const sign_args *a)
{
    fuin_label label;
    int have_label = 0, rc = 0;
    char *dir = NULL, *key_path = NULL, msg[1024];
    const char *store_dir = a->store;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_seckey *sk = NULL;
    char *pub_path = NULL;
    int early = 0;
    signer_info si;
    uint8_t *buf = NULL;
    fuin_status s;

    memset(&si, 0, sizeof si);
    if (a->class_text != NULL) {
        char err[256];
        err[0] = '\0';
        s = fuin_label_parse(a->class_text, &label, err, sizeof err);
        if (s != FUIN_OK) {
            if (err[0] != '\0')
                fuin_cli_error(CMD, NULL, "--class: %s", err);
            else
                fuin_cli_error(CMD, NULL, "--class \"%.200s\": %s", a->class_text,
                               fuin_strerror(s));
            return fuin_cli_exit_code(s, 1);
        }
        have_label = 1;
    }
    /* Existing signatures are checked before the passphrase is asked for;
     * the write itself refuses again, atomically. */
    if (!a->force) {
        for (int i = 0; i < a->n_files; i++) {
            char *p = fuin_cli_suffix(a->files[i], ".minisig");
            if (p == NULL) {
                fuin_cli_error(CMD, NULL, "out of memory");
                return FUIN_EXIT_INTERNAL;
            }
            if (fuin_cli_exists(p)) {
                fuin_cli_error(CMD, p, "file exists (use --force to replace it)");
                free(p);
                return FUIN_EXIT_EXISTS;
            }
            free(p);
        }
    }
    if (a->dir != NULL)
        dir = strdup(a->dir);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &dir)) != 0)
        return rc;
    if (dir == NULL ||
        (key_path = a->seckey ? strdup(a->seckey) : fuin_cli_path(dir, "sign.key")) ==
            NULL ||
        (buf = malloc(SIGN_CHUNK)) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_open_store(CMD, a->store, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0)
        goto done;
    if (store != NULL && store_dir == NULL)
        store_dir = FUIN_CLI_DEFAULT_STORE;

    /* Who signs is known from sign.pub before the passphrase is asked,
     * so a refusal (no certificate) asks for nothing.  With -s the key's
     * own file is all there is. */
    if (a->seckey == NULL && (pub_path = fuin_cli_path(dir, "sign.pub")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    early = a->seckey == NULL && fuin_cli_exists(pub_path);
    if (early) {
        fuin_pubkey pk;
        if ((rc = fuin_cli_load_operator_pub(CMD, dir, &pk)) != 0 ||
            (rc = find_signer(dir, store_dir, store, &pk, &si)) != 0)
            goto done;
        if ((rc = check_sign_policy(pol, have_label ? &label : NULL, &si)) != 0)
            goto done;
    }
    {
        fuin_cli_pass p = {.cmd = CMD, .file = a->passfile};
        if ((rc = fuin_cli_load_seckey(CMD, key_path, &p, &sk)) != 0)
            goto done;
    }
    if (early) {
        if ((rc = fuin_cli_same_operator(CMD, sk, &si.pk)) != 0)
            goto done;
    } else {
        fuin_pubkey pk;
        fuin_seckey_public(sk, &pk);
        if ((rc = find_signer(dir, store_dir, store, &pk, &si)) != 0 ||
            (rc = check_sign_policy(pol, have_label ? &label : NULL, &si)) != 0)
            goto done;
    }
    /* Allowed, but the certificate that travels with the signature will
     * not convince a verifier: say so. */
    if (!si.certified && si.cert_text != NULL)
        fuin_cli_error(CMD, NULL, "warning: %s", si.why_not);
    msg[0] = '\0';
    s = fuin_policy_check_sign(pol, have_label ? &label : NULL, si.certified, msg,
                               sizeof msg);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(msg, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (msg[0] != '\0')
        fuin_cli_error(CMD, NULL, "notice: %s", msg);

    /* Every file is tried; the exit status is the first failure's. */
    for (int i = 0; i < a->n_files; i++) {
        int r = sign_one(a, a->files[i], sk, &si, have_label ? &label : NULL, buf);
        if (r != 0 && rc == 0)
            rc = r;
    }
done:
    free(buf);
    free(dir);
    free(key_path);
    free(pub_path);
    signer_info_free(&si);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

int fuin_cmd_sign(int argc, char **argv)
{
    sign_args a;
    int help = 0, rc;
    memset(&a, 0, sizeof a);
    rc = parse_args(argc, argv, &a, &help);
    if (rc != 0)
        return rc;
    return help ? fuin_cli_print_help(CMD) : run(&a);
}
