/* libFuzzer target for lib/label/pdf.c.  The input, through a memfd:
 *  1. fuin__pdf_read: any status but FUIN_OK comes with a one-line
 *     message; the places reported are "pdf:info" then "pdf:xmp", each
 *     with a text.
 *  2. when it reads, the input is copied to DIR/doc.pdf (DIR made once per
 *     process with mkdtemp under $FUIN_FUZZ_TMPDIR, else /dev/shm when it
 *     is there, else /tmp: a commit fsyncs, cheap on a tmpfs) and
 *     fuin__pdf_write stamps it.  A refusal must leave the file
 *     byte-identical; a stamp must read back with exactly the stamped
 *     texts in both places, and a clear after it with none; when qpdf's
 *     own check (qpdf --check) finds nothing wrong with the input, it
 *     finds nothing wrong with the stamped file either.  Nothing but
 *     doc.pdf may be left in DIR.
 * abort() when an invariant breaks.  With FUIN_FUZZ_VERBOSE set, each
 * run's statuses go to stderr.  With FUIN_FUZZ_MAKE_SEEDS=DIR the program
 * writes seed PDFs into DIR and exits: made with qpdf's C API (empty, one
 * page, object streams, linearized, encrypted without a user password,
 * XMP in attribute form, ASCIIHex-encoded, with a DTD, a UTF-16 Info
 * text) and stamped or cleared by fuin's own writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qpdf/qpdf-c.h>

#include "fuin.h"
#include "label/doc.h"

#define JP "機密性2 完全性1 可用性1 複製禁止"
#define JP_CLS "C2-I1-A1 no-copy"

static char base[4096], doc[4200];
static int verbose;

typedef struct {
    int n;
    char place[2][16];
    char *label[2], *cls[2];
    int bad; /* a callback broke the contract */
} found;

static int on_found(void *ctx, const fuin__doc_found *f)
{
    found *r = ctx;
    if (r->n >= 2 || f->place == NULL || (f->label == NULL && f->cls == NULL) ||
        f->msip_id != NULL) {
        r->bad = 1;
        return 1;
    }
    snprintf(r->place[r->n], sizeof r->place[0], "%s", f->place);
    r->label[r->n] = f->label != NULL ? strdup(f->label) : NULL;
    r->cls[r->n] = f->cls != NULL ? strdup(f->cls) : NULL;
    r->n++;
    return 0;
}

static void found_free(found *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->label[i]);
        free(r->cls[i]);
    }
    memset(r, 0, sizeof *r);
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void die(const char *what, fuin_status s, const char *err)
{
    fprintf(stderr, "fuzz_pdf: %s (%s: %s)\n", what, fuin_strerror(s), err);
    abort();
}

/* One read, its invariants checked. */
static fuin_status read_fd(int fd, found *r, char *err, size_t cap)
{
    fuin_status s;
    err[0] = '\0';
    s = fuin__pdf_read(fd, on_found, r, err, cap);
    if (r->bad)
        die("a callback broke the contract", s, err);
    if (s != FUIN_OK && (err[0] == '\0' || strchr(err, '\n') != NULL))
        die("a failure without a one-line message", s, err);
    if (s != FUIN_OK && s != FUIN_E_SYNTAX && s != FUIN_E_LIMIT && s != FUIN_E_NOMEM)
        die("an unexpected status", s, err);
    if (s != FUIN_OK && r->n != 0)
        die("places reported by a failed read", s, err);
    if (r->n == 2 && (strcmp(r->place[0], "pdf:info") != 0 || strcmp(r->place[1], "pdf:xmp") != 0))
        die("places out of order", s, err);
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->place[i], "pdf:info") != 0 && strcmp(r->place[i], "pdf:xmp") != 0)
            die("an unknown place", s, err);
    return s;
}

static fuin_status read_path(const char *path, found *r, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    fuin_status s;
    if (fd < 0)
        abort();
    s = read_fd(fd, r, err, cap);
    close(fd);
    return s;
}

static void expect(const char *path, const char *label, const char *cls, const char *when)
{
    found r = {0};
    char err[256];
    fuin_status s = read_path(path, &r, err, sizeof err);
    int want = label != NULL || cls != NULL ? 2 : 0;
    if (s != FUIN_OK)
        die(when, s, err);
    if (r.n != want)
        die(when, s, "wrong number of places");
    for (int i = 0; i < r.n; i++)
        if (!same(r.label[i], label) || !same(r.cls[i], cls))
            die(when, s, "texts differ from the stamp");
    found_free(&r);
}

static void put(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || (len > 0 && write(fd, buf, len) != (ssize_t)len) || close(fd) != 0)
        abort();
}

static int same_file(const char *path, const uint8_t *data, size_t size)
{
    struct stat sb;
    uint8_t *buf;
    int fd = open(path, O_RDONLY | O_CLOEXEC), ok;
    if (fd < 0 || fstat(fd, &sb) != 0)
        abort();
    if ((size_t)sb.st_size != size) {
        close(fd);
        return 0;
    }
    if ((buf = malloc(size + 1)) == NULL || read(fd, buf, size) != (ssize_t)size)
        abort();
    close(fd);
    ok = memcmp(buf, data, size) == 0;
    free(buf);
    return ok;
}

/* What `qpdf --check` says: 1 when qpdf finds no error and no warning. */
static int qpdf_clean(const uint8_t *buf, size_t len)
{
    qpdf_data q = qpdf_init();
    int ok;
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdf_set_attempt_recovery(q, QPDF_FALSE);
    ok = (qpdf_read_memory(q, "fuzz", (const char *)buf, len, "") & QPDF_ERRORS) == 0 &&
         qpdf_check_pdf(q) == QPDF_SUCCESS && !qpdf_has_error(q) && !qpdf_more_warnings(q);
    qpdf_cleanup(&q);
    return ok;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat sb;
    uint8_t *buf;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL ||
        read(fd, buf, (size_t)sb.st_size) != (ssize_t)sb.st_size)
        abort();
    close(fd);
    *len = (size_t)sb.st_size;
    return buf;
}

/* Only doc.pdf in base. */
static void check_dir(const char *when)
{
    DIR *d = opendir(base);
    struct dirent *e;
    if (d == NULL)
        abort();
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "doc.pdf") != 0) {
            fprintf(stderr, "fuzz_pdf: %s: \"%s\" was left in the directory\n", when, e->d_name);
            abort();
        }
    closedir(d);
}

/* ---- seeds --------------------------------------------------------------- */
static const char XMP_ATTR[] =
    "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
    "<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" "
    "xmp:ModifyDate=\"2020-01-01T00:00:00Z\"><xmp:MetadataDate>2020-01-01T00:00:00Z"
    "</xmp:MetadataDate></rdf:Description>\n"
    "<rdf:Description rdf:about=\"\" xmlns:f=\"urn:fuin:label:1.0:\" f:Label=\"機密性3 &amp; "
    "co\" f:Class=\"C3\"/>\n"
    "</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>";
static const char XMP_ELEM[] =
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
    "xmlns:fuin=\"urn:fuin:label:1.0:\"><rdf:Description rdf:about=\"uuid:1\">"
    "<fuin:Label>機密性1</fuin:Label><fuin:Class><![CDATA[C1]]></fuin:Class>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>";
static const char XMP_DTD[] = "<!DOCTYPE x:xmpmeta [<!ENTITY e \"x\">]><x:xmpmeta "
                              "xmlns:x=\"adobe:ns:meta/\">&e;</x:xmpmeta>";

static void qcheck(qpdf_data q, const char *what)
{
    if (qpdf_has_error(q)) {
        qpdf_error e = qpdf_get_error(q);
        fprintf(stderr, "fuzz_pdf: seed %s: %s\n", what, qpdf_get_error_full_text(q, e));
        exit(1);
    }
}

/* A PDF made by qpdf: pages (0 or 1), an XMP stream (ASCIIHex-encoded
 * and without /Type when hex, so that qpdf's writer, which decodes every
 * /Type /Metadata stream, keeps it encoded), an Info /FuinLabel, object
 * streams, linearization, encryption with no user password. */
typedef struct {
    int page, objstm, linear, encrypt, hex;
    const char *xmp;
    const char *info_label;
} seed_opts;

static void seed_pdf(const char *path, const seed_opts *o)
{
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_empty_pdf(q);
    qcheck(q, path);
    if (o->page) {
        static const char content[] = "BT /F1 24 Tf 72 720 Td (Hello, fuin) Tj ET\n";
        qpdf_oh page = qpdf_oh_new_dictionary(q), c = qpdf_oh_new_stream(q), mb, res, fonts, f1;
        qpdf_oh_replace_stream_data(q, c, (const unsigned char *)content, sizeof content - 1,
                                    qpdf_oh_new_null(q), qpdf_oh_new_null(q));
        mb = qpdf_oh_new_array(q);
        qpdf_oh_append_item(q, mb, qpdf_oh_new_integer(q, 0));
        qpdf_oh_append_item(q, mb, qpdf_oh_new_integer(q, 0));
        qpdf_oh_append_item(q, mb, qpdf_oh_new_integer(q, 595));
        qpdf_oh_append_item(q, mb, qpdf_oh_new_integer(q, 842));
        f1 = qpdf_oh_new_dictionary(q);
        qpdf_oh_replace_key(q, f1, "/Type", qpdf_oh_new_name(q, "/Font"));
        qpdf_oh_replace_key(q, f1, "/Subtype", qpdf_oh_new_name(q, "/Type1"));
        qpdf_oh_replace_key(q, f1, "/BaseFont", qpdf_oh_new_name(q, "/Helvetica"));
        fonts = qpdf_oh_new_dictionary(q);
        qpdf_oh_replace_key(q, fonts, "/F1", qpdf_make_indirect_object(q, f1));
        res = qpdf_oh_new_dictionary(q);
        qpdf_oh_replace_key(q, res, "/Font", fonts);
        qpdf_oh_replace_key(q, page, "/Type", qpdf_oh_new_name(q, "/Page"));
        qpdf_oh_replace_key(q, page, "/MediaBox", mb);
        qpdf_oh_replace_key(q, page, "/Resources", res);
        qpdf_oh_replace_key(q, page, "/Contents", c);
        qpdf_add_page(q, q, qpdf_make_indirect_object(q, page), QPDF_FALSE);
        qcheck(q, path);
    }
    if (o->info_label != NULL) {
        qpdf_oh info = qpdf_make_indirect_object(q, qpdf_oh_new_dictionary(q));
        qpdf_oh_replace_key(q, info, "/Title", qpdf_oh_new_unicode_string(q, "報告書"));
        qpdf_oh_replace_key(q, info, "/FuinLabel", qpdf_oh_new_unicode_string(q, o->info_label));
        qpdf_oh_replace_key(q, qpdf_get_trailer(q), "/Info", info);
    }
    if (o->xmp != NULL) {
        qpdf_oh md = qpdf_oh_new_stream(q), d = qpdf_oh_get_dict(q, md);
        qpdf_oh_replace_key(q, d, "/Subtype", qpdf_oh_new_name(q, "/XML"));
        if (o->hex) {
            size_t n = strlen(o->xmp);
            unsigned char *h = malloc(2 * n + 1);
            if (h == NULL)
                abort();
            for (size_t i = 0; i < n; i++) {
                h[2 * i] = (unsigned char)"0123456789ABCDEF"[(unsigned char)o->xmp[i] >> 4];
                h[2 * i + 1] = (unsigned char)"0123456789ABCDEF"[(unsigned char)o->xmp[i] & 15];
            }
            h[2 * n] = '>';
            qpdf_oh_replace_stream_data(q, md, h, 2 * n + 1,
                                        qpdf_oh_new_name(q, "/ASCIIHexDecode"),
                                        qpdf_oh_new_null(q));
            free(h);
        } else {
            qpdf_oh_replace_key(q, d, "/Type", qpdf_oh_new_name(q, "/Metadata"));
            qpdf_oh_replace_stream_data(q, md, (const unsigned char *)o->xmp, strlen(o->xmp),
                                        qpdf_oh_new_null(q), qpdf_oh_new_null(q));
        }
        qpdf_oh_replace_key(q, qpdf_get_root(q), "/Metadata", md);
    }
    qcheck(q, path);
    qpdf_init_write(q, path);
    qpdf_set_static_ID(q, QPDF_TRUE);
    qpdf_set_stream_data_mode(q, qpdf_s_preserve);
    if (o->objstm)
        qpdf_set_object_stream_mode(q, qpdf_o_generate);
    if (o->linear)
        qpdf_set_linearization(q, QPDF_TRUE);
    if (o->encrypt)
        qpdf_set_r6_encryption_parameters2(q, "", "owner", QPDF_TRUE, QPDF_TRUE, QPDF_TRUE,
                                           QPDF_TRUE, QPDF_TRUE, QPDF_TRUE, qpdf_r3p_full,
                                           QPDF_TRUE);
    qpdf_write(q);
    qcheck(q, path);
    qpdf_cleanup(&q);
}

static void seed_stamp(const char *path, const char *label, const char *cls)
{
    fuin__doc_stamp st;
    char err[256];
    fuin_status s;
    memset(&st, 0, sizeof st);
    st.label = label;
    st.cls = cls;
    st.time = 1764000000;
    if ((s = fuin__pdf_write(path, &st, err, sizeof err)) != FUIN_OK) {
        fprintf(stderr, "fuzz_pdf: seed %s: %s (%s)\n", path, fuin_strerror(s), err);
        exit(1);
    }
}

static void make_seeds(const char *dir)
{
    static const struct {
        const char *name;
        seed_opts o;
        int stamp; /* 0 no, 1 stamp, 2 stamp then clear */
    } seeds[] = {
        {"empty.pdf", {0}, 0},
        {"empty-stamped.pdf", {0}, 1},
        {"page.pdf", {.page = 1}, 0},
        {"page-stamped.pdf", {.page = 1}, 1},
        {"page-cleared.pdf", {.page = 1}, 2},
        {"objstm-stamped.pdf", {.page = 1, .objstm = 1}, 1},
        {"linear-stamped.pdf", {.page = 1, .linear = 1}, 1},
        {"encrypted-open.pdf", {.page = 1, .encrypt = 1, .info_label = JP, .xmp = XMP_ELEM}, 0},
        {"xmp-attr.pdf", {.page = 1, .xmp = XMP_ATTR}, 0},
        {"xmp-attr-stamped.pdf", {.page = 1, .xmp = XMP_ATTR}, 1},
        {"xmp-elem.pdf", {.xmp = XMP_ELEM, .info_label = "機密性1"}, 0},
        {"xmp-hex.pdf", {.page = 1, .xmp = XMP_ATTR, .hex = 1}, 0},
        {"xmp-dtd.pdf", {.xmp = XMP_DTD}, 0},
        {"info-utf16.pdf", {.info_label = JP}, 0},
    };
    char path[4096];
    if (fuin_init() != FUIN_OK)
        abort();
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
        seed_pdf(path, &seeds[i].o);
        if (seeds[i].stamp >= 1)
            seed_stamp(path, JP, JP_CLS);
        if (seeds[i].stamp == 2)
            seed_stamp(path, NULL, NULL);
    }
    exit(0);
}

/* ---- the target ----------------------------------------------------------- */
static void cleanup(void)
{
    if (base[0] != '\0') {
        unlink(doc);
        rmdir(base);
        base[0] = '\0';
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("FUIN_FUZZ_MAKE_SEEDS"), *tmp = getenv("FUIN_FUZZ_TMPDIR");
    struct stat sb;
    (void)argc;
    (void)argv;
    if (dir != NULL)
        make_seeds(dir);
    if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 4000)
        tmp = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                  ? "/dev/shm"
                  : "/tmp";
    if (fuin_init() != FUIN_OK)
        abort();
    snprintf(base, sizeof base, "%s/fuin-fuzz-pdf-XXXXXX", tmp);
    if (mkdtemp(base) == NULL) {
        perror("fuzz_pdf: mkdtemp");
        abort();
    }
    snprintf(doc, sizeof doc, "%s/doc.pdf", base);
    atexit(cleanup);
    verbose = getenv("FUIN_FUZZ_VERBOSE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuin__doc_stamp st = {.label = JP, .cls = JP_CLS, .time = 1764000000};
    static const fuin__doc_stamp clear = {.time = 1764000001};
    found r = {0};
    char err[256];
    fuin_status s;
    int fd = memfd_create("pdf", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    s = read_fd(fd, &r, err, sizeof err);
    close(fd);
    if (verbose)
        fprintf(stderr, "fuzz_pdf: read: %s: %s (%d places)\n", fuin_strerror(s), err, r.n);
    found_free(&r);
    if (s != FUIN_OK)
        return 0;

    put(doc, data, size);
    s = fuin__pdf_write(doc, &st, err, sizeof err);
    if (verbose)
        fprintf(stderr, "fuzz_pdf: stamp: %s: %s\n", fuin_strerror(s), s != FUIN_OK ? err : "");
    check_dir("stamp");
    if (s != FUIN_OK) {
        if (err[0] == '\0' || strchr(err, '\n') != NULL)
            die("a refused stamp without a one-line message", s, err);
        if (!same_file(doc, data, size))
            die("a refused stamp changed the file", s, err);
        unlink(doc);
        return 0;
    }
    expect(doc, st.label, st.cls, "the stamp does not read back");
    if (qpdf_clean(data, size)) {
        size_t n;
        uint8_t *out = slurp(doc, &n);
        if (!qpdf_clean(out, n))
            die("qpdf --check passes on the input, not on the stamped file", s, "");
        free(out);
    }
    s = fuin__pdf_write(doc, &clear, err, sizeof err);
    check_dir("clear");
    if (s != FUIN_OK)
        die("a stamped file cannot be cleared", s, err);
    expect(doc, NULL, NULL, "the clear does not read back");
    unlink(doc);
    return 0;
}
