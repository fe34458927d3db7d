#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define READ_SIZE (1u << 20)

typedef struct {
    int fd;
    int err; /* errno of the first failed write */
} sink;

static int write_all(void *ctx, const uint8_t *buf, size_t len)
{
    sink *s = ctx;
    while (len > 0) {
        ssize_t n = write(s->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;
    if (fd < 0)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

int fuin__fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int r;
    if (slash == NULL)
        return fsync_dir(".");
    if (slash == path)
        return fsync_dir("/");
    if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
        return -1;
    r = fsync_dir(dir);
    free(dir);
    return r;
}

/* Publish tmp as path: never replaces an existing file unless forced. */
static int publish(const char *tmp, const char *path, int force)
{
    if (force)
        return rename(tmp, path);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* filesystems without RENAME_NOREPLACE: link() also refuses to replace */
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

fuin_status fuin__run_fd(void *h, const fuin__stream_ops *ops, int in_fd,
                         const char *out_path, int out_fd, unsigned flags,
                         mode_t mode, char *errmsg)
{
    sink out = {out_fd, 0};
    char *tmp = NULL, *dircopy = NULL, *dir = NULL;
    uint8_t *buf = NULL;
    fuin_status st;
    struct stat sb;

    if (out_path != NULL) {
        size_t tl = strlen(out_path) + 32;
        if (!(flags & FUIN_F_FORCE) && lstat(out_path, &sb) == 0) {
            fuin__seterr(errmsg, "output file exists (use --force to replace it)");
            return FUIN_E_EXISTS;
        }
        if (lstat(out_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fuin__seterr(errmsg, "output is a directory");
            return FUIN_E_IO;
        }
        dircopy = strdup(out_path);
        tmp = malloc(tl);
        if (dircopy == NULL || tmp == NULL) {
            free(dircopy);
            free(tmp);
            return FUIN_E_NOMEM;
        }
        dir = dirname(dircopy);
        snprintf(tmp, tl, "%s/.fuin-tmp-XXXXXX", dir);
        out.fd = mkostemp(tmp, O_CLOEXEC);
        if (out.fd < 0) {
            fuin__seterr(errmsg, "cannot create output in %s: %s", dir, strerror(errno));
            free(dircopy);
            free(tmp);
            return FUIN_E_IO;
        }
        if (mode != 0600) {
            mode_t um = umask(0);
            umask(um);
            fchmod(out.fd, mode & ~um);
        }
    }
    buf = malloc(READ_SIZE);
    if (buf == NULL) {
        st = FUIN_E_NOMEM;
        goto done;
    }
    st = ops->begin(h, write_all, &out);
    while (st == FUIN_OK) {
        uint8_t *dst = NULL;
        size_t cap = 0;
        ssize_t n;
        if (ops->reserve != NULL)
            ops->reserve(h, &dst, &cap);
        n = read(in_fd, dst ? dst : buf, dst ? cap : READ_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fuin__seterr(errmsg, "read failed: %s", strerror(errno));
            st = FUIN_E_IO;
            break;
        }
        if (n == 0) {
            st = ops->final(h);
            break;
        }
        if (dst != NULL)
            ops->commit(h, (size_t)n);
        else
            st = ops->update(h, buf, (size_t)n);
    }
    if (st == FUIN_E_IO && out.err != 0)
        fuin__seterr(errmsg, "write failed: %s", strerror(out.err));
    if (st == FUIN_OK && tmp != NULL) {
        if (fsync(out.fd) != 0 || close(out.fd) != 0) {
            fuin__seterr(errmsg, "write failed: %s", strerror(errno));
            out.fd = -1;
            st = FUIN_E_IO;
        } else {
            out.fd = -1;
            if (publish(tmp, out_path, flags & FUIN_F_FORCE) != 0) {
                if (errno == EEXIST) {
                    fuin__seterr(errmsg, "output file exists (use --force to replace it)");
                    st = FUIN_E_EXISTS;
                } else {
                    fuin__seterr(errmsg, "cannot rename into place: %s", strerror(errno));
                    st = FUIN_E_IO;
                }
            } else {
                if (dir != NULL)
                    fsync_dir(dir);
            }
        }
    }
done:
    if (tmp != NULL) {
        if (out.fd >= 0)
            close(out.fd);
        if (st != FUIN_OK)
            unlink(tmp);
    }
    free(tmp);
    free(dircopy);
    if (buf != NULL) {
        sodium_memzero(buf, READ_SIZE);
        free(buf);
    }
    return st;
}

fuin_status fuin_write_secret_file(const char *path, const void *buf, size_t len)
{
    int fd;
    const uint8_t *p = buf;
    if (path == NULL || (buf == NULL && len > 0))
        return FUIN_E_INVALID;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? FUIN_E_EXISTS : FUIN_E_IO;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            unlink(path);
            return FUIN_E_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return FUIN_E_IO;
    }
    return FUIN_OK;
}
