/* Unit tests for lib/ledger/ledger.c: appending signed disposal records, the
 * hash chain and every kind of tampering verify must catch, torn lines,
 * concurrent appenders, and the CSV / JSON / HTML exports. */
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
#include <sys/stat.h>
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
    (void)state;
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
    "errors,result,fuin_version,caveat,request,sha256\r\n";

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
             "zeros,full,16008609792,\"sector 12: <write> & \"\"retry\"\"\",failure,%s,,,%s\r\n",
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
