/* Labels in PDF: /FuinLabel and /FuinClass in the document information
 * dictionary, fuin:Label and fuin:Class in the catalog's XMP packet.
 * qpdf reads and rewrites the file (every other object kept, stream data
 * byte for byte, object streams and linearization as they were); libxml2
 * edits the XMP packet.
 *
 * What is refused, and why:
 *  - a file qpdf can read only by reconstructing it (no recovery: a
 *    truncated or damaged file is FUIN_E_SYNTAX, never "repaired" into
 *    something with less in it), and for writing any file that gives qpdf
 *    a warning while it is read or written;
 *  - for writing, an encrypted PDF (one that opens without a password is
 *    still read: the Info dictionary and XMP are decrypted by qpdf);
 *  - an XMP packet with a DTD (the parse stops at <!DOCTYPE, before any
 *    declaration in it is read), or compressed by more than one filter or
 *    to more than 64 KiB (a bound on what decoding may inflate to). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <qpdf/qpdf-c.h>

#include "internal.h"
#include "label/doc.h"

#define PDF_MAX (1024ull * 1024 * 1024) /* the whole file is read into memory */
#define XMP_PACKED_MAX (64u * 1024)     /* a compressed XMP stream, raw      */
#define TEXT_MAX 1024                   /* one text of a stamp, bytes         */

static const char RDF_NS[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
static const char XMP_NS[] = "http://ns.adobe.com/xap/1.0/";

/* A fresh packet, filled in as an existing one is. */
static const char XMP_EMPTY[] =
    "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    "<?xpacket end=\"w\"?>";

typedef struct {
    char *info_label, *info_cls, *xmp_label, *xmp_cls;
} texts;

static void texts_free(texts *t)
{
    free(t->info_label);
    free(t->info_cls);
    free(t->xmp_label);
    free(t->xmp_cls);
    memset(t, 0, sizeof *t);
}

/* Text from a library (qpdf, libxml2) for a one-line message: no control
 * characters, nothing but ASCII (it may quote bytes of the file). */
static void clean_text(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (; in != NULL && *in != '\0' && n + 1 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        out[n++] = (c < 0x20 || c >= 0x7f) ? (c == '\n' ? ' ' : '?') : (char)c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static int is_password_error(qpdf_data q, qpdf_error e)
{
    return e != NULL && qpdf_get_error_code(q, e) == qpdf_e_password;
}

/* qpdf's error e as FUIN_E_SYNTAX: "<what>: <qpdf's detail>". */
static fuin_status qerr_e(qpdf_data q, qpdf_error e, const char *what, char *err, size_t cap)
{
    char detail[160];
    if (is_password_error(q, e)) {
        fuin__set_msg(err, cap, "encrypted PDF: a password is needed to read it");
        return FUIN_E_SYNTAX;
    }
    clean_text(detail, sizeof detail, e != NULL ? qpdf_get_error_message_detail(q, e) : NULL);
    fuin__set_msg(err, cap, "%s: %s", what, detail[0] != '\0' ? detail : "qpdf failed");
    return FUIN_E_SYNTAX;
}

/* The pending qpdf error (retrieving it clears it). */
static fuin_status qerr(qpdf_data q, const char *what, char *err, size_t cap)
{
    return qerr_e(q, qpdf_get_error(q), what, err, cap);
}

/* ---- the file in memory ------------------------------------------------ */
static fuin_status read_fd(int fd, char **out, size_t *len, char *err, size_t cap)
{
    struct stat sb;
    size_t have = 0, room;
    char *buf;
    int seekable = 1;
    *out = NULL;
    *len = 0;
    if (fstat(fd, &sb) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > PDF_MAX) {
        fuin__set_msg(err, cap, "PDF larger than 1 GiB");
        return FUIN_E_LIMIT;
    }
    room = S_ISREG(sb.st_mode) && sb.st_size > 0 ? (size_t)sb.st_size + 1 : 65536;
    if ((buf = malloc(room)) == NULL)
        return FUIN_E_NOMEM;
    for (;;) {
        ssize_t n;
        if (have == room) {
            char *nb;
            if (room > PDF_MAX) {
                free(buf);
                fuin__set_msg(err, cap, "PDF larger than 1 GiB");
                return FUIN_E_LIMIT;
            }
            room = room * 2 > PDF_MAX + 1 ? (size_t)PDF_MAX + 1 : room * 2;
            if ((nb = realloc(buf, room)) == NULL) {
                free(buf);
                return FUIN_E_NOMEM;
            }
            buf = nb;
        }
        n = seekable ? pread(fd, buf + have, room - have, (off_t)have)
                     : read(fd, buf + have, room - have);
        if (n < 0 && errno == ESPIPE && seekable && have == 0) {
            seekable = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            free(buf);
            return FUIN_E_IO;
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    if (have > PDF_MAX) {
        free(buf);
        fuin__set_msg(err, cap, "PDF larger than 1 GiB");
        return FUIN_E_LIMIT;
    }
    *out = buf;
    *len = have;
    return FUIN_OK;
}

/* qpdf over buf (which must outlive it); *encrypted set when the file
 * needs a password (FUIN_E_SYNTAX). */
static fuin_status pdf_open(const char *buf, size_t len, qpdf_data *out, int *encrypted,
                            char *err, size_t cap)
{
    qpdf_data q = qpdf_init();
    *out = NULL;
    *encrypted = 0;
    if (q == NULL)
        return FUIN_E_NOMEM;
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdf_set_attempt_recovery(q, QPDF_FALSE);
    if ((qpdf_read_memory(q, "PDF", buf, len, "") & QPDF_ERRORS) != 0 || qpdf_has_error(q)) {
        qpdf_error e = qpdf_get_error(q);
        fuin_status s;
        *encrypted = is_password_error(q, e);
        s = qerr_e(q, e, "not a readable PDF", err, cap);
        qpdf_cleanup(&q);
        return s;
    }
    *out = q;
    return FUIN_OK;
}

/* ---- the document information dictionary --------------------------------- */
static fuin_status info_text(qpdf_data q, qpdf_oh info, const char *key, char **out, char *err,
                             size_t cap)
{
    const char *s;
    size_t n;
    qpdf_oh v;
    *out = NULL;
    if (!qpdf_oh_has_key(q, info, key))
        return qpdf_has_error(q) ? qerr(q, "bad Info dictionary", err, cap) : FUIN_OK;
    v = qpdf_oh_get_key(q, info, key);
    if (qpdf_has_error(q))
        return qerr(q, "bad Info dictionary", err, cap);
    if (qpdf_oh_is_null(q, v))
        return FUIN_OK;
    if (!qpdf_oh_get_value_as_utf8(q, v, &s, &n) || qpdf_has_error(q)) {
        if (qpdf_has_error(q))
            return qerr(q, "bad Info dictionary", err, cap);
        fuin__set_msg(err, cap, "the Info dictionary's %s is not a text string", key);
        return FUIN_E_SYNTAX;
    }
    if (memchr(s, '\0', n) != NULL || !fuin__utf8_valid(s, n)) {
        fuin__set_msg(err, cap, "the Info dictionary's %s is not valid text", key);
        return FUIN_E_SYNTAX;
    }
    if ((*out = strndup(s, n)) == NULL)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

/* The Info dictionary, or 0 when the trailer has none. */
static qpdf_oh info_dict(qpdf_data q)
{
    qpdf_oh trailer = qpdf_get_trailer(q), info;
    if (qpdf_has_error(q) || !qpdf_oh_has_key(q, trailer, "/Info"))
        return 0;
    info = qpdf_oh_get_key(q, trailer, "/Info");
    return !qpdf_has_error(q) && qpdf_oh_is_dictionary(q, info) ? info : 0;
}

/* ---- the XMP stream ---------------------------------------------------- */
/* The catalog's /Metadata stream (0 when there is none) and its decoded
 * data (NULL when none), malloc()ed. */
static fuin_status xmp_stream(qpdf_data q, qpdf_oh *stream, unsigned char **data, size_t *len,
                              char *err, size_t cap)
{
    qpdf_oh root, md, filter;
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    QPDF_BOOL filtered = QPDF_FALSE;
    *stream = 0;
    *data = NULL;
    *len = 0;
    root = qpdf_get_root(q);
    if (qpdf_has_error(q))
        return qerr(q, "no document catalog", err, cap);
    if (!qpdf_oh_has_key(q, root, "/Metadata"))
        return qpdf_has_error(q) ? qerr(q, "bad document catalog", err, cap) : FUIN_OK;
    md = qpdf_oh_get_key(q, root, "/Metadata");
    if (qpdf_has_error(q))
        return qerr(q, "bad document catalog", err, cap);
    if (!qpdf_oh_is_stream(q, md))
        return FUIN_OK;
    *stream = md;
    if ((qpdf_oh_get_stream_data(q, md, qpdf_dl_none, NULL, &raw, &rawlen) & QPDF_ERRORS) != 0 ||
        qpdf_has_error(q)) {
        free(raw);
        return qerr(q, "unreadable XMP stream", err, cap);
    }
    if (rawlen > FUIN__DOC_PART_MAX) {
        free(raw);
        fuin__set_msg(err, cap, "XMP packet larger than %u MiB", FUIN__DOC_PART_MAX >> 20);
        return FUIN_E_LIMIT;
    }
    filter = qpdf_oh_get_key(q, qpdf_oh_get_dict(q, md), "/Filter");
    if (qpdf_has_error(q)) {
        free(raw);
        return qerr(q, "bad XMP stream", err, cap);
    }
    if (qpdf_oh_is_null(q, filter) ||
        (qpdf_oh_is_array(q, filter) && qpdf_oh_get_array_n_items(q, filter) == 0)) {
        *data = raw;
        *len = rawlen;
        return FUIN_OK;
    }
    free(raw);
    raw = NULL;
    /* decoding inflates by a bounded factor per filter: one filter, and
     * not much compressed data */
    if (qpdf_oh_is_array(q, filter) && qpdf_oh_get_array_n_items(q, filter) > 1) {
        fuin__set_msg(err, cap, "XMP stream compressed by more than one filter");
        return FUIN_E_LIMIT;
    }
    if (rawlen > XMP_PACKED_MAX) {
        fuin__set_msg(err, cap, "compressed XMP stream larger than %u KiB", XMP_PACKED_MAX >> 10);
        return FUIN_E_LIMIT;
    }
    if ((qpdf_oh_get_stream_data(q, md, qpdf_dl_specialized, &filtered, &raw, &rawlen) &
         QPDF_ERRORS) != 0 ||
        qpdf_has_error(q)) {
        free(raw);
        return qerr(q, "unreadable XMP stream", err, cap);
    }
    if (!filtered) {
        free(raw);
        fuin__set_msg(err, cap, "XMP stream with a filter fuin cannot decode");
        return FUIN_E_SYNTAX;
    }
    if (rawlen > FUIN__DOC_PART_MAX) {
        free(raw);
        fuin__set_msg(err, cap, "XMP packet larger than %u MiB", FUIN__DOC_PART_MAX >> 20);
        return FUIN_E_LIMIT;
    }
    *data = raw;
    *len = rawlen;
    return FUIN_OK;
}

static int blank(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n' && p[i] != '\0')
            return 0;
    return 1;
}

/* ---- the XMP packet ---------------------------------------------------- */
/* A DTD ends the parse where it starts: nothing declared in it is read. */
static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    xmlParserCtxtPtr c = ctx;
    (void)name;
    (void)ext;
    (void)sys;
    *(int *)c->_private = 1;
    xmlStopParser(c);
}

static fuin_status xmp_parse(const void *data, size_t len, xmlDocPtr *out, char *err, size_t cap)
{
    xmlParserCtxtPtr c;
    xmlDocPtr doc;
    int dtd = 0;
    *out = NULL;
    if (len > INT_MAX) {
        fuin__set_msg(err, cap, "XMP packet too large");
        return FUIN_E_LIMIT;
    }
    xmlInitParser();
    if ((c = xmlNewParserCtxt()) == NULL)
        return FUIN_E_NOMEM;
    c->_private = &dtd;
    c->sax->internalSubset = on_dtd;
    doc = xmlCtxtReadMemory(c, data, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (dtd || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))) {
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(c);
        fuin__set_msg(err, cap, "XMP packet with a DTD");
        return FUIN_E_SYNTAX;
    }
    if (doc == NULL) {
        xmlErrorPtr e = xmlCtxtGetLastError(c);
        char detail[160];
        int line = e != NULL ? e->line : 0;
        fuin_status s = e != NULL && e->code == XML_ERR_NO_MEMORY ? FUIN_E_NOMEM : FUIN_E_SYNTAX;
        clean_text(detail, sizeof detail, e != NULL ? e->message : NULL);
        xmlFreeParserCtxt(c);
        fuin__set_msg(err, cap, "XMP packet is not well-formed XML (line %d: %s)", line,
                      detail[0] != '\0' ? detail : "?");
        return s;
    }
    xmlFreeParserCtxt(c);
    *out = doc;
    return FUIN_OK;
}

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

static int is_attr(const xmlAttr *a, const char *ns, const char *name)
{
    return a->ns != NULL && a->ns->href != NULL && strcmp((const char *)a->ns->href, ns) == 0 &&
           strcmp((const char *)a->name, name) == 0;
}

/* rdf:RDF: the root, or a child of the root (x:xmpmeta). */
static xmlNodePtr find_rdf(xmlDocPtr doc, char *err, size_t cap)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (is_el(root, RDF_NS, "RDF"))
        return root;
    for (xmlNodePtr n = root != NULL ? root->children : NULL; n != NULL; n = n->next)
        if (is_el(n, RDF_NS, "RDF"))
            return n;
    fuin__set_msg(err, cap, "XMP packet without rdf:RDF");
    return NULL;
}

static fuin_status take(char **slot, const xmlChar *v, const char *what, char *err, size_t cap)
{
    const char *s = v != NULL ? (const char *)v : "";
    if (*slot != NULL) {
        if (strcmp(*slot, s) == 0)
            return FUIN_OK;
        fuin__set_msg(err, cap, "XMP packet with two different fuin:%s values", what);
        return FUIN_E_SYNTAX;
    }
    return (*slot = strdup(s)) == NULL ? FUIN_E_NOMEM : FUIN_OK;
}

/* fuin:Label and fuin:Class of every top-level rdf:Description, as
 * attributes or as simple-valued property elements. */
static fuin_status xmp_collect(xmlDocPtr doc, char **label, char **cls, char *err, size_t cap)
{
    static const char *const names[2] = {"Label", "Class"};
    char **slots[2] = {label, cls};
    xmlNodePtr rdf = find_rdf(doc, err, cap);
    fuin_status s = FUIN_OK;
    if (rdf == NULL)
        return FUIN_E_SYNTAX;
    for (xmlNodePtr d = rdf->children; d != NULL && s == FUIN_OK; d = d->next) {
        if (!is_el(d, RDF_NS, "Description"))
            continue;
        for (xmlAttrPtr a = d->properties; a != NULL && s == FUIN_OK; a = a->next)
            for (int i = 0; i < 2 && s == FUIN_OK; i++)
                if (is_attr(a, FUIN__XMP_NS, names[i])) {
                    xmlChar *v = xmlNodeListGetString(doc, a->children, 1);
                    s = take(slots[i], v, names[i], err, cap);
                    xmlFree(v);
                }
        for (xmlNodePtr p = d->children; p != NULL && s == FUIN_OK; p = p->next)
            for (int i = 0; i < 2 && s == FUIN_OK; i++)
                if (is_el(p, FUIN__XMP_NS, names[i])) {
                    xmlChar *v;
                    for (xmlNodePtr k = p->children; k != NULL; k = k->next)
                        if (k->type == XML_ELEMENT_NODE) {
                            fuin__set_msg(err, cap,
                                          "fuin:%s in the XMP packet is not a simple value",
                                          names[i]);
                            return FUIN_E_SYNTAX;
                        }
                    v = xmlNodeGetContent(p);
                    s = take(slots[i], v, names[i], err, cap);
                    xmlFree(v);
                }
    }
    for (int i = 0; i < 2 && s == FUIN_OK; i++)
        if (*slots[i] != NULL && !fuin__utf8_valid(*slots[i], strlen(*slots[i]))) {
            fuin__set_msg(err, cap, "fuin:%s in the XMP packet is not valid text", names[i]);
            s = FUIN_E_SYNTAX;
        }
    return s;
}

/* Unlink and free n, with the whitespace that indented it. */
static void drop_node(xmlNodePtr n)
{
    xmlNodePtr prev = n->prev;
    if (prev != NULL && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

/* Set an xmp: date wherever it is (attribute or element), never adding it. */
static void set_date(xmlNodePtr d, const char *name, const char *date)
{
    for (xmlAttrPtr a = d->properties; a != NULL; a = a->next)
        if (is_attr(a, XMP_NS, name))
            xmlSetNsProp(d, a->ns, a->name, (const xmlChar *)date);
    for (xmlNodePtr p = d->children; p != NULL; p = p->next)
        if (is_el(p, XMP_NS, name)) {
            int simple = 1;
            for (xmlNodePtr k = p->children; k != NULL; k = k->next)
                simple &= k->type != XML_ELEMENT_NODE;
            if (simple)
                xmlNodeSetContent(p, (const xmlChar *)date);
        }
}

static xmlNodePtr add_text(xmlNodePtr parent, const char *text)
{
    xmlNodePtr t = xmlNewDocText(parent->doc, (const xmlChar *)text);
    if (t != NULL && xmlAddChild(parent, t) == NULL) {
        xmlFreeNode(t);
        t = NULL;
    }
    return t;
}

/* Remove every fuin:Label / fuin:Class (and a Description left empty by
 * that), bring xmp:MetadataDate / xmp:ModifyDate up to date where they
 * are, then add a Description with the stamp's texts. */
static fuin_status xmp_update(xmlDocPtr doc, const fuin__doc_stamp *st, const char *date,
                              char *err, size_t cap)
{
    static const char *const names[2] = {"Label", "Class"};
    const char *vals[2] = {st->label, st->cls};
    xmlNodePtr rdf = find_rdf(doc, err, cap), d, next, last, ws;
    xmlChar *about = NULL;
    xmlNsPtr fns, rns;
    int linked;
    if (rdf == NULL)
        return FUIN_E_SYNTAX;
    for (d = rdf->children; d != NULL; d = next) {
        int had = 0, left = 0;
        next = d->next;
        if (!is_el(d, RDF_NS, "Description"))
            continue;
        if (about == NULL)
            about = xmlGetNsProp(d, (const xmlChar *)"about", (const xmlChar *)RDF_NS);
        for (xmlAttrPtr a = d->properties, an; a != NULL; a = an) {
            an = a->next;
            if (is_attr(a, FUIN__XMP_NS, names[0]) || is_attr(a, FUIN__XMP_NS, names[1])) {
                xmlRemoveProp(a);
                had = 1;
            } else if (!is_attr(a, RDF_NS, "about")) {
                left = 1;
            }
        }
        for (xmlNodePtr p = d->children, pn; p != NULL; p = pn) {
            pn = p->next;
            if (is_el(p, FUIN__XMP_NS, names[0]) || is_el(p, FUIN__XMP_NS, names[1])) {
                drop_node(p);
                had = 1;
            } else if (p->type == XML_ELEMENT_NODE) {
                left = 1;
            }
        }
        if (had && !left) {
            drop_node(d);
            continue;
        }
        if (date != NULL) {
            set_date(d, "MetadataDate", date);
            set_date(d, "ModifyDate", date);
        }
    }
    if (st->label == NULL && st->cls == NULL) {
        xmlFree(about);
        return FUIN_OK;
    }
    if ((d = xmlNewDocNode(doc, rdf->ns, (const xmlChar *)"Description", NULL)) == NULL) {
        xmlFree(about);
        return FUIN_E_NOMEM;
    }
    /* rdf:about needs a prefix: RDF as the default namespace gets one */
    rns = rdf->ns;
    if (rns->prefix == NULL &&
        (rns = xmlNewNs(d, (const xmlChar *)RDF_NS, (const xmlChar *)"rdf")) == NULL) {
        xmlFreeNode(d);
        xmlFree(about);
        return FUIN_E_NOMEM;
    }
    xmlSetNs(d, rns);
    /* before the indentation of </rdf:RDF>, if there is one */
    last = rdf->last;
    if (last != NULL && last->type == XML_TEXT_NODE && xmlIsBlankNode(last))
        linked = xmlAddPrevSibling(last, d) != NULL;
    else
        linked = xmlAddChild(rdf, d) != NULL && add_text(rdf, "\n ") != NULL;
    if (!linked) {
        if (d->parent == NULL)
            xmlFreeNode(d);
        xmlFree(about);
        return FUIN_E_NOMEM;
    }
    ws = xmlNewDocText(doc, (const xmlChar *)"\n  ");
    if (ws != NULL && xmlAddPrevSibling(d, ws) == NULL)
        xmlFreeNode(ws);
    if (xmlSetNsProp(d, rns, (const xmlChar *)"about",
                     about != NULL ? about : (const xmlChar *)"") == NULL ||
        (fns = xmlNewNs(d, (const xmlChar *)FUIN__XMP_NS, (const xmlChar *)FUIN__XMP_PREFIX)) ==
            NULL) {
        xmlFree(about);
        return FUIN_E_NOMEM;
    }
    xmlFree(about);
    for (int i = 0; i < 2; i++)
        if (vals[i] != NULL &&
            (add_text(d, "\n   ") == NULL ||
             xmlNewTextChild(d, fns, (const xmlChar *)names[i], (const xmlChar *)vals[i]) == NULL))
            return FUIN_E_NOMEM;
    return add_text(d, "\n  ") == NULL ? FUIN_E_NOMEM : FUIN_OK;
}

static fuin_status xmp_dump(xmlDocPtr doc, xmlBufferPtr *out)
{
    xmlBufferPtr b = xmlBufferCreate();
    xmlSaveCtxtPtr sc;
    int rc;
    *out = NULL;
    if (b == NULL)
        return FUIN_E_NOMEM;
    if ((sc = xmlSaveToBuffer(b, "UTF-8", XML_SAVE_NO_DECL)) == NULL) {
        xmlBufferFree(b);
        return FUIN_E_NOMEM;
    }
    rc = (int)xmlSaveDoc(sc, doc);
    if (xmlSaveClose(sc) < 0 || rc < 0) {
        xmlBufferFree(b);
        return FUIN_E_NOMEM;
    }
    *out = b;
    return FUIN_OK;
}

/* ---- reading ------------------------------------------------------------ */
static fuin_status collect(qpdf_data q, texts *t, char *err, size_t cap)
{
    qpdf_oh info = info_dict(q), md;
    unsigned char *data = NULL;
    size_t len = 0;
    xmlDocPtr doc = NULL;
    fuin_status s;
    if (qpdf_has_error(q))
        return qerr(q, "bad trailer", err, cap);
    if (info != 0) {
        if ((s = info_text(q, info, "/" FUIN__PROP_LABEL, &t->info_label, err, cap)) != FUIN_OK ||
            (s = info_text(q, info, "/" FUIN__PROP_CLASS, &t->info_cls, err, cap)) != FUIN_OK)
            return s;
    }
    if ((s = xmp_stream(q, &md, &data, &len, err, cap)) != FUIN_OK)
        return s;
    if (data == NULL || blank(data, len)) {
        free(data);
        return FUIN_OK;
    }
    s = xmp_parse(data, len, &doc, err, cap);
    free(data);
    if (s == FUIN_OK)
        s = xmp_collect(doc, &t->xmp_label, &t->xmp_cls, err, cap);
    xmlFreeDoc(doc);
    return s;
}

fuin_status fuin__pdf_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap)
{
    char *buf;
    size_t len;
    qpdf_data q;
    texts t = {0};
    fuin_status s;
    int enc;
    if (fn == NULL) {
        fuin__set_msg(err, cap, "no callback");
        return FUIN_E_INVALID;
    }
    if ((s = read_fd(fd, &buf, &len, err, cap)) != FUIN_OK)
        return s;
    if ((s = pdf_open(buf, len, &q, &enc, err, cap)) != FUIN_OK) {
        free(buf);
        return s;
    }
    s = collect(q, &t, err, cap);
    qpdf_cleanup(&q);
    free(buf);
    if (s == FUIN_OK && (t.info_label != NULL || t.info_cls != NULL)) {
        fuin__doc_found f = {"pdf:info", t.info_label, t.info_cls, NULL};
        if (fn(ctx, &f) != 0) {
            texts_free(&t);
            return FUIN_OK;
        }
    }
    if (s == FUIN_OK && (t.xmp_label != NULL || t.xmp_cls != NULL)) {
        fuin__doc_found f = {"pdf:xmp", t.xmp_label, t.xmp_cls, NULL};
        (void)fn(ctx, &f);
    }
    texts_free(&t);
    return s;
}

/* ---- writing ------------------------------------------------------------ */
static int text_ok(const char *s, int ascii)
{
    size_t n;
    if (s == NULL)
        return 1;
    n = strlen(s);
    if (n == 0 || n > TEXT_MAX || !fuin__utf8_valid(s, n))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || (ascii && *p >= 0x80))
            return 0;
    return 1;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static fuin_status set_info(qpdf_data q, const fuin__doc_stamp *st, const char *pdfdate, char *err,
                            size_t cap)
{
    static const char *const keys[2] = {"/" FUIN__PROP_LABEL, "/" FUIN__PROP_CLASS};
    const char *vals[2] = {st->label, st->cls};
    qpdf_oh info = info_dict(q);
    if (qpdf_has_error(q))
        return qerr(q, "bad trailer", err, cap);
    if (info == 0) {
        if (st->label == NULL && st->cls == NULL)
            return FUIN_OK; /* nothing to remove */
        info = qpdf_make_indirect_object(q, qpdf_oh_new_dictionary(q));
        qpdf_oh_replace_key(q, qpdf_get_trailer(q), "/Info", info);
    }
    for (int i = 0; i < 2; i++) {
        if (vals[i] != NULL)
            qpdf_oh_replace_key(q, info, keys[i], qpdf_oh_new_unicode_string(q, vals[i]));
        else
            qpdf_oh_remove_key(q, info, keys[i]);
    }
    if (pdfdate != NULL)
        qpdf_oh_replace_key(q, info, "/ModDate", qpdf_oh_new_string(q, pdfdate));
    return qpdf_has_error(q) ? qerr(q, "cannot update the Info dictionary", err, cap) : FUIN_OK;
}

static fuin_status set_xmp(qpdf_data q, const fuin__doc_stamp *st, const char *xmpdate, char *err,
                           size_t cap)
{
    qpdf_oh md, dict;
    unsigned char *data = NULL;
    size_t len = 0;
    xmlDocPtr doc = NULL;
    xmlBufferPtr out = NULL;
    fuin_status s;
    int stamping = st->label != NULL || st->cls != NULL;
    if ((s = xmp_stream(q, &md, &data, &len, err, cap)) != FUIN_OK)
        return s;
    if (data == NULL || blank(data, len)) {
        free(data);
        if (!stamping)
            return FUIN_OK; /* no packet: nothing to remove */
        s = xmp_parse(XMP_EMPTY, sizeof XMP_EMPTY - 1, &doc, err, cap);
    } else {
        s = xmp_parse(data, len, &doc, err, cap);
        free(data);
    }
    if (s == FUIN_OK)
        s = xmp_update(doc, st, xmpdate, err, cap);
    if (s == FUIN_OK)
        s = xmp_dump(doc, &out);
    xmlFreeDoc(doc);
    if (s != FUIN_OK)
        return s;
    if (md == 0) {
        md = qpdf_oh_new_stream(q);
        qpdf_oh_replace_key(q, qpdf_get_root(q), "/Metadata", md);
    }
    dict = qpdf_oh_get_dict(q, md);
    qpdf_oh_replace_key(q, dict, "/Type", qpdf_oh_new_name(q, "/Metadata"));
    qpdf_oh_replace_key(q, dict, "/Subtype", qpdf_oh_new_name(q, "/XML"));
    /* uncompressed, as XMP in PDF should be (so that tools that know only
     * XMP find it); the filter and its parameters go */
    qpdf_oh_replace_stream_data(q, md, xmlBufferContent(out), (size_t)xmlBufferLength(out),
                                qpdf_oh_new_null(q), qpdf_oh_new_null(q));
    xmlBufferFree(out);
    return qpdf_has_error(q) ? qerr(q, "cannot update the XMP stream", err, cap) : FUIN_OK;
}

/* The rewritten file read back: does it hold exactly what was stamped? */
static fuin_status verify(const unsigned char *buf, size_t len, const fuin__doc_stamp *st,
                          char *err, size_t cap)
{
    qpdf_data q;
    texts t = {0};
    int enc;
    fuin_status s = pdf_open((const char *)buf, len, &q, &enc, err, cap);
    if (s != FUIN_OK)
        return s;
    s = collect(q, &t, err, cap);
    if (s == FUIN_OK && qpdf_more_warnings(q)) {
        fuin__set_msg(err, cap, "the rewritten PDF gives qpdf warnings");
        s = FUIN_E_SYNTAX;
    }
    qpdf_cleanup(&q);
    if (s == FUIN_OK && (!same(t.info_label, st->label) || !same(t.info_cls, st->cls) ||
                         !same(t.xmp_label, st->label) || !same(t.xmp_cls, st->cls))) {
        fuin__set_msg(err, cap, "the rewritten PDF does not read back as written");
        s = FUIN_E_SYNTAX;
    }
    texts_free(&t);
    return s;
}

static fuin_status dates(int64_t when, char *pdf, size_t pcap, char *xmp, size_t xcap)
{
    struct tm tm;
    time_t t = (time_t)when;
    if (when < 0 || (int64_t)t != when || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
        return FUIN_E_INVALID;
    snprintf(pdf, pcap, "D:%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(xmp, xcap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return FUIN_OK;
}

static fuin_status first_warning(qpdf_data q, const char *what, char *err, size_t cap)
{
    qpdf_error w = qpdf_next_warning(q);
    char detail[160];
    clean_text(detail, sizeof detail, w != NULL ? qpdf_get_error_message_detail(q, w) : NULL);
    fuin__set_msg(err, cap, "%s (%s): fuin does not rewrite it", what,
                  detail[0] != '\0' ? detail : "qpdf warned");
    return FUIN_E_SYNTAX;
}

fuin_status fuin__pdf_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap)
{
    char *buf = NULL, pdfdate[80], xmpdate[80];
    size_t len = 0;
    qpdf_data q = NULL;
    struct fuin_outfile *of = NULL;
    const unsigned char *out;
    size_t outlen;
    fuin_status s;
    int fd, enc, have_date = 0;

    if (path == NULL || st == NULL) {
        fuin__set_msg(err, cap, "no file or no stamp");
        return FUIN_E_INVALID;
    }
    if (!text_ok(st->label, 0) || !text_ok(st->cls, 1)) {
        fuin__set_msg(err, cap, "bad stamp: a label text is empty, too long or not plain text");
        return FUIN_E_INVALID;
    }
    if (st->time != 0) {
        if (dates(st->time, pdfdate, sizeof pdfdate, xmpdate, sizeof xmpdate) != FUIN_OK) {
            fuin__set_msg(err, cap, "bad stamp: time out of range");
            return FUIN_E_INVALID;
        }
        have_date = 1;
    }
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    s = read_fd(fd, &buf, &len, err, cap);
    close(fd);
    if (s != FUIN_OK)
        return s;
    if ((s = pdf_open(buf, len, &q, &enc, err, cap)) != FUIN_OK) {
        if (enc)
            fuin__set_msg(err, cap, "encrypted PDF: fuin cannot stamp it");
        free(buf);
        return s;
    }
    if (qpdf_is_encrypted(q)) {
        fuin__set_msg(err, cap, "encrypted PDF: fuin cannot stamp it");
        s = FUIN_E_SYNTAX;
        goto done;
    }
    if ((s = set_info(q, st, have_date ? pdfdate : NULL, err, cap)) != FUIN_OK ||
        (s = set_xmp(q, st, have_date ? xmpdate : NULL, err, cap)) != FUIN_OK)
        goto done;
    if (qpdf_more_warnings(q)) {
        s = first_warning(q, "damaged PDF", err, cap);
        goto done;
    }
    if ((qpdf_init_write_memory(q) & QPDF_ERRORS) != 0) {
        s = qerr(q, "cannot write the PDF", err, cap);
        goto done;
    }
    /* everything as it was: stream data byte for byte, object streams
     * and linearization kept; 1.4 at least, for the XMP stream */
    qpdf_set_object_stream_mode(q, qpdf_o_preserve);
    qpdf_set_stream_data_mode(q, qpdf_s_preserve);
    qpdf_set_linearization(q, qpdf_is_linearized(q));
    if (st->label != NULL || st->cls != NULL)
        qpdf_set_minimum_pdf_version(q, "1.4");
    if ((qpdf_write(q) & QPDF_ERRORS) != 0 || qpdf_has_error(q)) {
        s = qerr(q, "cannot write the PDF", err, cap);
        goto done;
    }
    if (qpdf_more_warnings(q)) {
        s = first_warning(q, "damaged PDF", err, cap);
        goto done;
    }
    out = qpdf_get_buffer(q);
    outlen = qpdf_get_buffer_length(q);
    if (out == NULL || (s = verify(out, outlen, st, err, cap)) != FUIN_OK) {
        if (out == NULL) {
            fuin__set_msg(err, cap, "qpdf wrote nothing");
            s = FUIN_E_SYNTAX;
        }
        goto done;
    }
    if ((s = fuin__doc_replace_open(path, &of, err, cap)) != FUIN_OK)
        goto done;
    if ((s = fuin_outfile_write(of, out, outlen, err, cap)) != FUIN_OK) {
        fuin_outfile_abort(of);
        goto done;
    }
    s = fuin_outfile_commit(of, err, cap);
done:
    qpdf_cleanup(&q);
    free(buf);
    return s;
}
