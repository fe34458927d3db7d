/* libFuzzer target: the age header parser and the whole decryptor (with a
 * fixed identity), fed in two pieces split at a fuzzer-chosen point so the
 * incremental paths are exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuin.h"
#include "internal.h"

static int discard(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    fuin__header h;
    char err[FUIN_ERRMSG_MAX];
    fuin_decryptor *d;
    size_t split;

    if (!ready) {
        if (fuin_init() != FUIN_OK)
            return 0;
        ready = 1;
    }
    if (fuin__header_parse(data, size, 1, &h, err) == FUIN_OK) {
        if (h.header_len > size || h.mac_input_len > h.header_len)
            __builtin_trap();
        fuin__header_free(&h);
    }
    d = fuin_decryptor_new();
    if (d == NULL)
        return 0;
    /* the key of the testkit's x25519 vectors, so real stanzas can match */
    (void)fuin_decryptor_add_identity(
        d, "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0");
    (void)fuin_decryptor_set_threads(d, 1);
    split = size ? data[0] % (size + 1) : 0;
    if (fuin_decrypt_begin(d, discard, NULL) == FUIN_OK &&
        fuin_decrypt_update(d, data, split) == FUIN_OK &&
        fuin_decrypt_update(d, data + split, size - split) == FUIN_OK)
        (void)fuin_decrypt_final(d);
    fuin_decryptor_free(d);
    return 0;
}
