/* Disposal records and the tamper-evident ledger (include/fuin/ledger.h).
 * Uses only the public signing API; JSON through jansson. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "internal.h"
#include "fuin/ledger.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)
#define LOAD_FLAGS JSON_REJECT_DUPLICATES
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define UNTRUSTED "fuin ledger record"

static void sha256_hex(const void *buf, size_t len, char out[65])
{
    uint8_t h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, buf, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* ---- record times ------------------------------------------------------ */

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" + NUL */
#define LTIME_MAX 26

/* RFC 3339 in the operator's local time with its offset ("2026-11-26T
 * 05:47:07+09:00"), so that the record says when it happened where it
 * happened; "...Z" when the local offset is zero.  The offset is the one
 * the process's TZ gives for that instant.  An offset RFC 3339 cannot
 * write (not whole minutes, as some historical local mean times, or a day
 * or more) is replaced by UTC rather than rounded into a false one. */
static size_t format_local_time(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    long off = 0, a;

    if (buf == NULL || cap < LTIME_MAX || (int64_t)tt != t)
        return 0;
    /* localtime_r() need not look at TZ again by itself (POSIX). */
    tzset();
    if (localtime_r(&tt, &tm) != NULL)
        off = tm.tm_gmtoff;
    if (off % 60 != 0 || off <= -24L * 3600 || off >= 24L * 3600)
        off = 0;
    if (fuin_time_format_rfc3339(t + off, buf, cap) == 0)
        return 0;
    if (off == 0)
        return 20;
    a = off < 0 ? -off : off;
    snprintf(buf + 19, cap - 19, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600,
             a / 60 % 60);
    return 25;
}

static int two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* The only forms format_local_time() writes: "YYYY-MM-DDTHH:MM:SSZ" or
 * "YYYY-MM-DDTHH:MM:SS+HH:MM" / "-HH:MM" with HH <= 23, MM <= 59.  Also
 * refused: "+00:00" (UTC is written "Z", one spelling per instant and
 * offset) and "-00:00" (RFC 3339's "offset unknown", which a record that
 * must say when it happened cannot be).  *t gets UTC seconds, *off_min the
 * offset in minutes; 0 on success. */
static int parse_record_time(const char *s, int64_t *t, int *off_min)
{
    char utc[FUIN_TIME_MAX];
    int64_t local;
    int hh, mm, off;
    size_t n = strlen(s);

    if (n == 20) {
        if (s[19] != 'Z' || fuin_time_parse_rfc3339(s, t) != FUIN_OK)
            return -1;
        *off_min = 0;
        return 0;
    }
    if (n != 25 || (s[19] != '+' && s[19] != '-') || s[22] != ':' ||
        two_digits(s + 20, &hh) != 0 || two_digits(s + 23, &mm) != 0 || hh > 23 ||
        mm > 59 || (hh == 0 && mm == 0))
        return -1;
    memcpy(utc, s, 19);
    utc[19] = 'Z';
    utc[20] = '\0';
    if (fuin_time_parse_rfc3339(utc, &local) != FUIN_OK)
        return -1;
    off = (hh * 60 + mm) * (s[19] == '-' ? -1 : 1);
    *t = local - (int64_t)off * 60;
    *off_min = off;
    return 0;
}

/* ---- building a record ------------------------------------------------- */

static int in_set(const char *s, const char *const *set)
{
    if (s == NULL)
        return 0;
    for (; *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

/* Names and identifiers end up on a printed certificate: no control
 * characters and none of the invisible direction / zero-width characters
 * that could make one name look like another (same rule as
 * include/fuin/trust.h).  UTF-8 validity itself is left to jansson. */
static int plain_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL)
        return 1;
    for (; *p != 0; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return 0;
        if (p[0] == 0xe2 && p[1] == 0x80 &&
            ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
            return 0;
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
            return 0;
        if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
            return 0;
    }
    return 1;
}

static int is_hex(const char *s, size_t n, int upper)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (upper ? (c >= 'A' && c <= 'F')
                                                : (c >= 'a' && c <= 'f'))))
            return 0;
    }
    return 1;
}

static const char *const KINDS[] = {"file", "device", "physical", "none", NULL};
static const char *const OPS[] = {FUIN_LEDGER_OPS, NULL};
static const char *const CATEGORIES[] = {"Clear", "Purge", "Destroy", "none", NULL};
static const char *const RESULTS[] = {"success", "failure", "interrupted", NULL};

/* NULL -> null; invalid UTF-8 -> NULL (jansson refuses it). */
static json_t *str_or_null(const char *s)
{
    return s == NULL ? json_null() : json_string(s);
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(obj, key, v);
}

static fuin_status build_record(const fuin_record *r, const char *key_id,
                                const char *record_id, uint64_t seq,
                                const char *prev_hash, json_t **out,
                                char *err, size_t errcap)
{
    char t0[LTIME_MAX], t1[LTIME_MAX], label[256];
    json_t *o = json_object(), *op = json_object(), *tg = json_object();
    json_t *vf = json_object(), *errs = json_array();
    int bad = 0;

    *out = NULL;
    if (o == NULL || op == NULL || tg == NULL || vf == NULL || errs == NULL) {
        json_decref(o), json_decref(op), json_decref(tg), json_decref(vf),
            json_decref(errs);
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    if (format_local_time(r->start, t0, sizeof t0) == 0 ||
        format_local_time(r->end, t1, sizeof t1) == 0) {
        json_decref(o), json_decref(op), json_decref(tg), json_decref(vf),
            json_decref(errs);
        fuin__set_msg(err, errcap, "record: start or end time out of range");
        return FUIN_E_INVALID;
    }
    label[0] = '\0';
    if (r->label != NULL) {
        size_t n = fuin_label_format(r->label, label, sizeof label);
        fuin_label back;
        /* Only a label that reads back is written (no out-of-range levels). */
        if (n == 0 || n >= sizeof label ||
            fuin_label_parse(label, &back, NULL, 0) != FUIN_OK ||
            memcmp(&back, r->label, sizeof back) != 0) {
            json_decref(o), json_decref(op), json_decref(tg),
                json_decref(vf), json_decref(errs);
            fuin__set_msg(err, errcap, "record: invalid class label");
            return FUIN_E_INVALID;
        }
    }
    bad |= set_new(op, "name", json_string(r->operator_name));
    bad |= set_new(op, "key_id", str_or_null(key_id));
    bad |= set_new(tg, "kind", json_string(r->target_kind));
    bad |= set_new(tg, "path", str_or_null(r->target_path));
    bad |= set_new(tg, "model", str_or_null(r->target_model));
    bad |= set_new(tg, "serial", str_or_null(r->target_serial));
    bad |= set_new(tg, "transport", str_or_null(r->target_transport));
    bad |= set_new(tg, "size", r->target_size < 0 ? json_null()
                                                   : json_integer(r->target_size));
    bad |= set_new(vf, "mode", str_or_null(r->verify_mode));
    bad |= set_new(vf, "bytes", json_integer((json_int_t)r->verify_bytes));
    for (size_t i = 0; i < r->nerrors; i++)
        bad |= r->errors[i] == NULL ? -1
                                    : json_array_append_new(errs, json_string(r->errors[i]));
    bad |= set_new(o, "operator", op);
    bad |= set_new(o, "target", tg);
    bad |= set_new(o, "verify", vf);
    bad |= set_new(o, "errors", errs);
    bad |= set_new(o, "record_id", json_string(record_id));
    bad |= set_new(o, "seq", json_integer((json_int_t)seq));
    bad |= set_new(o, "prev_hash", json_string(prev_hash));
    bad |= set_new(o, "start", json_string(t0));
    bad |= set_new(o, "end", json_string(t1));
    bad |= set_new(o, "witness", str_or_null(r->witness));
    bad |= set_new(o, "approver", str_or_null(r->approver));
    bad |= set_new(o, "asset_id", str_or_null(r->asset_id));
    bad |= set_new(o, "class", r->label == NULL ? json_null() : json_string(label));
    bad |= set_new(o, "method", json_string(r->method));
    bad |= set_new(o, "category", json_string(r->category));
    bad |= set_new(o, "passes", json_integer((json_int_t)r->passes));
    bad |= set_new(o, "pattern", str_or_null(r->pattern));
    bad |= set_new(o, "result", json_string(r->result));
    bad |= set_new(o, "fuin_version", json_string(fuin_version()));
    bad |= set_new(o, "caveat", str_or_null(r->caveat));
    if (r->request != NULL)
        bad |= set_new(o, "request", json_string(r->request));
    if (r->op != NULL) {
        bad |= set_new(o, "op", json_string(r->op));
        bad |= set_new(o, "user", json_string(r->user));
        bad |= set_new(o, "detail", str_or_null(r->detail));
        bad |= set_new(tg, "sha256", str_or_null(r->target_sha256));
    }
    if (bad) {
        json_decref(o);
        fuin__set_msg(err, errcap, "record: a text field is not valid UTF-8");
        return FUIN_E_INVALID;
    }
    *out = o;
    return FUIN_OK;
}

/* The minisign text's four lines -> the "sig" object. */
static json_t *sig_object(const char *minisig)
{
    const char *l2 = strchr(minisig, '\n'), *l3, *l4, *end;
    static const char tc[] = "trusted comment: ";
    json_t *o;

    if (l2 == NULL || (l3 = strchr(++l2, '\n')) == NULL)
        return NULL;
    l3++;
    if (strncmp(l3, tc, sizeof tc - 1) != 0 || (l4 = strchr(l3, '\n')) == NULL)
        return NULL;
    l4++;
    if ((end = strchr(l4, '\n')) == NULL)
        return NULL;
    o = json_object();
    if (o == NULL ||
        set_new(o, "signature", json_stringn(l2, (size_t)(l3 - 1 - l2))) ||
        set_new(o, "comment", json_stringn(l3 + sizeof tc - 1,
                                           (size_t)(l4 - 1 - (l3 + sizeof tc - 1)))) ||
        set_new(o, "global", json_stringn(l4, (size_t)(end - l4)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- reading the ledger's tail ----------------------------------------- */

/* Offset of the last LF strictly before `end`, or -1 if there is none. */
static int find_prev_lf(int fd, off_t end, off_t *pos)
{
    char buf[4096];

    while (end > 0) {
        size_t n = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        off_t at = end - (off_t)n;
        ssize_t got = pread(fd, buf, n, at);
        if (got != (ssize_t)n)
            return -2;
        for (size_t i = n; i-- > 0;)
            if (buf[i] == '\n') {
                *pos = at + (off_t)i;
                return 0;
            }
        end = at;
    }
    *pos = -1;
    return 0;
}

/* seq and hash of the last complete line; seq 0 and zeros for an empty file. */
static fuin_status read_tail(int fd, uint64_t *seq, char hash[65], char *err,
                             size_t errcap)
{
    struct stat st;
    off_t lf;
    char last;
    char *line;
    size_t len;
    json_t *o, *s;
    json_error_t je;

    if (fstat(fd, &st) != 0) {
        fuin__set_msg(err, errcap, "ledger: stat: %s", strerror(errno));
        return FUIN_E_IO;
    }
    if (st.st_size == 0) {
        *seq = 0;
        memcpy(hash, ZERO_HASH, 65);
        return FUIN_OK;
    }
    if (pread(fd, &last, 1, st.st_size - 1) != 1) {
        fuin__set_msg(err, errcap, "ledger: read: %s", strerror(errno));
        return FUIN_E_IO;
    }
    if (find_prev_lf(fd, last == '\n' ? st.st_size - 1 : st.st_size, &lf) != 0) {
        fuin__set_msg(err, errcap, "ledger: read: %s", strerror(errno));
        return FUIN_E_IO;
    }
    if (last != '\n') {
        fuin__set_msg(err, errcap,
               "ledger: torn last line at byte %jd: run fuin ledger verify",
               (intmax_t)(lf + 1));
        return FUIN_E_SYNTAX;
    }
    len = (size_t)(st.st_size - 1 - (lf + 1));
    if (len > FUIN_LEDGER_MAX_LINE) {
        fuin__set_msg(err, errcap, "ledger: last line longer than %u bytes",
               FUIN_LEDGER_MAX_LINE);
        return FUIN_E_LIMIT;
    }
    if ((line = malloc(len + 1)) == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    if (pread(fd, line, len, lf + 1) != (ssize_t)len) {
        free(line);
        fuin__set_msg(err, errcap, "ledger: read: %s", strerror(errno));
        return FUIN_E_IO;
    }
    o = json_loadb(line, len, LOAD_FLAGS, &je);
    s = json_object_get(o, "seq");
    if (!json_is_integer(s) || json_integer_value(s) < 1) {
        json_decref(o);
        free(line);
        fuin__set_msg(err, errcap, "ledger: last line is not a record: run fuin ledger verify");
        return FUIN_E_SYNTAX;
    }
    *seq = (uint64_t)json_integer_value(s);
    sha256_hex(line, len, hash);
    json_decref(o);
    free(line);
    return FUIN_OK;
}

static fuin_status open_locked(const char *path, int flags, int *fdp, char *err,
                               size_t errcap)
{
    struct stat st;
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        int e = errno;
        fuin__set_msg(err, errcap, "%s: %s", path,
               e == ELOOP ? "is a symbolic link" : strerror(e));
        errno = e; /* the caller tells ENOENT apart */
        return FUIN_E_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fuin__set_msg(err, errcap, "%s: not a regular file", path);
        return FUIN_E_IO;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            fuin__set_msg(err, errcap, "%s: lock: %s", path, strerror(errno));
            close(fd);
            return FUIN_E_IO;
        }
    }
    *fdp = fd;
    return FUIN_OK;
}

/* The signed line for record `seq` after `prev`, '\n'-terminated in
 * *linep (length *lenp, the '\n' included); r->hash is set. */
static fuin_status make_line(fuin_record *r, const fuin_seckey *operator_key,
                             const char *keyhex, const char *rid, uint64_t seq,
                             const char *prev, char **linep, size_t *lenp,
                             char *err, size_t errcap)
{
    json_t *rec = NULL, *sig;
    char *body = NULL, *line = NULL, *minisig = NULL;
    fuin_signer *sg = NULL;
    char tc[96];
    fuin_status st;
    size_t len;

    if ((st = build_record(r, keyhex, rid, seq, prev, &rec, err, errcap)) != FUIN_OK)
        goto out;
    st = FUIN_E_NOMEM;
    if (operator_key == NULL) {
        /* an operation record chained now, vouched for by the next
         * signed one */
        if (json_object_set_new(rec, "sig", json_null()) != 0)
            goto nomem;
        goto dump;
    }
    if ((body = json_dumps(rec, DUMP_FLAGS)) == NULL)
        goto nomem;
    if ((sg = fuin_signer_new(operator_key)) == NULL)
        goto nomem;
    snprintf(tc, sizeof tc, "fuin-ledger record:%s seq:%" PRIu64, rid, seq);
    if ((st = fuin_sign_update(sg, (const uint8_t *)body, strlen(body))) != FUIN_OK ||
        (st = fuin_sign_final(sg, UNTRUSTED, tc, &minisig, NULL)) != FUIN_OK) {
        fuin__set_msg(err, errcap, "record: signing failed: %s", fuin_signer_errmsg(sg));
        goto out;
    }
    st = FUIN_E_NOMEM;
    if ((sig = sig_object(minisig)) == NULL || json_object_set_new(rec, "sig", sig) != 0)
        goto nomem;
dump:
    if ((line = json_dumps(rec, DUMP_FLAGS)) == NULL)
        goto nomem;
    len = strlen(line);
    if (len > FUIN_LEDGER_MAX_LINE) {
        st = FUIN_E_LIMIT;
        fuin__set_msg(err, errcap, "record: longer than %u bytes", FUIN_LEDGER_MAX_LINE);
        goto out;
    }
    sha256_hex(line, len, r->hash);
    line[len] = '\n'; /* json_dumps' NUL becomes the line end: one write() */
    *linep = line;
    *lenp = len + 1;
    line = NULL;
    st = FUIN_OK;
    goto out;
nomem:
    fuin__set_msg(err, errcap, "out of memory");
out:
    fuin_signer_free(sg);
    free(minisig);
    free(body);
    free(line);
    json_decref(rec);
    return st;
}

/* A new ledger appears complete or not at all: its first record is
 * written to an unnamed file that is linked into place (never over a
 * ledger another process created meanwhile: FUIN_E_EXISTS then). */
static fuin_status create_ledger(const char *path, const char *line, size_t len,
                                 char *err, size_t errcap)
{
    fuin_outfile *of;
    char msg[256];
    fuin_status st = fuin_outfile_open(path, 0600, 0, &of, msg, sizeof msg);

    if (st == FUIN_OK && (st = fuin_outfile_write(of, line, len, msg, sizeof msg)) != FUIN_OK)
        fuin_outfile_abort(of);
    else if (st == FUIN_OK)
        st = fuin_outfile_commit(of, msg, sizeof msg);
    if (st != FUIN_OK && st != FUIN_E_EXISTS)
        fuin__set_msg(err, errcap, "%s: %s", path, msg);
    return st;
}

fuin_status fuin__ledger_append(const char *path, fuin_record *r,
                                const fuin_seckey *operator_key, char **line_out,
                                size_t *len_out, char prev_out[65], char *err,
                                size_t errcap)
{
    fuin_pubkey pk;
    char keyhex[FUIN_KEYID_HEX], rid[17], prev[65];
    const char *kid = keyhex;
    uint8_t rnd[8];
    uint64_t seq;
    char *line = NULL;
    fuin_status st;
    struct stat sb;
    size_t len;
    int fd = -1, e;

    if (path == NULL || r == NULL || (operator_key == NULL && r->op == NULL)) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    if (r->request != NULL && !is_hex(r->request, 64, 0)) {
        fuin__set_msg(err, errcap, "record: request must be 64 lowercase hex digits");
        return FUIN_E_INVALID;
    }
    if (r->op != NULL &&
        (!in_set(r->op, OPS) || r->user == NULL || r->user[0] == '\0' ||
         !plain_text(r->user) || !plain_text(r->detail) ||
         (r->target_sha256 != NULL && !is_hex(r->target_sha256, 64, 0)))) {
        fuin__set_msg(err, errcap,
                      "record: unknown operation, no user, or a bad detail or sha256");
        return FUIN_E_INVALID;
    }
    if (r->operator_name == NULL || r->operator_name[0] == '\0' ||
        !in_set(r->target_kind, KINDS) || r->method == NULL ||
        r->method[0] == '\0' || !in_set(r->category, CATEGORIES) ||
        !in_set(r->result, RESULTS) || (r->nerrors > 0 && r->errors == NULL)) {
        fuin__set_msg(err, errcap,
               "record: operator, target kind, method, category and result are required");
        return FUIN_E_INVALID;
    }
    if (!plain_text(r->operator_name) || !plain_text(r->witness) ||
        !plain_text(r->approver) || !plain_text(r->asset_id) ||
        !plain_text(r->target_model) || !plain_text(r->target_serial) ||
        !plain_text(r->target_transport) || !plain_text(r->method) ||
        !plain_text(r->pattern) || !plain_text(r->verify_mode)) {
        fuin__set_msg(err, errcap,
               "record: names and identifiers must not contain control or "
               "invisible characters");
        return FUIN_E_INVALID;
    }
    if (r->start < 0 || r->end < r->start || r->verify_bytes > INT64_MAX) {
        fuin__set_msg(err, errcap, "record: end before start, or a count out of range");
        return FUIN_E_INVALID;
    }
    if (operator_key != NULL) {
        fuin_seckey_public(operator_key, &pk);
        if (sodium_is_zero(pk.pk, sizeof pk.pk)) {
            fuin__set_msg(err, errcap, "record: invalid operator key");
            return FUIN_E_INVALID;
        }
        fuin_keyid_hex(pk.keyid, keyhex);
    } else if (r->operator_keyid != NULL)
        fuin_keyid_hex(r->operator_keyid, keyhex);
    else
        kid = NULL;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(rid, sizeof rid, rnd, sizeof rnd);

    for (;;) {
        st = open_locked(path, O_RDWR | O_APPEND, &fd, err, errcap);
        if (st == FUIN_OK || errno != ENOENT)
            break;
        if (err && errcap)
            err[0] = '\0';
        /* No ledger yet: the first record creates it, whole. */
        seq = 1;
        if ((st = make_line(r, operator_key, kid, rid, seq, ZERO_HASH, &line,
                            &len, err, errcap)) != FUIN_OK)
            return st;
        st = create_ledger(path, line, len, err, errcap);
        memcpy(prev, ZERO_HASH, sizeof prev);
        if (st != FUIN_E_EXISTS)
            goto done;
        free(line);
        line = NULL;
        /* somebody created it meanwhile: append to theirs */
    }
    if (st != FUIN_OK)
        return st;
    if ((st = read_tail(fd, &seq, prev, err, errcap)) != FUIN_OK)
        goto out;
    seq++;
    if ((st = make_line(r, operator_key, kid, rid, seq, prev, &line, &len, err,
                        errcap)) != FUIN_OK)
        goto out;
    if (fstat(fd, &sb) != 0) {
        st = FUIN_E_IO;
        fuin__set_msg(err, errcap, "%s: stat: %s", path, strerror(errno));
        goto out;
    }
    if ((e = fuin__write_all(fd, line, len)) != 0) {
        /* Leave no torn line behind: we hold the lock, so the file ended
         * at sb.st_size before our write. */
        (void)ftruncate(fd, sb.st_size);
        st = FUIN_E_IO;
        fuin__set_msg(err, errcap, "%s: write: %s", path, strerror(e));
        goto out;
    }
    if (fsync(fd) != 0) {
        st = FUIN_E_IO;
        fuin__set_msg(err, errcap, "%s: fsync: %s", path, strerror(errno));
        goto out;
    }
    if (sb.st_size == 0)
        /* A new ledger's directory entry must survive a crash too. */
        (void)fuin__fsync_parent(path);
    st = FUIN_OK;
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
done:
    if (st == FUIN_OK) {
        memcpy(r->record_id, rid, sizeof rid);
        r->seq = seq;
        if (prev_out != NULL)
            memcpy(prev_out, prev, 65);
        if (line_out != NULL) {
            *line_out = line;
            *len_out = len - 1; /* without the LF */
            line = NULL;
        }
    }
    free(line);
    return st;
}

fuin_status fuin_ledger_append(const char *path, fuin_record *r,
                               const fuin_seckey *operator_key, char *err,
                               size_t errcap)
{
    return fuin__ledger_append(path, r, operator_key, NULL, NULL, NULL, err, errcap);
}

/* ---- verification ------------------------------------------------------ */

typedef struct {
    const fuin_pubkey *keys;
    size_t nkeys;
    fuin_ledger_report *rep;
    uint64_t line;
    char prev[65];
} vstate;

static int is_text(json_t *v, int nullable)
{
    return json_is_string(v) || (nullable && json_is_null(v));
}

/* Exactly `keys`, plus `optional` (may be NULL) if present. */
static int has_keys_opt(json_t *o, const char *const *keys, const char *const *optional)
{
    size_t n = 0;

    if (!json_is_object(o))
        return 0;
    for (; keys[n] != NULL; n++)
        if (json_object_get(o, keys[n]) == NULL)
            return 0;
    for (size_t i = 0; optional != NULL && optional[i] != NULL; i++)
        if (json_object_get(o, optional[i]) != NULL)
            n++;
    return json_object_size(o) == n;
}

static int has_keys(json_t *o, const char *const *keys)
{
    return has_keys_opt(o, keys, NULL);
}


static int is_time(json_t *v)
{
    int64_t t;
    int off;

    return json_is_string(v) && parse_record_time(json_string_value(v), &t, &off) == 0;
}

/* The schema of include/fuin/ledger.h; returns the reason or NULL. */
static const char *check_schema(json_t *o)
{
    static const char *const TOP[] = {
        "record_id", "seq", "prev_hash", "start", "end", "operator", "witness",
        "approver", "asset_id", "class", "target", "method", "category",
        "passes", "pattern", "verify", "errors", "result", "fuin_version",
        "caveat", "sig", NULL};
    static const char *const OP[] = {"name", "key_id", NULL};
    static const char *const TG[] = {"kind", "path", "model", "serial", "size",
                                     "transport", NULL};
    static const char *const VF[] = {"mode", "bytes", NULL};
    static const char *const SG[] = {"signature", "comment", "global", NULL};
    static const char *const TOP_OPT[] = {"request", NULL};
    static const char *const TOP_OP_OPT[] = {"request", "op", "user", "detail", NULL};
    static const char *const TG_OP_OPT[] = {"sha256", NULL};
    json_t *tg, *vf, *errs, *v, *op = json_object_get(o, "op");
    size_t i;

    /* An operation record has "op", "user", "detail" and a target
     * "sha256", and may be unsigned; a disposal record has none of them. */
    if (op != NULL) {
        if (!has_keys_opt(o, TOP, TOP_OP_OPT) || json_object_get(o, "user") == NULL ||
            json_object_get(o, "detail") == NULL)
            return "not a ledger record (keys)";
        if (!in_set(json_string_value(op), OPS))
            return "bad op";
        if (!json_is_string(json_object_get(o, "user")) ||
            !is_text(json_object_get(o, "detail"), 1))
            return "bad user or detail";
        tg = json_object_get(o, "target");
        v = json_object_get(tg, "sha256");
        if (v == NULL || (!json_is_null(v) && !(json_is_string(v) &&
                                               is_hex(json_string_value(v), 64, 0))))
            return "bad target";
        if (!has_keys_opt(tg, TG, TG_OP_OPT))
            return "bad target";
    } else if (!has_keys_opt(o, TOP, TOP_OPT))
        return "not a ledger record (keys)";
    v = json_object_get(o, "request");
    if (v != NULL && (!json_is_string(v) || !is_hex(json_string_value(v), 64, 0)))
        return "bad request";
    if (!json_is_string(json_object_get(o, "record_id")) ||
        !is_hex(json_string_value(json_object_get(o, "record_id")), 16, 0))
        return "bad record_id";
    if (!json_is_string(json_object_get(o, "prev_hash")) ||
        !is_hex(json_string_value(json_object_get(o, "prev_hash")), 64, 0))
        return "bad prev_hash";
    if (!is_time(json_object_get(o, "start")) || !is_time(json_object_get(o, "end")))
        return "bad start or end time";
    v = json_object_get(o, "operator");
    if (!has_keys(v, OP) || !json_is_string(json_object_get(v, "name")) ||
        !((json_is_null(json_object_get(v, "key_id")) && op != NULL &&
           json_is_null(json_object_get(o, "sig"))) ||
          (json_is_string(json_object_get(v, "key_id")) &&
           is_hex(json_string_value(json_object_get(v, "key_id")), 16, 1))))
        return "bad operator";
    if (!is_text(json_object_get(o, "witness"), 1) ||
        !is_text(json_object_get(o, "approver"), 1) ||
        !is_text(json_object_get(o, "asset_id"), 1) ||
        !is_text(json_object_get(o, "class"), 1) ||
        !is_text(json_object_get(o, "pattern"), 1) ||
        !is_text(json_object_get(o, "caveat"), 1) ||
        !json_is_string(json_object_get(o, "fuin_version")))
        return "bad text field";
    tg = json_object_get(o, "target");
    if (!has_keys_opt(tg, TG, op != NULL ? TG_OP_OPT : NULL) ||
        !in_set(json_string_value(json_object_get(tg, "kind")), KINDS) ||
        !is_text(json_object_get(tg, "path"), 1) ||
        !is_text(json_object_get(tg, "model"), 1) ||
        !is_text(json_object_get(tg, "serial"), 1) ||
        !is_text(json_object_get(tg, "transport"), 1) ||
        !(json_is_null(json_object_get(tg, "size")) ||
          (json_is_integer(json_object_get(tg, "size")) &&
           json_integer_value(json_object_get(tg, "size")) >= 0)))
        return "bad target";
    if (!json_is_string(json_object_get(o, "method")) ||
        !in_set(json_string_value(json_object_get(o, "category")), CATEGORIES) ||
        !in_set(json_string_value(json_object_get(o, "result")), RESULTS) ||
        !json_is_integer(json_object_get(o, "passes")) ||
        json_integer_value(json_object_get(o, "passes")) < 0)
        return "bad method, category, passes or result";
    vf = json_object_get(o, "verify");
    if (!has_keys(vf, VF) || !is_text(json_object_get(vf, "mode"), 1) ||
        !json_is_integer(json_object_get(vf, "bytes")) ||
        json_integer_value(json_object_get(vf, "bytes")) < 0)
        return "bad verify";
    errs = json_object_get(o, "errors");
    if (!json_is_array(errs))
        return "bad errors";
    json_array_foreach(errs, i, v)
        if (!json_is_string(v))
            return "bad errors";
    v = json_object_get(o, "sig");
    if (op != NULL && json_is_null(v))
        return NULL;
    if (!has_keys(v, SG) || !json_is_string(json_object_get(v, "signature")) ||
        !json_is_string(json_object_get(v, "comment")) ||
        !json_is_string(json_object_get(v, "global")))
        return "bad sig";
    return NULL;
}

static fuin_status vfail(vstate *vs, fuin_status st, uint64_t seq,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static fuin_status vfail(vstate *vs, fuin_status st, uint64_t seq,
                         const char *fmt, ...)
{
    char why[FUIN_LEDGER_REASON_MAX - 64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    vs->rep->status = st;
    vs->rep->bad_line = vs->line;
    vs->rep->bad_seq = seq;
    if (seq > 0)
        snprintf(vs->rep->reason, sizeof vs->rep->reason, "line %" PRIu64
                 " (seq %" PRIu64 "): %s", vs->line, seq, why);
    else
        snprintf(vs->rep->reason, sizeof vs->rep->reason,
                 "line %" PRIu64 ": %s", vs->line, why);
    return st;
}

/* The signature of record o (its "sig" is removed from o), without a
 * report, so that worker threads can call it: 0 good, 1 out of memory,
 * 2 malformed (why says how), 3 made by another key than the operator's
 * (claimed gets its id), 4 does not verify. */
static int sig_core(json_t *o, const fuin_pubkey *pk, const char *tc,
                    uint8_t claimed[FUIN_KEYID_BYTES], char *why, size_t whycap)
{
    json_t *sigo = json_object_get(o, "sig");
    const char *sg = json_string_value(json_object_get(sigo, "signature"));
    const char *gl = json_string_value(json_object_get(sigo, "global"));
    char *body = NULL, *minisig = NULL;
    fuin_verifier *v = NULL;
    int res;
    size_t n;

    if (sg == NULL || gl == NULL)
        return 2;
    n = strlen(UNTRUSTED) + strlen(tc) + strlen(sg) + strlen(gl) + 64;
    if ((minisig = malloc(n)) != NULL)
        snprintf(minisig, n, "untrusted comment: %s\n%s\ntrusted comment: %s\n%s\n",
                 UNTRUSTED, sg, tc, gl);
    json_object_del(o, "sig"); /* sg, gl die here: minisig holds them */
    if (minisig == NULL || (body = json_dumps(o, DUMP_FLAGS)) == NULL ||
        (v = fuin_verifier_new()) == NULL) {
        res = 1;
    } else if (fuin_verifier_load(v, minisig, strlen(minisig)) != FUIN_OK) {
        snprintf(why, whycap, "%s", fuin_verifier_errmsg(v));
        res = 2;
    } else {
        fuin_verifier_keyid(v, claimed);
        if (memcmp(claimed, pk->keyid, FUIN_KEYID_BYTES) != 0)
            res = 3;
        else
            res = fuin_verify_update(v, (const uint8_t *)body, strlen(body)) != FUIN_OK ||
                          fuin_verify_final(v, pk) != FUIN_OK
                      ? 4
                      : 0;
    }
    fuin_verifier_free(v);
    free(minisig);
    free(body);
    return res;
}

static fuin_status check_sig(vstate *vs, json_t *o, uint64_t seq, const fuin_pubkey *pk,
                             const char *keyid_txt, const char *tc)
{
    uint8_t claimed[FUIN_KEYID_BYTES];
    char hex[FUIN_KEYID_HEX], why[256] = "";

    switch (sig_core(o, pk, tc, claimed, why, sizeof why)) {
    case 0:
        return FUIN_OK;
    case 1:
        return vfail(vs, FUIN_E_NOMEM, seq, "out of memory");
    case 2:
        return vfail(vs, FUIN_E_SIGNATURE, seq, "malformed signature: %s", why);
    case 3:
        fuin_keyid_hex(claimed, hex);
        return vfail(vs, FUIN_E_SIGNATURE, seq,
                     "signature key id %s is not the operator's key id %s", hex, keyid_txt);
    default:
        return vfail(vs, FUIN_E_SIGNATURE, seq, "signature does not verify (record edited)");
    }
}

/* Verify one complete line (without its LF). */
static fuin_status verify_line(vstate *vs, const char *line, size_t len)
{
    json_error_t je;
    json_t *o, *s;
    char *dump = NULL;
    const char *why, *keyid_txt;
    char hash[65], tc[96];
    uint8_t keyid[FUIN_KEYID_BYTES];
    const fuin_pubkey *pk = NULL;
    uint64_t seq = 0;
    fuin_status st;

    vs->line++;
    if (len > FUIN_LEDGER_MAX_LINE)
        return vfail(vs, FUIN_E_LIMIT, 0, "longer than %u bytes", FUIN_LEDGER_MAX_LINE);
    o = json_loadb(line, len, LOAD_FLAGS, &je);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return vfail(vs, FUIN_E_SYNTAX, 0, "not a JSON object");
    }
    s = json_object_get(o, "seq");
    if (json_is_integer(s) && json_integer_value(s) > 0)
        seq = (uint64_t)json_integer_value(s);
    if ((dump = json_dumps(o, DUMP_FLAGS)) == NULL) {
        st = vfail(vs, FUIN_E_NOMEM, seq, "out of memory");
        goto out;
    }
    /* One byte form per record: any edit that leaves valid JSON
     * (white space, escapes, key order) is caught here. */
    if (strlen(dump) != len || memcmp(dump, line, len) != 0) {
        st = vfail(vs, FUIN_E_SYNTAX, seq, "record is not in canonical form (edited)");
        goto out;
    }
    if ((why = check_schema(o)) != NULL || seq == 0) {
        st = vfail(vs, FUIN_E_SYNTAX, seq, "%s", why ? why : "bad seq");
        goto out;
    }
    if (strcmp(json_string_value(json_object_get(o, "prev_hash")), vs->prev) != 0) {
        st = vfail(vs, FUIN_E_SIGNATURE, seq,
                   "prev_hash does not match the previous line (record deleted, "
                   "inserted, reordered or an earlier one edited)");
        goto out;
    }
    if (seq != vs->line) {
        st = vfail(vs, FUIN_E_SIGNATURE, seq, "seq %" PRIu64 ", expected %" PRIu64,
                   seq, vs->line);
        goto out;
    }
    if (json_is_null(json_object_get(o, "sig"))) {
        /* chained, not signed: the next signed record vouches for it */
        vs->rep->unsigned_tail++;
        goto good;
    }
    keyid_txt = json_string_value(json_object_get(json_object_get(o, "operator"), "key_id"));
    if (keyid_txt == NULL || fuin_keyid_from_hex(keyid_txt, keyid) != FUIN_OK) {
        st = vfail(vs, FUIN_E_SYNTAX, seq, "bad operator key id");
        goto out;
    }
    for (size_t i = 0; i < vs->nkeys; i++)
        if (memcmp(vs->keys[i].keyid, keyid, FUIN_KEYID_BYTES) == 0) {
            pk = &vs->keys[i];
            break;
        }
    if (pk == NULL) {
        st = vfail(vs, FUIN_E_UNTRUSTED, seq, "signed by unknown key id %s", keyid_txt);
        goto out;
    }
    snprintf(tc, sizeof tc, "fuin-ledger record:%s seq:%" PRIu64,
             json_string_value(json_object_get(o, "record_id")), seq);
    if (strcmp(json_string_value(json_object_get(json_object_get(o, "sig"), "comment")),
               tc) != 0) {
        st = vfail(vs, FUIN_E_SIGNATURE, seq, "signature comment does not match the record");
        goto out;
    }
    /* Every signature: a later signature by the same key does not vouch
     * for this one, since nobody checked this line before signing that. */
    if ((st = check_sig(vs, o, seq, pk, keyid_txt, tc)) != FUIN_OK)
        goto out;
    vs->rep->signed_records++;
    vs->rep->unsigned_tail = 0;
good:
    sha256_hex(line, len, hash);
    memcpy(vs->prev, hash, sizeof hash);
    memcpy(vs->rep->last_hash, hash, sizeof hash);
    vs->rep->records++;
    st = FUIN_OK;
out:
    free(dump);
    json_decref(o);
    return st;
}

static void report_init(fuin_ledger_report *rep)
{
    memset(rep, 0, sizeof *rep);
    memcpy(rep->last_hash, ZERO_HASH, 65);
}

static fuin_status report_torn(vstate *vs, uint64_t offset)
{
    fuin_ledger_report *rep = vs->rep;

    rep->torn = 1;
    rep->torn_offset = offset;
    rep->status = FUIN_E_SYNTAX;
    rep->bad_line = vs->line + 1;
    snprintf(rep->reason, sizeof rep->reason,
             "line %" PRIu64 ": torn last line at byte %" PRIu64
             " (no line end); the %" PRIu64 " records before it verify",
             vs->line + 1, offset, rep->records);
    return FUIN_E_SYNTAX;
}

static fuin_status vstate_init(vstate *vs, const fuin_pubkey *keys, size_t nkeys,
                               fuin_ledger_report *rep)
{
    if (rep == NULL)
        return FUIN_E_INVALID;
    report_init(rep);
    if (keys == NULL && nkeys > 0) {
        rep->status = FUIN_E_INVALID;
        snprintf(rep->reason, sizeof rep->reason, "invalid argument");
        return FUIN_E_INVALID;
    }
    vs->keys = keys;
    vs->nkeys = nkeys;
    vs->rep = rep;
    vs->line = 0;
    memcpy(vs->prev, ZERO_HASH, 65);
    return FUIN_OK;
}

/* Back to the start, after a parallel pass that found something. */
static void vstate_reset(vstate *vs)
{
    report_init(vs->rep);
    vs->line = 0;
    memcpy(vs->prev, ZERO_HASH, 65);
}

/* ---- the parallel fast path ---------------------------------------------- */
/* Most of a verification is parsing JSON (jansson: tens of microseconds a
 * record) and checking its signature.  Each line's checks but the chain
 * are independent, so they run on every core; the chain and the counts
 * are then checked in order.  Anything short of a clean result sends the
 * caller to the sequential strict pass, which names the first bad record
 * exactly as it always has: this path only ever says "all good". */

#define PAR_MIN_LINES 512
#define PAR_MAX_THREADS 8
/* larger ledgers take the sequential pass, line by line */
#define PAR_MAX_BYTES ((uint64_t)1 << 30)

typedef struct {
    uint64_t off;
    uint32_t len;
    int32_t key;        /* index into keys of a signed record, -1: unsigned */
    uint8_t ok;
    uint8_t hash[32];   /* SHA-256 of the line */
    uint8_t prev[32];   /* its prev_hash */
} pline;

typedef struct {
    const char *buf;
    pline *lines;
    size_t from, to;
    const fuin_pubkey *keys;
    size_t nkeys;
} pwork;

/* Everything verify_line() checks except the chain and the signature. */
static int par_line(const pwork *w, size_t i)
{
    pline *pl = &w->lines[i];
    const char *line = w->buf + pl->off;
    json_error_t je;
    json_t *o, *s;
    char *dump = NULL, tc[96];
    const char *kid, *cm;
    uint8_t keyid[FUIN_KEYID_BYTES];
    int ok = 0;

    pl->key = -1;
    crypto_hash_sha256(pl->hash, (const uint8_t *)line, pl->len);
    if (pl->len > FUIN_LEDGER_MAX_LINE ||
        (o = json_loadb(line, pl->len, LOAD_FLAGS, &je)) == NULL)
        return 0;
    s = json_object_get(o, "seq");
    if (!json_is_object(o) || !json_is_integer(s) ||
        (uint64_t)json_integer_value(s) != (uint64_t)i + 1 ||
        (dump = json_dumps(o, DUMP_FLAGS)) == NULL || strlen(dump) != pl->len ||
        memcmp(dump, line, pl->len) != 0 || check_schema(o) != NULL ||
        sodium_hex2bin(pl->prev, 32, json_string_value(json_object_get(o, "prev_hash")), 64,
                       NULL, NULL, NULL) != 0)
        goto out;
    if (json_is_null(json_object_get(o, "sig"))) {
        ok = 1;
        goto out;
    }
    kid = json_string_value(json_object_get(json_object_get(o, "operator"), "key_id"));
    if (kid == NULL || fuin_keyid_from_hex(kid, keyid) != FUIN_OK)
        goto out;
    for (size_t k = 0; k < w->nkeys; k++)
        if (memcmp(w->keys[k].keyid, keyid, FUIN_KEYID_BYTES) == 0) {
            pl->key = (int32_t)k;
            break;
        }
    snprintf(tc, sizeof tc, "fuin-ledger record:%s seq:%" PRIu64,
             json_string_value(json_object_get(o, "record_id")), (uint64_t)i + 1);
    cm = json_string_value(json_object_get(json_object_get(o, "sig"), "comment"));
    if (pl->key >= 0 && cm != NULL && strcmp(cm, tc) == 0) {
        uint8_t claimed[FUIN_KEYID_BYTES];
        char why[64];
        ok = sig_core(o, &w->keys[pl->key], tc, claimed, why, sizeof why) == 0;
    }
out:
    free(dump);
    json_decref(o);
    return ok;
}

static void *par_worker(void *arg)
{
    pwork *w = arg;
    for (size_t i = w->from; i < w->to; i++)
        w->lines[i].ok = (uint8_t)par_line(w, i);
    return NULL;
}

/* 1: every line of buf[0..len) verifies (rep filled as the sequential pass
 * would); 0: not known, run the strict pass. */
static int verify_parallel(vstate *vs, const char *buf, size_t len)
{
    fuin_ledger_report *rep = vs->rep;
    size_t n = 0, at = 0, nthreads, torn_at = 0;
    pline *lines;
    pwork work[PAR_MAX_THREADS];
    pthread_t tid[PAR_MAX_THREADS];
    int started[PAR_MAX_THREADS] = {0}, torn = 0, good = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    /* a ledger is a few hundred bytes a line: far more lines than that
     * (a file of line ends) is not one, and the sequential pass says why */
    if (n < PAR_MIN_LINES || cpus < 2 || n > len / 64 + PAR_MIN_LINES)
        return 0;
    if ((lines = malloc(n * sizeof *lines)) == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *nl = memchr(buf + at, '\n', len - at);
        lines[i].off = at;
        lines[i].len = (size_t)(nl - (buf + at)) > FUIN_LEDGER_MAX_LINE
                           ? FUIN_LEDGER_MAX_LINE + 1
                           : (uint32_t)(nl - (buf + at));
        at = (size_t)(nl - buf) + 1;
    }
    if (at < len) {
        torn = 1;
        torn_at = at;
    }
    nthreads = cpus > PAR_MAX_THREADS ? PAR_MAX_THREADS : (size_t)cpus;
    for (size_t t = 0; t < nthreads; t++) {
        work[t] = (pwork){buf, lines, n * t / nthreads, n * (t + 1) / nthreads, vs->keys,
                          vs->nkeys};
        started[t] = t > 0 && pthread_create(&tid[t], NULL, par_worker, &work[t]) == 0;
        if (t > 0 && !started[t])
            par_worker(&work[t]);
    }
    par_worker(&work[0]);
    for (size_t t = 1; t < nthreads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);

    /* in order: the chain and the counts (the workers checked the rest,
     * every signature included) */
    for (size_t i = 0; i < n; i++) {
        static const uint8_t zero[32];
        if (!lines[i].ok || memcmp(lines[i].prev, i ? lines[i - 1].hash : zero, 32) != 0) {
            good = 0;
            break;
        }
        if (lines[i].key >= 0) {
            rep->signed_records++;
            rep->unsigned_tail = 0;
        } else
            rep->unsigned_tail++;
    }
    if (good) {
        rep->records = n;
        vs->line = n;
        if (n > 0)
            sodium_bin2hex(rep->last_hash, sizeof rep->last_hash, lines[n - 1].hash, 32);
        if (torn)
            report_torn(vs, torn_at);
        else {
            rep->status = FUIN_OK;
            snprintf(rep->reason, sizeof rep->reason, "%" PRIu64 " records verify",
                     rep->records);
        }
    }
    free(lines);
    return good;
}

static fuin_status verify_buf_pass(vstate *vs, const char *buf, size_t len)
{
    size_t at = 0;
    fuin_status st;

    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        if (nl == NULL)
            return report_torn(vs, at);
        if ((st = verify_line(vs, buf + at, (size_t)(nl - (buf + at)))) != FUIN_OK)
            return st;
        at = (size_t)(nl - buf) + 1;
    }
    snprintf(vs->rep->reason, sizeof vs->rep->reason, "%" PRIu64 " records verify",
             vs->rep->records);
    return FUIN_OK;
}

fuin_status fuin_ledger_verify_buf(const char *buf, size_t len,
                                   const fuin_pubkey *keys, size_t nkeys,
                                   fuin_ledger_report *rep)
{
    vstate vs;
    fuin_status st;

    if ((st = vstate_init(&vs, keys, nkeys, rep)) != FUIN_OK)
        return st;
    if (buf == NULL && len > 0) {
        rep->status = FUIN_E_INVALID;
        return FUIN_E_INVALID;
    }
    if (verify_parallel(&vs, buf, len))
        return rep->status;
    vstate_reset(&vs);
    return verify_buf_pass(&vs, buf, len);
}

/* Calls fn(ctx, line, len, offset) for each complete line; a torn last line
 * is reported through *torn / *torn_at.  Lines are capped so a hostile
 * ledger cannot make us allocate without bound. */
typedef fuin_status (*line_fn)(void *ctx, const char *line, size_t len);

static fuin_status each_line(FILE *f, line_fn fn, void *ctx, int *torn,
                             uint64_t *torn_at, uint64_t *toolong_line)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t off = 0, no = 0;
    fuin_status st = FUIN_OK;

    *torn = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        no++;
        if (line[n - 1] != '\n') {
            *torn = 1;
            *torn_at = off;
            break;
        }
        if ((size_t)n - 1 > FUIN_LEDGER_MAX_LINE) {
            *toolong_line = no;
            st = FUIN_E_LIMIT;
            break;
        }
        if ((st = fn(ctx, line, (size_t)n - 1)) != FUIN_OK)
            break;
        off += (uint64_t)n;
    }
    if (st == FUIN_OK && ferror(f))
        st = FUIN_E_IO;
    free(line);
    return st;
}

static fuin_status verify_cb(void *ctx, const char *line, size_t len)
{
    return verify_line(ctx, line, len);
}

static fuin_status verify_fd(int fd, const char *path, vstate *vs)
{
    fuin_ledger_report *rep = vs->rep;
    int dupfd = dup(fd), torn = 0;
    FILE *f = dupfd >= 0 ? fdopen(dupfd, "r") : NULL;
    uint64_t torn_at = 0, toolong = 0;
    fuin_status st;

    if (f == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        rep->status = FUIN_E_IO;
        snprintf(rep->reason, sizeof rep->reason, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    st = each_line(f, verify_cb, vs, &torn, &torn_at, &toolong);
    fclose(f);
    if (st == FUIN_E_LIMIT && toolong) {
        vs->line = toolong;
        return vfail(vs, FUIN_E_LIMIT, 0, "longer than %u bytes", FUIN_LEDGER_MAX_LINE);
    }
    if (st == FUIN_E_IO && rep->status == FUIN_OK) {
        rep->status = FUIN_E_IO;
        snprintf(rep->reason, sizeof rep->reason, "%s: read error", path);
    }
    if (st != FUIN_OK)
        return st;
    if (torn)
        return report_torn(vs, torn_at);
    snprintf(rep->reason, sizeof rep->reason, "%" PRIu64 " records verify", rep->records);
    return FUIN_OK;
}

/* The parallel pass; on anything short of a clean result, the sequential
 * one from the start, which names the first bad record. */
static fuin_status verify_two_pass(int fd, const char *path, vstate *vs)
{
    if (lseek(fd, 0, SEEK_SET) != 0) {
        vs->rep->status = FUIN_E_IO;
        snprintf(vs->rep->reason, sizeof vs->rep->reason, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    {
        /* the whole ledger in memory for the parallel path */
        /* read, not mapped: a ledger cut meanwhile must not kill us */
        struct stat sb;
        char *all = NULL;
        int done = 0;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
            (uint64_t)sb.st_size <= PAR_MAX_BYTES &&
            (all = malloc((size_t)sb.st_size)) != NULL &&
            pread(fd, all, (size_t)sb.st_size, 0) == (ssize_t)sb.st_size) {
            done = verify_parallel(vs, all, (size_t)sb.st_size);
            if (!done)
                vstate_reset(vs);
        }
        free(all);
        if (done)
            return vs->rep->status;
    }
    return verify_fd(fd, path, vs);
}

fuin_status fuin_ledger_verify(const char *path, const fuin_pubkey *keys,
                               size_t nkeys, fuin_ledger_report *rep)
{
    vstate vs;
    fuin_status st;
    int fd;

    if ((st = vstate_init(&vs, keys, nkeys, rep)) != FUIN_OK)
        return st;
    if (path == NULL) {
        rep->status = FUIN_E_INVALID;
        return FUIN_E_INVALID;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rep->status = FUIN_E_IO;
        snprintf(rep->reason, sizeof rep->reason, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    st = verify_two_pass(fd, path, &vs);
    close(fd);
    return st;
}

/* Copy bytes [from, to) of fd into a new file `name` (created O_EXCL, so
 * an existing one is never overwritten, and O_NOFOLLOW), fsync it and its
 * directory.  On failure nothing is left behind. */
static fuin_status save_tail(int fd, uint64_t from, uint64_t to, const char *name,
                             char *err, size_t errcap)
{
    char buf[65536];
    int sfd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e = 0;

    if (sfd < 0) {
        if (errno == EEXIST) {
            fuin__set_msg(err, errcap, "%s: exists; move it away first (ledger not repaired)",
                   name);
            return FUIN_E_EXISTS;
        }
        fuin__set_msg(err, errcap, "%s: %s (ledger not repaired)", name, strerror(errno));
        return FUIN_E_IO;
    }
    while (from < to && e == 0) {
        size_t want = to - from > sizeof buf ? sizeof buf : (size_t)(to - from);
        ssize_t got = pread(fd, buf, want, (off_t)from);
        if (got <= 0) {
            e = got < 0 ? errno : EIO;
            break;
        }
        e = fuin__write_all(sfd, buf, (size_t)got);
        from += (uint64_t)got;
    }
    if (e == 0 && fsync(sfd) != 0)
        e = errno;
    if (close(sfd) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        unlink(name);
        fuin__set_msg(err, errcap, "%s: %s (ledger not repaired)", name, strerror(e));
        return FUIN_E_IO;
    }
    (void)fuin__fsync_parent(name);
    return FUIN_OK;
}

/* fuin_ledger_repair() and fuin_ledger_repair_keep(): keep = save the torn
 * bytes first, dry = only say what would happen. */
static fuin_status repair(const char *path, const fuin_pubkey *keys, size_t nkeys,
                          int keep, int dry, fuin_ledger_report *rep, uint64_t *dropped,
                          char *saved, size_t savedcap, char *err, size_t errcap)
{
    struct stat sb;
    vstate vs;
    fuin_status st;
    char *name = NULL;
    uint64_t cut;
    int fd;

    if (dropped != NULL)
        *dropped = 0;
    if (saved != NULL && savedcap > 0)
        saved[0] = '\0';
    if (path == NULL || (st = vstate_init(&vs, keys, nkeys, rep)) != FUIN_OK) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    /* Under the append lock, so no append can slip in between the check
     * and the truncation. */
    if ((st = open_locked(path, dry ? O_RDONLY : O_RDWR, &fd, rep->reason,
                          sizeof rep->reason)) != FUIN_OK) {
        rep->status = st;
        fuin__set_msg(err, errcap, "%s", rep->reason);
        return st;
    }
    st = verify_two_pass(fd, path, &vs);
    if (st == FUIN_OK || !rep->torn) {
        if (st != FUIN_OK)
            fuin__set_msg(err, errcap, "%s: %s", path, rep->reason);
        close(fd);
        return st;
    }
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size <= rep->torn_offset) {
        fuin__set_msg(err, errcap, "%s: stat: %s", path, strerror(errno ? errno : EIO));
        close(fd);
        return FUIN_E_IO;
    }
    cut = (uint64_t)sb.st_size - rep->torn_offset;
    if (dropped != NULL)
        *dropped = cut;
    st = FUIN_OK;
    if (keep) {
        size_t n = strlen(path) + 32;
        struct stat tb;
        if ((name = malloc(n)) == NULL) {
            fuin__set_msg(err, errcap, "out of memory");
            st = FUIN_E_NOMEM;
            goto out;
        }
        snprintf(name, n, "%s.torn-%" PRIu64, path, rep->torn_offset);
        if (saved != NULL) {
            if (strlen(name) >= savedcap) {
                fuin__set_msg(err, errcap, "invalid argument (name buffer too small)");
                st = FUIN_E_INVALID;
                goto out;
            }
            memcpy(saved, name, strlen(name) + 1);
        }
        if (dry) {
            if (lstat(name, &tb) == 0 || errno != ENOENT) {
                fuin__set_msg(err, errcap, "%s: exists; move it away first (ledger not repaired)",
                       name);
                st = FUIN_E_EXISTS;
            }
            goto out;
        }
        if ((st = save_tail(fd, rep->torn_offset, (uint64_t)sb.st_size, name, err,
                            errcap)) != FUIN_OK)
            goto out;
    } else if (dry) {
        goto out;
    }
    if (ftruncate(fd, (off_t)rep->torn_offset) != 0) {
        int e = errno;
        /* The ledger still holds the bytes: no copy to trip over next time. */
        if (name != NULL)
            unlink(name);
        fuin__set_msg(err, errcap, "%s: truncate: %s", path, strerror(e));
        st = FUIN_E_IO;
        goto out;
    }
    if (fsync(fd) != 0) {
        fuin__set_msg(err, errcap, "%s: fsync: %s", path, strerror(errno));
        st = FUIN_E_IO;
    }
out:
    free(name);
    close(fd);
    return st;
}

fuin_status fuin_ledger_repair(const char *path, const fuin_pubkey *keys,
                               size_t nkeys, uint64_t *dropped, char *err,
                               size_t errcap)
{
    fuin_ledger_report rep;

    return repair(path, keys, nkeys, 0, 0, &rep, dropped, NULL, 0, err, errcap);
}

fuin_status fuin_ledger_repair_keep(const char *path, const fuin_pubkey *keys,
                                    size_t nkeys, unsigned flags,
                                    fuin_ledger_report *rep, uint64_t *dropped,
                                    char *saved, size_t savedcap, char *err,
                                    size_t errcap)
{
    fuin_ledger_report local;

    if ((flags & ~FUIN_LEDGER_REPAIR_DRY_RUN) != 0) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    return repair(path, keys, nkeys, 1, (flags & FUIN_LEDGER_REPAIR_DRY_RUN) != 0,
                  rep != NULL ? rep : &local, dropped, saved, savedcap, err, errcap);
}

/* ---- export ------------------------------------------------------------ */

typedef struct {
    fuin_ledger_format format;
    const char *want;        /* record_id or NULL */
    const fuin_ledger_filter *filter; /* or NULL */
    fuin_write_fn out;
    void *ctx;
    uint64_t line, written;
    int io_failed;
    char *err;
    size_t errcap;
} xstate;

static fuin_status emit(xstate *x, const char *s, size_t n)
{
    if (n > 0 && x->out(x->ctx, (const uint8_t *)s, n) != 0) {
        x->io_failed = 1;
        fuin__set_msg(x->err, x->errcap, "export: write failed");
        return FUIN_E_IO;
    }
    return FUIN_OK;
}

static fuin_status emits(xstate *x, const char *s)
{
    return emit(x, s, strlen(s));
}

/* Text of a scalar as shown in CSV and HTML: "" for null. */
static void scalar_text(json_t *v, char *buf, size_t cap, const char **s)
{
    if (json_is_string(v))
        *s = json_string_value(v);
    else if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *s = buf;
    } else
        *s = "";
}

static json_t *path_get(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return b == NULL ? v : json_object_get(v, b);
}

static const struct col {
    const char *head, *a, *b;
} COLS[] = {
    {"record_id", "record_id", NULL}, {"seq", "seq", NULL},
    {"start", "start", NULL}, {"end", "end", NULL},
    {"operator", "operator", "name"}, {"operator_key_id", "operator", "key_id"},
    {"witness", "witness", NULL}, {"approver", "approver", NULL},
    {"asset_id", "asset_id", NULL}, {"class", "class", NULL},
    {"target_kind", "target", "kind"}, {"target_path", "target", "path"},
    {"target_model", "target", "model"}, {"target_serial", "target", "serial"},
    {"target_size", "target", "size"}, {"target_transport", "target", "transport"},
    {"method", "method", NULL}, {"category", "category", NULL},
    {"passes", "passes", NULL}, {"pattern", "pattern", NULL},
    {"verify_mode", "verify", "mode"}, {"verify_bytes", "verify", "bytes"},
    {"errors", "errors", NULL}, {"result", "result", NULL},
    {"fuin_version", "fuin_version", NULL}, {"caveat", "caveat", NULL},
    {"request", "request", NULL}, {"sha256", NULL, NULL},
    {"op", "op", NULL}, {"user", "user", NULL}, {"detail", "detail", NULL},
    {"target_sha256", "target", "sha256"}, {"signed", "sig", NULL},
};
#define NCOLS (sizeof COLS / sizeof COLS[0])

/* One RFC 4180 field.  A text cell starting with = + - @ TAB or CR would
 * be taken for a formula by spreadsheet programs opening the asset
 * register (CSV / formula injection, OWASP): it gets a leading ' inside a
 * quoted field, which they take as "this is text".  Numbers are written
 * by us and never start with one of these. */
static fuin_status csv_field(xstate *x, const char *s, int text)
{
    int guard = text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
    fuin_status st;

    if (!guard && strpbrk(s, ",\"\r\n") == NULL)
        return emits(x, s);
    if ((st = emits(x, guard ? "\"'" : "\"")) != FUIN_OK)
        return st;
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1)
        if ((st = emit(x, s, (size_t)(q - s) + 1)) != FUIN_OK ||
            (st = emits(x, "\"")) != FUIN_OK)
            return st;
    if ((st = emits(x, s)) != FUIN_OK)
        return st;
    return emits(x, "\"");
}

/* errors joined with "; " (malloc()ed). */
static char *join_errors(json_t *errs)
{
    size_t i, n = 1;
    json_t *v;
    char *s;

    json_array_foreach(errs, i, v)
        n += strlen(json_string_value(v)) + 2;
    if ((s = malloc(n)) == NULL)
        return NULL;
    s[0] = '\0';
    json_array_foreach(errs, i, v) {
        if (i > 0)
            strncat(s, "; ", n - strlen(s) - 1);
        strncat(s, json_string_value(v), n - strlen(s) - 1);
    }
    return s;
}

static fuin_status export_csv(xstate *x, json_t *o, const char *hash)
{
    char num[32];
    const char *s;
    fuin_status st = FUIN_OK;

    for (size_t i = 0; i < NCOLS && st == FUIN_OK; i++) {
        if (i > 0 && (st = emits(x, ",")) != FUIN_OK)
            break;
        if (COLS[i].a == NULL) {
            st = csv_field(x, hash, 0);
        } else if (strcmp(COLS[i].a, "sig") == 0) {
            st = csv_field(x, json_is_object(json_object_get(o, "sig")) ? "yes" : "no", 0);
        } else if (strcmp(COLS[i].a, "errors") == 0) {
            char *j = join_errors(json_object_get(o, "errors"));
            if (j == NULL)
                return FUIN_E_NOMEM;
            st = csv_field(x, j, 1);
            free(j);
        } else {
            json_t *v = path_get(o, COLS[i].a, COLS[i].b);
            scalar_text(v, num, sizeof num, &s);
            st = csv_field(x, s, json_is_string(v));
        }
    }
    return st == FUIN_OK ? emits(x, "\r\n") : st;
}

static fuin_status html_text(xstate *x, const char *s)
{
    fuin_status st = FUIN_OK;
    const char *run = s;

    for (; *s != '\0' && st == FUIN_OK; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep != NULL) {
            if ((st = emit(x, run, (size_t)(s - run))) == FUIN_OK)
                st = emits(x, rep);
            run = s + 1;
        }
    }
    return st == FUIN_OK ? emits(x, run) : st;
}

static fuin_status html_row(xstate *x, const char *label, const char *value)
{
    fuin_status st;

    if ((st = emits(x, "<tr><th>")) != FUIN_OK || (st = emits(x, label)) != FUIN_OK ||
        (st = emits(x, "</th><td>")) != FUIN_OK ||
        (st = html_text(x, value[0] ? value : "—")) != FUIN_OK)
        return st;
    return emits(x, "</td></tr>\n");
}

/* A record time as the paper copy shows it: the operator's local time
 * and its offset, "2026年11月26日 05:47:07 (+09:00)", or "(UTC)". */
static fuin_status html_time(xstate *x, json_t *o, const char *label, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    char buf[80];
    int64_t t;
    int off;

    /* check_schema() let only parse_record_time() forms through. */
    if (s == NULL || parse_record_time(s, &t, &off) != 0)
        return html_row(x, label, s != NULL ? s : "");
    snprintf(buf, sizeof buf, "%.4s年%d月%d日 %.8s (%s)", s,
             (s[5] - '0') * 10 + (s[6] - '0'), (s[8] - '0') * 10 + (s[9] - '0'), s + 11,
             off == 0 ? "UTC" : s + 19);
    return html_row(x, label, buf);
}

static fuin_status html_field(xstate *x, json_t *o, const char *label,
                              const char *a, const char *b)
{
    char num[32];
    const char *s;

    scalar_text(path_get(o, a, b), num, sizeof num, &s);
    return html_row(x, label, s);
}

/* Enumerated values shown in Japanese with the recorded token after it,
 * so the paper copy can be matched to the ledger. */
static fuin_status html_enum(xstate *x, json_t *o, const char *label,
                             const char *a, const char *b)
{
    static const char *const JA[][2] = {
        {"file", "ファイル"}, {"device", "記憶装置"}, {"physical", "物理媒体"},
        {"Clear", "クリア（上書き等による消去）"}, {"Purge", "パージ（装置の消去機能による除去）"},
        {"Destroy", "破壊"}, {"none", "なし"},
        {"success", "成功"}, {"failure", "失敗"}, {"interrupted", "中断"},
    };
    const char *v = json_string_value(path_get(o, a, b));
    char buf[160];

    for (size_t i = 0; i < sizeof JA / sizeof JA[0]; i++)
        if (strcmp(v, JA[i][0]) == 0) {
            snprintf(buf, sizeof buf, "%s (%s)", JA[i][1], v);
            return html_row(x, label, buf);
        }
    return html_row(x, label, v);
}

static const char HTML_HEAD[] =
    "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>消去証明書 / 廃棄記録</title>\n<style>\n"
    "@page{size:A4;margin:15mm}\n"
    "body{font-family:\"Noto Sans CJK JP\",\"IPAexGothic\",sans-serif;margin:2em}\n"
    "@media print{body{margin:0;font-size:9pt}h1{font-size:14pt;margin:0 0 .3em}"
    "h2{font-size:10.5pt;margin:.5em 0 .15em}p{margin:.3em 0}th,td{padding:.1em .35em}"
    ".sign{margin-top:1em}}\n"
    ".sign{page-break-inside:avoid}\n"
    "h2{page-break-after:avoid}\n"
    "section{max-width:48em}\nsection+section{page-break-before:always}\n"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}\n"
    "th,td{border:1px solid #000;padding:.3em .5em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}\ntr{page-break-inside:avoid}\n"
    "th{width:14em;background:#eee}\n.hash{font-family:monospace;word-break:break-all}\n"
    ".sign{margin-top:3em}\n</style>\n</head>\n<body>\n";

/* Japanese names of the operations, for the HTML record. */
static const char *op_title(const char *op)
{
    static const char *const T[][2] = {
        {"encrypt", "暗号化"}, {"decrypt", "復号"}, {"sign", "電子署名"},
        {"verify", "署名検証"}, {"label", "格付表示"}, {"pack", "パッケージ作成"},
        {"unpack", "パッケージ展開"}, {"request", "許可申請"}, {"approve", "許可（承認）"},
        {"certify", "鍵の認証"}, {"revoke", "認証の失効"}, {"policy-install", "ポリシー導入"},
        {"key-new", "鍵の作成"}, {"key-passwd", "パスフレーズ変更"},
        {"checkpoint", "記録の署名（チェックポイント）"}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(op, T[i][0]) == 0)
            return T[i][1];
    return op;
}

/* An operation record: who did what to which file, when, with what result. */
static fuin_status export_html_op(xstate *x, json_t *o, const char *hash)
{
    fuin_status st;
    json_t *kid = path_get(o, "operator", "key_id");

#define E(call)                                                                \
    do {                                                                       \
        if ((st = (call)) != FUIN_OK)                                          \
            return st;                                                         \
    } while (0)
    E(emits(x, "<section>\n<h1>作業記録："));
    E(html_text(x, op_title(json_string_value(json_object_get(o, "op")))));
    E(emits(x, "</h1>\n<table>\n"));
    E(html_field(x, o, "操作", "op", NULL));
    E(html_time(x, o, "開始", "start"));
    E(html_time(x, o, "終了", "end"));
    E(html_field(x, o, "作業者", "operator", "name"));
    E(html_field(x, o, "利用者アカウント", "user", NULL));
    E(html_field(x, o, "格付", "class", NULL));
    E(html_field(x, o, "ファイル", "target", "path"));
    E(html_field(x, o, "サイズ（バイト）", "target", "size"));
    E(html_field(x, o, "SHA-256", "target", "sha256"));
    E(html_field(x, o, "方式", "method", NULL));
    E(html_field(x, o, "詳細", "detail", NULL));
    E(html_field(x, o, "承認者", "approver", NULL));
    if (json_object_get(o, "request") != NULL)
        E(html_field(x, o, "承認された申請 (SHA-256)", "request", NULL));
    E(html_enum(x, o, "結果", "result", NULL));
    E(html_field(x, o, "記録ID", "record_id", NULL));
    E(html_field(x, o, "通番", "seq", NULL));
    E(emits(x, "<tr><th>記録のSHA-256</th><td class=\"hash\">"));
    E(html_text(x, hash));
    E(emits(x, "</td></tr>\n<tr><th>署名</th><td>"));
    if (json_is_object(json_object_get(o, "sig"))) {
        E(emits(x, "署名あり（鍵ID "));
        E(html_text(x, json_string_value(kid)));
        E(emits(x, "）"));
    } else
        E(emits(x, "なし（後続の署名付き記録がハッシュの連結で保証します）"));
    E(emits(x, "</td></tr>\n</table>\n</section>\n"));
#undef E
    return FUIN_OK;
}

/* The TSV line of fuin ledger show. */
static fuin_status export_tsv(xstate *x, json_t *o)
{
    char num[32];
    const char *v;
    json_t *tg = json_object_get(o, "target");
    json_t *f[] = {json_object_get(o, "seq"),      json_object_get(o, "end"),
                   path_get(o, "operator", "name"), json_object_get(o, "op"),
                   json_object_get(o, "asset_id"), json_object_get(tg, "kind"),
                   json_object_get(tg, "path"),    json_object_get(o, "method"),
                   json_object_get(o, "category"), json_object_get(o, "result")};
    fuin_status st = FUIN_OK;

    for (size_t i = 0; i < sizeof f / sizeof f[0] && st == FUIN_OK; i++) {
        if (i == 3 && f[i] == NULL)
            v = "disposal";
        else {
            scalar_text(f[i], num, sizeof num, &v);
            if (*v == '\0')
                v = "-";
        }
        if (i == 6)
            st = emits(x, " ");
        else if (i > 0)
            st = emits(x, "\t");
        /* one line per record, one field per TAB: escape them inside */
        for (const char *c = v; st == FUIN_OK && *c; c++)
            st = *c == '\t' ? emits(x, "\\t") : *c == '\n' ? emits(x, "\\n")
                 : *c == '\r' ? emits(x, "\\r") : *c == '\\' ? emits(x, "\\\\")
                               : emit(x, c, 1);
    }
    return st == FUIN_OK ? emits(x, "\n") : st;
}

/* Whether a record passes the filter. */
static int filter_match(const fuin_ledger_filter *f, json_t *o)
{
    const char *op, *cls;
    int64_t t;
    int off;

    if (f == NULL)
        return 1;
    if (f->kind != NULL) {
        op = json_string_value(json_object_get(o, "op"));
        if (strcmp(f->kind, op != NULL ? op : "disposal") != 0)
            return 0;
    }
    if (f->person != NULL) {
        const char *n = json_string_value(path_get(o, "operator", "name"));
        const char *k = json_string_value(path_get(o, "operator", "key_id"));
        const char *u = json_string_value(json_object_get(o, "user"));
        if (!(n && strcmp(n, f->person) == 0) && !(k && strcmp(k, f->person) == 0) &&
            !(u && strcmp(u, f->person) == 0))
            return 0;
    }
    if (f->min_confidentiality > 0) {
        fuin_label l;
        cls = json_string_value(json_object_get(o, "class"));
        if (cls == NULL || fuin_label_parse(cls, &l, NULL, 0) != FUIN_OK ||
            l.confidentiality < f->min_confidentiality)
            return 0;
    }
    if (f->since != 0 || f->until != 0) {
        if (parse_record_time(json_string_value(json_object_get(o, "end")), &t, &off) != 0)
            return 0;
        if ((f->since != 0 && t < f->since) || (f->until != 0 && t >= f->until))
            return 0;
    }
    return 1;
}

static fuin_status export_html(xstate *x, json_t *o, const char *hash)
{
    int physical = strcmp(json_string_value(path_get(o, "target", "kind")), "physical") == 0 ||
                   strcmp(json_string_value(json_object_get(o, "category")), "Destroy") == 0;
    const char *title = physical ? "廃棄記録" : "消去証明書";
    char *errs = NULL;
    fuin_status st;

#define E(call)                                                                \
    do {                                                                       \
        if ((st = (call)) != FUIN_OK)                                          \
            goto out;                                                          \
    } while (0)
    E(emits(x, "<section>\n<h1>"));
    E(emits(x, title));
    E(emits(x, "</h1>\n<p>下記のとおり、情報資産の"));
    E(emits(x, physical ? "物理的破壊" : "データ消去"));
    E(emits(x, "を実施したことを証明します。</p>\n"));
    E(emits(x, "<h2>対象（何を）</h2>\n<table>\n"));
    E(html_field(x, o, "資産番号", "asset_id", NULL));
    E(html_field(x, o, "格付", "class", NULL));
    E(html_enum(x, o, "種別", "target", "kind"));
    E(html_field(x, o, "パス", "target", "path"));
    E(html_field(x, o, "型番", "target", "model"));
    E(html_field(x, o, "製造番号", "target", "serial"));
    E(html_field(x, o, "容量（バイト）", "target", "size"));
    E(html_field(x, o, "接続方式", "target", "transport"));
    E(emits(x, "</table>\n<h2>日時（いつ）</h2>\n<table>\n"));
    E(html_time(x, o, "開始", "start"));
    E(html_time(x, o, "終了", "end"));
    E(emits(x, "</table>\n<h2>実施者（誰が）</h2>\n<table>\n"));
    E(html_field(x, o, "作業者", "operator", "name"));
    E(html_field(x, o, "立会者", "witness", NULL));
    E(html_field(x, o, "承認者", "approver", NULL));
    if (json_object_get(o, "request") != NULL)
        E(html_field(x, o, "承認された申請 (SHA-256)", "request", NULL));
    E(emits(x, "</table>\n<h2>方法（どのように）</h2>\n<table>\n"));
    E(html_field(x, o, "方式", "method", NULL));
    E(html_enum(x, o, "区分（NIST SP 800-88）", "category", NULL));
    E(html_field(x, o, "パス数", "passes", NULL));
    E(html_field(x, o, "パターン", "pattern", NULL));
    E(emits(x, "</table>\n<h2>検証</h2>\n<table>\n"));
    E(html_field(x, o, "検証方式", "verify", "mode"));
    E(html_field(x, o, "検証バイト数", "verify", "bytes"));
    E(emits(x, "</table>\n<h2>結果</h2>\n<table>\n"));
    E(html_enum(x, o, "結果", "result", NULL));
    if ((errs = join_errors(json_object_get(o, "errors"))) == NULL) {
        st = FUIN_E_NOMEM;
        goto out;
    }
    E(html_row(x, "エラー", errs));
    E(html_field(x, o, "注意事項", "caveat", NULL));
    E(emits(x, "</table>\n<h2>記録の真正性</h2>\n<table>\n"));
    E(html_field(x, o, "記録ID", "record_id", NULL));
    E(html_field(x, o, "通番", "seq", NULL));
    E(emits(x, "<tr><th>記録のSHA-256</th><td class=\"hash\">"));
    E(html_text(x, hash));
    E(emits(x, "</td></tr>\n<tr><th>署名鍵ID（作業者）</th><td class=\"hash\">"));
    E(html_text(x, json_string_value(path_get(o, "operator", "key_id"))));
    E(emits(x, "</td></tr>\n"));
    E(html_field(x, o, "fuin バージョン", "fuin_version", NULL));
    E(emits(x, "</table>\n<p>この記録は作業者の鍵で署名され、台帳の前の記録に"
               "ハッシュで連結されています（fuin ledger verify で検証できます）。</p>\n"
               "<table class=\"sign\">\n<tr><th>作業者 署名</th><td></td></tr>\n"
               "<tr><th>立会者 署名</th><td></td></tr>\n"
               "<tr><th>承認者 署名</th><td></td></tr>\n</table>\n</section>\n"));
#undef E
out:
    free(errs);
    return st;
}

static fuin_status export_cb(void *ctx, const char *line, size_t len)
{
    xstate *x = ctx;
    json_error_t je;
    json_t *o;
    const char *why;
    char hash[65];
    fuin_status st;

    x->line++;
    o = json_loadb(line, len, LOAD_FLAGS, &je);
    if (o == NULL || (why = check_schema(o)) != NULL) {
        fuin__set_msg(x->err, x->errcap, "ledger line %" PRIu64 ": not a record", x->line);
        json_decref(o);
        return FUIN_E_SYNTAX;
    }
    if ((x->want != NULL &&
         strcmp(json_string_value(json_object_get(o, "record_id")), x->want) != 0) ||
        !filter_match(x->filter, o)) {
        json_decref(o);
        return FUIN_OK;
    }
    sha256_hex(line, len, hash);
    switch (x->format) {
    case FUIN_LEDGER_CSV:
        st = export_csv(x, o, hash);
        break;
    case FUIN_LEDGER_JSON:
        st = emits(x, x->written ? ",\n" : "\n");
        if (st == FUIN_OK)
            st = emit(x, line, len);
        break;
    case FUIN_LEDGER_TSV:
        st = export_tsv(x, o);
        break;
    default:
        st = json_object_get(o, "op") != NULL ? export_html_op(x, o, hash)
                                              : export_html(x, o, hash);
        break;
    }
    json_decref(o);
    if (st == FUIN_E_NOMEM)
        fuin__set_msg(x->err, x->errcap, "out of memory");
    x->written++;
    return st;
}

fuin_status fuin_ledger_export(const char *path, fuin_ledger_format format,
                               const char *record_id, fuin_write_fn out,
                               void *ctx, char *err, size_t errcap)
{
    return fuin_ledger_export_filtered(path, format, record_id, NULL, out, ctx, err, errcap);
}

fuin_status fuin_ledger_export_filtered(const char *path, fuin_ledger_format format,
                                        const char *record_id,
                                        const fuin_ledger_filter *filter, fuin_write_fn out,
                                        void *ctx, char *err, size_t errcap)
{
    xstate x;
    FILE *f;
    int torn;
    uint64_t torn_at, toolong = 0;
    fuin_status st;

    if (path == NULL || out == NULL ||
        (format != FUIN_LEDGER_CSV && format != FUIN_LEDGER_JSON &&
         format != FUIN_LEDGER_HTML && format != FUIN_LEDGER_TSV) ||
        (filter != NULL && (filter->min_confidentiality < 0 || filter->min_confidentiality > 3))) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    memset(&x, 0, sizeof x);
    x.format = format;
    x.want = record_id;
    x.filter = filter;
    x.out = out;
    x.ctx = ctx;
    x.err = err;
    x.errcap = errcap;
    if ((f = fopen(path, "re")) == NULL) {
        fuin__set_msg(err, errcap, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    st = FUIN_OK;
    if (format == FUIN_LEDGER_CSV)
        for (size_t i = 0; i < NCOLS && st == FUIN_OK; i++)
            if ((st = emits(&x, i ? "," : "")) == FUIN_OK)
                st = emits(&x, COLS[i].head);
    if (st == FUIN_OK && format != FUIN_LEDGER_TSV)
        st = emits(&x, format == FUIN_LEDGER_CSV ? "\r\n"
                       : format == FUIN_LEDGER_JSON ? "[" : HTML_HEAD);
    if (st == FUIN_OK)
        st = each_line(f, export_cb, &x, &torn, &torn_at, &toolong);
    fclose(f);
    if (st == FUIN_E_LIMIT)
        fuin__set_msg(err, errcap, "ledger line %" PRIu64 ": longer than %u bytes", toolong,
               FUIN_LEDGER_MAX_LINE);
    else if (st == FUIN_E_IO && !x.io_failed)
        fuin__set_msg(err, errcap, "%s: read error", path);
    if (st != FUIN_OK)
        return st;
    if (record_id != NULL && x.written == 0) {
        fuin__set_msg(err, errcap, "no record with id %s", record_id);
        return FUIN_E_NO_MATCH;
    }
    if (format == FUIN_LEDGER_JSON)
        return emits(&x, x.written ? "\n]\n" : "]\n");
    if (format == FUIN_LEDGER_HTML)
        return emits(&x, "</body>\n</html>\n");
    return FUIN_OK;
}

typedef struct {
    const char *want;
    char record_id[17];
    uint64_t seq;
    int found;
    uint64_t line;
} fstate;

static fuin_status find_cb(void *ctx, const char *line, size_t len)
{
    fstate *fs = ctx;
    json_error_t je;
    json_t *o, *rq, *res;
    fs->line++;
    o = json_loadb(line, len, LOAD_FLAGS, &je);
    if (o == NULL || check_schema(o) != NULL) {
        json_decref(o);
        return FUIN_E_SYNTAX;
    }
    rq = json_object_get(o, "request");
    res = json_object_get(o, "result");
    /* only a disposal carries a disposal out: an operation record that
     * names the request (making it, approving it, checking it) does not */
    if (rq != NULL && json_object_get(o, "op") == NULL &&
        strcmp(json_string_value(rq), fs->want) == 0 &&
        strcmp(json_string_value(res), "success") == 0) {
        snprintf(fs->record_id, sizeof fs->record_id, "%s",
                 json_string_value(json_object_get(o, "record_id")));
        fs->seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
        fs->found = 1;
        json_decref(o);
        return FUIN_E_NO_MATCH; /* stop: found (mapped below) */
    }
    json_decref(o);
    return FUIN_OK;
}

fuin_status fuin_ledger_find_request(const char *path, const char *request,
                                     char *record_id, uint64_t *seq)
{
    fstate fs;
    FILE *f;
    int torn = 0;
    uint64_t torn_at = 0, toolong = 0;
    fuin_status st;

    if (path == NULL || request == NULL || !is_hex(request, 64, 0))
        return FUIN_E_INVALID;
    memset(&fs, 0, sizeof fs);
    fs.want = request;
    if ((f = fopen(path, "re")) == NULL)
        return errno == ENOENT ? FUIN_E_NO_MATCH : FUIN_E_IO;
    st = each_line(f, find_cb, &fs, &torn, &torn_at, &toolong);
    fclose(f);
    if (fs.found) {
        if (record_id != NULL)
            memcpy(record_id, fs.record_id, sizeof fs.record_id);
        if (seq != NULL)
            *seq = fs.seq;
        return FUIN_OK;
    }
    if (st != FUIN_OK)
        return st;
    return torn ? FUIN_E_SYNTAX : FUIN_E_NO_MATCH;
}
