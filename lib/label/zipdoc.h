/* Zip-based documents (OOXML, ODF): what ooxml.c and odf.c share
 * (internal; lib/label/).
 *
 * A fuin__zipdoc is a libzip archive over a file descriptor, read with
 * pread() (the descriptor's offset is never used).  Opened for rewriting,
 * the same libzip source also takes the new archive: libzip copies every
 * member that was not replaced (local header rebuilt from the central
 * directory, compressed data byte for byte) into the fuin_outfile of
 * fuin__doc_replace_open(), and its commit publishes the file.  Nothing is
 * written before fuin__zipdoc_commit(); a zipdoc freed uncommitted leaves
 * the original untouched.
 *
 * Every message is one line, names the member where there is one, never
 * the file. */
#ifndef FUIN_LABEL_ZIPDOC_H
#define FUIN_LABEL_ZIPDOC_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <zip.h>

#include "fuin.h"

typedef struct fuin__zipdoc fuin__zipdoc;

/* Open the zip in `fd` (not closed, any offset) read-only.  FUIN_OK,
 * FUIN_E_SYNTAX (not a zip), FUIN_E_IO, FUIN_E_NOMEM. */
fuin_status fuin__zipdoc_open_fd(int fd, fuin__zipdoc **out, char *err, size_t cap);
/* Open `path` (not following a symbolic link) for rewriting. */
fuin_status fuin__zipdoc_open_path(const char *path, fuin__zipdoc **out, char *err, size_t cap);
/* Discard (uncommitted changes are dropped, nothing is written); NULL ok. */
void fuin__zipdoc_free(fuin__zipdoc *z);

zip_t *fuin__zipdoc_zip(const fuin__zipdoc *z);
/* Index of the member `name` (ASCII case ignored when nocase), or -1. */
zip_int64_t fuin__zipdoc_find(const fuin__zipdoc *z, const char *name, int nocase);

/* Member `idx` into malloc()ed memory, NUL-terminated (*len excludes the
 * NUL), refusing (FUIN_E_LIMIT) one larger than `max` without inflating
 * it: at most max + 1 bytes are ever inflated.  FUIN_E_SYNTAX for a
 * damaged, encrypted or inconsistent member. */
fuin_status fuin__zipdoc_read(fuin__zipdoc *z, zip_uint64_t idx, size_t max, uint8_t **buf,
                              size_t *len, char *err, size_t cap);

/* Parse XML from memory with libxml2: no network, no entity expansion,
 * and a document with a DTD (<!DOCTYPE ...>) refused as soon as it is
 * seen (FUIN_E_SYNTAX), before its internal subset is read.  `what` names
 * the part in messages. */
fuin_status fuin__xml_parse(const uint8_t *buf, size_t len, const char *what, xmlDoc **doc,
                            char *err, size_t cap);
/* Member `idx` (at most FUIN__DOC_PART_MAX bytes) parsed as above; the
 * member's name is used in messages. */
fuin_status fuin__zipdoc_read_xml(fuin__zipdoc *z, zip_uint64_t idx, xmlDoc **doc, char *err,
                                  size_t cap);

/* Stage `doc`, serialised as UTF-8 (with its XML declaration), as the new
 * content of member idx (>= 0: kept in place, its time stamp kept) or as
 * a new member `name` at the end (idx < 0, time stamp `mtime`); deflated
 * either way. */
fuin_status fuin__zipdoc_put_xml(fuin__zipdoc *z, zip_int64_t idx, const char *name,
                                 xmlDoc *doc, int64_t mtime, char *err, size_t cap);

/* Write the archive with the staged members over `path` (the path given
 * to fuin__zipdoc_open_path) through fuin__doc_replace_open(): complete
 * and synced, or not at all.  The zipdoc must still be freed. */
fuin_status fuin__zipdoc_commit(fuin__zipdoc *z, const char *path, char *err, size_t cap);

/* ---- small XML helpers ------------------------------------------------ */
/* Is n an element `name` in namespace `ns`? */
int fuin__xml_is(const xmlNode *n, const char *ns, const char *name);
/* The first element child of n, or NULL. */
xmlNode *fuin__xml_first_element(const xmlNode *n);
/* A namespace for `href` usable on children of `el`: one in scope, or a
 * new declaration on `el` with `prefix` (prefix1, prefix2... when taken).
 * NULL on no memory. */
xmlNs *fuin__xml_ns(xmlNode *el, const char *href, const char *prefix);

/* A text for a property: valid UTF-8, no control characters, at most
 * 4096 bytes.  0 or -1. */
int fuin__doc_text_ok(const char *s);

#endif
