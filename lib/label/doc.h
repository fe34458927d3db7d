/* Labels inside documents (internal; lib/label/).
 *
 * Each document format has a reader and a writer.  They know where the
 * format keeps properties and nothing about labels: a reader reports the
 * raw text of every fuin property it finds (and every enabled Microsoft
 * Purview / MSIP label id), the caller (lib/label/label_file.c) parses it,
 * compares places and decides about conflicts.  A writer is given the
 * texts to store and rewrites the document so that it appears complete
 * and synced under its name, or not at all (fuin_outfile, FUIN_F_FORCE);
 * everything it does not own is kept: other zip members byte-identical
 * (compressed data and headers copied by libzip), other properties and
 * other XML untouched, the file's mode kept.
 *
 * XML is parsed with libxml2, never by string search: no DTD is accepted
 * (OOXML, ODF and XMP never have one), no entity is expanded, no network.
 *
 * Property names (the same in every format; exiftool shows them as tags
 * FuinLabel / FuinClass for OOXML and PDF Info, XMP-fuin:Label / Class for
 * XMP, and as User-definedName / User-defined pairs for ODF): "FuinLabel" =
 * the human form ("機密性2 完全性1 可用性1
 * 複製禁止"), "FuinClass" = the machine form ("C2-I1-A1 no-copy").  PDF:
 * /FuinLabel and /FuinClass in the document information dictionary, and
 * fuin:Label / fuin:Class in the XMP packet (namespace FUIN__XMP_NS).
 */
#ifndef FUIN_LABEL_DOC_H
#define FUIN_LABEL_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "fuin.h"

#define FUIN__PROP_LABEL "FuinLabel"
#define FUIN__PROP_CLASS "FuinClass"
#define FUIN__XMP_NS "urn:fuin:label:1.0:"
#define FUIN__XMP_PREFIX "fuin"

typedef enum {
    FUIN__DOC_NONE = 0,
    FUIN__DOC_OOXML, /* .docx .xlsx .pptx (+ m variants): zip with [Content_Types].xml */
    FUIN__DOC_ODF,   /* .odt .ods .odp: zip whose first member "mimetype" */
    FUIN__DOC_PDF    /* .pdf: %PDF- */
} fuin__doc_kind;

/* The document kind by file-name extension alone (case-insensitive);
 * FUIN__DOC_NONE for anything else.  No I/O: a tree scan calls it for
 * every name. */
fuin__doc_kind fuin__doc_kind_of_name(const char *name);

/* Where a reader found something.  Places are fixed strings:
 *   "ooxml:custom"  docProps/custom.xml, FuinLabel / FuinClass
 *   "ooxml:msip"    docProps/custom.xml, MSIP_Label_<id>_Enabled = true
 *   "odf:meta"      meta.xml, meta:user-defined FuinLabel / FuinClass
 *   "pdf:info"      the document information dictionary
 *   "pdf:xmp"       the XMP metadata stream of the document catalog      */
typedef struct {
    const char *place;
    const char *label; /* FuinLabel text, or NULL when absent             */
    const char *cls;   /* FuinClass text, or NULL when absent             */
    const char *msip_id; /* "ooxml:msip" only: the label id (GUID text)   */
} fuin__doc_found;

/* Called once per place that has anything; non-zero stops the read (the
 * reader then returns FUIN_OK).  The strings live until the callback
 * returns. */
typedef int (*fuin__doc_found_fn)(void *ctx, const fuin__doc_found *f);

/* What a writer stores.  label == NULL and cls == NULL: remove fuin's
 * properties (clear).  msip_id != NULL: also write the MSIP properties of
 * that label (OOXML only; the others ignore it) and remove every other
 * MSIP_Label_* property; msip_id == NULL with clear_msip: remove all
 * MSIP_Label_* properties; otherwise MSIP properties are left alone. */
typedef struct {
    const char *label;     /* human form (UTF-8)                         */
    const char *cls;       /* machine form (ASCII)                       */
    const char *msip_id;   /* GUID, e.g. "8c3f...-..."                   */
    const char *msip_name; /* the label's name in Microsoft 365          */
    const char *msip_site; /* the tenant (site) id GUID                  */
    int clear_msip;
    int64_t time;          /* SetDate / ModDate, seconds since 1970 UTC  */
} fuin__doc_stamp;

/* Readers: FUIN_OK (also when nothing was found), FUIN_E_SYNTAX (not a
 * well-formed document of that kind, or XML with a DTD), FUIN_E_LIMIT (a
 * part larger than FUIN__DOC_PART_MAX), FUIN_E_IO, FUIN_E_NOMEM.  `path`
 * names the file in messages; the data is read from `fd` (not closed, any
 * offset).  err gets a one-line message without the path. */
#define FUIN__DOC_PART_MAX (16u * 1024u * 1024u)
fuin_status fuin__ooxml_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap);
fuin_status fuin__odf_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap);
fuin_status fuin__pdf_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap);

/* Writers: rewrite `path` in place as described above.  Same statuses,
 * plus FUIN_E_INVALID for a bad stamp. */
fuin_status fuin__ooxml_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap);
fuin_status fuin__odf_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap);
fuin_status fuin__pdf_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap);

/* The replacement of a document being rewritten: an fuin_outfile over
 * `path` (FUIN_F_FORCE) with the original's mode, and its extended
 * attributes copied (user.* at least; a label in user.fuin.* survives the
 * rewrite).  Write the new bytes to it, then fuin_outfile_commit() (or
 * fuin_outfile_abort()).  FUIN_OK, FUIN_E_IO, FUIN_E_NOMEM. */
struct fuin_outfile;
struct stat;
/* Refuses (FUIN_E_IO, with the reason) a rewrite that would do more than
 * the caller may: no write permission on the file, a file owned by
 * someone else (the new file would change owner), other hard links (they
 * would keep the old file).  fuin__doc_replace_open() checks it too. */
fuin_status fuin__doc_may_rewrite(const char *path, const struct stat *st, char *err, size_t cap);
/* The file as found before the writer read it (NULL: no expectation);
 * this thread's next fuin__doc_replace_open() refuses with
 * FUIN_E_MISMATCH when the path now holds another or a changed file. */
void fuin__doc_expect(const struct stat *st);
fuin_status fuin__doc_replace_open(const char *path, struct fuin_outfile **out, char *err,
                                   size_t cap);

#endif
