/* libFuzzer target for lib/policy/policy.c.
 *  1. fuin_policy_parse on the input.  A refusal must be FUIN_E_SYNTAX or
 *     FUIN_E_LIMIT with one line of valid UTF-8 that starts with the file
 *     name.
 *  2. An accepted policy must survive format -> parse: the values are the
 *     same (the texts differ only in the origin comments), and formatting
 *     the re-parsed policy again gives identical text (a fixed point).
 *  3. Every check and describe() run on it for every class without
 *     tripping the sanitizers, and the messages are valid UTF-8.  The
 *     wipe check runs for every combination of its arguments: a refusal
 *     always has a message, approval and witness never matter to a file
 *     wipe, more (verification, category, approval, witness) is never
 *     refused where less was allowed, and an approved, witnessed
 *     destruction is always allowed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuin.h"

#define FILE_NAME "policy.ini"
#define TEXT_MAX 4096

static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80                ? 1
                : (*u & 0xe0) == 0xc0 ? 2
                : (*u & 0xf0) == 0xe0 ? 3
                : (*u & 0xf8) == 0xf0 ? 4
                                      : 0;
        if (n == 0)
            return 0;
        for (int i = 1; i < n; i++)
            if ((u[i] & 0xc0) != 0x80)
                return 0;
        u += n;
    }
    return 1;
}

static fuin_policy *parse_or_die(const char *text)
{
    fuin_policy *p = NULL;
    char err[256];
    if (fuin_policy_parse(text, strlen(text), FILE_NAME, &p, err,
                          sizeof err) != FUIN_OK)
        abort();
    return p;
}

static size_t format_or_die(const fuin_policy *p, char *buf)
{
    size_t n = fuin_policy_format(p, buf, TEXT_MAX);
    if (n >= TEXT_MAX || strlen(buf) != n || !utf8_ok(buf))
        abort();
    return n;
}

/* Compare two formatted policies line by line without the origin comment
 * (" ; FILE:LINE" or " ; built-in default") of key lines; a parsed value
 * never contains " ;", inih ends values there. */
static void same_values(const char *a, const char *b)
{
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        if (ea == NULL || eb == NULL)
            abort();
        size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
        if (a[0] != ';') {
            const char *ca = strstr(a, " ; "), *cb = strstr(b, " ; ");
            if (ca != NULL && ca < ea)
                la = (size_t)(ca - a);
            if (cb != NULL && cb < eb)
                lb = (size_t)(cb - b);
        }
        if (la != lb || memcmp(a, b, la) != 0)
            abort();
        a = ea + 1;
        b = eb + 1;
    }
    if (*a || *b)
        abort();
}

static void check_msg(const char *msg)
{
    if (!utf8_ok(msg) || strchr(msg, '\n') != NULL)
        abort();
}

static void exercise_wipe(const fuin_policy *p, const fuin_label *lp)
{
    char msg[1024];
    /* ok[media][verify][category - 1][approved][witnessed] */
    int ok[2][3][3][2][2];
    for (int m = 0; m < 2; m++)
        for (int v = 0; v < 3; v++)
            for (int c = 0; c < 3; c++)
                for (int a = 0; a < 2; a++)
                    for (int w = 0; w < 2; w++) {
                        fuin_status st = fuin_policy_check_wipe(
                            p, lp, m, v, c + 1, a, w, msg, sizeof msg);
                        if (st != FUIN_OK && st != FUIN_E_POLICY)
                            abort();
                        if ((st == FUIN_E_POLICY) != (msg[0] != '\0'))
                            abort();
                        check_msg(msg);
                        ok[m][v][c][a][w] = st == FUIN_OK;
                    }
    for (int m = 0; m < 2; m++)
        for (int v = 0; v < 3; v++)
            for (int c = 0; c < 3; c++)
                for (int a = 0; a < 2; a++)
                    for (int w = 0; w < 2; w++) {
                        int here = ok[m][v][c][a][w];
                        if (!m && here != ok[m][v][c][0][0])
                            abort();
                        if (here && ((v < 2 && !ok[m][v + 1][c][a][w]) ||
                                     (c < 2 && !ok[m][v][c + 1][a][w]) ||
                                     !ok[m][v][c][1][w] || !ok[m][v][c][a][1]))
                            abort();
                    }
    for (int m = 0; m < 2; m++)
        for (int v = 0; v < 3; v++)
            if (!ok[m][v][2][1][1])
                abort();
}

static void exercise(const fuin_policy *p)
{
    static const char *const classes[] = {NULL, "C1", "C2-I2-A2",
                                          "C3-I2-A1 暗号化必須 複製禁止",
                                          "C3-I1-A2", "C2 暗号化必須"};
    char msg[256], desc[4096];
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
        fuin_label l, *lp = NULL;
        if (classes[k] != NULL) {
            if (fuin_label_parse(classes[k], &l, NULL, 0) != FUIN_OK)
                abort();
            lp = &l;
        }
        for (int mode = 0; mode < 2; mode++) {
            fuin_status st = fuin_policy_check_encrypt(p, lp, mode, 2, mode,
                                                       msg, sizeof msg);
            if (st != FUIN_OK && st != FUIN_E_POLICY)
                abort();
            if (st == FUIN_E_POLICY && msg[0] == '\0')
                abort();
            check_msg(msg);
            st = fuin_policy_check_sign(p, lp, mode, msg, sizeof msg);
            if (st != FUIN_OK && st != FUIN_E_POLICY)
                abort();
            check_msg(msg);
            st = fuin_policy_check_verify(p, lp, mode, msg, sizeof msg);
            if (st != FUIN_OK && st != FUIN_E_POLICY)
                abort();
            check_msg(msg);
        }
        if (fuin_policy_check_unencrypted(p, lp, msg, sizeof msg) ==
            FUIN_E_INVALID)
            abort();
        check_msg(msg);
        if (fuin_policy_check_unsigned(p, lp, msg, sizeof msg) ==
            FUIN_E_INVALID)
            abort();
        check_msg(msg);
        exercise_wipe(p, lp);
        size_t n = fuin_policy_describe(p, lp, desc, sizeof desc);
        if (n == 0 || n >= sizeof desc || strlen(desc) != n || !utf8_ok(desc))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuin_policy *p = NULL;
    char err[256];

    fuin_status st = fuin_policy_parse((const char *)data, size, FILE_NAME,
                                       &p, err, sizeof err);
    if (st != FUIN_OK) {
        if ((st != FUIN_E_SYNTAX && st != FUIN_E_LIMIT) || p != NULL)
            abort();
        if (strncmp(err, FILE_NAME ":", strlen(FILE_NAME) + 1) != 0)
            abort();
        check_msg(err);
        return 0;
    }

    static char t1[TEXT_MAX], t2[TEXT_MAX], t3[TEXT_MAX];
    format_or_die(p, t1);
    fuin_policy *q = parse_or_die(t1);
    format_or_die(q, t2);
    same_values(t1, t2);
    fuin_policy *r = parse_or_die(t2);
    format_or_die(r, t3);
    if (strcmp(t2, t3) != 0)
        abort();
    if (strcmp(fuin_policy_organisation(p), fuin_policy_organisation(q)) != 0)
        abort();

    exercise(p);
    fuin_policy_free(p);
    fuin_policy_free(q);
    fuin_policy_free(r);
    return 0;
}
