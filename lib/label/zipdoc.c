/* Zip-based documents: the libzip source over the original and the
 * replacement, member reads with a size limit, and libxml2 parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <zip.h>

#include "internal.h"
#include "label/doc.h"
#include "label/zipdoc.h"

struct fuin__zipdoc {
    int fd;
    int own_fd;
    int writable;
    uint64_t size;
    uint64_t rpos;
    struct fuin_outfile *out; /* while zip_close() writes */
    uint64_t wpos, wsize;
    int committed;
    int commit_failed;
    fuin_status commit_status;
    char commit_err[FUIN_ERRMSG_MAX];
    int ioerr; /* a read or write of ours failed (not a format problem) */
    zip_error_t error;
    zip_t *za;
    xmlChar **bufs; /* staged members' bytes, freed after the archive */
    size_t nbufs;
};

/* ---- the libzip source ------------------------------------------------- */
static zip_int64_t src_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    fuin__zipdoc *z = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        if (z->writable)
            return zip_source_make_command_bitmap(
                ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_SEEK,
                ZIP_SOURCE_TELL, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                ZIP_SOURCE_ACCEPT_EMPTY, ZIP_SOURCE_BEGIN_WRITE, ZIP_SOURCE_COMMIT_WRITE,
                ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE, ZIP_SOURCE_SEEK_WRITE,
                ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              ZIP_SOURCE_ACCEPT_EMPTY, -1);
    case ZIP_SOURCE_OPEN:
        z->rpos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        size_t n = len > (zip_uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)len;
        ssize_t r;
        if (z->rpos >= z->size)
            return 0;
        if (n > z->size - z->rpos)
            n = (size_t)(z->size - z->rpos);
        do
            r = pread(z->fd, data, n, (off_t)z->rpos);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            z->ioerr = errno;
            zip_error_set(&z->error, ZIP_ER_READ, errno);
            return -1;
        }
        z->rpos += (uint64_t)r;
        return (zip_int64_t)r;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_SEEK: {
        zip_int64_t off = zip_source_seek_compute_offset(z->rpos, z->size, data, len, &z->error);
        if (off < 0)
            return -1;
        z->rpos = (uint64_t)off;
        return 0;
    }
    case ZIP_SOURCE_TELL:
        return (zip_int64_t)z->rpos;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &z->error);
        if (st == NULL)
            return -1;
        zip_stat_init(st);
        st->size = z->size;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof *st;
    }
    case ZIP_SOURCE_ACCEPT_EMPTY:
        return 0; /* an empty file is not an empty document */
    case ZIP_SOURCE_BEGIN_WRITE:
        if (z->out == NULL) {
            zip_error_set(&z->error, ZIP_ER_RDONLY, 0);
            return -1;
        }
        z->wpos = z->wsize = 0;
        return 0;
    case ZIP_SOURCE_WRITE: {
        const uint8_t *p = data;
        zip_uint64_t left = len;
        uint64_t at = z->wpos;
        while (left > 0) {
            ssize_t w = pwrite(fuin_outfile_fd(z->out), p, (size_t)left, (off_t)at);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                z->ioerr = w < 0 ? errno : EIO;
                zip_error_set(&z->error, ZIP_ER_WRITE, z->ioerr);
                return -1;
            }
            p += w;
            left -= (zip_uint64_t)w;
            at += (uint64_t)w;
        }
        z->wpos = at;
        if (z->wpos > z->wsize)
            z->wsize = z->wpos;
        return (zip_int64_t)len;
    }
    case ZIP_SOURCE_SEEK_WRITE: {
        zip_int64_t off = zip_source_seek_compute_offset(z->wpos, z->wsize, data, len, &z->error);
        if (off < 0)
            return -1;
        z->wpos = (uint64_t)off;
        return 0;
    }
    case ZIP_SOURCE_TELL_WRITE:
        return (zip_int64_t)z->wpos;
    case ZIP_SOURCE_COMMIT_WRITE: {
        /* the outfile is freed by its commit, whatever the outcome */
        fuin_status s = fuin_outfile_commit(z->out, z->commit_err, sizeof z->commit_err);
        z->out = NULL;
        if (s != FUIN_OK) {
            z->commit_failed = 1;
            z->commit_status = s;
            zip_error_set(&z->error, ZIP_ER_WRITE, 0);
            return -1;
        }
        z->committed = 1;
        return 0;
    }
    case ZIP_SOURCE_ROLLBACK_WRITE:
        return 0; /* fuin__zipdoc_commit() aborts the outfile */
    case ZIP_SOURCE_REMOVE:
        /* only asked for when no member would survive: never wanted */
        zip_error_set(&z->error, ZIP_ER_REMOVE, EPERM);
        return -1;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&z->error, data, len);
    case ZIP_SOURCE_FREE:
        return 0; /* the zipdoc owns itself */
    default:
        zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* The status of a libzip failure: ours when our own read or write failed,
 * otherwise the archive's fault. */
static fuin_status zstatus(const fuin__zipdoc *z, const zip_error_t *e)
{
    int code = zip_error_code_zip(e);
    if (code == ZIP_ER_MEMORY)
        return FUIN_E_NOMEM;
    if (z->ioerr != 0 || code == ZIP_ER_TMPOPEN || code == ZIP_ER_OPEN)
        return FUIN_E_IO;
    return FUIN_E_SYNTAX;
}

static fuin_status open_common(fuin__zipdoc *z, char *err, size_t cap)
{
    struct stat sb;
    zip_source_t *src;
    zip_error_t ze;
    if (fstat(z->fd, &sb) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        fuin__set_msg(err, cap, "not a regular file");
        return FUIN_E_IO;
    }
    if (sb.st_size == 0) {
        fuin__set_msg(err, cap, "not a zip archive (empty file)");
        return FUIN_E_SYNTAX;
    }
    z->size = (uint64_t)sb.st_size;
    zip_error_init(&ze);
    if ((src = zip_source_function_create(src_cb, z, &ze)) == NULL) {
        zip_error_fini(&ze);
        return FUIN_E_NOMEM;
    }
    if ((z->za = zip_open_from_source(src, z->writable ? 0 : ZIP_RDONLY, &ze)) == NULL) {
        fuin_status s = zstatus(z, &ze);
        if (z->ioerr != 0)
            fuin__set_msg(err, cap, "read failed: %s", strerror(z->ioerr));
        else
            fuin__set_msg(err, cap, "not a usable zip archive: %s", zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return s;
    }
    zip_error_fini(&ze);
    return FUIN_OK;
}

static fuin__zipdoc *zipdoc_new(void)
{
    fuin__zipdoc *z = calloc(1, sizeof *z);
    if (z == NULL)
        return NULL;
    z->fd = -1;
    zip_error_init(&z->error);
    return z;
}

fuin_status fuin__zipdoc_open_fd(int fd, fuin__zipdoc **out, char *err, size_t cap)
{
    fuin__zipdoc *z;
    fuin_status s;
    *out = NULL;
    if ((z = zipdoc_new()) == NULL)
        return FUIN_E_NOMEM;
    z->fd = fd;
    if ((s = open_common(z, err, cap)) != FUIN_OK) {
        fuin__zipdoc_free(z);
        return s;
    }
    *out = z;
    return FUIN_OK;
}

fuin_status fuin__zipdoc_open_path(const char *path, fuin__zipdoc **out, char *err, size_t cap)
{
    fuin__zipdoc *z;
    fuin_status s;
    *out = NULL;
    if ((z = zipdoc_new()) == NULL)
        return FUIN_E_NOMEM;
    z->writable = 1;
    if ((z->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        fuin__zipdoc_free(z);
        return FUIN_E_IO;
    }
    z->own_fd = 1;
    if ((s = open_common(z, err, cap)) != FUIN_OK) {
        fuin__zipdoc_free(z);
        return s;
    }
    *out = z;
    return FUIN_OK;
}

void fuin__zipdoc_free(fuin__zipdoc *z)
{
    if (z == NULL)
        return;
    if (z->za != NULL)
        zip_discard(z->za);
    for (size_t i = 0; i < z->nbufs; i++)
        xmlFree(z->bufs[i]);
    free(z->bufs);
    if (z->out != NULL)
        fuin_outfile_abort(z->out);
    if (z->own_fd && z->fd >= 0)
        close(z->fd);
    zip_error_fini(&z->error);
    free(z);
}

zip_t *fuin__zipdoc_zip(const fuin__zipdoc *z)
{
    return z->za;
}

zip_int64_t fuin__zipdoc_find(const fuin__zipdoc *z, const char *name, int nocase)
{
    return zip_name_locate(z->za, name, nocase ? ZIP_FL_NOCASE : 0);
}

/* A member name fit for a message: printable ASCII only. */
static void safe_name(char *out, size_t cap, const char *name)
{
    size_t k = 0;
    for (const char *p = name; p != NULL && *p != '\0' && k + 1 < cap; p++)
        out[k++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
    if (cap > 0)
        out[k] = '\0';
}

fuin_status fuin__zipdoc_read(fuin__zipdoc *z, zip_uint64_t idx, size_t max, uint8_t **buf,
                              size_t *len, char *err, size_t cap)
{
    zip_stat_t st;
    zip_file_t *f;
    uint8_t *b;
    size_t got = 0, want;
    char name[128];
    *buf = NULL;
    *len = 0;
    zip_stat_init(&st);
    if (zip_stat_index(z->za, idx, 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
        fuin__set_msg(err, cap, "a member's entry cannot be read");
        return FUIN_E_SYNTAX;
    }
    safe_name(name, sizeof name, (st.valid & ZIP_STAT_NAME) ? st.name : "?");
    if (st.size > max) {
        fuin__set_msg(err, cap, "%s is larger than %zu bytes", name, max);
        return FUIN_E_LIMIT;
    }
    want = (size_t)st.size + 1; /* one more: a member longer than it says */
    if ((b = malloc(want + 1)) == NULL)
        return FUIN_E_NOMEM;
    if ((f = zip_fopen_index(z->za, idx, 0)) == NULL) {
        zip_error_t *e = zip_get_error(z->za);
        fuin_status s = zstatus(z, e);
        fuin__set_msg(err, cap, "%s cannot be read: %s", name, zip_error_strerror(e));
        free(b);
        return s;
    }
    while (got < want) {
        zip_int64_t n = zip_fread(f, b + got, want - got);
        if (n < 0) {
            zip_error_t *e = zip_file_get_error(f);
            fuin_status s = zstatus(z, e);
            fuin__set_msg(err, cap, "%s cannot be read: %s", name, zip_error_strerror(e));
            zip_fclose(f);
            free(b);
            return s;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    zip_fclose(f);
    if (got != (size_t)st.size) {
        fuin__set_msg(err, cap, "%s is %s than the zip says", name,
                      got > (size_t)st.size ? "longer" : "shorter");
        free(b);
        return FUIN_E_SYNTAX;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    return FUIN_OK;
}

/* ---- XML ----------------------------------------------------------------- */
static void xml_quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* <!DOCTYPE seen: stop before anything of the subset is parsed. */
static void xml_on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    xmlParserCtxtPtr c = ctx;
    (void)name;
    (void)ext;
    (void)sys;
    *(int *)c->_private = 1;
    xmlStopParser(c);
}

fuin_status fuin__xml_parse(const uint8_t *buf, size_t len, const char *what, xmlDoc **doc,
                            char *err, size_t cap)
{
    xmlParserCtxtPtr c;
    xmlDoc *d;
    int dtd = 0, wf;
    *doc = NULL;
    if (len > FUIN__DOC_PART_MAX) {
        fuin__set_msg(err, cap, "%s is larger than %u bytes", what, FUIN__DOC_PART_MAX);
        return FUIN_E_LIMIT;
    }
    if (len == 0) { /* libxml2 makes no context for it */
        fuin__set_msg(err, cap, "%s is empty", what);
        return FUIN_E_SYNTAX;
    }
    xmlInitParser();
    if ((c = xmlCreateMemoryParserCtxt((const char *)buf, (int)len)) == NULL)
        return FUIN_E_NOMEM;
    c->_private = &dtd;
    c->sax->internalSubset = xml_on_dtd;
    c->sax->externalSubset = xml_on_dtd;
    c->sax->serror = xml_quiet;
    xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    (void)xmlParseDocument(c);
    d = c->myDoc;
    c->myDoc = NULL;
    /* an undeclared prefix is only a namespace error to libxml2, but it
     * would bind to a declaration added later: refused as well */
    wf = c->wellFormed && c->nsWellFormed;
    if (dtd || (d != NULL && (d->intSubset != NULL || d->extSubset != NULL))) {
        fuin__set_msg(err, cap, "%s has a DTD (not allowed)", what);
        xmlFreeDoc(d);
        xmlFreeParserCtxt(c);
        return FUIN_E_SYNTAX;
    }
    if (!wf || d == NULL || xmlDocGetRootElement(d) == NULL) {
        const xmlError *e = &c->lastError;
        char msg[160];
        size_t k = 0;
        if (c->lastError.code == XML_ERR_NO_MEMORY) {
            xmlFreeDoc(d);
            xmlFreeParserCtxt(c);
            return FUIN_E_NOMEM;
        }
        /* libxml2's text may quote the input: printable ASCII only */
        for (const char *p = e->message; p != NULL && *p != '\0' && k + 1 < sizeof msg; p++)
            if (*p != '\n')
                msg[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        msg[k] = '\0';
        if (k > 0)
            fuin__set_msg(err, cap, "%s is not well-formed XML (line %d: %s)", what, e->line,
                          msg);
        else
            fuin__set_msg(err, cap, "%s is not well-formed XML", what);
        xmlFreeDoc(d);
        xmlFreeParserCtxt(c);
        return FUIN_E_SYNTAX;
    }
    xmlFreeParserCtxt(c);
    *doc = d;
    return FUIN_OK;
}

fuin_status fuin__zipdoc_read_xml(fuin__zipdoc *z, zip_uint64_t idx, xmlDoc **doc, char *err,
                                  size_t cap)
{
    uint8_t *buf;
    size_t len;
    char name[128];
    const char *raw = zip_get_name(z->za, idx, 0);
    fuin_status s;
    *doc = NULL;
    safe_name(name, sizeof name, raw != NULL ? raw : "?");
    if ((s = fuin__zipdoc_read(z, idx, FUIN__DOC_PART_MAX, &buf, &len, err, cap)) != FUIN_OK)
        return s;
    s = fuin__xml_parse(buf, len, name, doc, err, cap);
    free(buf);
    return s;
}

fuin_status fuin__zipdoc_put_xml(fuin__zipdoc *z, zip_int64_t idx, const char *name,
                                 xmlDoc *doc, int64_t mtime, char *err, size_t cap)
{
    xmlChar *mem = NULL, **nb;
    int size = 0;
    zip_source_t *src;
    zip_stat_t st;
    time_t when = (time_t)mtime;
    if ((nb = realloc(z->bufs, (z->nbufs + 1) * sizeof *nb)) == NULL)
        return FUIN_E_NOMEM;
    z->bufs = nb;
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    if (mem == NULL || size < 0) {
        xmlFree(mem);
        return FUIN_E_NOMEM;
    }
    z->bufs[z->nbufs++] = mem; /* until the archive is gone */
    if ((src = zip_source_buffer(z->za, mem, (zip_uint64_t)size, 0)) == NULL)
        return FUIN_E_NOMEM;
    if (idx >= 0) {
        zip_stat_init(&st);
        if (zip_stat_index(z->za, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_MTIME))
            when = st.mtime;
        if (zip_file_replace(z->za, (zip_uint64_t)idx, src, 0) != 0) {
            zip_source_free(src);
            goto fail;
        }
    } else if ((idx = zip_file_add(z->za, name, src, ZIP_FL_ENC_UTF_8)) < 0) {
        zip_source_free(src);
        goto fail;
    }
    if (zip_set_file_compression(z->za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 0) != 0 ||
        zip_file_set_mtime(z->za, (zip_uint64_t)idx, when, 0) != 0)
        goto fail;
    return FUIN_OK;
fail: {
    zip_error_t *e = zip_get_error(z->za);
    char n[128];
    safe_name(n, sizeof n, name);
    fuin__set_msg(err, cap, "cannot replace %s: %s", n, zip_error_strerror(e));
    return zstatus(z, e);
}
}

fuin_status fuin__zipdoc_commit(fuin__zipdoc *z, const char *path, char *err, size_t cap)
{
    fuin_status s;
    if (!z->writable || z->za == NULL)
        return FUIN_E_STATE;
    if ((s = fuin__doc_replace_open(path, &z->out, err, cap)) != FUIN_OK)
        return s;
    if (zip_close(z->za) != 0) {
        zip_error_t *e = zip_get_error(z->za);
        if (z->commit_failed) {
            s = z->commit_status;
            fuin__set_msg(err, cap, "%s", z->commit_err);
        } else if (z->ioerr != 0) {
            s = FUIN_E_IO;
            fuin__set_msg(err, cap, "%s failed: %s",
                          zip_error_code_zip(e) == ZIP_ER_WRITE ? "write" : "read",
                          strerror(z->ioerr));
        } else {
            s = zstatus(z, e);
            fuin__set_msg(err, cap, "cannot rewrite the zip: %s", zip_error_strerror(e));
        }
        zip_discard(z->za);
        z->za = NULL;
        if (z->out != NULL) {
            fuin_outfile_abort(z->out);
            z->out = NULL;
        }
        return s;
    }
    z->za = NULL;
    if (!z->committed && z->out != NULL) {
        /* libzip saw nothing changed and wrote nothing */
        fuin_outfile_abort(z->out);
        z->out = NULL;
    }
    return FUIN_OK;
}

/* ---- small helpers --------------------------------------------------------- */
int fuin__xml_is(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrEqual(n->ns->href, (const xmlChar *)ns) &&
           xmlStrEqual(n->name, (const xmlChar *)name);
}

xmlNode *fuin__xml_first_element(const xmlNode *n)
{
    for (xmlNode *c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

xmlNs *fuin__xml_ns(xmlNode *el, const char *href, const char *prefix)
{
    xmlNs *ns = xmlSearchNsByHref(el->doc, el, (const xmlChar *)href);
    char p[64];
    if (ns != NULL && ns->prefix != NULL)
        return ns;
    /* a default namespace would not do for attributes: declare a prefix */
    for (int i = 0; i < 100; i++) {
        if (i == 0)
            snprintf(p, sizeof p, "%s", prefix);
        else
            snprintf(p, sizeof p, "%s%d", prefix, i);
        if (xmlSearchNs(el->doc, el, (const xmlChar *)p) != NULL)
            continue;
        return xmlNewNs(el, (const xmlChar *)href, (const xmlChar *)p);
    }
    return NULL;
}

int fuin__doc_text_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (s == NULL || n > 4096 || !fuin__utf8_valid(s, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return -1;
    }
    /* C1 controls (U+0080..U+009F: C2 80..C2 9F) */
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return -1;
    return 0;
}
