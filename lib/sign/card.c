/* Text formats of the trust module: time, card, certificate, revocation
 * list and the trusted comment of fuin signatures (docs/trust.md).
 * Every parser is strict so that format(parse(text)) == text: a signed
 * text has exactly one reading. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

/* Length of the longest prefix of s[0..n) that is at most max bytes and
 * does not split a UTF-8 sequence, so quoted input stays readable. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* ------------------------------------------------------------------ */
/* time                                                                */
/* ------------------------------------------------------------------ */
#define MIN_TIME (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define MAX_TIME 253402300799LL   /* 9999-12-31T23:59:59Z */

/* Proleptic Gregorian day count (days since 1970-01-01), valid for any year
 * the format allows; avoids timegm(), which is neither C11 nor bounded. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* "YYYY-MM-DD" at s (10 bytes); -1 if not a real date. */
static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (s[4] != '-' || s[7] != '-' || digits(s, 4, y) || digits(s + 5, 2, m) ||
        digits(s + 8, 2, d))
        return -1;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

fuin_status fuin_time_parse_rfc3339(const char *s, int64_t *t)
{
    int y, mo, d, h, mi, se;
    if (s == NULL || t == NULL)
        return FUIN_E_INVALID;
    if (strlen(s) != 20 || parse_ymd(s, &y, &mo, &d) || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z' || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) || h > 23 ||
        mi > 59 || se > 59)
        return FUIN_E_SYNTAX;
    *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return FUIN_OK;
}

fuin_status fuin_time_parse_date(const char *s, int end_of_day, int64_t *t)
{
    int y, mo, d;
    if (s == NULL || t == NULL)
        return FUIN_E_INVALID;
    if (strlen(s) == 10) {
        if (parse_ymd(s, &y, &mo, &d))
            return FUIN_E_SYNTAX;
        *t = days_from_civil(y, mo, d) * 86400 + (end_of_day ? 86399 : 0);
        return FUIN_OK;
    }
    return fuin_time_parse_rfc3339(s, t);
}

size_t fuin_time_format_rfc3339(int64_t t, char *buf, size_t cap)
{
    int64_t y;
    int m, d;
    if (buf == NULL || cap == 0)
        return 0;
    buf[0] = '\0';
    if (t < MIN_TIME || t > MAX_TIME || cap < FUIN_TIME_MAX)
        return 0;
    int64_t days = (t >= 0 ? t : t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    return 20;
}

/* ------------------------------------------------------------------ */
/* text rules                                                          */
/* ------------------------------------------------------------------ */
/* Bidirectional overrides and zero-width characters let one name render
 * as another ("report\u202Efdp.exe"), so display text may not carry them. */
static int invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

/* 0 if s[0..n) is valid UTF-8 without control or invisible characters
 * (TAB allowed if allow_tab); else -1 and a reason in why. */
static int text_check(const char *str, size_t n, int allow_tab, char *why,
                      size_t whycap)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && !(c == '\t' && allow_tab)) || c == 0x7f) {
                fuin__set_msg(why, whycap, "control character 0x%02X", c);
                return -1;
            }
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            fuin__set_msg(why, whycap, "invalid UTF-8");
            return -1;
        }
        if (k > n - i - 1) {
            fuin__set_msg(why, whycap, "invalid UTF-8");
            return -1;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                fuin__set_msg(why, whycap, "invalid UTF-8");
                return -1;
            }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            fuin__set_msg(why, whycap, "invalid UTF-8");
            return -1;
        }
        if (cp <= 0x9F) {
            fuin__set_msg(why, whycap, "control character U+%04X", (unsigned)cp);
            return -1;
        }
        if (invisible(cp)) {
            fuin__set_msg(why, whycap, "invisible formatting character U+%04X",
                    (unsigned)cp);
            return -1;
        }
        i += k + 1;
    }
    return 0;
}

static int is_space_at_start(const char *s, size_t n)
{
    return (n >= 1 && s[0] == ' ') ||
           (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0);
}

static int is_space_at_end(const char *s, size_t n)
{
    return (n >= 1 && s[n - 1] == ' ') ||
           (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0);
}

/* A name, organisation or reason: shown to people, so non-empty and
 * without spaces around it. */
static int check_display(const char *s, size_t n, size_t max, char *why,
                         size_t whycap)
{
    if (n == 0) {
        fuin__set_msg(why, whycap, "empty");
        return -1;
    }
    if (n > max) {
        fuin__set_msg(why, whycap, "too long (at most %zu bytes)", max);
        return -1;
    }
    if (text_check(s, n, 0, why, whycap))
        return -1;
    if (is_space_at_start(s, n) || is_space_at_end(s, n)) {
        fuin__set_msg(why, whycap, "space at the start or end");
        return -1;
    }
    return 0;
}

static int check_email(const char *s, size_t n, char *why, size_t whycap)
{
    if (n == 0)
        return 0;
    if (n > FUIN_TEXT_MAX - 1) {
        fuin__set_msg(why, whycap, "too long (at most %d bytes)", FUIN_TEXT_MAX - 1);
        return -1;
    }
    if (text_check(s, n, 0, why, whycap))
        return -1;
    const char *at = memchr(s, '@', n);
    if (at == NULL || at == s || at == s + n - 1 ||
        memchr(at + 1, '@', (size_t)(s + n - at - 1)) != NULL ||
        memchr(s, ' ', n) != NULL || memmem(s, n, "\xE3\x80\x80", 3) != NULL) {
        fuin__set_msg(why, whycap, "not an e-mail address (local@domain)");
        return -1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 16 uppercase hex digits as minisign prints a key id (most significant
 * byte first) into the stored (little-endian) order. */
static int keyid_from_hex(const char *s, size_t n, uint8_t out[FUIN_KEYID_BYTES])
{
    if (n != 16)
        return -1;
    for (size_t i = 0; i < 8; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[7 - i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int is_serial(const char *s, size_t n)
{
    if (n != 16)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (hexval(s[i]) < 0)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* output buffer                                                       */
/* ------------------------------------------------------------------ */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (nb == NULL) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* "key: value\n", or "key:\n" for an empty value. */
static void sb_line(sbuf *b, const char *key, const char *value)
{
    sb_str(b, key);
    sb_str(b, value[0] ? ": " : ":");
    sb_str(b, value);
    sb_str(b, "\n");
}

static void sb_time_line(sbuf *b, const char *key, int64_t t)
{
    char ts[FUIN_TIME_MAX];
    fuin_time_format_rfc3339(t, ts, sizeof ts);
    sb_line(b, key, ts);
}

static fuin_status sb_finish(sbuf *b, char **text, size_t *len)
{
    if (b->oom || b->buf == NULL) {
        free(b->buf);
        return FUIN_E_NOMEM;
    }
    *text = b->buf;
    if (len)
        *len = b->len;
    return FUIN_OK;
}

/* ------------------------------------------------------------------ */
/* line reader                                                         */
/* ------------------------------------------------------------------ */
typedef struct {
    const char *p, *end;
    unsigned line; /* number of the line last read */
    char *err;
    size_t errcap;
} lines;

static fuin_status lerr(lines *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static fuin_status lerr(lines *L, const char *fmt, ...)
{
    char msg[FUIN_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fuin__set_msg(L->err, L->errcap, "line %u: %s", L->line, msg);
    return FUIN_E_SYNTAX;
}

static fuin_status next_line(lines *L, const char *want, const char **s,
                             size_t *n)
{
    L->line++;
    if (L->p >= L->end)
        return lerr(L, "missing \"%s\" (the text ends early)", want);
    const char *nl = memchr(L->p, '\n', (size_t)(L->end - L->p));
    if (nl == NULL)
        return lerr(L, "no newline at the end of the line");
    *s = L->p;
    *n = (size_t)(nl - L->p);
    L->p = nl + 1;
    char why[128];
    if (*n > 0 && (*s)[*n - 1] == '\r')
        return lerr(L, "carriage return (CRLF line ends are not allowed)");
    if (text_check(*s, *n, 0, why, sizeof why))
        return lerr(L, "%s", why);
    return FUIN_OK;
}

/* Reads "key: value" (or "key:" for an empty value). */
static fuin_status field(lines *L, const char *key, const char **v, size_t *vn)
{
    const char *s = NULL;
    size_t n = 0, k = strlen(key);
    char want[64];
    snprintf(want, sizeof want, "%s:", key);
    fuin_status st = next_line(L, want, &s, &n);
    if (st != FUIN_OK)
        return st;
    if (n == k + 1 && memcmp(s, key, k) == 0 && s[k] == ':') {
        *v = s + n;
        *vn = 0;
        return FUIN_OK;
    }
    if (n < k + 2 || memcmp(s, key, k) != 0 || s[k] != ':' || s[k + 1] != ' ')
        return lerr(L, "expected \"%s: \"", key);
    *v = s + k + 2;
    *vn = n - k - 2;
    if (*vn == 0)
        return lerr(L, "%s: write \"%s:\" for an empty value", key, key);
    return FUIN_OK;
}

static fuin_status copy_value(lines *L, const char *key, const char *v,
                              size_t n, char *buf, size_t cap)
{
    if (n >= cap)
        return lerr(L, "%s: too long (at most %zu bytes)", key, cap - 1);
    memcpy(buf, v, n);
    buf[n] = '\0';
    return FUIN_OK;
}

static fuin_status display_field(lines *L, const char *key, char *buf,
                                 size_t cap)
{
    const char *v;
    size_t n;
    char why[128];
    fuin_status st = field(L, key, &v, &n);
    if (st != FUIN_OK)
        return st;
    if (check_display(v, n, cap - 1, why, sizeof why))
        return lerr(L, "%s: %s", key, why);
    return copy_value(L, key, v, n, buf, cap);
}

static fuin_status time_field(lines *L, const char *key, int64_t *t)
{
    const char *v;
    size_t n;
    char buf[FUIN_TIME_MAX + 1];
    fuin_status st = field(L, key, &v, &n);
    if (st != FUIN_OK)
        return st;
    if (n >= sizeof buf)
        return lerr(L, "%s: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)", key);
    memcpy(buf, v, n);
    buf[n] = '\0';
    if (fuin_time_parse_rfc3339(buf, t) != FUIN_OK)
        return lerr(L, "%s: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)", key);
    return FUIN_OK;
}

static fuin_status keyid_field(lines *L, const char *key,
                               uint8_t keyid[FUIN_KEYID_BYTES])
{
    const char *v;
    size_t n;
    fuin_status st = field(L, key, &v, &n);
    if (st != FUIN_OK)
        return st;
    if (keyid_from_hex(v, n, keyid))
        return lerr(L, "%s: not a key id (16 uppercase hex digits)", key);
    return FUIN_OK;
}

static fuin_status header_line(lines *L, const char *expect, const char *what)
{
    const char *s = NULL;
    size_t n = 0;
    size_t k = strlen(expect);
    fuin_status st = next_line(L, expect, &s, &n);
    if (st != FUIN_OK)
        return st;
    if (n != k || memcmp(s, expect, k) != 0) {
        size_t plen = (size_t)(strchr(expect, ':') - expect);
        if (n > plen && memcmp(s, expect, plen) == 0 && s[plen] == ':')
            return lerr(L, "unsupported %s version (expected \"%s\")", what,
                        expect);
        return lerr(L, "not a fuin %s (expected \"%s\")", what, expect);
    }
    return FUIN_OK;
}

static fuin_status at_end(lines *L, const char *last)
{
    if (L->p != L->end) {
        L->line++;
        return lerr(L, "unexpected text after \"%s:\"", last);
    }
    return FUIN_OK;
}

/* ------------------------------------------------------------------ */
/* card                                                                */
/* ------------------------------------------------------------------ */
static fuin_status card_body(lines *L, fuin_card *c)
{
    const char *v;
    size_t n;
    char why[128];
    fuin_status st;
    uint8_t keyid[FUIN_KEYID_BYTES];
    char b64[128];

    if ((st = display_field(L, "name", c->name, sizeof c->name)) != FUIN_OK)
        return st;

    if ((st = field(L, "email", &v, &n)) != FUIN_OK)
        return st;
    if (check_email(v, n, why, sizeof why))
        return lerr(L, "email: %s", why);
    if ((st = copy_value(L, "email", v, n, c->email, sizeof c->email)) != FUIN_OK)
        return st;

    if ((st = field(L, "age-recipient", &v, &n)) != FUIN_OK)
        return st;
    if (n >= sizeof c->age_recipient)
        return lerr(L, "age-recipient: not a valid age recipient");
    memcpy(c->age_recipient, v, n);
    c->age_recipient[n] = '\0';
    if (fuin_recipient_check(c->age_recipient) != FUIN_OK)
        return lerr(L, "age-recipient: not a valid age recipient");

    if ((st = keyid_field(L, "minisign-key-id", keyid)) != FUIN_OK)
        return st;

    if ((st = field(L, "minisign-public-key", &v, &n)) != FUIN_OK)
        return st;
    if (n >= sizeof b64)
        return lerr(L, "minisign-public-key: not a minisign public key");
    memcpy(b64, v, n);
    b64[n] = '\0';
    if (fuin_pubkey_from_base64(b64, &c->sign_pk) != FUIN_OK)
        return lerr(L, "minisign-public-key: not a minisign public key");
    {
        char again[128];
        size_t m = fuin_pubkey_base64(&c->sign_pk, again, sizeof again);
        if (m != n || memcmp(again, b64, n) != 0)
            return lerr(L, "minisign-public-key: not in canonical form");
    }
    if (memcmp(keyid, c->sign_pk.keyid, FUIN_KEYID_BYTES) != 0) {
        char hex[FUIN_KEYID_HEX];
        fuin_keyid_hex(c->sign_pk.keyid, hex);
        L->line--; /* the complaint is about the key id line */
        return lerr(L,
                    "minisign-key-id: does not match the public key (its key "
                    "id is %s)",
                    hex);
    }

    return time_field(L, "created", &c->created);
}

fuin_status fuin_card_parse(const char *text, size_t len, fuin_card *card,
                            char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (text == NULL || card == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    lines L = {text, text + len, 0, err, errcap};
    fuin_card c;
    memset(&c, 0, sizeof c);
    fuin_status st = header_line(&L, "fuin-card: 1", "card");
    if (st == FUIN_OK)
        st = card_body(&L, &c);
    if (st == FUIN_OK)
        st = at_end(&L, "created");
    if (st == FUIN_OK)
        *card = c;
    return st;
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static int card_valid(const fuin_card *c)
{
    if (!terminated(c->name, sizeof c->name) ||
        !terminated(c->email, sizeof c->email) ||
        !terminated(c->age_recipient, sizeof c->age_recipient))
        return 0;
    if (check_display(c->name, strlen(c->name), sizeof c->name - 1, NULL, 0) ||
        check_email(c->email, strlen(c->email), NULL, 0) ||
        fuin_recipient_check(c->age_recipient) != FUIN_OK)
        return 0;
    char ts[FUIN_TIME_MAX];
    return fuin_time_format_rfc3339(c->created, ts, sizeof ts) != 0;
}

static void card_lines(sbuf *b, const fuin_card *c)
{
    char hex[FUIN_KEYID_HEX], b64[128];
    sb_line(b, "name", c->name);
    sb_line(b, "email", c->email);
    sb_line(b, "age-recipient", c->age_recipient);
    fuin_keyid_hex(c->sign_pk.keyid, hex);
    sb_line(b, "minisign-key-id", hex);
    if (fuin_pubkey_base64(&c->sign_pk, b64, sizeof b64) >= sizeof b64)
        b->oom = 1;
    sb_line(b, "minisign-public-key", b64);
    sb_time_line(b, "created", c->created);
}

fuin_status fuin_card_format(const fuin_card *card, char **text, size_t *len)
{
    if (text)
        *text = NULL;
    if (card == NULL || text == NULL)
        return FUIN_E_INVALID;
    if (!card_valid(card))
        return FUIN_E_INVALID;
    sbuf b = {0};
    sb_str(&b, "fuin-card: 1\n");
    card_lines(&b, card);
    return sb_finish(&b, text, len);
}

/* ------------------------------------------------------------------ */
/* roles                                                               */
/* ------------------------------------------------------------------ */
const char *fuin_role_name(fuin_role r)
{
    switch (r) {
    case FUIN_ROLE_STAFF: return "staff";
    case FUIN_ROLE_MANAGER: return "manager";
    case FUIN_ROLE_SYSADMIN: return "sysadmin";
    case FUIN_ROLE_CISO: return "ciso";
    }
    return NULL;
}

fuin_status fuin_role_parse(const char *s, fuin_role *r)
{
    static const fuin_role all[] = {FUIN_ROLE_STAFF, FUIN_ROLE_MANAGER,
                                    FUIN_ROLE_SYSADMIN, FUIN_ROLE_CISO};
    if (s == NULL || r == NULL)
        return FUIN_E_INVALID;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *name = fuin_role_name(all[i]);
        size_t k = 0;
        for (; name[k] && s[k]; k++) {
            char c = s[k];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != name[k])
                break;
        }
        if (name[k] == '\0' && s[k] == '\0') {
            *r = all[i];
            return FUIN_OK;
        }
    }
    return FUIN_E_INVALID;
}

/* ------------------------------------------------------------------ */
/* certificate                                                         */
/* ------------------------------------------------------------------ */
fuin_status fuin_cert_parse(const char *text, size_t len, fuin_cert *cert,
                            char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (text == NULL || cert == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    lines L = {text, text + len, 0, err, errcap};
    fuin_cert c;
    const char *v;
    size_t n;
    memset(&c, 0, sizeof c);

    fuin_status st = header_line(&L, "fuin-certificate: 1", "certificate");
    if (st != FUIN_OK)
        return st;

    if ((st = field(&L, "serial", &v, &n)) != FUIN_OK)
        return st;
    if (!is_serial(v, n))
        return lerr(&L, "serial: not 16 uppercase hex digits");
    memcpy(c.serial, v, n);
    c.serial[n] = '\0';

    if ((st = display_field(&L, "organisation", c.organisation,
                            sizeof c.organisation)) != FUIN_OK)
        return st;

    if ((st = field(&L, "role", &v, &n)) != FUIN_OK)
        return st;
    {
        static const fuin_role all[] = {FUIN_ROLE_STAFF, FUIN_ROLE_MANAGER,
                                        FUIN_ROLE_SYSADMIN, FUIN_ROLE_CISO};
        c.role = 0;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            const char *name = fuin_role_name(all[i]);
            if (strlen(name) == n && memcmp(name, v, n) == 0)
                c.role = all[i];
        }
        if (c.role == 0)
            return lerr(&L, "role: not staff, manager, sysadmin or ciso");
    }

    if ((st = time_field(&L, "valid-from", &c.valid_from)) != FUIN_OK)
        return st;
    if ((st = time_field(&L, "valid-until", &c.valid_until)) != FUIN_OK)
        return st;
    if (c.valid_until < c.valid_from)
        return lerr(&L, "valid-until: before valid-from");
    if ((st = keyid_field(&L, "root-key-id", c.root_keyid)) != FUIN_OK)
        return st;
    if ((st = card_body(&L, &c.card)) != FUIN_OK)
        return st;
    if ((st = at_end(&L, "created")) != FUIN_OK)
        return st;
    *cert = c;
    return FUIN_OK;
}

static int cert_valid(const fuin_cert *c)
{
    char ts[FUIN_TIME_MAX];
    if (!card_valid(&c->card) || fuin_role_name(c->role) == NULL ||
        !terminated(c->organisation, sizeof c->organisation) ||
        !terminated(c->serial, sizeof c->serial))
        return 0;
    if (check_display(c->organisation, strlen(c->organisation),
                      sizeof c->organisation - 1, NULL, 0) ||
        !is_serial(c->serial, strlen(c->serial)))
        return 0;
    if (fuin_time_format_rfc3339(c->valid_from, ts, sizeof ts) == 0 ||
        fuin_time_format_rfc3339(c->valid_until, ts, sizeof ts) == 0 ||
        c->valid_until < c->valid_from)
        return 0;
    return 1;
}

fuin_status fuin_cert_format(const fuin_cert *cert, char **text, size_t *len)
{
    char hex[FUIN_KEYID_HEX];
    if (text)
        *text = NULL;
    if (cert == NULL || text == NULL || !cert_valid(cert))
        return FUIN_E_INVALID;
    sbuf b = {0};
    sb_str(&b, "fuin-certificate: 1\n");
    sb_line(&b, "serial", cert->serial);
    sb_line(&b, "organisation", cert->organisation);
    sb_line(&b, "role", fuin_role_name(cert->role));
    sb_time_line(&b, "valid-from", cert->valid_from);
    sb_time_line(&b, "valid-until", cert->valid_until);
    fuin_keyid_hex(cert->root_keyid, hex);
    sb_line(&b, "root-key-id", hex);
    card_lines(&b, &cert->card);
    return sb_finish(&b, text, len);
}

/* Check a detached root signature over text.  On success *tc receives a
 * malloc()ed copy of the (now authenticated) trusted comment. */
static fuin_status root_verify(const char *text, size_t len, const char *sig,
                               size_t siglen, const fuin_pubkey *root,
                               const char *what, char **tc, char *err,
                               size_t errcap)
{
    char have[FUIN_KEYID_HEX], want[FUIN_KEYID_HEX];
    uint8_t keyid[FUIN_KEYID_BYTES];
    fuin_status st;

    *tc = NULL;
    fuin_verifier *v = fuin_verifier_new();
    if (v == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    st = fuin_verifier_load(v, sig, siglen);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "%s signature: %s", what, fuin_verifier_errmsg(v));
        goto out;
    }
    fuin_verifier_keyid(v, keyid);
    if (memcmp(keyid, root->keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(keyid, have);
        fuin_keyid_hex(root->keyid, want);
        fuin__set_msg(err, errcap, "%s signed by another root (key id %s, expected %s)",
                what, have, want);
        st = FUIN_E_FOREIGN_ROOT;
        goto out;
    }
    st = fuin_verify_update(v, (const uint8_t *)text, len);
    if (st == FUIN_OK)
        st = fuin_verify_final(v, root);
    switch (st) {
    case FUIN_OK:
        break;
    case FUIN_E_SIGNATURE:
        fuin__set_msg(err, errcap,
                "%s was modified (the root's signature does not verify)", what);
        goto out;
    case FUIN_E_COMMENT:
        fuin__set_msg(err, errcap,
                "%s signature's trusted comment was modified (it does not "
                "verify)",
                what);
        goto out;
    case FUIN_E_WRONG_KEY:
        fuin_keyid_hex(keyid, have);
        fuin_keyid_hex(root->keyid, want);
        fuin__set_msg(err, errcap, "%s signed by another root (key id %s, expected %s)",
                what, have, want);
        st = FUIN_E_FOREIGN_ROOT;
        goto out;
    default:
        fuin__set_msg(err, errcap, "%s signature: %s", what, fuin_verifier_errmsg(v));
        goto out;
    }
    {
        const char *c = fuin_verifier_trusted_comment(v);
        *tc = strdup(c ? c : "");
        if (*tc == NULL) {
            fuin__set_msg(err, errcap, "out of memory");
            st = FUIN_E_NOMEM;
        }
    }
out:
    fuin_verifier_free(v);
    return st;
}

static fuin_status root_sign(const char *text, size_t len,
                             const fuin_seckey *root, const char *trusted,
                             char **sig, size_t *siglen)
{
    fuin_signer *s = fuin_signer_new(root);
    if (s == NULL)
        return FUIN_E_NOMEM;
    fuin_status st = fuin_sign_update(s, (const uint8_t *)text, len);
    if (st == FUIN_OK)
        st = fuin_sign_final(s, "signature from the fuin CISO root key",
                             trusted, sig, siglen);
    fuin_signer_free(s);
    return st;
}

fuin_status fuin_cert_issue(const fuin_card *card, fuin_role role,
                            const char *organisation, int64_t valid_from,
                            int64_t valid_until, const fuin_seckey *root,
                            char **cert_text, size_t *cert_len, char **sig_text,
                            size_t *sig_len)
{
    static const char hexdig[] = "0123456789ABCDEF";
    fuin_cert c;
    fuin_pubkey rpk;
    uint8_t rnd[8];
    char trusted[64];
    fuin_status st;

    if (cert_text)
        *cert_text = NULL;
    if (sig_text)
        *sig_text = NULL;
    if (card == NULL || organisation == NULL || root == NULL ||
        cert_text == NULL || sig_text == NULL)
        return FUIN_E_INVALID;
    if (strlen(organisation) >= sizeof c.organisation)
        return FUIN_E_INVALID;
    memset(&c, 0, sizeof c);
    c.card = *card;
    c.role = role;
    memcpy(c.organisation, organisation, strlen(organisation) + 1);
    randombytes_buf(rnd, sizeof rnd);
    for (size_t i = 0; i < 8; i++) {
        c.serial[2 * i] = hexdig[rnd[i] >> 4];
        c.serial[2 * i + 1] = hexdig[rnd[i] & 15];
    }
    c.serial[16] = '\0';
    c.valid_from = valid_from;
    c.valid_until = valid_until;
    fuin_seckey_public(root, &rpk);
    memcpy(c.root_keyid, rpk.keyid, FUIN_KEYID_BYTES);

    st = fuin_cert_format(&c, cert_text, cert_len);
    if (st != FUIN_OK)
        return st;
    snprintf(trusted, sizeof trusted, "fuin-certificate serial:%s", c.serial);
    st = root_sign(*cert_text, strlen(*cert_text), root, trusted, sig_text,
                   sig_len);
    if (st != FUIN_OK) {
        free(*cert_text);
        *cert_text = NULL;
    }
    return st;
}

fuin_status fuin_cert_verify(const char *cert_text, size_t len,
                             const char *sig_text, size_t siglen,
                             const fuin_pubkey *root, fuin_cert *out, char *err,
                             size_t errcap)
{
    char *tc = NULL;
    char want[64];
    char have_hex[FUIN_KEYID_HEX], want_hex[FUIN_KEYID_HEX];
    fuin_cert c;

    if (err && errcap)
        err[0] = '\0';
    if (cert_text == NULL || sig_text == NULL || root == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    fuin_status st = root_verify(cert_text, len, sig_text, siglen, root,
                                 "certificate", &tc, err, errcap);
    if (st != FUIN_OK)
        return st;
    char perr[FUIN_ERRMSG_MAX];
    st = fuin_cert_parse(cert_text, len, &c, perr, sizeof perr);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "certificate: %s", perr);
        goto out;
    }
    if (memcmp(c.root_keyid, root->keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(c.root_keyid, have_hex);
        fuin_keyid_hex(root->keyid, want_hex);
        fuin__set_msg(err, errcap,
                "certificate signed by another root (key id %s, expected %s)",
                have_hex, want_hex);
        st = FUIN_E_FOREIGN_ROOT;
        goto out;
    }
    snprintf(want, sizeof want, "fuin-certificate serial:%s", c.serial);
    if (strcmp(tc, want) != 0) {
        fuin__set_msg(err, errcap,
                "certificate signature's trusted comment is not \"%s\"", want);
        st = FUIN_E_COMMENT;
        goto out;
    }
    *out = c;
out:
    free(tc);
    return st;
}

/* ------------------------------------------------------------------ */
/* revocation list                                                     */
/* ------------------------------------------------------------------ */
typedef struct {
    uint8_t keyid[FUIN_KEYID_BYTES];
    int64_t when;
    char *reason;
} rev_entry;

struct fuin_revocations {
    char organisation[FUIN_TEXT_MAX];
    int64_t updated;
    rev_entry *v;
    size_t n, cap;
};

static rev_entry *rl_lookup(const fuin_revocations *rl,
                            const uint8_t keyid[FUIN_KEYID_BYTES])
{
    for (size_t i = 0; rl && i < rl->n; i++)
        if (memcmp(rl->v[i].keyid, keyid, FUIN_KEYID_BYTES) == 0)
            return &rl->v[i];
    return NULL;
}

static fuin_status rl_push(fuin_revocations *rl,
                           const uint8_t keyid[FUIN_KEYID_BYTES], int64_t when,
                           const char *reason, size_t rlen)
{
    if (rl->n == rl->cap) {
        size_t cap = rl->cap ? rl->cap * 2 : 16;
        rev_entry *nv = realloc(rl->v, cap * sizeof *nv);
        if (nv == NULL)
            return FUIN_E_NOMEM;
        rl->v = nv;
        rl->cap = cap;
    }
    char *r = malloc(rlen + 1);
    if (r == NULL)
        return FUIN_E_NOMEM;
    memcpy(r, reason, rlen);
    r[rlen] = '\0';
    rev_entry *e = &rl->v[rl->n++];
    memcpy(e->keyid, keyid, FUIN_KEYID_BYTES);
    e->when = when;
    e->reason = r;
    return FUIN_OK;
}

static int valid_time(int64_t t)
{
    char ts[FUIN_TIME_MAX];
    return fuin_time_format_rfc3339(t, ts, sizeof ts) != 0;
}

fuin_status fuin_revocations_new(const char *organisation, int64_t updated,
                                 fuin_revocations **out)
{
    if (out)
        *out = NULL;
    if (organisation == NULL || out == NULL || !valid_time(updated))
        return FUIN_E_INVALID;
    size_t n = strlen(organisation);
    if (check_display(organisation, n, FUIN_TEXT_MAX - 1, NULL, 0))
        return FUIN_E_INVALID;
    fuin_revocations *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return FUIN_E_NOMEM;
    memcpy(rl->organisation, organisation, n + 1);
    rl->updated = updated;
    *out = rl;
    return FUIN_OK;
}

void fuin_revocations_free(fuin_revocations *rl)
{
    if (rl == NULL)
        return;
    for (size_t i = 0; i < rl->n; i++)
        free(rl->v[i].reason);
    free(rl->v);
    free(rl);
}

fuin_status fuin__revocations_parse(const char *text, size_t len,
                                    fuin_revocations **out, char *err,
                                    size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (text == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    lines L = {text, text + len, 0, err, errcap};
    fuin_revocations *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return FUIN_E_NOMEM;
    fuin_status st = header_line(&L, "fuin-revocations: 1", "revocation list");
    if (st == FUIN_OK)
        st = display_field(&L, "organisation", rl->organisation,
                           sizeof rl->organisation);
    if (st == FUIN_OK)
        st = time_field(&L, "updated", &rl->updated);
    while (st == FUIN_OK && L.p < L.end) {
        const char *v;
        size_t n;
        char why[128];
        uint8_t keyid[FUIN_KEYID_BYTES];
        int64_t when;
        char ts[FUIN_TIME_MAX + 1];

        if ((st = field(&L, "revoke", &v, &n)) != FUIN_OK)
            break;
        /* KEYID(16) ' ' TIME(20) ' ' reason */
        if (n < 16 + 1 + 20 + 2 || v[16] != ' ' || v[37] != ' ') {
            st = lerr(&L, "revoke: expected \"KEYID TIME REASON\"");
            break;
        }
        if (keyid_from_hex(v, 16, keyid)) {
            st = lerr(&L, "revoke: not a key id (16 uppercase hex digits)");
            break;
        }
        memcpy(ts, v + 17, 20);
        ts[20] = '\0';
        if (fuin_time_parse_rfc3339(ts, &when) != FUIN_OK) {
            st = lerr(&L, "revoke: not an RFC 3339 UTC time "
                          "(YYYY-MM-DDTHH:MM:SSZ)");
            break;
        }
        if (check_display(v + 38, n - 38, FUIN_REASON_MAX, why, sizeof why)) {
            st = lerr(&L, "revoke: reason: %s", why);
            break;
        }
        if (rl_lookup(rl, keyid) != NULL) {
            char hex[FUIN_KEYID_HEX];
            fuin_keyid_hex(keyid, hex);
            st = lerr(&L, "revoke: key id %s is listed twice", hex);
            break;
        }
        st = rl_push(rl, keyid, when, v + 38, n - 38);
        if (st == FUIN_E_NOMEM)
            fuin__set_msg(err, errcap, "out of memory");
    }
    if (st != FUIN_OK) {
        fuin_revocations_free(rl);
        return st;
    }
    *out = rl;
    return FUIN_OK;
}

static void rl_comment(const fuin_revocations *rl, char *buf, size_t cap)
{
    char ts[FUIN_TIME_MAX];
    fuin_time_format_rfc3339(rl->updated, ts, sizeof ts);
    snprintf(buf, cap, "fuin-revocations updated:%s", ts);
}

fuin_status fuin_revocations_parse_verified(const char *text, size_t len,
                                            const char *sig_text, size_t siglen,
                                            const fuin_pubkey *root,
                                            fuin_revocations **out, char *err,
                                            size_t errcap)
{
    char *tc = NULL;
    char want[64], perr[FUIN_ERRMSG_MAX];
    fuin_revocations *rl = NULL;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (text == NULL || sig_text == NULL || root == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    fuin_status st = root_verify(text, len, sig_text, siglen, root,
                                 "revocation list", &tc, err, errcap);
    if (st != FUIN_OK)
        return st;
    st = fuin__revocations_parse(text, len, &rl, perr, sizeof perr);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "revocation list: %s", perr);
        goto out;
    }
    rl_comment(rl, want, sizeof want);
    if (strcmp(tc, want) != 0) {
        fuin__set_msg(err, errcap,
                "revocation list signature's trusted comment is not \"%s\"",
                want);
        st = FUIN_E_COMMENT;
        fuin_revocations_free(rl);
        goto out;
    }
    *out = rl;
out:
    free(tc);
    return st;
}

fuin_status fuin_revocations_add(fuin_revocations *rl,
                                 const uint8_t keyid[FUIN_KEYID_BYTES],
                                 int64_t when, const char *reason)
{
    if (rl == NULL || keyid == NULL || reason == NULL || !valid_time(when))
        return FUIN_E_INVALID;
    size_t n = strlen(reason);
    if (check_display(reason, n, FUIN_REASON_MAX, NULL, 0))
        return FUIN_E_INVALID;
    if (rl_lookup(rl, keyid) != NULL)
        return FUIN_E_EXISTS;
    fuin_status st = rl_push(rl, keyid, when, reason, n);
    if (st == FUIN_OK && when > rl->updated)
        rl->updated = when;
    return st;
}

void fuin_revocations_set_updated(fuin_revocations *rl, int64_t updated)
{
    if (rl && valid_time(updated))
        rl->updated = updated;
}

int fuin_revocations_find(const fuin_revocations *rl,
                          const uint8_t keyid[FUIN_KEYID_BYTES], int64_t *when,
                          const char **reason)
{
    if (keyid == NULL)
        return 0;
    const rev_entry *e = rl_lookup(rl, keyid);
    if (e == NULL)
        return 0;
    if (when)
        *when = e->when;
    if (reason)
        *reason = e->reason;
    return 1;
}

size_t fuin_revocations_count(const fuin_revocations *rl)
{
    return rl ? rl->n : 0;
}

fuin_status fuin_revocations_entry(const fuin_revocations *rl, size_t i,
                                   uint8_t keyid[FUIN_KEYID_BYTES],
                                   int64_t *when, const char **reason)
{
    if (rl == NULL || i >= rl->n)
        return FUIN_E_INVALID;
    if (keyid)
        memcpy(keyid, rl->v[i].keyid, FUIN_KEYID_BYTES);
    if (when)
        *when = rl->v[i].when;
    if (reason)
        *reason = rl->v[i].reason;
    return FUIN_OK;
}

const char *fuin_revocations_organisation(const fuin_revocations *rl)
{
    return rl ? rl->organisation : NULL;
}

int64_t fuin_revocations_updated(const fuin_revocations *rl)
{
    return rl ? rl->updated : 0;
}

fuin_status fuin_revocations_format(const fuin_revocations *rl, char **text,
                                    size_t *len)
{
    if (text)
        *text = NULL;
    if (rl == NULL || text == NULL)
        return FUIN_E_INVALID;
    sbuf b = {0};
    sb_str(&b, "fuin-revocations: 1\n");
    sb_line(&b, "organisation", rl->organisation);
    sb_time_line(&b, "updated", rl->updated);
    for (size_t i = 0; i < rl->n; i++) {
        char hex[FUIN_KEYID_HEX], ts[FUIN_TIME_MAX];
        fuin_keyid_hex(rl->v[i].keyid, hex);
        fuin_time_format_rfc3339(rl->v[i].when, ts, sizeof ts);
        sb_str(&b, "revoke: ");
        sb_str(&b, hex);
        sb_str(&b, " ");
        sb_str(&b, ts);
        sb_str(&b, " ");
        sb_str(&b, rl->v[i].reason);
        sb_str(&b, "\n");
    }
    return sb_finish(&b, text, len);
}

fuin_status fuin_revocations_sign(const fuin_revocations *rl,
                                  const fuin_seckey *root, char **text,
                                  size_t *len, char **sig_text, size_t *sig_len)
{
    char trusted[64];
    size_t n;
    if (text)
        *text = NULL;
    if (sig_text)
        *sig_text = NULL;
    if (rl == NULL || root == NULL || text == NULL || sig_text == NULL)
        return FUIN_E_INVALID;
    fuin_status st = fuin_revocations_format(rl, text, &n);
    if (st != FUIN_OK)
        return st;
    rl_comment(rl, trusted, sizeof trusted);
    st = root_sign(*text, n, root, trusted, sig_text, sig_len);
    if (st != FUIN_OK) {
        free(*text);
        *text = NULL;
        return st;
    }
    if (len)
        *len = n;
    return FUIN_OK;
}

/* ------------------------------------------------------------------ */
/* trusted comment                                                     */
/* ------------------------------------------------------------------ */
void fuin_sigmeta_clear(fuin_sigmeta *meta)
{
    if (meta == NULL)
        return;
    free(meta->cert_bundle);
    memset(meta, 0, sizeof *meta);
}

/* The bundle is the certificate text followed by its .minisig, which
 * starts with minisign's untrusted comment line; a certificate line never
 * starts with "untrusted comment:", so the first such line splits them. */
static int bundle_split(const char *b, size_t n, size_t *cert_len)
{
    static const char mark[] = "\nuntrusted comment:";
    const char *p = memmem(b, n, mark, sizeof mark - 1);
    if (p == NULL)
        return -1;
    *cert_len = (size_t)(p - b) + 1;
    return 0;
}

fuin_status fuin_sigmeta_set_cert(fuin_sigmeta *meta, const char *cert_text,
                                  size_t cert_len, const char *sig_text,
                                  size_t sig_len)
{
    if (meta == NULL || cert_text == NULL || sig_text == NULL ||
        cert_len + sig_len < cert_len)
        return FUIN_E_INVALID;
    char *b = malloc(cert_len + sig_len + 1);
    if (b == NULL)
        return FUIN_E_NOMEM;
    memcpy(b, cert_text, cert_len);
    memcpy(b + cert_len, sig_text, sig_len);
    b[cert_len + sig_len] = '\0';
    free(meta->cert_bundle);
    meta->cert_bundle = b;
    meta->cert_bundle_len = cert_len + sig_len;
    return FUIN_OK;
}

fuin_status fuin_sigmeta_cert(const fuin_sigmeta *meta, const char **cert_text,
                              size_t *cert_len, const char **sig_text,
                              size_t *sig_len)
{
    size_t cl;
    if (meta == NULL)
        return FUIN_E_INVALID;
    if (meta->cert_bundle == NULL)
        return FUIN_E_UNTRUSTED;
    if (bundle_split(meta->cert_bundle, meta->cert_bundle_len, &cl))
        return FUIN_E_SYNTAX;
    if (cert_text)
        *cert_text = meta->cert_bundle;
    if (cert_len)
        *cert_len = cl;
    if (sig_text)
        *sig_text = meta->cert_bundle + cl;
    if (sig_len)
        *sig_len = meta->cert_bundle_len - cl;
    return FUIN_OK;
}

/* Values inside the one-line comment: no TAB (the separator), no
 * CR/LF (minisign's line structure), nothing invisible. */
static int comment_value_ok(const char *s, int may_be_empty)
{
    size_t n = strlen(s);
    if (n == 0)
        return may_be_empty;
    if (n >= FUIN_TEXT_MAX)
        return 0;
    return text_check(s, n, 0, NULL, 0) == 0;
}

fuin_status fuin_sigmeta_format(const fuin_sigmeta *m, char **out)
{
    char num[32], hex[FUIN_KEYID_HEX], ts[FUIN_TIME_MAX], cls[256];
    size_t cl;

    if (out)
        *out = NULL;
    if (m == NULL || out == NULL)
        return FUIN_E_INVALID;
    if (!terminated(m->file, sizeof m->file) ||
        !terminated(m->signer, sizeof m->signer) ||
        !comment_value_ok(m->file, 1) || !comment_value_ok(m->signer, 0) ||
        m->time < 0 || fuin_time_format_rfc3339(m->time, ts, sizeof ts) == 0)
        return FUIN_E_INVALID;
    if (check_display(m->signer, strlen(m->signer), FUIN_TEXT_MAX - 1, NULL, 0))
        return FUIN_E_INVALID;
    if (m->has_label) {
        size_t k = fuin_label_format(&m->label, cls, sizeof cls);
        fuin_label back;
        if (k == 0 || k >= sizeof cls ||
            fuin_label_parse(cls, &back, NULL, 0) != FUIN_OK)
            return FUIN_E_INVALID;
    }
    if (m->cert_bundle != NULL &&
        (m->cert_bundle_len == 0 ||
         bundle_split(m->cert_bundle, m->cert_bundle_len, &cl)))
        return FUIN_E_INVALID;

    sbuf b = {0};
    snprintf(num, sizeof num, "%lld", (long long)m->time);
    sb_str(&b, "timestamp:");
    sb_str(&b, num);
    sb_str(&b, "\tfile:");
    sb_str(&b, m->file);
    sb_str(&b, "\thashed\tfuin:1\tsigner:");
    sb_str(&b, m->signer);
    fuin_keyid_hex(m->keyid, hex);
    sb_str(&b, "\tkey-id:");
    sb_str(&b, hex);
    if (m->has_label) {
        sb_str(&b, "\tclass:");
        sb_str(&b, cls);
    }
    sb_str(&b, "\ttime:");
    sb_str(&b, ts);
    if (m->cert_bundle != NULL) {
        if (m->cert_bundle_len > FUIN_SIGMETA_MAX) {
            free(b.buf);
            return FUIN_E_LIMIT;
        }
        size_t elen = sodium_base64_ENCODED_LEN(m->cert_bundle_len,
                                                sodium_base64_VARIANT_ORIGINAL);
        char *enc = malloc(elen);
        if (enc == NULL) {
            free(b.buf);
            return FUIN_E_NOMEM;
        }
        sodium_bin2base64(enc, elen, (const unsigned char *)m->cert_bundle,
                          m->cert_bundle_len, sodium_base64_VARIANT_ORIGINAL);
        sb_str(&b, "\tcert:");
        sb_str(&b, enc);
        free(enc);
    }
    if (!b.oom && b.len > FUIN_SIGMETA_MAX) {
        free(b.buf);
        return FUIN_E_LIMIT;
    }
    return sb_finish(&b, out, NULL);
}

typedef struct {
    const char *p;  /* next field, or NULL past the end */
    const char *v;  /* value of the field just taken */
    size_t vn;
} fields;

/* Take the next field if it starts with `key` (e.g. "file:"). */
static int take(fields *F, const char *key)
{
    if (F->p == NULL)
        return 0;
    size_t k = strlen(key);
    const char *tab = strchr(F->p, '\t');
    size_t n = tab ? (size_t)(tab - F->p) : strlen(F->p);
    if (n < k || memcmp(F->p, key, k) != 0)
        return 0;
    F->v = F->p + k;
    F->vn = n - k;
    F->p = tab ? tab + 1 : NULL;
    return 1;
}

static fuin_status tc_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fuin_status tc_err(char *err, size_t errcap, const char *fmt, ...)
{
    char msg[FUIN_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fuin__set_msg(err, errcap, "trusted comment: %s", msg);
    return FUIN_E_SYNTAX;
}

fuin_status fuin_sigmeta_parse(const char *tc, fuin_sigmeta *meta, char *err,
                               size_t errcap)
{
    fields F;
    char why[128], buf[256];
    int64_t ts;

    if (err && errcap)
        err[0] = '\0';
    if (meta == NULL || tc == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    memset(meta, 0, sizeof *meta);

    /* A comment with no "fuin:" field is someone else's (plain minisign);
     * one that has it must follow the format to the letter. */
    {
        int found = strncmp(tc, "fuin:", 5) == 0;
        for (const char *t = strchr(tc, '\t'); t && !found; t = strchr(t + 1, '\t'))
            found = strncmp(t + 1, "fuin:", 5) == 0;
        if (!found) {
            fuin__set_msg(err, errcap, "not a fuin trusted comment");
            return FUIN_E_UNTRUSTED;
        }
    }
    if (strlen(tc) > FUIN_SIGMETA_MAX)
        return tc_err(err, errcap, "longer than %d bytes", FUIN_SIGMETA_MAX);
    if (text_check(tc, strlen(tc), 1, why, sizeof why))
        return tc_err(err, errcap, "%s", why);

    F.p = tc;
    if (!take(&F, "timestamp:"))
        return tc_err(err, errcap, "expected \"timestamp:\" first");
    if (F.vn == 0 || F.vn > 12 || (F.v[0] == '0' && F.vn > 1))
        return tc_err(err, errcap, "timestamp: not a number of seconds");
    ts = 0;
    for (size_t i = 0; i < F.vn; i++) {
        if (F.v[i] < '0' || F.v[i] > '9')
            return tc_err(err, errcap, "timestamp: not a number of seconds");
        ts = ts * 10 + (F.v[i] - '0');
    }

    if (!take(&F, "file:"))
        return tc_err(err, errcap, "expected \"file:\" after the timestamp");
    if (F.vn >= sizeof meta->file)
        return tc_err(err, errcap, "file: too long (at most %zu bytes)",
                      sizeof meta->file - 1);
    memcpy(meta->file, F.v, F.vn);
    meta->file[F.vn] = '\0';

    if (!take(&F, "hashed") || F.vn != 0)
        return tc_err(err, errcap, "expected \"hashed\" after the file name");
    if (!take(&F, "fuin:"))
        return tc_err(err, errcap, "expected \"fuin:1\" after \"hashed\"");
    if (F.vn != 1 || F.v[0] != '1')
        return tc_err(err, errcap, "unsupported version \"fuin:%.*s\"",
                      (int)utf8_prefix(F.v, F.vn, 16), F.v);

    if (!take(&F, "signer:"))
        return tc_err(err, errcap, "expected \"signer:\" after \"fuin:1\"");
    if (check_display(F.v, F.vn, sizeof meta->signer - 1, why, sizeof why))
        return tc_err(err, errcap, "signer: %s", why);
    memcpy(meta->signer, F.v, F.vn);
    meta->signer[F.vn] = '\0';

    if (!take(&F, "key-id:"))
        return tc_err(err, errcap, "expected \"key-id:\" after the signer");
    if (keyid_from_hex(F.v, F.vn, meta->keyid))
        return tc_err(err, errcap, "key-id: not 16 uppercase hex digits");

    if (take(&F, "class:")) {
        char canon[256];
        if (F.vn >= sizeof buf)
            return tc_err(err, errcap, "class: not a label");
        memcpy(buf, F.v, F.vn);
        buf[F.vn] = '\0';
        if (fuin_label_parse(buf, &meta->label, NULL, 0) != FUIN_OK)
            return tc_err(err, errcap, "class: not a label");
        fuin_label_format(&meta->label, canon, sizeof canon);
        if (strcmp(canon, buf) != 0)
            return tc_err(err, errcap, "class: not in canonical form (\"%s\")",
                          canon);
        meta->has_label = 1;
    }

    if (!take(&F, "time:"))
        return tc_err(err, errcap, "expected \"time:\"");
    if (F.vn != 20)
        return tc_err(err, errcap, "time: not an RFC 3339 UTC time");
    memcpy(buf, F.v, 20);
    buf[20] = '\0';
    if (fuin_time_parse_rfc3339(buf, &meta->time) != FUIN_OK)
        return tc_err(err, errcap, "time: not an RFC 3339 UTC time");
    if (meta->time != ts)
        return tc_err(err, errcap, "time and timestamp differ");

    if (take(&F, "cert:")) {
        size_t cap = F.vn / 4 * 3 + 1, blen = 0, cl;
        const char *end = NULL;
        char *bin = malloc(cap);
        if (bin == NULL) {
            fuin__set_msg(err, errcap, "out of memory");
            return FUIN_E_NOMEM;
        }
        if (F.vn == 0 || F.vn % 4 != 0 ||
            sodium_base642bin((unsigned char *)bin, cap, F.v, F.vn, NULL, &blen,
                              &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            end != F.v + F.vn || blen == 0) {
            free(bin);
            return tc_err(err, errcap, "cert: not padded standard base64");
        }
        /* one encoding per bundle: re-encode and compare */
        size_t elen = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
        char *again = malloc(elen);
        if (again == NULL) {
            free(bin);
            fuin__set_msg(err, errcap, "out of memory");
            return FUIN_E_NOMEM;
        }
        sodium_bin2base64(again, elen, (const unsigned char *)bin, blen,
                          sodium_base64_VARIANT_ORIGINAL);
        int same = strlen(again) == F.vn && memcmp(again, F.v, F.vn) == 0;
        free(again);
        if (!same) {
            free(bin);
            return tc_err(err, errcap, "cert: not canonical base64");
        }
        bin[blen] = '\0';
        if (bundle_split(bin, blen, &cl)) {
            free(bin);
            return tc_err(err, errcap,
                          "cert: not a certificate followed by its signature");
        }
        meta->cert_bundle = bin;
        meta->cert_bundle_len = blen;
    }

    if (F.p != NULL) {
        const char *tab = strchr(F.p, '\t');
        size_t n = tab ? (size_t)(tab - F.p) : strlen(F.p);
        return tc_err(err, errcap, "unexpected field \"%.*s\"",
                      (int)utf8_prefix(F.p, n, 32), F.p);
    }
    return FUIN_OK;
}
