/* Device wipes on loop devices (needs root and /dev/loop-control; skipped
 * with exit 77 otherwise): canaries planted in the backing file at the
 * first, middle and last sectors and in between are all gone after a zero
 * and a random wipe; verification covers every byte; a corrupted block is a
 * failure at its byte offset; a file wiped on ext4 is gone from the raw
 * image; mounted, swap, in-use, held (device-mapper)
 * and root devices are refused.  Everything set up is torn down at exit. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"
#include "fuin/wipe.h"
#include "internal.h"

#define MIB (1024u * 1024u)
#define IMG_SIZE (64u * MIB)
#define CANARY "FUIN-CANARY-DEVICE-9c41"
#define EXT4_CANARY "FUIN-EXT4-CANARY-51d2"

static char tmpdir[256];
static char img[300], loopdev[64];        /* the 64 MiB target */
static char img2[300], loop2[64], mnt[300]; /* ext4, mounted */
static char img3[300], loop3[64];          /* swap / device-mapper */
static char dmname[64], dmerr[64];
static int mounted, swapped;
static char rodev[64];                     /* read-only attachment */
static char partdev[64], partmnt[420];      /* partitioned loop device */

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int run_out(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n;
    if (p == NULL)
        return -1;
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

static void cleanup(void)
{
    char cmd[700];
    if (dmerr[0]) {
        snprintf(cmd, sizeof cmd, "dmsetup remove %s 2>/dev/null", dmerr);
        (void)run(cmd);
    }
    if (dmname[0]) {
        snprintf(cmd, sizeof cmd, "dmsetup remove %s 2>/dev/null", dmname);
        (void)run(cmd);
    }
    if (swapped)
        (void)swapoff(loop3);
    if (mounted)
        (void)umount2(mnt, MNT_DETACH);
    if (partmnt[0])
        (void)umount2(partmnt, MNT_DETACH);
    if (partdev[0]) {
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", partdev);
        (void)run(cmd);
    }
    if (tmpdir[0]) {
        char inner[400];
        snprintf(inner, sizeof inner, "%s/tree/inner", tmpdir);
        (void)umount2(inner, MNT_DETACH); /* if a test stopped early */
    }
    if (loopdev[0]) {
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", loopdev);
        (void)run(cmd);
    }
    if (loop2[0]) {
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", loop2);
        (void)run(cmd);
    }
    if (rodev[0]) {
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", rodev);
        (void)run(cmd);
    }
    if (loop3[0]) {
        snprintf(cmd, sizeof cmd, "losetup -d %s 2>/dev/null", loop3);
        (void)run(cmd);
    }
    if (tmpdir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        (void)run(cmd);
    }
}

static int make_image(const char *path, size_t size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int attach(const char *path, char *dev, size_t cap)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "losetup -f --show '%s' 2>/dev/null", path);
    if (run_out(cmd, dev, cap) != 0 || strncmp(dev, "/dev/loop", 9) != 0) {
        dev[0] = '\0';
        return -1;
    }
    return 0;
}

/* Offsets of the canaries: first sector, the sector boundary after it,
 * middle, last sector (start and end), and one per MiB in between. */
static size_t canary_offsets(uint64_t *offs, size_t cap)
{
    size_t n = 0;
    const uint64_t len = sizeof CANARY - 1;
    offs[n++] = 0;
    offs[n++] = 512;
    offs[n++] = IMG_SIZE / 2;
    offs[n++] = IMG_SIZE - 512;
    offs[n++] = IMG_SIZE - len;
    for (uint64_t o = MIB + 777; o + len < IMG_SIZE && n < cap; o += MIB)
        offs[n++] = o;
    return n;
}

static void plant_canaries(void)
{
    uint64_t offs[128];
    size_t n = canary_offsets(offs, 128);
    int fd = open(img, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pwrite(fd, CANARY, sizeof CANARY - 1, (off_t)offs[i]),
                         (ssize_t)(sizeof CANARY - 1));
    assert_int_equal(fsync(fd), 0);
    close(fd);
    /* The loop device must not answer from its own cache of old blocks. */
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "blockdev --flushbufs %s", loopdev);
        assert_int_equal(run(cmd), 0);
    }
}

/* The raw image as the loop device left it. */
static uint8_t *read_image(void)
{
    uint8_t *b = malloc(IMG_SIZE);
    int fd = open(img, O_RDONLY | O_CLOEXEC);
    size_t done = 0;
    assert_non_null(b);
    assert_true(fd >= 0);
    while (done < IMG_SIZE) {
        ssize_t n = read(fd, b + done, IMG_SIZE - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    close(fd);
    return b;
}

static size_t count_canaries(const uint8_t *b)
{
    size_t n = 0;
    const uint8_t *p = b;
    size_t left = IMG_SIZE;
    const uint8_t *hit;
    while ((hit = memmem(p, left, CANARY, sizeof CANARY - 1)) != NULL) {
        n++;
        left -= (size_t)(hit - p) + 1;
        p = hit + 1;
    }
    return n;
}

typedef struct {
    uint64_t write_done, write_total, verify_done, verify_total;
    unsigned calls;
    int tamper_fd;
    uint64_t tamper_at;
    uint64_t cancel_after; /* > 0: cancel once this many bytes are written */
} prog;

static int on_progress(void *ctx, fuin_wipe_phase ph, unsigned pass,
                       uint64_t done, uint64_t total)
{
    prog *p = ctx;
    (void)pass;
    p->calls++;
    if (ph == FUIN_WIPE_PHASE_WRITE) {
        if (p->cancel_after > 0 && done >= p->cancel_after)
            return 1;
        p->write_done = done;
        p->write_total = total;
    } else {
        p->verify_done = done;
        p->verify_total = total;
        if (done == 0 && p->tamper_fd >= 0) {
            /* Corrupt one byte behind the wipe's back, in the backing
             * file, as a failing medium would (flip all its bits, so the
             * result differs from any pattern). */
            uint8_t x;
            if (pread(p->tamper_fd, &x, 1, (off_t)p->tamper_at) != 1)
                return 1;
            x ^= 0xFF;
            if (pwrite(p->tamper_fd, &x, 1, (off_t)p->tamper_at) != 1)
                return 1;
            if (fsync(p->tamper_fd) != 0)
                return 1;
        }
    }
    return 0;
}

static void test_probe_loop(void **state)
{
    fuin_wipe_target t;
    char err[512];
    (void)state;
    assert_int_equal(fuin_wipe_target_probe(loopdev, &t, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(t.kind, FUIN_WIPE_KIND_DEVICE);
    assert_int_equal(t.size_bytes, IMG_SIZE);
    assert_string_equal(t.name, loopdev + 5);
    assert_string_equal(t.disk, loopdev + 5);
    assert_string_equal(t.transport, "loop");
    assert_int_equal(t.major, 7);
    assert_int_equal(t.is_partition, 0);
    assert_int_equal(t.logical_block_size, 512);
    assert_true(t.physical_block_size >= 512);
    assert_int_equal(t.secure_discard, -1);
    assert_int_equal(t.mounted, 0);
    assert_int_equal(t.swap, 0);
    assert_int_equal(t.holders, 0);
    assert_int_equal(t.holds_root, 0);
    assert_int_equal(t.refused, 0);
    assert_string_equal(t.refuse_reason, "");
}

static void wipe_and_check(fuin_wipe_pattern pat)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    prog p = {0};
    uint8_t *b;
    size_t zeros = 0;

    plant_canaries();
    b = read_image();
    assert_true(count_canaries(b) >= 60);
    free(b);

    fuin_wipe_options_init(&o);
    o.pattern = pat;
    o.verify = FUIN_WIPE_VERIFY_FULL;
    p.tamper_fd = -1;
    o.progress = on_progress;
    o.progress_ctx = &p;
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_OK);
    assert_string_equal(r.message, "");
    assert_int_equal(r.success, 1);
    assert_int_equal(r.kind, FUIN_WIPE_KIND_DEVICE);
    assert_int_equal(r.category, FUIN_WIPE_CLEAR);
    assert_int_equal(r.pattern, pat);
    assert_int_equal(r.passes, 1);
    assert_int_equal(r.bytes_written, IMG_SIZE);
    assert_int_equal(r.bytes_verified, IMG_SIZE);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.fail_offset, -1);
    assert_null(r.caveat);
    assert_int_equal(r.direct_io, 1);
    assert_int_equal(p.write_done, IMG_SIZE);
    assert_int_equal(p.write_total, IMG_SIZE);
    assert_int_equal(p.verify_done, IMG_SIZE);
    assert_int_equal(p.verify_total, IMG_SIZE);
    assert_true(p.calls >= 2 * (IMG_SIZE / (4 * MIB)));

    b = read_image();
    assert_int_equal(count_canaries(b), 0);
    for (size_t i = 0; i < IMG_SIZE; i++)
        zeros += b[i] == 0;
    if (pat == FUIN_WIPE_ZERO)
        assert_int_equal(zeros, IMG_SIZE);
    else
        assert_true(zeros < IMG_SIZE / 128); /* ~1/256 expected */
    free(b);
}

static void test_wipe_zero(void **state)
{
    (void)state;
    wipe_and_check(FUIN_WIPE_ZERO);
}

static void test_wipe_random(void **state)
{
    (void)state;
    wipe_and_check(FUIN_WIPE_RANDOM);
}

static void test_multipass_and_sample(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    uint8_t *b;
    (void)state;
    plant_canaries();
    fuin_wipe_options_init(&o);
    o.passes = 2;
    o.verify = FUIN_WIPE_VERIFY_SAMPLE;
    o.sample_pct = 10; /* ceil(64 * 10%) = 7 blocks of 1 MiB */
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.passes, 2);
    assert_int_equal(r.bytes_written, 2ull * IMG_SIZE);
    assert_int_equal(r.bytes_verified, 7ull * MIB);
    assert_int_equal(r.verify, FUIN_WIPE_VERIFY_SAMPLE);
    b = read_image();
    assert_int_equal(count_canaries(b), 0);
    free(b);
}

static void mismatch(fuin_wipe_pattern pat, uint64_t at)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    prog p = {0};
    char want[128];
    fuin_wipe_options_init(&o);
    o.pattern = pat;
    p.tamper_fd = open(img, O_RDWR | O_CLOEXEC);
    assert_true(p.tamper_fd >= 0);
    p.tamper_at = at;
    o.progress = on_progress;
    o.progress_ctx = &p;
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_E_IO);
    close(p.tamper_fd);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.errors, 1);
    assert_int_equal(r.fail_offset, (int64_t)at);
    assert_int_equal(r.bytes_written, IMG_SIZE);
    assert_int_equal(r.bytes_verified, at);
    assert_int_equal(r.passes, 0); /* the pass did not complete */
    snprintf(want, sizeof want, "verification mismatch at byte %llu",
             (unsigned long long)at);
    assert_non_null(strstr(r.message, want));
}

static void test_mismatch_is_failure(void **state)
{
    (void)state;
    mismatch(FUIN_WIPE_ZERO, 40ull * MIB + 100);
    mismatch(FUIN_WIPE_RANDOM, 50ull * MIB + 3);
    mismatch(FUIN_WIPE_RANDOM, IMG_SIZE - 1);
}

static void test_cancel(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    prog p = {0};
    (void)state;
    fuin_wipe_options_init(&o);
    p.tamper_fd = -1;
    p.cancel_after = 12ull * MIB;
    o.progress = on_progress;
    o.progress_ctx = &p;
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.cancelled, 1);
    assert_int_equal(r.bytes_written, 12ull * MIB);
    assert_int_equal(r.bytes_verified, 0);
    assert_int_equal(r.passes, 0);
    assert_non_null(strstr(r.message, "cancelled"));
}

/* A device that cannot be written: depending on the kernel the read-write
 * open or the first write fails; either way nothing is claimed. */
static void test_read_only_fails(void **state)
{
    fuin_wipe_target t;
    fuin_wipe_options o;
    fuin_wipe_result r;
    char cmd[400], err[512];
    (void)state;
    snprintf(cmd, sizeof cmd, "losetup -r -f --show '%s' 2>/dev/null", img3);
    if (run_out(cmd, rodev, sizeof rodev) != 0 ||
        strncmp(rodev, "/dev/loop", 9) != 0) {
        rodev[0] = '\0';
        printf("SKIP: losetup -r failed\n");
        skip();
    }
    assert_int_equal(fuin_wipe_target_probe(rodev, &t, err, sizeof err),
                     FUIN_OK);
    assert_int_equal(t.read_only, 1);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(rodev, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.bytes_written, 0);
    assert_int_equal(r.passes, 0);
    assert_int_equal(r.bytes_verified, 0);
    snprintf(cmd, sizeof cmd, "%s: cannot open: ", rodev);
    if (strncmp(r.message, cmd, strlen(cmd)) != 0) {
        assert_int_equal(r.errors, 1);
        assert_int_equal(r.fail_offset, 0);
        snprintf(cmd, sizeof cmd, "%s: write failed at byte 0: ", rodev);
        assert_memory_equal(r.message, cmd, strlen(cmd));
    }
}

static void test_in_use_refused(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    int fd;
    (void)state;
    fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
    assert_true(fd >= 0);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_E_POLICY);
    close(fd);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.bytes_written, 0);
    assert_non_null(strstr(r.message, "in use"));
}

static void test_mounted_refused(void **state)
{
    fuin_wipe_target t;
    fuin_wipe_options o;
    fuin_wipe_result r;
    char err[512], cmd[700], f[400], buf[64] = {0};
    int fd;
    (void)state;
    if (!mounted) {
        snprintf(cmd, sizeof cmd, "mkfs.ext4 -q -F %s >/dev/null 2>&1", loop2);
        if (run(cmd) != 0 || mount(loop2, mnt, "ext4", 0, NULL) != 0) {
            printf("SKIP: cannot mkfs.ext4 and mount %s (%s)\n", loop2,
                   strerror(errno));
            skip();
        }
        mounted = 1;
    }
    snprintf(f, sizeof f, "%s/keep.txt", mnt);
    fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, CANARY, sizeof CANARY - 1),
                     (ssize_t)(sizeof CANARY - 1));
    assert_int_equal(fsync(fd), 0);
    close(fd);

    assert_int_equal(fuin_wipe_target_probe(loop2, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_int_equal(t.mounted, 1);
    assert_int_equal(t.refused, 1);
    assert_string_equal(t.mount_point, mnt);
    snprintf(cmd, sizeof cmd, "%s: refused: it is mounted at %s", loop2, mnt);
    assert_string_equal(err, cmd);

    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(loop2, &o, &r), FUIN_E_POLICY);
    assert_int_equal(r.success, 0);
    assert_int_equal(r.bytes_written, 0);
    assert_string_equal(r.message, cmd);

    /* The file system is untouched. */
    fd = open(f, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)(sizeof CANARY - 1));
    close(fd);
    assert_string_equal(buf, CANARY);
}

/* A canary file on ext4, wiped as a file: gone from the raw image (ext4's
 * default data=ordered journals metadata only, so data is overwritten in
 * place; the caveat covers data=journal and copy-on-write filesystems). */
static void test_ext4_file_wipe(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char f[400];
    uint8_t *b;
    size_t len = 200000, found = 0;
    int fd;
    (void)state;
    if (!mounted) {
        printf("SKIP: the ext4 image is not mounted\n");
        skip();
    }
    b = malloc(16 * MIB);
    assert_non_null(b);
    memset(b, 'x', len);
    for (size_t off = 0; off + 100 + sizeof EXT4_CANARY - 1 <= len; off += 4096)
        memcpy(b + off + 100, EXT4_CANARY, sizeof EXT4_CANARY - 1);
    snprintf(f, sizeof f, "%s/secret.bin", mnt);
    fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    assert_int_equal(fsync(fd), 0);
    close(fd);
    sync();
    fd = open(img2, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, b, 16 * MIB), (ssize_t)(16 * MIB));
    close(fd);
    for (uint8_t *p = b; (p = memmem(p, (size_t)(b + 16 * MIB - p),
                                     EXT4_CANARY, sizeof EXT4_CANARY - 1)) !=
                         NULL;
         p++)
        found++;
    assert_true(found >= 40); /* the canaries reached the image */

    fuin_wipe_options_init(&o);
    o.pattern = FUIN_WIPE_ZERO;
    assert_int_equal(fuin_wipe_file(f, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(access(f, F_OK), -1);
    sync();
    fd = open(img2, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, b, 16 * MIB), (ssize_t)(16 * MIB));
    close(fd);
    assert_null(memmem(b, 16 * MIB, EXT4_CANARY, sizeof EXT4_CANARY - 1));
    /* Control: the untouched keep.txt is still readable in the raw image. */
    assert_non_null(memmem(b, 16 * MIB, CANARY, sizeof CANARY - 1));
    free(b);
}

static void test_swap_refused(void **state)
{
    fuin_wipe_target t;
    char err[512], cmd[400];
    (void)state;
    snprintf(cmd, sizeof cmd, "mkswap %s >/dev/null 2>&1", loop3);
    if (run(cmd) != 0 || swapon(loop3, 0) != 0) {
        printf("SKIP: cannot mkswap/swapon %s here (%s)\n", loop3,
               strerror(errno));
        skip();
    }
    swapped = 1;
    assert_int_equal(fuin_wipe_target_probe(loop3, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_int_equal(t.swap, 1);
    assert_non_null(strstr(err, "it is in use as swap"));
    assert_int_equal(swapoff(loop3), 0);
    swapped = 0;
    assert_int_equal(fuin_wipe_target_probe(loop3, &t, err, sizeof err),
                     FUIN_OK);
}

/* A directory wipe does not descend into another filesystem mounted
 * inside it. */
static void test_dir_wipe_stays_on_filesystem(void **state)
{
    fuin_wipe_options o;
    fuin_wipe_result r;
    char d[400], m[420], fa[440], fb[440], buf[64] = {0};
    int fd;
    (void)state;
    snprintf(d, sizeof d, "%s/tree", tmpdir);
    snprintf(m, sizeof m, "%s/inner", d);
    snprintf(fa, sizeof fa, "%s/a.txt", d);
    snprintf(fb, sizeof fb, "%s/b.txt", m);
    assert_int_equal(mkdir(d, 0700), 0);
    assert_int_equal(mkdir(m, 0700), 0);
    if (mount("tmpfs", m, "tmpfs", 0, "size=1m") != 0) {
        printf("SKIP: cannot mount a tmpfs (%s)\n", strerror(errno));
        skip();
    }
    fd = open(fa, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, CANARY, 5), 5);
    close(fd);
    fd = open(fb, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, CANARY, sizeof CANARY - 1),
                     (ssize_t)(sizeof CANARY - 1));
    close(fd);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_file(d, &o, &r), FUIN_OK);
    assert_int_equal(r.files_wiped, 1);
    assert_int_equal(r.files_skipped, 1);
    assert_int_not_equal(access(fa, F_OK), 0);
    fd = open(fb, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)(sizeof CANARY - 1));
    close(fd);
    assert_int_equal(umount(m), 0);
    assert_string_equal(buf, CANARY);
}

/* A disk whose partition is mounted is refused as a whole; its other,
 * unused partition can be wiped, and only that partition is written. */
static void test_partitions(void **state)
{
    char pimg[400], dev[64], p1[400], p2[400], pm[420], f[460], cmd[600];
    char err[512], buf[64] = {0};
    uint8_t mbr[512] = {0};
    const uint32_t s1 = 2048, n1 = 24576, s2 = s1 + n1, n2 = 65536 - s2;
    fuin_wipe_target t;
    fuin_wipe_options o;
    fuin_wipe_result r;
    uint8_t *img_after;
    int fd, tries;
    (void)state;
    snprintf(pimg, sizeof pimg, "%s/parted.img", tmpdir);
    assert_int_equal(make_image(pimg, 32 * MIB), 0);
    /* A DOS partition table: two Linux partitions. */
    for (int i = 0; i < 2; i++) {
        uint8_t *e = mbr + 446 + 16 * i;
        uint32_t start = i == 0 ? s1 : s2, n = i == 0 ? n1 : n2;
        e[4] = 0x83;
        for (int b = 0; b < 4; b++) {
            e[8 + b] = (uint8_t)(start >> (8 * b));
            e[12 + b] = (uint8_t)(n >> (8 * b));
        }
    }
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    fd = open(pimg, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, mbr, sizeof mbr, 0), 512);
    /* Canaries at both ends of partition 2. */
    assert_int_equal(pwrite(fd, CANARY, sizeof CANARY - 1, (off_t)s2 * 512),
                     (ssize_t)(sizeof CANARY - 1));
    assert_int_equal(pwrite(fd, CANARY, sizeof CANARY - 1,
                            (off_t)(s2 + n2) * 512 - 64),
                     (ssize_t)(sizeof CANARY - 1));
    close(fd);
    snprintf(cmd, sizeof cmd, "losetup -P -f --show '%s' 2>/dev/null", pimg);
    if (run_out(cmd, dev, sizeof dev) != 0 || strncmp(dev, "/dev/loop", 9)) {
        printf("SKIP: losetup -P failed\n");
        skip();
    }
    snprintf(partdev, sizeof partdev, "%s", dev);
    snprintf(p1, sizeof p1, "%sp1", dev);
    snprintf(p2, sizeof p2, "%sp2", dev);
    {
        /* Kernels without the DOS partition parser: add them by hand. */
        char sys[128];
        snprintf(sys, sizeof sys, "/sys/class/block/%sp2", dev + 5);
        usleep(200000);
        if (access(sys, F_OK) != 0) {
            snprintf(cmd, sizeof cmd,
                     "addpart %s 1 %u %u && addpart %s 2 %u %u", dev,
                     (unsigned)s1, (unsigned)n1, dev, (unsigned)s2,
                     (unsigned)n2);
            if (run(cmd) != 0) {
                printf("SKIP: the kernel did not scan the partitions of %s "
                       "and addpart failed\n", dev);
                skip();
            }
        }
    }
    for (tries = 0; tries < 50 && access(p2, F_OK) != 0; tries++) {
        /* Without udev the nodes may never appear: make them from sysfs. */
        char sys[128], majmin[32];
        unsigned ma, mi;
        FILE *sf;
        int made = 0;
        for (int i = 1; i <= 2; i++) {
            snprintf(sys, sizeof sys, "/sys/class/block/%sp%d/dev", dev + 5, i);
            sf = fopen(sys, "re");
            if (sf == NULL)
                break;
            if (fgets(majmin, sizeof majmin, sf) != NULL &&
                sscanf(majmin, "%u:%u", &ma, &mi) == 2) {
                snprintf(i == 1 ? p1 : p2, sizeof p1, "%s/%sp%d", tmpdir,
                         dev + 5, i);
                if (mknod(i == 1 ? p1 : p2, S_IFBLK | 0600,
                          makedev(ma, mi)) == 0)
                    made++;
            }
            fclose(sf);
        }
        if (made == 2)
            break;
        snprintf(p1, sizeof p1, "%sp1", dev);
        snprintf(p2, sizeof p2, "%sp2", dev);
        usleep(100000);
    }
    if (access(p1, F_OK) != 0 || access(p2, F_OK) != 0) {
        printf("SKIP: partitions of %s did not appear\n", dev);
        skip();
    }
    snprintf(pm, sizeof pm, "%s/pmnt", tmpdir);
    assert_int_equal(mkdir(pm, 0700), 0);
    snprintf(cmd, sizeof cmd, "mkfs.ext4 -q -F %s >/dev/null 2>&1", p1);
    assert_int_equal(run(cmd), 0);
    assert_int_equal(mount(p1, pm, "ext4", 0, NULL), 0);
    snprintf(partmnt, sizeof partmnt, "%s", pm);
    snprintf(f, sizeof f, "%s/keep.txt", pm);
    fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, CANARY, sizeof CANARY - 1),
                     (ssize_t)(sizeof CANARY - 1));
    assert_int_equal(fsync(fd), 0);
    close(fd);

    /* The whole disk: refused because of partition 1. */
    assert_int_equal(fuin_wipe_target_probe(dev, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_int_equal(t.is_partition, 0);
    assert_int_equal(t.mounted, 1);
    assert_string_equal(t.mount_point, pm);
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(dev, &o, &r), FUIN_E_POLICY);
    assert_int_equal(r.bytes_written, 0);
    assert_non_null(strstr(r.message, "refused: it is mounted at"));

    /* Partition 2 is free. */
    assert_int_equal(fuin_wipe_target_probe(p2, &t, err, sizeof err), FUIN_OK);
    assert_int_equal(t.is_partition, 1);
    assert_string_equal(t.name, strrchr(p2, '/') + 1);
    assert_string_equal(t.disk, dev + 5);
    assert_int_equal(t.size_bytes, (uint64_t)n2 * 512);
    assert_int_equal(t.mounted, 0);
    assert_int_equal(fuin_wipe_device(p2, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.bytes_written, (uint64_t)n2 * 512);
    assert_int_equal(r.bytes_verified, (uint64_t)n2 * 512);

    /* Partition 1's file system and the partition table are intact. */
    fd = open(f, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)(sizeof CANARY - 1));
    close(fd);
    assert_string_equal(buf, CANARY);
    assert_int_equal(umount(pm), 0);
    partmnt[0] = '\0';
    snprintf(cmd, sizeof cmd, "losetup -d %s", dev);
    assert_int_equal(run(cmd), 0);
    partdev[0] = '\0';
    fd = open(pimg, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    img_after = malloc(32 * MIB);
    assert_non_null(img_after);
    assert_int_equal(read(fd, img_after, 32 * MIB), (ssize_t)(32 * MIB));
    close(fd);
    assert_memory_equal(img_after, mbr, 512);
    assert_null(memmem(img_after + (size_t)s2 * 512, (size_t)n2 * 512, CANARY,
                       sizeof CANARY - 1));
    free(img_after);
}

static int dm_available(void)
{
    return access("/dev/mapper/control", F_OK) == 0 &&
           run("dmsetup version >/dev/null 2>&1") == 0;
}

static void test_dm_holders_and_error_target(void **state)
{
    fuin_wipe_target t;
    fuin_wipe_options o;
    fuin_wipe_result r;
    char err[512], cmd[600], dev[128];
    (void)state;
    if (!dm_available()) {
        printf("SKIP: device-mapper is not available (no /dev/mapper/control "
               "or dmsetup); holders refusal and the error-target failure "
               "path are not tested\n");
        skip();
    }
    snprintf(dmname, sizeof dmname, "fuin-wipe-lin-%d", (int)getpid());
    /* 8 MiB linear over loop3, then 1 MiB that fails every I/O. */
    snprintf(cmd, sizeof cmd,
             "printf '0 16384 linear %s 0\\n16384 2048 error\\n' | "
             "dmsetup create %s",
             loop3, dmname);
    assert_int_equal(run(cmd), 0);
    assert_int_equal(fuin_wipe_target_probe(loop3, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_true(t.holders >= 1);
    assert_non_null(strstr(err, "it has holders (dm-"));
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(loop3, &o, &r), FUIN_E_POLICY);
    assert_int_equal(r.bytes_written, 0);

    snprintf(dev, sizeof dev, "/dev/mapper/%s", dmname);
    assert_int_equal(fuin_wipe_target_probe(dev, &t, err, sizeof err), FUIN_OK);
    assert_string_equal(t.transport, "dm");
    o.pattern = FUIN_WIPE_ZERO;
    assert_int_equal(fuin_wipe_device(dev, &o, &r), FUIN_E_IO);
    assert_int_equal(r.success, 0);
    assert_true(r.errors >= 1);
    /* The failing write covers the first error sector. */
    assert_true(r.fail_offset >= 0 && r.fail_offset <= 16384ll * 512);
    assert_true(r.fail_offset > 16384ll * 512 - 4ll * MIB);
    assert_non_null(strstr(r.message, "write failed at byte"));
}

/* Holders staged in a copy of the device's sysfs directory (this kernel
 * may have no device-mapper or md to make real ones): the probe and the
 * exclusive open refuse the device and name the holder, and nothing is
 * written.  The real thing is test_dm_holders_and_error_target. */
static void stage_holder(const char *holder, const char *want)
{
    fuin_wipe_target t;
    fuin_wipe_dev *d = (fuin_wipe_dev *)1;
    fuin_wipe_options o;
    fuin_wipe_result r;
    struct stat st;
    char root[300], cmd[8192], err[512], real[4096], link[64];
    uint8_t *b;
    plant_canaries();
    assert_int_equal(stat(loopdev, &st), 0);
    snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(st.st_rdev),
             minor(st.st_rdev));
    assert_non_null(realpath(link, real));
    snprintf(root, sizeof root, "%s/sysfs", tmpdir);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s/dev/block' '%s/block' && "
             "cp -r '%s' '%s/block/' 2>/dev/null; "
             "mkdir -p '%s/block/%s/holders' && touch '%s/block/%s/holders/%s' && "
             "ln -s ../../block/%s '%s/dev/block/%u:%u'",
             root, root, root, real, root, root, loopdev + 5, root,
             loopdev + 5, holder, loopdev + 5, root, major(st.st_rdev),
             minor(st.st_rdev));
    assert_int_equal(run(cmd), 0);
    fuin__wipe_set_sysfs_root(root);
    assert_int_equal(fuin_wipe_target_probe(loopdev, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_int_equal(t.holders, 1);
    assert_string_equal(t.holder_names, holder);
    assert_int_equal(t.refused, 1);
    assert_non_null(strstr(err, want));
    assert_int_equal(fuin_wipe_device_open(loopdev, &t, &d, err, sizeof err),
                     FUIN_E_POLICY);
    assert_null(d);
    assert_non_null(strstr(err, want));
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_E_POLICY);
    assert_int_equal(r.bytes_written, 0);
    assert_non_null(strstr(r.message, want));
    fuin__wipe_set_sysfs_root(NULL);
    b = read_image();
    assert_true(count_canaries(b) >= 60);
    free(b);
    /* Back to the real sysfs: no holders. */
    assert_int_equal(fuin_wipe_target_probe(loopdev, &t, err, sizeof err),
                     FUIN_OK);
}

static void test_staged_holders_refused(void **state)
{
    (void)state;
    stage_holder("dm-0", "it has holders (dm-0): device-mapper, LVM or RAID");
    stage_holder("md127", "it has holders (md127)");
}

/* The device stays held from the open to the close: between showing it
 * and confirming, nobody can mount it or claim it exclusively. */
static void test_held_until_closed(void **state)
{
    fuin_wipe_target t;
    fuin_wipe_dev *d = NULL;
    fuin_wipe_options o;
    fuin_wipe_result r;
    char err[512];
    uint8_t *b;
    int fd;
    (void)state;
    plant_canaries();
    assert_int_equal(fuin_wipe_device_open(loopdev, &t, &d, err, sizeof err),
                     FUIN_OK);
    assert_non_null(d);
    assert_string_equal(err, "");
    assert_int_equal(t.size_bytes, IMG_SIZE);
    assert_int_equal(fuin_wipe_device_size(d), IMG_SIZE);
    assert_true(fuin_wipe_device_fd(d) >= 0);
    fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
    assert_int_equal(fd, -1);
    assert_int_equal(errno, EBUSY);
    /* A second wipe of the same device is refused while it is held. */
    fuin_wipe_options_init(&o);
    assert_int_equal(fuin_wipe_device(loopdev, &o, &r), FUIN_E_POLICY);
    assert_non_null(strstr(r.message, "in use"));
    b = read_image();
    assert_true(count_canaries(b) >= 60);
    free(b);
    o.pattern = FUIN_WIPE_ZERO;
    assert_int_equal(fuin_wipe_device_run(d, &o, &r), FUIN_OK);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.bytes_verified, IMG_SIZE);
    assert_int_equal(fuin_wipe_device_close(d), FUIN_OK);
    b = read_image();
    assert_int_equal(count_canaries(b), 0);
    free(b);
    fd = open(loopdev, O_RDONLY | O_EXCL | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    /* Not a device: no handle. */
    d = (fuin_wipe_dev *)1;
    assert_int_equal(fuin_wipe_device_open(img, &t, &d, err, sizeof err),
                     FUIN_E_INVALID);
    assert_null(d);
    assert_non_null(strstr(err, "not a block device"));
    assert_int_equal(fuin_wipe_device_close(NULL), FUIN_OK);
    assert_int_equal(fuin_wipe_device_fd(NULL), -1);
}

/* Does this process's mount table show "/" mounted from device `dev`? */
static int root_in_mountinfo(dev_t dev)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned id, parent, ma, mi;
        char root[1024], where[1024];
        if (sscanf(line, "%u %u %u:%u %1023s %1023s", &id, &parent, &ma, &mi,
                   root, where) == 6 &&
            strcmp(where, "/") == 0 && makedev(ma, mi) == dev)
            found = 1;
    }
    fclose(f);
    return found;
}

static void test_root_refused(void **state)
{
    struct stat st;
    fuin_wipe_target t;
    char err[512], node[300], link[64], real[4096], pp[4200], devs[32];
    FILE *f;
    unsigned ma, mi;
    (void)state;
    assert_int_equal(stat("/", &st), 0);
    snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(st.st_dev),
             minor(st.st_dev));
    if (major(st.st_dev) == 0 || realpath(link, real) == NULL) {
        printf("SKIP: / is not on a block device here (st_dev %u:%u)\n",
               major(st.st_dev), minor(st.st_dev));
        skip();
    }
    /* Probe only: a broken refusal must never get near a wipe of /. */
    snprintf(node, sizeof node, "%s/rootdev", tmpdir);
    assert_int_equal(mknod(node, S_IFBLK | 0600, st.st_dev), 0);
    assert_int_equal(fuin_wipe_target_probe(node, &t, err, sizeof err),
                     FUIN_E_POLICY);
    assert_int_equal(t.holds_root, 1);
    assert_int_equal(t.refused, 1);
    assert_non_null(strstr(err, "it holds the root filesystem /"));
    /* The refusal above rests on the device number of "/", which every
     * environment has.  "mounted at /" also needs the mount of "/" in this
     * process's mount table, which a chroot or container does not show. */
    if (root_in_mountinfo(st.st_dev))
        assert_non_null(strstr(err, "it is mounted at /"));
    else
        printf("SKIP: \"/\" is not in /proc/self/mountinfo here (chroot or "
               "container): the \"mounted at /\" part of the refusal is not "
               "checked\n");
    unlink(node);
    /* When / is on a partition, the whole disk is refused too. */
    snprintf(pp, sizeof pp, "%s/partition", real);
    if (access(pp, F_OK) == 0) {
        snprintf(pp, sizeof pp, "%s/../dev", real);
        f = fopen(pp, "re");
        assert_non_null(f);
        assert_non_null(fgets(devs, sizeof devs, f));
        fclose(f);
        assert_int_equal(sscanf(devs, "%u:%u", &ma, &mi), 2);
        assert_int_equal(mknod(node, S_IFBLK | 0600, makedev(ma, mi)), 0);
        assert_int_equal(fuin_wipe_target_probe(node, &t, err, sizeof err),
                         FUIN_E_POLICY);
        assert_int_equal(t.holds_root, 1);
        unlink(node);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_loop),
        cmocka_unit_test(test_wipe_zero),
        cmocka_unit_test(test_wipe_random),
        cmocka_unit_test(test_multipass_and_sample),
        cmocka_unit_test(test_mismatch_is_failure),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_in_use_refused),
        cmocka_unit_test(test_read_only_fails),
        cmocka_unit_test(test_mounted_refused),
        cmocka_unit_test(test_ext4_file_wipe),
        cmocka_unit_test(test_swap_refused),
        cmocka_unit_test(test_dir_wipe_stays_on_filesystem),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_dm_holders_and_error_target),
        cmocka_unit_test(test_root_refused),
        cmocka_unit_test(test_staged_holders_refused),
        cmocka_unit_test(test_held_until_closed),
    };
    const char *tmp = getenv("TMPDIR");

    if (geteuid() != 0) {
        printf("SKIP: test_wipe_device needs root (loop devices)\n");
        return 77;
    }
    if (access("/dev/loop-control", F_OK) != 0 ||
        run("command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null "
            "&& command -v blockdev >/dev/null") != 0) {
        printf("SKIP: needs /dev/loop-control, losetup, blockdev, mkfs.ext4\n");
        return 77;
    }
    if (fuin_init() != FUIN_OK)
        return 1;
    atexit(cleanup);
    snprintf(tmpdir, sizeof tmpdir, "%s/fuin-wipedev-XXXXXX",
             tmp ? tmp : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        tmpdir[0] = '\0';
        return 1;
    }
    snprintf(img, sizeof img, "%s/target.img", tmpdir);
    snprintf(img2, sizeof img2, "%s/ext4.img", tmpdir);
    snprintf(img3, sizeof img3, "%s/third.img", tmpdir);
    snprintf(mnt, sizeof mnt, "%s/mnt", tmpdir);
    if (make_image(img, IMG_SIZE) != 0 || make_image(img2, 16 * MIB) != 0 ||
        make_image(img3, 16 * MIB) != 0 || mkdir(mnt, 0700) != 0)
        return 1;
    if (attach(img, loopdev, sizeof loopdev) != 0 ||
        attach(img2, loop2, sizeof loop2) != 0 ||
        attach(img3, loop3, sizeof loop3) != 0) {
        printf("SKIP: losetup could not attach a loop device\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
