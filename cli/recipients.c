/* Recipients of an encryption: age1 keys, -R files and certified
 * colleagues' names (shared by encrypt and pack). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

/* Every recipient the file is encrypted to, for the policy's count of
 * uncertified ones. */

static int remember(fuin_cli_recipients *l, const char *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    if ((l->items[l->n] = strdup(r)) == NULL)
        return -1;
    l->n++;
    return 0;
}

void fuin_cli_recipients_free(fuin_cli_recipients *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
}

/* Add one recipient string; `file`/`lineno` name where it came from. */
static int add_recipient(const char *cmd, fuin_encryptor *e, fuin_cli_recipients *seen, const char *r,
                         const char *file, int lineno)
{
    fuin_status s = fuin_recipient_check(r);
    const char *detail;
    char where[64] = "";
    if (s == FUIN_OK)
        s = fuin_encryptor_add_recipient(e, r);
    else
        /* Only for the detail: the check says "no", the handle says why. */
        (void)fuin_encryptor_add_recipient(e, r);
    if (s == FUIN_OK) {
        if (remember(seen, r) == 0)
            return 0;
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    detail = fuin_cli_msg(fuin_encryptor_errmsg(e), s);
    if (lineno > 0)
        snprintf(where, sizeof where, "line %d: ", lineno);
    if (strstr(detail, "invalid recipient") != NULL)
        fuin_cli_error(cmd, file, "%s%s", where, detail);
    else
        fuin_cli_error(cmd, file, "%sinvalid recipient \"%.200s\": %s", where, r,
                       detail);
    return s == FUIN_E_KEY || s == FUIN_E_INVALID ? FUIN_EXIT_USAGE
                                                  : fuin_cli_exit_code(s, 1);
}

static int add_recipients_file(const char *cmd, fuin_encryptor *e, fuin_cli_recipients *seen,
                               const char *path)
{
    char *text, *line;
    size_t len, pos = 0;
    int lineno = 0, count = 0, rc;

    rc = fuin_cli_read_keyfile(cmd, path, path, &text, &len);
    if (rc != 0)
        return rc;
    while ((line = fuin_cli_next_line(text, len, &pos, &lineno)) != NULL) {
        rc = add_recipient(cmd, e, seen, line, path, lineno);
        if (rc != 0)
            break;
        count++;
    }
    fuin_cli_free_secret(text, len + 1);
    if (rc == 0 && count == 0) {
        fuin_cli_error(cmd, path, "no recipients found");
        rc = FUIN_EXIT_USAGE;
    }
    return rc;
}

/* Does -r look like a key rather than a person?  Then it is checked as a
 * key, never looked up as a name. */
static int looks_like_key(const char *r)
{
    return strncasecmp(r, "age1", 4) == 0 || strncasecmp(r, "AGE-", 4) == 0;
}

/* -r NAME or -r ADDRESS: the certified colleague's age recipient from the
 * trust store.  out has FUIN_RECIPIENT_MAX bytes. */
static int resolve_person(const char *cmd, const fuin_store *store, const char *store_dir,
                          const char *who, char *out)
{
    const fuin_cert *c = NULL;
    char err[1024];
    fuin_status s;
    if (store == NULL) {
        fuin_cli_error(cmd, NULL,
                       "invalid recipient \"%.200s\": not an age1... key, and "
                       "there is no trust store at %s to look up names in",
                       who, store_dir ? store_dir : FUIN_CLI_DEFAULT_STORE);
        return FUIN_EXIT_USAGE;
    }
    err[0] = '\0';
    s = fuin_store_resolve(store, who, &c, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, NULL, "-r \"%.200s\": %s", who, fuin_cli_msg(err, s));
        /* An unknown or ambiguous name is a bad argument; a colleague whose
         * certificate expired or was revoked is a refusal. */
        return s == FUIN_E_UNTRUSTED || s == FUIN_E_AMBIGUOUS
                   ? FUIN_EXIT_USAGE
                   : fuin_cli_exit_code(s, 1);
    }
    snprintf(out, FUIN_RECIPIENT_MAX, "%s", c->card.age_recipient);
    /* Say who was found: a name is a guess until the user sees it. */
    fprintf(stderr, "fuin: %s: -r \"%s\": %s%s%s%s (%s, %s): %s\n", cmd, who,
            c->card.name, c->card.email[0] ? " <" : "", c->card.email,
            c->card.email[0] ? ">" : "", fuin_role_name(c->role), c->organisation,
            c->card.age_recipient);
    return 0;
}

int fuin_cli_add_recipients(const char *cmd, fuin_encryptor *e, fuin_cli_recipients *seen,
                            const fuin_store *store, const char *store_dir,
                            const char *const *recipients, size_t n_recipients,
                            const char *const *files,
                            size_t n_files)
{
    int rc = 0;
    for (size_t i = 0; i < n_recipients && rc == 0; i++) {
        const char *r = recipients[i];
        char found[FUIN_RECIPIENT_MAX];
        if (fuin_recipient_check(r) != FUIN_OK && !looks_like_key(r)) {
            if ((rc = resolve_person(cmd, store, store_dir, r, found)) != 0)
                break;
            r = found;
        }
        rc = add_recipient(cmd, e, seen, r, NULL, 0);
    }
    for (size_t i = 0; i < n_files && rc == 0; i++)
        rc = add_recipients_file(cmd, e, seen, files[i]);
    return rc;
}
