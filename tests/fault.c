/* Fault injection for the CLI tests: an LD_PRELOAD library that makes
 * I/O on files below one directory fail the way a sick machine does.
 *
 *   FUIN_FAULT_DIR=/abs/dir   only descriptors of files below this
 *                             directory are touched (stderr and the rest
 *                             of the machine work normally)
 *   FUIN_FAULT=MODE           one of:
 *     count        change nothing; at exit, write the number of write()s,
 *                  pwrite()s and read()s below the directory to
 *                  $FUIN_FAULT_COUNT as "writes reads"
 *     enospc@N     the Nth write (1-based) and every later one fail ENOSPC
 *                  (a full disk stays full); the Nth writes what fits
 *                  first when N is followed by "+partial"
 *     eio@N        the Nth write and every later one fail EIO
 *     readeio@N    the Nth read and every later one fail EIO
 *     short        every write writes at most half of what it was given
 *     eintr        every write fails EINTR once before it is done
 *     fsync        fsync() and fdatasync() fail EIO
 *     notmpfile    open(O_TMPFILE) fails EOPNOTSUPP, as on FAT or NFS
 *
 * A test-only helper: it is not part of fuin and is never installed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { M_NONE, M_COUNT, M_ENOSPC, M_EIO, M_READEIO, M_SHORT, M_EINTR, M_FSYNC,
       M_NOTMPFILE };

static int mode = -1;
static long nth;
static int partial;
static long writes, reads;
static const char *dir;
static size_t dirlen;
static int eintr_pending = 1;

static void setup(void)
{
    const char *m;
    if (mode >= 0)
        return;
    mode = M_NONE;
    dir = getenv("FUIN_FAULT_DIR");
    m = getenv("FUIN_FAULT");
    if (dir == NULL || m == NULL)
        return;
    dirlen = strlen(dir);
    if (strcmp(m, "count") == 0)
        mode = M_COUNT;
    else if (strncmp(m, "enospc@", 7) == 0)
        mode = M_ENOSPC, nth = atol(m + 7), partial = strstr(m, "+partial") != NULL;
    else if (strncmp(m, "eio@", 4) == 0)
        mode = M_EIO, nth = atol(m + 4);
    else if (strncmp(m, "readeio@", 8) == 0)
        mode = M_READEIO, nth = atol(m + 8);
    else if (strcmp(m, "short") == 0)
        mode = M_SHORT;
    else if (strcmp(m, "eintr") == 0)
        mode = M_EINTR;
    else if (strcmp(m, "fsync") == 0)
        mode = M_FSYNC;
    else if (strcmp(m, "notmpfile") == 0)
        mode = M_NOTMPFILE;
}

/* Is fd a file below FUIN_FAULT_DIR?  An unnamed (O_TMPFILE) file reads
 * as "DIR/#123 (deleted)", which is below it too. */
static int watched(int fd)
{
    char proc[64], target[4096];
    ssize_t n;
    setup();
    if (mode == M_NONE || fd < 0)
        return 0;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, target, sizeof target - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, dir, dirlen) == 0 &&
           (target[dirlen] == '/' || target[dirlen] == '\0');
}

__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("FUIN_FAULT_COUNT");
    FILE *f;
    if (mode != M_COUNT || out == NULL || (f = fopen(out, "w")) == NULL)
        return;
    fprintf(f, "%ld %ld\n", writes, reads);
    fclose(f);
}

/* The fault for the next write of len bytes; 0 to let it through with
 * *len possibly shortened. */
static int write_fault(size_t *len)
{
    writes++;
    switch (mode) {
    case M_ENOSPC:
        if (writes == nth && partial && *len > 1) {
            *len /= 2;
            return 0;
        }
        return writes >= nth ? ENOSPC : 0;
    case M_EIO:
        return writes >= nth ? EIO : 0;
    case M_SHORT:
        if (*len > 1)
            *len /= 2;
        return 0;
    case M_EINTR:
        eintr_pending = !eintr_pending;
        return eintr_pending ? 0 : EINTR;
    default:
        return 0;
    }
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (watched(fd)) {
        int e = write_fault(&len);
        if (e != 0) {
            errno = e;
            return -1;
        }
    }
    return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    if (watched(fd)) {
        int e = write_fault(&len);
        if (e != 0) {
            errno = e;
            return -1;
        }
    }
    return real(fd, buf, len, off);
}
ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

ssize_t read(int fd, void *buf, size_t len)
{
    static ssize_t (*real)(int, void *, size_t);
    if (real == NULL)
        real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    if (watched(fd)) {
        reads++;
        if (mode == M_READEIO && reads >= nth) {
            errno = EIO;
            return -1;
        }
    }
    return real(fd, buf, len);
}

static int sync_fault(int fd)
{
    if (watched(fd) && mode == M_FSYNC) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return sync_fault(fd) ? -1 : real(fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return sync_fault(fd) ? -1 : real(fd);
}

/* O_TMPFILE on a directory below FUIN_FAULT_DIR */
static int tmpfile_refused(const char *path, int flags)
{
    setup();
    if (mode != M_NOTMPFILE || (flags & O_TMPFILE) != O_TMPFILE)
        return 0;
    if (path[0] != '/') { /* relative: below the working directory */
        char full[8192];
        if (getcwd(full, 4096) == NULL)
            return 0;
        strncat(full, "/", sizeof full - strlen(full) - 1);
        strncat(full, path, sizeof full - strlen(full) - 1);
        return strncmp(full, dir, dirlen) == 0 &&
               (full[dirlen] == '/' || full[dirlen] == '\0');
    }
    return strncmp(path, dir, dirlen) == 0;
}

#define OPEN_WRAPPER(name)                                                     \
    int name(const char *path, int flags, ...)                                 \
    {                                                                          \
        static int (*real)(const char *, int, ...);                            \
        mode_t m = 0;                                                          \
        if (flags & (O_CREAT | __O_TMPFILE)) {                                 \
            va_list ap;                                                        \
            va_start(ap, flags);                                               \
            m = (mode_t)va_arg(ap, int);                                       \
            va_end(ap);                                                        \
        }                                                                      \
        if (real == NULL)                                                      \
            real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);   \
        if (tmpfile_refused(path, flags)) {                                    \
            errno = EOPNOTSUPP;                                                \
            return -1;                                                         \
        }                                                                      \
        return real(path, flags, m);                                           \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name)                                                   \
    int name(int dfd, const char *path, int flags, ...)                        \
    {                                                                          \
        static int (*real)(int, const char *, int, ...);                       \
        mode_t m = 0;                                                          \
        if (flags & (O_CREAT | __O_TMPFILE)) {                                 \
            va_list ap;                                                        \
            va_start(ap, flags);                                               \
            m = (mode_t)va_arg(ap, int);                                       \
            va_end(ap);                                                        \
        }                                                                      \
        if (real == NULL)                                                      \
            real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, #name); \
        if ((dfd == AT_FDCWD || path[0] == '/') && tmpfile_refused(path, flags)) { \
            errno = EOPNOTSUPP;                                                \
            return -1;                                                         \
        }                                                                      \
        return real(dfd, path, flags, m);                                      \
    }
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)
