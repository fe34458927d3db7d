/* The signed policy (policy.ini): parsing with libinih into effective
 * rules that remember the line they came from, the built-in default, the
 * effective policy as text, and the checks that fuin encrypt / sign /
 * verify / wipe / policy check apply.  Keys and their policy articles are listed
 * in docs/policy.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "internal.h"

/* ---- the rule table --------------------------------------------------- */

enum {
    S_ORG,
    S_METHODS,
    S_PASSPHRASE,
    S_KEYS,
    S_C3,
    S_C2,
    S_C1,
    S_I2,
    S_I1,
    S_WIPE,
    S_LABELS,
    S_APPROVAL,
    S_AUDIT,
    S_COUNT
};

/* Also the order of fuin_policy_format(). */
static const char *const SECTIONS[S_COUNT] = {
    "organisation", "methods",  "passphrase", "keys",     "class.C3",
    "class.C2",     "class.C1", "class.I2",   "class.I1",  "wipe",
    "labels",       "approval", "audit",
};

enum {
    R_ORG_NAME,
    R_ENC_METHODS,
    R_SIG_METHODS,
    R_MIN_LENGTH,
    R_MIN_QUALITY,
    R_DICTIONARY,
    R_KEY_DAYS,
    R_CERT_DAYS,
    R_C3_ENCRYPT, /* C_COUNT rules per confidentiality class, C3 first */
    R_C3_PASSPHRASE,
    R_C3_RECIPIENTS,
    R_C3_WIPE_VERIFY,
    R_C3_WIPE_APPROVAL,
    R_C3_WIPE_WITNESS,
    R_C3_WIPE_CATEGORY,
    R_C3_ZIP,
    R_C2_ENCRYPT,
    R_C2_PASSPHRASE,
    R_C2_RECIPIENTS,
    R_C2_WIPE_VERIFY,
    R_C2_WIPE_APPROVAL,
    R_C2_WIPE_WITNESS,
    R_C2_WIPE_CATEGORY,
    R_C2_ZIP,
    R_C1_ENCRYPT,
    R_C1_PASSPHRASE,
    R_C1_RECIPIENTS,
    R_C1_WIPE_VERIFY,
    R_C1_WIPE_APPROVAL,
    R_C1_WIPE_WITNESS,
    R_C1_WIPE_CATEGORY,
    R_C1_ZIP,
    R_I2_SIGN, /* two per integrity class, I2 first */
    R_I2_SIGNER,
    R_I1_SIGN,
    R_I1_SIGNER,
    R_WIPE_UNLABELLED,
    R_LABEL_NAME,
    R_MSIP_SITE, /* GUID slots 0..3: site, C1, C2, C3 */
    R_MSIP_C1,
    R_MSIP_C2,
    R_MSIP_C3,
    R_APPR_PROVIDE, /* [approval] provide: lowest class that needs it (0: none) */
    R_APPR_ROLE,    /* APPROVAL_KINDS x C1..C3: who approves (ROLE_VALUES) */
    R_APPR_ROLE_END = R_APPR_ROLE + 4 * 3 - 1,
    R_APPR_MAX_DAYS,
    R_AUDIT_RECORD,
    R_AUDIT_SYSLOG,
    R_AUDIT_SOCKET,
    R_COUNT
};

enum { K_TEXT, K_METHODS, K_INT, K_ENUM, K_PATH, K_GUID, K_SOCK };
#define GUID_LEN 36 /* 8-4-4-4-12 hex digits */

/* Enumerated values: the index into the name list is the stored value. */
enum { ENC_REQUIRED, ENC_RECOMMENDED, ENC_OPTIONAL };
enum { PASS_ALLOWED, PASS_FORBIDDEN };
enum { WHO_CERTIFIED, WHO_ANY };
enum { SIGN_REQUIRED, SIGN_OPTIONAL };
/* wipe_verify: the index is the verify_level of fuin_policy_check_wipe(),
 * so a stronger verification is a larger number. */
enum { VERIFY_NONE, VERIFY_SAMPLE, VERIFY_FULL };
enum { NEED_REQUIRED, NEED_OPTIONAL };
/* wipe_category: index + 1 is the category of fuin_policy_check_wipe()
 * (1 Clear, 2 Purge; 3 Destroy satisfies every value). */
enum { CAT_CLEAR, CAT_PURGE };
/* [wipe] unlabelled: index + 1 is the confidentiality class. */

/* Methods: bit i is name i of the list. */
#define M_AGE_X25519 1
#define M_AGE_SCRYPT 2
#define M_MINISIGN_ED25519 1

static const char *const ENCRYPT_VALUES[] = {"required", "recommended",
                                             "optional", NULL};
static const char *const PASSPHRASE_VALUES[] = {"allowed", "forbidden", NULL};
static const char *const WHO_VALUES[] = {"certified", "any", NULL};
static const char *const SIGN_VALUES[] = {"required", "optional", NULL};
static const char *const VERIFY_VALUES[] = {"none", "sample", "full", NULL};
static const char *const NEED_VALUES[] = {"required", "optional", NULL};
static const char *const CATEGORY_VALUES[] = {"clear", "purge", NULL};
static const char *const CLASS_VALUES[] = {"C1", "C2", "C3", NULL};
/* [labels] name_required: index = the lowest class that needs the name
 * prefix (0: none). */
static const char *const NAME_VALUES[] = {"none", "C1", "C2", "C3", NULL};
/* [approval] <kind>_Cn: the certified role whose holder approves. */
static const char *const ROLE_VALUES[] = {"manager", "ciso", NULL};
enum { APPROVER_MANAGER, APPROVER_CISO };
/* The kinds of fuin_request_info, in the order of the [approval] keys. */
static const char *const APPROVAL_KINDS[] = {"provide", "carry", "disposal", "exception", NULL};
static const char *const ONOFF_VALUES[] = {"on", "off", NULL};
enum { ON, OFF };
#define SOCK_DEFAULT "/dev/log"
#define SOCK_MAX 107 /* sun_path */
/* The only methods fuin implements.  A name outside these lists is an
 * error, so that nothing else can slip into a signed policy later. */
static const char *const ENC_METHODS[] = {"age-x25519", "age-scrypt", NULL};
static const char *const SIG_METHODS[] = {"minisign-ed25519", NULL};

typedef struct {
    int section;
    const char *key;
    int kind;
    int min, max;             /* K_INT */
    const char *const *names; /* K_ENUM values, K_METHODS method names */
    int def;                  /* built-in default (K_TEXT: DEFAULT_ORG) */
} rule_def;

/* The built-in default follows the union's policy: 機密性3 only to
 * certified recipients and never by passphrase, 機密性2 encrypted when
 * sent, 完全性2 signed by a certified key, 機密性2 and 3 media wiped with
 * full verification and disposed of only with a manager's approval
 * (§2.3(2)⑩), unlabelled media handled as 機密性2 (docs/policy.md). */
static const rule_def RULES[R_COUNT] = {
    {S_ORG, "name", K_TEXT, 0, 0, NULL, 0},
    {S_METHODS, "encryption", K_METHODS, 0, 0, ENC_METHODS,
     M_AGE_X25519 | M_AGE_SCRYPT},
    {S_METHODS, "signature", K_METHODS, 0, 0, SIG_METHODS, M_MINISIGN_ED25519},
    {S_PASSPHRASE, "min_length", K_INT, 8, 1024, NULL, 12},
    {S_PASSPHRASE, "min_quality", K_INT, 0, 100, NULL, 50},
    /* "system": cracklib's compiled-in dictionary (Debian:
     * /var/cache/cracklib/cracklib_dict, from cracklib-runtime). */
    {S_PASSPHRASE, "dictionary", K_PATH, 0, 0, NULL, 0},
    {S_KEYS, "key_lifetime_days", K_INT, 1, 3650, NULL, 1095},
    {S_KEYS, "certificate_lifetime_days", K_INT, 1, 3650, NULL, 365},
    {S_C3, "encrypt", K_ENUM, 0, 0, ENCRYPT_VALUES, ENC_REQUIRED},
    {S_C3, "passphrase", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_FORBIDDEN},
    {S_C3, "recipients", K_ENUM, 0, 0, WHO_VALUES, WHO_CERTIFIED},
    {S_C3, "wipe_verify", K_ENUM, 0, 0, VERIFY_VALUES, VERIFY_FULL},
    {S_C3, "wipe_approval", K_ENUM, 0, 0, NEED_VALUES, NEED_REQUIRED},
    {S_C3, "wipe_witness", K_ENUM, 0, 0, NEED_VALUES, NEED_OPTIONAL},
    {S_C3, "wipe_category", K_ENUM, 0, 0, CATEGORY_VALUES, CAT_CLEAR},
    /* fuin pack --zip: a password zip (WinZip AES-256) for outsiders */
    {S_C3, "zip", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_FORBIDDEN},
    {S_C2, "encrypt", K_ENUM, 0, 0, ENCRYPT_VALUES, ENC_REQUIRED},
    {S_C2, "passphrase", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_ALLOWED},
    {S_C2, "recipients", K_ENUM, 0, 0, WHO_VALUES, WHO_ANY},
    {S_C2, "wipe_verify", K_ENUM, 0, 0, VERIFY_VALUES, VERIFY_FULL},
    {S_C2, "wipe_approval", K_ENUM, 0, 0, NEED_VALUES, NEED_REQUIRED},
    {S_C2, "wipe_witness", K_ENUM, 0, 0, NEED_VALUES, NEED_OPTIONAL},
    {S_C2, "wipe_category", K_ENUM, 0, 0, CATEGORY_VALUES, CAT_CLEAR},
    /* fuin pack --zip: a password zip (WinZip AES-256) for outsiders */
    {S_C2, "zip", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_ALLOWED},
    {S_C1, "encrypt", K_ENUM, 0, 0, ENCRYPT_VALUES, ENC_OPTIONAL},
    {S_C1, "passphrase", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_ALLOWED},
    {S_C1, "recipients", K_ENUM, 0, 0, WHO_VALUES, WHO_ANY},
    {S_C1, "wipe_verify", K_ENUM, 0, 0, VERIFY_VALUES, VERIFY_NONE},
    {S_C1, "wipe_approval", K_ENUM, 0, 0, NEED_VALUES, NEED_OPTIONAL},
    {S_C1, "wipe_witness", K_ENUM, 0, 0, NEED_VALUES, NEED_OPTIONAL},
    {S_C1, "wipe_category", K_ENUM, 0, 0, CATEGORY_VALUES, CAT_CLEAR},
    /* fuin pack --zip: a password zip (WinZip AES-256) for outsiders */
    {S_C1, "zip", K_ENUM, 0, 0, PASSPHRASE_VALUES, PASS_ALLOWED},
    {S_I2, "sign", K_ENUM, 0, 0, SIGN_VALUES, SIGN_REQUIRED},
    {S_I2, "signer", K_ENUM, 0, 0, WHO_VALUES, WHO_CERTIFIED},
    {S_I1, "sign", K_ENUM, 0, 0, SIGN_VALUES, SIGN_OPTIONAL},
    {S_I1, "signer", K_ENUM, 0, 0, WHO_VALUES, WHO_ANY},
    /* Unknown media are 機密性2 (§2.3(2)⑩(ア) covers 機密性2 and up). */
    {S_WIPE, "unlabelled", K_ENUM, 0, 0, CLASS_VALUES, 1},
    /* fuin label: the 【機密性n】 file-name prefix, and the Microsoft
     * Purview (MSIP) labels of Office documents (K_GUID: min = slot) */
    {S_LABELS, "name_required", K_ENUM, 0, 0, NAME_VALUES, 0},
    {S_LABELS, "msip_site", K_GUID, 0, 0, NULL, 0},
    {S_LABELS, "msip_C1", K_GUID, 1, 0, NULL, 0},
    {S_LABELS, "msip_C2", K_GUID, 2, 0, NULL, 0},
    {S_LABELS, "msip_C3", K_GUID, 3, 0, NULL, 0},
    /* Approvals (§2.3(2)⑧(イ)⑨(イ)⑩(ウ), §2.7): who approves what.  By
     * default nothing extra is required (provide = none); a manager
     * approves providing, carrying and disposal, the CISO exceptions. */
    {S_APPROVAL, "provide", K_ENUM, 0, 0, NAME_VALUES, 0},
    {S_APPROVAL, "provide_C1", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "provide_C2", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "provide_C3", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "carry_C1", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "carry_C2", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "carry_C3", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "disposal_C1", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "disposal_C2", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "disposal_C3", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_MANAGER},
    {S_APPROVAL, "exception_C1", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_CISO},
    {S_APPROVAL, "exception_C2", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_CISO},
    {S_APPROVAL, "exception_C3", K_ENUM, 0, 0, ROLE_VALUES, APPROVER_CISO},
    {S_APPROVAL, "max_days", K_INT, 1, 366, NULL, 30},
    /* The record of every operation (§2.6.1(4)(6)): off unless the
     * policy turns it on, as on staff installs; a citizen who only
     * verifies has no policy and leaves no trace. */
    {S_AUDIT, "record", K_ENUM, 0, 0, ONOFF_VALUES, OFF},
    {S_AUDIT, "syslog", K_ENUM, 0, 0, ONOFF_VALUES, ON},
    {S_AUDIT, "syslog_socket", K_SOCK, 0, 0, NULL, 0},
};
_Static_assert(R_APPR_ROLE_END + 1 == R_APPR_MAX_DAYS, "[approval] table layout");

#define DEFAULT_ORG "(no policy installed)"
#define DICT_SYSTEM "system"
#define DEFAULT_FILE "policy.ini"
#define ORIGIN_DEFAULT "built-in default"

/* Which of the rules of a [class.Cn] / of a [class.In]. */
enum {
    C_ENCRYPT,
    C_PASSPHRASE,
    C_RECIPIENTS,
    C_WIPE_VERIFY,
    C_WIPE_APPROVAL,
    C_WIPE_WITNESS,
    C_WIPE_CATEGORY,
    C_ZIP,
    C_COUNT
};
enum { I_SIGN, I_SIGNER };

static int conf_rule(int c, int which)
{
    return R_C3_ENCRYPT + (3 - c) * C_COUNT + which;
}

/* conf_rule() counts on the table's layout. */
_Static_assert(R_C2_ENCRYPT == R_C3_ENCRYPT + C_COUNT &&
                   R_C1_ENCRYPT == R_C2_ENCRYPT + C_COUNT &&
                   R_I2_SIGN == R_C1_ENCRYPT + C_COUNT &&
                   R_C3_WIPE_CATEGORY == R_C3_ENCRYPT + C_WIPE_CATEGORY,
               "rule table layout");

static int integ_rule(int i, int which)
{
    return R_I2_SIGN + (2 - i) * 2 + which;
}

struct fuin_policy {
    int val[R_COUNT];
    unsigned line[R_COUNT]; /* 0 = built-in default */
    char org[FUIN_POLICY_MAX_ORG + 1];
    char dict[FUIN_POLICY_MAX_DICT + 1]; /* "" = the system dictionary */
    char guid[4][GUID_LEN + 1];          /* "" = none                   */
    char sock[SOCK_MAX + 1];             /* "" = SOCK_DEFAULT           */
    char *file; /* for origins; NULL in the built-in default */
};

/* ---- UTF-8 and message helpers ---------------------------------------- */

/* Growing output: like snprintf, counts what would have been written. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
} outbuf;

static void ob_vprintf(outbuf *o, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void ob_vprintf(outbuf *o, const char *fmt, va_list ap)
{
    int n;
    if (o->buf != NULL && o->len < o->cap)
        n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    else
        n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void ob_printf(outbuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ob_printf(outbuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ob_vprintf(o, fmt, ap);
    va_end(ap);
}

static size_t ob_finish(outbuf *o)
{
    if (o->buf != NULL && o->cap > 0) {
        if (o->len >= o->cap)
            fuin__utf8_trim_tail(o->buf);
        else
            o->buf[o->len] = '\0';
    }
    return o->len;
}

static void put_msg(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_msg(char *buf, size_t cap, const char *fmt, ...)
{
    outbuf o = {buf, cap, 0};
    va_list ap;
    if (buf == NULL || cap == 0)
        return;
    buf[0] = '\0';
    va_start(ap, fmt);
    ob_vprintf(&o, fmt, ap);
    va_end(ap);
    ob_finish(&o);
}

static void clear_msg(char *buf, size_t cap)
{
    if (buf != NULL && cap > 0)
        buf[0] = '\0';
}

/* How many bytes of s to quote in a message: at most `max`, cut at a
 * character boundary, so a hostile line cannot crowd out the message. */
static int quote_len(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return (int)n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return (int)n;
}

#define QUOTE_MAX 48

/* ---- origins and values as text -------------------------------------- */

static size_t origin_text(const fuin_policy *p, unsigned line, char *buf,
                          size_t cap)
{
    outbuf o = {buf, cap, 0};
    if (line == 0 || p->file == NULL)
        ob_printf(&o, "%s", ORIGIN_DEFAULT);
    else
        ob_printf(&o, "%s:%u", p->file, line);
    return ob_finish(&o);
}

#define ORIGIN_MAX 320

static size_t value_text(const fuin_policy *p, int r, char *buf, size_t cap)
{
    const rule_def *d = &RULES[r];
    outbuf o = {buf, cap, 0};
    const char *sep = "";

    switch (d->kind) {
    case K_TEXT:
        ob_printf(&o, "%s", p->org);
        break;
    case K_PATH:
        ob_printf(&o, "%s", p->dict[0] ? p->dict : DICT_SYSTEM);
        break;
    case K_GUID:
        ob_printf(&o, "%s", p->guid[d->min][0] ? p->guid[d->min] : "none");
        break;
    case K_SOCK:
        ob_printf(&o, "%s", p->sock[0] ? p->sock : SOCK_DEFAULT);
        break;
    case K_METHODS:
        for (int i = 0; d->names[i] != NULL; i++) {
            if (p->val[r] & (1 << i)) {
                ob_printf(&o, "%s%s", sep, d->names[i]);
                sep = " ";
            }
        }
        break;
    case K_INT:
        ob_printf(&o, "%d", p->val[r]);
        break;
    default:
        ob_printf(&o, "%s", d->names[p->val[r]]);
        break;
    }
    return ob_finish(&o);
}

#define VALUE_MAX                                                             \
    ((FUIN_POLICY_MAX_ORG > FUIN_POLICY_MAX_DICT ? FUIN_POLICY_MAX_ORG         \
                                                 : FUIN_POLICY_MAX_DICT) +     \
     1)

/* "policy.ini:17: [class.C3] passphrase = forbidden" into buf. */
static void rule_head(const fuin_policy *p, int r, char *buf, size_t cap)
{
    char org[ORIGIN_MAX], val[VALUE_MAX];
    origin_text(p, p->line[r], org, sizeof org);
    value_text(p, r, val, sizeof val);
    put_msg(buf, cap, "%s: [%s] %s = %s", org, SECTIONS[RULES[r].section],
            RULES[r].key, val);
}

/* Same rule with the origin last, for describe(). */
static void rule_tail(const fuin_policy *p, int r, char *buf, size_t cap)
{
    char org[ORIGIN_MAX], val[VALUE_MAX];
    origin_text(p, p->line[r], org, sizeof org);
    value_text(p, r, val, sizeof val);
    put_msg(buf, cap, "[%s] %s = %s, %s", SECTIONS[RULES[r].section],
            RULES[r].key, val, org);
}

#define HEAD_MAX (ORIGIN_MAX + VALUE_MAX + 64)

/* ---- construction ------------------------------------------------------ */

static fuin_policy *policy_new(void)
{
    fuin_policy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    for (int r = 0; r < R_COUNT; r++)
        p->val[r] = RULES[r].def;
    memcpy(p->org, DEFAULT_ORG, sizeof DEFAULT_ORG);
    return p;
}

fuin_status fuin_policy_default(fuin_policy **p)
{
    if (p == NULL)
        return FUIN_E_INVALID;
    *p = policy_new();
    return *p ? FUIN_OK : FUIN_E_NOMEM;
}

void fuin_policy_free(fuin_policy *p)
{
    if (p == NULL)
        return;
    free(p->file);
    free(p);
}

/* The file name ends up in messages and in fuin_policy_format() output,
 * which must stay one-line valid UTF-8: replace anything else by '?'. */
static char *sanitize_name(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    size_t i = 0, j = 0;
    if (out == NULL)
        return NULL;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = fuin__utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (k == 0 || c < 0x20 || c == 0x7f) {
            out[j++] = '?';
            i++;
            continue;
        }
        memcpy(out + j, s + i, k);
        i += k;
        j += k;
    }
    out[j] = '\0';
    return out;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
    const char *text;
    size_t len, pos;
    unsigned lineno;      /* line the reader handed to inih last */
    int section;          /* current section, -1 before the first */
    unsigned section_line[S_COUNT];
    fuin_policy *pol;
    const char *file;
    char *err;
    size_t errcap;
    int failed;           /* stop: the reader returns NULL from now on */
    unsigned err_line;
} pstate;

static void fail(pstate *st, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(pstate *st, unsigned line, const char *fmt, ...)
{
    char what[FUIN_ERRMSG_MAX * 2];
    va_list ap;
    if (st->failed)
        return;
    st->failed = 1;
    st->err_line = line;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    put_msg(st->err, st->errcap, "%s:%u: %s", st->file, line, what);
}

/* inih's own notion of white space (isspace in the C locale). */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static int lookup_section(const char *name, size_t len)
{
    for (int i = 0; i < S_COUNT; i++)
        if (strlen(SECTIONS[i]) == len && memcmp(SECTIONS[i], name, len) == 0)
            return i;
    return -1;
}

/* A "[section]" line, checked here on the whole line because inih says
 * nothing about a section without keys and truncates long names. */
static int check_section_line(pstate *st, const char *line, size_t s,
                              size_t end)
{
    size_t close = s + 1;
    while (close < end && line[close] != ']') {
        if (line[close] == ';' && is_space(line[close - 1]))
            break; /* inih ends the line at an inline comment */
        close++;
    }
    if (close >= end || line[close] != ']') {
        fail(st, st->lineno, "syntax error: section header without \"]\"");
        return 0;
    }
    size_t r = close + 1;
    while (r < end && is_space(line[r]))
        r++;
    if (r < end && line[r] != ';') {
        fail(st, st->lineno,
             "text after the section header (only a \"; comment\" may "
             "follow \"]\")");
        return 0;
    }

    const char *name = line + s + 1;
    size_t nlen = close - s - 1;
    int sec = lookup_section(name, nlen);
    if (sec < 0) {
        int q = quote_len(name, nlen, QUOTE_MAX);
        fail(st, st->lineno,
             "unknown section [%.*s]%s (fuin knows [organisation] [methods] "
             "[passphrase] [keys] [class.C1] [class.C2] [class.C3] "
             "[class.I1] [class.I2] [wipe] [labels] [approval] [audit])",
             q, name, (size_t)q < nlen ? "..." : "");
        return 0;
    }
    if (st->section_line[sec] != 0) {
        fail(st, st->lineno, "duplicate section [%s] (first at line %u)",
             SECTIONS[sec], st->section_line[sec]);
        return 0;
    }
    st->section_line[sec] = st->lineno;
    st->section = sec;
    return 1;
}

/* fgets-like reader for ini_parse_stream: one line per call, so inih's
 * line count is ours, and the handler runs right after we return the line
 * it is about.  Lines are checked here for what inih accepts silently.
 * The rules mirror libinih's defaults as Debian builds it (';' and '#'
 * start-of-line comments, " ;" inline comments, continuation lines);
 * fuin never changes libinih's global settings. */
static char *reader(char *str, int num, void *stream)
{
    pstate *st = stream;
    if (st->failed || st->pos >= st->len)
        return NULL;
    if (num < 8) {
        /* Ending early here would accept half a policy. */
        fail(st, st->lineno + 1, "libinih's line buffer is too small (%d)",
             num);
        return NULL;
    }

    const char *line = st->text + st->pos;
    size_t avail = st->len - st->pos;
    const char *nl = memchr(line, '\n', avail);
    size_t n = nl ? (size_t)(nl - line) + 1 : avail;
    st->pos += n;
    st->lineno++;

    if (memchr(line, '\0', n) != NULL) {
        fail(st, st->lineno, "NUL byte in the line");
        return NULL;
    }
    if (!fuin__utf8_valid(line, n)) {
        fail(st, st->lineno, "not valid UTF-8 (save the policy as UTF-8)");
        return NULL;
    }

    size_t body = 0;
    if (st->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
        body = 3; /* inih skips a UTF-8 byte order mark */
    size_t end = n;
    if (end > body && line[end - 1] == '\n')
        end--;
    size_t content_end = end;
    if (content_end > body && line[content_end - 1] == '\r')
        content_end--;
    size_t s = body;
    while (s < end && is_space(line[s]))
        s++;
    int blank = s >= end;
    int comment = !blank && (line[s] == ';' || line[s] == '#');

    /* inih reads an indented line as a continuation of the previous value
     * (Python configparser style), so "  encrypt = optional" under another
     * key would silently become part of that key's value. */
    if (!blank && !comment && s > body) {
        fail(st, st->lineno,
             "indented line (continuation lines are not allowed; remove the "
             "leading space)");
        return NULL;
    }
    if (!blank && line[s] == '[' && !check_section_line(st, line, s, end))
        return NULL;

    size_t limit = FUIN_POLICY_MAX_LINE;
    if ((size_t)num - 3 < limit)
        limit = (size_t)num - 3;
    size_t copy = n;
    int add_nl = 0;
    if (content_end - body > limit) {
        /* Too long for inih's line buffer: acceptable only if the excess
         * is a comment, which inih would drop anyway. */
        size_t cut = 0;
        if (comment) {
            cut = s + 1;
        } else {
            for (size_t i = s + 1; i < end; i++) {
                if (line[i] == ';' && is_space(line[i - 1])) {
                    cut = i;
                    break;
                }
            }
        }
        if (cut == 0 || cut - body > limit) {
            fail(st, st->lineno, "line longer than %u bytes",
                 (unsigned)FUIN_POLICY_MAX_LINE);
            return NULL;
        }
        copy = cut;
        add_nl = 1;
    }
    /* The byte order mark stays out: inih would skip it anyway, and it
     * would not fit a maximal first line into inih's buffer. */
    copy -= body;
    memcpy(str, line + body, copy);
    if (add_nl)
        str[copy++] = '\n';
    str[copy] = '\0';
    return str;
}

static int parse_int(const char *v, int *out)
{
    long n = 0;
    size_t len = strlen(v);
    if (len == 0 || len > 9)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        n = n * 10 + (v[i] - '0');
    }
    *out = (int)n;
    return 1;
}

static void list_names(const char *const *names, char *buf, size_t cap,
                       const char *sep)
{
    outbuf o = {buf, cap, 0};
    for (int i = 0; names[i] != NULL; i++)
        ob_printf(&o, "%s%s", i ? sep : "", names[i]);
    ob_finish(&o);
}

static int parse_methods(pstate *st, int r, const char *v, int *out)
{
    const rule_def *d = &RULES[r];
    char known[128];
    int mask = 0;
    const char *p = v;

    list_names(d->names, known, sizeof known, " ");
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *t = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        size_t tl = (size_t)(p - t);
        int found = -1;
        for (int i = 0; d->names[i] != NULL; i++)
            if (strlen(d->names[i]) == tl && memcmp(d->names[i], t, tl) == 0)
                found = i;
        if (found < 0) {
            int q = quote_len(t, tl, QUOTE_MAX);
            fail(st, st->lineno,
                 "[methods] %s: method \"%.*s\" is not one fuin implements "
                 "(%s methods: %s)",
                 d->key, q, t, d->key, known);
            return 0;
        }
        if (mask & (1 << found)) {
            fail(st, st->lineno, "[methods] %s: method \"%s\" listed twice",
                 d->key, d->names[found]);
            return 0;
        }
        mask |= 1 << found;
    }
    if (mask == 0) {
        fail(st, st->lineno,
             "[methods] %s lists no method (list at least one of: %s)",
             d->key, known);
        return 0;
    }
    *out = mask;
    return 1;
}

static int parse_org(pstate *st, const char *v)
{
    size_t n = strlen(v);
    if (n == 0) {
        fail(st, st->lineno, "[organisation] name is empty");
        return 0;
    }
    if (n > FUIN_POLICY_MAX_ORG) {
        fail(st, st->lineno,
             "[organisation] name is longer than %u bytes",
             (unsigned)FUIN_POLICY_MAX_ORG);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) {
            fail(st, st->lineno,
                 "[organisation] name contains a control character");
            return 0;
        }
    }
    /* Written back by fuin_policy_format() as "name = X ; origin", where a
     * leading ';' would start a comment. */
    if (v[0] == ';') {
        fail(st, st->lineno, "[organisation] name must not start with \";\"");
        return 0;
    }
    memcpy(st->pol->org, v, n + 1);
    return 1;
}

/* [passphrase] dictionary: "system", or the absolute path prefix of a
 * cracklib dictionary (PREFIX.pwd, PREFIX.pwi, PREFIX.hwm), as
 * cracklib-packer writes it. */
static int parse_dict(pstate *st, const char *v)
{
    size_t n = strlen(v);
    if (strcmp(v, DICT_SYSTEM) == 0) {
        st->pol->dict[0] = '\0';
        return 1;
    }
    if (n == 0 || v[0] != '/') {
        fail(st, st->lineno,
             "[passphrase] dictionary must be \"system\" or an absolute "
             "path (the prefix of a cracklib dictionary)");
        return 0;
    }
    if (n > FUIN_POLICY_MAX_DICT) {
        fail(st, st->lineno, "[passphrase] dictionary is longer than %u bytes",
             (unsigned)FUIN_POLICY_MAX_DICT);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x21 || c == 0x7f || c == ';') {
            fail(st, st->lineno,
                 "[passphrase] dictionary contains a space, \";\" or a "
                 "control character");
            return 0;
        }
    }
    memcpy(st->pol->dict, v, n + 1);
    return 1;
}

/* A GUID as Microsoft 365 writes label and tenant ids
 * (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, stored lower case), or "none". */
static int parse_guid(pstate *st, int r, const char *v)
{
    char *g = st->pol->guid[RULES[r].min];
    size_t n = strlen(v);
    if (strcmp(v, "none") == 0) {
        g[0] = '\0';
        return 1;
    }
    for (size_t i = 0; i < n && n == GUID_LEN; i++) {
        char c = v[i];
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            n = 0;
    }
    if (n != GUID_LEN) {
        fail(st, st->lineno,
             "[%s] %s: must be \"none\" or a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
             SECTIONS[RULES[r].section], RULES[r].key);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        g[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
    g[n] = '\0';
    return 1;
}

/* [audit] syslog_socket: the absolute path of a unix datagram socket. */
static int parse_sock(pstate *st, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || v[0] != '/' || n > SOCK_MAX) {
        fail(st, st->lineno,
             "[audit] syslog_socket must be an absolute path of at most %d bytes",
             SOCK_MAX);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x21 || c == 0x7f || c == ';') {
            fail(st, st->lineno,
                 "[audit] syslog_socket contains a space, \";\" or a control character");
            return 0;
        }
    }
    memcpy(st->pol->sock, v, n + 1);
    return 1;
}

static int parse_value(pstate *st, int r, const char *v)
{
    const rule_def *d = &RULES[r];
    const char *sec = SECTIONS[d->section];
    int q = quote_len(v, strlen(v), QUOTE_MAX);
    const char *more = (size_t)q < strlen(v) ? "..." : "";
    int val = 0;

    switch (d->kind) {
    case K_TEXT:
        return parse_org(st, v);
    case K_PATH:
        return parse_dict(st, v);
    case K_GUID:
        return parse_guid(st, r, v);
    case K_SOCK:
        return parse_sock(st, v);
    case K_METHODS:
        if (!parse_methods(st, r, v, &val))
            return 0;
        break;
    case K_INT:
        if (!parse_int(v, &val) || val < d->min || val > d->max) {
            fail(st, st->lineno,
                 "[%s] %s = %.*s%s: must be a whole number from %d to %d",
                 sec, d->key, q, v, more, d->min, d->max);
            return 0;
        }
        break;
    default: {
        int found = -1;
        for (int i = 0; d->names[i] != NULL; i++)
            if (strcmp(d->names[i], v) == 0)
                found = i;
        if (found < 0) {
            char known[64];
            list_names(d->names, known, sizeof known, ", ");
            fail(st, st->lineno, "[%s] %s = %.*s%s: must be one of %s", sec,
                 d->key, q, v, more, known);
            return 0;
        }
        val = found;
        break;
    }
    }
    st->pol->val[r] = val;
    return 1;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    pstate *st = user;
    (void)section; /* inih truncates it; the reader tracked the full one */
    if (st->failed)
        return 0;

    int qn = quote_len(name, strlen(name), QUOTE_MAX);
    const char *more = (size_t)qn < strlen(name) ? "..." : "";
    if (st->section < 0) {
        fail(st, st->lineno,
             "key \"%.*s%s\" outside any section (put it under a "
             "[section] header)",
             qn, name, more);
        return 0;
    }

    int r = -1;
    for (int i = 0; i < R_COUNT; i++)
        if (RULES[i].section == st->section && strcmp(RULES[i].key, name) == 0)
            r = i;
    if (r < 0) {
        char known[128];
        outbuf o = {known, sizeof known, 0};
        for (int i = 0; i < R_COUNT; i++)
            if (RULES[i].section == st->section)
                ob_printf(&o, "%s%s", o.len ? " " : "", RULES[i].key);
        ob_finish(&o);
        fail(st, st->lineno, "unknown key \"%.*s%s\" in [%s] (known: %s)", qn,
             name, more, SECTIONS[st->section], known);
        return 0;
    }
    if (st->pol->line[r] != 0) {
        fail(st, st->lineno, "duplicate key \"%s\" in [%s] (first at line %u)",
             RULES[r].key, SECTIONS[st->section], st->pol->line[r]);
        return 0;
    }
    if (!parse_value(st, r, value))
        return 0;
    st->pol->line[r] = st->lineno;
    return 1;
}

/* Rules that involve two keys, checked once the whole file is read. */
static int check_consistency(pstate *st)
{
    fuin_policy *p = st->pol;
    /* one MSIP label cannot stand for two classes */
    for (int a = 1; a <= 3; a++)
        for (int b = a + 1; b <= 3; b++)
            if (p->guid[a][0] && strcmp(p->guid[a], p->guid[b]) == 0) {
                fail(st, p->line[R_MSIP_C1 + b - 1],
                     "[labels] msip_C%d and msip_C%d name the same MSIP label: one label "
                     "cannot stand for two classes",
                     a, b);
                return 0;
            }
    if (p->val[R_CERT_DAYS] > p->val[R_KEY_DAYS]) {
        unsigned line = p->line[R_CERT_DAYS] > p->line[R_KEY_DAYS]
                            ? p->line[R_CERT_DAYS]
                            : p->line[R_KEY_DAYS];
        char ko[ORIGIN_MAX], co[ORIGIN_MAX];
        origin_text(p, p->line[R_KEY_DAYS], ko, sizeof ko);
        origin_text(p, p->line[R_CERT_DAYS], co, sizeof co);
        fail(st, line,
             "[keys] certificate_lifetime_days = %d (%s) is longer than "
             "key_lifetime_days = %d (%s): a certificate cannot outlive its "
             "key",
             p->val[R_CERT_DAYS], co, p->val[R_KEY_DAYS], ko);
        return 0;
    }
    return 1;
}

fuin_status fuin_policy_parse(const char *text, size_t len,
                              const char *filename, fuin_policy **out,
                              char *err, size_t errcap)
{
    clear_msg(err, errcap);
    if (out == NULL)
        return FUIN_E_INVALID;
    *out = NULL;
    if (text == NULL && len > 0)
        return FUIN_E_INVALID;

    fuin_policy *p = policy_new();
    if (p == NULL)
        return FUIN_E_NOMEM;
    p->file = sanitize_name(filename ? filename : DEFAULT_FILE);
    if (p->file == NULL) {
        fuin_policy_free(p);
        return FUIN_E_NOMEM;
    }
    if (len > FUIN_POLICY_MAX_BYTES) {
        put_msg(err, errcap, "%s: policy is %zu bytes, more than the %u allowed",
                p->file, len, (unsigned)FUIN_POLICY_MAX_BYTES);
        fuin_policy_free(p);
        return FUIN_E_LIMIT;
    }

    pstate st;
    memset(&st, 0, sizeof st);
    st.text = text;
    st.len = len;
    st.section = -1;
    st.pol = p;
    st.file = p->file;
    st.err = err;
    st.errcap = errcap;

    int rc = ini_parse_stream(reader, &st, handler, &st);
    if (rc == -2) {
        fuin_policy_free(p);
        return FUIN_E_NOMEM;
    }
    /* inih keeps going after a line it cannot parse; report whichever
     * error comes first in the file. */
    if (rc > 0 && (!st.failed || (unsigned)rc < st.err_line)) {
        put_msg(err, errcap,
                "%s:%d: syntax error (expected \"[section]\", \"key = value\" "
                "or a \"; comment\")",
                p->file, rc);
        fuin_policy_free(p);
        return FUIN_E_SYNTAX;
    }
    if (st.failed || rc != 0 || !check_consistency(&st)) {
        if (!st.failed)
            put_msg(err, errcap, "%s: cannot parse the policy", p->file);
        fuin_policy_free(p);
        return FUIN_E_SYNTAX;
    }
    *out = p;
    return FUIN_OK;
}

/* ---- accessors and text form ---------------------------------------- */

const char *fuin_policy_organisation(const fuin_policy *p)
{
    return p ? p->org : NULL;
}

int fuin_policy_key_lifetime_days(const fuin_policy *p)
{
    return p ? p->val[R_KEY_DAYS] : 0;
}

int fuin_policy_cert_lifetime_days(const fuin_policy *p)
{
    return p ? p->val[R_CERT_DAYS] : 0;
}

int fuin_policy_passphrase_min_length(const fuin_policy *p)
{
    return p ? p->val[R_MIN_LENGTH] : 0;
}

int fuin_policy_passphrase_min_quality(const fuin_policy *p)
{
    return p ? p->val[R_MIN_QUALITY] : 0;
}

const char *fuin_policy_passphrase_dictionary(const fuin_policy *p)
{
    return p != NULL && p->dict[0] != '\0' ? p->dict : NULL;
}

int fuin_policy_method_allowed(const fuin_policy *p, const char *method)
{
    static const int method_rules[] = {R_ENC_METHODS, R_SIG_METHODS};
    if (p == NULL || method == NULL)
        return 0;
    for (size_t k = 0; k < sizeof method_rules / sizeof method_rules[0]; k++) {
        const rule_def *d = &RULES[method_rules[k]];
        for (int i = 0; d->names[i] != NULL; i++)
            if (strcmp(d->names[i], method) == 0)
                return (p->val[method_rules[k]] & (1 << i)) != 0;
    }
    return 0;
}

size_t fuin_policy_origin(const fuin_policy *p, unsigned line, char *buf,
                          size_t cap)
{
    if (p == NULL) {
        clear_msg(buf, cap);
        return 0;
    }
    return origin_text(p, line, buf, cap);
}

fuin_status fuin_policy_value(const fuin_policy *p, const char *section,
                              const char *key, char *value, size_t cap,
                              unsigned *line)
{
    clear_msg(value, cap);
    if (line != NULL)
        *line = 0;
    if (p == NULL || section == NULL || key == NULL)
        return FUIN_E_INVALID;
    int sec = lookup_section(section, strlen(section));
    for (int r = 0; sec >= 0 && r < R_COUNT; r++) {
        if (RULES[r].section == sec && strcmp(RULES[r].key, key) == 0) {
            value_text(p, r, value, cap);
            if (line != NULL)
                *line = p->line[r];
            return FUIN_OK;
        }
    }
    return FUIN_E_INVALID;
}

size_t fuin_policy_format(const fuin_policy *p, char *buf, size_t cap)
{
    outbuf o = {buf, cap, 0};
    if (p == NULL) {
        clear_msg(buf, cap);
        return 0;
    }
    /* A fixed layout: formatting the parse of this text gives the same
     * lines, so the output is a fixed point after one round trip. */
    ob_printf(&o, "; fuin effective policy.  Each value is followed by its "
                  "origin:\n"
                  "; FILE:LINE of the installed policy, or \"%s\".\n",
              ORIGIN_DEFAULT);
    for (int s = 0; s < S_COUNT; s++) {
        ob_printf(&o, "%s[%s]\n", s ? "\n" : "", SECTIONS[s]);
        for (int r = 0; r < R_COUNT; r++) {
            if (RULES[r].section != s)
                continue;
            char val[VALUE_MAX], org[ORIGIN_MAX];
            value_text(p, r, val, sizeof val);
            origin_text(p, p->line[r], org, sizeof org);
            ob_printf(&o, "%s = %s ; %s\n", RULES[r].key, val, org);
        }
    }
    return ob_finish(&o);
}

/* ---- checks -------------------------------------------------------------- */

static const fuin_label UNLABELLED = {1, 1, 1, 0};

/* NULL label: an unlabelled file is handled as C1-I1-A1. */
static const fuin_label *effective_label(const fuin_label *l)
{
    return l ? l : &UNLABELLED;
}

static int label_ok(const fuin_label *l)
{
    return l->confidentiality >= 1 && l->confidentiality <= 3 &&
           l->integrity >= 1 && l->integrity <= 2 && l->availability >= 1 &&
           l->availability <= 2 && (l->restrictions & ~0x3fu) == 0;
}

/* "<origin>: [section] key = value: <why>" */
static fuin_status refuse(const fuin_policy *p, int r, char *msg, size_t cap,
                          const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static fuin_status refuse(const fuin_policy *p, int r, char *msg, size_t cap,
                          const char *fmt, ...)
{
    char head[HEAD_MAX], why[FUIN_ERRMSG_MAX + HEAD_MAX];
    va_list ap;
    rule_head(p, r, head, sizeof head);
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    put_msg(msg, cap, "%s: %s", head, why);
    return FUIN_E_POLICY;
}

fuin_status fuin_policy_check_encrypt(const fuin_policy *p,
                                      const fuin_label *label,
                                      int passphrase_mode, size_t n_recipients,
                                      size_t n_uncertified_recipients,
                                      char *msg, size_t cap)
{
    clear_msg(msg, cap);
    label = effective_label(label);
    if (p == NULL || !label_ok(label))
        return FUIN_E_INVALID;
    if (!passphrase_mode &&
        (n_recipients == 0 || n_uncertified_recipients > n_recipients))
        return FUIN_E_INVALID;

    int c = label->confidentiality;
    if (passphrase_mode && !(p->val[R_ENC_METHODS] & M_AGE_SCRYPT))
        return refuse(p, R_ENC_METHODS, msg, cap,
                      "age-scrypt (passphrase encryption) is not a method the "
                      "policy allows");
    if (!passphrase_mode && !(p->val[R_ENC_METHODS] & M_AGE_X25519))
        return refuse(p, R_ENC_METHODS, msg, cap,
                      "age-x25519 (encryption to recipients) is not a method "
                      "the policy allows");

    int rp = conf_rule(c, C_PASSPHRASE);
    if (passphrase_mode && p->val[rp] == PASS_FORBIDDEN)
        return refuse(p, rp, msg, cap,
                      "機密性%d files may not be encrypted with a passphrase",
                      c);

    int rr = conf_rule(c, C_RECIPIENTS);
    if (!passphrase_mode && p->val[rr] == WHO_CERTIFIED &&
        n_uncertified_recipients > 0) {
        char who[96];
        if (n_recipients == 1)
            snprintf(who, sizeof who, "the recipient is not certified");
        else if (n_uncertified_recipients == n_recipients)
            snprintf(who, sizeof who, "none of the %zu recipients is certified",
                     n_recipients);
        else
            snprintf(who, sizeof who, "%zu of the %zu recipients %s not certified",
                     n_uncertified_recipients, n_recipients,
                     n_uncertified_recipients == 1 ? "is" : "are");
        return refuse(p, rr, msg, cap,
                      "機密性%d files may be encrypted only to certified "
                      "recipients; %s",
                      c, who);
    }
    return FUIN_OK;
}

static fuin_status check_signer(const fuin_policy *p, const fuin_label *label,
                                int signer_certified, int verifying,
                                char *msg, size_t cap)
{
    clear_msg(msg, cap);
    label = effective_label(label);
    if (p == NULL || !label_ok(label))
        return FUIN_E_INVALID;
    if (!(p->val[R_SIG_METHODS] & M_MINISIGN_ED25519))
        return refuse(p, R_SIG_METHODS, msg, cap,
                      "minisign-ed25519 is not a method the policy allows");
    int i = label->integrity;
    int r = integ_rule(i, I_SIGNER);
    if (p->val[r] == WHO_CERTIFIED && !signer_certified) {
        if (verifying)
            return refuse(p, r, msg, cap,
                          "完全性%d files must be signed by a key the CISO "
                          "certified; this signer is not certified",
                          i);
        return refuse(p, r, msg, cap,
                      "完全性%d files must be signed with a key the CISO "
                      "certified; this key has no valid certificate",
                      i);
    }
    return FUIN_OK;
}

fuin_status fuin_policy_check_sign(const fuin_policy *p,
                                   const fuin_label *label,
                                   int signer_certified, char *msg, size_t cap)
{
    return check_signer(p, label, signer_certified, 0, msg, cap);
}

fuin_status fuin_policy_check_verify(const fuin_policy *p,
                                     const fuin_label *label,
                                     int signer_certified, char *msg,
                                     size_t cap)
{
    return check_signer(p, label, signer_certified, 1, msg, cap);
}

fuin_status fuin_policy_check_unencrypted(const fuin_policy *p,
                                          const fuin_label *label, char *msg,
                                          size_t cap)
{
    clear_msg(msg, cap);
    label = effective_label(label);
    if (p == NULL || !label_ok(label))
        return FUIN_E_INVALID;
    int c = label->confidentiality;
    int r = conf_rule(c, C_ENCRYPT);
    if (p->val[r] == ENC_REQUIRED)
        return refuse(p, r, msg, cap,
                      "機密性%d files must be encrypted when sent, carried or "
                      "provided",
                      c);
    if (label->restrictions & FUIN_R_ENCRYPT_REQUIRED) {
        char cls[128];
        fuin_label_format(label, cls, sizeof cls);
        put_msg(msg, cap,
                "label %s: the restriction 暗号化必須 (encrypt-required) "
                "demands encryption",
                cls);
        return FUIN_E_POLICY;
    }
    if (p->val[r] == ENC_RECOMMENDED) {
        char head[HEAD_MAX];
        rule_head(p, r, head, sizeof head);
        put_msg(msg, cap,
                "%s: 機密性%d files should be encrypted when sent, carried or "
                "provided",
                head, c);
    }
    return FUIN_OK;
}

fuin_status fuin_policy_check_unsigned(const fuin_policy *p,
                                       const fuin_label *label, char *msg,
                                       size_t cap)
{
    clear_msg(msg, cap);
    label = effective_label(label);
    if (p == NULL || !label_ok(label))
        return FUIN_E_INVALID;
    int i = label->integrity;
    int r = integ_rule(i, I_SIGN);
    if (p->val[r] == SIGN_REQUIRED)
        return refuse(p, r, msg, cap,
                      "完全性%d files must carry an electronic signature", i);
    return FUIN_OK;
}

/* The class a wipe is judged by: the label's, or for unlabelled targets
 * C1 (files, as everywhere else) or [wipe] unlabelled (media). */
static int wipe_class(const fuin_policy *p, const fuin_label *label,
                      int media)
{
    if (label != NULL)
        return label->confidentiality;
    return media ? p->val[R_WIPE_UNLABELLED] + 1 : 1;
}

static const char *const CATEGORY_NAMES[] = {"Clear", "Purge", "Destroy"};

fuin_status fuin_policy_check_wipe(const fuin_policy *p,
                                   const fuin_label *label, int media,
                                   int verify_level, int category,
                                   int approved, int witnessed, char *msg,
                                   size_t cap)
{
    clear_msg(msg, cap);
    if (p == NULL || (label != NULL && !label_ok(label)) || verify_level < 0 ||
        verify_level > VERIFY_FULL || category < 1 || category > 3)
        return FUIN_E_INVALID;

    int c = wipe_class(p, label, media);
    const char *what = media ? "media" : "files";
    /* Which class an unlabelled medium was taken for, and why: without it
     * a refusal of "機密性2" would puzzle someone who gave no class. */
    char note[HEAD_MAX + 96] = "";
    if (media && label == NULL) {
        char rule[HEAD_MAX];
        rule_tail(p, R_WIPE_UNLABELLED, rule, sizeof rule);
        snprintf(note, sizeof note,
                 "; unlabelled media count as 機密性%d (%s; give --class)", c,
                 rule);
    }

    int r = conf_rule(c, C_WIPE_CATEGORY);
    if (category < p->val[r] + 1)
        return refuse(p, r, msg, cap,
                      "機密性%d %s must be sanitized to at least %s (NIST SP "
                      "800-88); this method achieves only %s%s",
                      c, what, CATEGORY_NAMES[p->val[r]],
                      CATEGORY_NAMES[category - 1], note);

    /* A destroyed medium cannot be read back; the record of the
     * destruction (and its witness) stands in for verification. */
    r = conf_rule(c, C_WIPE_VERIFY);
    if (category != 3 && verify_level < p->val[r]) {
        if (p->val[r] == VERIFY_FULL)
            return refuse(p, r, msg, cap,
                          "a wipe of 機密性%d %s must be verified in full "
                          "(--verify full); --verify %s is not enough%s",
                          c, what, VERIFY_VALUES[verify_level], note);
        return refuse(p, r, msg, cap,
                      "a wipe of 機密性%d %s must be verified at least by "
                      "sampling (--verify sample=PCT or full); --verify none "
                      "is not enough%s",
                      c, what, note);
    }

    /* Approval and witness are about disposing of a medium (§2.3(2)⑩
     * (ウ)); deleting a file, e.g. a draft (§2.3(2)③(ウ)), needs
     * neither. */
    if (!media)
        return FUIN_OK;
    r = conf_rule(c, C_WIPE_APPROVAL);
    if (p->val[r] == NEED_REQUIRED && !approved)
        return refuse(p, r, msg, cap,
                      "disposal of 機密性%d media needs an approved request "
                      "(fuin request disposal / fuin approve / fuin wipe "
                      "--approval)%s",
                      c, note);
    r = conf_rule(c, C_WIPE_WITNESS);
    if (p->val[r] == NEED_REQUIRED && !witnessed)
        return refuse(p, r, msg, cap,
                      "disposal of 機密性%d media needs a witness (fuin wipe "
                      "--witness NAME)%s",
                      c, note);
    return FUIN_OK;
}

/* The wipe rules of class c, one line each, for describe(); the approval
 * and witness rules only with `media`, since they bind only media. */
static void describe_wipe(outbuf *o, const fuin_policy *p, int c,
                          const char *indent, int media)
{
    char rule[HEAD_MAX];
    int r = conf_rule(c, C_WIPE_VERIFY);
    rule_tail(p, r, rule, sizeof rule);
    switch (p->val[r]) {
    case VERIFY_FULL:
        ob_printf(o,
                  "%swipe verification: full; everything written is read "
                  "back (%s)\n",
                  indent, rule);
        break;
    case VERIFY_SAMPLE:
        ob_printf(o,
                  "%swipe verification: at least a sample is read back "
                  "(%s)\n",
                  indent, rule);
        break;
    default:
        ob_printf(o, "%swipe verification: optional (%s)\n", indent, rule);
        break;
    }

    r = conf_rule(c, C_WIPE_CATEGORY);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == CAT_PURGE)
        ob_printf(o,
                  "%swipe category: Purge or Destroy (NIST SP 800-88); a "
                  "Clear method is not enough (%s)\n",
                  indent, rule);
    else
        ob_printf(o,
                  "%swipe category: Clear, Purge or Destroy (NIST SP 800-88) "
                  "(%s)\n",
                  indent, rule);
    if (!media)
        return;

    r = conf_rule(c, C_WIPE_APPROVAL);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == NEED_REQUIRED)
        ob_printf(o,
                  "%sdisposal approval: required for media; a request signed "
                  "by the operator and approved by a certified manager who is "
                  "not the operator; file wipes need none (%s)\n",
                  indent, rule);
    else
        ob_printf(o, "%sdisposal approval: optional (%s)\n", indent, rule);

    r = conf_rule(c, C_WIPE_WITNESS);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == NEED_REQUIRED)
        ob_printf(o,
                  "%sdisposal witness: required for media (--witness NAME); "
                  "file wipes need none (%s)\n",
                  indent, rule);
    else
        ob_printf(o, "%sdisposal witness: optional (%s)\n", indent, rule);
}

size_t fuin_policy_describe(const fuin_policy *p, const fuin_label *label,
                            char *buf, size_t cap)
{
    outbuf o = {buf, cap, 0};
    char rule[HEAD_MAX], rule2[HEAD_MAX], org[ORIGIN_MAX];
    const fuin_label *l = effective_label(label);

    if (p == NULL || !label_ok(l)) {
        clear_msg(buf, cap);
        return 0;
    }
    int c = l->confidentiality, i = l->integrity;

    if (label != NULL) {
        char cls[256];
        fuin_label_format(l, cls, sizeof cls);
        ob_printf(&o,
                  "Policy of %s for a file labelled %s (機密性%d, 完全性%d, "
                  "可用性%d):\n",
                  p->org, cls, c, i, l->availability);
    } else {
        ob_printf(&o,
                  "Policy of %s for an unlabelled file (handled as C1-I1-A1: "
                  "機密性1, 完全性1, 可用性1):\n",
                  p->org);
    }

    int r = conf_rule(c, C_ENCRYPT);
    rule_tail(p, r, rule, sizeof rule);
    switch (p->val[r]) {
    case ENC_REQUIRED:
        ob_printf(&o,
                  "  encryption: required when the file is sent, carried or "
                  "provided (%s)\n",
                  rule);
        break;
    case ENC_RECOMMENDED:
        ob_printf(&o,
                  "  encryption: recommended when the file is sent, carried or "
                  "provided (%s)\n",
                  rule);
        break;
    default:
        ob_printf(&o, "  encryption: optional (%s)\n", rule);
        break;
    }
    if (p->val[r] != ENC_REQUIRED && (l->restrictions & FUIN_R_ENCRYPT_REQUIRED))
        ob_printf(&o,
                  "  encryption: required all the same by the label's "
                  "restriction 暗号化必須 (encrypt-required)\n");

    r = conf_rule(c, C_PASSPHRASE);
    rule_tail(p, r, rule, sizeof rule);
    rule_tail(p, R_ENC_METHODS, rule2, sizeof rule2);
    if (p->val[r] == PASS_FORBIDDEN)
        ob_printf(&o,
                  "  passphrase: forbidden; encrypt to recipients, never with a "
                  "passphrase (%s)\n",
                  rule);
    else if (p->val[R_ENC_METHODS] & M_AGE_SCRYPT)
        ob_printf(&o, "  passphrase: allowed (age-scrypt) (%s)\n", rule);
    else
        ob_printf(&o,
                  "  passphrase: allowed by the class but impossible: the "
                  "methods do not include age-scrypt (%s; %s)\n",
                  rule, rule2);

    r = conf_rule(c, C_RECIPIENTS);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == WHO_CERTIFIED)
        ob_printf(&o,
                  "  recipients: only certified colleagues (a certificate from "
                  "the CISO, not expired, not revoked) (%s)\n",
                  rule);
    else
        ob_printf(&o, "  recipients: any age recipient (%s)\n", rule);

    r = integ_rule(i, I_SIGN);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == SIGN_REQUIRED)
        ob_printf(&o,
                  "  signature: required; sign the file before sending or "
                  "publishing it (%s)\n",
                  rule);
    else
        ob_printf(&o, "  signature: optional (%s)\n", rule);

    r = integ_rule(i, I_SIGNER);
    rule_tail(p, r, rule, sizeof rule);
    if (p->val[r] == WHO_CERTIFIED)
        ob_printf(&o,
                  "  signer: a key the CISO certified; signatures by other keys "
                  "are refused (%s)\n",
                  rule);
    else
        ob_printf(&o, "  signer: any minisign key (%s)\n", rule);

    char enc[VALUE_MAX], sig[VALUE_MAX], sorg[ORIGIN_MAX];
    value_text(p, R_ENC_METHODS, enc, sizeof enc);
    value_text(p, R_SIG_METHODS, sig, sizeof sig);
    origin_text(p, p->line[R_ENC_METHODS], org, sizeof org);
    origin_text(p, p->line[R_SIG_METHODS], sorg, sizeof sorg);
    ob_printf(&o, "  methods: encryption %s (%s); signature %s (%s)\n", enc,
              org, sig, sorg);

    if (label != NULL) {
        describe_wipe(&o, p, c, "  ", 1);
    } else {
        /* Files and media part ways here: an unlabelled file is 機密性1,
         * an unlabelled medium is whatever [wipe] unlabelled says. */
        int mc = wipe_class(p, NULL, 1);
        describe_wipe(&o, p, c, "  ", 0);
        rule_tail(p, R_WIPE_UNLABELLED, rule, sizeof rule);
        ob_printf(&o,
                  "  unlabelled media (block devices, physical destruction) "
                  "are handled as 機密性%d (%s):\n",
                  mc, rule);
        describe_wipe(&o, p, mc, "    ", 1);
    }

    if (l->restrictions != 0) {
        ob_printf(&o, "  label restrictions:");
        for (unsigned bit = 1; bit <= FUIN_R_DESTROY_AFTER_READ; bit <<= 1)
            if (l->restrictions & bit)
                ob_printf(&o, " %s (%s)",
                          fuin_restriction_name_ja((fuin_restriction)bit),
                          fuin_restriction_name((fuin_restriction)bit));
        ob_printf(&o, "; handle the file as they say\n");
    }
    return ob_finish(&o);
}

fuin_status fuin_policy_check_zip(const fuin_policy *p, const fuin_label *label, char *msg,
                                  size_t cap)
{
    clear_msg(msg, cap);
    label = effective_label(label);
    if (p == NULL || !label_ok(label))
        return FUIN_E_INVALID;
    int c = label->confidentiality;
    int rz = conf_rule(c, C_ZIP);
    if (p->val[rz] == PASS_FORBIDDEN)
        return refuse(p, rz, msg, cap,
                      "機密性%d files may not be sent as a password zip; encrypt to the "
                      "recipient's key",
                      c);
    return FUIN_OK;
}

/* ---- labels ------------------------------------------------------------ */

int fuin_policy_label_name_required(const fuin_policy *p, const fuin_label *label)
{
    int from;
    if (p == NULL || label == NULL)
        return 0;
    from = p->val[R_LABEL_NAME];
    return from > 0 && label->confidentiality >= from;
}

const char *fuin_policy_msip_label(const fuin_policy *p, int confidentiality)
{
    if (p == NULL || confidentiality < 1 || confidentiality > 3 || p->guid[confidentiality][0] == 0)
        return NULL;
    return p->guid[confidentiality];
}

const char *fuin_policy_msip_site(const fuin_policy *p)
{
    return p != NULL && p->guid[0][0] ? p->guid[0] : NULL;
}

int fuin_policy_msip_class(const fuin_policy *p, const char *id)
{
    if (p == NULL || id == NULL)
        return 0;
    for (int c = 1; c <= 3; c++)
        if (p->guid[c][0] && strcasecmp(p->guid[c], id) == 0)
            return c;
    return 0;
}

/* ---- approvals and the audit record ----------------------------------- */

static int approval_kind(const char *kind)
{
    for (int k = 0; kind != NULL && APPROVAL_KINDS[k] != NULL; k++)
        if (strcmp(kind, APPROVAL_KINDS[k]) == 0)
            return k;
    return -1;
}

int fuin_policy_provide_approval_required(const fuin_policy *p, int confidentiality)
{
    int from;
    if (p == NULL)
        return 0;
    from = p->val[R_APPR_PROVIDE];
    return from > 0 && confidentiality >= from;
}

const char *fuin_policy_approver_role(const fuin_policy *p, const char *kind,
                                      int confidentiality)
{
    int k = approval_kind(kind);
    if (p == NULL || k < 0 || confidentiality < 1 || confidentiality > 3)
        return NULL;
    return ROLE_VALUES[p->val[R_APPR_ROLE + k * 3 + confidentiality - 1]];
}

size_t fuin_policy_approver_origin(const fuin_policy *p, const char *kind,
                                   int confidentiality, char *buf, size_t cap)
{
    int k = approval_kind(kind);
    if (p == NULL || k < 0 || confidentiality < 1 || confidentiality > 3)
        return 0;
    return origin_text(p, p->line[R_APPR_ROLE + k * 3 + confidentiality - 1], buf, cap);
}

int fuin_policy_approval_max_days(const fuin_policy *p)
{
    return p == NULL ? RULES[R_APPR_MAX_DAYS].def : p->val[R_APPR_MAX_DAYS];
}

int fuin_policy_audit_record(const fuin_policy *p)
{
    return p != NULL && p->val[R_AUDIT_RECORD] == ON;
}

int fuin_policy_audit_syslog(const fuin_policy *p)
{
    return p != NULL && p->val[R_AUDIT_SYSLOG] == ON;
}

const char *fuin_policy_audit_syslog_socket(const fuin_policy *p)
{
    return p != NULL && p->sock[0] ? p->sock : SOCK_DEFAULT;
}
