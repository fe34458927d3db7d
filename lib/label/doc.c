/* Labels inside documents: what the format readers and writers share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "internal.h"
#include "label/doc.h"

fuin__doc_kind fuin__doc_kind_of_name(const char *name)
{
    static const struct {
        const char *ext;
        fuin__doc_kind kind;
    } map[] = {
        {".docx", FUIN__DOC_OOXML}, {".docm", FUIN__DOC_OOXML}, {".xlsx", FUIN__DOC_OOXML},
        {".xlsm", FUIN__DOC_OOXML}, {".pptx", FUIN__DOC_OOXML}, {".pptm", FUIN__DOC_OOXML},
        {".odt", FUIN__DOC_ODF},    {".ods", FUIN__DOC_ODF},    {".odp", FUIN__DOC_ODF},
        {".odg", FUIN__DOC_ODF},    {".pdf", FUIN__DOC_PDF},
    };
    const char *dot;
    if (name == NULL || (dot = strrchr(name, '.')) == NULL)
        return FUIN__DOC_NONE;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(dot, map[i].ext) == 0)
            return map[i].kind;
    return FUIN__DOC_NONE;
}

/* Copy every extended attribute this process may read and write (user.*;
 * others when root) from src to dst; the ones that cannot be set (trusted.*
 * without privilege, security.* on another LSM) are skipped. */
static int copy_xattrs(int src, int dst)
{
    ssize_t n = flistxattr(src, NULL, 0);
    char *names, *val = NULL;
    size_t vcap = 0;
    if (n < 0)
        return (errno == ENOTSUP || errno == ENOSYS) ? 0 : -1;
    if (n == 0)
        return 0;
    if ((names = malloc((size_t)n)) == NULL)
        return -1;
    if ((n = flistxattr(src, names, (size_t)n)) < 0) {
        free(names);
        return -1;
    }
    for (char *k = names; k < names + n; k += strlen(k) + 1) {
        ssize_t v = fgetxattr(src, k, NULL, 0);
        if (v < 0)
            continue;
        if ((size_t)v > vcap) {
            char *nv = realloc(val, (size_t)v);
            if (nv == NULL) {
                free(val);
                free(names);
                return -1;
            }
            val = nv;
            vcap = (size_t)v;
        }
        if ((v = fgetxattr(src, k, val, vcap)) < 0)
            continue;
        if (fsetxattr(dst, k, val, (size_t)v, 0) != 0 && strncmp(k, "user.", 5) == 0) {
            free(val);
            free(names);
            return -1;
        }
    }
    free(val);
    free(names);
    return 0;
}

/* The file as fuin_file_label_set() found it, before any writer read it:
 * the replacement is refused if what is at the path now is another file
 * or was changed meanwhile (an editor saving a new version). */
static __thread struct {
    int set;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
} expect;

void fuin__doc_expect(const struct stat *st)
{
    expect.set = st != NULL;
    if (st != NULL) {
        expect.dev = st->st_dev;
        expect.ino = st->st_ino;
        expect.size = st->st_size;
        expect.mtim = st->st_mtim;
        expect.ctim = st->st_ctim;
    }
}

fuin_status fuin__doc_may_rewrite(const char *path, const struct stat *st, char *err, size_t cap)
{
    if (!S_ISREG(st->st_mode)) {
        fuin__set_msg(err, cap, "not a regular file");
        return FUIN_E_IO;
    }
    /* a rename replaces the file: only who may write it may do that */
    if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0) {
        fuin__set_msg(err, cap, "cannot rewrite the document: %s", strerror(errno));
        return FUIN_E_IO;
    }
    if (geteuid() != 0 && st->st_uid != geteuid()) {
        fuin__set_msg(err, cap, "cannot rewrite the document: it belongs to someone else, and "
                                "the new file would be yours (label it with --no-doc)");
        return FUIN_E_IO;
    }
    if (st->st_nlink > 1) {
        fuin__set_msg(err, cap, "cannot rewrite the document: it has %lu hard links, and only "
                                "this name would get the new file (label it with --no-doc)",
                      (unsigned long)st->st_nlink);
        return FUIN_E_IO;
    }
    return FUIN_OK;
}

fuin_status fuin__doc_replace_open(const char *path, struct fuin_outfile **out, char *err,
                                   size_t cap)
{
    struct stat st;
    int fd;
    fuin_status s;
    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return FUIN_E_IO;
    }
    if ((s = fuin__doc_may_rewrite(path, &st, err, cap)) != FUIN_OK) {
        close(fd);
        return s;
    }
    if (expect.set &&
        (st.st_dev != expect.dev || st.st_ino != expect.ino || st.st_size != expect.size ||
         st.st_mtim.tv_sec != expect.mtim.tv_sec || st.st_mtim.tv_nsec != expect.mtim.tv_nsec ||
         st.st_ctim.tv_sec != expect.ctim.tv_sec || st.st_ctim.tv_nsec != expect.ctim.tv_nsec)) {
        close(fd);
        fuin__set_msg(err, cap, "the document changed while it was being labelled; nothing "
                                "was written (try again)");
        return FUIN_E_MISMATCH;
    }
    if ((s = fuin_outfile_open(path, (int)(st.st_mode & 07777), FUIN_F_FORCE, out, err, cap)) !=
        FUIN_OK) {
        close(fd);
        return s;
    }
    /* the mode exactly (the umask narrowed it), the owner where allowed */
    (void)fchmod(fuin_outfile_fd(*out), st.st_mode & 07777);
    if (geteuid() == 0)
        (void)fchown(fuin_outfile_fd(*out), st.st_uid, st.st_gid);
    if (copy_xattrs(fd, fuin_outfile_fd(*out)) != 0) {
        fuin__set_msg(err, cap, "cannot keep its extended attributes: %s", strerror(errno));
        fuin_outfile_abort(*out);
        *out = NULL;
        close(fd);
        return FUIN_E_IO;
    }
    close(fd);
    return FUIN_OK;
}
