/* The record of every operation, as the commands use it (docs/audit.md).
 * The work is libfuin's (fuin_audit_open / fuin_audit_append); this only
 * finds the policy, the operator and the ledger the way every command
 * does, and prints failures. */
#ifndef FUIN_CLI_AUDIT_H
#define FUIN_CLI_AUDIT_H

#include <stdint.h>

#include "fuin.h"

typedef struct {
    const char *cmd;
    fuin_audit *a;     /* NULL: the policy has the record off */
    char *ledger;
    int64_t start;
    unsigned syslog_failed; /* failures already reported */
} fuin_cli_audit;

typedef struct {
    const char *op;           /* FUIN_LEDGER_OPS                          */
    const char *path;         /* the file it was about, or NULL           */
    const char *hash_path;    /* hash and size this file (NULL: path, when
                                 it is a regular file)                    */
    const char *sha256;       /* or give the hash                         */
    int64_t size;             /* with sha256; -1 unknown                  */
    const fuin_label *label;  /* or NULL                                  */
    const char *method;       /* NULL: the op                             */
    const char *detail;       /* one line or NULL                         */
    const char *approver;
    const char *request;      /* hex SHA-256 of an approved request       */
    const char *asset;
    int ok;                   /* 1: success, 0: failure                   */
    const char *operator_name; /* NULL: as begin found it                 */
} fuin_cli_audit_rec;

/* Before the operation: with [audit] record = on in the policy (`pol`, or
 * loaded from the trust store `store` / the default one when pol is
 * NULL), check that the ledger (`ledger`, or ~/.config/fuin/ledger.jsonl)
 * can take a record, so that nothing is done that cannot be recorded.
 * `dir`: the operator's key directory (sign.pub, card.pub), or NULL.
 * 0 or an exit code after printing. */
int fuin_cli_audit_begin(const char *cmd, const fuin_policy *pol, const char *store,
                         const char *dir, const char *ledger, fuin_cli_audit *h);
/* After it: append the record, signed with `key` when not NULL.  0, or
 * FUIN_EXIT_IO after printing "the operation was not recorded" (fail
 * closed: the caller returns that).  Frees what begin took; safe to call
 * on a handle whose begin failed or recorded nothing. */
int fuin_cli_audit_end(fuin_cli_audit *h, const fuin_cli_audit_rec *rec, const fuin_seckey *key);
/* The same for one of several operations under one handle (one record
 * per file): the handle stays open; the next record starts now. */
int fuin_cli_audit_record(fuin_cli_audit *h, const fuin_cli_audit_rec *rec,
                          const fuin_seckey *key);
/* Drop the handle without recording (usage errors). */
void fuin_cli_audit_drop(fuin_cli_audit *h);

#endif
