/* Memory for plaintext and keys in bulk: outside the core dump
 * (MADV_DONTDUMP), locked against swap where the limit allows (mlock is
 * best effort: RLIMIT_MEMLOCK is often 8 MiB for a user), and wiped before
 * it is given back.  Small secrets use sodium_malloc(); this is for the
 * megabyte-sized stream buffers, where guard pages per buffer would not
 * help and mlock() failing must not stop the work. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <sodium.h>

#include "internal.h"

void *fuin__secure_alloc(size_t n)
{
    void *p;
    if (n == 0)
        n = 1;
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, n, MADV_DONTDUMP);
    (void)mlock(p, n);
    return p;
}

void fuin__secure_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    if (n == 0)
        n = 1;
    sodium_memzero(p, n);
    (void)munlock(p, n);
    (void)munmap(p, n);
}
