/*
 * fuin wipe: erasure of files and block devices (issue 4).
 * Included by <fuin.h>; do not include directly.
 *
 * Categories follow NIST SP 800-88 / IEEE 2883.  Everything this module
 * does itself is an overwrite through the host interface, which is "Clear"
 * on every medium: it cannot reach remapped sectors, over-provisioned flash
 * or a copy-on-write filesystem's old blocks, so it is never reported as
 * "Purge".  The device's own sanitize commands (which can be Purge) are
 * in <fuin/sanitize.h>.
 *
 * Patterns: ZERO writes 0x00; RANDOM writes a ChaCha20 (IETF) keystream
 * under a fresh random key per pass, with the 32-bit block counter and the
 * nonce derived from the byte offset, so the same bytes can be regenerated
 * for verification without keeping them.  With passes > 1 every pass writes
 * the pattern (RANDOM: a new key each pass); only the last pass is
 * verified, as nwipe does.
 *
 * Verification reads the medium, not the page cache: devices are opened
 * O_DIRECT when the kernel allows it; otherwise (and for files) the data is
 * fdatasync()ed and the cache dropped (posix_fadvise DONTNEED, BLKFLSBUF)
 * before reading back.  A mismatch or an I/O error fails the wipe and the
 * result names the byte offset.
 *
 * The library never prints or prompts: confirmation is the caller's job.
 */
#ifndef FUIN_WIPE_H
#define FUIN_WIPE_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Text that goes with every file wipe (and into its disposal record). */
#define FUIN_WIPE_FILE_CAVEAT                                                 \
    "file wipe is best-effort on copy-on-write, journaling and flash "        \
    "storage; old copies of the data may remain elsewhere on the medium"

typedef enum {
    FUIN_WIPE_KIND_FILE = 1,   /* regular file                            */
    FUIN_WIPE_KIND_DIR = 2,    /* directory: every regular file inside    */
    FUIN_WIPE_KIND_DEVICE = 3  /* block device (disk or partition)        */
} fuin_wipe_kind;

typedef enum {
    FUIN_WIPE_ZERO = 1,   /* 0x00 bytes                                  */
    FUIN_WIPE_RANDOM = 2  /* ChaCha20 keystream, random key per pass     */
} fuin_wipe_pattern;

typedef enum {
    FUIN_WIPE_CLEAR = 1,   /* overwrite through the host interface        */
    FUIN_WIPE_PURGE = 2,   /* some device sanitize commands             */
    FUIN_WIPE_DESTROY = 3  /* physical destruction (record only)          */
} fuin_wipe_category;

typedef enum {
    FUIN_WIPE_VERIFY_NONE = 0,
    FUIN_WIPE_VERIFY_FULL = 1,
    FUIN_WIPE_VERIFY_SAMPLE = 2 /* sample_pct % of 1 MiB blocks, evenly
                                   spread, always the first and the last */
} fuin_wipe_verify;

/* "zero", "random"; "Clear", "Purge", "Destroy"; "none", "full", "sample".
 * NULL for unknown values. */
FUIN_EXPORT const char *fuin_wipe_pattern_name(fuin_wipe_pattern p);
FUIN_EXPORT const char *fuin_wipe_category_name(fuin_wipe_category c);
FUIN_EXPORT const char *fuin_wipe_verify_name(fuin_wipe_verify v);

/* ---- target inspection ------------------------------------------------ */
#define FUIN_WIPE_TEXT 256

typedef struct {
    fuin_wipe_kind kind;
    char path[4096];            /* as given                                */
    uint64_t size_bytes;        /* file size / device size                 */
    unsigned long nlink;        /* files: hard link count                  */
    /* Block devices only (zero / empty otherwise): */
    char name[64];              /* kernel name, e.g. "sdb1"                */
    char disk[64];              /* whole disk, e.g. "sdb" (= name if disk) */
    unsigned major, minor;
    int is_partition;
    uint32_t logical_block_size;
    uint32_t physical_block_size;
    int rotational;             /* 1 spinning, 0 not, -1 unknown           */
    int removable;              /* 1, 0, -1 unknown                        */
    int read_only;              /* 1, 0, -1 unknown                        */
    char model[128];            /* "" if not exposed                       */
    char serial[128];           /* serial, else wwid; "" if not exposed    */
    char transport[16];         /* usb ata nvme mmc loop virtio dm scsi
                                   unknown: a guess from the sysfs path    */
    int discard;                /* queue/discard_max_bytes > 0             */
    int secure_discard;         /* -1: the kernel does not expose it       */
    /* Reasons to refuse (devices): */
    int mounted;                /* the device or one of its partitions     */
    char mount_point[FUIN_WIPE_TEXT]; /* first one found                   */
    int swap;                   /* the device or a partition is swap       */
    int holders;                /* number of holders (dm, LVM, md RAID)    */
    char holder_names[FUIN_WIPE_TEXT]; /* space separated                  */
    int holds_root;             /* "/" lives on it                         */
    int refused;                /* any of the above                        */
    char refuse_reason[FUIN_WIPE_TEXT];
} fuin_wipe_target;

/* Describe `path` (regular file, directory or block device; symbolic links
 * are not followed).  Fills `t` in every case it can stat the path.  A
 * device that is mounted, holds swap, has holders or holds "/" gives
 * FUIN_E_POLICY with the reason in `err` and t->refuse_reason; FUIN_E_IO if
 * it cannot be examined; FUIN_E_INVALID for other file types.  A device is
 * refused with FUIN_E_ENVIRONMENT when this machine cannot show whether it
 * is in use (/proc/self/mountinfo or /proc/swaps unreadable: /proc is not
 * mounted) or cannot describe it (no sysfs at /sys). */
FUIN_EXPORT fuin_status fuin_wipe_target_probe(const char *path,
                                               fuin_wipe_target *t, char *err,
                                               size_t errcap) FUIN_WUR;

/* ---- wiping --------------------------------------------------------- */
typedef enum {
    FUIN_WIPE_PHASE_WRITE = 1,
    FUIN_WIPE_PHASE_VERIFY = 2
} fuin_wipe_phase;

/* Progress: called at the start of each phase (done == 0) and after each
 * buffer.  `done`/`total` count bytes of the current phase and pass (for a
 * directory: of the current file).  Return non-zero to cancel: the wipe
 * stops, fails with FUIN_E_IO and result.cancelled is set. */
typedef int (*fuin_wipe_progress_fn)(void *ctx, fuin_wipe_phase phase,
                                     unsigned pass, uint64_t done,
                                     uint64_t total);

#define FUIN_WIPE_F_FORCE_LINKS 1u /* wipe files with several hard links */
#define FUIN_WIPE_F_KEEP_FILE 2u   /* overwrite and verify only: keep the
                                      file, its name and its size          */

typedef struct {
    fuin_wipe_pattern pattern; /* default RANDOM                          */
    unsigned passes;           /* default 1; at most 64                   */
    fuin_wipe_verify verify;   /* default FULL                            */
    unsigned sample_pct;       /* 1..100 for VERIFY_SAMPLE                */
    unsigned flags;            /* FUIN_WIPE_F_*                           */
    fuin_wipe_progress_fn progress;
    void *progress_ctx;
} fuin_wipe_options;

/* Defaults: one RANDOM pass, full verification. */
FUIN_EXPORT void fuin_wipe_options_init(fuin_wipe_options *o);

typedef struct {
    int success;               /* 1 only if every byte was written and the
                                  verification (if any) matched            */
    int cancelled;
    fuin_wipe_kind kind;
    fuin_wipe_pattern pattern;
    fuin_wipe_category category; /* always CLEAR for an overwrite          */
    fuin_wipe_verify verify;
    unsigned sample_pct;
    unsigned passes;           /* passes completed                        */
    uint64_t bytes_written;    /* all passes                              */
    uint64_t bytes_verified;
    uint64_t errors;           /* I/O errors and mismatches               */
    int64_t fail_offset;       /* byte offset of the first failure, -1    */
    uint64_t files_wiped;      /* file/dir targets                        */
    uint64_t files_failed;     /* incl. refused (hard links)              */
    uint64_t files_skipped;    /* symlinks, sockets, ... inside a dir     */
    int direct_io;             /* devices: verified with O_DIRECT         */
    int64_t start_time;        /* Unix seconds (UTC)                      */
    int64_t end_time;
    const char *caveat;        /* FUIN_WIPE_FILE_CAVEAT for files, or NULL */
    char message[512];         /* first failure, "" on success            */
} fuin_wipe_result;

/* A block device held for wiping.  Opaque. */
typedef struct fuin_wipe_dev fuin_wipe_dev;

/* Probe `path` into `t` (refusals as in fuin_wipe_target_probe), open it
 * O_RDWR|O_EXCL (O_DIRECT when possible), check that the open file is the
 * probed device and probe again.  While the handle is open nobody can
 * mount the device or open it exclusively, so a caller can show `t`, ask
 * for confirmation and then run the wipe on exactly what it showed.
 *   FUIN_OK         *out holds the device (close it in every case)
 *   FUIN_E_POLICY   refused: t->refuse_reason (or err) says why; EBUSY on
 *                   the exclusive open is a refusal too
 *   FUIN_E_INVALID  not a block device; FUIN_E_IO cannot examine/open it
 *   FUIN_E_ENVIRONMENT  as fuin_wipe_target_probe()
 * `t` is filled whenever the path could be examined. */
FUIN_EXPORT fuin_status fuin_wipe_device_open(const char *path,
                                              fuin_wipe_target *t,
                                              fuin_wipe_dev **out, char *err,
                                              size_t errcap) FUIN_WUR;

/* Overwrite (and verify) the whole held device.  `res` is filled in every
 * case (success == 0 on any error).  May be called more than once. */
FUIN_EXPORT fuin_status fuin_wipe_device_run(fuin_wipe_dev *d,
                                             const fuin_wipe_options *o,
                                             fuin_wipe_result *res) FUIN_WUR;

/* The held descriptor (for the device's own commands, e.g. an ioctl), -1
 * for NULL; and the size in bytes the kernel reports. */
FUIN_EXPORT int fuin_wipe_device_fd(const fuin_wipe_dev *d);
FUIN_EXPORT uint64_t fuin_wipe_device_size(const fuin_wipe_dev *d);

/* Release the device.  FUIN_E_IO if close() reported an error. */
FUIN_EXPORT fuin_status fuin_wipe_device_close(fuin_wipe_dev *d);

/* open + run + close in one call. */
FUIN_EXPORT fuin_status fuin_wipe_device(const char *path,
                                         const fuin_wipe_options *o,
                                         fuin_wipe_result *res) FUIN_WUR;

/* Wipe a regular file (as shred -u): overwrite in place up to its size
 * rounded up to the block size, fdatasync, drop the cache, verify, truncate
 * to 0, rename to a random name in the same directory, fsync the directory,
 * unlink, fsync the directory.  A directory target wipes every regular file
 * below it (symbolic links are never followed, other filesystems mounted
 * inside are not entered, and special files are skipped: both counted in
 * files_skipped; the directories themselves are kept).  A file with several hard links is refused (FUIN_E_POLICY)
 * unless FUIN_WIPE_F_FORCE_LINKS.  For a directory, a failing file does not
 * stop the others; the first failure's status is returned. */
FUIN_EXPORT fuin_status fuin_wipe_file(const char *path,
                                       const fuin_wipe_options *o,
                                       fuin_wipe_result *res) FUIN_WUR;

#ifdef __cplusplus
}
#endif

#endif /* FUIN_WIPE_H */
