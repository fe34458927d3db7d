/*
 * fuin file labels: the class shown on the file itself (security policy
 * §2.3(2)②: its name, its properties, its header), wherever the file's own
 * world looks for it.  Included by <fuin.h>; do not include directly.
 * docs/labels.md describes every place and its exact form.
 *
 * Places (fuin_label_place), each with a stable machine name (`where`):
 *   "xattr"        the extended attributes user.fuin.label (human form,
 *                  "機密性2 完全性1 可用性1 複製禁止") and user.fuin.class
 *                  (machine form, "C2-I1-A1 no-copy"); on every file
 *                  system that has user xattrs
 *   "name"         a 【機密性2】 prefix of the file name (levels only)
 *   "ooxml:custom" an Office Open XML document's custom properties
 *                  FuinLabel / FuinClass (docProps/custom.xml)
 *   "ooxml:msip"   a Microsoft Purview (MSIP) label in the same part,
 *                  mapped to a confidentiality class by the policy's
 *                  [labels] msip_C1..msip_C3 (confidentiality only)
 *   "odf:meta"     an OpenDocument file's meta:user-defined FuinLabel /
 *                  FuinClass (meta.xml)
 *   "pdf:info"     a PDF's document information dictionary
 *   "pdf:xmp"      a PDF's XMP metadata (fuin:Label / fuin:Class)
 *   "age"          the fuin-label stanza of an age file (read without a
 *                  key, so not authenticated: fuin decrypt authenticates)
 *
 * A file's label is what every place that has one agrees on.  Places are
 * compared on what both carry (a name and an MSIP label carry no
 * restrictions; an MSIP label carries no integrity or availability).  If
 * two places disagree, or one holds text that is not a label, the file's
 * label is in conflict and fuin refuses to guess: FUIN_E_LABEL_CONFLICT.
 */
#ifndef FUIN_FILELABEL_H
#define FUIN_FILELABEL_H
#ifndef FUIN_H
#error "include <fuin.h>"
#endif
#ifdef __cplusplus
extern "C" {
#endif

/* The extended attributes (FUIN_LABEL_XATTR is user.fuin.label). */
#define FUIN_CLASS_XATTR "user.fuin.class"

/* The human form: "機密性2 完全性1 可用性1 複製禁止" (all three levels, then
 * the restrictions' Japanese words in the fixed order).  What a file's
 * xattr and document properties show people.  Returns the bytes needed
 * excluding the NUL (like snprintf). */
FUIN_EXPORT size_t fuin_label_format_ja(const fuin_label *l, char *buf, size_t cap);
/* The machine form: "C2-I1-A1 no-copy" (ASCII; the age header's stanza
 * arguments joined by spaces).  Returns the bytes needed excluding NUL. */
FUIN_EXPORT size_t fuin_label_format_ascii(const fuin_label *l, char *buf, size_t cap);
/* The file-name prefix: "【機密性2】" when integrity and availability are 1,
 * else e.g. "【機密性3・完全性2】", "【機密性2・可用性2】" (restrictions are
 * not shown in names).  Returns the bytes needed excluding the NUL. */
FUIN_EXPORT size_t fuin_label_format_name(const fuin_label *l, char *buf, size_t cap);

typedef enum {
    FUIN_LABEL_AT_XATTR = 1,
    FUIN_LABEL_AT_NAME = 2,
    FUIN_LABEL_AT_OOXML = 3,
    FUIN_LABEL_AT_MSIP = 4,
    FUIN_LABEL_AT_ODF = 5,
    FUIN_LABEL_AT_PDF_INFO = 6,
    FUIN_LABEL_AT_PDF_XMP = 7,
    FUIN_LABEL_AT_AGE = 8
} fuin_label_place;

/* What a place carries (a found label's `parts`). */
#define FUIN_LABEL_PART_C 1u  /* confidentiality                      */
#define FUIN_LABEL_PART_IA 2u /* integrity and availability           */
#define FUIN_LABEL_PART_R 4u  /* restrictions                         */
#define FUIN_LABEL_PART_ALL 7u

typedef struct {
    fuin_label_place place;
    const char *where;  /* the place's machine name, above             */
    int valid;          /* 1: `label` holds what the place says         */
    unsigned parts;     /* FUIN_LABEL_PART_* the place carries          */
    fuin_label label;   /* valid == 0: zeros, except where the place held
                           two readable labels that disagree (human and
                           machine form): then the higher reading, so
                           that what holds the file is not under-classed */
    const char *text;   /* the text as found (FuinLabel, xattr, name
                           prefix, MSIP id); escape it before showing   */
    const char *problem; /* valid == 0: why (static English), else NULL */
} fuin_label_found;

/* Everything found on one file.  Opaque; fuin_file_labels_free(). */
typedef struct fuin_file_labels fuin_file_labels;

/* Read flags. */
#define FUIN_LABEL_READ_DOCS 1u /* look inside OOXML, ODF, PDF and age files
                                   (by name: .docx .xlsx .pptx .docm .xlsm
                                   .pptm .odt .ods .odp .odg .pdf .age) */

/* Read every place of `path` (a symbolic link is not followed: its own
 * name is read, nothing else).  `policy` maps MSIP labels (NULL: none
 * mapped).  FUIN_OK (also when nothing was found; a document that is not
 * well-formed is then one invalid finding, not an error), FUIN_E_IO (it
 * cannot be opened or read), FUIN_E_NOMEM, FUIN_E_INVALID. */
FUIN_EXPORT fuin_status fuin_file_labels_read(const char *path, const fuin_policy *policy,
                                              unsigned flags, fuin_file_labels **out,
                                              char *err, size_t errcap) FUIN_WUR;
FUIN_EXPORT size_t fuin_file_labels_count(const fuin_file_labels *fl);
FUIN_EXPORT const fuin_label_found *fuin_file_labels_get(const fuin_file_labels *fl, size_t i);
/* The file's label: FUIN_OK with *has 1 and *out set when the places
 * agree, FUIN_OK with *has 0 when no place has a label (an MSIP label the
 * policy does not map does not count), FUIN_E_LABEL_CONFLICT (msg says
 * which places disagree) otherwise.  Where places carry different parts,
 * *out is the most complete one, missing parts at level 1. */
FUIN_EXPORT fuin_status fuin_file_labels_result(const fuin_file_labels *fl, fuin_label *out,
                                                int *has, char *msg, size_t cap) FUIN_WUR;
FUIN_EXPORT void fuin_file_labels_free(fuin_file_labels *fl);

/* Set flags. */
#define FUIN_LABEL_SET_NAME 1u /* also the name prefix: the file is renamed
                                  (never over an existing name) */
#define FUIN_LABEL_SET_DOC 2u  /* also inside the document, when it is one */
#define FUIN_LABEL_SET_NO_XATTR 4u /* skip the xattr (a file system without
                                  user xattrs; FUIN_E_IO otherwise) */

/* Stamp `label` on `path` (a regular file or a directory; a symbolic link
 * is refused).  The xattr always (unless FUIN_LABEL_SET_NO_XATTR), the
 * document properties with FUIN_LABEL_SET_DOC (the document is rewritten
 * through a synced temporary file and renamed into place; its other
 * contents are kept), the name with FUIN_LABEL_SET_NAME or when the policy
 * ([labels] name_required) demands it for this class.  `policy` may be
 * NULL (the built-in default).  *newpath (may be NULL) receives the
 * file's name afterwards, malloc()ed.  FUIN_OK, FUIN_E_IO (with xattrs
 * unsupported: "the file system does not support extended attributes"),
 * FUIN_E_EXISTS (the renamed name exists), FUIN_E_SYNTAX (a document that
 * cannot be rewritten), FUIN_E_INVALID, FUIN_E_NOMEM. */
FUIN_EXPORT fuin_status fuin_file_label_set(const char *path, const fuin_label *label,
                                            const fuin_policy *policy, unsigned flags,
                                            char **newpath, char *err, size_t errcap) FUIN_WUR;
/* Remove the label from every place fuin writes (xattrs; document
 * properties with FUIN_LABEL_SET_DOC, MSIP properties included; the name
 * prefix with FUIN_LABEL_SET_NAME).  Same statuses. */
FUIN_EXPORT fuin_status fuin_file_label_clear(const char *path, unsigned flags,
                                              char **newpath, char *err,
                                              size_t errcap) FUIN_WUR;
/* Only the xattrs, on an open file (decrypt and unpack stamp their
 * outputs before they are linked into place).  FUIN_OK, FUIN_E_IO with
 * errno ENOTSUP where the file system has no user xattrs. */
FUIN_EXPORT fuin_status fuin_label_xattr_set_fd(int fd, const fuin_label *label);

/* The label an operation on `path` uses (encrypt, sign, pack): `given`
 * (the --class) when not NULL, with the file's own restrictions added,
 * else the file's own label.  FUIN_OK with *has 0 when there is neither;
 * FUIN_E_LABEL_CONFLICT when the file's places disagree; FUIN_E_POLICY
 * when `given` is lower (in any level) than the file's own label;
 * FUIN_E_IO when it cannot be read.  msg says why.  A caller must refuse
 * on anything but FUIN_OK.  A symbolic link is followed (the operation
 * reads its target); _fd reads the very file the operation reads (`path`
 * names it for the name prefix and the document kind; NULL for standard
 * input: xattrs only; not a regular file: no own label). */
FUIN_EXPORT fuin_status fuin_file_label_effective(const char *path, const fuin_label *given,
                                                  const fuin_policy *policy, fuin_label *out,
                                                  int *has, char *msg, size_t cap) FUIN_WUR;
FUIN_EXPORT fuin_status fuin_file_label_effective_fd(int fd, const char *path,
                                                     const fuin_label *given,
                                                     const fuin_policy *policy, fuin_label *out,
                                                     int *has, char *msg, size_t cap) FUIN_WUR;

/* ---- scanning a tree -----------------------------------------------------
 * fuin_label_scan() walks DIR depth-first in name order, never following a
 * symbolic link (a link is reported as one, not entered) and not crossing
 * into another file system unless FUIN_SCAN_CROSS_FS.  Each entry goes to
 * the callback with what was found; a directory also gets, once its
 * contents are done, the highest class inside it (§2.3(2)⑤(ウ): what holds
 * classified files is handled at their highest class), so a directory
 * labelled lower than its contents can be reported. */
typedef enum {
    FUIN_SCAN_FILE = 1,
    FUIN_SCAN_DIR = 2,   /* after its contents                            */
    FUIN_SCAN_LINK = 3,  /* a symbolic link (not followed)                */
    FUIN_SCAN_OTHER = 4, /* device, FIFO, socket                           */
    FUIN_SCAN_ERROR = 5  /* could not be read: `error` says why            */
} fuin_scan_kind;

typedef struct {
    fuin_scan_kind kind;
    const char *path;            /* DIR-relative path ("." for DIR itself) */
    const fuin_file_labels *labels; /* NULL for LINK, OTHER, ERROR          */
    fuin_status result;          /* fuin_file_labels_result()'s status      */
    int has_label;
    fuin_label label;            /* when has_label                          */
    int has_contents;            /* DIR: something inside is labelled        */
    fuin_label contents;         /* DIR: the highest class inside            */
    int name_missing;            /* the policy wants a name prefix here      */
    const char *error;           /* ERROR: a one-line reason                 */
} fuin_scan_entry;

/* Non-zero stops the scan (fuin_label_scan then returns FUIN_OK). */
typedef int (*fuin_scan_fn)(void *ctx, const fuin_scan_entry *e);

#define FUIN_SCAN_CROSS_FS 1u /* enter other file systems                 */
#define FUIN_SCAN_DOCS 2u     /* look inside documents (FUIN_LABEL_READ_DOCS) */

/* FUIN_OK, FUIN_E_IO (DIR itself cannot be opened), FUIN_E_NOMEM,
 * FUIN_E_INVALID.  Entries that cannot be read are reported, not fatal. */
FUIN_EXPORT fuin_status fuin_label_scan(const char *dir, const fuin_policy *policy,
                                        unsigned flags, fuin_scan_fn fn, void *ctx,
                                        char *err, size_t errcap) FUIN_WUR;

#ifdef __cplusplus
}
#endif
#endif
