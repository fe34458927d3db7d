/*
 * Benchmark driver for bench/wipe.sh: runs fuin_wipe_device() on one block
 * device, because the benchmark must not depend on the `fuin wipe` command
 * (its confirmation prompt, ledger and signing key are not what is measured).
 *
 *   wipe_bench zero|random full|none|sample=PCT DEVICE
 *
 * Prints one line with the result; exit 0 only on a successful wipe.
 */
#include <fuin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: wipe_bench zero|random full|none|sample=PCT DEVICE\n");
        return 2;
    }
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "wipe_bench: fuin_init failed\n");
        return 6;
    }
    fuin_wipe_options o;
    fuin_wipe_options_init(&o);
    if (strcmp(argv[1], "zero") == 0)
        o.pattern = FUIN_WIPE_ZERO;
    else if (strcmp(argv[1], "random") == 0)
        o.pattern = FUIN_WIPE_RANDOM;
    else {
        fprintf(stderr, "wipe_bench: unknown pattern '%s'\n", argv[1]);
        return 2;
    }
    if (strcmp(argv[2], "full") == 0) {
        o.verify = FUIN_WIPE_VERIFY_FULL;
    } else if (strcmp(argv[2], "none") == 0) {
        o.verify = FUIN_WIPE_VERIFY_NONE;
    } else if (strncmp(argv[2], "sample=", 7) == 0) {
        char *end = NULL;
        unsigned long pct = strtoul(argv[2] + 7, &end, 10);
        if (end == argv[2] + 7 || *end != '\0' || pct < 1 || pct > 100) {
            fprintf(stderr, "wipe_bench: bad sample percentage '%s'\n", argv[2] + 7);
            return 2;
        }
        o.verify = FUIN_WIPE_VERIFY_SAMPLE;
        o.sample_pct = (unsigned)pct;
    } else {
        fprintf(stderr, "wipe_bench: unknown verification '%s'\n", argv[2]);
        return 2;
    }

    fuin_wipe_result res;
    fuin_status st = fuin_wipe_device(argv[3], &o, &res);
    printf("wipe_bench: %s %s %s: %s written=%llu verified=%llu direct_io=%d%s%s\n",
           argv[1], argv[2], argv[3], res.success ? "success" : "FAILURE",
           (unsigned long long)res.bytes_written,
           (unsigned long long)res.bytes_verified, res.direct_io,
           res.message[0] ? " message=" : "", res.message);
    if (st != FUIN_OK || !res.success) {
        fprintf(stderr, "wipe_bench: %s: %s\n", argv[3], fuin_strerror(st));
        return 1;
    }
    return 0;
}
