/* libFuzzer target for lib/sign/card.c: the card, certificate, revocation list
 * and trusted comment parsers.  Every parser is strict, so whatever one
 * accepts must format back to the same bytes, and every rejection must
 * come with a one-line message.  The certificate check runs too, against a
 * fixed root key, and must fail without crashing (the fuzzer cannot forge
 * the root's signature). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuin.h"
#include "internal.h"


static void check_err(fuin_status st, const char *err, size_t cap)
{
    if (st == FUIN_E_NOMEM)
        return;
    if (err[0] == '\0' || strlen(err) >= cap || strchr(err, '\n') != NULL)
        abort();
}

static void same_text(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen || memcmp(a, b, alen) != 0)
        abort();
}

static void card(const char *data, size_t size)
{
    fuin_card c;
    char err[FUIN_ERRMSG_MAX];
    err[0] = '\0';
    fuin_status st = fuin_card_parse(data, size, &c, err, sizeof err);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SYNTAX)
            abort();
        check_err(st, err, sizeof err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (fuin_card_format(&c, &text, &len) != FUIN_OK)
        abort();
    same_text(text, len, data, size);
    free(text);
}

static void cert(const char *data, size_t size)
{
    fuin_cert c;
    char err[FUIN_ERRMSG_MAX];
    err[0] = '\0';
    fuin_status st = fuin_cert_parse(data, size, &c, err, sizeof err);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SYNTAX)
            abort();
        check_err(st, err, sizeof err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (fuin_cert_format(&c, &text, &len) != FUIN_OK)
        abort();
    same_text(text, len, data, size);
    free(text);
}

static void revocations(const char *data, size_t size)
{
    fuin_revocations *rl = NULL;
    char err[FUIN_ERRMSG_MAX];
    err[0] = '\0';
    fuin_status st = fuin__revocations_parse(data, size, &rl, err, sizeof err);
    if (st != FUIN_OK) {
        if (rl != NULL || (st != FUIN_E_SYNTAX && st != FUIN_E_NOMEM))
            abort();
        check_err(st, err, sizeof err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    if (fuin_revocations_format(rl, &text, &len) != FUIN_OK)
        abort();
    same_text(text, len, data, size);
    /* every listed key is found */
    for (size_t i = 0; i < fuin_revocations_count(rl); i++) {
        uint8_t keyid[FUIN_KEYID_BYTES];
        if (fuin_revocations_entry(rl, i, keyid, NULL, NULL) != FUIN_OK ||
            fuin_revocations_find(rl, keyid, NULL, NULL) != 1)
            abort();
    }
    free(text);
    fuin_revocations_free(rl);
}

static void sigmeta(const char *data)
{
    fuin_sigmeta m;
    char err[FUIN_ERRMSG_MAX];
    err[0] = '\0';
    fuin_status st = fuin_sigmeta_parse(data, &m, err, sizeof err);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SYNTAX && st != FUIN_E_UNTRUSTED && st != FUIN_E_NOMEM)
            abort();
        check_err(st, err, sizeof err);
        fuin_sigmeta_clear(&m);
        return;
    }
    char *text = NULL;
    if (fuin_sigmeta_format(&m, &text) != FUIN_OK)
        abort();
    same_text(text, strlen(text), data, strlen(data));
    free(text);

    /* the carried certificate goes through the real check */
    const char *c, *s;
    size_t cl, sl;
    if (fuin_sigmeta_cert(&m, &c, &cl, &s, &sl) == FUIN_OK) {
        static const fuin_pubkey root = {{1, 2, 3, 4, 5, 6, 7, 8}, {9}};
        fuin_cert out;
        if (fuin_cert_verify(c, cl, s, sl, &root, &out, err, sizeof err) == FUIN_OK)
            abort();
        check_err(FUIN_E_SIGNATURE, err, sizeof err);
    }
    fuin_sigmeta_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (fuin_init() != FUIN_OK)
            abort();
        ready = 1;
    }
    /* the exact bytes (no terminator) for the length-taking parsers, a
     * NUL-terminated copy for the trusted comment */
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    card(buf, size);
    cert(buf, size);
    revocations(buf, size);
    sigmeta(buf);

    free(buf);
    return 0;
}
