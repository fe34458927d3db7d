/* libFuzzer target: the strict armor decoder, fed byte-split at a
 * fuzzer-chosen point; output can never exceed 3/4 of the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuin.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuin__armor_dec *a = fuin__armor_dec_new();
    uint8_t *out = malloc(size + 64);
    char err[FUIN_ERRMSG_MAX];
    size_t split = size ? data[0] % (size + 1) : 0, n1 = 0, n2 = 0, n3 = 0;

    if (a == NULL || out == NULL)
        goto done;
    if (fuin__armor_dec_update(a, data, split, out, &n1, err) != FUIN_OK)
        goto done;
    if (fuin__armor_dec_update(a, data + split, size - split, out + n1, &n2, err) != FUIN_OK)
        goto done;
    if (fuin__armor_dec_final(a, out + n1 + n2, &n3, err) != FUIN_OK)
        goto done;
    if ((n1 + n2 + n3) * 4 > size * 3 + 4)
        __builtin_trap();
done:
    fuin__armor_dec_free(a);
    free(out);
    return 0;
}
