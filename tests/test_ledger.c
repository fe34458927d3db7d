/* Unit tests for lib/ledger/ledger.c: appending signed disposal records, the
 * hash chain and every kind of tampering verify must catch, torn lines,
 * concurrent appenders, and the CSV / JSON / HTML exports; operation
 * records (unsigned, chained, vouched for by the next signature), the
 * filters and TSV of fuin ledger show, and fuin_audit_*: preflight, the
 * RFC 5424 copy to syslog, concurrent appenders and a full disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <ftw.h>
#include <errno.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "fuin.h"
#include "fuin/ledger.h"

#define T_START 1795629600LL /* 2026-11-25T18:00:00Z */

static fuin_seckey *op_sk, *op2_sk, *stranger_sk;
static fuin_pubkey op_pk, op2_pk, stranger_pk;
static fuin_label c3;
static char dir[64];
static char ledger[128];

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */
static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fuin-ledger-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(ledger, sizeof ledger, "%s/ledger.jsonl", dir);
    return 0;
}

static int teardown(void **state)
{
    char mnt[80];
    (void)state;
    /* test_audit_full_disk's tmpfs, if an assertion left it mounted */
    snprintf(mnt, sizeof mnt, "%s/tiny", dir);
    (void)umount2(mnt, MNT_DETACH);
    return nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* POSIX TZ strings ("JST-9", "UTC0"), which need no tz database. */
static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static fuin_record make_record(int n)
{
    static char asset[32];
    static const char *const errs[] = {"sector 12: <write> & \"retry\""};
    fuin_record r;

    memset(&r, 0, sizeof r);
    snprintf(asset, sizeof asset, "PC-000%d", n);
    r.start = T_START + n * 3600;
    r.end = r.start + 600;
    r.operator_name = "山田 花子";
    r.witness = "佐藤 一郎";
    r.approver = "鈴木 次郎";
    r.asset_id = asset;
    r.label = &c3;
    r.target_kind = "device";
    r.target_path = "/dev/sdb";
    r.target_model = "Model \"X\", rev<2>";
    r.target_serial = "SN<&>42";
    r.target_transport = "USB";
    r.target_size = 16008609792LL;
    r.method = "zero-1pass";
    r.category = "Clear";
    r.passes = 1;
    r.pattern = "zeros";
    r.verify_mode = "full";
    r.verify_bytes = 16008609792ULL;
    r.errors = n == 2 ? errs : NULL;
    r.nerrors = n == 2 ? 1 : 0;
    r.result = n == 2 ? "failure" : "success";
    r.caveat = NULL;
    return r;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Split the ledger into its lines (each with its LF). */
typedef struct {
    char *buf;
    size_t len;
    const char *line[64];
    size_t llen[64];
    size_t n;
} lines;

static void read_lines(lines *l)
{
    size_t at = 0;

    l->buf = slurp(ledger, &l->len);
    l->n = 0;
    while (at < l->len) {
        const char *nl = memchr(l->buf + at, '\n', l->len - at);
        size_t end = nl ? (size_t)(nl - l->buf) + 1 : l->len;
        assert_true(l->n < 64);
        l->line[l->n] = l->buf + at;
        l->llen[l->n++] = end - at;
        at = end;
    }
}

/* Write the lines in the order given by idx (-1 ends). */
static void write_order(const lines *l, const int *idx)
{
    FILE *f = fopen(ledger, "wb");
    assert_non_null(f);
    for (; *idx >= 0; idx++)
        assert_int_equal(fwrite(l->line[*idx], 1, l->llen[*idx], f), l->llen[*idx]);
    assert_int_equal(fclose(f), 0);
}

static void append3(fuin_record out[3])
{
    char err[256];

    for (int i = 0; i < 3; i++) {
        out[i] = make_record(i + 1);
        assert_int_equal(fuin_ledger_append(ledger, &out[i], op_sk, err, sizeof err),
                         FUIN_OK);
        assert_int_equal(out[i].seq, (uint64_t)(i + 1));
        assert_int_equal(strlen(out[i].record_id), 16);
    }
}

static void expect_bad(fuin_status st, uint64_t line, uint64_t seq, const char *reason)
{
    fuin_ledger_report rep;
    const fuin_pubkey keys[] = {op_pk, op2_pk};

    assert_int_equal(fuin_ledger_verify(ledger, keys, 2, &rep), st);
    assert_int_equal(rep.status, st);
    assert_int_equal(rep.bad_line, line);
    assert_int_equal(rep.bad_seq, seq);
    assert_int_equal(rep.records, line - 1);
    assert_string_equal(rep.reason, reason);
}

typedef struct {
    char *buf;
    size_t len;
} sink_t;

static int sink_write(void *ctx, const uint8_t *b, size_t n)
{
    sink_t *s = ctx;
    char *nb = realloc(s->buf, s->len + n + 1);
    if (nb == NULL)
        return -1;
    memcpy(nb + s->len, b, n);
    s->len += n;
    nb[s->len] = '\0';
    s->buf = nb;
    return 0;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */
static void test_append_verify(void **state)
{
    fuin_record r[3];
    fuin_ledger_report rep;
    lines l;
    char want[65], keyhex[FUIN_KEYID_HEX];
    json_t *o;
    json_error_t je;
    struct stat sb;
    (void)state;

    append3(r);
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 3);
    assert_int_equal(rep.bad_line, 0);
    assert_int_equal(rep.torn, 0);
    assert_string_equal(rep.reason, "3 records verify");
    assert_string_equal(rep.last_hash, r[2].hash);

    read_lines(&l);
    assert_int_equal(l.n, 3);
    /* The chain: line 1 starts from zeros, line n+1 names line n's hash. */
    assert_non_null(strstr(l.line[0], "\"prev_hash\":\"0000000000000000000000000000"
                                      "000000000000000000000000000000000000\""));
    for (int i = 0; i < 2; i++) {
        uint8_t h[32];
        char pat[96];
        crypto_hash_sha256(h, (const uint8_t *)l.line[i], l.llen[i] - 1);
        sodium_bin2hex(want, sizeof want, h, sizeof h);
        assert_string_equal(want, r[i].hash);
        snprintf(pat, sizeof pat, "\"prev_hash\":\"%s\"", want);
        assert_non_null(strstr(l.line[i + 1], pat));
    }
    /* Fields as documented, UTF-8 not escaped. */
    fuin_keyid_hex(op_pk.keyid, keyhex);
    o = json_loadb(l.line[1], l.llen[1], 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "class")), "C3-I2-A2 複製禁止");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "operator"),
                                                          "key_id")), keyhex);
    assert_string_equal(json_string_value(json_object_get(o, "start")),
                        "2026-11-25T20:00:00Z");
    assert_string_equal(json_string_value(json_object_get(o, "result")), "failure");
    assert_string_equal(json_string_value(json_object_get(o, "fuin_version")), fuin_version());
    assert_true(json_is_null(json_object_get(o, "caveat")));
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "record_id")), r[1].record_id);
    json_decref(o);
    assert_non_null(strstr(l.line[1], "\"operator\":{\"key_id\":\""));
    assert_non_null(strstr(l.line[1], "\"name\":\"山田 花子\"}"));
    assert_non_null(strstr(l.line[1], "\"errors\":[\"sector 12: <write> & \\\"retry\\\"\"]"));
    free(l.buf);

    /* verify_buf agrees with the file version. */
    {
        size_t len;
        char *buf = slurp(ledger, &len);
        assert_int_equal(fuin_ledger_verify_buf(buf, len, &op_pk, 1, &rep), FUIN_OK);
        assert_int_equal(rep.records, 3);
        free(buf);
    }
    /* Empty ledger: valid, no records. */
    spit(ledger, "", 0);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 0);
}

static void test_signature_checks_with_minisign_format(void **state)
{
    /* The sig object reassembles into a .minisig that the public verifier
     * accepts over the record without "sig". */
    fuin_record r[3];
    lines l;
    json_t *o, *s;
    json_error_t je;
    char *body, minisig[1024];
    fuin_verifier *v;
    (void)state;

    append3(r);
    read_lines(&l);
    o = json_loadb(l.line[0], l.llen[0] - 1, 0, &je);
    assert_non_null(o);
    s = json_object_get(o, "sig");
    snprintf(minisig, sizeof minisig,
             "untrusted comment: fuin ledger record\n%s\ntrusted comment: %s\n%s\n",
             json_string_value(json_object_get(s, "signature")),
             json_string_value(json_object_get(s, "comment")),
             json_string_value(json_object_get(s, "global")));
    {
        char want[96];
        snprintf(want, sizeof want, "fuin-ledger record:%s seq:1", r[0].record_id);
        assert_string_equal(json_string_value(json_object_get(s, "comment")), want);
    }
    json_object_del(o, "sig");
    body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    v = fuin_verifier_new();
    assert_int_equal(fuin_verifier_load(v, minisig, strlen(minisig)), FUIN_OK);
    assert_int_equal(fuin_verify_update(v, (const uint8_t *)body, strlen(body)), FUIN_OK);
    assert_int_equal(fuin_verify_final(v, &op_pk), FUIN_OK);
    fuin_verifier_free(v);
    free(body);
    json_decref(o);
    free(l.buf);
}

static void test_edit_byte(void **state)
{
    fuin_record r[3];
    lines l;
    char *p;
    (void)state;

    append3(r);
    read_lines(&l);
    p = strstr(l.buf + (l.line[1] - l.buf), "PC-0002");
    assert_non_null(p);
    assert_true(p < l.line[2]);
    p[6] = '7';
    spit(ledger, l.buf, l.len);
    expect_bad(FUIN_E_SIGNATURE, 2, 2,
               "line 2 (seq 2): signature does not verify (record edited)");

    /* A byte edit that breaks the JSON. */
    p[6] = '2';
    p[-1] = 'x'; /* the opening quote of the value */
    spit(ledger, l.buf, l.len);
    expect_bad(FUIN_E_SYNTAX, 2, 0, "line 2: not a JSON object");
    free(l.buf);
}

static void test_whitespace_edit(void **state)
{
    fuin_record r[3];
    lines l;
    FILE *f;
    (void)state;

    append3(r);
    read_lines(&l);
    /* Same JSON, one extra space: the signature alone would not notice. */
    f = fopen(ledger, "wb");
    assert_non_null(f);
    fwrite(l.line[0], 1, l.llen[0], f);
    fwrite(l.line[1], 1, 1, f);
    fputc(' ', f);
    fwrite(l.line[1] + 1, 1, l.llen[1] - 1, f);
    fwrite(l.line[2], 1, l.llen[2], f);
    fclose(f);
    expect_bad(FUIN_E_SYNTAX, 2, 2, "line 2 (seq 2): record is not in canonical form (edited)");
    free(l.buf);
}

static void test_trailing_garbage(void **state)
{
    fuin_record r[3];
    lines l;
    FILE *f;
    sink_t s;
    char err[256];
    (void)state;

    append3(r);
    read_lines(&l);
    f = fopen(ledger, "wb");
    assert_non_null(f);
    fwrite(l.line[0], 1, l.llen[0], f);
    fwrite(l.line[1], 1, l.llen[1] - 1, f);
    fputs("{}\n", f);
    fclose(f);
    expect_bad(FUIN_E_SYNTAX, 2, 0, "line 2: not a JSON object");
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "ledger line 2: not a record");
    free(s.buf);
    free(l.buf);
}

static void test_delete(void **state)
{
    fuin_record r[3];
    lines l;
    const int order[] = {0, 2, -1};
    (void)state;

    append3(r);
    read_lines(&l);
    write_order(&l, order);
    expect_bad(FUIN_E_SIGNATURE, 2, 3,
               "line 2 (seq 3): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    free(l.buf);
}

static void test_delete_last_is_undetectable_without_count(void **state)
{
    /* Dropping the last record leaves a valid shorter chain; the report's
     * count and last hash are what an auditor compares with the paper. */
    fuin_record r[3];
    lines l;
    fuin_ledger_report rep;
    const int order[] = {0, 1, -1};
    (void)state;

    append3(r);
    read_lines(&l);
    write_order(&l, order);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 2);
    assert_string_equal(rep.last_hash, r[1].hash);
    free(l.buf);
}

static void test_swap(void **state)
{
    fuin_record r[3];
    lines l;
    const int order[] = {0, 2, 1, -1};
    (void)state;

    append3(r);
    read_lines(&l);
    write_order(&l, order);
    expect_bad(FUIN_E_SIGNATURE, 2, 3,
               "line 2 (seq 3): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    free(l.buf);
}

static void test_insert_copy(void **state)
{
    fuin_record r[3];
    lines l;
    const int order[] = {0, 1, 1, 2, -1};
    const int first[] = {0, 0, 1, 2, -1};
    (void)state;

    append3(r);
    read_lines(&l);
    write_order(&l, order);
    expect_bad(FUIN_E_SIGNATURE, 3, 2,
               "line 3 (seq 2): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    write_order(&l, first);
    expect_bad(FUIN_E_SIGNATURE, 2, 1,
               "line 2 (seq 1): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    free(l.buf);
}

static void test_empty_line(void **state)
{
    /* An empty line is not a record (and not skipped). */
    fuin_record r[3];
    lines l;
    FILE *f;
    (void)state;

    append3(r);
    read_lines(&l);
    f = fopen(ledger, "wb");
    fwrite(l.line[0], 1, l.llen[0], f);
    fputc('\n', f);
    fwrite(l.line[1], 1, l.llen[1], f);
    fclose(f);
    expect_bad(FUIN_E_SYNTAX, 2, 0, "line 2: not a JSON object");
    free(l.buf);
}

static void test_torn(void **state)
{
    fuin_record r[3], r4;
    lines l;
    fuin_ledger_report rep;
    char err[256], want[256];
    size_t cut, len2;
    uint64_t dropped = 99;
    char *after;
    (void)state;

    append3(r);
    read_lines(&l);
    cut = l.llen[0] + l.llen[1];
    assert_int_equal(truncate(ledger, (off_t)(cut + l.llen[2] / 2)), 0);

    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SYNTAX);
    assert_int_equal(rep.torn, 1);
    assert_int_equal(rep.torn_offset, cut);
    assert_int_equal(rep.records, 2);
    assert_int_equal(rep.bad_line, 3);
    assert_string_equal(rep.last_hash, r[1].hash);
    snprintf(want, sizeof want,
             "line 3: torn last line at byte %zu (no line end); the 2 records before it verify",
             cut);
    assert_string_equal(rep.reason, want);
    {
        size_t blen;
        char *buf = slurp(ledger, &blen);
        assert_int_equal(fuin_ledger_verify_buf(buf, blen, &op_pk, 1, &rep), FUIN_E_SYNTAX);
        assert_int_equal(rep.torn, 1);
        assert_int_equal(rep.torn_offset, cut);
        assert_int_equal(rep.records, 2);
        free(buf);
    }

    /* Export skips the torn line and shows the two complete records. */
    {
        sink_t s = {NULL, 0};
        json_t *a;
        json_error_t je;
        assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s,
                                            err, sizeof err), FUIN_OK);
        a = json_loadb(s.buf, s.len, 0, &je);
        assert_non_null(a);
        assert_int_equal(json_array_size(a), 2);
        json_decref(a);
        free(s.buf);
    }

    /* Appending after a torn line is refused; the file is left alone. */
    r4 = make_record(4);
    assert_int_equal(fuin_ledger_append(ledger, &r4, op_sk, err, sizeof err), FUIN_E_SYNTAX);
    snprintf(want, sizeof want,
             "ledger: torn last line at byte %zu: run fuin ledger verify", cut);
    assert_string_equal(err, want);
    after = slurp(ledger, &len2);
    assert_int_equal(len2, cut + l.llen[2] / 2);
    assert_memory_equal(after, l.buf, len2);
    free(after);

    /* Repair drops just the torn tail; appends chain on again. */
    assert_int_equal(fuin_ledger_repair(ledger, &op_pk, 1, &dropped, err, sizeof err), FUIN_OK);
    assert_int_equal(dropped, l.llen[2] / 2);
    assert_int_equal(fuin_ledger_append(ledger, &r4, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(r4.seq, 3);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 3);
    assert_int_equal(fuin_ledger_repair(ledger, &op_pk, 1, &dropped, err, sizeof err), FUIN_OK);
    assert_int_equal(dropped, 0);
    free(l.buf);
}

static void test_repair_refuses_tampered(void **state)
{
    fuin_record r[3];
    lines l;
    const int order[] = {0, 2, -1};
    char err[512];
    FILE *f;
    size_t len;
    char *after;
    (void)state;

    append3(r);
    read_lines(&l);
    write_order(&l, order);
    f = fopen(ledger, "ab");
    fputs("{\"torn", f);
    fclose(f);
    assert_int_equal(fuin_ledger_repair(ledger, &op_pk, 1, NULL, err, sizeof err),
                     FUIN_E_SIGNATURE);
    assert_non_null(strstr(err, "line 2 (seq 3): prev_hash does not match"));
    after = slurp(ledger, &len);
    assert_int_equal(len, l.llen[0] + l.llen[2] + 6);
    free(after);
    free(l.buf);
}

/* The string a JSON key holds in a ledger line (malloc()ed). */
static char *line_str(const char *line, size_t len, const char *key)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    char *v;

    assert_non_null(o);
    assert_true(json_is_string(json_object_get(o, key)));
    v = strdup(json_string_value(json_object_get(o, key)));
    json_decref(o);
    return v;
}

static void expect_times(size_t idx, const char *start, const char *end)
{
    lines l;
    char *s, *e;

    read_lines(&l);
    assert_true(idx < l.n);
    s = line_str(l.line[idx], l.llen[idx] - 1, "start");
    e = line_str(l.line[idx], l.llen[idx] - 1, "end");
    assert_string_equal(s, start);
    assert_string_equal(e, end);
    free(s);
    free(e);
    free(l.buf);
}

static void append_in(const char *tz, int n)
{
    fuin_record r = make_record(n);
    char err[256];

    use_tz(tz);
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_OK);
    use_tz("UTC0");
}

static void test_time_zone(void **state)
{
    /* make_record(1) starts at 2026-11-25T19:00:00Z and lasts 10 minutes. */
    fuin_ledger_report rep;
    sink_t s = {NULL, 0};
    char err[256];
    (void)state;

    append_in("UTC0", 1); /* the only form before offsets: must still verify */
    expect_times(0, "2026-11-25T19:00:00Z", "2026-11-25T19:10:00Z");
    append_in("JST-9", 1);
    expect_times(1, "2026-11-26T04:00:00+09:00", "2026-11-26T04:10:00+09:00");
    append_in("EST5", 1);
    expect_times(2, "2026-11-25T14:00:00-05:00", "2026-11-25T14:10:00-05:00");
    append_in("IST-5:30", 1);
    expect_times(3, "2026-11-26T00:30:00+05:30", "2026-11-26T00:40:00+05:30");
    /* Offsets RFC 3339 cannot write are not rounded into a false one. */
    append_in("LMT-9:18:59", 1);
    expect_times(4, "2026-11-25T19:00:00Z", "2026-11-25T19:10:00Z");
    /* A time zone whose offset changes between start and end (DST): each
     * time carries the offset in force at that instant.  EU rule: summer
     * time ends 2026-10-25 01:00 UTC. */
    {
        fuin_record r = make_record(1);
        r.start = 1792889400LL; /* 2026-10-25T00:50:00Z, still CEST */
        r.end = 1792890600LL;   /* 2026-10-25T01:10:00Z, CET again */
        use_tz("CET-1CEST,M3.5.0,M10.5.0/3");
        assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_OK);
        use_tz("UTC0");
        expect_times(5, "2026-10-25T02:50:00+02:00", "2026-10-25T02:10:00+01:00");
    }
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 6);

    /* HTML: the operator's local time and offset; CSV: the record's text. */
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_HTML, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, "<tr><th>開始</th><td>2026年11月25日 19:00:00 (UTC)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>開始</th><td>2026年11月26日 04:00:00 (+09:00)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>終了</th><td>2026年11月26日 04:10:00 (+09:00)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>開始</th><td>2026年11月25日 14:00:00 (-05:00)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>開始</th><td>2026年10月25日 02:50:00 (+02:00)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>終了</th><td>2026年10月25日 02:10:00 (+01:00)</td></tr>\n"));
    free(s.buf);
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, ",2,2026-11-26T04:00:00+09:00,2026-11-26T04:10:00+09:00,"));
    assert_non_null(strstr(s.buf, ",3,2026-11-25T14:00:00-05:00,2026-11-25T14:10:00-05:00,"));
    free(s.buf);
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, "\"start\":\"2026-11-26T00:30:00+05:30\""));
    free(s.buf);
}

/* Replace the first `from` in line 1 by `to` (same length or not) and
 * return what verify says. */
static fuin_status verify_with(const char *from, const char *to, fuin_ledger_report *rep)
{
    size_t len;
    char *buf = slurp(ledger, &len), *p = strstr(buf, from), *nb;
    size_t fl = strlen(from), tl = strlen(to);
    fuin_status st;

    assert_non_null(p);
    nb = malloc(len - fl + tl);
    assert_non_null(nb);
    memcpy(nb, buf, (size_t)(p - buf));
    memcpy(nb + (p - buf), to, tl);
    memcpy(nb + (p - buf) + tl, p + fl, len - (size_t)(p - buf) - fl);
    st = fuin_ledger_verify_buf(nb, len - fl + tl, &op_pk, 1, rep);
    free(nb);
    free(buf);
    return st;
}

static void test_time_strict(void **state)
{
    static const char *const bad[] = {
        "+24:00", "+09:60", "+0900", "+00:00", "-00:00", "+9:00", "+09:0", "+09:00Z",
        "+09:00:00", "+99:99", "+09;00", "*09:00", "+0a:00", "+09:00 ", "z", "",
    };
    fuin_ledger_report rep;
    char from[40], to[40];
    (void)state;

    append_in("JST-9", 1);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(to, sizeof to, "\"start\":\"2026-11-26T04:00:00%s\"", bad[i]);
        assert_int_equal(verify_with("\"start\":\"2026-11-26T04:00:00+09:00\"", to, &rep),
                         FUIN_E_SYNTAX);
        assert_string_equal(rep.reason, "line 1 (seq 1): bad start or end time");
    }
    /* A date that does not exist, with an offset; an offset on a bad time. */
    assert_int_equal(verify_with("2026-11-26T04:00:00+09:00", "2026-02-29T04:00:00+09:00",
                                 &rep), FUIN_E_SYNTAX);
    assert_string_equal(rep.reason, "line 1 (seq 1): bad start or end time");
    assert_int_equal(verify_with("2026-11-26T04:10:00+09:00", "2026-11-26T24:10:00+09:00",
                                 &rep), FUIN_E_SYNTAX);
    assert_string_equal(rep.reason, "line 1 (seq 1): bad start or end time");
    /* Well-formed offsets at the limits pass the time check; the edit is
     * then caught by the signature. */
    static const char *const edge[] = {"+23:59", "-23:59", "-00:01", "+00:01", "Z"};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        snprintf(to, sizeof to, "2026-11-26T04:00:00%s", edge[i]);
        assert_int_equal(verify_with("2026-11-26T04:00:00+09:00", to, &rep),
                         FUIN_E_SIGNATURE);
        assert_string_equal(rep.reason,
                            "line 1 (seq 1): signature does not verify (record edited)");
    }
    /* Same instant, other spelling: still an edit. */
    snprintf(from, sizeof from, "2026-11-26T04:00:00+09:00");
    assert_int_equal(verify_with(from, "2026-11-25T19:00:00Z", &rep), FUIN_E_SIGNATURE);
}

static void test_csv_formula_injection(void **state)
{
    fuin_record r = make_record(1);
    static const char *const errs[] = {"\tcmd", "ok=fine"};
    sink_t s = {NULL, 0};
    char err[256];
    (void)state;

    r.asset_id = "=HYPERLINK(\"http://evil.example/\",\"x\")";
    r.witness = "@SUM(1)";
    r.approver = "+81 3 0000";
    r.target_path = "-rf";
    r.target_model = "a=b";
    r.caveat = "\rnote";
    r.errors = errs;
    r.nerrors = 2;
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, ",\"'@SUM(1)\",\"'+81 3 0000\","
                                  "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\","));
    assert_non_null(strstr(s.buf, ",device,\"'-rf\",a=b,SN<&>42,16008609792,USB,"));
    assert_non_null(strstr(s.buf, ",\"'\tcmd; ok=fine\",success,"));
    assert_non_null(strstr(s.buf, ",\"'\rnote\","));
    /* The ledger itself keeps the text as given; JSON export too. */
    free(s.buf);
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, "\"witness\":\"@SUM(1)\""));
    assert_null(strstr(s.buf, "'@SUM"));
    free(s.buf);
}

static int exists(const char *p)
{
    struct stat sb;
    return lstat(p, &sb) == 0;
}

static void test_repair_keep(void **state)
{
    fuin_record r[3], r4;
    lines l;
    fuin_ledger_report rep;
    char err[512], saved[256], want[512], torn_name[256];
    uint64_t dropped = 99;
    size_t cut, torn_len, len;
    char *buf;
    struct stat sb;
    (void)state;

    append3(r);
    read_lines(&l);
    cut = l.llen[0] + l.llen[1];
    torn_len = l.llen[2] / 2;
    assert_int_equal(truncate(ledger, (off_t)(cut + torn_len)), 0);
    snprintf(torn_name, sizeof torn_name, "%s.torn-%zu", ledger, cut);

    /* Dry run: says what it would do, changes nothing. */
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, FUIN_LEDGER_REPAIR_DRY_RUN,
                                             &rep, &dropped, saved, sizeof saved, err,
                                             sizeof err), FUIN_OK);
    assert_int_equal(dropped, torn_len);
    assert_string_equal(saved, torn_name);
    assert_int_equal(rep.torn, 1);
    assert_int_equal(rep.torn_offset, cut);
    assert_int_equal(rep.records, 2);
    assert_false(exists(torn_name));
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(sb.st_size, cut + torn_len);

    /* A name buffer too small, an unknown flag: refused, nothing done. */
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 0, &rep, NULL, saved, 8,
                                             err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 2, &rep, NULL, NULL, 0,
                                             err, sizeof err), FUIN_E_INVALID);
    assert_false(exists(torn_name));
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(sb.st_size, cut + torn_len);

    /* An existing .torn file (even a dangling symlink) is never replaced. */
    assert_int_equal(symlink("/nonexistent/fuin-target", torn_name), 0);
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, FUIN_LEDGER_REPAIR_DRY_RUN,
                                             &rep, NULL, NULL, 0, err, sizeof err),
                     FUIN_E_EXISTS);
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 0, &rep, NULL, NULL, 0, err,
                                             sizeof err), FUIN_E_EXISTS);
    snprintf(want, sizeof want, "%s: exists; move it away first (ledger not repaired)",
             torn_name);
    assert_string_equal(err, want);
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(sb.st_size, cut + torn_len);
    assert_int_equal(unlink(torn_name), 0);

    /* The repair: the torn bytes kept exactly, 0600, the ledger cut. */
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 0, &rep, &dropped, saved,
                                             sizeof saved, err, sizeof err), FUIN_OK);
    assert_int_equal(dropped, torn_len);
    assert_string_equal(saved, torn_name);
    assert_int_equal(rep.torn, 1);
    assert_int_equal(lstat(torn_name, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    buf = slurp(torn_name, &len);
    assert_int_equal(len, torn_len);
    assert_memory_equal(buf, l.line[2], torn_len);
    free(buf);
    buf = slurp(ledger, &len);
    assert_int_equal(len, cut);
    assert_memory_equal(buf, l.buf, cut);
    free(buf);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 2);

    /* Nothing left to repair: OK, no file, nothing cut. */
    assert_int_equal(unlink(torn_name), 0);
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 0, &rep, &dropped, saved,
                                             sizeof saved, err, sizeof err), FUIN_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(rep.torn, 0);
    assert_string_equal(saved, "");
    assert_false(exists(torn_name));
    r4 = make_record(4);
    assert_int_equal(fuin_ledger_append(ledger, &r4, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(r4.seq, 3);

    /* Tampered before a torn line: refused, untouched, no copy. */
    {
        lines l2;
        const int order[] = {0, 2, -1};
        FILE *f;
        read_lines(&l2);
        write_order(&l2, order);
        f = fopen(ledger, "ab");
        assert_non_null(f);
        fputs("{\"torn", f);
        assert_int_equal(fclose(f), 0);
        free(l2.buf);
    }
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(fuin_ledger_repair_keep(ledger, &op_pk, 1, 0, &rep, &dropped, NULL, 0,
                                             err, sizeof err), FUIN_E_SIGNATURE);
    assert_non_null(strstr(err, "line 2 (seq 3): prev_hash does not match"));
    assert_int_equal(rep.bad_line, 2);
    assert_int_equal(dropped, 0);
    {
        struct stat sb2;
        assert_int_equal(stat(ledger, &sb2), 0);
        assert_int_equal(sb2.st_size, sb.st_size);
    }
    snprintf(want, sizeof want, "%s.torn-%zu", ledger, l.llen[0] + l.llen[1]);
    assert_false(exists(want));
    free(l.buf);
}

/* An approved request is recorded as "request" and found again, only in
 * successful records; records without one keep their old form. */
static void test_find_request(void **state)
{
    static const char H1[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static const char H2[] =
        "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    fuin_record r0 = make_record(0), r1 = make_record(1), r2 = make_record(2);
    fuin_ledger_report rep;
    char err[512], id[17];
    uint64_t seq = 0;
    size_t len;
    char *buf;
    (void)state;

    assert_int_equal(fuin_ledger_find_request(ledger, H1, id, &seq), FUIN_E_NO_MATCH);
    r2.request = H1; /* a failure carrying H1: not "carried out" */
    assert_int_equal(fuin_ledger_append(ledger, &r2, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_append(ledger, &r0, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_find_request(ledger, H1, id, &seq), FUIN_E_NO_MATCH);
    r1.request = H1;
    assert_int_equal(fuin_ledger_append(ledger, &r1, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_find_request(ledger, H1, id, &seq), FUIN_OK);
    assert_string_equal(id, r1.record_id);
    assert_int_equal(seq, 3);
    assert_int_equal(fuin_ledger_find_request(ledger, H1, NULL, NULL), FUIN_OK);
    assert_int_equal(fuin_ledger_find_request(ledger, H2, id, &seq), FUIN_E_NO_MATCH);
    assert_int_equal(fuin_ledger_find_request(ledger, "0123", id, &seq), FUIN_E_INVALID);
    assert_int_equal(fuin_ledger_find_request(ledger, NULL, id, &seq), FUIN_E_INVALID);
    assert_int_equal(fuin_ledger_find_request("/nonexistent/ledger", H1, id, &seq),
                     FUIN_E_NO_MATCH);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_OK);
    assert_int_equal(rep.records, 3);
    buf = slurp(ledger, &len);
    /* Only the records that carried a request have the key. */
    {
        const char *l2 = strchr(buf, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
        assert_non_null(strstr(buf, "\"request\":\"0123456789abcdef"));
        assert_true(memmem(l2, (size_t)(l3 - l2), "\"request\"", 9) == NULL);
        assert_non_null(strstr(l3, "\"request\":\"0123456789abcdef"));
    }
    free(buf);
    /* A torn last line is not read past. */
    {
        FILE *f = fopen(ledger, "ab");
        assert_non_null(f);
        fputs("{\"record_id\":\"00", f);
        fclose(f);
        assert_int_equal(fuin_ledger_find_request(ledger, H2, id, &seq), FUIN_E_SYNTAX);
    }
}

static void test_wrong_key(void **state)
{
    fuin_record r[3];
    fuin_ledger_report rep;
    char want[128], hex[FUIN_KEYID_HEX];
    fuin_pubkey impostor;
    (void)state;

    append3(r);
    fuin_keyid_hex(op_pk.keyid, hex);
    assert_int_equal(fuin_ledger_verify(ledger, &stranger_pk, 1, &rep), FUIN_E_UNTRUSTED);
    assert_int_equal(rep.bad_line, 1);
    assert_int_equal(rep.bad_seq, 1);
    assert_int_equal(rep.records, 0);
    snprintf(want, sizeof want, "line 1 (seq 1): signed by unknown key id %s", hex);
    assert_string_equal(rep.reason, want);
    assert_int_equal(fuin_ledger_verify(ledger, NULL, 0, &rep), FUIN_E_UNTRUSTED);
    assert_string_equal(rep.reason, want);

    /* Another key under the operator's key id does not verify either. */
    impostor = stranger_pk;
    memcpy(impostor.keyid, op_pk.keyid, FUIN_KEYID_BYTES);
    assert_int_equal(fuin_ledger_verify(ledger, &impostor, 1, &rep), FUIN_E_SIGNATURE);
    assert_string_equal(rep.reason,
                        "line 1 (seq 1): signature does not verify (record edited)");
}

static void test_missing_file(void **state)
{
    fuin_ledger_report rep;
    char err[256], want[256], path[160];
    (void)state;

    snprintf(path, sizeof path, "%s/none.jsonl", dir);
    assert_int_equal(fuin_ledger_verify(path, &op_pk, 1, &rep), FUIN_E_IO);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(rep.reason, want);
    assert_int_equal(fuin_ledger_export(path, FUIN_LEDGER_CSV, NULL, sink_write, NULL, err,
                                        sizeof err), FUIN_E_IO);
    assert_string_equal(err, want);
    assert_int_equal(fuin_ledger_repair(path, &op_pk, 1, NULL, err, sizeof err), FUIN_E_IO);
    assert_string_equal(err, want);
    assert_int_equal(fuin_ledger_verify(NULL, &op_pk, 1, &rep), FUIN_E_INVALID);
    assert_int_equal(fuin_ledger_verify(path, NULL, 1, &rep), FUIN_E_INVALID);
}

static void test_mixed_operators(void **state)
{
    fuin_record r1 = make_record(1), r2 = make_record(2);
    fuin_ledger_report rep;
    char err[256], want[128], hex[FUIN_KEYID_HEX];
    const fuin_pubkey both[] = {op2_pk, op_pk};
    (void)state;

    assert_int_equal(fuin_ledger_append(ledger, &r1, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_append(ledger, &r2, op2_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_verify(ledger, both, 2, &rep), FUIN_OK);
    assert_int_equal(rep.records, 2);
    fuin_keyid_hex(op2_pk.keyid, hex);
    snprintf(want, sizeof want, "line 2 (seq 2): signed by unknown key id %s", hex);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_UNTRUSTED);
    assert_string_equal(rep.reason, want);
}

static void test_invalid_append(void **state)
{
    fuin_record r = make_record(1);
    char err[256];
    struct stat sb;
    char target[160];
    (void)state;

    r.category = "Purged";
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err,
                        "record: operator, target kind, method, category and result are required");
    r = make_record(1);
    r.asset_id = "\xff\xfe";
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "record: a text field is not valid UTF-8");
    r = make_record(1);
    r.witness = "佐藤\xe2\x80\xae一郎"; /* U+202E right-to-left override */
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "record: names and identifiers must not contain control or "
                             "invisible characters");
    r = make_record(1);
    r.asset_id = "PC-1\n2";
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_INVALID);
    r = make_record(1);
    {
        fuin_label bad = c3;
        bad.confidentiality = 7;
        r.label = &bad;
        assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err),
                         FUIN_E_INVALID);
        assert_string_equal(err, "record: invalid class label");
    }
    r = make_record(1);
    r.end = r.start - 1;
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "record: end before start, or a count out of range");
    /* Nothing was written by the refused appends (the file may exist). */
    assert_true(stat(ledger, &sb) != 0 || sb.st_size == 0);

    /* A symlink in place of the ledger is refused, its target untouched. */
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    spit(target, "x\n", 2);
    unlink(ledger);
    assert_int_equal(symlink(target, ledger), 0);
    r = make_record(1);
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_E_IO);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(stat(target, &sb), 0);
    assert_int_equal(sb.st_size, 2);
}

static void test_concurrent(void **state)
{
    pid_t pid[2];
    fuin_ledger_report rep;
    const fuin_pubkey keys[] = {op_pk, op2_pk};
    lines l;
    int n_op1 = 0, n_op2 = 0;
    char hex1[FUIN_KEYID_HEX], hex2[FUIN_KEYID_HEX], pat1[40], pat2[40];
    (void)state;

    for (int c = 0; c < 2; c++) {
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            for (int i = 0; i < 20; i++) {
                fuin_record r = make_record(c + 1);
                char err[256];
                if (fuin_ledger_append(ledger, &r, c ? op2_sk : op_sk, err,
                                       sizeof err) != FUIN_OK) {
                    fprintf(stderr, "child %d: %s\n", c, err);
                    _exit(1);
                }
            }
            _exit(0);
        }
    }
    for (int c = 0; c < 2; c++) {
        int ws;
        assert_int_equal(waitpid(pid[c], &ws, 0), pid[c]);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 0);
    }
    assert_int_equal(fuin_ledger_verify(ledger, keys, 2, &rep), FUIN_OK);
    assert_int_equal(rep.records, 40);
    read_lines(&l);
    assert_int_equal(l.n, 40);
    fuin_keyid_hex(op_pk.keyid, hex1);
    fuin_keyid_hex(op2_pk.keyid, hex2);
    snprintf(pat1, sizeof pat1, "\"key_id\":\"%s\"", hex1);
    snprintf(pat2, sizeof pat2, "\"key_id\":\"%s\"", hex2);
    for (size_t i = 0; i < l.n; i++) {
        char *line = strndup(l.line[i], l.llen[i]);
        n_op1 += strstr(line, pat1) != NULL;
        n_op2 += strstr(line, pat2) != NULL;
        free(line);
    }
    assert_int_equal(n_op1, 20);
    assert_int_equal(n_op2, 20);
    free(l.buf);
}

static int failing_write(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx, (void)b, (void)n;
    return -1;
}

static const char CSV_HEADER[] =
    "record_id,seq,start,end,operator,operator_key_id,witness,approver,asset_id,"
    "class,target_kind,target_path,target_model,target_serial,target_size,"
    "target_transport,method,category,passes,pattern,verify_mode,verify_bytes,"
    "errors,result,fuin_version,caveat,request,sha256,op,user,detail,target_sha256,"
    "signed\r\n";

static void test_export_csv(void **state)
{
    fuin_record r[3];
    sink_t s = {NULL, 0};
    char err[256], want[1024], hex[FUIN_KEYID_HEX];
    const char *p;
    int rows = 0;
    (void)state;

    append3(r);
    fuin_keyid_hex(op_pk.keyid, hex);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, NULL, sink_write, &s,
                                        err, sizeof err), FUIN_OK);
    assert_memory_equal(s.buf, CSV_HEADER, strlen(CSV_HEADER));
    for (p = s.buf; (p = strstr(p, "\r\n")) != NULL; p += 2)
        rows++;
    assert_int_equal(rows, 4);
    snprintf(want, sizeof want,
             "%s,2,2026-11-25T20:00:00Z,2026-11-25T20:10:00Z,山田 花子,%s,佐藤 一郎,"
             "鈴木 次郎,PC-0002,C3-I2-A2 複製禁止,device,/dev/sdb,"
             "\"Model \"\"X\"\", rev<2>\",SN<&>42,16008609792,USB,zero-1pass,Clear,1,"
             "zeros,full,16008609792,\"sector 12: <write> & \"\"retry\"\"\",failure,%s,,,%s,"
             ",,,,yes\r\n",
             r[1].record_id, hex, fuin_version(), r[1].hash);
    assert_non_null(strstr(s.buf, want));
    free(s.buf);

    /* One record by id. */
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, r[2].record_id, sink_write,
                                        &s, err, sizeof err), FUIN_OK);
    assert_int_equal(strncmp(s.buf, CSV_HEADER, strlen(CSV_HEADER)), 0);
    assert_int_equal(strncmp(s.buf + strlen(CSV_HEADER), r[2].record_id, 16), 0);
    assert_null(strstr(s.buf, r[1].record_id));
    assert_null(strstr(s.buf, r[0].record_id));
    free(s.buf);

    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, "0123456789abcdef",
                                        sink_write, &s, err, sizeof err), FUIN_E_NO_MATCH);
    assert_string_equal(err, "no record with id 0123456789abcdef");
    free(s.buf);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, NULL, failing_write, NULL,
                                        err, sizeof err), FUIN_E_IO);
    assert_string_equal(err, "export: write failed");
}

static void test_export_json(void **state)
{
    fuin_record r[3];
    sink_t s = {NULL, 0};
    char err[256];
    lines l;
    json_t *a;
    json_error_t je;
    (void)state;

    append3(r);
    read_lines(&l);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_int_equal(strncmp(s.buf, "[\n", 2), 0);
    assert_memory_equal(s.buf + 2, l.line[0], l.llen[0] - 1);
    assert_string_equal(s.buf + s.len - 3, "\n]\n");
    a = json_loadb(s.buf, s.len, 0, &je);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "record_id")),
                        r[2].record_id);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "asset_id")),
                        "PC-0001");
    json_decref(a);
    free(s.buf);

    s.buf = NULL, s.len = 0;
    spit(ledger, "", 0);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_OK);
    assert_string_equal(s.buf, "[]\n");
    free(s.buf);
    free(l.buf);

    /* A line that is not a record stops the export. */
    spit(ledger, "{}\n", 3);
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_JSON, NULL, sink_write, &s, err,
                                        sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "ledger line 1: not a record");
    free(s.buf);
}

static void test_export_html(void **state)
{
    fuin_record r[3], d;
    sink_t s = {NULL, 0};
    char err[256], want[512], hex[FUIN_KEYID_HEX];
    (void)state;

    append3(r);
    fuin_keyid_hex(op_pk.keyid, hex);
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_HTML, r[1].record_id, sink_write,
                                        &s, err, sizeof err), FUIN_OK);
    assert_int_equal(strncmp(s.buf, "<!DOCTYPE html>\n<html lang=\"ja\">\n", 33), 0);
    assert_non_null(strstr(s.buf, "<h1>消去証明書</h1>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>資産番号</th><td>PC-0002</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>格付</th><td>C3-I2-A2 複製禁止</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>種別</th><td>記憶装置 (device)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>型番</th><td>Model &quot;X&quot;, rev&lt;2&gt;</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>製造番号</th><td>SN&lt;&amp;&gt;42</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>容量（バイト）</th><td>16008609792</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>開始</th><td>2026年11月25日 20:00:00 (UTC)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>終了</th><td>2026年11月25日 20:10:00 (UTC)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>作業者</th><td>山田 花子</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>立会者</th><td>佐藤 一郎</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>承認者</th><td>鈴木 次郎</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>方式</th><td>zero-1pass</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>区分（NIST SP 800-88）</th><td>クリア（上書き等による消去） (Clear)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>パス数</th><td>1</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>検証方式</th><td>full</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>検証バイト数</th><td>16008609792</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>結果</th><td>失敗 (failure)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>エラー</th><td>sector 12: &lt;write&gt; &amp; "
                                  "&quot;retry&quot;</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>注意事項</th><td>—</td></tr>\n"));
    snprintf(want, sizeof want, "<tr><th>記録のSHA-256</th><td class=\"hash\">%s</td></tr>\n",
             r[1].hash);
    assert_non_null(strstr(s.buf, want));
    snprintf(want, sizeof want,
             "<tr><th>署名鍵ID（作業者）</th><td class=\"hash\">%s</td></tr>\n", hex);
    assert_non_null(strstr(s.buf, want));
    assert_null(strstr(s.buf, "SN<&>"));
    assert_null(strstr(s.buf, r[0].record_id));
    assert_string_equal(s.buf + s.len - 16, "</body>\n</html>\n");
    free(s.buf);

    /* Physical destruction is a 廃棄記録. */
    d = make_record(4);
    d.target_kind = "physical";
    d.category = "Destroy";
    d.method = "shredder";
    d.passes = 0;
    d.pattern = NULL;
    d.verify_mode = NULL;
    d.verify_bytes = 0;
    d.target_size = -1;
    d.caveat = "<破砕片は業者が回収>";
    assert_int_equal(fuin_ledger_append(ledger, &d, op_sk, err, sizeof err), FUIN_OK);
    s.buf = NULL, s.len = 0;
    assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_HTML, d.record_id, sink_write,
                                        &s, err, sizeof err), FUIN_OK);
    assert_non_null(strstr(s.buf, "<h1>廃棄記録</h1>\n"));
    assert_null(strstr(s.buf, "<h1>消去証明書</h1>"));
    assert_non_null(strstr(s.buf, "<tr><th>容量（バイト）</th><td>—</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>区分（NIST SP 800-88）</th><td>破壊 (Destroy)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>結果</th><td>成功 (success)</td></tr>\n"));
    assert_non_null(strstr(s.buf, "<tr><th>注意事項</th><td>&lt;破砕片は業者が回収&gt;</td></tr>\n"));
    free(s.buf);
}

/* ------------------------------------------------------------------ */
/* operation records and the audit handle (issue 13)                   */
/* ------------------------------------------------------------------ */
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* An operation record as a command writes it. */
static fuin_record make_op(int n, const char *op)
{
    static char path[8][64];
    fuin_record r;

    memset(&r, 0, sizeof r);
    snprintf(path[n & 7], sizeof path[0], "/home/hanako/report-%d.pdf", n);
    r.start = T_START + n * 60;
    r.end = r.start + 1;
    r.operator_name = "山田 花子";
    r.op = op;
    r.user = "hanako";
    r.target_kind = "file";
    r.target_path = path[n & 7];
    r.target_size = 3;
    r.target_sha256 = SHA_ABC;
    r.method = op;
    r.category = "none";
    r.result = "success";
    r.operator_keyid = op_pk.keyid;
    return r;
}

static void append_op(fuin_record *r, const fuin_seckey *key)
{
    char err[256] = "";
    fuin_status st = fuin_ledger_append(ledger, r, key, err, sizeof err);
    if (st != FUIN_OK)
        fail_msg("append: %s (%d)", err, (int)st);
}

static fuin_ledger_report verify_ok(uint64_t records, uint64_t signed_records,
                                    uint64_t tail)
{
    fuin_ledger_report rep;
    const fuin_pubkey keys[] = {op_pk, op2_pk};

    assert_int_equal(fuin_ledger_verify(ledger, keys, 2, &rep), FUIN_OK);
    assert_int_equal(rep.records, records);
    assert_int_equal(rep.signed_records, signed_records);
    assert_int_equal(rep.unsigned_tail, tail);
    return rep;
}

static void test_op_unsigned_tail(void **state)
{
    fuin_record r[5];
    char keyhex[FUIN_KEYID_HEX], pat[128];
    fuin_ledger_report rep;
    lines l;
    json_t *o;
    json_error_t je;
    (void)state;

    r[0] = make_op(1, "encrypt");
    append_op(&r[0], NULL);
    rep = verify_ok(1, 0, 1);
    assert_string_equal(rep.last_hash, r[0].hash);
    r[1] = make_op(2, "decrypt");
    r[1].operator_keyid = NULL; /* no key known at all: "key_id": null */
    append_op(&r[1], NULL);
    verify_ok(2, 0, 2);
    r[2] = make_op(3, "checkpoint"); /* a signed record vouches for the tail */
    r[2].target_kind = "none";
    r[2].target_path = NULL;
    r[2].target_sha256 = NULL;
    r[2].target_size = -1;
    append_op(&r[2], op_sk);
    verify_ok(3, 1, 0);
    r[3] = make_op(4, "sign");
    append_op(&r[3], NULL);
    verify_ok(4, 1, 1);
    r[4] = make_record(1); /* a disposal record, signed, resets it too */
    append_op(&r[4], op2_sk);
    verify_ok(5, 2, 0);
    /* An unknown key only matters for signed records. */
    assert_int_equal(fuin_ledger_verify(ledger, &op2_pk, 1, &rep), FUIN_E_UNTRUSTED);
    assert_int_equal(rep.bad_line, 3);

    read_lines(&l);
    assert_int_equal(l.n, 5);
    fuin_keyid_hex(op_pk.keyid, keyhex);
    o = json_loadb(l.line[0], l.llen[0] - 1, 0, &je);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "sig")));
    assert_string_equal(json_string_value(json_object_get(o, "op")), "encrypt");
    assert_string_equal(json_string_value(json_object_get(o, "user")), "hanako");
    assert_true(json_is_null(json_object_get(o, "detail")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "target"),
                                                          "sha256")), SHA_ABC);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "target"),
                                                        "size")), 3);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "operator"),
                                                          "key_id")), keyhex);
    json_decref(o);
    assert_non_null(strstr(l.line[1], "\"key_id\":null"));
    snprintf(pat, sizeof pat, "\"key_id\":\"%s\"", keyhex);
    assert_non_null(memmem(l.line[2], l.llen[2], pat, strlen(pat)));
    assert_null(memmem(l.line[2], l.llen[2], "\"sig\":null", 10));
    assert_non_null(memmem(l.line[3], l.llen[3], "\"sig\":null", 10));
    /* a disposal record keeps its old form: no op keys */
    assert_null(memmem(l.line[4], l.llen[4], "\"op\"", 4));
    assert_null(memmem(l.line[4], l.llen[4], "\"user\"", 6));
    assert_null(memmem(l.line[4], l.llen[4], "\"sha256\"", 8));
    free(l.buf);
    /* CSV: the operation columns, and whether a record is signed */
    {
        sink_t s = {NULL, 0};
        char err[256];
        assert_int_equal(fuin_ledger_export(ledger, FUIN_LEDGER_CSV, NULL, sink_write, &s,
                                            err, sizeof err), FUIN_OK);
        snprintf(pat, sizeof pat, ",encrypt,hanako,,%s,no\r\n", SHA_ABC);
        assert_non_null(strstr(s.buf, pat));
        assert_non_null(strstr(s.buf, ",checkpoint,hanako,,,yes\r\n"));
        free(s.buf);
    }
}

static void test_op_invalid(void **state)
{
    fuin_record r;
    struct stat sb;
    char err[256];
    const char *bad_ops[] = {"wipe", "disposal", "Encrypt", "", "encrypt ", NULL};
    (void)state;

    /* a disposal record is always signed */
    r = make_record(1);
    assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(stat(ledger, &sb), -1);
    for (int i = 0; bad_ops[i] != NULL; i++) {
        r = make_op(1, bad_ops[i]);
        assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err),
                         FUIN_E_INVALID);
        assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err),
                         FUIN_E_INVALID);
    }
    r = make_op(1, "encrypt");
    r.user = NULL;
    assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_E_INVALID);
    r.user = "";
    assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_E_INVALID);
    r = make_op(1, "encrypt");
    r.target_sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_E_INVALID);
    r = make_op(1, "encrypt");
    r.detail = "two\nlines";
    assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(stat(ledger, &sb), -1);
}

/* Ledger: line 1 signed disposal, lines 2..4 unsigned operation records. */
static void signed_then_unsigned(fuin_record r[4])
{
    r[0] = make_record(1);
    append_op(&r[0], op_sk);
    for (int i = 1; i < 4; i++) {
        r[i] = make_op(i, "decrypt");
        append_op(&r[i], NULL);
    }
    verify_ok(4, 1, 3);
}

/* Change user "hanako" into "hanakp" on line idx (0-based): still
 * canonical JSON, so only the chain can tell. */
static void edit_user(int idx)
{
    lines l;
    char *p;

    read_lines(&l);
    p = strstr((char *)l.line[idx], "\"user\":\"hanako\"");
    assert_non_null(p);
    assert_true(p < l.line[idx] + l.llen[idx]);
    p[strlen("\"user\":\"hanak")] = 'p';
    spit(ledger, l.buf, l.len);
    free(l.buf);
}

static void test_op_edit_unsigned_middle(void **state)
{
    fuin_record r[4];
    (void)state;

    signed_then_unsigned(r);
    edit_user(2); /* line 3: caught by line 4's prev_hash */
    expect_bad(FUIN_E_SIGNATURE, 4, 4,
               "line 4 (seq 4): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
}

static void test_op_edit_unsigned_before_signed(void **state)
{
    fuin_record r[5];
    (void)state;

    signed_then_unsigned(r);
    r[4] = make_op(9, "checkpoint");
    append_op(&r[4], op_sk);
    verify_ok(5, 2, 0);
    edit_user(3); /* the last unsigned one, now vouched for by line 5 */
    expect_bad(FUIN_E_SIGNATURE, 5, 5,
               "line 5 (seq 5): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
}

static void test_op_edit_last_unsigned_is_undetectable(void **state)
{
    /* The documented limit (docs/audit.md): the records after the last
     * signature can be rewritten by anyone who can write the ledger (the
     * user), and nothing in the file tells.  The syslog copy is what
     * catches it; verify only says how many records no signature covers. */
    fuin_record r[4];
    fuin_ledger_report rep;
    (void)state;

    signed_then_unsigned(r);
    edit_user(3);
    rep = verify_ok(4, 1, 3);
    assert_string_not_equal(rep.last_hash, r[3].hash); /* only an outside copy knows */
    /* ... and so can the whole unsigned tail be rewritten consistently:
     * drop it and the ledger still verifies. */
    {
        lines l;
        read_lines(&l);
        spit(ledger, l.buf, l.llen[0]);
        free(l.buf);
    }
    verify_ok(1, 1, 0);
}

static void test_op_truncate_reorder_delete(void **state)
{
    fuin_record r[5];
    lines l;
    fuin_ledger_report rep;
    const fuin_pubkey keys[] = {op_pk, op2_pk};
    const int swap[] = {0, 2, 1, 3, 4, -1};
    const int drop[] = {0, 1, 3, 4, -1};
    const int drop_first[] = {1, 2, 3, 4, -1};
    (void)state;

    signed_then_unsigned(r);
    r[4] = make_op(9, "checkpoint");
    append_op(&r[4], op_sk);
    read_lines(&l);
    assert_int_equal(l.n, 5);

    /* truncated in the middle of a line: torn */
    spit(ledger, l.buf, l.len - 10);
    assert_int_equal(fuin_ledger_verify(ledger, keys, 2, &rep), FUIN_E_SYNTAX);
    assert_int_equal(rep.torn, 1);
    assert_int_equal(rep.records, 4);
    assert_int_equal(rep.torn_offset, l.len - l.llen[4]);
    /* truncated inside an unsigned record */
    spit(ledger, l.buf, l.len - l.llen[4] - 5);
    assert_int_equal(fuin_ledger_verify(ledger, keys, 2, &rep), FUIN_E_SYNTAX);
    assert_int_equal(rep.torn, 1);
    assert_int_equal(rep.records, 3);
    /* two unsigned records swapped */
    write_order(&l, swap);
    expect_bad(FUIN_E_SIGNATURE, 2, 3,
               "line 2 (seq 3): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    /* an unsigned record removed */
    write_order(&l, drop);
    expect_bad(FUIN_E_SIGNATURE, 3, 4,
               "line 3 (seq 4): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    /* the signed first record removed */
    write_order(&l, drop_first);
    expect_bad(FUIN_E_SIGNATURE, 1, 2,
               "line 1 (seq 2): prev_hash does not match the previous line (record "
               "deleted, inserted, reordered or an earlier one edited)");
    free(l.buf);
}

/* Rewrite line 1 canonically after deleting `keys` from it (and target.sha256
 * when drop_sha is set). */
static void rewrite_first(const char *const *keys, int drop_sha)
{
    lines l;
    json_t *o;
    json_error_t je;
    char *s;
    FILE *f;

    read_lines(&l);
    o = json_loadb(l.line[0], l.llen[0] - 1, 0, &je);
    assert_non_null(o);
    for (; *keys != NULL; keys++)
        assert_int_equal(json_object_del(o, *keys), 0);
    if (drop_sha)
        assert_int_equal(json_object_del(json_object_get(o, "target"), "sha256"), 0);
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    f = fopen(ledger, "wb");
    assert_non_null(f);
    fprintf(f, "%s\n", s);
    assert_int_equal(fclose(f), 0);
    free(s);
    json_decref(o);
    free(l.buf);
}

static void test_op_sig_null_needs_op(void **state)
{
    fuin_record r;
    fuin_ledger_report rep;
    static const char *const only_op[] = {"op", NULL};
    static const char *const op_user_detail[] = {"op", "user", "detail", NULL};
    (void)state;

    /* "op" removed, the rest left: not a record */
    r = make_op(1, "encrypt");
    append_op(&r, NULL);
    rewrite_first(only_op, 0);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SYNTAX);
    assert_int_equal(rep.bad_line, 1);
    /* made to look exactly like a disposal record, but "sig": null */
    remove(ledger);
    r = make_op(1, "encrypt");
    append_op(&r, NULL);
    rewrite_first(op_user_detail, 1);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SYNTAX);
    assert_int_equal(rep.bad_line, 1);
    assert_string_equal(rep.reason, "line 1 (seq 1): bad sig");
    /* the same with "key_id": null */
    remove(ledger);
    r = make_op(1, "encrypt");
    r.operator_keyid = NULL;
    append_op(&r, NULL);
    rewrite_first(op_user_detail, 1);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SYNTAX);
    assert_string_equal(rep.reason, "line 1 (seq 1): bad operator");
    /* and an unknown op is not a record either */
    remove(ledger);
    r = make_op(1, "encrypt");
    append_op(&r, NULL);
    {
        lines l;
        char *p;
        read_lines(&l);
        p = strstr(l.buf, "\"op\":\"encrypt\"");
        assert_non_null(p);
        memcpy(p + 6, "ENCRYPT", 7);
        spit(ledger, l.buf, l.len);
        free(l.buf);
    }
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SYNTAX);
    assert_string_equal(rep.reason, "line 1 (seq 1): bad op");
}

static char *export_str(fuin_ledger_format fmt, const fuin_ledger_filter *f)
{
    sink_t s = {NULL, 0};
    char err[256] = "";
    fuin_status st = fuin_ledger_export_filtered(ledger, fmt, NULL, f, sink_write, &s, err,
                                                 sizeof err);
    if (st != FUIN_OK)
        fail_msg("export: %s (%d)", err, (int)st);
    if (s.buf == NULL)
        s.buf = calloc(1, 1);
    return s.buf;
}

/* The seq column of a TSV export, as "1,3,4". */
static void expect_seqs(const fuin_ledger_filter *f, const char *want)
{
    char *tsv = export_str(FUIN_LEDGER_TSV, f), got[256] = "";
    size_t n = 0;

    for (char *p = tsv; *p; p = strchr(p, '\n') + 1) {
        n += (size_t)snprintf(got + n, sizeof got - n, "%s%.*s", n ? "," : "",
                              (int)strcspn(p, "\t"), p);
        assert_non_null(strchr(p, '\n'));
    }
    assert_string_equal(got, want);
    free(tsv);
}

static void test_op_filters_tsv(void **state)
{
    fuin_record r[5];
    fuin_label c2;
    fuin_ledger_filter f;
    char keyhex[FUIN_KEYID_HEX], want[512], *tsv;
    (void)state;

    assert_int_equal(fuin_label_parse("機密性2", &c2, NULL, 0), FUIN_OK);
    r[0] = make_record(1); /* disposal, C3, 山田 花子, end T+1h+600 */
    append_op(&r[0], op_sk);
    r[1] = make_op(100, "encrypt"); /* C2, user alice, end T+6001 */
    r[1].user = "alice";
    r[1].label = &c2;
    r[1].target_path = "/tmp/a\tb\nc\\d\re";
    r[1].end = T_START + 6001;
    r[1].start = T_START + 6000;
    append_op(&r[1], NULL);
    r[2] = make_op(3, "sign"); /* 佐藤 一郎, no class, end T+181 */
    r[2].operator_name = "佐藤 一郎";
    r[2].operator_keyid = op2_pk.keyid;
    append_op(&r[2], op2_sk);
    r[3] = make_op(4, "encrypt"); /* class C3, user hanako, end T+241 */
    r[3].label = &c3;
    r[3].result = "failure";
    append_op(&r[3], NULL);
    r[4] = make_op(5, "verify"); /* no path */
    r[4].target_kind = "none";
    r[4].target_path = NULL;
    r[4].target_sha256 = NULL;
    append_op(&r[4], NULL);

    expect_seqs(NULL, "1,2,3,4,5");
    memset(&f, 0, sizeof f);
    f.kind = "encrypt";
    expect_seqs(&f, "2,4");
    f.kind = "disposal";
    expect_seqs(&f, "1");
    f.kind = "sign";
    expect_seqs(&f, "3");
    f.kind = "wipe";
    expect_seqs(&f, "");
    memset(&f, 0, sizeof f);
    f.person = "alice"; /* the login name */
    expect_seqs(&f, "2");
    f.person = "佐藤 一郎"; /* the operator's name */
    expect_seqs(&f, "3");
    fuin_keyid_hex(op2_pk.keyid, keyhex);
    f.person = keyhex; /* the key id */
    expect_seqs(&f, "3");
    f.person = "hanako";
    expect_seqs(&f, "3,4,5"); /* 1 is a disposal record: no user */
    f.person = "山田 花子";
    expect_seqs(&f, "1,2,4,5");
    f.person = "山田";
    expect_seqs(&f, "");
    memset(&f, 0, sizeof f);
    f.min_confidentiality = 2;
    expect_seqs(&f, "1,2,4");
    f.min_confidentiality = 3;
    expect_seqs(&f, "1,4");
    f.min_confidentiality = 1;
    expect_seqs(&f, "1,2,4"); /* no class: left out once the filter is set */
    memset(&f, 0, sizeof f);
    f.since = T_START + 241; /* [since, until) */
    expect_seqs(&f, "1,2,4,5");
    f.since = T_START + 242;
    expect_seqs(&f, "1,2,5");
    f.until = T_START + 4201;
    expect_seqs(&f, "1,5");
    f.until = T_START + 4200; /* r[0] ends at T+4200: excluded */
    expect_seqs(&f, "5");
    f.since = 0;
    f.until = T_START + 182;
    expect_seqs(&f, "3");
    /* combined */
    memset(&f, 0, sizeof f);
    f.kind = "encrypt";
    f.min_confidentiality = 3;
    f.person = "hanako";
    expect_seqs(&f, "4");
    f.min_confidentiality = 4;
    {
        sink_t s = {NULL, 0};
        char err[64];
        assert_int_equal(fuin_ledger_export_filtered(ledger, FUIN_LEDGER_TSV, NULL, &f,
                                                     sink_write, &s, err, sizeof err),
                         FUIN_E_INVALID);
        free(s.buf);
    }

    /* TSV: one line per record, TAB / LF / CR / backslash escaped */
    memset(&f, 0, sizeof f);
    f.kind = "encrypt";
    f.person = "alice";
    tsv = export_str(FUIN_LEDGER_TSV, &f);
    snprintf(want, sizeof want,
             "2\t2026-11-25T19:40:01Z\t山田 花子\tencrypt\t-\tfile "
             "/tmp/a\\tb\\nc\\\\d\\re\tencrypt\tnone\tsuccess\n");
    assert_string_equal(tsv, want);
    free(tsv);
    tsv = export_str(FUIN_LEDGER_TSV, NULL);
    assert_non_null(strstr(tsv, "1\t2026-11-25T19:10:00Z\t山田 花子\tdisposal\tPC-0001\t"
                                "device /dev/sdb\tzero-1pass\tClear\tsuccess\n"));
    assert_non_null(strstr(tsv, "\n5\t2026-11-25T18:05:01Z\t山田 花子\tverify\t-\tnone -"
                                "\tverify\tnone\tsuccess\n"));
    assert_non_null(strstr(tsv, "\tencrypt\tnone\tfailure\n"));
    {
        int n = 0;
        for (char *p = tsv; *p; p++)
            n += *p == '\n';
        assert_int_equal(n, 5);
    }
    free(tsv);
}

/* ---- fuin_audit_* ---------------------------------------------------- */

static fuin_policy *policy_of(const char *text)
{
    fuin_policy *p = NULL;
    char err[256] = "";
    if (fuin_policy_parse(text, strlen(text), "policy.ini", &p, err, sizeof err) != FUIN_OK)
        fail_msg("policy: %s", err);
    return p;
}

static fuin_policy *policy_sock(const char *sock)
{
    char text[512];
    snprintf(text, sizeof text, "[audit]\nrecord = on\nsyslog = on\nsyslog_socket = %s\n",
             sock);
    return policy_of(text);
}

/* A signed record made by someone without the key (its signature copied
 * from another record, chain and comment right) must fail, even when an
 * honest signed record follows it: the signer of that one never checked
 * the lines before it (the review's forgery).  With `filler` unsigned
 * records in between, the parallel path (>= 512 lines) is the one tried. */
static void forged_signed_record(size_t filler)
{
    fuin_record r;
    fuin_ledger_report rep;
    char err[256], hash[65];
    uint8_t h[32];
    size_t len = 0, n = 0;
    char *buf, *line, *last, *dump;
    json_t *src, *o;
    json_error_t je;
    FILE *f;

    r = make_op(1, "sign");
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_OK);
    for (size_t i = 0; i < filler; i++) {
        r = make_op((int)i + 2, "verify");
        assert_int_equal(fuin_ledger_append(ledger, &r, NULL, err, sizeof err), FUIN_OK);
    }
    buf = slurp(ledger, &len);
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    /* the forgery: the first (signed) record's signature on a disposal */
    line = strndup(buf, (size_t)(strchr(buf, '\n') - buf));
    src = json_loads(line, 0, &je);
    assert_non_null(src);
    o = json_deep_copy(src);
    json_object_del(o, "op");
    json_object_del(o, "user");
    json_object_del(o, "detail");
    json_object_del(json_object_get(o, "target"), "sha256");
    json_object_set_new(json_object_get(o, "target"), "kind", json_string("physical"));
    json_object_set_new(o, "asset_id", json_string("USB-999"));
    json_object_set_new(o, "category", json_string("Destroy"));
    json_object_set_new(o, "method", json_string("shredded"));
    json_object_set_new(o, "seq", json_integer((json_int_t)n + 1));
    json_object_set_new(o, "record_id", json_string("0123456789abcdef"));
    buf[len - 1] = '\0';
    last = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
    crypto_hash_sha256(h, (const uint8_t *)last, strlen(last));
    sodium_bin2hex(hash, sizeof hash, h, sizeof h);
    json_object_set_new(o, "prev_hash", json_string(hash));
    {
        char tc[96];
        snprintf(tc, sizeof tc, "fuin-ledger record:0123456789abcdef seq:%zu", n + 1);
        json_object_set_new(json_object_get(o, "sig"), "comment", json_string(tc));
    }
    dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    f = fopen(ledger, "a");
    assert_non_null(f);
    fprintf(f, "%s\n", dump);
    fclose(f);
    /* an honest signature after it */
    r = make_op(9, "sign");
    assert_int_equal(fuin_ledger_append(ledger, &r, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_ledger_verify(ledger, &op_pk, 1, &rep), FUIN_E_SIGNATURE);
    assert_int_equal(rep.bad_line, n + 1);
    assert_int_equal(rep.records, n);
    assert_non_null(strstr(rep.reason, "signature does not verify"));
    free(buf);
    buf = slurp(ledger, &len);
    assert_int_equal(fuin_ledger_verify_buf(buf, len, &op_pk, 1, &rep), FUIN_E_SIGNATURE);
    assert_int_equal(rep.bad_line, n + 1);
    free(buf);
    free(dump);
    free(line);
    json_decref(o);
    json_decref(src);
}

static void test_forged_signed_record(void **state)
{
    (void)state;
    forged_signed_record(2);
}

static void test_forged_signed_record_parallel(void **state)
{
    (void)state;
    forged_signed_record(700);
}


static void test_audit_off(void **state)
{
    fuin_policy *p = policy_of("[audit]\nrecord = off\nsyslog = on\n");
    fuin_audit *a = (fuin_audit *)1;
    fuin_record r = make_op(1, "encrypt");
    struct stat sb;
    char err[256];
    (void)state;

    assert_int_equal(fuin_audit_open(p, ledger, "山田 花子", NULL, &a, err, sizeof err),
                     FUIN_OK);
    assert_null(a);
    assert_int_equal(fuin_audit_append(a, &r, NULL, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_append(a, &r, op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_syslog_failures(a), 0);
    fuin_audit_free(a);
    assert_int_equal(stat(ledger, &sb), -1);
    fuin_policy_free(p);
    /* no policy at all, and the built-in default: off */
    a = (fuin_audit *)1;
    assert_int_equal(fuin_audit_open(NULL, ledger, NULL, NULL, &a, err, sizeof err), FUIN_OK);
    assert_null(a);
    assert_int_equal(fuin_policy_default(&p), FUIN_OK);
    a = (fuin_audit *)1;
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_OK);
    assert_null(a);
    fuin_policy_free(p);
    assert_int_equal(stat(ledger, &sb), -1);
}

static void test_audit_preflight(void **state)
{
    fuin_policy *p = policy_of("[audit]\nrecord = on\nsyslog = off\n");
    fuin_audit *a = NULL;
    fuin_record r;
    struct stat sb;
    char err[256], other[160], *buf;
    size_t len;
    lines l;
    json_t *o;
    json_error_t je;
    char keyhex[FUIN_KEYID_HEX];
    (void)state;

    /* creates the ledger, empty, 0600, before anything is done */
    assert_int_equal(fuin_audit_open(p, ledger, "山田 花子", op_pk.keyid, &a, err, sizeof err),
                     FUIN_OK);
    assert_non_null(a);
    assert_int_equal(stat(ledger, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 0);
    /* the handle fills in operator, user and key id */
    r = make_op(1, "label");
    r.operator_name = NULL;
    r.user = NULL;
    r.operator_keyid = NULL;
    assert_int_equal(fuin_audit_append(a, &r, NULL, err, sizeof err), FUIN_OK);
    assert_int_equal(r.seq, 1);
    assert_int_equal(fuin_audit_syslog_failures(a), 0);
    fuin_audit_free(a);
    read_lines(&l);
    assert_int_equal(l.n, 1);
    o = json_loadb(l.line[0], l.llen[0] - 1, 0, &je);
    assert_non_null(o);
    fuin_keyid_hex(op_pk.keyid, keyhex);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "operator"),
                                                          "name")), "山田 花子");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "operator"),
                                                          "key_id")), keyhex);
    {
        char lname[256];
        struct passwd *pw = getpwuid(geteuid());
        snprintf(lname, sizeof lname, "%s", pw ? pw->pw_name : "?");
        assert_string_equal(json_string_value(json_object_get(o, "user")), lname);
    }
    json_decref(o);
    free(l.buf);
    verify_ok(1, 0, 1);

    /* no operator name: the login name stands for the operator */
    assert_int_equal(fuin_audit_open(p, ledger, "", NULL, &a, err, sizeof err), FUIN_OK);
    r = make_op(2, "label");
    r.operator_name = NULL;
    r.user = NULL;
    r.operator_keyid = NULL;
    assert_int_equal(fuin_audit_append(a, &r, NULL, err, sizeof err), FUIN_OK);
    fuin_audit_free(a);
    read_lines(&l);
    assert_non_null(strstr(l.line[1], "\"key_id\":null"));
    {
        char pat[300];
        struct passwd *pw = getpwuid(geteuid());
        snprintf(pat, sizeof pat, "\"operator\":{\"key_id\":null,\"name\":\"%s\"}",
                 pw ? pw->pw_name : "?");
        assert_non_null(strstr(l.line[1], pat));
    }
    free(l.buf);

    /* a torn last line: refused before the operation */
    buf = slurp(ledger, &len);
    spit(ledger, buf, len - 1);
    a = (fuin_audit *)1;
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err),
                     FUIN_E_SYNTAX);
    assert_null(a);
    assert_non_null(strstr(err, "torn"));
    free(buf);

    /* a symbolic link: refused, its target untouched */
    remove(ledger);
    snprintf(other, sizeof other, "%s/elsewhere", dir);
    spit(other, "x", 1);
    assert_int_equal(symlink(other, ledger), 0);
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_E_IO);
    assert_null(a);
    assert_non_null(strstr(err, "symbolic link"));
    assert_int_equal(stat(other, &sb), 0);
    assert_int_equal(sb.st_size, 1);
    /* a dangling one is not followed to create its target */
    remove(other);
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_E_IO);
    assert_int_equal(lstat(other, &sb), -1);
    remove(ledger);
    /* a directory in its place */
    assert_int_equal(mkdir(ledger, 0700), 0);
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_E_IO);
    assert_null(a);
    rmdir(ledger);
    /* a directory that does not exist */
    {
        char deep[200];
        snprintf(deep, sizeof deep, "%s/no/such/ledger.jsonl", dir);
        assert_int_equal(fuin_audit_open(p, deep, NULL, NULL, &a, err, sizeof err), FUIN_E_IO);
    }
    assert_int_equal(fuin_audit_open(p, NULL, NULL, NULL, &a, err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, NULL, err, sizeof err),
                     FUIN_E_INVALID);
    fuin_policy_free(p);
}

/* A datagram socket of our own, as syslogd would have. */
static int bind_dgram(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* The parts of an RFC 5424 message (section 6), strictly. */
typedef struct {
    int pri;
    char ts[64], host[256], app[64], procid[160], msgid[40];
    char sdid[40];
    char pname[16][40];
    char pval[16][300];
    int nparams;
    const char *msg;
    size_t msglen;
} syslog5424;

static int header_token(const char **p, const char *end, char *out, size_t max)
{
    size_t n = 0;
    while (*p < end && **p != ' ') {
        unsigned char c = (unsigned char)**p;
        if (c < 33 || c > 126 || n + 1 >= max)
            return -1;
        out[n++] = (char)c;
        (*p)++;
    }
    out[n] = '\0';
    if (*p >= end || n == 0)
        return -1;
    (*p)++; /* SP */
    return 0;
}

static int parse_5424(const char *buf, size_t len, syslog5424 *m)
{
    const char *p = buf, *end = buf + len;

    memset(m, 0, sizeof m[0]);
    if (p >= end || *p++ != '<')
        return -1;
    while (p < end && *p >= '0' && *p <= '9')
        m->pri = m->pri * 10 + (*p++ - '0');
    if (p + 3 > end || memcmp(p, ">1 ", 3) != 0 || m->pri > 191)
        return -2;
    p += 3;
    if (header_token(&p, end, m->ts, sizeof m->ts) || header_token(&p, end, m->host, 256) ||
        header_token(&p, end, m->app, 49) || header_token(&p, end, m->procid, 129) ||
        header_token(&p, end, m->msgid, 33))
        return -3;
    if (p >= end || *p++ != '[')
        return -4;
    {
        size_t n = 0;
        while (p < end && *p != ' ' && *p != ']' && *p != '=' && *p != '"' && n < 32)
            m->sdid[n++] = *p++;
    }
    while (p < end && *p == ' ') {
        size_t n = 0;
        p++;
        if (m->nparams >= 16)
            return -5;
        while (p < end && *p != '=' && n < 32)
            m->pname[m->nparams][n++] = *p++;
        if (p + 2 > end || p[0] != '=' || p[1] != '"')
            return -6;
        p += 2;
        n = 0;
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
                p++;
            else if (*p == ']')
                return -7; /* must be escaped */
            if (n + 1 >= sizeof m->pval[0])
                return -8;
            m->pval[m->nparams][n++] = *p++;
        }
        if (p >= end)
            return -9;
        p++;
        m->nparams++;
    }
    if (p + 2 > end || p[0] != ']' || p[1] != ' ')
        return -10;
    p += 2;
    m->msg = p;
    m->msglen = (size_t)(end - p);
    return 0;
}

static const char *sd_param(const syslog5424 *m, const char *name)
{
    for (int i = 0; i < m->nparams; i++)
        if (strcmp(m->pname[i], name) == 0)
            return m->pval[i];
    return NULL;
}

static int ts_ok(const char *ts)
{
    /* FULL-DATE "T" FULL-TIME with fraction and Z, as fuin sends it */
    int64_t t;
    char whole[32];
    if (strlen(ts) != 27 || ts[19] != '.' || ts[26] != 'Z')
        return 0;
    memcpy(whole, ts, 19);
    whole[19] = 'Z';
    whole[20] = '\0';
    return fuin_time_parse_rfc3339(whole, &t) == FUIN_OK && t > 1700000000;
}

static void test_audit_syslog(void **state)
{
    char sock[160], err[256], pid[24], seqs[24], host[256], *dg;
    fuin_policy *p;
    fuin_audit *a = NULL;
    fuin_record r[2];
    syslog5424 m;
    ssize_t n;
    lines l;
    int fd;
    (void)state;

    snprintf(sock, sizeof sock, "%s/log", dir);
    fd = bind_dgram(sock);
    p = policy_sock(sock);
    assert_int_equal(fuin_audit_open(p, ledger, "山田 花子", op_pk.keyid, &a, err, sizeof err),
                     FUIN_OK);
    r[0] = make_op(1, "decrypt");
    r[0].label = &c3;
    r[0].user = "ha\"na]ko\\"; /* escaped in PARAM-VALUE */
    r[0].detail = "identity ~/.config/fuin/identity.age";
    assert_int_equal(fuin_audit_append(a, &r[0], NULL, err, sizeof err), FUIN_OK);
    r[1] = make_op(2, "sign");
    r[1].result = "failure";
    assert_int_equal(fuin_audit_append(a, &r[1], op_sk, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_syslog_failures(a), 0);
    fuin_audit_free(a);
    fuin_policy_free(p);
    read_lines(&l);
    assert_int_equal(l.n, 2);
    dg = malloc(FUIN_LEDGER_MAX_LINE + 4096);
    assert_non_null(dg);
    assert_int_equal(gethostname(host, sizeof host), 0);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    for (int i = 0; i < 2; i++) {
        n = recv(fd, dg, FUIN_LEDGER_MAX_LINE + 4096, MSG_DONTWAIT);
        assert_true(n > 0);
        assert_int_equal(parse_5424(dg, (size_t)n, &m), 0);
        /* authpriv (10); info for success, notice otherwise */
        assert_int_equal(m.pri, i == 0 ? 10 * 8 + 6 : 10 * 8 + 5);
        assert_true(ts_ok(m.ts));
        assert_string_equal(m.host, host);
        assert_string_equal(m.app, "fuin");
        assert_string_equal(m.procid, pid);
        assert_string_equal(m.msgid, i == 0 ? "decrypt" : "sign");
        assert_string_equal(m.sdid, "fuin@32473");
        snprintf(seqs, sizeof seqs, "%d", i + 1);
        assert_string_equal(sd_param(&m, "seq"), seqs);
        assert_string_equal(sd_param(&m, "record_id"), r[i].record_id);
        assert_string_equal(sd_param(&m, "hash"), r[i].hash);
        assert_string_equal(sd_param(&m, "prev_hash"), i == 0 ? ZERO64 : r[0].hash);
        assert_string_equal(sd_param(&m, "op"), i == 0 ? "decrypt" : "sign");
        assert_string_equal(sd_param(&m, "result"), i == 0 ? "success" : "failure");
        assert_string_equal(sd_param(&m, "user"), i == 0 ? "ha\"na]ko\\" : "hanako");
        if (i == 0)
            assert_string_equal(sd_param(&m, "class"), "C3-I2-A2 複製禁止");
        else
            assert_null(sd_param(&m, "class"));
        /* MSG: the ledger line, byte for byte (no LF, no BOM) */
        assert_int_equal(m.msglen, l.llen[i] - 1);
        assert_memory_equal(m.msg, l.line[i], m.msglen);
    }
    /* exactly one datagram per record */
    assert_int_equal(recv(fd, dg, 16, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    free(dg);
    free(l.buf);
    close(fd);
}

static void test_audit_syslog_missing(void **state)
{
    char sock[160], err[256];
    fuin_policy *p;
    fuin_audit *a = NULL;
    fuin_record r = make_op(1, "verify");
    (void)state;

    snprintf(sock, sizeof sock, "%s/no-syslogd-here", dir);
    p = policy_sock(sock);
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_append(a, &r, NULL, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_syslog_failures(a), 1);
    fuin_audit_free(a);
    verify_ok(1, 0, 1);
    /* a socket that exists but nobody reads from any more */
    {
        int fd = bind_dgram(sock);
        close(fd);
    }
    assert_int_equal(fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err), FUIN_OK);
    r = make_op(2, "verify");
    assert_int_equal(fuin_audit_append(a, &r, NULL, err, sizeof err), FUIN_OK);
    assert_int_equal(fuin_audit_syslog_failures(a), 1);
    fuin_audit_free(a);
    verify_ok(2, 0, 2);
    fuin_policy_free(p);
}

#define CONC_PROCS 8
#define CONC_EACH 200

static void test_audit_concurrent(void **state)
{
    pid_t pid[CONC_PROCS];
    fuin_policy *p = policy_of("[audit]\nrecord = on\nsyslog = off\n");
    static int seen[CONC_PROCS][CONC_EACH];
    int last[CONC_PROCS];
    char *buf;
    size_t len, at = 0, nl = 0;
    (void)state;

    for (int c = 0; c < CONC_PROCS; c++) {
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            char err[256] = "", detail[32];
            fuin_audit *a = NULL;
            if (fuin_audit_open(p, ledger, NULL, NULL, &a, err, sizeof err) != FUIN_OK)
                _exit(2);
            for (int i = 0; i < CONC_EACH; i++) {
                fuin_record r = make_op(i, "encrypt");
                snprintf(detail, sizeof detail, "proc %d rec %d", c, i);
                r.detail = detail;
                if (fuin_audit_append(a, &r, NULL, err, sizeof err) != FUIN_OK) {
                    fprintf(stderr, "child %d: %s\n", c, err);
                    _exit(1);
                }
            }
            fuin_audit_free(a);
            _exit(0);
        }
    }
    for (int c = 0; c < CONC_PROCS; c++) {
        int ws;
        assert_int_equal(waitpid(pid[c], &ws, 0), pid[c]);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 0);
    }
    fuin_policy_free(p);
    /* seq 1..1600 in order, every prev_hash right: verify checks both */
    verify_ok(CONC_PROCS * CONC_EACH, 0, CONC_PROCS * CONC_EACH);
    /* each record once, each process's in its own order, none mixed */
    memset(seen, 0, sizeof seen);
    for (int c = 0; c < CONC_PROCS; c++)
        last[c] = -1;
    buf = slurp(ledger, &len);
    while (at < len) {
        char *e = memchr(buf + at, '\n', len - at);
        json_t *o;
        json_error_t je;
        int c, i;
        assert_non_null(e);
        o = json_loadb(buf + at, (size_t)(e - (buf + at)), 0, &je);
        assert_non_null(o);
        assert_int_equal(json_integer_value(json_object_get(o, "seq")), (json_int_t)++nl);
        assert_int_equal(sscanf(json_string_value(json_object_get(o, "detail")),
                                "proc %d rec %d", &c, &i), 2);
        assert_true(c >= 0 && c < CONC_PROCS && i >= 0 && i < CONC_EACH);
        assert_int_equal(seen[c][i], 0);
        seen[c][i] = 1;
        assert_int_equal(i, last[c] + 1);
        last[c] = i;
        json_decref(o);
        at = (size_t)(e - buf) + 1;
    }
    assert_int_equal(nl, CONC_PROCS * CONC_EACH);
    for (int c = 0; c < CONC_PROCS; c++)
        assert_int_equal(last[c], CONC_EACH - 1);
    free(buf);
}

/* Fill the file system holding `path`'s directory until it says ENOSPC. */
static void fill_up(const char *path)
{
    static char block[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ssize_t n;

    assert_true(fd >= 0);
    memset(block, 'F', sizeof block);
    while ((n = write(fd, block, sizeof block)) > 0)
        ;
    while ((n = write(fd, block, 1)) > 0)
        ;
    assert_int_equal(n, -1);
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

static void test_audit_full_disk(void **state)
{
    char mnt[128], led[160], fill[160], err[256], *before, *after;
    size_t blen, alen;
    fuin_policy *p = policy_of("[audit]\nrecord = on\nsyslog = off\n");
    fuin_audit *a = NULL;
    fuin_record r;
    fuin_ledger_report rep;
    struct stat sb;
    (void)state;

    snprintf(mnt, sizeof mnt, "%s/tiny", dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    if (geteuid() != 0 || mount("fuin-test", mnt, "tmpfs", 0, "size=256k,mode=0700") != 0) {
        fprintf(stderr, "[  SKIPPED ] full disk: cannot mount a tmpfs (%s); "
                        "run as root to check a full disk\n",
                geteuid() != 0 ? "not root" : strerror(errno));
        rmdir(mnt);
        fuin_policy_free(p);
        skip();
    }
    snprintf(led, sizeof led, "%s/ledger.jsonl", mnt);
    snprintf(fill, sizeof fill, "%s/filler", mnt);

    /* (1) room reserved before the disk fills: the record still goes in */
    assert_int_equal(fuin_audit_open(p, led, "山田 花子", NULL, &a, err, sizeof err), FUIN_OK);
    fill_up(fill);
    r = make_op(1, "encrypt");
    if (fuin_audit_append(a, &r, NULL, err, sizeof err) != FUIN_OK)
        fail_msg("append into the reserved room: %s", err);
    fuin_audit_free(a);
    assert_int_equal(stat(led, &sb), 0);
    assert_true(sb.st_size > 0);

    /* (2) full: the next operation is refused before it starts (the
     * room for a further record cannot be reserved), and the ledger
     * stays as it was */
    before = slurp(led, &blen);
    a = (fuin_audit *)1;
    assert_int_equal(fuin_audit_open(p, led, "山田 花子", NULL, &a, err, sizeof err), FUIN_E_IO);
    assert_null(a);
    assert_non_null(strstr(err, "No space left on device"));
    after = slurp(led, &alen);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen);
    assert_int_equal(fuin_ledger_verify(led, NULL, 0, &rep), FUIN_OK);
    assert_int_equal(rep.records, 1);
    free(before);
    free(after);
    fuin_policy_free(p);
    assert_int_equal(umount(mnt), 0);
    rmdir(mnt);
}

static void test_file_sha256(void **state)
{
    char path[160], link[160], hex[65], err[256];
    int64_t size = -1;
    (void)state;

    snprintf(path, sizeof path, "%s/abc", dir);
    snprintf(link, sizeof link, "%s/abc.link", dir);
    spit(path, "abc", 3);
    assert_int_equal(fuin_file_sha256(path, hex, &size, err, sizeof err), FUIN_OK);
    assert_string_equal(hex, SHA_ABC);
    assert_int_equal(size, 3);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(fuin_file_sha256(link, hex, &size, err, sizeof err), FUIN_E_IO);
    assert_int_equal(fuin_file_sha256(dir, hex, &size, err, sizeof err), FUIN_E_IO);
    spit(path, "", 0);
    assert_int_equal(fuin_file_sha256(path, hex, &size, err, sizeof err), FUIN_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature_checks_with_minisign_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whitespace_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_last_is_undetectable_without_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repair_refuses_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repair_keep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_formula_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mixed_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_html, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_unsigned_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_edit_unsigned_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_edit_unsigned_before_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_edit_last_unsigned_is_undetectable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_truncate_reorder_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_sig_null_needs_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_filters_tsv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_signed_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_signed_record_parallel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_preflight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_syslog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_syslog_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_sha256, setup, teardown),
    };
    int rc;

    /* Record times depend on TZ: every test runs in UTC unless it says
     * otherwise (use_tz()). */
    use_tz("UTC0");
    if (fuin_init() != FUIN_OK)
        return 1;
    if (fuin_seckey_generate(&op_sk, &op_pk) != FUIN_OK ||
        fuin_seckey_generate(&op2_sk, &op2_pk) != FUIN_OK ||
        fuin_seckey_generate(&stranger_sk, &stranger_pk) != FUIN_OK ||
        fuin_label_parse("C3-I2-A2 複製禁止", &c3, NULL, 0) != FUIN_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    fuin_seckey_free(op_sk);
    fuin_seckey_free(op2_sk);
    fuin_seckey_free(stranger_sk);
    return rc;
}
