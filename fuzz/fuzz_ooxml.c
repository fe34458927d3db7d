/* libFuzzer target for lib/label/ooxml.c and lib/label/zipdoc.c (and,
 * built as fuzz_odf.c, for lib/label/odf.c): the input as a document.
 *  1. The reader on the input through a memfd.  Its status is FUIN_OK,
 *     FUIN_E_SYNTAX or FUIN_E_LIMIT, with a one-line message when not OK;
 *     every report has a known place and the strings its place promises.
 *  2. The writer on the input as a file DOC in a fresh directory made once
 *     per process (under $FUIN_FUZZ_TMPDIR, else /dev/shm where it exists:
 *     a successful write syncs, cheap on a tmpfs), with a stamp chosen by
 *     the input's length: a label, a label with an MSIP label, a clear, a
 *     clear of the MSIP labels.
 *     - On any failure DOC is byte-identical to the input and nothing else
 *       is in the directory.
 *     - On FUIN_OK the reader accepts the result and reports exactly what
 *       was stamped (or nothing of fuin's after a clear), and, for an
 *       MSIP stamp, that label id as the only enabled one.
 * A custom mutator mutates one member at a time (below).
 * With FUIN_FUZZ_VERBOSE set, each run's statuses and messages go to
 * stderr.  With FUIN_FUZZ_MAKE_SEEDS=DIR the program writes seeds into DIR
 * and exits: small documents assembled with libzip and stamped, cleared
 * and restamped by the library's own writer, each also with every member
 * stored (uncompressed), so that mutations reach the XML. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "fuin.h"
#include "label/doc.h"

#ifndef FUZZ_ODF
#define NAME "fuzz_ooxml"
#define EXT ".docx"
#define PLACE "ooxml:custom"
#define READ fuin__ooxml_read
#define WRITE fuin__ooxml_write
#else
#define NAME "fuzz_odf"
#define EXT ".odt"
#define PLACE "odf:meta"
#define READ fuin__odf_read
#define WRITE fuin__odf_write
#endif

#define LABEL "機密性2 完全性1 可用性1 複製禁止"
#define CLASS "C2-I1-A1 no-copy"
#define MSIP "8c3f1a2b-1111-2222-3333-444455556666"
#define SITE "0a1b2c3d-0000-1111-2222-333344445555"

static char base[4096], doc[4200];
static int verbose;

typedef struct {
    int custom;      /* reports of PLACE */
    int msip;        /* reports of ooxml:msip */
    int msip_match;  /* ... with MSIP as id */
    char *label, *cls;
} seen;

static int on_found(void *ctx, const fuin__doc_found *f)
{
    seen *s = ctx;
    if (f == NULL || f->place == NULL)
        abort();
    if (strcmp(f->place, PLACE) == 0) {
        if ((f->label == NULL && f->cls == NULL) || f->msip_id != NULL || s->custom++ > 0)
            abort(); /* one report, with something in it */
        s->label = f->label != NULL ? strdup(f->label) : NULL;
        s->cls = f->cls != NULL ? strdup(f->cls) : NULL;
        (void)strlen(f->label != NULL ? f->label : "");
    } else if (strcmp(f->place, "ooxml:msip") == 0) {
#ifdef FUZZ_ODF
        abort();
#endif
        if (f->msip_id == NULL || f->label != NULL || f->cls != NULL)
            abort();
        s->msip++;
        s->msip_match += strcmp(f->msip_id, MSIP) == 0;
    } else {
        abort();
    }
    return 0;
}

static void seen_free(seen *s)
{
    free(s->label);
    free(s->cls);
    memset(s, 0, sizeof *s);
}

static void check_msg(const char *what, fuin_status st, const char *err)
{
    if (verbose)
        fprintf(stderr, NAME ": %s: %s: %s\n", what, fuin_strerror(st), err);
    if (st != FUIN_OK && st != FUIN_E_SYNTAX && st != FUIN_E_LIMIT) {
        fprintf(stderr, NAME ": %s: unexpected status %s (%s)\n", what, fuin_strerror(st), err);
        abort();
    }
    if (st != FUIN_OK && (err[0] == '\0' || strchr(err, '\n') != NULL)) {
        fprintf(stderr, NAME ": %s: %s without a one-line message\n", what, fuin_strerror(st));
        abort();
    }
}

static void rm_rf_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            (void)unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

static void cleanup(void)
{
    if (base[0] != '\0') {
        rm_rf_in(base);
        (void)rmdir(base);
        base[0] = '\0';
    }
}

static int dir_count(void)
{
    DIR *d = opendir(base);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        abort();
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void put(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
}

static uint8_t *get(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    uint8_t *b;
    if (fd < 0 || fstat(fd, &sb) != 0 || (b = malloc((size_t)sb.st_size + 1)) == NULL)
        abort();
    if (read(fd, b, (size_t)sb.st_size) != (ssize_t)sb.st_size)
        abort();
    close(fd);
    *len = (size_t)sb.st_size;
    return b;
}

static fuin_status read_path(const char *path, seen *s, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    fuin_status st;
    if (fd < 0)
        abort();
    memset(s, 0, sizeof *s);
    st = READ(fd, on_found, s, err, cap);
    close(fd);
    return st;
}

/* ---- seeds --------------------------------------------------------------- */
typedef struct {
    const char *name, *text;
} member;

static void make_zip(const char *path, const member *m, size_t n, int store)
{
    int ze;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (za == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, m[i].text, strlen(m[i].text), 0);
        zip_int64_t idx;
        if (s == NULL || (idx = zip_file_add(za, m[i].name, s, ZIP_FL_ENC_UTF_8)) < 0)
            abort();
        if (zip_set_file_compression(za, (zip_uint64_t)idx,
                                     store || strcmp(m[i].name, "mimetype") == 0 ? ZIP_CM_STORE
                                                                                 : ZIP_CM_DEFLATE,
                                     0) != 0 ||
            zip_file_set_mtime(za, (zip_uint64_t)idx, 1767322800, 0) != 0)
            abort();
    }
    if (zip_close(za) != 0)
        abort();
}

/* The same members, every one stored: the XML in the clear for mutation. */
static void restore(const char *from, const char *to)
{
    int ze;
    zip_t *in = zip_open(from, ZIP_RDONLY, &ze);
    member m[32];
    char *bufs[32];
    zip_int64_t n;
    if (in == NULL || (n = zip_get_num_entries(in, 0)) > 32)
        abort();
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        zip_file_t *f;
        if (zip_stat_index(in, (zip_uint64_t)i, 0, &st) != 0 ||
            (bufs[i] = calloc(1, (size_t)st.size + 1)) == NULL ||
            (f = zip_fopen_index(in, (zip_uint64_t)i, 0)) == NULL ||
            zip_fread(f, bufs[i], st.size) != (zip_int64_t)st.size)
            abort();
        zip_fclose(f);
        m[i].name = strdup(st.name);
        m[i].text = bufs[i];
    }
    make_zip(to, m, (size_t)n, 1);
    for (zip_int64_t i = 0; i < n; i++) {
        free(bufs[i]);
        free((char *)m[i].name);
    }
    zip_discard(in);
}

static void seed_copy(const char *dir, const char *from, const char *name)
{
    char to[4200];
    size_t len;
    uint8_t *b = get(from, &len);
    snprintf(to, sizeof to, "%s/%s" EXT, dir, name);
    put(to, b, len);
    free(b);
    snprintf(to, sizeof to, "%s/%s-stored" EXT, dir, name);
    restore(from, to);
}

static void stamp(const char *path, const fuin__doc_stamp *st)
{
    char err[256];
    fuin_status s = WRITE(path, st, err, sizeof err);
    if (s != FUIN_OK) {
        fprintf(stderr, NAME ": seed: %s (%s)\n", fuin_strerror(s), err);
        exit(1);
    }
}

#ifndef FUZZ_ODF
#define CT_NS "http://schemas.openxmlformats.org/package/2006/content-types"
#define REL_NS "http://schemas.openxmlformats.org/package/2006/relationships"
#define CP_NS "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
#define VT_NS "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#define PROP "property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\""
static const member base_members[] = {
    {"[Content_Types].xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"" CT_NS
     "\"><Default Extension=\"rels\" ContentType=\"application/"
     "vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" "
     "ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" "
     "ContentType=\"application/"
     "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"},
    {"_rels/.rels",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"" REL_NS
     "\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
     "relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>"},
    {"word/document.xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document "
     "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r>"
     "<w:t>本文</w:t></w:r></w:p></w:body></w:document>"},
};
/* a custom part made by another program: Office's own MSIP properties */
static const member other_members[] = {
    {"[Content_Types].xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"" CT_NS
     "\"><Default Extension=\"rels\" ContentType=\"application/"
     "vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" "
     "ContentType=\"application/xml\"/><Override PartName=\"/docProps/custom.xml\" "
     "ContentType=\"application/vnd.openxmlformats-officedocument.custom-properties+xml\"/>"
     "</Types>"},
    {"_rels/.rels",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"" REL_NS
     "\"><Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
     "relationships/custom-properties\" Target=\"/docProps/custom.xml\"/></Relationships>"},
    {"docProps/custom.xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"" CP_NS
     "\" xmlns:vt=\"" VT_NS "\"><" PROP " pid=\"2\" name=\"Other\"><vt:lpwstr>x</vt:lpwstr>"
     "</property><" PROP " pid=\"3\" name=\"MSIP_Label_0f0e0d0c-aaaa-bbbb-cccc-ddddeeeeffff_"
     "Enabled\"><vt:lpwstr>TRUE</vt:lpwstr></property><" PROP " pid=\"4\" name=\"fuinclass\">"
     "<vt:i4>3</vt:i4></property></Properties>"},
};
#else
#define OFFICE_NS "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define META_NS "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define MANIFEST_NS "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
#define CONTENT                                                                               \
    {"content.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content "   \
                    "xmlns:office=\"" OFFICE_NS "\" xmlns:text=\"urn:oasis:names:tc:"        \
                    "opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body>"     \
                    "<office:text><text:p>本文</text:p></office:text></office:body>"         \
                    "</office:document-content>"}
static const member base_members[] = {
    {"mimetype", "application/vnd.oasis.opendocument.text"},
    CONTENT,
    {"meta.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta "
                 "xmlns:office=\"" OFFICE_NS "\" xmlns:meta=\"" META_NS "\" office:version=\"1.2\">"
                 "<office:meta><meta:generator>fuin</meta:generator><meta:user-defined "
                 "meta:name=\"Other\">x</meta:user-defined></office:meta></office:document-meta>"},
    {"META-INF/manifest.xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"" MANIFEST_NS
     "\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" "
     "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/><manifest:file-entry "
     "manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry "
     "manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>"},
};
/* no meta.xml (the writer creates it), a manifest in the default namespace */
static const member other_members[] = {
    {"mimetype", "application/vnd.oasis.opendocument.text"},
    CONTENT,
    {"META-INF/manifest.xml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"" MANIFEST_NS
     "\"><file-entry full-path=\"/\" media-type=\"application/vnd.oasis.opendocument.text\"/>"
     "<file-entry full-path=\"content.xml\" media-type=\"text/xml\"/></manifest>"},
};
#endif

static void make_seeds(const char *dir)
{
    char work[4200];
    fuin__doc_stamp label = {LABEL, CLASS, NULL, NULL, NULL, 0, 1767322800};
    fuin__doc_stamp msip = {LABEL, CLASS, MSIP, "社外秘", SITE, 0, 1767322800};
    fuin__doc_stamp clear = {NULL, NULL, NULL, NULL, NULL, 1, 1767322800};
    if (fuin_init() != FUIN_OK)
        abort();
    snprintf(work, sizeof work, "%s/.work" EXT, dir);

    make_zip(work, base_members, sizeof base_members / sizeof base_members[0], 0);
    seed_copy(dir, work, "plain");
    stamp(work, &label);
    seed_copy(dir, work, "labelled");
    stamp(work, &msip);
    seed_copy(dir, work, "msip");
    stamp(work, &clear);
    seed_copy(dir, work, "cleared");

    make_zip(work, other_members, sizeof other_members / sizeof other_members[0], 0);
    seed_copy(dir, work, "other");
    stamp(work, &msip);
    seed_copy(dir, work, "other-stamped");
    unlink(work);
    exit(0);
}

/* ---- the mutator ------------------------------------------------------------ */
/* Three times in four, one member of the zip is mutated and the zip made
 * again (libzip: its CRC right, its method kept), so that mutations reach
 * the XML behind the CRCs and the deflate; otherwise, or when the input is
 * no zip, its bytes as they are. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);

static size_t mutate_member(uint8_t *data, size_t size, size_t max, unsigned seed)
{
    zip_error_t ze;
    zip_source_t *src;
    zip_t *za;
    zip_stat_t st;
    zip_file_t *f;
    zip_int64_t n;
    zip_uint64_t idx;
    uint8_t *m;
    size_t mlen, mcap, out = 0;
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    zip_error_init(&ze);
    /* a copy libzip owns: libzip 1.7.3 frees a buffer source's data when a
     * write commits, whatever it was told */
    if ((src = zip_source_buffer_create(copy, size, 1, &ze)) == NULL) {
        free(copy);
        return 0;
    }
    if ((za = zip_open_from_source(src, 0, &ze)) == NULL) {
        zip_source_free(src);
        zip_error_fini(&ze);
        return 0;
    }
    zip_error_fini(&ze);
    zip_source_keep(src);
    n = zip_get_num_entries(za, 0);
    idx = n > 0 ? (zip_uint64_t)(seed % (unsigned)n) : 0;
    if (n <= 0 || zip_stat_index(za, idx, 0, &st) != 0 || st.size > 65536 ||
        (f = zip_fopen_index(za, idx, 0)) == NULL)
        goto fail;
    mcap = (size_t)st.size * 2 + 64;
    if ((m = malloc(mcap)) == NULL) {
        zip_fclose(f);
        goto fail;
    }
    mlen = (size_t)st.size;
    if (zip_fread(f, m, st.size) != (zip_int64_t)st.size) {
        zip_fclose(f);
        free(m);
        goto fail;
    }
    zip_fclose(f);
    mlen = LLVMFuzzerMutate(m, mlen, mcap);
    {
        zip_source_t *ns = zip_source_buffer(za, m, mlen, 1); /* libzip frees m */
        if (ns == NULL) {
            free(m);
            goto fail;
        }
        if (zip_file_replace(za, idx, ns, 0) != 0) {
            zip_source_free(ns);
            goto fail;
        }
    }
    if (zip_close(za) != 0)
        goto fail;
    za = NULL;
    zip_stat_init(&st);
    if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && st.size <= max &&
        zip_source_open(src) == 0) {
        if (zip_source_read(src, data, st.size) == (zip_int64_t)st.size)
            out = (size_t)st.size;
        zip_source_close(src);
    }
    zip_source_free(src);
    return out;
fail:
    if (za != NULL)
        zip_discard(za);
    zip_source_free(src);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned seed)
{
    size_t n;
    if (seed % 4 != 0 && size > 0 && (n = mutate_member(data, size, max, seed / 4)) > 0)
        return n;
    return LLVMFuzzerMutate(data, size, max);
}

/* ---- the target ----------------------------------------------------------- */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("FUIN_FUZZ_MAKE_SEEDS"), *tmp = getenv("FUIN_FUZZ_TMPDIR");
    struct stat sb;
    (void)argc;
    (void)argv;
    if (dir != NULL)
        make_seeds(dir);
    if (fuin_init() != FUIN_OK)
        abort();
    if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 4000)
        tmp = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                  ? "/dev/shm"
                  : "/tmp";
    snprintf(base, sizeof base, "%s/" NAME "-XXXXXX", tmp);
    if (mkdtemp(base) == NULL) {
        perror(NAME ": mkdtemp");
        abort();
    }
    atexit(cleanup);
    snprintf(doc, sizeof doc, "%s/doc" EXT, base);
    verbose = getenv("FUIN_FUZZ_VERBOSE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    seen s;
    fuin_status st;
    int fd, which = (int)(size % 4);
    fuin__doc_stamp stamps[4] = {
        {LABEL, CLASS, NULL, NULL, NULL, 0, 1767322800},
        {"機密性3", NULL, MSIP, "社外秘", SITE, 0, 1767322800},
        {NULL, NULL, NULL, NULL, NULL, 0, 1767322800},
        {NULL, CLASS, NULL, NULL, NULL, 1, 1767322800},
    };
    const fuin__doc_stamp *stp = &stamps[which];

    /* 1. the reader */
    if ((fd = memfd_create(NAME, MFD_CLOEXEC)) < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    memset(&s, 0, sizeof s);
    st = READ(fd, on_found, &s, err, sizeof err);
    close(fd);
    check_msg("read", st, err);
    seen_free(&s);

    /* 2. the writer */
    put(doc, data, size);
    st = WRITE(doc, stp, err, sizeof err);
    check_msg("write", st, err);
    if (st != FUIN_OK) {
        size_t len;
        uint8_t *now = get(doc, &len);
        if (len != size || (size > 0 && memcmp(now, data, size) != 0)) {
            fprintf(stderr, NAME ": write failed (%s) but changed the file\n", err);
            abort();
        }
        free(now);
    } else {
        st = read_path(doc, &s, err, sizeof err);
        if (st != FUIN_OK) {
            fprintf(stderr, NAME ": the writer's output is refused by the reader: %s: %s\n",
                    fuin_strerror(st), err);
            abort();
        }
        if (stp->label != NULL || stp->cls != NULL) {
            if (s.custom != 1 || (stp->label == NULL) != (s.label == NULL) ||
                (stp->cls == NULL) != (s.cls == NULL) ||
                (stp->label != NULL && strcmp(stp->label, s.label) != 0) ||
                (stp->cls != NULL && strcmp(stp->cls, s.cls) != 0)) {
                fprintf(stderr, NAME ": the stamped label does not read back\n");
                abort();
            }
        } else if (s.custom != 0) {
            fprintf(stderr, NAME ": a clear left fuin's properties\n");
            abort();
        }
#ifndef FUZZ_ODF
        if ((stp->msip_id != NULL && (s.msip != 1 || s.msip_match != 1)) ||
            (stp->clear_msip && s.msip != 0)) {
            fprintf(stderr, NAME ": the MSIP labels are not what was stamped (%d enabled)\n",
                    s.msip);
            abort();
        }
#endif
        seen_free(&s);
    }
    if (dir_count() != 1) {
        fprintf(stderr, NAME ": something was left beside the document\n");
        abort();
    }
    (void)unlink(doc);
    return 0;
}
