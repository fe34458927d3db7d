/* libFuzzer target for lib/ledger/ledger.c: arbitrary bytes as ledger content.
 * The verifier must return what it reports, account for every byte it
 * calls good, and give a one-line reason; the exporters (fed the same
 * bytes through a memfd) must not crash and must fail or succeed cleanly,
 * and must succeed on every ledger that verifies.
 * The verifying key is fixed (FUZZ_KEY below, a throwaway unencrypted
 * test key with no other use) so that seeds made with it (fuzz/seeds.sh
 * can generate some with `fuin ledger` once the CLI exists) carry valid
 * signatures and the fuzzer explores the chain and seq checks too.
 * With FUIN_FUZZ_MAKE_SEEDS=DIR the program writes such seeds (signed
 * ledgers of one and of four records, file, device and physical, and one
 * of operation records, signed and unsigned) into DIR and exits:
 * fuzz/run.sh and the CI smoke run make them each time. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuin.h"
#include "fuin/ledger.h"

static fuin_pubkey pk;

static const char FUZZ_KEY[] =
    "untrusted comment: fuin fuzz_ledger test key, not secret\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/v5BLVeb1wgJqCgffLPLy1ZXXWCX/avZs8JEFf5p/n2JcxW5JUxempUK55ugHVUq8q2JWet3XcqKJxcEAok1oityj369juH2G2cfJpTX7mD/IrEo25ucSjyZVqZpaw3oQgw/6GgcOW8=\n";

static int discard(void *ctx, const uint8_t *buf, size_t len)
{
    (void)buf;
    *(size_t *)ctx += len;
    return 0;
}

static void check_report(const uint8_t *data, size_t size, fuin_status st,
                         const fuin_ledger_report *rep)
{
    size_t lfs = 0;

    for (size_t i = 0; i < size; i++)
        lfs += data[i] == '\n';
    if (rep->status != st || rep->records > lfs)
        abort();
    if (strnlen(rep->reason, sizeof rep->reason) >= sizeof rep->reason ||
        strchr(rep->reason, '\n') != NULL)
        abort();
    if (st == FUIN_OK) {
        /* Accepted: every line is a good record, nothing is torn. */
        if (rep->records != lfs || (size > 0 && data[size - 1] != '\n') ||
            rep->bad_line != 0 || rep->torn)
            abort();
        return;
    }
    if (st != FUIN_E_NOMEM && rep->reason[0] == '\0')
        abort();
    if (rep->torn && (rep->torn_offset >= size || data[size - 1] == '\n' ||
                      (rep->torn_offset > 0 && data[rep->torn_offset - 1] != '\n')))
        abort();
    if (!rep->torn && st != FUIN_E_NOMEM && rep->bad_line != rep->records + 1)
        abort();
}

static void make_seeds(const char *dir)
{
    static const char *const errs[] = {"read error at 4096"};
    fuin_seckey *sk = NULL;
    fuin_label label;
    char path[4096];
    if (fuin_init() != FUIN_OK ||
        fuin_seckey_parse(FUZZ_KEY, sizeof FUZZ_KEY - 1, NULL, 0, &sk, NULL, 0) != FUIN_OK ||
        fuin_label_parse("C3-I2-A2 no-copy", &label, NULL, 0) != FUIN_OK)
        abort();
    for (int n = 1; n <= 4; n += 3) {
        snprintf(path, sizeof path, "%s/ledger-%d", dir, n);
        (void)unlink(path);
        for (int i = 0; i < n; i++) {
            fuin_record r;
            char err[256];
            memset(&r, 0, sizeof r);
            r.start = 1764000000 + i * 60;
            r.end = r.start + 30;
            r.operator_name = "山田 花子";
            r.witness = i == 1 ? "管理 次郎" : NULL;
            r.asset_id = "A-1";
            r.label = i == 2 ? NULL : &label;
            r.target_kind = i == 0 ? "file" : i == 3 ? "physical" : "device";
            r.target_path = i == 0 ? "/tmp/報告.docx" : "/dev/sdb";
            r.target_model = i == 1 ? "USB DISK" : NULL;
            r.target_serial = i == 1 ? "0123" : NULL;
            r.target_size = i == 1 ? 1 << 30 : -1;
            r.method = i == 3 ? "crushed" : "zero-1pass";
            r.category = i == 3 ? "Destroy" : "Clear";
            r.passes = 1;
            r.verify_mode = i == 0 ? "full" : "sample=5";
            r.verify_bytes = 4096;
            r.errors = i == 2 ? errs : NULL;
            r.nerrors = i == 2;
            r.result = i == 2 ? "failure" : "success";
            r.request = i == 1 ? "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                               : NULL;
            if (fuin_ledger_append(path, &r, sk, err, sizeof err) != FUIN_OK) {
                fprintf(stderr, "fuzz_ledger: seed %s: %s\n", path, err);
                exit(1);
            }
        }
    }
    /* operation records: encrypt (unsigned), sign (signed), verify (unsigned) */
    snprintf(path, sizeof path, "%s/ledger-ops", dir);
    (void)unlink(path);
    for (int i = 0; i < 3; i++) {
        static const char *const ops[] = {"encrypt", "sign", "verify"};
        fuin_record r;
        char err[256];
        memset(&r, 0, sizeof r);
        r.start = r.end = 1764000000 + i;
        r.operator_name = "山田 花子";
        r.op = ops[i];
        r.user = "yamada";
        r.detail = i == 0 ? "to age1xyz" : NULL;
        r.label = i == 2 ? NULL : &label;
        r.target_kind = "file";
        r.target_path = "/tmp/報告\t.docx";
        r.target_size = 42;
        r.target_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        r.method = "age";
        r.category = "none";
        r.result = i == 2 ? "failure" : "success";
        if (fuin_ledger_append(path, &r, i == 1 ? sk : NULL, err, sizeof err) != FUIN_OK) {
            fprintf(stderr, "fuzz_ledger: seed %s: %s\n", path, err);
            exit(1);
        }
    }
    fuin_seckey_free(sk);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("FUIN_FUZZ_MAKE_SEEDS");
    (void)argc;
    (void)argv;
    if (dir != NULL)
        make_seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    fuin_ledger_report rep;
    fuin_status st;
    char path[64], err[256];
    size_t outlen = 0;
    int fd;

    if (!ready) {
        fuin_seckey *sk = NULL;
        if (fuin_init() != FUIN_OK ||
            fuin_seckey_parse(FUZZ_KEY, sizeof FUZZ_KEY - 1, NULL, 0, &sk, NULL, 0) != FUIN_OK)
            abort();
        fuin_seckey_public(sk, &pk);
        fuin_seckey_free(sk);
        ready = 1;
    }
    st = fuin_ledger_verify_buf((const char *)data, size, &pk, 1, &rep);
    check_report(data, size, st, &rep);

    fd = memfd_create("ledger", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    {
        fuin_ledger_report rep2;
        fuin_status st2 = fuin_ledger_verify(path, &pk, 1, &rep2);
        /* The file and buffer readers must agree. */
        if (st2 != st || rep2.records != rep.records || rep2.bad_line != rep.bad_line ||
            rep2.torn != rep.torn || strcmp(rep2.reason, rep.reason) != 0)
            abort();
    }
    for (int f = FUIN_LEDGER_CSV; f <= FUIN_LEDGER_TSV + 1; f++) {
        /* the last round: TSV through a filter that reads every field */
        fuin_ledger_filter filt = {"encrypt", "yamada", 2, 1, INT64_MAX};
        fuin_status st3;
        err[0] = '\0';
        st3 = fuin_ledger_export_filtered(path, f > FUIN_LEDGER_TSV ? FUIN_LEDGER_TSV
                                                                     : (fuin_ledger_format)f,
                                          NULL, f > FUIN_LEDGER_TSV ? &filt : NULL, discard,
                                          &outlen, err, sizeof err);
        if (st3 != FUIN_OK && st3 != FUIN_E_NOMEM && (err[0] == '\0' || strchr(err, '\n')))
            abort();
        /* What verifies exports: the exporters' time and field handling
         * accepts every record the verifier does. */
        if (st == FUIN_OK && st3 != FUIN_OK && st3 != FUIN_E_NOMEM)
            abort();
    }
    close(fd);
    return 0;
}
