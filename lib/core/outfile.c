/* One output path for everything fuin writes to a named file: the bytes
 * go to an unnamed file (O_TMPFILE) in the target's directory, which is
 * synced and only then linked into place, so that a crash or a kill -9
 * leaves nothing behind.  Where the file system has no O_TMPFILE, a
 * hidden ".fuin-tmp-XXXXXX" is used instead: it is flock()ed while
 * written, removed on every exit path the caller can see (including the
 * signals the CLI catches), and an unlocked one found later is a stale
 * remnant of an interrupted run and is removed (and counted, so that the
 * caller can say so).  An existing character device or FIFO (/dev/null, a
 * pipe) is written in place: there is nothing to replace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define TMP_PREFIX ".fuin-tmp-"

struct fuin_outfile {
    int fd;
    int kind;          /* K_UNNAMED, K_NAMED, K_DIRECT */
    int force;
    char *path;        /* final name */
    char *dir;         /* its directory */
    char *tmp;         /* K_NAMED: the hidden name (registered) */
    int slot;          /* K_NAMED: index in the signal-cleanup table */
    unsigned stale;    /* stale temporaries removed when opened */
};

enum { K_UNNAMED, K_NAMED, K_DIRECT };

/* ---- the names a signal handler must remove ----------------------------
 * Plain arrays: fuin_outfile_unlink_all() runs in a signal handler, where
 * only async-signal-safe calls (unlink) are allowed. */
#define SLOTS 32
static char cleanup_names[SLOTS][PATH_MAX];
static volatile sig_atomic_t cleanup_used[SLOTS];

static int register_name(const char *name)
{
    if (strlen(name) >= PATH_MAX)
        return -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!cleanup_used[i]) {
            memcpy(cleanup_names[i], name, strlen(name) + 1);
            cleanup_used[i] = 1;
            return i;
        }
    }
    return -1;
}

static void unregister_name(int slot)
{
    if (slot >= 0 && slot < SLOTS)
        cleanup_used[slot] = 0;
}

void fuin_outfile_unlink_all(void)
{
    for (int i = 0; i < SLOTS; i++)
        if (cleanup_used[i])
            (void)unlink(cleanup_names[i]);
}

/* ---- stale temporaries ------------------------------------------------- */

/* Remove ".fuin-tmp-*" files in dir that nobody holds locked: what an
 * interrupted run (kill -9, power loss) left, partial output included.
 * Returns how many were removed. */
static unsigned sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        int fd;
        struct stat st;
        if (strncmp(e->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) != 0)
            continue;
        fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            continue;
        /* Only our own kind of file, and only when its writer is gone. */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                n++;
        }
        close(fd);
    }
    closedir(d);
    if (n > 0)
        (void)fuin__fsync_parent_dir(dir);
    return n;
}

/* ---- open ----------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

void fuin_outfile_abort(fuin_outfile *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->kind == K_NAMED && f->tmp != NULL) {
        (void)unlink(f->tmp);
        unregister_name(f->slot);
    }
    free(f->path);
    free(f->dir);
    free(f->tmp);
    free(f);
}

fuin_status fuin_outfile_open(const char *path, int mode, unsigned flags,
                              fuin_outfile **out, char *err, size_t errcap)
{
    fuin_outfile *f;
    struct stat st;
    int have = 0;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL || (mode & ~0777) != 0) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    if (lstat(path, &st) == 0) {
        have = 1;
        if (S_ISDIR(st.st_mode)) {
            fuin__set_msg(err, errcap, "is a directory");
            return FUIN_E_IO;
        }
        if (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
            fuin__set_msg(err, errcap, "is a %s; fuin writes only to files, "
                          "character devices and pipes", S_ISBLK(st.st_mode) ? "block device" : "socket");
            return FUIN_E_IO;
        }
    } else if (errno != ENOENT) {
        fuin__set_msg(err, errcap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    f->fd = -1;
    f->slot = -1;
    f->force = (flags & FUIN_F_FORCE) != 0;
    if ((f->path = strdup(path)) == NULL || (f->dir = dir_of(path)) == NULL) {
        fuin_outfile_abort(f);
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }

    /* /dev/null, /dev/full, a FIFO (also through a link, as /dev/stdout
     * is): written in place, nothing replaced. */
    if (have && S_ISLNK(st.st_mode)) {
        struct stat ts;
        if (stat(path, &ts) == 0 && (S_ISCHR(ts.st_mode) || S_ISFIFO(ts.st_mode)))
            st = ts;
    }
    if (have && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        f->kind = K_DIRECT;
        f->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (f->fd < 0) {
            fuin__set_msg(err, errcap, "%s", strerror(errno));
            fuin_outfile_abort(f);
            return FUIN_E_IO;
        }
        *out = f;
        return FUIN_OK;
    }
    if (have && !f->force) {
        fuin__set_msg(err, errcap, "file exists (use --force to replace it)");
        fuin_outfile_abort(f);
        return FUIN_E_EXISTS;
    }

    f->stale = sweep_stale(f->dir);

    /* Unnamed first: nothing has a name until it is complete. */
    f->fd = open(f->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
    if (f->fd >= 0) {
        f->kind = K_UNNAMED;
        *out = f;
        return FUIN_OK;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
        int e = errno;
        fuin__set_msg(err, errcap, "cannot create a file in %s: %s", f->dir, strerror(e));
        fuin_outfile_abort(f);
        return FUIN_E_IO;
    }
    /* A file system without O_TMPFILE (vfat, some network file systems). */
    {
        size_t tl = strlen(f->dir) + sizeof TMP_PREFIX + 8;
        f->tmp = malloc(tl);
        if (f->tmp == NULL) {
            fuin_outfile_abort(f);
            fuin__set_msg(err, errcap, "out of memory");
            return FUIN_E_NOMEM;
        }
        snprintf(f->tmp, tl, "%s/" TMP_PREFIX "XXXXXX", f->dir);
        f->fd = mkostemp(f->tmp, O_CLOEXEC);
        if (f->fd < 0) {
            fuin__set_msg(err, errcap, "cannot create a file in %s: %s", f->dir,
                          strerror(errno));
            free(f->tmp);
            f->tmp = NULL;
            fuin_outfile_abort(f);
            return FUIN_E_IO;
        }
        f->kind = K_NAMED;
        f->slot = register_name(f->tmp);
        (void)flock(f->fd, LOCK_EX);
        {
            mode_t um = umask(0);
            umask(um);
            if (fchmod(f->fd, (mode_t)mode & ~um) != 0) {
                fuin__set_msg(err, errcap, "%s", strerror(errno));
                fuin_outfile_abort(f);
                return FUIN_E_IO;
            }
        }
    }
    *out = f;
    return FUIN_OK;
}

int fuin_outfile_fd(const fuin_outfile *f)
{
    return f ? f->fd : -1;
}

unsigned fuin_outfile_sweep(const char *path)
{
    char *dir;
    unsigned n;
    if (path == NULL || (dir = dir_of(path)) == NULL)
        return 0;
    n = sweep_stale(dir);
    free(dir);
    return n;
}

unsigned fuin_outfile_stale_removed(const fuin_outfile *f)
{
    return f ? f->stale : 0;
}

int fuin_outfile_is_direct(const fuin_outfile *f)
{
    return f != NULL && f->kind == K_DIRECT;
}

fuin_status fuin_outfile_write(fuin_outfile *f, const void *buf, size_t len,
                               char *err, size_t errcap)
{
    int e;
    if (f == NULL || f->fd < 0 || (buf == NULL && len > 0))
        return FUIN_E_INVALID;
    if ((e = fuin__write_all(f->fd, buf, len)) != 0) {
        fuin__set_msg(err, errcap, "write failed: %s", strerror(e));
        return FUIN_E_IO;
    }
    return FUIN_OK;
}

/* Link the unnamed file at fd to `name` (never replacing). */
static int link_fd(int fd, const char *name)
{
    char proc[64];
    if (linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno == EEXIST)
        return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

/* A free hidden name beside the target, for a link that a rename then
 * moves over it (--force). */
static int link_hidden(int fd, const char *dir, char *name, size_t cap)
{
    for (int tries = 0; tries < 16; tries++) {
        char suffix[7];
        static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int i = 0; i < 6; i++)
            suffix[i] = abc[randombytes_uniform(sizeof abc - 1)];
        suffix[6] = '\0';
        snprintf(name, cap, "%s/" TMP_PREFIX "%s", dir, suffix);
        if (link_fd(fd, name) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Publish a named temporary under its final name. */
static int publish_named(const char *tmp, const char *path, int force)
{
    if (force)
        return rename(tmp, path);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* file systems without RENAME_NOREPLACE: link() never replaces */
    if (link(tmp, path) != 0)
        return -1;
    (void)unlink(tmp);
    return 0;
}

fuin_status fuin_outfile_commit(fuin_outfile *f, char *err, size_t errcap)
{
    fuin_status st = FUIN_OK;
    if (f == NULL)
        return FUIN_E_INVALID;
    if (err && errcap)
        err[0] = '\0';
    /* fsync: a device or pipe may not support it (EINVAL, EROFS). */
    if (fsync(f->fd) != 0 &&
        !(f->kind == K_DIRECT && (errno == EINVAL || errno == EROFS))) {
        fuin__set_msg(err, errcap, "write failed: %s", strerror(errno));
        st = FUIN_E_IO;
    }
    if (st == FUIN_OK && f->kind == K_UNNAMED) {
        if (!f->force) {
            if (link_fd(f->fd, f->path) != 0) {
                if (errno == EEXIST) {
                    fuin__set_msg(err, errcap, "file exists (use --force to replace it)");
                    st = FUIN_E_EXISTS;
                } else {
                    fuin__set_msg(err, errcap, "cannot create: %s",
                                  strerror(errno));
                    st = FUIN_E_IO;
                }
            }
        } else {
            char hidden[PATH_MAX];
            if (link_hidden(f->fd, f->dir, hidden, sizeof hidden) != 0) {
                fuin__set_msg(err, errcap, "cannot create: %s",
                              strerror(errno));
                st = FUIN_E_IO;
            } else if (rename(hidden, f->path) != 0) {
                fuin__set_msg(err, errcap, "cannot replace: %s",
                              strerror(errno));
                (void)unlink(hidden);
                st = FUIN_E_IO;
            }
        }
    } else if (st == FUIN_OK && f->kind == K_NAMED) {
        if (publish_named(f->tmp, f->path, f->force) != 0) {
            if (errno == EEXIST) {
                fuin__set_msg(err, errcap, "file exists (use --force to replace it)");
                st = FUIN_E_EXISTS;
            } else {
                fuin__set_msg(err, errcap, "cannot rename into place: %s",
                              strerror(errno));
                st = FUIN_E_IO;
            }
        } else {
            unregister_name(f->slot);
            f->slot = -1;
            free(f->tmp);
            f->tmp = NULL;
        }
    }
    if (close(f->fd) != 0 && st == FUIN_OK) {
        /* after the link: the data was synced, so this can only be a
         * late error report of the file system */
        fuin__set_msg(err, errcap, "write failed: %s", strerror(errno));
        st = FUIN_E_IO;
    }
    f->fd = -1;
    if (st == FUIN_OK && f->kind != K_DIRECT &&
        fuin__fsync_parent_dir(f->dir) != 0) {
        fuin__set_msg(err, errcap, "cannot sync its directory: %s",
                      strerror(errno));
        st = FUIN_E_IO;
    }
    fuin_outfile_abort(f); /* frees; removes a named temporary left */
    return st;
}
