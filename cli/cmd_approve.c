/* fuin approve REQUEST [--dir DIR] [--passphrase-file FILE] [--store DIR]
 * A certified manager, who is not the requester, signs REQUEST.approval
 * (separation of duties, policy 2.2(8)). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common.h"

static const char *const CMD = "approve";

enum { OPT_DIR = 256, OPT_PASSFILE, OPT_STORE };

static const struct option approve_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The approver's certificate: DIR/card.cert (+ .minisig) verified with the
 * root, else the store's certificate for the key.  Valid now, unrevoked,
 * for this very key.  0 or exit code after printing. */
static int approver_cert(const char *dir, const fuin_store *store,
                         const fuin_pubkey *pk, fuin_cert *out)
{
    char *base = NULL, *cpath = NULL, *spath = NULL, *ct = NULL, *st = NULL;
    size_t clen = 0, slen = 0;
    int missing = 0, rc;
    char err[1024], hex[FUIN_KEYID_HEX];
    fuin_status s;
    const fuin_cert *sc;

    fuin_keyid_hex(pk->keyid, hex);
    if (dir != NULL)
        base = strdup(dir);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &base)) != 0)
        return rc;
    if (base == NULL || (cpath = fuin_cli_path(base, "card.cert")) == NULL ||
        (spath = fuin_cli_suffix(cpath, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_read_file(CMD, cpath, FUIN_CLI_PUBFILE_MAX, &ct, &clen,
                                 &missing)) != 0)
        goto done;
    if (missing) {
        if ((sc = fuin_store_find_keyid(store, pk->keyid)) == NULL) {
            fuin_cli_error(CMD, NULL,
                           "your key %s has no valid certificate (no %s, none "
                           "in the trust store)", hex, cpath);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        *out = *sc;
    } else {
        if ((rc = fuin_cli_read_file(CMD, spath, FUIN_CLI_PUBFILE_MAX, &st,
                                     &slen, NULL)) != 0)
            goto done;
        err[0] = '\0';
        s = fuin_cert_verify(ct, clen, st, slen, fuin_store_root(store), out,
                             err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, cpath, "%s", fuin_cli_msg(err, s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        if (memcmp(out->card.sign_pk.keyid, pk->keyid, FUIN_KEYID_BYTES) != 0 ||
            sodium_memcmp(out->card.sign_pk.pk, pk->pk, sizeof pk->pk) != 0) {
            fuin_cli_error(CMD, cpath, "certificate is for another key, not %s", hex);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        err[0] = '\0';
        if ((s = fuin_store_check_cert(store, out, err, sizeof err)) != FUIN_OK) {
            fuin_cli_error(CMD, cpath, "%s", fuin_cli_msg(err, s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    rc = 0;
done:
    free(st);
    free(ct);
    free(spath);
    free(cpath);
    free(base);
    return rc;
}

int fuin_cmd_approve(int argc, char **argv)
{
    const char *dir = NULL, *passfile = NULL, *store_dir = NULL, *path;
    int c, rc = 0, help = 0;
    fuin_store *store = NULL;
    fuin_seckey *sk = NULL;
    fuin_signer *signer = NULL;
    fuin_pubkey pk;
    fuin_cert cert;
    fuin_cli_request rq;
    char name[FUIN_TEXT_MAX], hex[FUIN_KEYID_HEX], now[FUIN_TIME_MAX];
    char tc[FUIN_TEXT_MAX + 128], *sig = NULL, *apath = NULL;
    size_t siglen = 0;

    memset(&rq, 0, sizeof rq);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", approve_options, NULL)) != -1) {
        switch (c) {
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store"); break;
        case 'h': help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind + 1 != argc)
        return fuin_cli_usage(CMD, "exactly one REQUEST expected");
    path = argv[optind];
    if ((apath = fuin_cli_suffix(path, ".approval")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0)
        goto done;
    if (store == NULL) {
        fuin_cli_error(CMD, NULL, "no trust store (" FUIN_CLI_DEFAULT_STORE
                                  "); give --store DIR");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    if ((rc = fuin_cli_request_check(CMD, store, path, &rq)) != 0)
        goto done;
    if (fuin_cli_exists(apath)) {
        fuin_cli_error(CMD, apath, "already exists");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    /* What is being approved, before the approver's passphrase is asked:
     * nobody signs what they have not seen. */
    {
        char rhex[FUIN_KEYID_HEX];
        fuin_keyid_hex(rq.keyid, rhex);
        fprintf(stderr,
                "fuin: approve: %s: request to approve:\n"
                "  kind:      disposal (消去・廃棄)\n"
                "  asset:     %s\n"
                "  class:     %s\n"
                "  requester: %s (key %s)\n"
                "  reason:    %s\n"
                "  requested: %s\n",
                fuin_cli_safe(path), fuin_cli_safe(rq.asset), fuin_cli_safe(rq.class_text),
                fuin_cli_safe(rq.requester), rhex,
                fuin_cli_safe(rq.reason[0] ? rq.reason : "(none given)"),
                fuin_cli_safe(rq.created));
        fflush(stderr);
    }
    if ((rc = fuin_cli_load_operator(CMD, dir, passfile, &sk, name)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    fuin_keyid_hex(pk.keyid, hex);
    if ((rc = approver_cert(dir, store, &pk, &cert)) != 0)
        goto done;
    if (memcmp(pk.keyid, rq.keyid, FUIN_KEYID_BYTES) == 0 ||
        strcmp(cert.card.name, rq.requester) == 0) {
        fuin_cli_error(CMD, path,
                       "%s requested this disposal: the person who asks for a "
                       "permission never approves it", rq.requester);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (cert.role != FUIN_ROLE_MANAGER) {
        fuin_cli_error(CMD, path, "%s is certified as %s; only a manager approves",
                       cert.card.name, fuin_role_name(cert.role));
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    fuin_time_format_rfc3339((int64_t)time(NULL), now, sizeof now);
    snprintf(tc, sizeof tc, "fuin-approval approver:%s key-id:%s role:manager time:%s",
             cert.card.name, hex, now);
    if ((signer = fuin_signer_new(sk)) == NULL ||
        fuin_sign_update(signer, (const uint8_t *)rq.text, rq.len) != FUIN_OK ||
        fuin_sign_final(signer, "fuin disposal approval", tc, &sig, &siglen) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot sign the approval");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_write_public(CMD, apath, sig, siglen)) != 0)
        goto done;
    fprintf(stderr, "fuin: approve: %s: disposal of %s requested by %s approved by %s (%s)\n",
            fuin_cli_safe(path), fuin_cli_safe(rq.asset), fuin_cli_safe(rq.requester),
            fuin_cli_safe(cert.card.name), hex);
done:
    fuin_signer_free(signer);
    fuin_seckey_free(sk);
    fuin_store_free(store);
    fuin_cli_request_clear(&rq);
    free(sig);
    free(apath);
    return rc;
}
