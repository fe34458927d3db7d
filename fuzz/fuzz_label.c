/* libFuzzer target for lib/label/parse.c.
 *  1. fuin_label_parse on the input as text; an accepted label must survive
 *     format -> parse and to_args -> from_args unchanged, and its canonical
 *     form must be a fixed point.
 *  2. fuin__label_from_args on the input split at ASCII whitespace; an
 *     accepted argument list must come back byte for byte from to_args
 *     (the header form is strict: one spelling per label). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuin.h"
#include "internal.h"

static int same_label(const fuin_label *a, const fuin_label *b)
{
    return a->confidentiality == b->confidentiality &&
           a->integrity == b->integrity &&
           a->availability == b->availability &&
           a->restrictions == b->restrictions;
}

static void check_text(const char *text)
{
    fuin_label l, back;
    char err[FUIN_ERRMSG_MAX];
    char canon[256], again[256];
    const char *args[FUIN__MAX_ARGS];
    char cls[16];

    fuin_status st = fuin_label_parse(text, &l, err, sizeof err);
    if (st != FUIN_OK) {
        if (st != FUIN_E_LABEL || err[0] == '\0' ||
            strlen(err) >= sizeof err)
            abort();
        return;
    }
    size_t n = fuin_label_format(&l, canon, sizeof canon);
    if (n >= sizeof canon || strlen(canon) != n)
        abort();
    if (fuin_label_parse(canon, &back, err, sizeof err) != FUIN_OK)
        abort();
    if (!same_label(&l, &back))
        abort();
    if (fuin_label_format(&back, again, sizeof again) != n ||
        strcmp(canon, again) != 0)
        abort();

    int nargs = fuin__label_to_args(&l, args, FUIN__MAX_ARGS, cls, sizeof cls);
    if (nargs < 1)
        abort();
    memset(&back, 0, sizeof back);
    if (fuin__label_from_args((char *const *)args, nargs, &back) != FUIN_OK ||
        !same_label(&l, &back))
        abort();
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Tokens are cut in place in `text`. */
static void check_args(char *text)
{
    char *args[FUIN__MAX_ARGS + 2];
    int nargs = 0;
    char *p = text;

    while (*p && nargs < (int)(sizeof args / sizeof args[0])) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        args[nargs++] = p;
        while (*p && !is_space(*p))
            p++;
        if (*p)
            *p++ = '\0';
    }

    fuin_label l;
    if (fuin__label_from_args(args, nargs, &l) != FUIN_OK)
        return;

    const char *out[FUIN__MAX_ARGS];
    char cls[16];
    int n = fuin__label_to_args(&l, out, FUIN__MAX_ARGS, cls, sizeof cls);
    if (n != nargs)
        abort();
    for (int i = 0; i < n; i++)
        if (strcmp(out[i], args[i]) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    check_text(text);
    check_args(text); /* modifies text */

    free(text);
    return 0;
}
