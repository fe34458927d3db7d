/* File labels: what lib/label/ shares with the rest of the library. */
#ifndef FUIN_LABEL_INTERNAL_H
#define FUIN_LABEL_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>

#include "fuin.h"

/* Bytes of a bracketed prefix of a file name (【…】, ［…］ or […]), 0 when
 * there is none. */
size_t fuin__label_name_prefix_len(const char *base);
/* The label of a file-name prefix: 1 found (*l set), 0 no label prefix
 * (none, or a bracket that holds no class such as "[draft]"), -1 a prefix
 * that is meant as a class but does not parse. */
int fuin__label_from_name(const char *base, fuin_label *l);

fuin_file_labels *fuin__file_labels_new(void);
/* Read into fl; fd: the file open for reading (or -1: by path). */
fuin_status fuin__file_labels_read_at(const char *path, int fd, const struct stat *st,
                                      const fuin_policy *pol, unsigned flags,
                                      fuin_file_labels *fl, char *err, size_t cap);

#endif
