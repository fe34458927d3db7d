/* fuin_label_scan: every file of a tree and the places its label is shown,
 * without following symbolic links and, unless asked, on one file system.
 * Directories are opened relative to their parent (openat, O_NOFOLLOW), so
 * a directory swapped for a link during the scan is not followed either. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "label/label_internal.h"

#define SCAN_DEPTH_MAX 1024

typedef struct {
    const fuin_policy *pol;
    unsigned flags;
    fuin_scan_fn fn;
    void *ctx;
    dev_t dev;
    int stop;
    char *path;   /* DIR-relative path of the current entry */
    size_t cap;
    char *full;   /* DIR + "/" + path (for messages and the doc readers) */
    size_t fcap;
    size_t root_len;
} scan;

static void raise_to(fuin_label *acc, int *has, const fuin_label *l)
{
    if (!*has) {
        *acc = *l;
        *has = 1;
        return;
    }
    if (l->confidentiality > acc->confidentiality)
        acc->confidentiality = l->confidentiality;
    if (l->integrity > acc->integrity)
        acc->integrity = l->integrity;
    if (l->availability > acc->availability)
        acc->availability = l->availability;
    acc->restrictions |= l->restrictions;
}

/* What an entry adds to its directory's contents: its label, or where its
 * places disagree, the highest of them (a conflicted C3 file still makes
 * its folder a C3 folder). */
static void raise_entry(fuin_label *acc, int *has, const fuin_scan_entry *e)
{
    if (e->has_label) {
        raise_to(acc, has, &e->label);
        return;
    }
    if (e->result != FUIN_E_LABEL_CONFLICT || e->labels == NULL)
        return;
    for (size_t i = 0; i < fuin_file_labels_count(e->labels); i++) {
        const fuin_label_found *f = fuin_file_labels_get(e->labels, i);
        /* valid places, and the higher reading of a place whose two
         * forms disagree (label set even though valid is 0) */
        if (f->parts != 0 && f->label.confidentiality > 0)
            raise_to(acc, has, &f->label);
    }
}

static int set_path(scan *sc, size_t at, const char *name)
{
    size_t n = strlen(name), need = at + n + 2;
    if (need > sc->cap) {
        char *p = realloc(sc->path, need * 2);
        if (p == NULL)
            return -1;
        sc->path = p;
        sc->cap = need * 2;
    }
    if (at > 0)
        sc->path[at - 1] = '/';
    memcpy(sc->path + at, name, n + 1);
    if (sc->root_len + 1 + at + n + 1 > sc->fcap) {
        size_t c = (sc->root_len + at + n + 2) * 2;
        char *f = realloc(sc->full, c);
        if (f == NULL)
            return -1;
        sc->full = f;
        sc->fcap = c;
    }
    sc->full[sc->root_len] = '/';
    memcpy(sc->full + sc->root_len + 1, sc->path, at + n + 1);
    return 0;
}

static void emit(scan *sc, fuin_scan_entry *e)
{
    if (!sc->stop && sc->fn(sc->ctx, e) != 0)
        sc->stop = 1;
}

static void report_error(scan *sc, const char *why)
{
    fuin_scan_entry e;
    memset(&e, 0, sizeof e);
    e.kind = FUIN_SCAN_ERROR;
    e.path = sc->path;
    e.error = why;
    emit(sc, &e);
}

/* Labels of an open entry; fills e (kind, result, label) and raises the
 * parent's contents.  Returns the labels (to free) or NULL. */
static fuin_file_labels *labels_of(scan *sc, int fd, const struct stat *st, fuin_scan_entry *e)
{
    fuin_file_labels *fl = fuin__file_labels_new();
    char err[FUIN_ERRMSG_MAX], msg[8];
    fuin_status s;
    if (fl == NULL) {
        report_error(sc, "out of memory");
        return NULL;
    }
    s = fuin__file_labels_read_at(sc->full, fd, st, sc->pol,
                                  (sc->flags & FUIN_SCAN_DOCS) ? FUIN_LABEL_READ_DOCS : 0, fl,
                                  err, sizeof err);
    if (s != FUIN_OK) {
        fuin_file_labels_free(fl);
        report_error(sc, err);
        return NULL;
    }
    e->labels = fl;
    e->path = sc->path;
    e->result = fuin_file_labels_result(fl, &e->label, &e->has_label, msg, sizeof msg);
    if (e->has_label && fuin_policy_label_name_required(sc->pol, &e->label)) {
        int named = 0;
        for (size_t i = 0; i < fuin_file_labels_count(fl); i++)
            if (fuin_file_labels_get(fl, i)->place == FUIN_LABEL_AT_NAME)
                named = 1;
        e->name_missing = !named;
    }
    return fl;
}

typedef struct {
    char *name;
    unsigned char type;
} dent;

static int by_dent(const void *a, const void *b)
{
    return strcmp(((const dent *)a)->name, ((const dent *)b)->name);
}

/* The entries of dfd, sorted, with their d_type (DT_UNKNOWN where the
 * file system does not say); NULL on error (errno). */
static char **list_dir(int dfd, size_t *n, unsigned char **types)
{
    int d2 = dup(dfd);
    DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
    struct dirent *de;
    dent *v = NULL;
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    *types = NULL;
    if (d == NULL) {
        if (d2 >= 0)
            close(d2);
        return NULL;
    }
    rewinddir(d);
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            dent *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
            if (nv == NULL)
                goto fail;
            v = nv;
        }
        if ((v[*n].name = strdup(de->d_name)) == NULL)
            goto fail;
        v[*n].type = de->d_type;
        (*n)++;
    }
    if (errno != 0)
        goto fail;
    closedir(d);
    d = NULL;
    if (*n > 1)
        qsort(v, *n, sizeof *v, by_dent);
    /* names and types side by side, in one allocation each */
    if ((names = malloc((*n + 1) * sizeof *names)) == NULL ||
        (*types = malloc(*n + 1)) == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < *n; i++) {
        names[i] = v[i].name;
        (*types)[i] = v[i].type;
    }
    free(v);
    return names;
fail : {
    int e = errno ? errno : ENOMEM;
    for (size_t i = 0; i < *n; i++)
        free(v[i].name);
    free(v);
    free(names);
    free(*types);
    *types = NULL;
    if (d != NULL)
        closedir(d);
    errno = e;
    return NULL;
}
}

/* Walk the directory open as dfd, whose path is sc->path[0..at) ("" for
 * the root); raises acc and has with the highest label inside. */
static void walk(scan *sc, int dfd, size_t at, int depth, fuin_label *acc, int *has)
{
    size_t n;
    unsigned char *types = NULL;
    char **names = list_dir(dfd, &n, &types);
    if (names == NULL) {
        report_error(sc, strerror(errno));
        return;
    }
    for (size_t i = 0; i < n && !sc->stop; i++) {
        struct stat st;
        fuin_scan_entry e;
        fuin_file_labels *fl = NULL;
        int fd = -1;
        if (set_path(sc, at, names[i]) != 0) {
            report_error(sc, "out of memory");
            break;
        }
        memset(&e, 0, sizeof e);
        e.path = sc->path;
        /* Regular files and directories by the directory's own word are
         * opened at once (never following a link) and checked with fstat;
         * anything else is looked at first and never opened (opening a
         * device can have effects). */
        if (types[i] == DT_REG || types[i] == DT_DIR) {
            fd = openat(dfd, names[i],
                        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                            (types[i] == DT_DIR ? O_DIRECTORY : 0));
            if (fd < 0 && errno != ELOOP && errno != ENOTDIR && errno != ENOENT) {
                report_error(sc, strerror(errno));
                continue;
            }
        }
        if (fd < 0 && fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            report_error(sc, strerror(errno));
            continue;
        }
        if (fd < 0 && (S_ISLNK(st.st_mode) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))) {
            e.kind = S_ISLNK(st.st_mode) ? FUIN_SCAN_LINK : FUIN_SCAN_OTHER;
            emit(sc, &e);
            continue;
        }
        if (fd < 0)
            fd = openat(dfd, names[i],
                        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                            (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
        if (fd < 0 || fstat(fd, &st) != 0) {
            report_error(sc, strerror(errno));
            if (fd >= 0)
                close(fd);
            continue;
        }
        if (S_ISREG(st.st_mode)) {
            e.kind = FUIN_SCAN_FILE;
            if ((fl = labels_of(sc, fd, &st, &e)) != NULL) {
                raise_entry(acc, has, &e);
                emit(sc, &e);
                fuin_file_labels_free(fl);
            }
        } else if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != sc->dev && !(sc->flags & FUIN_SCAN_CROSS_FS)) {
                e.kind = FUIN_SCAN_OTHER;
                e.error = "another file system: not entered";
                emit(sc, &e);
            } else if (depth >= SCAN_DEPTH_MAX) {
                report_error(sc, "directories nested too deep: not entered");
            } else {
                size_t here = strlen(sc->path);
                e.kind = FUIN_SCAN_DIR;
                walk(sc, fd, here + 1, depth + 1, &e.contents, &e.has_contents);
                /* sc->path was reused below: put this directory's back */
                if (set_path(sc, at, names[i]) == 0 && (fl = labels_of(sc, fd, &st, &e)) != NULL) {
                    raise_entry(acc, has, &e);
                    if (e.has_contents)
                        raise_to(acc, has, &e.contents);
                    emit(sc, &e);
                    fuin_file_labels_free(fl);
                }
            }
        } else {
            e.kind = FUIN_SCAN_OTHER;
            emit(sc, &e);
        }
        close(fd);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(types);
}

fuin_status fuin_label_scan(const char *dir, const fuin_policy *policy, unsigned flags,
                            fuin_scan_fn fn, void *ctx, char *err, size_t cap)
{
    scan sc;
    struct stat st;
    fuin_scan_entry e;
    fuin_file_labels *fl;
    int dfd;
    fuin__set_msg(err, cap, "%s", "");
    if (dir == NULL || fn == NULL)
        return FUIN_E_INVALID;
    memset(&sc, 0, sizeof sc);
    sc.pol = policy;
    sc.flags = flags;
    sc.fn = fn;
    sc.ctx = ctx;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fstat(dfd, &st) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return FUIN_E_IO;
    }
    sc.dev = st.st_dev;
    sc.root_len = strlen(dir);
    while (sc.root_len > 1 && dir[sc.root_len - 1] == '/')
        sc.root_len--;
    sc.fcap = sc.root_len + 256;
    sc.cap = 256;
    if ((sc.full = malloc(sc.fcap)) == NULL || (sc.path = malloc(sc.cap)) == NULL) {
        free(sc.full);
        close(dfd);
        return FUIN_E_NOMEM;
    }
    memcpy(sc.full, dir, sc.root_len);
    sc.full[sc.root_len] = '\0';
    sc.path[0] = '\0';
    memset(&e, 0, sizeof e);
    walk(&sc, dfd, 0, 0, &e.contents, &e.has_contents);
    /* the root itself, last, with everything it holds */
    if (!sc.stop) {
        sc.path[0] = '.';
        sc.path[1] = '\0';
        memcpy(sc.full, dir, sc.root_len);
        sc.full[sc.root_len] = '\0';
        e.kind = FUIN_SCAN_DIR;
        if ((fl = labels_of(&sc, dfd, &st, &e)) != NULL) {
            e.path = ".";
            emit(&sc, &e);
            fuin_file_labels_free(fl);
        }
    }
    close(dfd);
    free(sc.path);
    free(sc.full);
    return FUIN_OK;
}
