#include <errno.h>
#include <fcntl.h>
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

int fuin__write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : ENOSPC;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_all(void *ctx, const uint8_t *buf, size_t len)
{
    sink *s = ctx;
    if ((s->err = fuin__write_all(s->fd, buf, len)) != 0)
        return -1;
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

int fuin__fsync_parent_dir(const char *dir)
{
    return fsync_dir(dir);
}

fuin_status fuin__run_fd(void *h, const fuin__stream_ops *ops, int in_fd,
                         const char *out_path, int out_fd, unsigned flags,
                         mode_t mode, char *errmsg)
{
    sink out = {out_fd, 0};
    fuin_outfile *of = NULL;
    uint8_t *buf = NULL;
    fuin_status st;

    if (out_path != NULL) {
        char e[FUIN_ERRMSG_MAX];
        st = fuin_outfile_open(out_path, (int)mode, flags, &of, e, sizeof e);
        if (st != FUIN_OK) {
            if (st == FUIN_E_EXISTS)
                fuin__seterr(errmsg, "output file exists (use --force to replace it)");
            else if (strcmp(e, "is a directory") == 0)
                fuin__seterr(errmsg, "output is a directory");
            else
                fuin__seterr(errmsg, "cannot create output: %s", e);
            return st;
        }
        out.fd = fuin_outfile_fd(of);
    }
    buf = fuin__secure_alloc(READ_SIZE);
    if (buf == NULL) {
        st = FUIN_E_NOMEM;
        goto done;
    }
    st = ops->begin(h, write_all, &out);
    if (st == FUIN_OK && ops->pipeline != NULL)
        (void)ops->pipeline(h, 1);
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
    if (ops->pipeline != NULL) {
        /* before the output can be closed; a failure the writer met is
         * earlier in the stream than the caller's, and is the one told */
        fuin_status ws = ops->pipeline(h, 0);
        if (ws != FUIN_OK)
            st = ws;
    }
    if (st == FUIN_E_IO && out.err != 0)
        fuin__seterr(errmsg, "write failed: %s", strerror(out.err));
    if (st == FUIN_OK && of != NULL && ops->stamp != NULL)
        st = ops->stamp(h, fuin_outfile_fd(of));
    if (st == FUIN_OK && of != NULL) {
        char e[FUIN_ERRMSG_MAX];
        st = fuin_outfile_commit(of, e, sizeof e);
        of = NULL;
        if (st == FUIN_E_EXISTS)
            fuin__seterr(errmsg, "output file exists (use --force to replace it)");
        else if (st != FUIN_OK)
            fuin__seterr(errmsg, "%s", e);
    }
done:
    fuin_outfile_abort(of);
    fuin__secure_free(buf, READ_SIZE);
    return st;
}

fuin_status fuin_write_secret_file(const char *path, const void *buf, size_t len)
{
    fuin_outfile *f = NULL;
    fuin_status st;
    if (path == NULL || (buf == NULL && len > 0))
        return FUIN_E_INVALID;
    st = fuin_outfile_open(path, 0600, 0, &f, NULL, 0);
    if (st != FUIN_OK)
        return st;
    st = fuin_outfile_write(f, buf, len, NULL, 0);
    if (st != FUIN_OK) {
        fuin_outfile_abort(f);
        return st;
    }
    return fuin_outfile_commit(f, NULL, 0);
}
