/* Which root, revocation list and policy a verification uses: shared by
 * verify and unpack (cli/trustargs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* The revocation list for this run: --revocations FILE, else the trust
 * store's, else revoked.txt beside the --trust root key.  A list that is
 * there but does not verify is an error, never "nothing revoked".  *own
 * receives a list that the caller frees. */
static int load_revocations(const char *cmd, const char *trust, const char *store_dir,
                            const char *revocations, fuin_cli_trust *c,
                            const fuin_store *store, fuin_revocations **own)
{
    char *path = NULL, *text = NULL, *sig = NULL, *sig_path = NULL, err[512];
    size_t len = 0, siglen = 0;
    int rc = 0, missing = 0;
    fuin_status s;

    *own = NULL;
    if (revocations != NULL) {
        path = strdup(revocations);
    } else if (store != NULL && fuin_store_revocations(store) != NULL) {
        c->rl = fuin_store_revocations(store);
        snprintf(c->rl_source, sizeof c->rl_source, "the trust store %s/revoked.txt",
                 store_dir ? store_dir : FUIN_CLI_DEFAULT_STORE);
        return 0;
    } else if (trust != NULL) {
        const char *slash = strrchr(trust, '/');
        size_t dl = slash ? (size_t)(slash - trust) + 1 : 0;
        path = malloc(dl + sizeof "revoked.txt");
        if (path != NULL) {
            memcpy(path, trust, dl);
            memcpy(path + dl, "revoked.txt", sizeof "revoked.txt");
            if (!fuin_cli_exists(path)) {
                snprintf(c->rl_source, sizeof c->rl_source,
                         "no revocation list (%s, no %s beside the root key; "
                         "give --revocations FILE)",
                         store ? "none in the trust store" : "no trust store for this root",
                         path);
                free(path);
                return 0;
            }
        }
    } else {
        snprintf(c->rl_source, sizeof c->rl_source,
                 "no revocation list (%s; give --revocations FILE)",
                 store ? "the trust store has none" : "no trust store");
        return 0;
    }
    if (path == NULL || (sig_path = fuin_cli_suffix(path, ".minisig")) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_read_file(cmd, path, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL)) != 0)
        goto done;
    if ((rc = fuin_cli_read_file(cmd, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                                 &missing)) != 0)
        goto done;
    if (missing) {
        fuin_cli_error(cmd, path, "revocation list without its signature %s",
                       sig_path);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    err[0] = '\0';
    /* Lists are signed by the root: in -p mode that is the store's. */
    if (!c->release && store == NULL) {
        fuin_cli_error(cmd, path, "a revocation list is checked with the root "
                                  "key: give --store DIR (or use --trust)");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    s = fuin_revocations_parse_verified(text, len, sig, siglen,
                                        c->release ? &c->key : fuin_store_root(store),
                                        own, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, path, "revocation list not signed by the root: %s",
                       fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    c->rl = *own;
    snprintf(c->rl_source, sizeof c->rl_source, "%s", path);
done:
    free(path);
    free(text);
    free(sig);
    free(sig_path);
    return rc;
}

static int load_pubkey(const char *cmd, const char *path, fuin_pubkey *pk)
{
    char *text, err[512];
    size_t len;
    fuin_status s;
    int rc = fuin_cli_read_file(cmd, path, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL);
    if (rc != 0)
        return rc;
    err[0] = '\0';
    s = fuin_pubkey_parse(text, len, pk, err, sizeof err);
    free(text);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, path, "%s", fuin_cli_msg(err, s));
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

int fuin_cli_trust_open(const char *cmd, const char *pubkey, const char *trust,
                        const char *store_dir, const char *revocations, int need_key,
                        fuin_cli_trust *c)
{
    fuin_store *store = NULL;
    int rc = 0;
    memset(c, 0, sizeof *c);
    if ((rc = fuin_cli_open_store(cmd, store_dir, &store)) != 0)
        return rc;
    if (pubkey != NULL) {
        rc = load_pubkey(cmd, pubkey, &c->key);
    } else if (trust != NULL) {
        c->release = 1;
        rc = load_pubkey(cmd, trust, &c->key);
        if (rc == 0 && store != NULL &&
            memcmp(fuin_store_root(store)->keyid, c->key.keyid, FUIN_KEYID_BYTES) != 0) {
            if (store_dir != NULL) {
                char h1[FUIN_KEYID_HEX], h2[FUIN_KEYID_HEX];
                fuin_keyid_hex(fuin_store_root(store)->keyid, h1);
                fuin_keyid_hex(c->key.keyid, h2);
                rc = fuin_cli_usage(cmd,
                                    "--store %s belongs to root %s, not to the "
                                    "--trust root %s",
                                    store_dir, h1, h2);
            } else {
                /* Another organisation's release: the local store's list
                 * and certificates are about a different root. */
                fuin_store_free(store);
                store = NULL;
            }
        }
    } else if (store != NULL) {
        c->release = 1;
        c->key = *fuin_store_root(store);
    } else if (need_key) {
        rc = fuin_cli_usage(cmd, "no key: use -p PUBLIC_KEY or --trust "
                                 "ROOT_PUBLIC_KEY (no trust store at %s)",
                            FUIN_CLI_DEFAULT_STORE);
    }
    if (rc != 0)
        goto out;
    if ((rc = fuin_cli_load_policy(cmd, store, &c->pol)) != 0)
        goto out;
    if ((rc = load_revocations(cmd, trust, store_dir, revocations, c, store, &c->own_rl)) != 0)
        goto out;
out:
    c->store = store;
    return rc;
}

void fuin_cli_trust_close(fuin_cli_trust *c)
{
    fuin_revocations_free(c->own_rl);
    fuin_policy_free(c->pol);
    fuin_store_free(c->store);
    memset(c, 0, sizeof *c);
}
