/* Classification labels: the accepted spellings, the canonical text form,
 * and the stanza arguments that carry a label in the age header.
 * The user-facing grammar is described in docs/labels.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define LABEL_MAX_INPUT 256
/* Longest quoted label or part inside an error message, so that the
 * message still fits FUIN_ERRMSG_MAX with the surrounding words. */
#define LABEL_QUOTE_MAX 64

typedef struct {
    unsigned bit;
    const char *ascii;
    const char *ja;
} restriction_name;

/* Enum order; the canonical form and the header arguments follow it. */
static const restriction_name RESTRICTIONS[FUIN_RESTRICTION_COUNT] = {
    {FUIN_R_NO_COPY, "no-copy", "複製禁止"},
    {FUIN_R_NO_FORWARD, "no-forward", "転送禁止"},
    {FUIN_R_NO_DISTRIBUTE, "no-distribute", "配付禁止"},
    {FUIN_R_ENCRYPT_REQUIRED, "encrypt-required", "暗号化必須"},
    {FUIN_R_NO_TAKEOUT, "no-takeout", "持出禁止"},
    {FUIN_R_DESTROY_AFTER_READ, "destroy-after-reading", "読後廃棄"},
};

#define ALL_RESTRICTIONS 0x3fu

enum { DIM_C = 0, DIM_I = 1, DIM_A = 2, DIM_COUNT = 3 };

static const struct {
    char ascii; /* lowercase letter of the ASCII spelling */
    const char *ja;
    const char *name;
    int max;
} DIMS[DIM_COUNT] = {
    {'c', "機密性", "confidentiality", 3},
    {'i', "完全性", "integrity", 2},
    {'a', "可用性", "availability", 2},
};

#define JA_DIM_LEN 9 /* every Japanese dimension word is 3 kanji, 9 bytes */

static const restriction_name *restriction_by_bit(unsigned bit)
{
    for (size_t i = 0; i < FUIN_RESTRICTION_COUNT; i++)
        if (RESTRICTIONS[i].bit == bit)
            return &RESTRICTIONS[i];
    return NULL;
}

const char *fuin_restriction_name(fuin_restriction r)
{
    const restriction_name *n = restriction_by_bit((unsigned)r);
    return n ? n->ascii : NULL;
}

const char *fuin_restriction_name_ja(fuin_restriction r)
{
    const restriction_name *n = restriction_by_bit((unsigned)r);
    return n ? n->ja : NULL;
}

static int label_valid(const fuin_label *l)
{
    return l->confidentiality >= 1 && l->confidentiality <= 3 &&
           l->integrity >= 1 && l->integrity <= 2 &&
           l->availability >= 1 && l->availability <= 2 &&
           (l->restrictions & ~ALL_RESTRICTIONS) == 0;
}

/* ---- UTF-8 ------------------------------------------------------------ */

static void label_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void label_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err || cap == 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
    else if ((size_t)n >= cap)
        fuin__utf8_trim_tail(err);
}

/* A piece of (valid UTF-8) text cut to LABEL_QUOTE_MAX bytes on a
 * character boundary, for "%.*s%s". */
typedef struct {
    int len;
    const char *s;
    const char *more;
} quoted;

static quoted quote(const char *s, size_t n)
{
    quoted q = {(int)n, s, ""};

    if (n > LABEL_QUOTE_MAX) {
        size_t cut = LABEL_QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--;
        q.len = (int)cut;
        q.more = "...";
    }
    return q;
}

#define Q_FMT "%.*s%s"
#define Q_ARG(q) (q).len, (q).s, (q).more

/* ---- normalisation ------------------------------------------------------ */

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/* Validate UTF-8 and fold full-width ASCII (U+FF01..U+FF5E) and the
 * ideographic space (U+3000) to ASCII.  That is exactly what NFKC does to
 * these characters; the rest of NFKC is not needed because the vocabulary
 * is closed: the kanji words are already in NFKC form, and any other
 * compatibility character could never turn into an accepted word (e.g.
 * half-width katakana or circled digits are simply rejected).  Control
 * characters are refused here so they never reach an error message. */
static fuin_status normalise(const char *in, size_t n, char *out,
                             size_t *outlen, char *err, size_t errcap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0;

    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t k = fuin__utf8_decode(s + i, n - i, &cp);

        if (k == 0) {
            label_err(err, errcap,
                      "label is not valid UTF-8 (byte 0x%02x at offset %zu)",
                      s[i], i);
            return FUIN_E_LABEL;
        }
        if ((cp < 0x20 && !is_ws((unsigned char)cp)) || cp == 0x7f ||
            (cp >= 0x80 && cp <= 0x9f)) {
            label_err(err, errcap,
                      "label contains control character U+%04lX at offset %zu",
                      cp, i);
            return FUIN_E_LABEL;
        }
        if (cp >= 0xff01 && cp <= 0xff5e) {
            out[o++] = (char)(cp - 0xfee0);
        } else if (cp == 0x3000) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = '\0';
    *outlen = o;
    return FUIN_OK;
}

/* ---- parsing ------------------------------------------------------------ */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(s, lit, l) == 0;
}

#define JA_COMMA "、"      /* U+3001, restriction separator */
#define JA_INFO "情報"      /* optional after a Japanese level: 機密性2情報 */
#define JA_LBRACKET "【"    /* U+3010: the file-name prefix 【機密性2】 */
#define JA_RBRACKET "】"    /* U+3011 */
#define JA_MIDDLE_DOT "・" /* U+30FB, class part separator */

/* Length of a restriction separator character at s, or 0. */
static size_t rsep_len(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (is_ws((unsigned char)s[0]) || s[0] == '+' || s[0] == ',')
        return 1;
    if (has_prefix(s, n, JA_COMMA))
        return strlen(JA_COMMA);
    return 0;
}

/* Length of a class part separator other than whitespace at s, or 0.
 * The ASCII spelling only knows '-'. */
static size_t csep_len(const char *s, size_t n, int ja)
{
    if (n == 0)
        return 0;
    if (s[0] == '-')
        return 1;
    if (ja && s[0] == '/')
        return 1;
    if (ja && has_prefix(s, n, JA_MIDDLE_DOT))
        return strlen(JA_MIDDLE_DOT);
    return 0;
}

static size_t part_end(const char *s, size_t n, size_t pos, int ja)
{
    while (pos < n && rsep_len(s + pos, n - pos) == 0 &&
           csep_len(s + pos, n - pos, ja) == 0)
        pos++;
    return pos;
}

static size_t skip_ws(const char *s, size_t n, size_t pos)
{
    while (pos < n && is_ws((unsigned char)s[pos]))
        pos++;
    return pos;
}

static int starts_ja_dim(const char *s, size_t n)
{
    for (int d = 0; d < DIM_COUNT; d++)
        if (has_prefix(s, n, DIMS[d].ja))
            return 1;
    return 0;
}

/* Parse one class part such as "C3", "i2" or "完全性2".  Returns the
 * dimension, or -1 with err set. */
static int parse_part(const char *p, size_t m, int ja, int *value,
                      const char *label, size_t label_len, char *err,
                      size_t errcap)
{
    quoted qp = quote(p, m);
    quoted ql = quote(label, label_len);
    int dim = -1;
    size_t prefix = 0;

    for (int d = 0; d < DIM_COUNT && dim < 0; d++) {
        if (ja && has_prefix(p, m, DIMS[d].ja)) {
            dim = d;
            prefix = JA_DIM_LEN;
        } else if (!ja && m > 0 && ascii_lower(p[0]) == DIMS[d].ascii) {
            dim = d;
            prefix = 1;
        }
    }
    size_t ndig = 0;
    while (prefix + ndig < m && p[prefix + ndig] >= '0' &&
           p[prefix + ndig] <= '9')
        ndig++;
    /* "機密性2情報", as the policy names a class of information */
    size_t tail = ja && ndig > 0 && m - prefix - ndig == strlen(JA_INFO) &&
                          memcmp(p + prefix + ndig, JA_INFO, strlen(JA_INFO)) == 0
                      ? strlen(JA_INFO)
                      : 0;
    if (dim < 0 || ndig == 0 || prefix + ndig + tail != m) {
        if (m == 0)
            label_err(err, errcap, "empty part in label \"" Q_FMT "\"",
                      Q_ARG(ql));
        else
            label_err(err, errcap, "unknown part \"" Q_FMT "\" in label \"" Q_FMT "\"",
                      Q_ARG(qp), Q_ARG(ql));
        return -1;
    }
    if (ndig != 1 || p[prefix] < '1' || p[prefix] - '0' > DIMS[dim].max) {
        quoted qd = quote(p + prefix, ndig);
        label_err(err, errcap,
                  "%s must be 1-%d, got " Q_FMT " (part \"" Q_FMT
                  "\" in label \"" Q_FMT "\")",
                  DIMS[dim].name, DIMS[dim].max, Q_ARG(qd), Q_ARG(qp),
                  Q_ARG(ql));
        return -1;
    }
    *value = p[prefix] - '0';
    return dim;
}

static int restriction_match(const char *t, size_t m, const restriction_name *r)
{
    size_t al = strlen(r->ascii);

    if (m == strlen(r->ja) && memcmp(t, r->ja, m) == 0)
        return 1;
    if (m != al)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (ascii_lower(t[i]) != r->ascii[i])
            return 0;
    return 1;
}

/* Grammar, after trimming and full-width folding:
 *   label  = class *(rsep restriction)
 *   class  = ASCII: C[-I][-A] joined by '-', letters in any case
 *          | Japanese: 機密性N [csep 完全性N] [csep 可用性N], csep being
 *            '/', '・', '-' or whitespace (whitespace allowed around them)
 *   rsep   = *ws [ '+' | ',' | '、' ] *ws, not empty
 * A whitespace run after a Japanese class part continues the class only if
 * a Japanese dimension word follows; otherwise restrictions begin. */
fuin_status fuin_label_parse(const char *text, fuin_label *out, char *err,
                             size_t errcap)
{
    char buf[LABEL_MAX_INPUT + 1];
    size_t n, len;
    fuin_status st;

    if (err && errcap > 0)
        err[0] = '\0';
    if (!text || !out) {
        label_err(err, errcap, "no label given");
        return FUIN_E_INVALID;
    }
    len = strnlen(text, LABEL_MAX_INPUT + 1);
    if (len > LABEL_MAX_INPUT) {
        label_err(err, errcap, "label is longer than %d bytes",
                  LABEL_MAX_INPUT);
        return FUIN_E_LABEL;
    }
    st = normalise(text, len, buf, &n, err, errcap);
    if (st != FUIN_OK)
        return st;

    size_t b = skip_ws(buf, n, 0);
    while (n > b && is_ws((unsigned char)buf[n - 1]))
        n--;
    const char *s = buf + b;
    n -= b;
    /* The whole label in brackets, as a file name carries it: 【機密性2】,
     * [C2] (also ［C2］, folded above). */
    {
        size_t lo = 0, lc = 0;
        if (has_prefix(s, n, JA_LBRACKET) && n >= 2 * strlen(JA_RBRACKET) &&
            memcmp(s + n - strlen(JA_RBRACKET), JA_RBRACKET, strlen(JA_RBRACKET)) == 0)
            lo = lc = strlen(JA_LBRACKET);
        else if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
            lo = lc = 1;
        if (lo > 0) {
            s += lo;
            n -= lo + lc;
            size_t k = skip_ws(s, n, 0);
            s += k;
            n -= k;
            while (n > 0 && is_ws((unsigned char)s[n - 1]))
                n--;
        }
    }
    quoted ql = quote(s, n);
    if (n == 0) {
        label_err(err, errcap, "empty label");
        return FUIN_E_LABEL;
    }

    int ja = starts_ja_dim(s, n);
    int level[DIM_COUNT] = {0, 1, 1};
    int last = -1;
    size_t pos = 0;

    for (;;) {
        size_t end = part_end(s, n, pos, ja);
        int v = 0;
        int d = parse_part(s + pos, end - pos, ja, &v, s, n, err, errcap);
        if (d < 0)
            return FUIN_E_LABEL;
        quoted qp = quote(s + pos, end - pos);
        if (last < 0 && d != DIM_C) {
            label_err(err, errcap,
                      "confidentiality is required and must come first, got \""
                      Q_FMT "\" in label \"" Q_FMT "\"",
                      Q_ARG(qp), Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        if (d == last) {
            label_err(err, errcap,
                      "%s given twice (part \"" Q_FMT "\" in label \"" Q_FMT
                      "\")",
                      DIMS[d].name, Q_ARG(qp), Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        if (d < last) {
            label_err(err, errcap,
                      "%s must come before %s (part \"" Q_FMT
                      "\" in label \"" Q_FMT "\")",
                      DIMS[d].name, DIMS[last].name, Q_ARG(qp), Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        level[d] = v;
        last = d;
        pos = end;

        /* Does another class part follow? */
        size_t p2 = ja ? skip_ws(s, n, pos) : pos;
        size_t c = csep_len(s + p2, n - p2, ja);
        if (c > 0) {
            pos = ja ? skip_ws(s, n, p2 + c) : p2 + c;
            continue;
        }
        if (ja && p2 > pos && starts_ja_dim(s + p2, n - p2)) {
            pos = p2;
            continue;
        }
        break;
    }

    unsigned bits = 0;
    while (pos < n) {
        /* pos is on a separator: part_end stopped at one that is not a
         * class separator. */
        size_t sep_start = pos;
        size_t k;
        pos = skip_ws(s, n, pos);
        if (pos < n && (s[pos] == '+' || s[pos] == ',' ||
                        has_prefix(s + pos, n - pos, JA_COMMA))) {
            pos += rsep_len(s + pos, n - pos);
            pos = skip_ws(s, n, pos);
        }
        if (pos == sep_start) { /* cannot happen; guards the loop */
            label_err(err, errcap, "unexpected text in label \"" Q_FMT "\"",
                      Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        size_t end = pos;
        while (end < n && rsep_len(s + end, n - end) == 0)
            end++;
        if (end == pos) {
            label_err(err, errcap,
                      "empty restriction in label \"" Q_FMT "\"", Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        quoted qt = quote(s + pos, end - pos);
        for (k = 0; k < FUIN_RESTRICTION_COUNT; k++)
            if (restriction_match(s + pos, end - pos, &RESTRICTIONS[k]))
                break;
        if (k == FUIN_RESTRICTION_COUNT) {
            label_err(err, errcap,
                      "unknown restriction \"" Q_FMT "\" in label \"" Q_FMT
                      "\"",
                      Q_ARG(qt), Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        if (bits & RESTRICTIONS[k].bit) {
            label_err(err, errcap,
                      "duplicate restriction \"" Q_FMT "\" in label \"" Q_FMT
                      "\"",
                      Q_ARG(qt), Q_ARG(ql));
            return FUIN_E_LABEL;
        }
        bits |= RESTRICTIONS[k].bit;
        pos = end;
    }

    out->confidentiality = level[DIM_C];
    out->integrity = level[DIM_I];
    out->availability = level[DIM_A];
    out->restrictions = bits;
    return FUIN_OK;
}

/* ---- formatting --------------------------------------------------------- */

static void append(char *buf, size_t cap, size_t *need, const char *s,
                   size_t n)
{
    if (buf && cap > 0 && *need < cap - 1) {
        size_t room = cap - 1 - *need;
        memcpy(buf + *need, s, n < room ? n : room);
    }
    *need += n;
}

/* Formats the fields as they are, even out of range, and skips unknown
 * restriction bits: there is no way to report an error through a length. */
/* The class part in the vocabulary given, then each restriction, in the
 * fixed order, as its Japanese word (ja_words) or its ASCII token. */
static size_t format_label(const fuin_label *l, char *buf, size_t cap, int ja_class,
                           int ja_words)
{
    char cls[96];
    size_t need = 0;
    int n;

    if (l) {
        n = ja_class ? snprintf(cls, sizeof cls, "機密性%d 完全性%d 可用性%d",
                                l->confidentiality, l->integrity, l->availability)
                     : snprintf(cls, sizeof cls, "C%d-I%d-A%d", l->confidentiality,
                                l->integrity, l->availability);
        if (n > 0)
            append(buf, cap, &need, cls, (size_t)n);
        for (size_t i = 0; i < FUIN_RESTRICTION_COUNT; i++) {
            if (l->restrictions & RESTRICTIONS[i].bit) {
                const char *w = ja_words ? RESTRICTIONS[i].ja : RESTRICTIONS[i].ascii;
                append(buf, cap, &need, " ", 1);
                append(buf, cap, &need, w, strlen(w));
            }
        }
    }
    if (buf && cap > 0)
        buf[need < cap ? need : cap - 1] = '\0';
    return need;
}

size_t fuin_label_format(const fuin_label *l, char *buf, size_t cap)
{
    return format_label(l, buf, cap, 0, 1);
}

size_t fuin_label_format_ja(const fuin_label *l, char *buf, size_t cap)
{
    return format_label(l, buf, cap, 1, 1);
}

size_t fuin_label_format_ascii(const fuin_label *l, char *buf, size_t cap)
{
    return format_label(l, buf, cap, 0, 0);
}

size_t fuin_label_format_name(const fuin_label *l, char *buf, size_t cap)
{
    char t[128];
    int n = 0;
    size_t need = 0;
    if (l) {
        n = snprintf(t, sizeof t, "【機密性%d", l->confidentiality);
        if (n > 0 && l->integrity != 1)
            n += snprintf(t + n, sizeof t - (size_t)n, "・完全性%d", l->integrity);
        if (n > 0 && l->availability != 1)
            n += snprintf(t + n, sizeof t - (size_t)n, "・可用性%d", l->availability);
        if (n > 0)
            n += snprintf(t + n, sizeof t - (size_t)n, "】");
        if (n > 0)
            append(buf, cap, &need, t, (size_t)n);
    }
    if (buf && cap > 0)
        buf[need < cap ? need : cap - 1] = '\0';
    return need;
}

/* ---- header stanza arguments ------------------------------------------- */

/* Also refuses an out-of-range label: writing a stanza that our own
 * fuin__label_from_args would reject would make the file unreadable. */
int fuin__label_to_args(const fuin_label *l, const char **args, int cap,
                        char *classbuf, size_t classcap)
{
    int nargs = 1;

    if (!l || !args || !classbuf || !label_valid(l))
        return -1;
    for (size_t i = 0; i < FUIN_RESTRICTION_COUNT; i++)
        if (l->restrictions & RESTRICTIONS[i].bit)
            nargs++;
    if (cap < nargs || classcap < sizeof "C3-I2-A2")
        return -1;
    snprintf(classbuf, classcap, "C%d-I%d-A%d", l->confidentiality,
             l->integrity, l->availability);
    args[0] = classbuf;
    nargs = 1;
    for (size_t i = 0; i < FUIN_RESTRICTION_COUNT; i++)
        if (l->restrictions & RESTRICTIONS[i].bit)
            args[nargs++] = RESTRICTIONS[i].ascii;
    return nargs;
}

/* Strict on purpose: exactly one byte string per label, so a header can be
 * compared and re-serialised without ambiguity. */
fuin_status fuin__label_from_args(char *const *args, int nargs, fuin_label *l)
{
    const char *c;
    unsigned bits = 0;
    size_t next = 0;

    if (!l)
        return FUIN_E_INVALID;
    if (!args || nargs < 1 || !args[0])
        return FUIN_E_HEADER;
    c = args[0];
    /* Each test fails at a NUL before the next byte is read. */
    if (!(c[0] == 'C' && c[1] >= '1' && c[1] <= '3' && c[2] == '-' &&
          c[3] == 'I' && c[4] >= '1' && c[4] <= '2' && c[5] == '-' &&
          c[6] == 'A' && c[7] >= '1' && c[7] <= '2' && c[8] == '\0'))
        return FUIN_E_HEADER;
    for (int i = 1; i < nargs; i++) {
        size_t k = next;
        if (!args[i])
            return FUIN_E_HEADER;
        while (k < FUIN_RESTRICTION_COUNT &&
               strcmp(args[i], RESTRICTIONS[k].ascii) != 0)
            k++;
        if (k == FUIN_RESTRICTION_COUNT)
            return FUIN_E_HEADER; /* unknown, repeated or out of order */
        bits |= RESTRICTIONS[k].bit;
        next = k + 1;
    }
    l->confidentiality = c[1] - '0';
    l->integrity = c[4] - '0';
    l->availability = c[7] - '0';
    l->restrictions = bits;
    return FUIN_OK;
}
