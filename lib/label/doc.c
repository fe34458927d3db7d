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
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        fuin__set_msg(err, cap, "not a regular file");
        return FUIN_E_IO;
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
