/* OpenDocument (.odt .ods .odp .odg): fuin's label as user-defined
 * metadata in meta.xml, <meta:user-defined meta:name="FuinLabel">, inside
 * office:document-meta/office:meta.
 *
 * A package is recognised by its first member "mimetype" holding an
 * application/vnd.oasis.opendocument.* type; libzip copies that member
 * first and stored as it was.  A meta.xml that is absent is created (at
 * the end of the zip) with its file-entry in META-INF/manifest.xml; one
 * that the manifest says is encrypted (a password-protected document)
 * cannot be read or changed: FUIN_E_SYNTAX.  Names are matched exactly:
 * ODF user-defined names are case-sensitive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "internal.h"
#include "label/doc.h"
#include "label/zipdoc.h"

#define OFFICE_NS "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define META_NS "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define MANIFEST_NS "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
#define MIME_PREFIX "application/vnd.oasis.opendocument."
#define MANIFEST "META-INF/manifest.xml"

typedef struct {
    fuin__zipdoc *z;
    zip_int64_t meta_idx;
    zip_int64_t manifest_idx;
    xmlDoc *manifest; /* parsed only when needed */
} pkg;

static void pkg_fini(pkg *p)
{
    xmlFreeDoc(p->manifest);
    fuin__zipdoc_free(p->z);
}

static fuin_status pkg_open(pkg *p, int fd, const char *path, char *err, size_t cap)
{
    fuin_status s;
    const char *first;
    uint8_t *mt;
    size_t n;
    memset(p, 0, sizeof *p);
    p->meta_idx = p->manifest_idx = -1;
    s = path != NULL ? fuin__zipdoc_open_path(path, &p->z, err, cap)
                     : fuin__zipdoc_open_fd(fd, &p->z, err, cap);
    if (s != FUIN_OK)
        return s;
    first = zip_get_num_entries(fuin__zipdoc_zip(p->z), 0) > 0
                ? zip_get_name(fuin__zipdoc_zip(p->z), 0, 0)
                : NULL;
    if (first == NULL || strcmp(first, "mimetype") != 0) {
        fuin__set_msg(err, cap, "not an OpenDocument file (mimetype is not its first member)");
        return FUIN_E_SYNTAX;
    }
    if ((s = fuin__zipdoc_read(p->z, 0, 256, &mt, &n, err, cap)) != FUIN_OK) {
        if (s == FUIN_E_LIMIT)
            s = FUIN_E_SYNTAX; /* a long mimetype is simply not one */
        return s;
    }
    if (n <= strlen(MIME_PREFIX) ||
        strncmp((const char *)mt, MIME_PREFIX, strlen(MIME_PREFIX)) != 0 ||
        strlen((const char *)mt) != n) {
        free(mt);
        fuin__set_msg(err, cap, "not an OpenDocument file (its mimetype is not an OpenDocument "
                                "type)");
        return FUIN_E_SYNTAX;
    }
    free(mt);
    p->meta_idx = fuin__zipdoc_find(p->z, "meta.xml", 0);
    p->manifest_idx = fuin__zipdoc_find(p->z, MANIFEST, 0);
    return FUIN_OK;
}

static fuin_status read_manifest(pkg *p, char *err, size_t cap)
{
    fuin_status s;
    if (p->manifest != NULL)
        return FUIN_OK;
    if (p->manifest_idx < 0) {
        fuin__set_msg(err, cap, "not an OpenDocument file (no " MANIFEST ")");
        return FUIN_E_SYNTAX;
    }
    if ((s = fuin__zipdoc_read_xml(p->z, (zip_uint64_t)p->manifest_idx, &p->manifest, err,
                                   cap)) != FUIN_OK)
        return s;
    if (!fuin__xml_is(xmlDocGetRootElement(p->manifest), MANIFEST_NS, "manifest")) {
        fuin__set_msg(err, cap, MANIFEST " is not a manifest");
        return FUIN_E_SYNTAX;
    }
    return FUIN_OK;
}

/* The manifest's file-entry for full-path `path`, or NULL. */
static xmlNode *manifest_entry(xmlDoc *m, const char *path)
{
    for (xmlNode *n = xmlDocGetRootElement(m)->children; n != NULL; n = n->next) {
        xmlChar *fp;
        int same;
        if (!fuin__xml_is(n, MANIFEST_NS, "file-entry") ||
            (fp = xmlGetNsProp(n, (const xmlChar *)"full-path", (const xmlChar *)MANIFEST_NS)) ==
                NULL)
            continue;
        same = xmlStrEqual(fp, (const xmlChar *)path);
        xmlFree(fp);
        if (same)
            return n;
    }
    return NULL;
}

/* meta.xml, checked: a manifest that says it is encrypted explains why it
 * is no XML. */
static fuin_status read_meta(pkg *p, xmlDoc **doc, char *err, size_t cap)
{
    fuin_status s;
    if (p->manifest_idx >= 0 && read_manifest(p, err, cap) == FUIN_OK) {
        xmlNode *e = manifest_entry(p->manifest, "meta.xml");
        for (xmlNode *c = e != NULL ? e->children : NULL; c != NULL; c = c->next)
            if (fuin__xml_is(c, MANIFEST_NS, "encryption-data")) {
                fuin__set_msg(err, cap, "meta.xml is encrypted (a password-protected document)");
                return FUIN_E_SYNTAX;
            }
    }
    if (err != NULL && cap > 0)
        err[0] = '\0'; /* a manifest problem matters only to a writer */
    if ((s = fuin__zipdoc_read_xml(p->z, (zip_uint64_t)p->meta_idx, doc, err, cap)) != FUIN_OK)
        return s;
    if (!fuin__xml_is(xmlDocGetRootElement(*doc), OFFICE_NS, "document-meta")) {
        fuin__set_msg(err, cap, "meta.xml is not an office:document-meta part");
        xmlFreeDoc(*doc);
        *doc = NULL;
        return FUIN_E_SYNTAX;
    }
    return FUIN_OK;
}

static xmlNode *office_meta(xmlDoc *doc)
{
    for (xmlNode *n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next)
        if (fuin__xml_is(n, OFFICE_NS, "meta"))
            return n;
    return NULL;
}

/* FUIN__PROP_LABEL -> 0, FUIN__PROP_CLASS -> 1, anything else -1 */
static int fuin_name(const xmlNode *n)
{
    xmlChar *name;
    int k = -1;
    if (!fuin__xml_is(n, META_NS, "user-defined") ||
        (name = xmlGetNsProp(n, (const xmlChar *)"name", (const xmlChar *)META_NS)) == NULL)
        return -1;
    if (xmlStrEqual(name, (const xmlChar *)FUIN__PROP_LABEL))
        k = 0;
    else if (xmlStrEqual(name, (const xmlChar *)FUIN__PROP_CLASS))
        k = 1;
    xmlFree(name);
    return k;
}

fuin_status fuin__odf_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap)
{
    pkg p;
    xmlDoc *doc = NULL;
    xmlNode *meta;
    xmlChar *text[2] = {NULL, NULL};
    fuin_status s;
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if ((s = pkg_open(&p, fd, NULL, err, cap)) != FUIN_OK || p.meta_idx < 0 ||
        (s = read_meta(&p, &doc, err, cap)) != FUIN_OK) {
        pkg_fini(&p);
        return s;
    }
    if ((meta = office_meta(doc)) != NULL)
        for (xmlNode *n = meta->children; n != NULL; n = n->next) {
            int k = fuin_name(n);
            if (k >= 0 && text[k] == NULL &&
                (text[k] = xmlNodeGetContent(n)) == NULL &&
                (text[k] = xmlStrdup((const xmlChar *)"")) == NULL)
                s = FUIN_E_NOMEM;
        }
    if (s == FUIN_OK && (text[0] != NULL || text[1] != NULL)) {
        fuin__doc_found f = {"odf:meta", (const char *)text[0], (const char *)text[1], NULL};
        (void)fn(ctx, &f);
    }
    xmlFree(text[0]);
    xmlFree(text[1]);
    xmlFreeDoc(doc);
    pkg_fini(&p);
    return s;
}

/* ---- writing --------------------------------------------------------------- */
static fuin_status add_user_defined(xmlNode *meta, xmlNs *mns, const char *name,
                                    const char *value)
{
    xmlNode *u =
        xmlNewTextChild(meta, mns, (const xmlChar *)"user-defined", (const xmlChar *)value);
    if (u == NULL || xmlNewNsProp(u, mns, (const xmlChar *)"name", (const xmlChar *)name) == NULL)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

/* A new meta.xml, of the ODF version the manifest declares. */
static xmlDoc *new_meta(xmlDoc *manifest)
{
    xmlDoc *d = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root, *top;
    xmlNs *ons;
    xmlChar *ver;
    if (d == NULL)
        return NULL;
    if ((root = xmlNewDocNode(d, NULL, (const xmlChar *)"document-meta", NULL)) == NULL) {
        xmlFreeDoc(d);
        return NULL;
    }
    xmlDocSetRootElement(d, root);
    if ((ons = xmlNewNs(root, (const xmlChar *)OFFICE_NS, (const xmlChar *)"office")) == NULL ||
        xmlNewNs(root, (const xmlChar *)META_NS, (const xmlChar *)"meta") == NULL) {
        xmlFreeDoc(d);
        return NULL;
    }
    xmlSetNs(root, ons);
    top = xmlDocGetRootElement(manifest);
    ver = xmlGetNsProp(top, (const xmlChar *)"version", (const xmlChar *)MANIFEST_NS);
    if (ver != NULL && xmlNewNsProp(root, ons, (const xmlChar *)"version", ver) == NULL) {
        xmlFree(ver);
        xmlFreeDoc(d);
        return NULL;
    }
    xmlFree(ver);
    return d;
}

fuin_status fuin__odf_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap)
{
    pkg p;
    xmlDoc *doc = NULL;
    xmlNode *root, *meta;
    xmlNs *mns;
    fuin_status s;
    int changed = 0, created = 0;
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if (st == NULL) {
        fuin__set_msg(err, cap, "no stamp");
        return FUIN_E_INVALID;
    }
    if ((st->label != NULL && fuin__doc_text_ok(st->label) != 0) ||
        (st->cls != NULL && fuin__doc_text_ok(st->cls) != 0)) {
        fuin__set_msg(err, cap, "the label text is not valid UTF-8 without control characters");
        return FUIN_E_INVALID;
    }
    if ((s = pkg_open(&p, -1, path, err, cap)) != FUIN_OK)
        goto out;
    if (p.meta_idx >= 0) {
        if ((s = read_meta(&p, &doc, err, cap)) != FUIN_OK)
            goto out;
    } else {
        if (st->label == NULL && st->cls == NULL)
            goto out; /* nothing to remove, nothing to add */
        if ((s = read_manifest(&p, err, cap)) != FUIN_OK)
            goto out;
        if ((doc = new_meta(p.manifest)) == NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
        created = 1;
    }
    root = xmlDocGetRootElement(doc);
    if ((meta = office_meta(doc)) == NULL) {
        if (st->label == NULL && st->cls == NULL)
            goto out;
        if ((meta = xmlNewChild(root, root->ns, (const xmlChar *)"meta", NULL)) == NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
    }
    for (xmlNode *n = meta->children, *next; n != NULL; n = next) {
        next = n->next;
        if (fuin_name(n) >= 0) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
            changed = 1;
        }
    }
    if (st->label != NULL || st->cls != NULL) {
        if ((mns = fuin__xml_ns(root, META_NS, "meta")) == NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
        if ((st->label != NULL &&
             (s = add_user_defined(meta, mns, FUIN__PROP_LABEL, st->label)) != FUIN_OK) ||
            (st->cls != NULL &&
             (s = add_user_defined(meta, mns, FUIN__PROP_CLASS, st->cls)) != FUIN_OK))
            goto out;
        changed = 1;
    }
    if (!changed)
        goto out;
    if (created && manifest_entry(p.manifest, "meta.xml") == NULL) {
        xmlNode *top = xmlDocGetRootElement(p.manifest), *e;
        /* attributes need a prefix: a default namespace does not reach them */
        xmlNs *ns = fuin__xml_ns(top, MANIFEST_NS, "manifest");
        if (ns == NULL ||
            (e = xmlNewChild(top, top->ns, (const xmlChar *)"file-entry", NULL)) == NULL ||
            xmlNewNsProp(e, ns, (const xmlChar *)"full-path", (const xmlChar *)"meta.xml") ==
                NULL ||
            xmlNewNsProp(e, ns, (const xmlChar *)"media-type", (const xmlChar *)"text/xml") ==
                NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
        if ((s = fuin__zipdoc_put_xml(p.z, p.manifest_idx, MANIFEST, p.manifest, st->time, err,
                                      cap)) != FUIN_OK)
            goto out;
    }
    if ((s = fuin__zipdoc_put_xml(p.z, p.meta_idx, "meta.xml", doc, st->time, err, cap)) !=
        FUIN_OK)
        goto out;
    s = fuin__zipdoc_commit(p.z, path, err, cap);
out:
    if (s == FUIN_E_NOMEM && err != NULL && cap > 0 && err[0] == '\0')
        fuin__set_msg(err, cap, "out of memory");
    xmlFreeDoc(doc);
    pkg_fini(&p);
    return s;
}
