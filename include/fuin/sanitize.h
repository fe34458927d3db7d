/*
 * fuin sanitize: the storage device's own erase commands (issue 4).
 * Included by <fuin.h>; do not include directly.
 */
#ifndef FUIN_SANITIZE_H
#define FUIN_SANITIZE_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device sanitize commands (built, not executed) ------------------ */
typedef enum {
    FUIN_SANITIZE_BLKDISCARD_SECURE = 1, /* blkdiscard --secure DEV        */
    FUIN_SANITIZE_NVME_BLOCK_ERASE = 2,  /* nvme sanitize DEV --sanact=2   */
    FUIN_SANITIZE_NVME_CRYPTO_ERASE = 3, /* nvme sanitize DEV --sanact=4   */
    FUIN_SANITIZE_NVME_OVERWRITE = 4,    /* nvme sanitize DEV --sanact=3   */
    FUIN_SANITIZE_NVME_FORMAT_USER = 5,  /* nvme format DEV --ses=1        */
    FUIN_SANITIZE_NVME_FORMAT_CRYPTO = 6,/* nvme format DEV --ses=2        */
    FUIN_SANITIZE_ATA_SET_PASSWORD = 7,  /* hdparm: set the temporary user
                                            password that erase needs      */
    FUIN_SANITIZE_ATA_SECURITY_ERASE = 8,
    FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED = 9
} fuin_sanitize_kind;

/* The temporary ATA user password the hdparm commands use. */
#define FUIN_SANITIZE_ATA_PASSWORD "fuin"

/* Build the shell command line for `kind` on `device` into buf (always
 * NUL-terminated when cap > 0).  The device is single-quoted when it holds
 * anything but [A-Za-z0-9/._+-].  Returns the length needed excluding the
 * NUL (like snprintf), 0 for an unknown kind or an empty device. */
FUIN_EXPORT size_t fuin_wipe_sanitize_command(fuin_sanitize_kind kind,
                                              const char *device, char *buf,
                                              size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* FUIN_SANITIZE_H */
