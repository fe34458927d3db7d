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

#include "audit.h"
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

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int sign_one(const sign_args *a, const char *file, const fuin_seckey *sk,
                    const fuin_cli_signer *si, const fuin_label *label,
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
    fuin_label label = {0, 0, 0, 0}, top = {0, 0, 0, 0}, *labels = NULL;
    int have_label = 0, rc = 0, any = 0, *has = NULL;
    char *dir = NULL, *key_path = NULL;
    const char *store_dir = a->store;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_seckey *sk = NULL;
    fuin_cli_signer si;
    fuin_cli_audit au;
    uint8_t *buf = NULL;
    fuin_status s;

    memset(&si, 0, sizeof si);
    memset(&au, 0, sizeof au);
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

    /* Each file's own label (xattr, name, document properties) applies
     * when --class is absent; a --class below it is refused.  The key is
     * checked against the highest of them before it is unlocked. */
    if ((labels = calloc((size_t)a->n_files + 1, sizeof *labels)) == NULL ||
        (has = calloc((size_t)a->n_files + 1, sizeof *has)) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    for (int i = 0; i < a->n_files; i++) {
        char pmsg[512];
        if (!fuin_cli_is_regular(a->files[i])) {
            labels[i] = label;
            has[i] = have_label;
            continue;
        }
        s = fuin_file_label_effective(a->files[i], have_label ? &label : NULL, pol, &labels[i],
                                      &has[i], pmsg, sizeof pmsg);
        /* a label that cannot be read refuses, like one that disagrees */
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, a->files[i], "%s%s", s == FUIN_E_POLICY ? "policy: " : "its label: ",
                           fuin_cli_msg(pmsg, s));
            rc = fuin_cli_exit_code(s, 0);
            goto done;
        }
        if (has[i]) {
            if (!any) {
                top = labels[i];
                any = 1;
            }
            if (labels[i].confidentiality > top.confidentiality)
                top.confidentiality = labels[i].confidentiality;
            if (labels[i].integrity > top.integrity)
                top.integrity = labels[i].integrity;
            if (labels[i].availability > top.availability)
                top.availability = labels[i].availability;
        }
    }
    if (!any && have_label) {
        top = label;
        any = 1;
    }
    /* Nothing is signed that cannot be recorded. */
    if ((rc = fuin_cli_audit_begin(CMD, pol, NULL, dir, NULL, &au)) != 0)
        goto done;
    if ((rc = fuin_cli_signer_setup(CMD, dir, a->seckey, key_path, a->passfile, store,
                                    store_dir, pol, any ? &top : NULL, &si, &sk)) != 0)
        goto done;

    /* Every file is tried; the exit status is the first failure's. */
    for (int i = 0; i < a->n_files; i++) {
        int r = sign_one(a, a->files[i], sk, &si, has[i] ? &labels[i] : NULL, buf);
        fuin_cli_audit_rec rec = {.op = "sign", .path = a->files[i], .label = has[i] ? &labels[i] : NULL,
                                  .method = "minisign-ed25519", .detail = si.signer, .ok = r == 0};
        if (fuin_cli_audit_record(&au, &rec, sk) != 0 && r == 0) {
            /* fail closed: a signature nobody recorded is taken back */
            char *p = fuin_cli_suffix(a->files[i], ".minisig");
            if (p != NULL)
                (void)unlink(p);
            free(p);
            r = FUIN_EXIT_IO;
        }
        if (r != 0 && rc == 0)
            rc = r;
    }
done:
    fuin_cli_audit_drop(&au);
    free(labels);
    free(has);
    free(buf);
    free(dir);
    free(key_path);
    fuin_cli_signer_free(&si);
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
