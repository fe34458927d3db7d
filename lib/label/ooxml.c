/* Office Open XML (.docx .xlsx .pptx): fuin's label as custom document
 * properties (docProps/custom.xml), and Microsoft Purview (MSIP) labels
 * written the way Microsoft 365 writes them.
 *
 * The custom part is the target of the package relationship of type
 * custom-properties in _rels/.rels; without one, docProps/custom.xml.
 * Writing into a package that has no custom part creates it, with its
 * Override in [Content_Types].xml and its relationship in _rels/.rels
 * (each only when not already there; the same for a docProps/custom.xml
 * that no relationship names, which Office would not see).  Clearing removes fuin's (and with
 * clear_msip the MSIP) properties and keeps the part, possibly with no
 * property left: an empty <Properties/> is valid (property is optional in
 * the schema), and keeping it means a clear never touches
 * [Content_Types].xml or _rels/.rels.  Property names are matched without
 * regard to ASCII case, as Office does. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/tree.h>
#include <sodium.h>

#include "internal.h"
#include "label/doc.h"
#include "label/zipdoc.h"

#define CP_NS "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
#define VT_NS "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#define CT_NS "http://schemas.openxmlformats.org/package/2006/content-types"
#define REL_NS "http://schemas.openxmlformats.org/package/2006/relationships"
#define REL_CUSTOM                                                                       \
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
#define CT_CUSTOM "application/vnd.openxmlformats-officedocument.custom-properties+xml"
#define FMTID "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
#define DEFAULT_PART "docProps/custom.xml"
#define MSIP_PREFIX "MSIP_Label_"
#define MSIP_ENABLED "_Enabled"

typedef struct {
    fuin__zipdoc *z;
    xmlDoc *rels;          /* _rels/.rels */
    zip_int64_t rels_idx;
    zip_int64_t ct_idx;    /* [Content_Types].xml */
    int have_rel;          /* a custom-properties relationship exists */
    char part[256];        /* the custom part's member name */
    zip_int64_t part_idx;  /* -1: absent */
} pkg;

static void pkg_fini(pkg *p)
{
    xmlFreeDoc(p->rels);
    fuin__zipdoc_free(p->z);
}

/* A relationship target (relative to the package root) as a member name:
 * "/docProps/custom.xml" and "docProps/custom.xml" alike.  -1 for one
 * that is no plain part name. */
static int part_name(char *out, size_t cap, const char *t)
{
    size_t n;
    if (t[0] == '/')
        t++;
    else if (strncmp(t, "./", 2) == 0)
        t += 2;
    n = strlen(t);
    if (n == 0 || n >= cap || t[n - 1] == '/')
        return -1;
    for (const char *c = t; *c != '\0'; c++)
        if (*c <= 0x20 || *c >= 0x7f || *c == '\\' || *c == '%' || *c == '#' || *c == '?')
            return -1;
    for (const char *seg = t; seg != NULL; seg = strchr(seg, '/'), seg = seg ? seg + 1 : NULL)
        if (strncmp(seg, "../", 3) == 0 || strcmp(seg, "..") == 0 || strncmp(seg, "./", 2) == 0 ||
            strcmp(seg, ".") == 0 || seg[0] == '/')
            return -1;
    memcpy(out, t, n + 1);
    return 0;
}

static fuin_status pkg_open(pkg *p, int fd, const char *path, char *err, size_t cap)
{
    fuin_status s;
    xmlNode *root;
    memset(p, 0, sizeof *p);
    p->part_idx = -1;
    s = path != NULL ? fuin__zipdoc_open_path(path, &p->z, err, cap)
                     : fuin__zipdoc_open_fd(fd, &p->z, err, cap);
    if (s != FUIN_OK)
        return s;
    if ((p->ct_idx = fuin__zipdoc_find(p->z, "[Content_Types].xml", 1)) < 0) {
        fuin__set_msg(err, cap, "not an Office Open XML document (no [Content_Types].xml)");
        return FUIN_E_SYNTAX;
    }
    if ((p->rels_idx = fuin__zipdoc_find(p->z, "_rels/.rels", 1)) < 0) {
        fuin__set_msg(err, cap, "not an Office Open XML document (no _rels/.rels)");
        return FUIN_E_SYNTAX;
    }
    if ((s = fuin__zipdoc_read_xml(p->z, (zip_uint64_t)p->rels_idx, &p->rels, err, cap)) !=
        FUIN_OK)
        return s;
    root = xmlDocGetRootElement(p->rels);
    if (!fuin__xml_is(root, REL_NS, "Relationships")) {
        fuin__set_msg(err, cap, "_rels/.rels is not a relationships part");
        return FUIN_E_SYNTAX;
    }
    for (xmlNode *r = root->children; r != NULL && !p->have_rel; r = r->next) {
        xmlChar *type, *mode, *target;
        if (!fuin__xml_is(r, REL_NS, "Relationship"))
            continue;
        type = xmlGetNoNsProp(r, (const xmlChar *)"Type");
        mode = xmlGetNoNsProp(r, (const xmlChar *)"TargetMode");
        target = xmlGetNoNsProp(r, (const xmlChar *)"Target");
        if (type != NULL && xmlStrEqual(type, (const xmlChar *)REL_CUSTOM) &&
            (mode == NULL || !xmlStrEqual(mode, (const xmlChar *)"External"))) {
            if (target == NULL || part_name(p->part, sizeof p->part, (const char *)target) != 0) {
                fuin__set_msg(err, cap, "_rels/.rels: the custom-properties target is not a "
                                        "part name");
                s = FUIN_E_SYNTAX;
            }
            p->have_rel = 1;
        }
        xmlFree(type);
        xmlFree(mode);
        xmlFree(target);
    }
    if (s != FUIN_OK)
        return s;
    if (!p->have_rel)
        snprintf(p->part, sizeof p->part, "%s", DEFAULT_PART);
    p->part_idx = fuin__zipdoc_find(p->z, p->part, 1);
    return FUIN_OK;
}

/* docProps/custom.xml (or wherever the relationship points), checked. */
static fuin_status read_custom(pkg *p, xmlDoc **doc, char *err, size_t cap)
{
    fuin_status s = fuin__zipdoc_read_xml(p->z, (zip_uint64_t)p->part_idx, doc, err, cap);
    if (s != FUIN_OK)
        return s;
    if (!fuin__xml_is(xmlDocGetRootElement(*doc), CP_NS, "Properties")) {
        fuin__set_msg(err, cap, "%s is not a custom-properties part", p->part);
        xmlFreeDoc(*doc);
        *doc = NULL;
        return FUIN_E_SYNTAX;
    }
    return FUIN_OK;
}

/* The MSIP label id of a property name "MSIP_Label_<id>_<what>", copied
 * into id (NUL-terminated), *what pointing at <what>; -1 if it is no such
 * name.  The id is everything up to the last '_'. */
static int msip_split(const char *name, char *id, size_t cap, const char **what)
{
    size_t pl = strlen(MSIP_PREFIX), n;
    const char *us;
    if (strncasecmp(name, MSIP_PREFIX, pl) != 0)
        return -1;
    if ((us = strrchr(name + pl, '_')) == NULL || us == name + pl)
        return -1;
    n = (size_t)(us - (name + pl));
    if (n >= cap)
        return -1;
    memcpy(id, name + pl, n);
    id[n] = '\0';
    *what = us + 1;
    return 0;
}

static char *node_text(const xmlNode *prop)
{
    xmlNode *v = fuin__xml_first_element(prop);
    xmlChar *t = v != NULL ? xmlNodeGetContent(v) : NULL;
    char *out = strdup(t != NULL ? (const char *)t : "");
    xmlFree(t);
    return out;
}

fuin_status fuin__ooxml_read(int fd, fuin__doc_found_fn fn, void *ctx, char *err, size_t cap)
{
    pkg p;
    xmlDoc *doc = NULL;
    char *label = NULL, *cls = NULL;
    fuin_status s;
    int stop = 0;
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if ((s = pkg_open(&p, fd, NULL, err, cap)) != FUIN_OK || p.part_idx < 0) {
        pkg_fini(&p);
        return s;
    }
    if ((s = read_custom(&p, &doc, err, cap)) != FUIN_OK) {
        pkg_fini(&p);
        return s;
    }
    /* fuin's properties first, then one report per enabled MSIP label */
    for (int pass = 0; pass < 2 && s == FUIN_OK && !stop; pass++) {
        if (pass == 1 && (label != NULL || cls != NULL)) {
            fuin__doc_found f = {"ooxml:custom", label, cls, NULL};
            if (fn(ctx, &f) != 0)
                break;
        }
        for (xmlNode *n = xmlDocGetRootElement(doc)->children; n != NULL && !stop; n = n->next) {
            xmlChar *name;
            if (!fuin__xml_is(n, CP_NS, "property") ||
                (name = xmlGetNoNsProp(n, (const xmlChar *)"name")) == NULL)
                continue;
            if (pass == 0) {
                char **slot = strcasecmp((const char *)name, FUIN__PROP_LABEL) == 0 ? &label
                              : strcasecmp((const char *)name, FUIN__PROP_CLASS) == 0 ? &cls
                                                                                       : NULL;
                if (slot != NULL && *slot == NULL && (*slot = node_text(n)) == NULL)
                    s = FUIN_E_NOMEM;
            } else {
                char id[256];
                const char *what;
                if (msip_split((const char *)name, id, sizeof id, &what) == 0 &&
                    strcasecmp(what, "Enabled") == 0) {
                    char *v = node_text(n);
                    if (v == NULL)
                        s = FUIN_E_NOMEM;
                    else if (strcasecmp(v, "true") == 0) {
                        fuin__doc_found f = {"ooxml:msip", NULL, NULL, id};
                        stop = fn(ctx, &f) != 0;
                    }
                    free(v);
                }
            }
            xmlFree(name);
            if (s != FUIN_OK)
                break;
        }
    }
    free(label);
    free(cls);
    xmlFreeDoc(doc);
    pkg_fini(&p);
    return s;
}

/* ---- writing --------------------------------------------------------------- */
static int is_guid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* pids in use, sorted; new ones are the lowest free from 2 */
typedef struct {
    long *used;
    size_t n;
    long next;
} pids;

static long pid_take(pids *ps)
{
    while (ps->n > 0 && bsearch(&ps->next, ps->used, ps->n, sizeof *ps->used, cmp_long) != NULL)
        ps->next++;
    return ps->next++;
}

static fuin_status add_prop(xmlNode *root, xmlNs *vt, pids *ps, const char *name,
                            const char *value)
{
    char pid[32];
    xmlNode *p = xmlNewDocNode(root->doc, root->ns, (const xmlChar *)"property", NULL);
    if (p == NULL)
        return FUIN_E_NOMEM;
    snprintf(pid, sizeof pid, "%ld", pid_take(ps));
    if (xmlNewProp(p, (const xmlChar *)"fmtid", (const xmlChar *)FMTID) == NULL ||
        xmlNewProp(p, (const xmlChar *)"pid", (const xmlChar *)pid) == NULL ||
        xmlNewProp(p, (const xmlChar *)"name", (const xmlChar *)name) == NULL ||
        xmlNewTextChild(p, vt, (const xmlChar *)"lpwstr", (const xmlChar *)value) == NULL) {
        xmlFreeNode(p);
        return FUIN_E_NOMEM;
    }
    if (xmlAddChild(root, p) == NULL) {
        xmlFreeNode(p);
        return FUIN_E_NOMEM;
    }
    return FUIN_OK;
}

static void random_guid(char out[37])
{
    uint8_t r[16];
    randombytes_buf(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
}

/* Remove what the stamp replaces; collect the pids left.  *changed when
 * anything was removed. */
static fuin_status prune(xmlNode *root, const fuin__doc_stamp *st, pids *ps, int *changed)
{
    int msip = st->msip_id != NULL || st->clear_msip;
    size_t cap = 0;
    for (xmlNode *n = root->children, *next; n != NULL; n = next) {
        xmlChar *name, *pid;
        char id[256];
        const char *what;
        int drop;
        next = n->next;
        if (!fuin__xml_is(n, CP_NS, "property"))
            continue;
        name = xmlGetNoNsProp(n, (const xmlChar *)"name");
        drop = name != NULL && (strcasecmp((const char *)name, FUIN__PROP_LABEL) == 0 ||
                                strcasecmp((const char *)name, FUIN__PROP_CLASS) == 0 ||
                                (msip && msip_split((const char *)name, id, sizeof id,
                                                    &what) == 0));
        xmlFree(name);
        if (drop) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
            *changed = 1;
            continue;
        }
        if ((pid = xmlGetNoNsProp(n, (const xmlChar *)"pid")) != NULL) {
            char *end;
            long v = strtol((const char *)pid, &end, 10);
            if (end != (const char *)pid && *end == '\0' && v >= 2 && v < INT_MAX) {
                if (ps->n == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    long *nu = realloc(ps->used, nc * sizeof *nu);
                    if (nu == NULL) {
                        xmlFree(pid);
                        return FUIN_E_NOMEM;
                    }
                    ps->used = nu;
                    cap = nc;
                }
                ps->used[ps->n++] = v;
            }
            xmlFree(pid);
        }
    }
    if (ps->n > 0)
        qsort(ps->used, ps->n, sizeof *ps->used, cmp_long);
    return FUIN_OK;
}

static fuin_status add_props(xmlNode *root, const fuin__doc_stamp *st, pids *ps)
{
    xmlNs *vt = fuin__xml_ns(root, VT_NS, "vt");
    fuin_status s = FUIN_OK;
    if (vt == NULL)
        return FUIN_E_NOMEM;
    if (st->label != NULL)
        s = add_prop(root, vt, ps, FUIN__PROP_LABEL, st->label);
    if (s == FUIN_OK && st->cls != NULL)
        s = add_prop(root, vt, ps, FUIN__PROP_CLASS, st->cls);
    if (s == FUIN_OK && st->msip_id != NULL) {
        char date[32], action[37], name[128];
        time_t t = (time_t)st->time;
        struct tm tm;
        const struct {
            const char *what, *value;
        } m[] = {
            {"Enabled", "true"},       {"SetDate", date},  {"Method", "Privileged"},
            {"Name", st->msip_name},   {"SiteId", st->msip_site}, {"ActionId", action},
            {"ContentBits", "0"},
        };
        if (gmtime_r(&t, &tm) == NULL ||
            strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            return FUIN_E_INVALID;
        random_guid(action);
        for (size_t i = 0; i < sizeof m / sizeof m[0] && s == FUIN_OK; i++) {
            snprintf(name, sizeof name, MSIP_PREFIX "%s_%s", st->msip_id, m[i].what);
            s = add_prop(root, vt, ps, name, m[i].value);
        }
    }
    return s;
}

/* The Override of the new part in [Content_Types].xml; *changed if added
 * or corrected. */
static fuin_status add_override(xmlDoc *ct, const char *part, int *changed, char *err,
                                size_t cap)
{
    xmlNode *root = xmlDocGetRootElement(ct), *o;
    char pn[300];
    snprintf(pn, sizeof pn, "/%s", part);
    if (!fuin__xml_is(root, CT_NS, "Types")) {
        fuin__set_msg(err, cap, "[Content_Types].xml is not a content-types part");
        return FUIN_E_SYNTAX;
    }
    for (xmlNode *n = root->children; n != NULL; n = n->next) {
        xmlChar *name, *type;
        int same;
        if (!fuin__xml_is(n, CT_NS, "Override") ||
            (name = xmlGetNoNsProp(n, (const xmlChar *)"PartName")) == NULL)
            continue;
        same = strcasecmp((const char *)name, pn) == 0;
        xmlFree(name);
        if (!same)
            continue;
        type = xmlGetNoNsProp(n, (const xmlChar *)"ContentType");
        same = type != NULL && xmlStrEqual(type, (const xmlChar *)CT_CUSTOM);
        xmlFree(type);
        if (!same) {
            if (xmlSetProp(n, (const xmlChar *)"ContentType", (const xmlChar *)CT_CUSTOM) ==
                NULL)
                return FUIN_E_NOMEM;
            *changed = 1;
        }
        return FUIN_OK;
    }
    if ((o = xmlNewChild(root, root->ns, (const xmlChar *)"Override", NULL)) == NULL ||
        xmlNewProp(o, (const xmlChar *)"PartName", (const xmlChar *)pn) == NULL ||
        xmlNewProp(o, (const xmlChar *)"ContentType", (const xmlChar *)CT_CUSTOM) == NULL)
        return FUIN_E_NOMEM;
    *changed = 1;
    return FUIN_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A relationship to the new part in _rels/.rels, with an unused Id (the
 * ones in use sorted once: a part with very many stays linear-ish). */
static fuin_status add_rel(xmlDoc *rels, const char *part)
{
    xmlNode *root = xmlDocGetRootElement(rels), *r;
    char id[32], *key = id;
    char **ids = NULL;
    size_t n = 0, cap = 0;
    fuin_status s = FUIN_OK;
    for (xmlNode *c = root->children; c != NULL && s == FUIN_OK; c = c->next) {
        xmlChar *v;
        if (c->type != XML_ELEMENT_NODE || (v = xmlGetNoNsProp(c, (const xmlChar *)"Id")) == NULL)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **ni = realloc(ids, nc * sizeof *ni);
            if (ni == NULL) {
                xmlFree(v);
                s = FUIN_E_NOMEM;
                break;
            }
            ids = ni;
            cap = nc;
        }
        ids[n++] = (char *)v;
    }
    if (s == FUIN_OK) {
        if (n > 0)
            qsort(ids, n, sizeof *ids, cmp_str);
        for (unsigned long k = 1;; k++) {
            snprintf(id, sizeof id, "rId%lu", k);
            if (n == 0 || bsearch(&key, ids, n, sizeof *ids, cmp_str) == NULL)
                break;
        }
        if ((r = xmlNewChild(root, root->ns, (const xmlChar *)"Relationship", NULL)) == NULL ||
            xmlNewProp(r, (const xmlChar *)"Id", (const xmlChar *)id) == NULL ||
            xmlNewProp(r, (const xmlChar *)"Type", (const xmlChar *)REL_CUSTOM) == NULL ||
            xmlNewProp(r, (const xmlChar *)"Target", (const xmlChar *)part) == NULL)
            s = FUIN_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        xmlFree(ids[i]);
    free(ids);
    return s;
}

static xmlDoc *new_custom(void)
{
    xmlDoc *d = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *root;
    xmlNs *ns;
    if (d == NULL)
        return NULL;
    d->standalone = 1; /* as Office writes it */
    if ((root = xmlNewDocNode(d, NULL, (const xmlChar *)"Properties", NULL)) == NULL) {
        xmlFreeDoc(d);
        return NULL;
    }
    xmlDocSetRootElement(d, root);
    if ((ns = xmlNewNs(root, (const xmlChar *)CP_NS, NULL)) == NULL ||
        xmlNewNs(root, (const xmlChar *)VT_NS, (const xmlChar *)"vt") == NULL) {
        xmlFreeDoc(d);
        return NULL;
    }
    xmlSetNs(root, ns);
    return d;
}

static fuin_status check_stamp(const fuin__doc_stamp *st, char *err, size_t cap)
{
    if (st == NULL) {
        fuin__set_msg(err, cap, "no stamp");
        return FUIN_E_INVALID;
    }
    if ((st->label != NULL && fuin__doc_text_ok(st->label) != 0) ||
        (st->cls != NULL && fuin__doc_text_ok(st->cls) != 0)) {
        fuin__set_msg(err, cap, "the label text is not valid UTF-8 without control characters");
        return FUIN_E_INVALID;
    }
    if (st->msip_id != NULL &&
        (!is_guid(st->msip_id) || !is_guid(st->msip_site) || st->msip_name == NULL ||
         st->msip_name[0] == '\0' || fuin__doc_text_ok(st->msip_name) != 0)) {
        fuin__set_msg(err, cap, "an MSIP label needs a GUID id, a name and a GUID site id");
        return FUIN_E_INVALID;
    }
    return FUIN_OK;
}

fuin_status fuin__ooxml_write(const char *path, const fuin__doc_stamp *st, char *err, size_t cap)
{
    pkg p;
    xmlDoc *doc = NULL, *ct = NULL;
    pids ps = {NULL, 0, 2};
    fuin_status s;
    int changed = 0, ct_changed = 0, created = 0;
    if (err != NULL && cap > 0)
        err[0] = '\0';
    if ((s = check_stamp(st, err, cap)) != FUIN_OK)
        return s;
    if ((s = pkg_open(&p, -1, path, err, cap)) != FUIN_OK)
        goto out;
    if (p.part_idx >= 0) {
        if ((s = read_custom(&p, &doc, err, cap)) != FUIN_OK)
            goto out;
    } else {
        if (st->label == NULL && st->cls == NULL && st->msip_id == NULL)
            goto out; /* nothing to remove, nothing to add */
        if ((doc = new_custom()) == NULL) {
            s = FUIN_E_NOMEM;
            goto out;
        }
        created = 1;
    }
    if ((s = prune(xmlDocGetRootElement(doc), st, &ps, &changed)) != FUIN_OK ||
        (s = add_props(xmlDocGetRootElement(doc), st, &ps)) != FUIN_OK)
        goto out;
    if (st->label != NULL || st->cls != NULL || st->msip_id != NULL)
        changed = 1;
    if (!changed)
        goto out;
    /* a part Office would not find (no relationship) is made findable */
    if (created || !p.have_rel) {
        if ((s = fuin__zipdoc_read_xml(p.z, (zip_uint64_t)p.ct_idx, &ct, err, cap)) != FUIN_OK ||
            (s = add_override(ct, p.part, &ct_changed, err, cap)) != FUIN_OK)
            goto out;
        if (ct_changed && (s = fuin__zipdoc_put_xml(p.z, p.ct_idx, "[Content_Types].xml", ct,
                                                    st->time, err, cap)) != FUIN_OK)
            goto out;
        if (!p.have_rel &&
            ((s = add_rel(p.rels, p.part)) != FUIN_OK ||
             (s = fuin__zipdoc_put_xml(p.z, p.rels_idx, "_rels/.rels", p.rels, st->time, err,
                                       cap)) != FUIN_OK))
            goto out;
    }
    if ((s = fuin__zipdoc_put_xml(p.z, p.part_idx, p.part, doc, st->time, err, cap)) != FUIN_OK)
        goto out;
    s = fuin__zipdoc_commit(p.z, path, err, cap);
out:
    if (s == FUIN_E_NOMEM && err != NULL && cap > 0 && err[0] == '\0')
        fuin__set_msg(err, cap, "out of memory");
    free(ps.used);
    xmlFreeDoc(ct);
    xmlFreeDoc(doc);
    pkg_fini(&p);
    return s;
}
