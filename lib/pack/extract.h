/* Safe extraction beneath a directory (extract.c). */
#ifndef FUIN_PACK_EXTRACT_H
#define FUIN_PACK_EXTRACT_H

#include "pack_internal.h"

/* Entries are created in DEST/.fuin-unpack-XXXXXX (mode 0700, flock()ed
 * while in use) one path component at a time with O_NOFOLLOW, so nothing
 * is ever written through a symbolic link; symbolic links themselves are
 * created last.  commit moves the top-level names into DEST with
 * RENAME_NOREPLACE (all or none); abort removes the private directory.
 * Stale private directories of a killed run are removed by begin. */
typedef struct fuin__extract fuin__extract;
#define FUIN__EXTRACT_MAX_DEPTH 256

fuin_status fuin__extract_begin(const char *dest, fuin__extract **out, char *err,
                                size_t cap);
/* FUIN_E_EXISTS if DEST/name exists. */
fuin_status fuin__extract_check_free(fuin__extract *x, const char *name, char *err,
                                     size_t cap);
fuin_status fuin__extract_dir(fuin__extract *x, const char *path, unsigned mode,
                              int64_t mtime, const fuin_label *label, char *err, size_t cap);
fuin_status fuin__extract_file_open(fuin__extract *x, const char *path, int *fd, char *err,
                                    size_t cap);
/* Closes fd; s is the status of writing it (returned unless it is FUIN_OK
 * and finishing the file fails). */
fuin_status fuin__extract_file_close(fuin__extract *x, int fd, fuin_status s, unsigned mode,
                                     int64_t mtime, const fuin_label *label, char *err,
                                     size_t cap);
/* A hard link to a regular file extracted before. */
fuin_status fuin__extract_hardlink(fuin__extract *x, const char *path, const char *target,
                                   char *err, size_t cap);
/* Does a symbolic link at `path` pointing to `target` stay beneath the
 * root (relative, and its ".." never climbing above the root)? */
fuin_status fuin__symlink_target_check(const char *path, const char *target, char *why,
                                       size_t cap);
fuin_status fuin__extract_symlink(fuin__extract *x, const char *path, const char *target,
                                  char *err, size_t cap);
fuin_status fuin__extract_commit(fuin__extract *x, char *err, size_t cap);
/* Removes what was not committed; frees x. */
void fuin__extract_abort(fuin__extract *x);
/* Labels that could not be stored as xattrs (file system without them). */
unsigned fuin__extract_label_failures(const fuin__extract *x);

#endif
