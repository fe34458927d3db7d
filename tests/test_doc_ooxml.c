/* Tests of the Office Open XML and OpenDocument label readers and writers
 * (lib/label/ooxml.c, odf.c, zipdoc.c).  Every document is made here, in
 * a fresh temporary directory, by the ecosystem's own tools (Debian's
 * python3-docx, python3-openpyxl, python3-odf), and what fuin writes is
 * checked with them and with exiftool: the labels read back, the document
 * still opens, every member fuin does not own has the same compressed
 * bytes, mode and extended attributes are kept, and a hostile or damaged
 * document is refused with the original left byte-identical.  A missing
 * peer fails the test (scripts/deps.sh installs them all). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zip.h>

#include "fuin.h"
#include "label/doc.h"

#define PY "/usr/bin/python3" /* Debian's, which has the document modules */
#define LABEL "機密性2 完全性1 可用性1 複製禁止"
#define CLASS "C2-I1-A1 no-copy"
#define MSIP_A "8c3f1a2b-1111-2222-3333-444455556666"
#define MSIP_B "0f0e0d0c-aaaa-bbbb-cccc-ddddeeeeffff"
#define SITE "0a1b2c3d-0000-1111-2222-333344445555"
#define T0 1767322800 /* 2026-01-02T03:00:00Z */

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* Run a python3 script with the document's path as argv[1]; its exit
 * status (0: every assert in it held). */
static int py(const char *name, const char *script)
{
    char sp[512], doc[512], cmd[1400];
    FILE *f;
    int rc;
    path_of(sp, sizeof sp, "script.py");
    path_of(doc, sizeof doc, name);
    assert_non_null(f = fopen(sp, "w"));
    assert_true(fputs(script, f) >= 0);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, PY " '%s' '%s' 1>&2", sp, doc);
    rc = system(cmd);
    unlink(sp);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
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

static void assert_same_file(const char *name, const uint8_t *before, size_t blen)
{
    size_t n;
    uint8_t *now = slurp(name, &n);
    assert_int_equal(n, blen);
    assert_memory_equal(now, before, blen);
    free(now);
}

/* The directory holds only these names (no temporary left behind). */
static void assert_dir_holds(int count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    assert_int_equal(n, count);
}

/* ---- what a reader found ---------------------------------------------------- */
typedef struct {
    int n;
    char place[8][16];
    char *label[8], *cls[8], *msip[8];
} found;

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int on_found(void *ctx, const fuin__doc_found *f)
{
    found *r = ctx;
    assert_true(r->n < 8);
    snprintf(r->place[r->n], sizeof r->place[r->n], "%s", f->place);
    r->label[r->n] = dup_or_null(f->label);
    r->cls[r->n] = dup_or_null(f->cls);
    r->msip[r->n] = dup_or_null(f->msip_id);
    r->n++;
    return 0;
}

static void found_free(found *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->label[i]);
        free(r->cls[i]);
        free(r->msip[i]);
    }
    memset(r, 0, sizeof *r);
}

static fuin_status read_doc(const char *name, int odf, found *r, char *err, size_t cap)
{
    char p[512];
    int fd;
    fuin_status s;
    memset(r, 0, sizeof *r);
    path_of(p, sizeof p, name);
    assert_true((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0);
    (void)lseek(fd, 7, SEEK_SET); /* any offset */
    s = odf ? fuin__odf_read(fd, on_found, r, err, cap) : fuin__ooxml_read(fd, on_found, r, err, cap);
    close(fd);
    return s;
}

static fuin_status write_doc(const char *name, int odf, const fuin__doc_stamp *st, char *err,
                             size_t cap)
{
    char p[512];
    path_of(p, sizeof p, name);
    return odf ? fuin__odf_write(p, st, err, cap) : fuin__ooxml_write(p, st, err, cap);
}

static void assert_labels(const char *name, int odf, const char *label, const char *cls)
{
    found r;
    char err[256];
    assert_int_equal(read_doc(name, odf, &r, err, sizeof err), FUIN_OK);
    if (label == NULL && cls == NULL) {
        for (int i = 0; i < r.n; i++)
            assert_string_not_equal(r.place[i], odf ? "odf:meta" : "ooxml:custom");
    } else {
        assert_true(r.n >= 1);
        assert_string_equal(r.place[0], odf ? "odf:meta" : "ooxml:custom");
        if (label != NULL)
            assert_string_equal(r.label[0], label);
        else
            assert_null(r.label[0]);
        if (cls != NULL)
            assert_string_equal(r.cls[0], cls);
        else
            assert_null(r.cls[0]);
        assert_null(r.msip[0]);
    }
    found_free(&r);
}

/* ---- zip members: same compressed bytes ------------------------------------- */
typedef struct {
    int n;
    char *name[64];
    uint8_t *raw[64];
    size_t len[64];
    uint32_t crc[64];
    uint16_t method[64];
} members;

static void members_load(const char *name, members *m)
{
    char p[512];
    int ze;
    zip_t *za;
    path_of(p, sizeof p, name);
    assert_non_null(za = zip_open(p, ZIP_RDONLY | ZIP_CHECKCONS, &ze));
    memset(m, 0, sizeof *m);
    m->n = (int)zip_get_num_entries(za, 0);
    assert_true(m->n > 0 && m->n <= 64);
    for (int i = 0; i < m->n; i++) {
        zip_stat_t st;
        zip_file_t *f;
        assert_int_equal(zip_stat_index(za, (zip_uint64_t)i, 0, &st), 0);
        m->name[i] = strdup(st.name);
        m->crc[i] = st.crc;
        m->method[i] = st.comp_method;
        m->len[i] = (size_t)st.comp_size;
        assert_non_null(m->raw[i] = malloc(m->len[i] + 1));
        assert_non_null(f = zip_fopen_index(za, (zip_uint64_t)i, ZIP_FL_COMPRESSED));
        assert_int_equal(zip_fread(f, m->raw[i], m->len[i]), (zip_int64_t)m->len[i]);
        zip_fclose(f);
    }
    zip_discard(za);
}

static void members_free(members *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->name[i]);
        free(m->raw[i]);
    }
}

static int listed(const char *name, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

/* Every member of `before` not in `changed` is in `after`, at the same
 * index, with the same method, CRC and compressed bytes; `after` has
 * exactly `added` more members than `before`. */
static void assert_members_kept(const members *before, const members *after,
                                const char *const *changed, int added)
{
    assert_int_equal(after->n, before->n + added);
    for (int i = 0; i < before->n; i++) {
        assert_string_equal(after->name[i], before->name[i]);
        if (listed(before->name[i], changed))
            continue;
        assert_int_equal(after->method[i], before->method[i]);
        assert_int_equal(after->crc[i], before->crc[i]);
        assert_int_equal(after->len[i], before->len[i]);
        assert_memory_equal(after->raw[i], before->raw[i], before->len[i]);
    }
}

/* ---- exiftool ------------------------------------------------------------------ */
static json_t *exiftool(const char *name, const char *args)
{
    char p[512], cmd[1024], buf[65536];
    FILE *f;
    size_t n;
    json_t *j, *o;
    json_error_t je;
    path_of(p, sizeof p, name);
    snprintf(cmd, sizeof cmd, "exiftool -j %s '%s'", args, p);
    assert_non_null(f = popen(cmd, "r"));
    n = fread(buf, 1, sizeof buf - 1, f);
    assert_int_equal(pclose(f), 0);
    buf[n] = '\0';
    assert_non_null(j = json_loads(buf, 0, &je));
    assert_true(json_is_array(j) && json_array_size(j) == 1);
    o = json_incref(json_array_get(j, 0));
    json_decref(j);
    return o;
}

static void assert_json_str(json_t *o, const char *key, const char *want)
{
    json_t *v = json_object_get(o, key);
    if (want == NULL) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
}

/* exiftool's view of OOXML custom properties: one tag per name */
static void assert_exif_ooxml(const char *name, const char *label, const char *cls)
{
    json_t *o = exiftool(name, "-FuinLabel -FuinClass");
    assert_json_str(o, "FuinLabel", label);
    assert_json_str(o, "FuinClass", cls);
    json_decref(o);
}

/* exiftool's view of ODF user-defined fields: User-definedName and
 * User-defined pairs, one family-4 group per copy */
static void assert_exif_odf(const char *name, const char *label, const char *cls)
{
    json_t *o = exiftool(name, "-a -G4 -User-defined*"), *v;
    const char *key, *want[2] = {label, cls}, *names[2] = {"FuinLabel", "FuinClass"};
    int seen[2] = {0, 0};
    json_object_foreach(o, key, v)
    {
        const char *colon = strchr(key, ':');
        char vkey[128];
        if (colon == NULL || strcmp(colon, ":User-definedName") != 0 || !json_is_string(v))
            continue;
        snprintf(vkey, sizeof vkey, "%.*s:User-defined", (int)(colon - key), key);
        for (int i = 0; i < 2; i++)
            if (strcmp(json_string_value(v), names[i]) == 0) {
                assert_non_null(want[i]);
                assert_json_str(o, vkey, want[i]);
                seen[i]++;
            }
    }
    assert_int_equal(seen[0], label != NULL);
    assert_int_equal(seen[1], cls != NULL);
    json_decref(o);
}

/* ---- making documents ----------------------------------------------------------- */
static void make_docx(const char *name)
{
    assert_int_equal(py(name, "import sys, docx\n"
                              "d = docx.Document()\n"
                              "d.add_paragraph('本文 hello')\n"
                              "d.core_properties.title = 'report'\n"
                              "d.save(sys.argv[1])\n"),
                     0);
}

static void make_xlsx(const char *name)
{
    assert_int_equal(py(name, "import sys, openpyxl\n"
                              "w = openpyxl.Workbook()\n"
                              "w.active['A1'] = '予算'\n"
                              "w.save(sys.argv[1])\n"),
                     0);
}

static void make_odt(const char *name, int spreadsheet)
{
    assert_int_equal(
        py(name, spreadsheet ? "import sys\n"
                               "from odf.opendocument import OpenDocumentSpreadsheet\n"
                               "from odf.table import Table\n"
                               "d = OpenDocumentSpreadsheet()\n"
                               "d.spreadsheet.addElement(Table(name='s'))\n"
                               "d.save(sys.argv[1])\n"
                             : "import sys\n"
                               "from odf.opendocument import OpenDocumentText\n"
                               "from odf.text import P\n"
                               "from odf.meta import UserDefined\n"
                               "d = OpenDocumentText()\n"
                               "d.text.addElement(P(text='本文'))\n"
                               "d.meta.addElement(UserDefined(name='Other', text='keep me'))\n"
                               "d.save(sys.argv[1])\n"),
        0);
}

/* Rewrite the zip at argv[1] with python's zipfile, member by member;
 * PY_REZIP_EDIT is the body of edit(name, data) -> data or None (drop). */
#define PY_REZIP(EDIT, EXTRA)                                                        \
    "import sys, zipfile, shutil\n"                                                  \
    "def edit(name, data):\n" EDIT "\n"                                              \
    "src = sys.argv[1]; tmp = src + '.tmp'\n"                                        \
    "with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, 'w') as zo:\n"            \
    "    for i in zi.infolist():\n"                                                  \
    "        d = edit(i.filename, zi.read(i))\n"                                     \
    "        if d is not None:\n"                                                    \
    "            zo.writestr(i, d, compress_type=i.compress_type)\n" EXTRA           \
    "shutil.move(tmp, src)\n"


/* ---- OOXML --------------------------------------------------------------------- */
static void ooxml_roundtrip(const char *name, const char *open_check)
{
    char p[512], err[256], buf[64];
    members before, after;
    struct stat sb;
    fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
    static const char *const changed[] = {"[Content_Types].xml", "_rels/.rels", NULL};
    path_of(p, sizeof p, name);
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(setxattr(p, "user.fuin.label", "C2-I1-A1", 8, 0), 0);
    assert_labels(name, 0, NULL, NULL);
    members_load(name, &before);

    assert_int_equal(write_doc(name, 0, &st, err, sizeof err), FUIN_OK);
    assert_string_equal(err, "");
    assert_labels(name, 0, LABEL, CLASS);
    assert_exif_ooxml(name, LABEL, CLASS);
    assert_int_equal(py(name, open_check), 0);
    /* the new part, its content type and its relationship: once each */
    assert_int_equal(
        py(name, "import sys, zipfile, xml.etree.ElementTree as ET\n"
                 "z = zipfile.ZipFile(sys.argv[1])\n"
                 "assert z.testzip() is None\n"
                 "ct = ET.fromstring(z.read('[Content_Types].xml'))\n"
                 "o = [e for e in ct if e.get('PartName') == '/docProps/custom.xml']\n"
                 "assert len(o) == 1, o\n"
                 "assert o[0].get('ContentType') == "
                 "'application/vnd.openxmlformats-officedocument.custom-properties+xml'\n"
                 "r = ET.fromstring(z.read('_rels/.rels'))\n"
                 "c = [e for e in r if e.get('Type') == 'http://schemas.openxmlformats.org/"
                 "officeDocument/2006/relationships/custom-properties']\n"
                 "assert len(c) == 1 and c[0].get('Target') == 'docProps/custom.xml', c\n"
                 "ids = [e.get('Id') for e in r]\n"
                 "assert len(set(ids)) == len(ids), ids\n"
                 "raw = z.read('docProps/custom.xml')\n"
                 "assert raw.startswith(b'<?xml version=\"1.0\" encoding=\"UTF-8\" "
                 "standalone=\"yes\"?>'), raw[:80]\n"
                 "i = z.getinfo('docProps/custom.xml')\n"
                 "assert i.compress_type == zipfile.ZIP_DEFLATED\n"
                 "p = ET.fromstring(raw)\n"
                 "pids = [int(e.get('pid')) for e in p]\n"
                 "assert pids == [2, 3], pids\n"
                 "assert all(e.get('fmtid') == '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}' "
                 "for e in p)\n"),
        0);
    members_load(name, &after);
    assert_members_kept(&before, &after, changed, 1);
    assert_string_equal(after.name[after.n - 1], "docProps/custom.xml");
    members_free(&before);
    members_free(&after);

    /* kept: mode, extended attributes; nothing left beside it */
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(getxattr(p, "user.fuin.label", buf, sizeof buf), 8);
    assert_memory_equal(buf, "C2-I1-A1", 8);
    assert_dir_holds(1);

    /* a second write replaces the properties, touches nothing else */
    members_load(name, &before);
    st.label = "機密性3";
    st.cls = "C3-I1-A1";
    assert_int_equal(write_doc(name, 0, &st, err, sizeof err), FUIN_OK);
    assert_labels(name, 0, "機密性3", "C3-I1-A1");
    assert_exif_ooxml(name, "機密性3", "C3-I1-A1");
    members_load(name, &after);
    {
        static const char *const custom[] = {"docProps/custom.xml", NULL};
        assert_members_kept(&before, &after, custom, 0);
    }
    members_free(&before);
    members_free(&after);

    /* clear: fuin's properties gone, the (empty) part kept */
    st.label = st.cls = NULL;
    assert_int_equal(write_doc(name, 0, &st, err, sizeof err), FUIN_OK);
    assert_labels(name, 0, NULL, NULL);
    assert_exif_ooxml(name, NULL, NULL);
    assert_int_equal(py(name, open_check), 0);
    assert_int_equal(py(name, "import sys, zipfile, xml.etree.ElementTree as ET\n"
                              "z = zipfile.ZipFile(sys.argv[1])\n"
                              "assert len(ET.fromstring(z.read('docProps/custom.xml'))) == 0\n"),
                     0);
    assert_int_equal(unlink(p), 0);
}

static void test_ooxml_docx(void **state)
{
    (void)state;
    make_docx("a.docx");
    ooxml_roundtrip("a.docx", "import sys, docx\n"
                              "d = docx.Document(sys.argv[1])\n"
                              "assert d.paragraphs[0].text == '本文 hello'\n"
                              "assert d.core_properties.title == 'report'\n");
}

static void test_ooxml_xlsx(void **state)
{
    (void)state;
    make_xlsx("a.xlsx");
    ooxml_roundtrip("a.xlsx", "import sys, openpyxl\n"
                              "w = openpyxl.load_workbook(sys.argv[1])\n"
                              "assert w.active['A1'].value == '予算'\n");
}

/* A custom part made by someone else: its properties are kept, new pids
 * do not collide, and clear leaves the others alone. */
static const char OTHER_CUSTOM[] =
    "'<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\\n'\n"
    "    '<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" "
    "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">'\n"
    "    '<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"2\" name=\"Other\">"
    "<vt:lpwstr>keep me</vt:lpwstr></property>'\n"
    "    '<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"4\" name=\"fuinlabel\">"
    "<vt:lpwstr>old</vt:lpwstr></property>'\n"
    "    '<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"5\" "
    "name=\"MSIP_Label_" MSIP_B "_Enabled\"><vt:lpwstr>TRUE</vt:lpwstr></property>'\n"
    "    '<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"6\" "
    "name=\"MSIP_Label_" MSIP_B "_Name\"><vt:lpwstr>Old</vt:lpwstr></property>'\n"
    "    '<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"7\" "
    "name=\"MSIP_Label_ffffffff-0000-0000-0000-000000000000_Enabled\"><vt:lpwstr>false</vt:lpwstr></property>'\n"
    "    '</Properties>'";

static void make_docx_with_custom(const char *name, const char *custom_expr)
{
    char script[8192];
    make_docx(name);
    snprintf(script, sizeof script,
             PY_REZIP("    if name == '[Content_Types].xml':\n"
                      "        return data.replace(b'</Types>', b'<Override PartName=\"/docProps/"
                      "custom.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."
                      "custom-properties+xml\"/></Types>')\n"
                      "    if name == '_rels/.rels':\n"
                      "        return data.replace(b'</Relationships>', b'<Relationship Id=\"rId9\" "
                      "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                      "custom-properties\" Target=\"/docProps/custom.xml\"/></Relationships>')\n"
                      "    return data\n",
                      "    zo.writestr('docProps/custom.xml', (CUSTOM).encode(), "
                      "compress_type=zipfile.ZIP_DEFLATED)\n"));
    {
        /* CUSTOM stands for the expression */
        char final[12000];
        char *at = strstr(script, "CUSTOM");
        assert_non_null(at);
        snprintf(final, sizeof final, "%.*s%s%s", (int)(at - script), script, custom_expr,
                 at + strlen("CUSTOM"));
        assert_int_equal(py(name, final), 0);
    }
}

static void test_ooxml_existing_custom(void **state)
{
    char err[256];
    found r;
    fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
    members before, after;
    static const char *const custom[] = {"docProps/custom.xml", NULL};
    (void)state;
    make_docx_with_custom("b.docx", OTHER_CUSTOM);
    /* the reader: fuin's (any case) and the one enabled MSIP label */
    assert_int_equal(read_doc("b.docx", 0, &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.place[0], "ooxml:custom");
    assert_string_equal(r.label[0], "old");
    assert_null(r.cls[0]);
    assert_string_equal(r.place[1], "ooxml:msip");
    assert_string_equal(r.msip[1], MSIP_B);
    assert_null(r.label[1]);
    found_free(&r);

    members_load("b.docx", &before);
    assert_int_equal(write_doc("b.docx", 0, &st, err, sizeof err), FUIN_OK);
    members_load("b.docx", &after);
    assert_members_kept(&before, &after, custom, 0); /* rels and types untouched */
    members_free(&before);
    members_free(&after);
    assert_labels("b.docx", 0, LABEL, CLASS);
    assert_int_equal(py("b.docx", "import sys, zipfile, docx, xml.etree.ElementTree as ET\n"
                                  "docx.Document(sys.argv[1])\n"
                                  "z = zipfile.ZipFile(sys.argv[1])\n"
                                  "p = ET.fromstring(z.read('docProps/custom.xml'))\n"
                                  "v = {e.get('name'): (int(e.get('pid')), e[0].text) for e in p}\n"
                                  "assert v['Other'] == (2, 'keep me'), v\n"
                                  "assert 'fuinlabel' not in v, v\n"
                                  "assert v['FuinLabel'] == (3, '" LABEL "'), v\n"
                                  "assert v['FuinClass'] == (4, '" CLASS "'), v\n"
                                  "assert v['MSIP_Label_" MSIP_B "_Name'] == (6, 'Old'), v\n"
                                  "assert len(set(p for p, _ in v.values())) == len(v)\n"),
                     0);
    assert_exif_ooxml("b.docx", LABEL, CLASS);
    assert_dir_holds(1);
    {
        char p[512];
        path_of(p, sizeof p, "b.docx");
        assert_int_equal(unlink(p), 0);
    }
}

static void test_ooxml_msip(void **state)
{
    char err[256];
    found r;
    fuin__doc_stamp st = {LABEL, CLASS, MSIP_A, "社外秘", SITE, 0, T0};
    (void)state;
    make_docx_with_custom("m.docx", OTHER_CUSTOM);
    assert_int_equal(write_doc("m.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_int_equal(read_doc("m.docx", 0, &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.place[0], "ooxml:custom");
    assert_string_equal(r.label[0], LABEL);
    assert_string_equal(r.place[1], "ooxml:msip");
    assert_string_equal(r.msip[1], MSIP_A);
    found_free(&r);
    /* as Microsoft 365 writes them; the other label's properties gone */
    assert_int_equal(
        py("m.docx", "import sys, re, zipfile, docx, xml.etree.ElementTree as ET\n"
                     "docx.Document(sys.argv[1])\n"
                     "p = ET.fromstring(zipfile.ZipFile(sys.argv[1]).read('docProps/custom.xml'))\n"
                     "v = {e.get('name'): e[0].text for e in p}\n"
                     "assert all(e[0].tag == '{http://schemas.openxmlformats.org/officeDocument/"
                     "2006/docPropsVTypes}lpwstr' for e in p)\n"
                     "m = 'MSIP_Label_" MSIP_A "_'\n"
                     "assert v[m + 'Enabled'] == 'true'\n"
                     "assert v[m + 'SetDate'] == '2026-01-02T03:00:00Z'\n"
                     "assert v[m + 'Method'] == 'Privileged'\n"
                     "assert v[m + 'Name'] == '社外秘'\n"
                     "assert v[m + 'SiteId'] == '" SITE "'\n"
                     "assert re.fullmatch('[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                     "[0-9a-f]{12}', v[m + 'ActionId']), v\n"
                     "assert v[m + 'ContentBits'] == '0'\n"
                     "assert not [k for k in v if k.startswith('MSIP_Label_') and not "
                     "k.startswith(m)], v\n"
                     "assert v['Other'] == 'keep me'\n"
                     "pids = [e.get('pid') for e in p]\n"
                     "assert len(set(pids)) == len(pids), pids\n"),
        0);
    {
        json_t *o = exiftool("m.docx", "-MSIP*");
        json_t *v = json_object_get(o, "MSIP_Label_" MSIP_A "_Method");
        assert_true(json_is_string(v));
        assert_string_equal(json_string_value(v), "Privileged");
        json_decref(o);
    }
    /* a second label replaces the first */
    st.msip_id = MSIP_B;
    assert_int_equal(write_doc("m.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_int_equal(read_doc("m.docx", 0, &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.msip[1], MSIP_B);
    found_free(&r);
    assert_int_equal(py("m.docx", "import sys, zipfile, xml.etree.ElementTree as ET\n"
                                  "p = ET.fromstring(zipfile.ZipFile(sys.argv[1]).read("
                                  "'docProps/custom.xml'))\n"
                                  "n = [e.get('name') for e in p if e.get('name').startswith("
                                  "'MSIP_Label_')]\n"
                                  "assert len(n) == 7 and all('" MSIP_B "' in x for x in n), n\n"),
                     0);
    /* clear_msip: every MSIP_Label_* gone, fuin's label kept */
    st.msip_id = NULL;
    st.clear_msip = 1;
    assert_int_equal(write_doc("m.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_int_equal(read_doc("m.docx", 0, &r, err, sizeof err), FUIN_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.label[0], LABEL);
    found_free(&r);
    assert_int_equal(py("m.docx", "import sys, zipfile, xml.etree.ElementTree as ET\n"
                                  "p = ET.fromstring(zipfile.ZipFile(sys.argv[1]).read("
                                  "'docProps/custom.xml'))\n"
                                  "n = [e.get('name') for e in p]\n"
                                  "assert n == ['Other', 'FuinLabel', 'FuinClass'], n\n"),
                     0);
    /* a bad MSIP stamp is refused before anything is read */
    st.msip_id = "not-a-guid";
    assert_int_equal(write_doc("m.docx", 0, &st, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "an MSIP label needs a GUID id, a name and a GUID site id");
    st.msip_id = MSIP_A;
    st.msip_site = NULL;
    assert_int_equal(write_doc("m.docx", 0, &st, err, sizeof err), FUIN_E_INVALID);
    {
        char p[512];
        path_of(p, sizeof p, "m.docx");
        assert_int_equal(unlink(p), 0);
    }
}

/* A docProps/custom.xml that no relationship names (Office would not see
 * it): read, and on a write made findable. */
static void test_ooxml_custom_without_rel(void **state)
{
    char err[256], p[512];
    fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
    (void)state;
    make_docx("w.docx");
    assert_int_equal(
        py("w.docx", PY_REZIP("    return data\n",
                              "    zo.writestr('docProps/custom.xml', '<Properties xmlns=\"http://"
                              "schemas.openxmlformats.org/officeDocument/2006/custom-properties\" "
                              "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/"
                              "docPropsVTypes\"><property fmtid=\"{D5CDD505-2E9C-101B-9397-"
                              "08002B2CF9AE}\" pid=\"2\" name=\"FuinClass\"><vt:lpwstr>C1"
                              "</vt:lpwstr></property></Properties>')\n")),
        0);
    assert_labels("w.docx", 0, NULL, "C1");
    assert_int_equal(write_doc("w.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_labels("w.docx", 0, LABEL, CLASS);
    assert_exif_ooxml("w.docx", LABEL, CLASS);
    assert_int_equal(
        py("w.docx", "import sys, zipfile, docx, xml.etree.ElementTree as ET\n"
                     "docx.Document(sys.argv[1])\n"
                     "z = zipfile.ZipFile(sys.argv[1])\n"
                     "ct = ET.fromstring(z.read('[Content_Types].xml'))\n"
                     "assert len([e for e in ct if e.get('PartName') == '/docProps/custom.xml']) "
                     "== 1\n"
                     "r = ET.fromstring(z.read('_rels/.rels'))\n"
                     "assert len([e for e in r if e.get('Target') == 'docProps/custom.xml']) == 1\n"
                     "assert len([n for n in z.namelist() if n == 'docProps/custom.xml']) == 1\n"),
        0);
    path_of(p, sizeof p, "w.docx");
    assert_int_equal(unlink(p), 0);
}

/* Clearing a document that has nothing of fuin's does not rewrite it. */
static void test_ooxml_clear_nothing(void **state)
{
    char err[256], p[512];
    struct stat a, b;
    fuin__doc_stamp st = {NULL, NULL, NULL, NULL, NULL, 1, T0};
    (void)state;
    make_docx("c.docx");
    path_of(p, sizeof p, "c.docx");
    assert_int_equal(stat(p, &a), 0);
    assert_int_equal(write_doc("c.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_int_equal(stat(p, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(unlink(p), 0);
    /* nor one with a custom part but none of fuin's properties */
    make_docx_with_custom("c.docx",
                          "'<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/"
                          "2006/custom-properties\"/>'");
    assert_int_equal(stat(p, &a), 0);
    assert_int_equal(write_doc("c.docx", 0, &st, err, sizeof err), FUIN_OK);
    assert_int_equal(stat(p, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(unlink(p), 0);
}

static void test_ooxml_bad_stamp(void **state)
{
    char err[256], p[512];
    size_t n;
    uint8_t *orig;
    fuin__doc_stamp st = {"bad\x01text", CLASS, NULL, NULL, NULL, 0, T0};
    (void)state;
    make_docx("s.docx");
    orig = slurp("s.docx", &n);
    assert_int_equal(write_doc("s.docx", 0, &st, err, sizeof err), FUIN_E_INVALID);
    assert_string_equal(err, "the label text is not valid UTF-8 without control characters");
    st.label = "\xff\xfe";
    assert_int_equal(write_doc("s.docx", 0, &st, err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(write_doc("s.docx", 0, NULL, err, sizeof err), FUIN_E_INVALID);
    assert_int_equal(write_doc("s.docx", 1, NULL, err, sizeof err), FUIN_E_INVALID);
    assert_same_file("s.docx", orig, n);
    free(orig);
    path_of(p, sizeof p, "s.docx");
    assert_int_equal(unlink(p), 0);
}

/* Refused input: the status and message of the reader and the writer, and
 * the file byte-identical afterwards with nothing left beside it. */
static void assert_refused(const char *name, int odf, fuin_status want, const char *msg)
{
    char err[256], p[512];
    size_t n;
    uint8_t *orig = slurp(name, &n);
    found r;
    fuin__doc_stamp st = {LABEL, CLASS, odf ? NULL : MSIP_A, "n", SITE, 0, T0};
    assert_int_equal(read_doc(name, odf, &r, err, sizeof err), want);
    assert_int_equal(r.n, 0);
    if (msg != NULL)
        assert_string_equal(err, msg);
    assert_true(err[0] != '\0' && strchr(err, '\n') == NULL && strstr(err, dir) == NULL);
    assert_int_equal(write_doc(name, odf, &st, err, sizeof err), want);
    if (msg != NULL)
        assert_string_equal(err, msg);
    assert_true(err[0] != '\0' && strchr(err, '\n') == NULL && strstr(err, dir) == NULL);
    assert_same_file(name, orig, n);
    assert_dir_holds(1);
    free(orig);
    path_of(p, sizeof p, name);
    assert_int_equal(unlink(p), 0);
}

static void test_ooxml_dtd(void **state)
{
    (void)state;
    make_docx_with_custom(
        "d.docx", "'<?xml version=\"1.0\"?><!DOCTYPE Properties [<!ENTITY a \"aaaaaaaaaa\">"
                  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;"
                  "&b;&b;&b;\">]><Properties xmlns=\"http://schemas.openxmlformats.org/"
                  "officeDocument/2006/custom-properties\"><property name=\"FuinLabel\" pid=\"2\">"
                  "&c;</property></Properties>'");
    assert_refused("d.docx", 0, FUIN_E_SYNTAX, "docProps/custom.xml has a DTD (not allowed)");
    /* an external entity without a DTD is simply not well-formed */
    make_docx_with_custom("d.docx", "'<Properties xmlns=\"http://schemas.openxmlformats.org/"
                                    "officeDocument/2006/custom-properties\">&xxe;</Properties>'");
    assert_refused("d.docx", 0, FUIN_E_SYNTAX, NULL);
    /* empty parts: the custom part, and [Content_Types].xml (read only
     * by a writer that must add the custom part's Override) */
    make_docx_with_custom("d.docx", "''");
    assert_refused("d.docx", 0, FUIN_E_SYNTAX, "docProps/custom.xml is empty");
    make_docx("d.docx");
    assert_int_equal(py("d.docx", PY_REZIP("    if name == '[Content_Types].xml':\n"
                                           "        return b''\n"
                                           "    return data\n",
                                           "")),
                     0);
    {
        char err[256];
        found r;
        size_t n;
        uint8_t *orig = slurp("d.docx", &n);
        fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
        assert_int_equal(read_doc("d.docx", 0, &r, err, sizeof err), FUIN_OK);
        assert_int_equal(r.n, 0);
        assert_int_equal(write_doc("d.docx", 0, &st, err, sizeof err), FUIN_E_SYNTAX);
        assert_string_equal(err, "[Content_Types].xml is empty");
        assert_same_file("d.docx", orig, n);
        free(orig);
        assert_dir_holds(1);
    }
    /* not a custom-properties part */
    make_docx_with_custom("d.docx", "'<Properties/>'");
    assert_refused("d.docx", 0, FUIN_E_SYNTAX,
                   "docProps/custom.xml is not a custom-properties part");
    /* _rels/.rels pointing outside the package */
    make_docx("d.docx");
    assert_int_equal(
        py("d.docx", PY_REZIP("    if name == '_rels/.rels':\n"
                              "        return data.replace(b'</Relationships>', b'<Relationship Id="
                              "\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
                              "2006/relationships/custom-properties\" Target=\"../../etc/x\"/>"
                              "</Relationships>')\n"
                              "    return data\n",
                              "")),
        0);
    assert_refused("d.docx", 0, FUIN_E_SYNTAX,
                   "_rels/.rels: the custom-properties target is not a part name");
}

static void test_ooxml_truncated(void **state)
{
    char p[512];
    size_t n;
    (void)state;
    make_docx("t.docx");
    free(slurp("t.docx", &n));
    path_of(p, sizeof p, "t.docx");
    assert_int_equal(truncate(p, (off_t)(n / 2)), 0);
    assert_refused("t.docx", 0, FUIN_E_SYNTAX, NULL);
    /* a member fuin copies whose data runs past the end of the file: the
     * rewrite fails cleanly (libzip copies other members' compressed bytes
     * as they are, unchecked, so only their extent can be wrong) */
    make_docx("t.docx");
    assert_int_equal(py("t.docx", "import sys, struct\n"
                                  "b = bytearray(open(sys.argv[1], 'rb').read())\n"
                                  "n = b'word/document.xml'\n"
                                  "c = 0\n"
                                  "while True:\n"
                                  "    c = b.find(b'PK\\x01\\x02', c)\n"
                                  "    if b[c+46:c+46+len(n)] == n: break\n"
                                  "    c += 4\n"
                                  "struct.pack_into('<I', b, c + 20, 0x7fff0000)\n"
                                  "open(sys.argv[1], 'wb').write(b)\n"),
                     0);
    {
        char err[256];
        size_t len;
        uint8_t *orig = slurp("t.docx", &len);
        fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
        assert_int_equal(write_doc("t.docx", 0, &st, err, sizeof err), FUIN_E_SYNTAX);
        assert_true(err[0] != '\0' && strchr(err, '\n') == NULL);
        assert_same_file("t.docx", orig, len);
        assert_dir_holds(1);
        free(orig);
    }
    assert_int_equal(unlink(p), 0);
    /* the custom part's compressed data damaged: a CRC or inflate error */
    make_docx_with_custom("t.docx", "'<Properties xmlns=\"http://schemas.openxmlformats.org/"
                                    "officeDocument/2006/custom-properties\">' + "
                                    "''.join('<property name=\"p%d\" pid=\"%d\"/>' % (i, i + 2) "
                                    "for i in range(300)) + '</Properties>'");
    assert_int_equal(py("t.docx", "import sys, zipfile\n"
                                  "i = zipfile.ZipFile(sys.argv[1]).getinfo('docProps/custom.xml')\n"
                                  "b = bytearray(open(sys.argv[1], 'rb').read())\n"
                                  "o = i.header_offset + 30 + len(i.filename) + len(i.extra)\n"
                                  "for k in range(o + 40, o + 60): b[k] ^= 0x55\n"
                                  "open(sys.argv[1], 'wb').write(b)\n"),
                     0);
    assert_refused("t.docx", 0, FUIN_E_SYNTAX, NULL);
    /* not a zip at all, and an empty file */
    {
        int fd;
        assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
        assert_int_equal(write(fd, "hello, world\n", 13), 13);
        close(fd);
        assert_refused("t.docx", 0, FUIN_E_SYNTAX, "not a usable zip archive: Not a zip archive");
        assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
        close(fd);
        assert_refused("t.docx", 0, FUIN_E_SYNTAX, "not a zip archive (empty file)");
    }
    /* a zip that is no OOXML package */
    make_odt("t.docx", 0);
    assert_refused("t.docx", 0, FUIN_E_SYNTAX,
                   "not an Office Open XML document (no [Content_Types].xml)");
}

static void test_ooxml_oversized(void **state)
{
    (void)state;
    /* 17 MiB of XML that deflates to a few KiB */
    make_docx_with_custom("o.docx", "'<Properties xmlns=\"http://schemas.openxmlformats.org/"
                                    "officeDocument/2006/custom-properties\">' + ' ' * (17 << 20) + "
                                    "'</Properties>'");
    assert_refused("o.docx", 0, FUIN_E_LIMIT,
                   "docProps/custom.xml is larger than 16777216 bytes");
    /* a member whose header understates its size: never inflated past it */
    make_docx_with_custom("o.docx", "'<Properties xmlns=\"http://schemas.openxmlformats.org/"
                                    "officeDocument/2006/custom-properties\">' + ' ' * 5000 + "
                                    "'</Properties>'");
    assert_int_equal(
        py("o.docx", "import sys, zipfile, struct\n"
                     "b = bytearray(open(sys.argv[1], 'rb').read())\n"
                     "z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo('docProps/custom.xml')\n"
                     "n = b'docProps/custom.xml'\n"
                     "c = b.find(b'PK\\x01\\x02' + b'', 0)\n"
                     "while True:\n"
                     "    c = b.find(b'PK\\x01\\x02', c)\n"
                     "    if b[c+46:c+46+len(n)] == n: break\n"
                     "    c += 4\n"
                     "struct.pack_into('<I', b, c + 24, 100)\n"
                     "l = i.header_offset\n"
                     "struct.pack_into('<I', b, l + 22, 100)\n"
                     "open(sys.argv[1], 'wb').write(b)\n"),
        0);
    assert_refused("o.docx", 0, FUIN_E_SYNTAX, "docProps/custom.xml is longer than the zip says");
}

/* ---- ODF ------------------------------------------------------------------------ */
static const char ODF_OPEN[] = "import sys\n"
                               "from odf.opendocument import load\n"
                               "from odf.meta import UserDefined\n"
                               "from odf.namespaces import METANS\n"
                               "d = load(sys.argv[1])\n"
                               "u = {e.getAttrNS(METANS, 'name'): str(e) for e in "
                               "d.meta.getElementsByType(UserDefined)}\n"
                               "print(u, file=sys.stderr)\n";

static void odf_roundtrip(const char *name, int other)
{
    char p[512], err[256], buf[64], check[2048];
    members before, after;
    struct stat sb;
    fuin__doc_stamp st = {LABEL, CLASS, MSIP_A, "ignored", SITE, 0, T0};
    static const char *const meta[] = {"meta.xml", NULL};
    path_of(p, sizeof p, name);
    assert_int_equal(chmod(p, 0604), 0);
    assert_int_equal(setxattr(p, "user.fuin.label", "C2-I1-A1", 8, 0), 0);
    assert_labels(name, 1, NULL, NULL);
    members_load(name, &before);

    assert_int_equal(write_doc(name, 1, &st, err, sizeof err), FUIN_OK);
    assert_string_equal(err, "");
    assert_labels(name, 1, LABEL, CLASS);
    assert_exif_odf(name, LABEL, CLASS);
    snprintf(check, sizeof check,
             "%s"
             "assert u.get('FuinLabel') == '" LABEL "', u\n"
             "assert u.get('FuinClass') == '" CLASS "', u\n"
             "assert %s\n"
             "import zipfile\n"
             "z = zipfile.ZipFile(sys.argv[1])\n"
             "assert z.testzip() is None\n"
             "i = z.infolist()[0]\n"
             "assert i.filename == 'mimetype' and i.compress_type == zipfile.ZIP_STORED\n",
             ODF_OPEN, other ? "u.get('Other') == 'keep me'" : "len(u) == 2");
    assert_int_equal(py(name, check), 0);
    members_load(name, &after);
    assert_members_kept(&before, &after, meta, 0);
    members_free(&before);
    members_free(&after);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0604);
    assert_int_equal(getxattr(p, "user.fuin.label", buf, sizeof buf), 8);
    assert_dir_holds(1);

    /* replace, then only a label, then clear */
    st.label = "機密性1";
    st.cls = "C1";
    assert_int_equal(write_doc(name, 1, &st, err, sizeof err), FUIN_OK);
    assert_labels(name, 1, "機密性1", "C1");
    assert_exif_odf(name, "機密性1", "C1");
    st.cls = NULL;
    assert_int_equal(write_doc(name, 1, &st, err, sizeof err), FUIN_OK);
    assert_labels(name, 1, "機密性1", NULL);
    st.label = NULL;
    assert_int_equal(write_doc(name, 1, &st, err, sizeof err), FUIN_OK);
    assert_labels(name, 1, NULL, NULL);
    assert_exif_odf(name, NULL, NULL);
    snprintf(check, sizeof check, "%sassert %s, u\n", ODF_OPEN,
             other ? "u == {'Other': 'keep me'}" : "u == {}");
    assert_int_equal(py(name, check), 0);
    assert_int_equal(unlink(p), 0);
}

static void test_odf_odt(void **state)
{
    (void)state;
    make_odt("a.odt", 0);
    odf_roundtrip("a.odt", 1);
}

static void test_odf_ods(void **state)
{
    (void)state;
    make_odt("a.ods", 1);
    odf_roundtrip("a.ods", 0);
}

/* No meta.xml: created, with its manifest entry, mimetype still first. */
static void test_odf_meta_absent(void **state)
{
    char err[256], p[512];
    members before, after;
    fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
    static const char *const manifest[] = {"META-INF/manifest.xml", NULL};
    (void)state;
    make_odt("n.odt", 0);
    assert_int_equal(
        py("n.odt", PY_REZIP("    if name == 'meta.xml':\n"
                             "        return None\n"
                             "    if name == 'META-INF/manifest.xml':\n"
                             "        return data.replace(b'<manifest:file-entry manifest:full-path="
                             "\"meta.xml\" manifest:media-type=\"text/xml\"/>', b'')\n"
                             "    return data\n",
                             "")),
        0);
    assert_labels("n.odt", 1, NULL, NULL);
    members_load("n.odt", &before);
    assert_int_equal(write_doc("n.odt", 1, &st, err, sizeof err), FUIN_OK);
    members_load("n.odt", &after);
    assert_members_kept(&before, &after, manifest, 1);
    assert_string_equal(after.name[after.n - 1], "meta.xml");
    members_free(&before);
    members_free(&after);
    assert_labels("n.odt", 1, LABEL, CLASS);
    assert_exif_odf("n.odt", LABEL, CLASS);
    assert_int_equal(
        py("n.odt", "import sys, zipfile, xml.etree.ElementTree as ET\n"
                    "from odf.opendocument import load\n"
                    "load(sys.argv[1])\n"
                    "z = zipfile.ZipFile(sys.argv[1])\n"
                    "assert z.infolist()[0].filename == 'mimetype'\n"
                    "assert z.infolist()[0].compress_type == zipfile.ZIP_STORED\n"
                    "M = '{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}'\n"
                    "m = ET.fromstring(z.read('META-INF/manifest.xml'))\n"
                    "e = [x for x in m if x.get(M + 'full-path') == 'meta.xml']\n"
                    "assert len(e) == 1 and e[0].get(M + 'media-type') == 'text/xml', e\n"),
        0);
    /* a second write finds it and changes only it */
    st.label = "機密性3";
    {
        static const char *const meta[] = {"meta.xml", NULL};
        members_load("n.odt", &before);
        assert_int_equal(write_doc("n.odt", 1, &st, err, sizeof err), FUIN_OK);
        members_load("n.odt", &after);
        assert_members_kept(&before, &after, meta, 0);
        members_free(&before);
        members_free(&after);
    }
    assert_labels("n.odt", 1, "機密性3", CLASS);
    path_of(p, sizeof p, "n.odt");
    assert_int_equal(unlink(p), 0);
}

static void make_odt_with_meta(const char *name, const char *meta_expr)
{
    char script[4096];
    make_odt(name, 0);
    snprintf(script, sizeof script,
             PY_REZIP("    if name == 'meta.xml':\n"
                      "        return (%s).encode()\n"
                      "    return data\n",
                      ""),
             meta_expr);
    assert_int_equal(py(name, script), 0);
}

static void test_odf_refused(void **state)
{
    char p[512];
    size_t n;
    (void)state;
    make_odt_with_meta("r.odt", "'<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://127.0.0.1/x.dtd\">"
                                "<office:document-meta xmlns:office=\"urn:oasis:names:tc:"
                                "opendocument:xmlns:office:1.0\"/>'");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX, "meta.xml has a DTD (not allowed)");
    make_odt_with_meta("r.odt", "''");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX, "meta.xml is empty");
    /* an undeclared prefix: a namespace error, refused (it would bind to
     * the meta namespace once a writer declared it) */
    make_odt_with_meta("r.odt", "'<office:document-meta xmlns:office=\"urn:oasis:names:tc:"
                                "opendocument:xmlns:office:1.0\"><office:meta><meta:user-defined "
                                "meta:name=\"FuinLabel\">x</meta:user-defined></office:meta>"
                                "</office:document-meta>'");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX,
                   "meta.xml is not well-formed XML (line 1: Namespace prefix meta on "
                   "user-defined is not defined)");
    make_odt_with_meta("r.odt", "'<office:document-meta'");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX, NULL);
    make_odt_with_meta("r.odt", "'<document-meta/>'");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX, "meta.xml is not an office:document-meta part");
    make_odt_with_meta("r.odt", "'<office:document-meta xmlns:office=\"urn:oasis:names:tc:"
                                "opendocument:xmlns:office:1.0\">' + ' ' * (17 << 20) + "
                                "'</office:document-meta>'");
    assert_refused("r.odt", 1, FUIN_E_LIMIT, "meta.xml is larger than 16777216 bytes");
    /* truncated */
    make_odt("r.odt", 0);
    free(slurp("r.odt", &n));
    path_of(p, sizeof p, "r.odt");
    assert_int_equal(truncate(p, (off_t)(n - 30)), 0);
    assert_refused("r.odt", 1, FUIN_E_SYNTAX, NULL);
    /* no mimetype first / a foreign mimetype */
    make_docx("r.odt");
    assert_refused("r.odt", 1, FUIN_E_SYNTAX,
                   "not an OpenDocument file (mimetype is not its first member)");
    make_odt("r.odt", 0);
    assert_int_equal(py("r.odt", PY_REZIP("    if name == 'mimetype':\n"
                                          "        return b'application/zip'\n"
                                          "    return data\n",
                                          "")),
                     0);
    assert_refused("r.odt", 1, FUIN_E_SYNTAX,
                   "not an OpenDocument file (its mimetype is not an OpenDocument type)");
    /* password-protected: the manifest says meta.xml is encrypted */
    make_odt("r.odt", 0);
    assert_int_equal(
        py("r.odt", PY_REZIP("    if name == 'META-INF/manifest.xml':\n"
                             "        return data.replace(b'manifest:full-path=\"meta.xml\" "
                             "manifest:media-type=\"text/xml\"/>', b'manifest:full-path=\"meta.xml\" "
                             "manifest:media-type=\"text/xml\"><manifest:encryption-data/>"
                             "</manifest:file-entry>')\n"
                             "    if name == 'meta.xml':\n"
                             "        return b'\\x93\\x11 not xml'\n"
                             "    return data\n",
                             "")),
        0);
    assert_refused("r.odt", 1, FUIN_E_SYNTAX,
                   "meta.xml is encrypted (a password-protected document)");
}

/* Failure while publishing: the directory cannot take the replacement. */
static void test_unwritable_dir(void **state)
{
    char err[256], sub[512], p[600];
    size_t n;
    uint8_t *orig;
    fuin__doc_stamp st = {LABEL, CLASS, NULL, NULL, NULL, 0, T0};
    (void)state;
    if (geteuid() == 0) {
        /* root writes anywhere: make the document's name a dangling path */
        make_docx("u.docx");
        path_of(p, sizeof p, "missing/u.docx");
        assert_int_equal(fuin__ooxml_write(p, &st, err, sizeof err), FUIN_E_IO);
        assert_true(err[0] != '\0');
        path_of(p, sizeof p, "u.docx");
        assert_int_equal(unlink(p), 0);
        return;
    }
    path_of(sub, sizeof sub, "ro");
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(p, sizeof p, "%s/u.docx", sub);
    make_docx("ro/u.docx");
    orig = slurp("ro/u.docx", &n);
    assert_int_equal(chmod(sub, 0500), 0);
    assert_int_equal(fuin__ooxml_write(p, &st, err, sizeof err), FUIN_E_IO);
    assert_int_equal(chmod(sub, 0700), 0);
    assert_same_file("ro/u.docx", orig, n);
    free(orig);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(rmdir(sub), 0);
}

static int setup(void **state)
{
    (void)state;
    if (fuin_init() != FUIN_OK)
        return -1;
    snprintf(dir, sizeof dir, "%s/fuin-doc-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Each test starts in an empty directory, whatever a failed one left. */
static int clean(void **state)
{
    char cmd[700];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/* '%s'/.[!.]*", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ooxml_docx, clean),
        cmocka_unit_test_setup(test_ooxml_xlsx, clean),
        cmocka_unit_test_setup(test_ooxml_existing_custom, clean),
        cmocka_unit_test_setup(test_ooxml_msip, clean),
        cmocka_unit_test_setup(test_ooxml_custom_without_rel, clean),
        cmocka_unit_test_setup(test_ooxml_clear_nothing, clean),
        cmocka_unit_test_setup(test_ooxml_bad_stamp, clean),
        cmocka_unit_test_setup(test_ooxml_dtd, clean),
        cmocka_unit_test_setup(test_ooxml_truncated, clean),
        cmocka_unit_test_setup(test_ooxml_oversized, clean),
        cmocka_unit_test_setup(test_odf_odt, clean),
        cmocka_unit_test_setup(test_odf_ods, clean),
        cmocka_unit_test_setup(test_odf_meta_absent, clean),
        cmocka_unit_test_setup(test_odf_refused, clean),
        cmocka_unit_test_setup(test_unwritable_dir, clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
