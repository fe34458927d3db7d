/* Device sanitize commands: see include/fuin/sanitize.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuin.h"

/* ------------------------------------------------------------------ */
/* sanitize command lines                                              */
/* ------------------------------------------------------------------ */

static int needs_quote(const char *s)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '.' ||
              ch == '_' || ch == '+' || ch == '-'))
            return 1;
    }
    return 0;
}

/* POSIX shell single quoting: ' becomes '\'' */
static size_t quote(const char *s, char *out, size_t cap)
{
    size_t n = 0;
#define PUT(ch)                                                                \
    do {                                                                       \
        if (n + 1 < cap)                                                       \
            out[n] = (ch);                                                     \
        n++;                                                                   \
    } while (0)
    if (!needs_quote(s)) {
        for (; *s; s++)
            PUT(*s);
    } else {
        PUT('\'');
        for (; *s; s++) {
            if (*s == '\'') {
                PUT('\'');
                PUT('\\');
                PUT('\'');
                PUT('\'');
            } else {
                PUT(*s);
            }
        }
        PUT('\'');
    }
#undef PUT
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t fuin_wipe_sanitize_command(fuin_sanitize_kind kind, const char *device,
                                  char *buf, size_t cap)
{
    const char *pre = NULL, *post = "";
    char *q;
    size_t qn;
    int n;

    if (buf != NULL && cap > 0)
        buf[0] = '\0';
    if (device == NULL || device[0] == '\0')
        return 0;
    switch (kind) {
    case FUIN_SANITIZE_BLKDISCARD_SECURE: pre = "blkdiscard --secure "; break;
    case FUIN_SANITIZE_NVME_BLOCK_ERASE:
        pre = "nvme sanitize ";
        post = " --sanact=2";
        break;
    case FUIN_SANITIZE_NVME_CRYPTO_ERASE:
        pre = "nvme sanitize ";
        post = " --sanact=4";
        break;
    case FUIN_SANITIZE_NVME_OVERWRITE:
        pre = "nvme sanitize ";
        post = " --sanact=3";
        break;
    case FUIN_SANITIZE_NVME_FORMAT_USER:
        pre = "nvme format ";
        post = " --ses=1";
        break;
    case FUIN_SANITIZE_NVME_FORMAT_CRYPTO:
        pre = "nvme format ";
        post = " --ses=2";
        break;
    case FUIN_SANITIZE_ATA_SET_PASSWORD:
        pre = "hdparm --user-master u --security-set-pass "
              FUIN_SANITIZE_ATA_PASSWORD " ";
        break;
    case FUIN_SANITIZE_ATA_SECURITY_ERASE:
        pre = "hdparm --user-master u --security-erase "
              FUIN_SANITIZE_ATA_PASSWORD " ";
        break;
    case FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED:
        pre = "hdparm --user-master u --security-erase-enhanced "
              FUIN_SANITIZE_ATA_PASSWORD " ";
        break;
    }
    if (pre == NULL)
        return 0;
    qn = quote(device, NULL, 0);
    q = malloc(qn + 1);
    if (q == NULL)
        return 0;
    quote(device, q, qn + 1);
    n = snprintf(buf, cap, "%s%s%s", pre, q, post);
    free(q);
    return n < 0 ? 0 : (size_t)n;
}
