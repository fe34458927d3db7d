/*
 * fuin sanitize: the storage device's own erase commands (issue 4).
 * Included by <fuin.h>; do not include directly.
 *
 * fuin does not talk to the drive itself here: it runs the standard tools
 * (nvme-cli's `nvme`, `hdparm`, util-linux `blkdiscard`) with an argument
 * vector built by fuin_sanitize_argv(), through posix_spawn() -- never a
 * shell -- and reads their output.  The tools are looked up only in the
 * fixed directories /usr/sbin, /usr/bin, /sbin and /bin (not $PATH), unless
 * fuin_sanitize_options.tool_dir names one directory instead (the unit
 * tests point it at fake tools).  The children get an empty environment
 * apart from PATH=/usr/sbin:/usr/bin:/sbin:/bin and LC_ALL=C, and
 * /dev/null as standard input.
 *
 * Categories (NIST SP 800-88, IEEE 2883; the reasoning is in docs/wipe.md,
 * section "Device sanitize commands"): fuin is conservative and never
 * claims Purge when in doubt.  The NVMe and ATA SANITIZE block erase and
 * crypto erase are Purge; their overwrite actions are Purge only on
 * rotating media; NVMe Format with secure erase, ATA SECURITY ERASE UNIT
 * and secure discard are recorded as Clear.
 *
 * A sanitize command erases the whole device (for NVMe Sanitize: every
 * namespace of the NVM subsystem), never a partition, and it cannot be
 * interrupted once started: a device keeps sanitizing across resets and
 * power cycles.
 */
#ifndef FUIN_SANITIZE_H
#define FUIN_SANITIZE_H

#ifndef FUIN_H
#error "include <fuin.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- kinds ------------------------------------------------------------ */
/* The numbers are stable (they were public before the names were).  Kinds
 * marked "method" are what a user chooses (`fuin wipe --method NAME`);
 * the others are steps fuin runs as part of a method or of the probe. */
typedef enum {
    FUIN_SANITIZE_BLKDISCARD_SECURE = 1,  /* method secure-discard:
                                             blkdiscard --secure --force DEV */
    FUIN_SANITIZE_NVME_BLOCK_ERASE = 2,   /* method nvme-sanitize-block:
                                             nvme sanitize CTRL --sanact=2 */
    FUIN_SANITIZE_NVME_CRYPTO_ERASE = 3,  /* method nvme-sanitize-crypto:
                                             nvme sanitize CTRL --sanact=4 */
    FUIN_SANITIZE_NVME_OVERWRITE = 4,     /* method nvme-sanitize-overwrite:
                                             nvme sanitize CTRL --sanact=3
                                             --owpass=1 --ovrpat=PATTERN   */
    FUIN_SANITIZE_NVME_FORMAT_USER = 5,   /* method nvme-format-user:
                                             nvme format NS --ses=1 --force */
    FUIN_SANITIZE_NVME_FORMAT_CRYPTO = 6, /* method nvme-format-crypto:
                                             nvme format NS --ses=2 --force */
    FUIN_SANITIZE_ATA_SET_PASSWORD = 7,   /* step ata-security-set-pass:
                                             hdparm --user-master u
                                             --security-set-pass fuin DEV  */
    FUIN_SANITIZE_ATA_SECURITY_ERASE = 8, /* method ata-security-erase:
                                             set-pass, then hdparm
                                             --user-master u
                                             --security-erase fuin DEV     */
    FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED = 9, /* method
                                             ata-security-erase-enhanced:
                                             as above, with
                                             --security-erase-enhanced     */
    FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE = 10, /* method ata-sanitize-crypto:
                                             hdparm
                                             --yes-i-know-what-i-am-doing
                                             --sanitize-crypto-scramble DEV */
    FUIN_SANITIZE_ATA_BLOCK_ERASE = 11,   /* method ata-sanitize-block:
                                             ... --sanitize-block-erase DEV */
    FUIN_SANITIZE_ATA_OVERWRITE = 12,     /* method ata-sanitize-overwrite:
                                             ... --sanitize-overwrite-passes 1
                                             --sanitize-overwrite
                                             hex:PATTERN DEV               */
    FUIN_SANITIZE_ATA_SECURITY_DISABLE = 13, /* step ata-security-disable:
                                             hdparm --user-master u
                                             --security-disable fuin DEV   */
    FUIN_SANITIZE_NVME_SANITIZE_LOG = 14, /* step nvme-sanitize-log (poll):
                                             nvme sanitize-log CTRL -o json */
    FUIN_SANITIZE_ATA_SANITIZE_STATUS = 15, /* step ata-sanitize-status (poll):
                                             hdparm --sanitize-status DEV  */
    FUIN_SANITIZE_NVME_ID_CTRL = 16,      /* step nvme-id-ctrl (probe):
                                             nvme id-ctrl CTRL -o json     */
    FUIN_SANITIZE_ATA_IDENTIFY = 17       /* step ata-identify (probe):
                                             hdparm -I DEV                 */
} fuin_sanitize_kind;

#define FUIN_SANITIZE_KIND_MAX 17
/* Bit of a kind in fuin_sanitize_support.supported / .unknown. */
#define FUIN_SANITIZE_BIT(k) (1u << (unsigned)(k))

/* The temporary ATA user password the security erase sets (the drive
 * clears it again when the erase succeeds; fuin disables it when the erase
 * fails). */
#define FUIN_SANITIZE_ATA_PASSWORD "fuin"

/* Goes with every result of fuin_sanitize_run (fuin_wipe_result.caveat). */
#define FUIN_SANITIZE_NOTE                                                    \
    "not verified by reading back: the device reported completion of its "   \
    "own erase command"

/* Stable names, used on the command line: "nvme-sanitize-crypto",
 * "nvme-sanitize-block", "nvme-sanitize-overwrite", "nvme-format-crypto",
 * "nvme-format-user", "ata-sanitize-crypto", "ata-sanitize-block",
 * "ata-sanitize-overwrite", "ata-security-erase",
 * "ata-security-erase-enhanced", "secure-discard"; steps have names too
 * (see the enum).  NULL for an unknown kind. */
FUIN_EXPORT const char *fuin_sanitize_kind_name(fuin_sanitize_kind kind);

/* The method called `name` (exact, case-sensitive), 0 if `name` is not a
 * method (unknown, or the name of a step). */
FUIN_EXPORT fuin_sanitize_kind fuin_sanitize_kind_from_name(const char *name);

/* 1 if `kind` is a method a user can choose, else 0. */
FUIN_EXPORT int fuin_sanitize_is_method(fuin_sanitize_kind kind);

/* Every method, in fuin's order of preference (the order the list above
 * gives), `*n` of them.  Static storage. */
FUIN_EXPORT const fuin_sanitize_kind *fuin_sanitize_methods(size_t *n);

/* What a method achieves independently of the medium: PURGE or CLEAR
 * (see the top of this file); 0 for steps and unknown kinds.  The overwrite
 * methods are CLEAR here; use fuin_sanitize_category_for with the target. */
FUIN_EXPORT fuin_wipe_category fuin_sanitize_category(fuin_sanitize_kind kind);

/* As fuin_sanitize_category, but the overwrite methods are PURGE when the
 * target is known to be rotating media (t->rotational == 1).  t may be NULL
 * (then as fuin_sanitize_category). */
FUIN_EXPORT fuin_wipe_category fuin_sanitize_category_for(fuin_sanitize_kind kind, const fuin_wipe_target *t);

/* ---- options ---------------------------------------------------------- */
/* Progress: called before each command fuin runs (percent == -1) and after
 * each status poll (percent 0..100, or -1 when the device does not say),
 * and every poll interval (at least a second) while a long command runs
 * (percent -1).
 * `step` is the command concerned.  Return non-zero to stop: fuin stops
 * before its next command or poll (it never kills a running tool; a device
 * that has started sanitizing continues anyway), the result is a failure
 * with `cancelled` set. */
typedef int (*fuin_sanitize_progress_fn)(void *ctx, fuin_sanitize_kind step,
                                         int percent);

/* Run a method whose support the probe could not tell (in
 * fuin_sanitize_support.unknown: secure discard) anyway.  A method the
 * probe found unsupported or unsafe (e.g. an NVMe sanitize that would also
 * erase other namespaces, a frozen ATA security state) is never forced,
 * nor are structural refusals (partition, mounted device, ...). */
#define FUIN_SANITIZE_F_FORCE 1u

typedef struct fuin_sanitize_support fuin_sanitize_support;

typedef struct {
    unsigned flags;              /* FUIN_SANITIZE_F_*                       */
    /* Where the tools are: NULL for the fixed search path
     * /usr/sbin:/usr/bin:/sbin:/bin; otherwise this one directory only. */
    const char *tool_dir;
    /* sysfs mount point, NULL for "/sys" (tests use a fake tree). */
    const char *sysfs_root;
    /* Wait between status polls, in milliseconds (default 10000), and the
     * most polls before fuin gives up waiting (default 60480: a week at
     * the default interval; 0 also means the default). */
    unsigned poll_interval_ms;
    unsigned max_polls;
    /* Overwrite pattern for the overwrite methods (default 0). */
    uint32_t overwrite_pattern;
    /* The probe result for this target.  NULL: fuin_sanitize_run probes
     * first.  When given, a method not in support->supported is refused
     * before anything runs (unless it is in support->unknown and
     * FUIN_SANITIZE_F_FORCE is set). */
    const fuin_sanitize_support *support;
    fuin_sanitize_progress_fn progress;
    void *progress_ctx;
    /* The caller already holds the device exclusively
     * (fuin_wipe_device_open on t->path, e.g. since before its
     * confirmation prompt): fuin_sanitize_run does not open it again, so
     * the hold is never let go.  NULL: it opens and holds it itself. */
    const fuin_wipe_dev *held;
} fuin_sanitize_options;

/* Defaults as described above. */
FUIN_EXPORT void fuin_sanitize_options_init(fuin_sanitize_options *o);

/* ---- command construction --------------------------------------------- */
#define FUIN_SANITIZE_ARGV_MAX 12

typedef struct {
    /* argv[0] is the bare tool name ("nvme", "hdparm", "blkdiscard");
     * argv[argc] is NULL.  Elements point to static strings, into `device`
     * (which must outlive this) or into `buf` -- so use the struct where
     * fuin_sanitize_argv filled it, do not copy it. */
    const char *argv[FUIN_SANITIZE_ARGV_MAX + 1];
    size_t argc;
    char buf[32];
} fuin_sanitize_cmd;

/* Build the argument vector of `kind` (a method's main command or a step)
 * for `device`: the NVMe controller character device (/dev/nvme0) for
 * nvme sanitize, sanitize-log and id-ctrl, the namespace block device
 * (/dev/nvme0n1) for nvme format, the disk for everything else.  `o` may be
 * NULL (defaults; only the overwrite pattern is used).  FUIN_E_INVALID for
 * an unknown kind or a device that is empty or not an absolute path (so it
 * can never be taken for an option). */
FUIN_EXPORT fuin_status fuin_sanitize_argv(fuin_sanitize_kind kind, const char *device, const fuin_sanitize_options *o, fuin_sanitize_cmd *cmd) FUIN_WUR;

/* The same command as shell text, for showing to the user (fuin itself
 * never runs a shell): the words of fuin_sanitize_argv joined by spaces,
 * each single-quoted when it holds anything but [A-Za-z0-9/._+=:-].
 * Written into buf (always NUL-terminated when cap > 0).  Returns the
 * length needed excluding the NUL (like snprintf), 0 when
 * fuin_sanitize_argv refuses. */
FUIN_EXPORT size_t fuin_wipe_sanitize_command(fuin_sanitize_kind kind, const char *device, char *buf, size_t cap);

/* The commands fuin_sanitize_run would run for method `kind` on `t`, in
 * order, one per line (each ending in '\n'), as shell text quoted like
 * fuin_wipe_sanitize_command; the status poll of the sanitize methods is
 * prefixed with "repeat until done: ".  For confirmation prompts and
 * --dry-run.  The NVMe sanitize methods run on the controller: taken from
 * s->controller, or (s NULL or no controller there) found through sysfs
 * at o->sysfs_root.  o (may be NULL) gives the overwrite pattern.  Written
 * into buf like snprintf; returns the length needed excluding the NUL, 0
 * when kind is not a method or a device cannot be named. */
FUIN_EXPORT size_t fuin_sanitize_plan(fuin_sanitize_kind kind, const fuin_wipe_target *t, const fuin_sanitize_support *s, const fuin_sanitize_options *o, char *buf, size_t cap);

/* ---- detection -------------------------------------------------------- */
#define FUIN_SANITIZE_WHY 192

struct fuin_sanitize_support {
    uint32_t supported;          /* FUIN_SANITIZE_BIT(method) for each
                                    method the device reports it supports  */
    uint32_t unknown;            /* methods that may work, but nothing
                                    harmless tells (secure-discard)        */
    /* For every method not in `supported`: why not, one line, e.g.
     * "ATA security is frozen: suspend and resume the machine, or
     * re-plug the drive, then try again".  "" for supported methods and
     * for steps. */
    char why_not[FUIN_SANITIZE_KIND_MAX + 1][FUIN_SANITIZE_WHY];
    /* NVMe: the controller character device of the namespace, e.g.
     * "/dev/nvme0" ("" if not NVMe or not found in sysfs). */
    char controller[64];
    /* Raw capability values as the tools reported them (0 if not read). */
    uint32_t nvme_sanicap;       /* Identify Controller SANICAP            */
    uint32_t nvme_fna;           /* FNA: bit 0/1 set = format / secure
                                    erase applies to ALL namespaces        */
    uint32_t nvme_oacs;          /* OACS                                   */
    int ata_security_frozen;     /* 1, 0, -1 unknown                       */
    int ata_sanitize_frozen;     /* 1, 0, -1 unknown                       */
};

/* Find out which methods the device `t` (from fuin_wipe_target_probe)
 * supports.  NVMe (t->transport "nvme"): the controller is found through
 * sysfs (<sysfs>/block/NAME/device, or the first path of a multipath
 * namespace), then `nvme id-ctrl CTRL -o json` is read: SANICAP bit 0/1/2 =
 * sanitize crypto erase / block erase / overwrite, OACS bit 1 = Format NVM,
 * FNA bit 2 = cryptographic erase as part of a format.  ATA ("ata",
 * "sata", "usb", "scsi"): `hdparm -I DEV` (ATA Security: supported, not
 * enabled, not locked, not frozen, not expired; "supported: enhanced
 * erase"; the SANITIZE feature set and its CRYPTO_SCRAMBLE_EXT /
 * BLOCK_ERASE_EXT / OVERWRITE_EXT commands), and, when the SANITIZE feature
 * set is there, `hdparm --sanitize-status DEV` (to see a sanitize freeze
 * lock).  Secure discard is always "unknown": the kernel does not publish
 * secure-erase support, and its only test (BLKSECDISCARD) needs the device
 * open for writing.  Nothing is ever written to the device.
 *
 * A partition, or a transport without sanitize commands (loop, dm, md,
 * mmc, virtio, ...), gives FUIN_OK with nothing supported; a missing or
 * failing tool likewise, with the reason in why_not.  FUIN_E_INVALID
 * (message in err) only for a target that is not a block device;
 * FUIN_E_NOMEM. */
FUIN_EXPORT fuin_status fuin_sanitize_probe(const fuin_wipe_target *t, const fuin_sanitize_options *o, fuin_sanitize_support *out, char *err, size_t errcap) FUIN_WUR;

/* The first method, in fuin_sanitize_methods order, that `s` reports as
 * supported and that achieves Purge on `t` (fuin_sanitize_category_for);
 * 0 if none does. */
FUIN_EXPORT fuin_sanitize_kind fuin_sanitize_recommend(const fuin_sanitize_support *s, const fuin_wipe_target *t);

/* ---- execution -------------------------------------------------------- */
/* Whether method `kind` may run on the device `t` given the probe result
 * `s` (NULL: check only the target) and FUIN_SANITIZE_F_* `flags`: the
 * checks fuin_sanitize_run makes before it runs anything, for callers that
 * must refuse before asking for confirmation.  FUIN_OK; FUIN_E_POLICY with
 * the reason (one line, without the method's or the device's name) in
 * `why`: a partition, a refused target, a method neither supported nor
 * (forced and) undetectable; FUIN_E_INVALID for a kind that is not a
 * method or a target that is not a device. */
FUIN_EXPORT fuin_status fuin_sanitize_allowed(fuin_sanitize_kind kind,
                                              const fuin_wipe_target *t,
                                              const fuin_sanitize_support *s,
                                              unsigned flags, char *why,
                                              size_t cap);

/* Run method `kind` on the whole device `t` (from fuin_wipe_target_probe).
 *
 * Refused (FUIN_E_POLICY, nothing run, res->message says why): a partition,
 * a target fuin_wipe_target_probe refused (mounted, swap, holders, holds
 * "/"), a method the probe did not report as supported (unless
 * FUIN_SANITIZE_F_FORCE), a block device that another program holds
 * exclusively (EBUSY).  The device is held open O_EXCL (when t->path is a
 * block device) for the whole run, so nothing can mount it meanwhile.
 *
 * Sequences: NVMe sanitize: `nvme sanitize`, then `nvme sanitize-log` every
 * poll interval until the log's status says completed (success only if the
 * log also names the sanitize action fuin started), failed, or never
 * started.  NVMe format: `nvme format` (synchronous).  ATA security erase:
 * set the temporary password, erase; if the erase fails (or fuin is
 * cancelled in between), `--security-disable` removes the password again.
 * ATA sanitize: `hdparm --sanitize-*`, then `hdparm --sanitize-status`
 * until SD2 (in progress) ends with "Completed Without Error".  Secure
 * discard: `blkdiscard --secure --force` (--force because fuin itself
 * holds the O_EXCL open).
 *
 * `res` is filled in every case: kind DEVICE, category
 * fuin_sanitize_category_for(kind, t), verify NONE, passes 0, pattern 0,
 * bytes_written 0 and bytes_verified 0 (the device erased; fuin wrote and
 * read nothing), caveat FUIN_SANITIZE_NOTE, start/end times, success, and
 * on failure a one-line message naming the command and quoting its
 * standard error (bounded).  Returns FUIN_OK on success; FUIN_E_POLICY for
 * refusals; FUIN_E_IO when a tool is missing or fails, the device reports
 * failure, fuin gives up waiting, or it was cancelled; FUIN_E_INVALID for
 * bad arguments (not a method, NULL pointers). */
FUIN_EXPORT fuin_status fuin_sanitize_run(fuin_sanitize_kind kind, const fuin_wipe_target *t, const fuin_sanitize_options *o, fuin_wipe_result *res) FUIN_WUR;

#ifdef __cplusplus
}
#endif

#endif /* FUIN_SANITIZE_H */
