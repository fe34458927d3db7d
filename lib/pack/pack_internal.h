/* Internal interfaces of the package module (lib/pack/). */
#ifndef FUIN_PACK_INTERNAL_H
#define FUIN_PACK_INTERNAL_H

#include "../internal.h"

/* One entry as the packer and the unpacker hold it. */
typedef struct {
    fuin_pack_entry pub;  /* pub.path == path                          */
    char *path;           /* malloc()ed                                */
    char *src;            /* packer: the file on disk                  */
    uint64_t dev, ino;    /* packer: identity and times at scan time   */
    int64_t mtime_ns, ctime_ns;
    int seen;             /* unpacker: the member came                 */
    int path_in_src;      /* packer: path is the tail of src, one malloc */
} fuin__pentry;

/* A growable array of entries. */
typedef struct {
    fuin__pentry *v;
    size_t n, cap;
} fuin__pentries;
fuin__pentry *fuin__pentries_push(fuin__pentries *a);
void fuin__pentries_clear(fuin__pentries *a);

/* A set of strings (collision keys). */
typedef struct {
    char **slot;
    size_t n, cap;
} fuin__strset;
/* 1 added, 0 already present, -1 out of memory.  Takes ownership of s in
 * every case. */
int fuin__strset_add(fuin__strset *set, char *s);
int fuin__strset_has(const fuin__strset *set, const char *s);
void fuin__strset_clear(fuin__strset *set);

/* Manifest lines (manifest.c): malloc()ed JSON text with a final LF. */
char *fuin__manifest_info_line(const fuin_manifest_info *info, size_t *len);
char *fuin__manifest_entry_line(const fuin_pack_entry *e, size_t *len);
/* Parse one line (without its LF).  FUIN_E_SYNTAX with msg. */
fuin_status fuin__manifest_parse_info(const char *line, size_t len,
                                      fuin_manifest_info *info, char *msg,
                                      size_t cap);
/* Fills e (e->path malloc()ed; pub.path set). */
fuin_status fuin__manifest_parse_entry(const char *line, size_t len,
                                       fuin__pentry *e, char *msg, size_t cap);

/* The packer (writer.c), shared with the zip writer (zipwriter.c). */
#define FUIN__PACK_ERR 1024
struct fuin_packer {
    fuin__pentries ents;
    fuin__strset keys;
    fuin_manifest_info info;
    int have_class;
    int zstd;
    fuin_encryptor *enc;
    fuin_seckey *sk; /* a copy */
    fuin_sigmeta meta;
    int have_signer;
    int sealed; /* written (or tried): no more paths; keys freed */
    int hashed; /* fuin_packer_object hashed every file already */
    const fuin_policy *policy; /* maps MSIP labels of documents (or NULL) */
    char err[FUIN__PACK_ERR];
};
/* Before writing: the collision keys are not needed any more (100,000
 * files: 5 MiB), and no path may be added after. */
void fuin__packer_seal(fuin_packer *p);
typedef int (*fuin__line_fn)(void *ctx, const char *line, size_t len);
fuin_status fuin__packer_hash_all(fuin_packer *p);
fuin_status fuin__each_manifest_line(fuin_packer *p, fuin__line_fn fn, void *ctx);
fuin_status fuin__each_bagit_line(fuin_packer *p, fuin__line_fn fn, void *ctx);
/* Hash every file, then size and sign the manifest (sig NULL when
 * unsigned; free() it). */
fuin_status fuin__packer_prepare(fuin_packer *p, int64_t now, uint64_t *man_size,
                                 uint64_t *bag_size, char **sig, size_t *siglen);
/* The same without hashing: with the hashes the entries have now (zero
 * before they are known, which gives the same sizes: they are hex).
 * With sig NULL nothing is signed (a signature over a manifest whose hashes
 * are not final must never exist): *siglen is the size the signature will
 * have, 0 when the package is unsigned. */
fuin_status fuin__packer_measure(fuin_packer *p, int64_t now, uint64_t *man_size,
                                 uint64_t *bag_size, char **sig, size_t *siglen);
/* The manifest's signature from a signer fed its lines (free() *sig). */
fuin_status fuin__packer_sign_final(fuin_packer *p, fuin_signer *sg, int64_t now, char **sig,
                                    size_t *siglen);
struct stat;
/* Same file (device, inode), size, mtime and ctime as at scan time. */
int fuin__same_file(const fuin__pentry *e, const struct stat *st);

/* A bracketed label at the start of a file name, "【機密性2】報告.pdf"
 * or "[C2]report.pdf": 1 found (*l set), 0 none, -1 brackets around
 * something that is not a label. */

/* Does label a fit within class c (each of C, I, A not above)? */
int fuin__label_within(const fuin_label *a, const fuin_label *c);

/* BagIt tag files. */
#define FUIN__BAGIT_TXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
/* One manifest-sha256.txt line for a file entry (percent-encoding CR, LF
 * and '%' as RFC 8493 says), malloc()ed, with LF. */
char *fuin__bagit_line(const fuin_pack_entry *e, size_t *len);

/* A name made safe (rename_unsafe): malloc()ed, or NULL. */
char *fuin__entry_name_rename(const char *path, size_t len);

#endif
