/* The record of every operation (cli/audit.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "common.h"

/* The operator as known without a passphrase: the certified name of
 * DIR/card.pub when it belongs to DIR/sign.pub, else the key id of
 * sign.pub, else the login name (the library's default). */
static void operator_of(const char *dir, char name[FUIN_TEXT_MAX], fuin_pubkey *pk, int *have)
{
    char *base = NULL, *p = NULL, *text = NULL;
    size_t len = 0;
    fuin_card card;

    name[0] = '\0';
    *have = 0;
    if (dir != NULL)
        base = strdup(dir);
    else {
        const char *home = getenv("HOME");
        if (home != NULL && home[0] == '/')
            base = fuin_cli_path(home, ".config/fuin");
    }
    if (base == NULL)
        return;
    if ((p = fuin_cli_path(base, "sign.pub")) != NULL &&
        fuin_cli_read_file("audit", p, 64 * 1024, &text, &len, &(int){0}) == 0 && text != NULL &&
        fuin_pubkey_parse(text, len, pk, NULL, 0) == FUIN_OK) {
        *have = 1;
        fuin_keyid_hex(pk->keyid, name);
    }
    free(p);
    free(text);
    text = NULL;
    p = NULL;
    if (*have && (p = fuin_cli_path(base, "card.pub")) != NULL &&
        fuin_cli_read_file("audit", p, 64 * 1024, &text, &len, &(int){0}) == 0 && text != NULL &&
        fuin_card_parse(text, len, &card, NULL, 0) == FUIN_OK &&
        memcmp(card.sign_pk.keyid, pk->keyid, FUIN_KEYID_BYTES) == 0 &&
        sodium_memcmp(card.sign_pk.pk, pk->pk, sizeof pk->pk) == 0)
        memcpy(name, card.name, FUIN_TEXT_MAX);
    free(p);
    free(text);
    free(base);
}

int fuin_cli_audit_begin(const char *cmd, const fuin_policy *pol, const char *store,
                         const char *dir, const char *ledger, fuin_cli_audit *h)
{
    fuin_store *st = NULL;
    fuin_policy *own = NULL;
    char name[FUIN_TEXT_MAX], err[1024];
    fuin_pubkey pk;
    fuin_status s;
    int rc, have = 0;

    memset(h, 0, sizeof *h);
    h->cmd = cmd;
    h->start = (int64_t)time(NULL);
    if (pol == NULL) {
        if ((rc = fuin_cli_open_store(cmd, store, &st)) != 0)
            return rc;
        rc = fuin_cli_load_policy(cmd, st, &own);
        fuin_store_free(st);
        if (rc != 0)
            return rc;
        pol = own;
    }
    if (!fuin_policy_audit_record(pol)) {
        fuin_policy_free(own);
        return 0;
    }
    if ((rc = fuin_cli_ledger_path(cmd, ledger, &h->ledger)) != 0) {
        fuin_policy_free(own);
        return rc;
    }
    if (ledger == NULL) {
        /* the default ledger's directory is the private key directory */
        char *slash = strrchr(h->ledger, '/');
        if (slash != NULL && slash != h->ledger) {
            *slash = '\0';
            rc = fuin_cli_is_dir(h->ledger) ? 0 : fuin_cli_mkdir_private(cmd, h->ledger);
            *slash = '/';
            if (rc != 0) {
                fuin_policy_free(own);
                fuin_cli_audit_drop(h);
                return rc;
            }
        }
    }
    /* no key yet: the library names the operator by the login name */
    operator_of(dir, name, &pk, &have);
    err[0] = '\0';
    s = fuin_audit_open(pol, h->ledger, name, have ? pk.keyid : NULL, &h->a, err, sizeof err);
    fuin_policy_free(own);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, NULL,
                       "ledger: %s: the policy records every operation ([audit] record = "
                       "on), and the record cannot be written, so nothing was done",
                       fuin_cli_msg(err, s));
        fuin_cli_audit_drop(h);
        return s == FUIN_E_SYNTAX ? FUIN_EXIT_FORMAT : FUIN_EXIT_IO;
    }
    if (h->a == NULL)
        fuin_cli_audit_drop(h);
    return 0;
}

void fuin_cli_audit_drop(fuin_cli_audit *h)
{
    fuin_audit_free(h->a);
    h->a = NULL;
    free(h->ledger);
    h->ledger = NULL;
}

int fuin_cli_audit_end(fuin_cli_audit *h, const fuin_cli_audit_rec *rec, const fuin_seckey *key)
{
    int rc = fuin_cli_audit_record(h, rec, key);
    fuin_cli_audit_drop(h);
    return rc;
}

int fuin_cli_audit_record(fuin_cli_audit *h, const fuin_cli_audit_rec *rec,
                          const fuin_seckey *key)
{
    fuin_record r;
    char hex[65], err[1024];
    const char *hp;
    fuin_status s;
    int64_t size = -1;
    struct stat sb;
    char *abs = NULL;
    int std;

    if (h->a == NULL)
        return 0;
    memset(&r, 0, sizeof r);
    r.start = h->start;
    r.end = (int64_t)time(NULL);
    if (r.end < r.start)
        r.end = r.start;
    r.op = rec->op;
    r.operator_name = rec->operator_name;
    /* what came from a file (a signer's comment, a reason) shown as the
     * terminal would show it: no control or invisible characters */
    r.detail = rec->detail != NULL && rec->detail[0] ? fuin_cli_safe(rec->detail) : NULL;
    r.label = rec->label;
    r.approver = rec->approver;
    r.request = rec->request;
    r.asset_id = rec->asset;
    r.target_kind = rec->path != NULL ? "file" : "none";
    /* the absolute name, so that the record says which file it was; a
     * name that is not UTF-8 (Shift_JIS from an old medium) or holds
     * control characters is recorded escaped, as the terminal shows it */
    std = rec->path != NULL && (strcmp(rec->path, FUIN_CLI_STDIN_NAME) == 0 ||
                                strcmp(rec->path, FUIN_CLI_STDOUT_NAME) == 0);
    if (rec->path != NULL && !std && rec->path[0] != '/' &&
        (abs = realpath(rec->path, NULL)) != NULL)
        r.target_path = fuin_cli_safe(abs);
    else
        r.target_path = rec->path != NULL ? fuin_cli_safe(rec->path) : NULL;
    r.method = rec->method != NULL ? rec->method : rec->op;
    r.category = "none";
    r.result = rec->ok ? "success" : "failure";
    r.target_size = -1;
    if (rec->sha256 != NULL) {
        r.target_sha256 = rec->sha256;
        r.target_size = rec->size;
    } else {
        hp = rec->hash_path != NULL ? rec->hash_path : std ? NULL : rec->path;
        if (hp != NULL && strcmp(hp, "-") != 0 && lstat(hp, &sb) == 0 && S_ISREG(sb.st_mode) &&
            fuin_file_sha256(hp, hex, &size, NULL, 0) == FUIN_OK) {
            r.target_sha256 = hex;
            r.target_size = size;
        }
    }
    err[0] = '\0';
    s = fuin_audit_append(h->a, &r, key, err, sizeof err);
    h->start = (int64_t)time(NULL); /* the next operation's */
    if (s == FUIN_OK && fuin_audit_syslog_failures(h->a) > h->syslog_failed) {
        if (h->syslog_failed == 0)
            fuin_cli_error(h->cmd, NULL,
                           "note: the record did not reach the system log ([audit] "
                           "syslog_socket); it is in the ledger");
        h->syslog_failed = fuin_audit_syslog_failures(h->a);
    }
    free(abs);
    if (s != FUIN_OK) {
        fuin_cli_error(h->cmd, NULL, "ledger: %s: the operation was not recorded",
                       fuin_cli_msg(err, s));
        return FUIN_EXIT_IO;
    }
    return 0;
}
