/* Tests of lib/label/pdf.c (fuin__pdf_read / fuin__pdf_write) on PDFs made
 * here by real tools in a fresh temporary directory: reportlab (an Info
 * dictionary, no XMP), `qpdf --empty`, exiftool (XMP added as an
 * incremental update), qpdf's --encrypt, --linearize and object streams.
 * What the writer leaves is checked with `qpdf --check` and `exiftool -j`;
 * packets fuin never writes (attribute form, duplicates, DTDs, compressed
 * or oversized streams) are put in place with qpdf's C API.  qpdf,
 * exiftool and python3-reportlab (scripts/deps.sh) must be installed: the
 * test fails without them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <qpdf/qpdf-c.h>
#include <zlib.h>

#include "fuin.h"
#include "label/doc.h"

#define JP "機密性2 完全性1 可用性1 複製禁止"
#define JP_CLS "C2-I1-A1 no-copy"
#define T0 1764000000 /* 2025-11-24 16:00:00 UTC */

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* A shell command (formatted) run in the test directory: its exit status. */
static int run(const char *fmt, ...)
{
    char cmd[2048], full[2400];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(rc > 0 && (size_t)rc < sizeof cmd);
    snprintf(full, sizeof full, "cd '%s' && {\n%s\n}", dir, cmd);
    rc = system(full);
    assert_true(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

/* Standard output of a shell command run in the test directory. */
static char *capture(const char *fmt, ...)
{
    char cmd[2048], full[2400];
    va_list ap;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    FILE *p;
    int rc;
    va_start(ap, fmt);
    rc = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(rc > 0 && (size_t)rc < sizeof cmd);
    snprintf(full, sizeof full, "cd '%s' && {\n%s\n}", dir, cmd);
    assert_non_null(out);
    assert_non_null(p = popen(full, "r"));
    for (;;) {
        size_t n;
        if (len + 1 == cap)
            assert_non_null(out = realloc(out, cap *= 2));
        if ((n = fread(out + len, 1, cap - len - 1, p)) == 0)
            break;
        len += n;
    }
    out[len] = '\0';
    pclose(p);
    return out;
}

static uint8_t *slurp(const char *name, size_t *len)
{
    char p[512];
    struct stat sb;
    uint8_t *buf;
    int fd;
    path_of(p, sizeof p, name);
    assert_true((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    assert_non_null(buf = malloc((size_t)sb.st_size + 1));
    assert_int_equal(read(fd, buf, (size_t)sb.st_size), (ssize_t)sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return buf;
}

static void put_file(const char *name, const void *buf, size_t len)
{
    char p[512];
    int fd;
    path_of(p, sizeof p, name);
    assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* ---- documents made by real tools --------------------------------------- */
static void make_reportlab(const char *name)
{
    assert_int_equal(run("/usr/bin/python3 - '%s' <<'EOF'\n"
                         "import sys\n"
                         "from reportlab.pdfgen import canvas\n"
                         "c = canvas.Canvas(sys.argv[1])\n"
                         "c.setTitle('Quarterly report')\n"
                         "c.setAuthor('Hanako Yamada')\n"
                         "c.drawString(72, 720, 'Hello from reportlab')\n"
                         "c.showPage()\n"
                         "c.save()\n"
                         "EOF",
                         name),
                     0);
}

static void make_empty(const char *name)
{
    assert_int_equal(run("qpdf --empty '%s'", name), 0);
}

/* reportlab's PDF with XMP added by exiftool (an incremental update) */
static void make_exiftool_xmp(const char *name)
{
    make_reportlab(name);
    assert_int_equal(run("exiftool -q -overwrite_original -XMP-dc:Title=Minutes '%s'", name), 0);
}

static int qpdf_check(const char *name)
{
    return run("qpdf --check '%s' >/dev/null 2>&1", name);
}

/* Change a PDF with qpdf's C API: /FuinLabel in the Info dictionary, and
 * the catalog's XMP stream (raw bytes, Flate-compressed when flate). */
static void pdf_edit(const char *name, const char *info_label, const void *xmp, size_t xmplen,
                     int flate)
{
    char p[512];
    size_t len;
    uint8_t *buf = slurp(name, &len);
    qpdf_data q = qpdf_init();
    path_of(p, sizeof p, name);
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    assert_int_equal(qpdf_read_memory(q, "t", (const char *)buf, len, "") & QPDF_ERRORS, 0);
    if (info_label != NULL) {
        qpdf_oh tr = qpdf_get_trailer(q), info = qpdf_oh_get_key(q, tr, "/Info");
        if (!qpdf_oh_is_dictionary(q, info)) {
            info = qpdf_make_indirect_object(q, qpdf_oh_new_dictionary(q));
            qpdf_oh_replace_key(q, tr, "/Info", info);
        }
        qpdf_oh_replace_key(q, info, "/FuinLabel", qpdf_oh_new_unicode_string(q, info_label));
    }
    if (xmp != NULL) {
        qpdf_oh root = qpdf_get_root(q), md = qpdf_oh_get_key(q, root, "/Metadata"), d;
        if (!qpdf_oh_is_stream(q, md)) {
            md = qpdf_oh_new_stream(q);
            qpdf_oh_replace_key(q, root, "/Metadata", md);
        }
        d = qpdf_oh_get_dict(q, md);
        /* qpdf's writer uncompresses every stream of /Type /Metadata:
         * a compressed one has no /Type (fuin's reader does not ask) */
        if (flate)
            qpdf_oh_remove_key(q, d, "/Type");
        else
            qpdf_oh_replace_key(q, d, "/Type", qpdf_oh_new_name(q, "/Metadata"));
        qpdf_oh_replace_key(q, d, "/Subtype", qpdf_oh_new_name(q, "/XML"));
        if (flate) {
            uLongf zlen = compressBound((uLong)xmplen);
            Bytef *z = malloc(zlen);
            assert_non_null(z);
            assert_int_equal(compress2(z, &zlen, xmp, (uLong)xmplen, 9), Z_OK);
            qpdf_oh_replace_stream_data(q, md, z, zlen, qpdf_oh_new_name(q, "/FlateDecode"),
                                        qpdf_oh_new_null(q));
            free(z);
        } else {
            qpdf_oh_replace_stream_data(q, md, xmp, xmplen, qpdf_oh_new_null(q),
                                        qpdf_oh_new_null(q));
        }
    }
    assert_false(qpdf_has_error(q));
    assert_int_equal(qpdf_init_write(q, p) & QPDF_ERRORS, 0);
    qpdf_set_stream_data_mode(q, qpdf_s_preserve);
    assert_int_equal(qpdf_write(q) & QPDF_ERRORS, 0);
    qpdf_cleanup(&q);
    free(buf);
}

/* The decoded content of the first page (qpdf's C API). */
static unsigned char *page_content(const char *name, size_t *clen)
{
    size_t len;
    uint8_t *buf = slurp(name, &len);
    unsigned char *c = NULL;
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_int_equal(qpdf_read_memory(q, "t", (const char *)buf, len, "") & QPDF_ERRORS, 0);
    assert_int_equal(qpdf_get_num_pages(q), 1);
    assert_int_equal(qpdf_oh_get_page_content_data(q, qpdf_get_page_n(q, 0), &c, clen) &
                         QPDF_ERRORS,
                     0);
    qpdf_cleanup(&q);
    free(buf);
    return c;
}

/* ---- reading ------------------------------------------------------------ */
typedef struct {
    int n, stop_after;
    char place[4][16];
    char *label[4], *cls[4];
} found;

static int on_found(void *ctx, const fuin__doc_found *f)
{
    found *r = ctx;
    assert_true(r->n < 4);
    assert_non_null(f->place);
    assert_true(f->label != NULL || f->cls != NULL);
    assert_null(f->msip_id);
    snprintf(r->place[r->n], sizeof r->place[0], "%s", f->place);
    r->label[r->n] = f->label != NULL ? strdup(f->label) : NULL;
    r->cls[r->n] = f->cls != NULL ? strdup(f->cls) : NULL;
    r->n++;
    return r->stop_after != 0 && r->n >= r->stop_after;
}

static void found_free(found *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->label[i]);
        free(r->cls[i]);
    }
    memset(r, 0, sizeof *r);
}

static fuin_status read_doc(const char *name, found *r, char *err, size_t cap)
{
    char p[512];
    int fd;
    fuin_status s;
    path_of(p, sizeof p, name);
    assert_true((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0);
    s = fuin__pdf_read(fd, on_found, r, err, cap);
    close(fd);
    return s;
}

static void assert_place(const found *r, int i, const char *place, const char *label,
                         const char *cls)
{
    assert_true(i < r->n);
    assert_string_equal(r->place[i], place);
    if (label == NULL)
        assert_null(r->label[i]);
    else
        assert_string_equal(r->label[i], label);
    if (cls == NULL)
        assert_null(r->cls[i]);
    else
        assert_string_equal(r->cls[i], cls);
}

/* Both places hold exactly label / cls. */
static void assert_stamped(const char *name, const char *label, const char *cls)
{
    found r = {0};
    char err[256] = "";
    fuin_status s = read_doc(name, &r, err, sizeof err);
    if (s != FUIN_OK)
        fail_msg("%s: %s", fuin_strerror(s), err);
    assert_int_equal(r.n, 2);
    assert_place(&r, 0, "pdf:info", label, cls);
    assert_place(&r, 1, "pdf:xmp", label, cls);
    found_free(&r);
}

static void assert_unlabelled(const char *name)
{
    found r = {0};
    char err[256] = "";
    fuin_status s = read_doc(name, &r, err, sizeof err);
    if (s != FUIN_OK)
        fail_msg("%s: %s", fuin_strerror(s), err);
    if (r.n != 0)
        fail_msg("%s: found %d places, the first %s", name, r.n, r.place[0]);
}

static fuin_status stamp(const char *name, const char *label, const char *cls, char *err,
                         size_t cap)
{
    char p[512];
    fuin__doc_stamp st;
    memset(&st, 0, sizeof st);
    st.label = label;
    st.cls = cls;
    st.time = T0;
    path_of(p, sizeof p, name);
    return fuin__pdf_write(p, &st, err, cap);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("\"%s\" not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle) != NULL)
        fail_msg("\"%s\" unexpectedly found in:\n%s", needle, hay);
}

/* A write that must fail leaves the file byte-identical. */
static void assert_refused(const char *name, const char *label, const char *cls,
                           fuin_status want, const char *msg)
{
    size_t l0, l1;
    uint8_t *before = slurp(name, &l0), *after;
    char err[256] = "";
    assert_int_equal(stamp(name, label, cls, err, sizeof err), want);
    if (msg != NULL)
        assert_string_equal(err, msg);
    else
        assert_true(err[0] != '\0');
    after = slurp(name, &l1);
    assert_int_equal(l0, l1);
    assert_memory_equal(before, after, l0);
    free(before);
    free(after);
    /* nothing left beside it */
    {
        char *ls = capture("ls -A | grep -c fuin-tmp || true");
        assert_string_equal(ls, "0\n");
        free(ls);
    }
}

/* ---- setup -------------------------------------------------------------- */
static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    snprintf(dir, sizeof dir, "%s/fuin-test-pdf-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests -------------------------------------------------------------- */
static void test_tools(void **state)
{
    (void)state;
    if (run("command -v qpdf >/dev/null") != 0)
        fail_msg("qpdf is not installed (scripts/deps.sh)");
    if (run("command -v exiftool >/dev/null") != 0)
        fail_msg("exiftool is not installed (libimage-exiftool-perl, scripts/deps.sh)");
    if (run("/usr/bin/python3 -c 'import reportlab' 2>/dev/null") != 0)
        fail_msg("reportlab is not installed (python3-reportlab, scripts/deps.sh)");
}

static void test_stamp_reportlab(void **state)
{
    char p[512], err[256] = "", xa[64];
    char *j;
    struct stat sb;
    ssize_t n;
    int xattrs;
    (void)state;
    make_reportlab("r.pdf");
    assert_unlabelled("r.pdf");
    path_of(p, sizeof p, "r.pdf");
    assert_int_equal(chmod(p, 0640), 0);
    xattrs = setxattr(p, "user.fuin.label", "C2-I1-A1", 8, 0) == 0;
    if (!xattrs)
        fprintf(stderr, "SKIP (part): user.* xattrs not supported in %s: %s\n", dir,
                strerror(errno));

    assert_int_equal(stamp("r.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("r.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("r.pdf"), 0);

    /* exiftool sees both places; the document's own properties are kept */
    j = capture("exiftool -j -G1 -a r.pdf");
    assert_contains(j, "\"PDF:FuinLabel\": \"" JP "\"");
    assert_contains(j, "\"PDF:FuinClass\": \"" JP_CLS "\"");
    assert_contains(j, "\"XMP-fuin:Label\": \"" JP "\"");
    assert_contains(j, "\"XMP-fuin:Class\": \"" JP_CLS "\"");
    assert_contains(j, "\"PDF:Title\": \"Quarterly report\"");
    assert_contains(j, "\"PDF:Author\": \"Hanako Yamada\"");
    assert_contains(j, "\"PDF:Producer\": \"ReportLab PDF Library");
    assert_contains(j, "\"PDF:ModifyDate\": \"2025:11:24 16:00:00Z\"");
    assert_contains(j, "\"PDF:PageCount\": 1");
    free(j);
    /* the XMP stream is plain text in the file, with the Japanese as UTF-8 */
    j = capture("grep -a -c '<fuin:Label>" JP "</fuin:Label>' r.pdf");
    assert_string_equal(j, "1\n");
    free(j);

    /* mode and extended attributes survive the rewrite */
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    if (xattrs) {
        n = getxattr(p, "user.fuin.label", xa, sizeof xa);
        assert_int_equal(n, 8);
        assert_memory_equal(xa, "C2-I1-A1", 8);
    }
}

static void test_stamp_empty(void **state)
{
    char err[256] = "";
    char *j;
    (void)state;
    make_empty("e.pdf");
    assert_unlabelled("e.pdf");
    assert_int_equal(stamp("e.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("e.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("e.pdf"), 0);
    j = capture("exiftool -j -G1 -a e.pdf");
    assert_contains(j, "\"PDF:FuinLabel\": \"" JP "\"");
    assert_contains(j, "\"XMP-fuin:Class\": \"" JP_CLS "\"");
    /* the XMP stream needs PDF 1.4 */
    assert_contains(j, "\"PDF:PDFVersion\": 1.4");
    free(j);
    /* stamped again: replaced, never duplicated */
    assert_int_equal(stamp("e.pdf", "機密性1", "C1", err, sizeof err), FUIN_OK);
    assert_stamped("e.pdf", "機密性1", "C1");
    j = capture("exiftool -j -G1 -a e.pdf | grep -c 'XMP-fuin:Label\\|PDF:FuinLabel'");
    assert_string_equal(j, "2\n");
    free(j);
}

static void test_stamp_existing_xmp(void **state)
{
    char err[256] = "";
    char *j;
    (void)state;
    make_exiftool_xmp("x.pdf");
    assert_unlabelled("x.pdf");
    assert_int_equal(stamp("x.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("x.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("x.pdf"), 0);
    j = capture("exiftool -j -G1 -a x.pdf");
    assert_contains(j, "\"XMP-dc:Title\": \"Minutes\"");
    assert_contains(j, "\"XMP-x:XMPToolkit\": \"Image::ExifTool");
    assert_contains(j, "\"PDF:Title\": \"Quarterly report\"");
    assert_contains(j, "\"XMP-fuin:Label\": \"" JP "\"");
    free(j);

    /* restamped: the new texts, once */
    assert_int_equal(stamp("x.pdf", "機密性3 完全性2 可用性2", "C3-I2-A2", err, sizeof err),
                     FUIN_OK);
    assert_stamped("x.pdf", "機密性3 完全性2 可用性2", "C3-I2-A2");
    assert_int_equal(qpdf_check("x.pdf"), 0);
    j = capture("exiftool -j -G1 -a x.pdf");
    assert_contains(j, "\"XMP-fuin:Class\": \"C3-I2-A2\"");
    assert_contains(j, "\"XMP-dc:Title\": \"Minutes\"");
    assert_lacks(j, JP);
    free(j);
    j = capture("grep -a -c '<fuin:Label>' x.pdf");
    assert_string_equal(j, "1\n");
    free(j);
}

static void test_clear(void **state)
{
    char err[256] = "";
    char *j;
    (void)state;
    make_exiftool_xmp("c.pdf");
    assert_int_equal(stamp("c.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("c.pdf", JP, JP_CLS);
    assert_int_equal(stamp("c.pdf", NULL, NULL, err, sizeof err), FUIN_OK);
    assert_unlabelled("c.pdf");
    assert_int_equal(qpdf_check("c.pdf"), 0);
    j = capture("exiftool -j -G1 -a c.pdf");
    assert_lacks(j, "Fuin");
    assert_lacks(j, "fuin");
    assert_contains(j, "\"XMP-dc:Title\": \"Minutes\"");
    assert_contains(j, "\"PDF:Title\": \"Quarterly report\"");
    free(j);
    j = capture("grep -a -c 'urn:fuin:label' c.pdf || true");
    assert_string_equal(j, "0\n");
    free(j);

    /* clearing a document that never had a label adds no XMP */
    make_reportlab("c2.pdf");
    assert_int_equal(stamp("c2.pdf", NULL, NULL, err, sizeof err), FUIN_OK);
    assert_unlabelled("c2.pdf");
    assert_int_equal(qpdf_check("c2.pdf"), 0);
    j = capture("exiftool -j -G1 -a c2.pdf");
    assert_lacks(j, "XMP");
    assert_contains(j, "\"PDF:Title\": \"Quarterly report\"");
    free(j);

    /* one text alone: the other is removed */
    assert_int_equal(stamp("c.pdf", NULL, "C1", err, sizeof err), FUIN_OK);
    {
        found r = {0};
        assert_int_equal(read_doc("c.pdf", &r, err, sizeof err), FUIN_OK);
        assert_int_equal(r.n, 2);
        assert_place(&r, 0, "pdf:info", NULL, "C1");
        assert_place(&r, 1, "pdf:xmp", NULL, "C1");
        found_free(&r);
    }
}

static void test_conflict(void **state)
{
    char err[256] = "";
    found r = {0};
    (void)state;
    make_reportlab("k.pdf");
    assert_int_equal(stamp("k.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    pdf_edit("k.pdf", "機密性3", NULL, 0, 0);
    assert_int_equal(read_doc("k.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_place(&r, 0, "pdf:info", "機密性3", JP_CLS);
    assert_place(&r, 1, "pdf:xmp", JP, JP_CLS);
    found_free(&r);

    /* a callback's non-zero return ends the read: FUIN_OK */
    r.stop_after = 1;
    assert_int_equal(read_doc("k.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 1);
    assert_place(&r, 0, "pdf:info", "機密性3", JP_CLS);
    found_free(&r);

    /* a stamp resolves it */
    assert_int_equal(stamp("k.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("k.pdf", JP, JP_CLS);
}

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

static void test_xmp_forms(void **state)
{
    static const char dup_same[] =
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
        "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns:fuin=\"urn:fuin:label:1.0:\">"
        "<rdf:Description rdf:about=\"\" fuin:Label=\"A\"/>"
        "<rdf:Description rdf:about=\"\"><fuin:Label>A</fuin:Label>"
        "<fuin:Class><![CDATA[C1]]></fuin:Class></rdf:Description>"
        "</rdf:RDF></x:xmpmeta>";
    static const char dup_diff[] =
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns:fuin=\"urn:fuin:label:1.0:\">"
        "<rdf:Description rdf:about=\"\" fuin:Label=\"A\"/>"
        "<rdf:Description rdf:about=\"\"><fuin:Label>B</fuin:Label></rdf:Description>"
        "</rdf:RDF>";
    static const char nested[] =
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns:fuin=\"urn:fuin:label:1.0:\"><rdf:Description rdf:about=\"\">"
        "<fuin:Label><rdf:Alt><rdf:li xml:lang=\"x-default\">A</rdf:li></rdf:Alt></fuin:Label>"
        "</rdf:Description></rdf:RDF>";
    static const char default_ns[] =
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><RDF "
        "xmlns=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
        "<Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
        "xmlns:fuin=\"urn:fuin:label:1.0:\"><dc:format>application/pdf</dc:format>"
        "<fuin:Label>B</fuin:Label></Description></RDF></x:xmpmeta>";
    static const char no_rdf[] = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
    static const char bad_xml[] = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF>";
    char err[256] = "";
    found r = {0};
    char *j;
    (void)state;

    /* attribute form, another prefix, an entity: read; then rewritten */
    make_reportlab("a.pdf");
    pdf_edit("a.pdf", NULL, XMP_ATTR, sizeof XMP_ATTR - 1, 0);
    assert_int_equal(read_doc("a.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 1);
    assert_place(&r, 0, "pdf:xmp", "機密性3 & co", "C3");
    found_free(&r);
    assert_int_equal(stamp("a.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("a.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("a.pdf"), 0);
    j = capture("exiftool -j -G1 -a a.pdf");
    /* the xmp: dates that were there follow the stamp's time */
    assert_contains(j, "\"XMP-xmp:ModifyDate\": \"2025:11:24 16:00:00Z\"");
    assert_contains(j, "\"XMP-xmp:MetadataDate\": \"2025:11:24 16:00:00Z\"");
    assert_lacks(j, "2020:01:01");
    assert_lacks(j, "機密性3");
    free(j);

    /* the same flate-compressed: read, and written back uncompressed */
    make_reportlab("z.pdf");
    pdf_edit("z.pdf", NULL, XMP_ATTR, sizeof XMP_ATTR - 1, 1);
    j = capture("grep -a -c 'f:Label' z.pdf || true");
    assert_string_equal(j, "0\n");
    free(j);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 1);
    assert_place(&r, 0, "pdf:xmp", "機密性3 & co", "C3");
    found_free(&r);
    assert_int_equal(stamp("z.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("z.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("z.pdf"), 0);
    j = capture("grep -a -c '<fuin:Label>' z.pdf");
    assert_string_equal(j, "1\n");
    free(j);

    /* the same property twice: once when they agree, an error when not */
    pdf_edit("z.pdf", NULL, dup_same, sizeof dup_same - 1, 0);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_place(&r, 1, "pdf:xmp", "A", "C1");
    found_free(&r);
    assert_int_equal(stamp("z.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("z.pdf", JP, JP_CLS);
    j = capture("grep -a -c 'fuin:Label' z.pdf");
    assert_string_equal(j, "1\n");
    free(j);

    pdf_edit("z.pdf", NULL, dup_diff, sizeof dup_diff - 1, 0);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "XMP packet with two different fuin:Label values");
    assert_int_equal(r.n, 0);
    /* the writer does not need to understand what it replaces */
    assert_int_equal(stamp("z.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("z.pdf", JP, JP_CLS);

    pdf_edit("z.pdf", NULL, nested, sizeof nested - 1, 0);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "fuin:Label in the XMP packet is not a simple value");

    pdf_edit("z.pdf", NULL, no_rdf, sizeof no_rdf - 1, 0);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "XMP packet without rdf:RDF");
    assert_refused("z.pdf", JP, JP_CLS, FUIN_E_SYNTAX, "XMP packet without rdf:RDF");

    pdf_edit("z.pdf", NULL, bad_xml, sizeof bad_xml - 1, 0);
    assert_int_equal(read_doc("z.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_true(strncmp(err, "XMP packet is not well-formed XML (line 1: ", 43) == 0);
    assert_null(strchr(err, '\n'));
    assert_refused("z.pdf", JP, JP_CLS, FUIN_E_SYNTAX, NULL);

    /* RDF as the default namespace: the new rdf:about still has a prefix */
    make_reportlab("n.pdf");
    pdf_edit("n.pdf", NULL, default_ns, sizeof default_ns - 1, 0);
    assert_int_equal(read_doc("n.pdf", &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 1);
    assert_place(&r, 0, "pdf:xmp", "B", NULL);
    found_free(&r);
    assert_int_equal(stamp("n.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("n.pdf", JP, JP_CLS);
    j = capture("grep -a -c '<rdf:Description xmlns:rdf=\"http://www.w3.org/1999/02/"
                "22-rdf-syntax-ns#\" xmlns:fuin=\"urn:fuin:label:1.0:\" rdf:about=\"\">' n.pdf");
    assert_string_equal(j, "1\n");
    free(j);
    j = capture("grep -a -c '<dc:format>application/pdf</dc:format>' n.pdf");
    assert_string_equal(j, "1\n");
    free(j);
    assert_int_equal(qpdf_check("n.pdf"), 0);

    /* an empty stream is no packet: read finds nothing, a stamp makes one */
    make_reportlab("w.pdf");
    pdf_edit("w.pdf", NULL, "  \n", 3, 0);
    assert_unlabelled("w.pdf");
    assert_int_equal(stamp("w.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("w.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("w.pdf"), 0);
}

static void test_xmp_dtd(void **state)
{
    static const char dtd[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE x:xmpmeta [<!ENTITY e \"機密性1\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
        "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns:fuin=\"urn:fuin:label:1.0:\"><rdf:Description rdf:about=\"\">"
        "<fuin:Label>&e;&x;</fuin:Label></rdf:Description></rdf:RDF></x:xmpmeta>";
    static const char dtd_only[] = "<!DOCTYPE x><x/>";
    char err[256] = "";
    found r = {0};
    (void)state;
    make_reportlab("d.pdf");
    pdf_edit("d.pdf", NULL, dtd, sizeof dtd - 1, 0);
    assert_int_equal(read_doc("d.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "XMP packet with a DTD");
    assert_int_equal(r.n, 0);
    assert_refused("d.pdf", JP, JP_CLS, FUIN_E_SYNTAX, "XMP packet with a DTD");
    assert_refused("d.pdf", NULL, NULL, FUIN_E_SYNTAX, "XMP packet with a DTD");
    pdf_edit("d.pdf", NULL, dtd_only, sizeof dtd_only - 1, 1);
    assert_int_equal(read_doc("d.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "XMP packet with a DTD");
}

static void test_not_pdf(void **state)
{
    char err[256] = "";
    found r = {0};
    size_t len;
    uint8_t *buf;
    (void)state;
    put_file("text.pdf", "hello, not a PDF\n", 17);
    assert_int_equal(read_doc("text.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_true(strncmp(err, "not a readable PDF: ", 20) == 0);
    assert_refused("text.pdf", JP, JP_CLS, FUIN_E_SYNTAX, NULL);

    put_file("zero.pdf", "", 0);
    assert_int_equal(read_doc("zero.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_refused("zero.pdf", JP, JP_CLS, FUIN_E_SYNTAX, NULL);

    /* truncated: never "repaired" into something with less in it */
    make_reportlab("full.pdf");
    buf = slurp("full.pdf", &len);
    put_file("cut.pdf", buf, len * 2 / 3);
    put_file("cut2.pdf", buf, len - 40);
    free(buf);
    assert_int_equal(read_doc("cut.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_true(strncmp(err, "not a readable PDF: ", 20) == 0);
    assert_refused("cut.pdf", JP, JP_CLS, FUIN_E_SYNTAX, NULL);
    assert_int_equal(read_doc("cut2.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_refused("cut2.pdf", JP, JP_CLS, FUIN_E_SYNTAX, NULL);
    assert_int_equal(r.n, 0);

    /* no such file; a directory */
    assert_refused("full.pdf", "\x01", "C1", FUIN_E_INVALID, NULL);
    {
        char p[512];
        fuin__doc_stamp st = {.label = JP, .cls = JP_CLS};
        path_of(p, sizeof p, "missing.pdf");
        assert_int_equal(fuin__pdf_write(p, &st, err, sizeof err), FUIN_E_IO);
        assert_string_equal(err, "No such file or directory");
        assert_int_equal(fuin__pdf_write(dir, &st, err, sizeof err), FUIN_E_IO);
    }
}

static void test_encrypted(void **state)
{
    char err[256] = "";
    found r = {0};
    (void)state;
    make_reportlab("plain.pdf");
    assert_int_equal(stamp("plain.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_int_equal(run("qpdf --encrypt u o 256 -- plain.pdf pw.pdf"), 0);
    assert_int_equal(read_doc("pw.pdf", &r, err, sizeof err), FUIN_E_SYNTAX);
    assert_string_equal(err, "encrypted PDF: a password is needed to read it");
    assert_refused("pw.pdf", JP, JP_CLS, FUIN_E_SYNTAX, "encrypted PDF: fuin cannot stamp it");
    assert_refused("pw.pdf", NULL, NULL, FUIN_E_SYNTAX, "encrypted PDF: fuin cannot stamp it");

    /* no user password: read (qpdf decrypts), never written */
    assert_int_equal(run("qpdf --encrypt '' o 256 -- plain.pdf open.pdf"), 0);
    assert_stamped("open.pdf", JP, JP_CLS);
    assert_refused("open.pdf", "機密性1", "C1", FUIN_E_SYNTAX,
                   "encrypted PDF: fuin cannot stamp it");
}

static void test_bad_stamp(void **state)
{
    char err[256] = "", big[2000];
    char p[512];
    fuin__doc_stamp st = {.label = JP, .cls = JP_CLS, .time = -1};
    (void)state;
    make_reportlab("b.pdf");
    assert_refused("b.pdf", "line\nbreak", "C1", FUIN_E_INVALID,
                   "bad stamp: a label text is empty, too long or not plain text");
    assert_refused("b.pdf", JP, "C2-機密", FUIN_E_INVALID, NULL);
    assert_refused("b.pdf", "", "C1", FUIN_E_INVALID, NULL);
    assert_refused("b.pdf", "\xff\xfe", "C1", FUIN_E_INVALID, NULL);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_refused("b.pdf", big, "C1", FUIN_E_INVALID, NULL);
    path_of(p, sizeof p, "b.pdf");
    assert_int_equal(fuin__pdf_write(p, &st, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "bad stamp: time out of range");
    assert_int_equal(fuin__pdf_write(p, NULL, err, sizeof err), FUIN_E_INVALID);
    assert_unlabelled("b.pdf");

    /* time 0: no dates are touched */
    st.time = 0;
    assert_int_equal(fuin__pdf_write(p, &st, err, sizeof err), FUIN_OK);
    {
        char *j = capture("exiftool -j -G1 -a b.pdf");
        assert_lacks(j, "2025:11:24");
        free(j);
    }
}

static void test_structure_kept(void **state)
{
    char err[256] = "";
    char *a, *b;
    (void)state;
    make_reportlab("s.pdf");
    /* linearized stays linearized */
    assert_int_equal(run("qpdf --linearize s.pdf lin.pdf"), 0);
    assert_int_equal(stamp("lin.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("lin.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("lin.pdf"), 0);
    a = capture("qpdf --check lin.pdf");
    assert_contains(a, "\nFile is linearized\n");
    free(a);
    assert_int_equal(run("qpdf --check-linearization lin.pdf >/dev/null"), 0);
    /* a plain one is not linearized */
    assert_int_equal(stamp("s.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    a = capture("qpdf --check s.pdf");
    assert_contains(a, "\nFile is not linearized\n");
    free(a);

    /* object streams and an xref stream */
    make_reportlab("o.pdf");
    assert_int_equal(run("qpdf --object-streams=generate o.pdf os.pdf"), 0);
    assert_int_equal(stamp("os.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    assert_stamped("os.pdf", JP, JP_CLS);
    assert_int_equal(qpdf_check("os.pdf"), 0);
    a = capture("qpdf --show-xref os.pdf | grep -c compressed");
    assert_true(atoi(a) > 0);
    free(a);

    /* the page's content, byte for byte */
    make_reportlab("p.pdf");
    {
        size_t la, lb;
        unsigned char *ca = page_content("p.pdf", &la), *cb;
        assert_int_equal(stamp("p.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
        cb = page_content("p.pdf", &lb);
        assert_true(la > 10);
        assert_int_equal(la, lb);
        assert_memory_equal(ca, cb, la);
        free(ca);
        free(cb);
    }
    (void)b;
}

static void test_limits(void **state)
{
    size_t big = FUIN__DOC_PART_MAX + 1;
    char *x = malloc(big);
    char err[256] = "";
    found r = {0};
    unsigned seed = 1;
    (void)state;
    assert_non_null(x);
    memset(x, ' ', big);
    make_reportlab("l.pdf");
    pdf_edit("l.pdf", NULL, x, big, 0);
    assert_int_equal(read_doc("l.pdf", &r, err, sizeof err), FUIN_E_LIMIT);
    assert_string_equal(err, "XMP packet larger than 16 MiB");
    assert_refused("l.pdf", JP, JP_CLS, FUIN_E_LIMIT, "XMP packet larger than 16 MiB");
    /* more than 64 KiB compressed: incompressible bytes */
    for (size_t i = 0; i < 100000; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (char)(seed >> 16);
    }
    pdf_edit("l.pdf", NULL, x, 100000, 1);
    assert_int_equal(read_doc("l.pdf", &r, err, sizeof err), FUIN_E_LIMIT);
    assert_string_equal(err, "compressed XMP stream larger than 64 KiB");
    free(x);
}

/* The reader takes the fd at any offset and leaves it there. */
static void test_read_fd(void **state)
{
    char p[512], err[256] = "";
    found r = {0};
    int fd;
    (void)state;
    make_reportlab("f.pdf");
    assert_int_equal(stamp("f.pdf", JP, JP_CLS, err, sizeof err), FUIN_OK);
    path_of(p, sizeof p, "f.pdf");
    assert_true((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0);
    assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
    assert_int_equal(fuin__pdf_read(fd, on_found, &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 100);
    found_free(&r);
    close(fd);
    assert_int_equal(fuin__pdf_read(-1, on_found, &r, err, sizeof err), FUIN_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_reportlab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_existing_xmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xmp_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xmp_dtd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_pdf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_stamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_fd, setup, teardown),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    umask(022);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
