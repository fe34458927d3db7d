/* Safe extraction: see extract.h.  Every path was checked with
 * fuin_entry_name_check() (no "..", no absolute path, no empty component)
 * before it arrives here; this file makes sure the file system cannot
 * redirect it either. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sodium.h>

#include "extract.h"

#define TMP_PREFIX ".fuin-unpack-"

typedef struct {
    char *path;
    char *target; /* symlinks */
    unsigned mode;
    int64_t mtime;
} deferred;

typedef struct {
    deferred *v;
    size_t n, cap;
} deferred_list;

struct fuin__extract {
    char *dest;
    int dirfd, tmpfd;
    char tmpname[sizeof TMP_PREFIX + 16];
    mode_t umask;
    fuin__strset files;     /* regular files created (hard link targets) */
    deferred_list dirs, links;
    unsigned label_fail;
    int committed;
};

static int push(deferred_list *l, const char *path, const char *target, unsigned mode,
                int64_t mtime)
{
    deferred *d;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        deferred *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    d = &l->v[l->n];
    d->path = strdup(path);
    d->target = target ? strdup(target) : NULL;
    if (d->path == NULL || (target != NULL && d->target == NULL)) {
        free(d->path);
        free(d->target);
        return -1;
    }
    d->mode = mode;
    d->mtime = mtime;
    l->n++;
    return 0;
}

static void clear_list(deferred_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].target);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Remove NAME beneath parent, never following a symbolic link. */
static void rm_tree(int parent, const char *name, int depth)
{
    int fd;
    DIR *d;
    struct dirent *e;
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return;
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES &&
        fchmodat(parent, name, 0700, AT_SYMLINK_NOFOLLOW) == 0) /* a 0000 directory */
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || depth > FUIN__EXTRACT_MAX_DEPTH + 2) {
        if (fd >= 0)
            close(fd);
        return;
    }
    (void)fchmod(fd, 0700);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rm_tree(dirfd(d), e->d_name, depth + 1);
    }
    closedir(d);
    (void)unlinkat(parent, name, AT_REMOVEDIR);
}

/* A directory stream over the directory open as fd, from its start; fd
 * stays open and usable.  NULL with errno on failure. */
static DIR *dir_stream(int fd)
{
    int d2 = dup(fd);
    DIR *d;
    if (d2 < 0)
        return NULL;
    if ((d = fdopendir(d2)) == NULL) {
        int e = errno;
        close(d2);
        errno = e;
        return NULL;
    }
    rewinddir(d); /* the duplicate shares fd's offset */
    return d;
}

/* Remove everything inside the directory open as fd (fd stays open). */
static void empty_dir(int fd)
{
    DIR *d = dir_stream(fd);
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rm_tree(fd, e->d_name, 1);
    }
    closedir(d);
}

#define MARKER ".fuin-private"

/* Private directories left by a killed run are unlocked: remove them, but
 * only what is certainly one of ours (owned by us, with the marker fuin
 * puts in each), emptied through the locked descriptor, never by name: a
 * directory renamed to look like one is left alone. */
static void sweep(int dirfd)
{
    DIR *d = dir_stream(dirfd);
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        int t;
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
            continue;
        t = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t < 0)
            continue;
        if (flock(t, LOCK_EX | LOCK_NB) == 0) {
            struct stat st, ms;
            if (fstat(t, &st) == 0 && st.st_uid == geteuid() &&
                fstatat(t, MARKER, &ms, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(ms.st_mode) &&
                ms.st_uid == geteuid()) {
                empty_dir(t);
                (void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR); /* only if empty */
            }
        }
        close(t);
    }
    closedir(d);
}

fuin_status fuin__extract_begin(const char *dest, fuin__extract **out, char *err, size_t cap)
{
    fuin__extract *x = calloc(1, sizeof *x);
    int mfd = -1;
    *out = NULL;
    if (x == NULL || (x->dest = strdup(dest)) == NULL) {
        free(x);
        fuin__set_msg(err, cap, "out of memory");
        return FUIN_E_NOMEM;
    }
    x->tmpfd = -1;
    x->dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (x->dirfd < 0) {
        fuin__set_msg(err, cap, "%.600s: cannot open the directory: %s", dest,
                      strerror(errno));
        free(x->dest);
        free(x);
        return FUIN_E_IO;
    }
    sweep(x->dirfd);
    {
        int made = 0;
    for (int tries = 0; tries < 16 && !made; tries++) {
        uint8_t r[6];
        randombytes_buf(r, sizeof r);
        snprintf(x->tmpname, sizeof x->tmpname, TMP_PREFIX "%02x%02x%02x%02x%02x%02x", r[0],
                 r[1], r[2], r[3], r[4], r[5]);
        if (mkdirat(x->dirfd, x->tmpname, 0700) == 0) {
            made = 1;
            break;
        }
        if (errno != EEXIST) {
            fuin__set_msg(err, cap, "%.600s: cannot create a directory in it: %s", dest,
                          strerror(errno));
            x->tmpname[0] = '\0';
            fuin__extract_abort(x);
            return FUIN_E_IO;
        }
    }
    if (!made)
        x->tmpname[0] = '\0';
    }
    if (x->tmpname[0] == '\0' ||
        (x->tmpfd = openat(x->dirfd, x->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                     O_CLOEXEC)) < 0 ||
        flock(x->tmpfd, LOCK_EX | LOCK_NB) != 0 ||
        (mfd = openat(x->tmpfd, MARKER, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600)) < 0) {
        fuin__set_msg(err, cap, "%.600s: cannot use its private directory: %s", dest,
                      strerror(errno));
        fuin__extract_abort(x);
        return FUIN_E_IO;
    }
    close(mfd);
    x->umask = umask(022);
    umask(x->umask);
    *out = x;
    return FUIN_OK;
}

unsigned fuin__extract_label_failures(const fuin__extract *x)
{
    return x ? x->label_fail : 0;
}

fuin_status fuin__extract_check_free(fuin__extract *x, const char *name, char *err,
                                     size_t cap)
{
    struct stat st;
    if (fstatat(x->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        fuin__set_msg(err, cap, "%.600s/%.600s exists: nothing was unpacked (move it away "
                      "or unpack elsewhere with -C DIR)",
                      x->dest, name);
        return FUIN_E_EXISTS;
    }
    return FUIN_OK;
}

/* Open the directory that will hold `path`, creating missing directories
 * (mode 0700 until commit), one component at a time, never following a
 * symbolic link.  *leaf points into path. */
static fuin_status open_parent(fuin__extract *x, const char *path, int *pfd, const char **leaf,
                               char *err, size_t cap)
{
    char comp[256];
    const char *p = path, *slash;
    int cur = dup(x->tmpfd), depth = 0;
    if (cur < 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    while ((slash = strchr(p, '/')) != NULL) {
        size_t n = (size_t)(slash - p);
        int next;
        if (n == 0 || n >= sizeof comp || ++depth > FUIN__EXTRACT_MAX_DEPTH) {
            close(cur);
            fuin__set_msg(err, cap, "\"%.600s\": nested deeper than %d directories", path,
                          FUIN__EXTRACT_MAX_DEPTH);
            return n == 0 || n >= sizeof comp ? FUIN_E_UNSAFE : FUIN_E_LIMIT;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            char sofar[FUIN_ENTRY_PATH_MAX + 1];
            if (mkdirat(cur, comp, 0700) != 0 && errno != EEXIST) {
                fuin__set_msg(err, cap, "\"%.600s\": cannot create a directory: %s", path,
                              strerror(errno));
                close(cur);
                return FUIN_E_IO;
            }
            snprintf(sofar, sizeof sofar, "%.*s", (int)(slash - path), path);
            if (push(&x->dirs, sofar, NULL, 0755, -1) != 0) {
                close(cur);
                fuin__set_msg(err, cap, "out of memory");
                return FUIN_E_NOMEM;
            }
            next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int e = errno;
            close(cur);
            if (e == ELOOP || e == ENOTDIR) {
                fuin__set_msg(err, cap,
                              "\"%.600s\": goes through a symbolic link or a file", path);
                return FUIN_E_UNSAFE;
            }
            fuin__set_msg(err, cap, "\"%.600s\": %s", path, strerror(e));
            return FUIN_E_IO;
        }
        close(cur);
        cur = next;
        p = slash + 1;
    }
    *pfd = cur;
    *leaf = p;
    return FUIN_OK;
}

fuin_status fuin__extract_dir(fuin__extract *x, const char *path, unsigned mode,
                              int64_t mtime, const fuin_label *label, char *err, size_t cap)
{
    const char *leaf;
    int pfd;
    fuin_status s = open_parent(x, path, &pfd, &leaf, err, cap);
    if (s != FUIN_OK)
        return s;
    if (mkdirat(pfd, leaf, 0700) != 0) {
        struct stat st;
        int e = errno;
        if (e != EEXIST || fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode)) {
            close(pfd);
            fuin__set_msg(err, cap, "\"%.600s\": %s", path,
                          e == EEXIST ? "is both a directory and a file" : strerror(e));
            return e == EEXIST ? FUIN_E_UNSAFE : FUIN_E_IO;
        }
        /* made before as a parent: it gets this entry's mode and time */
        for (size_t i = x->dirs.n; i-- > 0;)
            if (strcmp(x->dirs.v[i].path, path) == 0) {
                x->dirs.v[i].mode = mode;
                x->dirs.v[i].mtime = mtime;
                break;
            }
    } else if (push(&x->dirs, path, NULL, mode, mtime) != 0) {
        close(pfd);
        fuin__set_msg(err, cap, "out of memory");
        return FUIN_E_NOMEM;
    }
    if (label != NULL) {
        int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fuin_label_xattr_set_fd(fd, label) != FUIN_OK)
            x->label_fail++;
        if (fd >= 0)
            close(fd);
    }
    close(pfd);
    return FUIN_OK;
}

fuin_status fuin__extract_file_open(fuin__extract *x, const char *path, int *fd, char *err,
                                    size_t cap)
{
    const char *leaf;
    int pfd;
    fuin_status s = open_parent(x, path, &pfd, &leaf, err, cap);
    *fd = -1;
    if (s != FUIN_OK)
        return s;
    *fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (*fd < 0) {
        int e = errno;
        close(pfd);
        fuin__set_msg(err, cap, "\"%.600s\": %s", path,
                      e == EEXIST ? "comes twice, or is both a directory and a file"
                                  : strerror(e));
        return e == EEXIST ? FUIN_E_UNSAFE : FUIN_E_IO;
    }
    close(pfd);
    if (fuin__strset_add(&x->files, strdup(path)) < 0) {
        close(*fd);
        *fd = -1;
        fuin__set_msg(err, cap, "out of memory");
        return FUIN_E_NOMEM;
    }
    return FUIN_OK;
}

fuin_status fuin__extract_file_close(fuin__extract *x, int fd, fuin_status s, unsigned mode,
                                     int64_t mtime, const fuin_label *label, char *err,
                                     size_t cap)
{
    if (fd < 0)
        return s;
    if (s == FUIN_OK) {
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)mtime}};
        if (fchmod(fd, (mode & 0777u) & ~x->umask) != 0 || futimens(fd, ts) != 0) {
            fuin__set_msg(err, cap, "cannot set the file's mode or time: %s", strerror(errno));
            s = FUIN_E_IO;
        }
    }
    if (s == FUIN_OK && label != NULL && fuin_label_xattr_set_fd(fd, label) != FUIN_OK)
        x->label_fail++;
    if (close(fd) != 0 && s == FUIN_OK) {
        fuin__set_msg(err, cap, "cannot write: %s", strerror(errno));
        s = FUIN_E_IO;
    }
    return s;
}

fuin_status fuin__extract_hardlink(fuin__extract *x, const char *path, const char *target,
                                   char *err, size_t cap)
{
    const char *leaf;
    int pfd;
    fuin_status s;
    /* Only to a regular file this run created: no symbolic link exists
     * yet (they come last), so the target's path cannot be redirected. */
    if (!fuin__strset_has(&x->files, target)) {
        fuin__set_msg(err, cap,
                      "\"%.600s\": hard link to \"%.600s\", which is not a file extracted "
                      "before it",
                      path, target);
        return FUIN_E_UNSAFE;
    }
    if ((s = open_parent(x, path, &pfd, &leaf, err, cap)) != FUIN_OK)
        return s;
    if (linkat(x->tmpfd, target, pfd, leaf, 0) != 0) {
        int e = errno;
        close(pfd);
        fuin__set_msg(err, cap, "\"%.600s\": cannot create the hard link: %s", path,
                      strerror(e));
        return e == EEXIST ? FUIN_E_UNSAFE : FUIN_E_IO;
    }
    close(pfd);
    return FUIN_OK;
}

fuin_status fuin__symlink_target_check(const char *path, const char *target, char *why,
                                       size_t cap)
{
    long depth = 0;
    const char *p;
    if (target[0] == '\0') {
        fuin__set_msg(why, cap, "empty target");
        return FUIN_E_UNSAFE;
    }
    if (target[0] == '/') {
        fuin__set_msg(why, cap, "absolute target, outside the destination");
        return FUIN_E_UNSAFE;
    }
    if (fuin_entry_name_check(target, strlen(target), NULL, 0) != FUIN_OK) {
        /* ".." is fine here; anything else the name rules refuse is not */
        for (p = target; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7F || *p == '\\') {
                fuin__set_msg(why, cap, "control character or backslash in the target");
                return FUIN_E_UNSAFE;
            }
    }
    for (p = path; *p; p++)
        if (*p == '/')
            depth++;
    for (p = target; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) {
                fuin__set_msg(why, cap, "leads outside the destination");
                return FUIN_E_UNSAFE;
            }
        } else if (n > 0 && !(n == 1 && p[0] == '.'))
            depth++;
        p += n;
        if (*p == '/')
            p++;
    }
    return FUIN_OK;
}

fuin_status fuin__extract_symlink(fuin__extract *x, const char *path, const char *target,
                                  char *err, size_t cap)
{
    if (push(&x->links, path, target, 0, 0) != 0) {
        fuin__set_msg(err, cap, "out of memory");
        return FUIN_E_NOMEM;
    }
    return FUIN_OK;
}

/* Each link was checked on its own when it came (lexically beneath the
 * root); together they could still lead out: "a -> ." and "b ->
 * a/../x" make b climb above the root through a.  So no link's target may
 * pass through another link of this archive. */
static fuin_status links_check(fuin__extract *x, char *err, size_t cap)
{
    fuin__strset set = {0}, dirs = {0};
    fuin_status s = FUIN_OK;
    for (size_t i = 0; i < x->links.n; i++)
        if (fuin__strset_add(&set, fuin_entry_collision_key(x->links.v[i].path,
                                                            strlen(x->links.v[i].path))) < 0) {
            fuin__strset_clear(&set);
            fuin__set_msg(err, cap, "out of memory");
            return FUIN_E_NOMEM;
        }
    for (size_t i = 0; i < x->dirs.n; i++)
        if (fuin__strset_add(&dirs, fuin_entry_collision_key(x->dirs.v[i].path,
                                                             strlen(x->dirs.v[i].path))) < 0) {
            fuin__strset_clear(&set);
            fuin__strset_clear(&dirs);
            fuin__set_msg(err, cap, "out of memory");
            return FUIN_E_NOMEM;
        }
    for (size_t i = 0; s == FUIN_OK && i < x->links.n; i++) {
        const deferred *d = &x->links.v[i];
        char cur[2 * FUIN_ENTRY_PATH_MAX + 2];
        size_t len;
        const char *slash = strrchr(d->path, '/'), *p = d->target;
        len = slash ? (size_t)(slash - d->path) : 0;
        memcpy(cur, d->path, len);
        cur[len] = '\0';
        while (*p != '\0' && s == FUIN_OK) {
            const char *e = strchr(p, '/');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            int last = e == NULL || e[1] == '\0';
            if (n == 2 && p[0] == '.' && p[1] == '.') {
                char *up = strrchr(cur, '/');
                /* ".." out of a name the archive did not make a directory
                 * (one already in DEST may be a link to anywhere) */
                if (len > 0) {
                    char *k = fuin_entry_collision_key(cur, len);
                    int ok = k != NULL && fuin__strset_has(&dirs, k);
                    free(k);
                    if (!ok) {
                        s = FUIN_E_UNSAFE;
                        break;
                    }
                }
                len = up ? (size_t)(up - cur) : 0;
                cur[len] = '\0';
            } else if (n > 0 && !(n == 1 && p[0] == '.')) {
                if (len + 1 + n >= sizeof cur) {
                    s = FUIN_E_UNSAFE;
                    break;
                }
                if (len > 0)
                    cur[len++] = '/';
                memcpy(cur + len, p, n);
                len += n;
                cur[len] = '\0';
                if (!last) {
                    /* by collision key: on a case-folding file system "a"
                     * goes through the link "A" */
                    char *k = fuin_entry_collision_key(cur, len);
                    if (k == NULL || fuin__strset_has(&set, k))
                        s = FUIN_E_UNSAFE;
                    free(k);
                }
            }
            p += n;
            if (*p == '/')
                p++;
        }
        if (s != FUIN_OK)
            fuin__set_msg(err, cap,
                          "\"%.600s\": symbolic link to \"%.600s\" goes through "
                          "\"%.600s\", another symbolic link of the archive or a name it "
                          "did not make a directory, which could lead outside the "
                          "destination",
                          d->path, d->target, cur);
    }
    fuin__strset_clear(&set);
    fuin__strset_clear(&dirs);
    return s;
}

static fuin_status finish_tree(fuin__extract *x, char *err, size_t cap)
{
    fuin_status ls = links_check(x, err, cap);
    if (ls != FUIN_OK)
        return ls;
    /* Links first: a read-only directory gets its mode last. */
    for (size_t i = 0; i < x->links.n; i++) {
        const deferred *d = &x->links.v[i];
        const char *leaf;
        int pfd;
        fuin_status s = open_parent(x, d->path, &pfd, &leaf, err, cap);
        if (s != FUIN_OK)
            return s;
        if (symlinkat(d->target, pfd, leaf) != 0) {
            int e = errno;
            close(pfd);
            fuin__set_msg(err, cap, "\"%.600s\": %s", d->path,
                          e == EEXIST ? "is both a symbolic link and a file or directory"
                                      : strerror(e));
            return e == EEXIST ? FUIN_E_UNSAFE : FUIN_E_IO;
        }
        close(pfd);
    }
    /* Deepest first, so that a read-only directory is closed last. */
    for (size_t i = x->dirs.n; i-- > 0;) {
        const deferred *d = &x->dirs.v[i];
        const char *leaf;
        int pfd, fd;
        fuin_status s;
        if (strchr(d->path, '/') == NULL)
            continue; /* after the move: moving a directory needs write access to it */
        s = open_parent(x, d->path, &pfd, &leaf, err, cap);
        if (s != FUIN_OK)
            return s;
        fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(pfd);
        if (fd < 0) {
            fuin__set_msg(err, cap, "\"%.600s\": %s", d->path, strerror(errno));
            return FUIN_E_IO;
        }
        if (d->mtime >= 0) {
            struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)d->mtime}};
            (void)futimens(fd, ts);
        }
        if (fchmod(fd, (d->mode & 0777u) & ~x->umask) != 0) {
            fuin__set_msg(err, cap, "\"%.600s\": %s", d->path, strerror(errno));
            close(fd);
            return FUIN_E_IO;
        }
        close(fd);
    }
    return FUIN_OK;
}

/* One top-level name to move: its identity, so that a rollback moves back
 * only what was moved, and (directories) a descriptor for its mode. */
typedef struct {
    char *name;
    dev_t dev;
    ino_t ino;
    int dirfd;          /* a top-level directory, opened before the move */
    const deferred *d;  /* its mode and time */
} topname;

fuin_status fuin__extract_commit(fuin__extract *x, char *err, size_t cap)
{
    topname *names = NULL;
    size_t n = 0, ncap = 0, moved = 0;
    fuin_status s;
    DIR *d;
    struct dirent *e;

    if ((s = finish_tree(x, err, cap)) != FUIN_OK)
        return s;
    if (syncfs(x->tmpfd) != 0) {
        fuin__set_msg(err, cap, "%.600s: cannot flush to disk: %s", x->dest, strerror(errno));
        return FUIN_E_IO;
    }
    if ((d = dir_stream(x->tmpfd)) == NULL) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, MARKER) == 0)
            continue;
        if (n == ncap) {
            topname *v = realloc(names, (ncap = ncap ? ncap * 2 : 16) * sizeof *v);
            if (v == NULL)
                break;
            names = v;
        }
        memset(&names[n], 0, sizeof names[n]);
        names[n].dirfd = -1;
        if ((names[n].name = strdup(e->d_name)) == NULL)
            break;
        if (fstatat(x->tmpfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            names[n].dev = st.st_dev;
            names[n].ino = st.st_ino;
            if (S_ISDIR(st.st_mode))
                names[n].dirfd = openat(x->tmpfd, e->d_name,
                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        for (size_t i = 0; i < x->dirs.n; i++)
            if (strcmp(x->dirs.v[i].path, e->d_name) == 0)
                names[n].d = &x->dirs.v[i]; /* the last one counts */
        n++;
    }
    closedir(d);
    if (e != NULL) {
        s = FUIN_E_NOMEM;
        fuin__set_msg(err, cap, "out of memory");
    }
    /* All or nothing: a clash puts back what was moved, and only what is
     * still the very entry that was moved. */
    for (size_t i = 0; s == FUIN_OK && i < n; i++) {
        if (renameat2(x->tmpfd, names[i].name, x->dirfd, names[i].name, RENAME_NOREPLACE) !=
            0) {
            int er = errno;
            fuin__set_msg(err, cap, er == EEXIST
                                        ? "%.600s/%.600s exists: nothing was unpacked"
                                        : "%.600s/%.600s: cannot move into place: %s",
                          x->dest, names[i].name, strerror(er));
            s = er == EEXIST ? FUIN_E_EXISTS : FUIN_E_IO;
            for (size_t j = 0; j < moved; j++) {
                struct stat st;
                if (fstatat(x->dirfd, names[j].name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    st.st_dev == names[j].dev && st.st_ino == names[j].ino)
                    (void)renameat2(x->dirfd, names[j].name, x->tmpfd, names[j].name,
                                    RENAME_NOREPLACE);
            }
            break;
        }
        moved++;
    }
    if (s == FUIN_OK) {
        x->committed = 1;
        /* Top-level directories get their mode now, through the
         * descriptor opened before the move (never by name). */
        for (size_t i = 0; i < n; i++)
            if (names[i].dirfd >= 0 && names[i].d != NULL) {
                const deferred *td = names[i].d;
                if (td->mtime >= 0) {
                    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
                                             {.tv_sec = (time_t)td->mtime}};
                    (void)futimens(names[i].dirfd, ts);
                }
                (void)fchmod(names[i].dirfd, (td->mode & 0777u) & ~x->umask);
            }
    }
    for (size_t i = 0; i < n; i++) {
        if (names[i].dirfd >= 0)
            close(names[i].dirfd);
        free(names[i].name);
    }
    free(names);
    if (s != FUIN_OK)
        return s;
    (void)unlinkat(x->tmpfd, MARKER, 0);
    (void)unlinkat(x->dirfd, x->tmpname, AT_REMOVEDIR);
    if (fsync(x->dirfd) != 0) {
        /* the files are in place; only their directory entry's flush failed */
        fuin__set_msg(err, cap, "%.600s: unpacked, but the directory could not be flushed to "
                                "disk: %s",
                      x->dest, strerror(errno));
        return FUIN_E_IO;
    }
    return FUIN_OK;
}

void fuin__extract_abort(fuin__extract *x)
{
    if (x == NULL)
        return;
    if (!x->committed && x->tmpname[0] != '\0' && x->dirfd >= 0) {
        if (x->tmpfd >= 0) {
            (void)fchmod(x->tmpfd, 0700);
            empty_dir(x->tmpfd);
        }
        (void)unlinkat(x->dirfd, x->tmpname, AT_REMOVEDIR); /* only if empty */
    }
    if (x->tmpfd >= 0)
        close(x->tmpfd);
    if (x->dirfd >= 0)
        close(x->dirfd);
    fuin__strset_clear(&x->files);
    clear_list(&x->dirs);
    clear_list(&x->links);
    free(x->dest);
    free(x);
}
