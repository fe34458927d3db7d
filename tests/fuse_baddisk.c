/* fuse_baddisk: a FUSE filesystem with one file, "disk", of --size bytes
 * (held in sparse anonymous memory) whose reads and/or writes touching
 * [--error-start, --error-end) fail with EIO.  A loop device attached to
 * MOUNTPOINT/disk then fails in the middle like a device-mapper "error"
 * target between two "linear" ones; this kernel has no device-mapper.
 * "stats" reports how many requests were failed, so a test can prove the
 * fault was hit.  Test glue only.
 *
 * usage: fuse_baddisk MOUNTPOINT --size BYTES [--error-start A --error-end B]
 *                     [--ops read|write|both] [-f] [other FUSE options]
 * Without -f it daemonises; SIGTERM/SIGINT unmount cleanly (fuse_main,
 * which then exits with status 8). */
#define FUSE_USE_VERSION 35
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static struct bd_opt {
    char *size_s, *start_s, *end_s, *ops_s;
} opt;

static const struct fuse_opt opt_spec[] = {
    {"--size %s", offsetof(struct bd_opt, size_s), 0},
    {"--size=%s", offsetof(struct bd_opt, size_s), 0},
    {"--error-start %s", offsetof(struct bd_opt, start_s), 0},
    {"--error-start=%s", offsetof(struct bd_opt, start_s), 0},
    {"--error-end %s", offsetof(struct bd_opt, end_s), 0},
    {"--error-end=%s", offsetof(struct bd_opt, end_s), 0},
    {"--ops %s", offsetof(struct bd_opt, ops_s), 0},
    {"--ops=%s", offsetof(struct bd_opt, ops_s), 0},
    FUSE_OPT_END};

static uint8_t *disk;
static uint64_t disk_size, err_start, err_end;
static int fail_reads, fail_writes;
static atomic_ullong n_read_errors, n_write_errors;

/* Fixed width, so the file's size never changes. */
#define STATS_FMT "read_errors %020llu\nwrite_errors %020llu\n"
#define STATS_LEN (12 + 20 + 1 + 13 + 20 + 1)

static int hits(uint64_t off, size_t len)
{
    return len > 0 && off < err_end && off + len > err_start;
}

static int bd_getattr(const char *path, struct stat *st,
                      struct fuse_file_info *fi)
{
    (void)fi;
    memset(st, 0, sizeof *st);
    if (strcmp(path, "/") == 0) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else if (strcmp(path, "/disk") == 0) {
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        st->st_size = (off_t)disk_size;
    } else if (strcmp(path, "/stats") == 0) {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = STATS_LEN;
    } else {
        return -ENOENT;
    }
    return 0;
}

static int bd_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
                      off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags fl)
{
    (void)off, (void)fi, (void)fl;
    if (strcmp(path, "/") != 0)
        return -ENOTDIR;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    fill(buf, "disk", NULL, 0, 0);
    fill(buf, "stats", NULL, 0, 0);
    return 0;
}

static int bd_open(const char *path, struct fuse_file_info *fi)
{
    if (strcmp(path, "/disk") != 0 && strcmp(path, "/stats") != 0)
        return -ENOENT;
    if (strcmp(path, "/stats") == 0 && (fi->flags & O_ACCMODE) != O_RDONLY)
        return -EACCES;
    /* No page cache in the kernel: every loop request must reach us. */
    fi->direct_io = 1;
    fi->keep_cache = 0;
    return 0;
}

static int bd_read(const char *path, char *buf, size_t len, off_t off,
                   struct fuse_file_info *fi)
{
    (void)fi;
    if (strcmp(path, "/stats") == 0) {
        char s[STATS_LEN + 1];
        snprintf(s, sizeof s, STATS_FMT,
                 (unsigned long long)atomic_load(&n_read_errors),
                 (unsigned long long)atomic_load(&n_write_errors));
        if (off < 0 || (uint64_t)off >= STATS_LEN)
            return 0;
        if (len > STATS_LEN - (size_t)off)
            len = STATS_LEN - (size_t)off;
        memcpy(buf, s + off, len);
        return (int)len;
    }
    if (off < 0 || (uint64_t)off >= disk_size)
        return 0;
    if (len > disk_size - (uint64_t)off)
        len = (size_t)(disk_size - (uint64_t)off);
    if (fail_reads && hits((uint64_t)off, len)) {
        atomic_fetch_add(&n_read_errors, 1);
        return -EIO;
    }
    memcpy(buf, disk + off, len);
    return (int)len;
}

static int bd_write(const char *path, const char *buf, size_t len, off_t off,
                    struct fuse_file_info *fi)
{
    (void)path, (void)fi;
    if (off < 0 || (uint64_t)off >= disk_size ||
        len > disk_size - (uint64_t)off)
        return -ENOSPC;
    /* Like dm-error: the whole request fails, nothing of it is written. */
    if (fail_writes && hits((uint64_t)off, len)) {
        atomic_fetch_add(&n_write_errors, 1);
        return -EIO;
    }
    memcpy(disk + off, buf, len);
    return (int)len;
}

static int bd_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    (void)fi;
    if (strcmp(path, "/disk") != 0)
        return -EACCES;
    return (uint64_t)size == disk_size ? 0 : -EPERM;
}

static int bd_utimens(const char *path, const struct timespec tv[2],
                      struct fuse_file_info *fi)
{
    (void)path, (void)tv, (void)fi;
    return 0;
}

static int bd_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path, (void)datasync, (void)fi;
    return 0;
}

static const struct fuse_operations bd_ops = {
    .getattr = bd_getattr,
    .readdir = bd_readdir,
    .open = bd_open,
    .read = bd_read,
    .write = bd_write,
    .truncate = bd_truncate,
    .utimens = bd_utimens,
    .fsync = bd_fsync,
};

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *v = x;
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: fuse_baddisk MOUNTPOINT --size BYTES [--error-start A "
            "--error-end B]\n"
            "                    [--ops read|write|both] [-f] [FUSE options]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    int rc;

    if (fuse_opt_parse(&args, &opt, opt_spec, NULL) != 0)
        return usage();
    if (parse_u64(opt.size_s, &disk_size) != 0 || disk_size == 0)
        return usage();
    if ((opt.start_s == NULL) != (opt.end_s == NULL))
        return usage();
    if (opt.start_s != NULL &&
        (parse_u64(opt.start_s, &err_start) != 0 ||
         parse_u64(opt.end_s, &err_end) != 0 || err_start > err_end ||
         err_end > disk_size))
        return usage();
    if (opt.ops_s == NULL || strcmp(opt.ops_s, "both") == 0)
        fail_reads = fail_writes = 1;
    else if (strcmp(opt.ops_s, "read") == 0)
        fail_reads = 1;
    else if (strcmp(opt.ops_s, "write") == 0)
        fail_writes = 1;
    else
        return usage();

    /* Untouched pages read as zeros and cost nothing, like a sparse file. */
    disk = mmap(NULL, (size_t)disk_size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (disk == MAP_FAILED) {
        perror("fuse_baddisk: mmap");
        return 1;
    }
    /* One thread is plenty for a test disk, and it spares libfuse 3.14's
     * spurious "invalid max threads" warning of the multi-threaded loop. */
    if (fuse_opt_add_arg(&args, "-s") != 0)
        return 1;
    rc = fuse_main(args.argc, args.argv, &bd_ops, NULL);
    fuse_opt_free_args(&args);
    munmap(disk, (size_t)disk_size);
    free(opt.size_s);
    free(opt.start_s);
    free(opt.end_s);
    free(opt.ops_s);
    return rc;
}
