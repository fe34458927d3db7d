/* Who signs and whether the signer is certified: shared by sign and
 * pack (cli/signer.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"

/* Who signs: the name for the trusted comment and the certificate that
 * travels with each signature. */

void fuin_cli_signer_free(fuin_cli_signer *si)
{
    free(si->cert_text);
    free(si->cert_sig);
    free(si->cert_path);
}


/* Read a certificate and its .minisig; keep them if they certify pk.
 * Returns 1 if kept, 0 if absent or for another key, -1 (with *rc) on an
 * error worth stopping for. */
static int try_cert(const char *path, const fuin_pubkey *pk, fuin_cli_signer *si,
                    int *rc)
{
    char *text = NULL, *sig = NULL, *sig_path = NULL;
    size_t len, siglen;
    int missing;
    fuin_cert cert;

    *rc = fuin_cli_read_file(si->cmd, path, FUIN_CLI_PUBFILE_MAX, &text, &len, &missing);
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
        fuin_cli_error(si->cmd, NULL, "out of memory");
        *rc = FUIN_EXIT_INTERNAL;
        return -1;
    }
    *rc = fuin_cli_read_file(si->cmd, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                             &missing);
    if (*rc == 0 && missing) {
        fuin_cli_error(si->cmd, path, "certificate without its signature (no %s)",
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
        fuin_cli_error(si->cmd, NULL, "out of memory");
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
                           fuin_cli_signer *si)
{
    char *certs = fuin_cli_path(store_dir, "certs");
    DIR *d;
    struct dirent *e;
    int rc = 0;
    if (certs == NULL) {
        fuin_cli_error(si->cmd, NULL, "out of memory");
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
            fuin_cli_error(si->cmd, NULL, "out of memory");
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

int fuin_cli_find_signer(const char *dir, const char *store_dir,
                       const fuin_store *store, const fuin_pubkey *pk,
                       fuin_cli_signer *si)
{
    char *card_path = NULL, *cert_path = NULL, *text = NULL;
    size_t len;
    int missing, rc = 0, r;
    fuin_card card;

    si->pk = *pk;
    card_path = fuin_cli_path(dir, "card.pub");
    cert_path = fuin_cli_path(dir, "card.cert");
    if (card_path == NULL || cert_path == NULL) {
        fuin_cli_error(si->cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    rc = fuin_cli_read_file(si->cmd, card_path, FUIN_CLI_PUBFILE_MAX, &text, &len,
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
int fuin_cli_check_sign_policy(const fuin_policy *pol, const fuin_label *label,
                             const fuin_cli_signer *si)
{
    char msg[1024];
    fuin_status s;
    msg[0] = '\0';
    s = fuin_policy_check_sign(pol, label, si->certified, msg, sizeof msg);
    if (s == FUIN_E_POLICY) {
        if (!si->certified && si->why_not[0] != '\0')
            fuin_cli_error(si->cmd, NULL, "policy: %s; not certified: %s",
                           fuin_cli_msg(msg, s), si->why_not);
        else
            fuin_cli_error(si->cmd, NULL, "policy: %s", fuin_cli_msg(msg, s));
        return FUIN_EXIT_REFUSED;
    }
    return 0;
}

int fuin_cli_signer_setup(const char *cmd, const char *dir, const char *seckey,
                          const char *key_path, const char *passfile,
                          const fuin_store *store, const char *store_dir,
                          const fuin_policy *pol, const fuin_label *label,
                          fuin_cli_signer *si, fuin_seckey **sk)
{
    char *pub_path = NULL, msg[1024];
    int early = 0, rc = 0;
    fuin_status s;
    si->cmd = cmd;
    /* Who signs is known from sign.pub before the passphrase is asked,
     * so a refusal (no certificate) asks for nothing.  With -s the key's
     * own file is all there is. */
    if (seckey == NULL && (pub_path = fuin_cli_path(dir, "sign.pub")) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto out;
    }
    early = seckey == NULL && fuin_cli_exists(pub_path);
    if (early) {
        fuin_pubkey pk;
        if ((rc = fuin_cli_load_operator_pub(cmd, dir, &pk)) != 0 ||
            (rc = fuin_cli_find_signer(dir, store_dir, store, &pk, si)) != 0)
            goto out;
        if ((rc = fuin_cli_check_sign_policy(pol, label, si)) != 0)
            goto out;
    }
    {
        fuin_cli_pass p = {.cmd = cmd, .file = passfile};
        if ((rc = fuin_cli_load_seckey(cmd, key_path, &p, sk)) != 0)
            goto out;
    }
    if (early) {
        if ((rc = fuin_cli_same_operator(cmd, *sk, &si->pk)) != 0)
            goto out;
    } else {
        fuin_pubkey pk;
        fuin_seckey_public(*sk, &pk);
        if ((rc = fuin_cli_find_signer(dir, store_dir, store, &pk, si)) != 0 ||
            (rc = fuin_cli_check_sign_policy(pol, label, si)) != 0)
            goto out;
    }
    /* Allowed, but the certificate that travels with the signature will
     * not convince a verifier: say so. */
    if (!si->certified && si->cert_text != NULL)
        fuin_cli_error(cmd, NULL, "warning: %s", si->why_not);
    msg[0] = '\0';
    s = fuin_policy_check_sign(pol, label, si->certified, msg,
                               sizeof msg);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, NULL, "%s", fuin_cli_msg(msg, s));
        rc = fuin_cli_exit_code(s, 0);
        goto out;
    }
    if (msg[0] != '\0')
        fuin_cli_error(cmd, NULL, "notice: %s", msg);

out:
    free(pub_path);
    return rc;
}
