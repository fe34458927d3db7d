/* fuin request disposal --asset ID --class LABEL [--reason TEXT] [--dir DIR]
 *                       [--passphrase-file FILE] [--store DIR] -o REQUEST
 * The operator's signed request that a manager approve a disposal
 * (separation of duties, policy 2.2(8)). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common.h"

static const char *const CMD = "request";

enum { OPT_ASSET = 256, OPT_CLASS, OPT_REASON, OPT_DIR, OPT_PASSFILE, OPT_STORE };

static const struct option request_options[] = {
    {"asset", required_argument, NULL, OPT_ASSET},
    {"class", required_argument, NULL, OPT_CLASS},
    {"reason", required_argument, NULL, OPT_REASON},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A request line value: one line of printable text. */
static int plain_value(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

int fuin_cmd_request(int argc, char **argv)
{
    const char *asset = NULL, *class_text = NULL, *reason = NULL, *dir = NULL;
    const char *passfile = NULL, *out = NULL, *store_dir = NULL;
    fuin_store *store = NULL;
    int c, rc = 0, help = 0;
    fuin_label label;
    char canon[FUIN_TEXT_MAX], err[256], name[FUIN_TEXT_MAX], hex[FUIN_KEYID_HEX];
    char created[FUIN_TIME_MAX], nonce_hex[17], tc[FUIN_TEXT_MAX + 64];
    uint8_t nonce[8];
    char *text = NULL, *sig = NULL, *sigpath = NULL;
    size_t tlen, siglen = 0;
    fuin_seckey *sk = NULL;
    fuin_signer *signer = NULL;
    fuin_pubkey pk;
    fuin_status s;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", request_options, NULL)) != -1) {
        switch (c) {
        case OPT_ASSET: rc = fuin_cli_set_once(CMD, &asset, optarg, "--asset"); break;
        case OPT_CLASS: rc = fuin_cli_set_once(CMD, &class_text, optarg, "--class"); break;
        case OPT_REASON: rc = fuin_cli_set_once(CMD, &reason, optarg, "--reason"); break;
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store"); break;
        case 'o': rc = fuin_cli_set_once(CMD, &out, optarg, "-o/--output"); break;
        case 'h': help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind >= argc || strcmp(argv[optind], "disposal") != 0)
        return fuin_cli_usage(CMD, "expected \"disposal\"");
    if (optind + 1 != argc)
        return fuin_cli_usage(CMD, "unexpected argument \"%.100s\"", argv[optind + 1]);
    if (asset == NULL || class_text == NULL || out == NULL)
        return fuin_cli_usage(CMD, "--asset, --class and -o are required");
    if (reason == NULL)
        reason = "";
    if (asset[0] == '\0' || strlen(asset) >= FUIN_TEXT_MAX || !plain_value(asset))
        return fuin_cli_usage(CMD, "--asset must be one line of text");
    if (strlen(reason) >= FUIN_REASON_MAX || !plain_value(reason))
        return fuin_cli_usage(CMD, "--reason must be one line of text");
    err[0] = '\0';
    if ((s = fuin_label_parse(class_text, &label, err, sizeof err)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "--class: %s", fuin_cli_msg(err, s));
        return fuin_cli_exit_code(s, 1);
    }
    if (fuin_label_format(&label, canon, sizeof canon) == 0) {
        fuin_cli_error(CMD, NULL, "--class: cannot format label");
        return FUIN_EXIT_INTERNAL;
    }
    if ((rc = fuin_cli_check_output(CMD, out, -1)) != 0)
        return rc;
    if ((sigpath = fuin_cli_suffix(out, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    if (fuin_cli_exists(sigpath)) {
        fuin_cli_error(CMD, sigpath, "already exists");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    /* A request only a certified requester can have approved: with a
     * trust store, say so now rather than at the manager's desk. */
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0)
        goto done;
    if (store != NULL) {
        fuin_pubkey op;
        if ((rc = fuin_cli_load_operator_pub(CMD, dir, &op)) != 0)
            goto done;
        if (fuin_store_find_keyid(store, op.keyid) == NULL) {
            fuin_keyid_hex(op.keyid, hex);
            fuin_cli_error(CMD, NULL,
                           "your key %s has no valid certificate in the trust "
                           "store, so no manager can approve a request signed "
                           "with it: have the CISO certify your card.pub and "
                           "install it (fuin store add)",
                           hex);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    if ((rc = fuin_cli_load_operator(CMD, dir, passfile, &sk, name)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    fuin_keyid_hex(pk.keyid, hex);
    fuin_time_format_rfc3339((int64_t)time(NULL), created, sizeof created);
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(nonce_hex, sizeof nonce_hex, nonce, sizeof nonce);
    tlen = strlen(asset) + strlen(canon) + strlen(reason) + strlen(name) + 256;
    if ((text = malloc(tlen)) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    tlen = (size_t)snprintf(text, tlen,
                            "fuin-disposal-request: 1\nasset: %s\nclass: %s\n"
                            "reason: %s\nrequester: %s\nrequester-key-id: %s\n"
                            "created: %s\nnonce: %s\n",
                            asset, canon, reason, name, hex, created, nonce_hex);
    snprintf(tc, sizeof tc, "fuin-disposal-request asset:%s", asset);
    if ((signer = fuin_signer_new(sk)) == NULL ||
        fuin_sign_update(signer, (const uint8_t *)text, tlen) != FUIN_OK ||
        (s = fuin_sign_final(signer, "fuin disposal request", tc, &sig, &siglen)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot sign the request");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_write_public(CMD, out, text, tlen)) != 0)
        goto done;
    if ((rc = fuin_cli_write_public(CMD, sigpath, sig, siglen)) != 0) {
        (void)remove(out);
        goto done;
    }
    fprintf(stderr, "fuin: request: %s: disposal of %s requested by %s (%s)\n",
            fuin_cli_safe(out), fuin_cli_safe(asset), fuin_cli_safe(name), hex);
done:
    fuin_store_free(store);
    fuin_signer_free(signer);
    fuin_seckey_free(sk);
    free(sig);
    free(text);
    free(sigpath);
    return rc;
}
