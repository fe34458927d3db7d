/* The cost of the record of every operation (bench/ledger.sh, docs/audit.md).
 *
 *   ledger_bench append DIR N     time N operation records appended to
 *                                 DIR/append.jsonl as a command appends
 *                                 one (fuin_audit_open, which checks the
 *                                 ledger and reserves room, then
 *                                 fuin_audit_append: write + fsync), N
 *                                 unsigned, N signed, then N unsigned with
 *                                 the syslog copy to a socket of our own;
 *                                 prints mean, median, p95 and max in ms
 *   ledger_bench gen LEDGER N PCT PUB
 *                                 write an N-record ledger, PCT percent of
 *                                 the records signed (spread evenly), the
 *                                 rest unsigned; the key's public half goes
 *                                 to PUB (for fuin ledger verify --key)
 *   ledger_bench verify LEDGER PUB RUNS
 *                                 time fuin_ledger_verify() RUNS times; prints
 *                                 the records and min / mean seconds
 *
 * Built by bench/ledger.sh against a build's libfuin.a. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fuin.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += ms[i];
    qsort(ms, (size_t)n, sizeof ms[0], cmp_d);
    printf("%-28s n=%d mean=%.3f ms median=%.3f ms p95=%.3f ms max=%.3f ms\n", what, n,
           sum / n, ms[n / 2], ms[(int)(n * 0.95)], ms[n - 1]);
}

static fuin_record op_record(int i, const char *op)
{
    static char path[64];
    fuin_record r;

    memset(&r, 0, sizeof r);
    snprintf(path, sizeof path, "/home/staff/documents/report-%06d.pdf", i);
    r.start = r.end = (int64_t)time(NULL);
    r.operator_name = "山田 花子";
    r.op = op;
    r.user = "yamada";
    r.detail = "signed by 山田 花子 (staff), label C2-I2-A1";
    r.target_kind = "file";
    r.target_path = path;
    r.target_size = 123456;
    r.target_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    r.method = "minisign-ed25519";
    r.category = "none";
    r.result = "success";
    return r;
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "ledger_bench: %s: %s\n", what, err);
    return 1;
}

static int bench_append(const char *dir, int n)
{
    char path[4096], sock[108], text[512], err[512] = "", dg[65536];
    fuin_policy *plain = NULL, *withlog = NULL;
    fuin_seckey *sk;
    fuin_pubkey pk;
    fuin_label lab;
    double *ms = calloc((size_t)n, sizeof *ms);
    struct sockaddr_un sa;
    int fd;

    snprintf(path, sizeof path, "%s/append.jsonl", dir);
    snprintf(sock, sizeof sock, "%s/log", dir);
    unlink(path);
    unlink(sock);
    if (ms == NULL || fuin_seckey_generate(&sk, &pk) != FUIN_OK ||
        fuin_label_parse("C2-I2", &lab, NULL, 0) != FUIN_OK)
        return die("setup", "out of memory");
    snprintf(text, sizeof text, "[audit]\nrecord = on\nsyslog = off\n");
    if (fuin_policy_parse(text, strlen(text), NULL, &plain, err, sizeof err) != FUIN_OK)
        return die("policy", err);
    snprintf(text, sizeof text, "[audit]\nrecord = on\nsyslog = on\nsyslog_socket = %s\n", sock);
    if (fuin_policy_parse(text, strlen(text), NULL, &withlog, err, sizeof err) != FUIN_OK)
        return die("policy", err);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return die("socket", strerror(errno));
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < n; i++) {
            fuin_audit *a = NULL;
            fuin_record r = op_record(i, pass == 1 ? "sign" : "verify");
            double t0;
            r.label = &lab;
            t0 = now();
            if (fuin_audit_open(pass == 2 ? withlog : plain, path, "山田 花子", pk.keyid, &a,
                                err, sizeof err) != FUIN_OK ||
                fuin_audit_append(a, &r, pass == 1 ? sk : NULL, err, sizeof err) != FUIN_OK)
                return die("append", err);
            ms[i] = (now() - t0) * 1e3;
            if (fuin_audit_syslog_failures(a) != 0)
                return die("syslog", "a datagram was not sent");
            fuin_audit_free(a);
            while (recv(fd, dg, sizeof dg, MSG_DONTWAIT) > 0)
                ;
        }
        report(pass == 0   ? "append unsigned"
               : pass == 1 ? "append signed"
                           : "append unsigned + syslog",
               ms, n);
    }
    close(fd);
    unlink(sock);
    unlink(path);
    fuin_policy_free(plain);
    fuin_policy_free(withlog);
    fuin_seckey_free(sk);
    free(ms);
    return 0;
}

static int bench_gen(const char *path, long n, int pct, const char *pubpath)
{
    static const char *const ops[] = {"verify", "decrypt", "encrypt", "label", "sign"};
    char err[512] = "", pub[512];
    fuin_seckey *sk;
    fuin_pubkey pk;
    FILE *f;
    long acc = 0;

    if (fuin_seckey_generate(&sk, &pk) != FUIN_OK)
        return die("key", "cannot generate");
    if (fuin_pubkey_format(&pk, "ledger bench", pub, sizeof pub) == 0 ||
        (f = fopen(pubpath, "w")) == NULL || fputs(pub, f) < 0 || fclose(f) != 0)
        return die(pubpath, "cannot write");
    unlink(path);
    for (long i = 0; i < n; i++) {
        /* PCT of the records signed, spread evenly (Bresenham) */
        int sign = 0;
        acc += pct;
        if (acc >= 100) {
            acc -= 100;
            sign = 1;
        }
        fuin_record r = op_record((int)i, ops[i % 5]);
        r.operator_keyid = pk.keyid;
        if (fuin_ledger_append(path, &r, sign ? sk : NULL, err, sizeof err) != FUIN_OK)
            return die("append", err);
    }
    fuin_seckey_free(sk);
    return 0;
}

static int bench_verify(const char *path, const char *pubpath, int runs)
{
    char buf[1024];
    size_t len;
    FILE *f = fopen(pubpath, "r");
    fuin_pubkey pk;
    fuin_ledger_report rep;
    double best = 1e9, sum = 0;

    if (f == NULL)
        return die(pubpath, strerror(errno));
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (fuin_pubkey_parse(buf, len, &pk, NULL, 0) != FUIN_OK)
        return die(pubpath, "not a public key");
    for (int i = 0; i < runs; i++) {
        double t0 = now(), t;
        if (fuin_ledger_verify(path, &pk, 1, &rep) != FUIN_OK)
            return die("verify", rep.reason);
        t = now() - t0;
        sum += t;
        best = t < best ? t : best;
    }
    printf("verify %s: %llu records (%llu signed), min=%.3f s mean=%.3f s (%d runs)\n", path,
           (unsigned long long)rep.records, (unsigned long long)rep.signed_records, best,
           sum / runs, runs);
    return 0;
}

static long num(const char *s)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 100000000) {
        fprintf(stderr, "ledger_bench: %s: not a count\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (fuin_init() != FUIN_OK)
        return die("init", "fuin_init failed");
    if (argc == 4 && strcmp(argv[1], "append") == 0)
        return bench_append(argv[2], (int)num(argv[3]));
    if (argc == 6 && strcmp(argv[1], "gen") == 0)
        return bench_gen(argv[2], num(argv[3]), (int)num(argv[4]), argv[5]);
    if (argc == 5 && strcmp(argv[1], "verify") == 0)
        return bench_verify(argv[2], argv[3], (int)num(argv[4]));
    fprintf(stderr, "usage: ledger_bench append DIR N | gen LEDGER N PCT PUB | "
                    "verify LEDGER PUB RUNS\n");
    return 2;
}
