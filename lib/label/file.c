/* File labels: every place a file's class is shown (xattrs, the name, the
 * document's own properties, an age header), read, compared and written.
 * The places and the rules are described in include/fuin/label.h and
 * docs/labels.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "label/doc.h"
#include "label/label_internal.h"

#define MAX_FOUND 16
#define XATTR_MAX 512

struct fuin_file_labels {
    size_t n;
    fuin_label_found v[MAX_FOUND];
    char *own[MAX_FOUND * 2]; /* texts and problems */
    size_t nown;
};

static const char *keep(fuin_file_labels *fl, const char *s)
{
    char *c;
    if (s == NULL || fl->nown == sizeof fl->own / sizeof fl->own[0])
        return NULL;
    if ((c = strdup(s)) == NULL)
        return NULL;
    fl->own[fl->nown++] = c;
    return c;
}

static fuin_label_found *add(fuin_file_labels *fl, fuin_label_place place, const char *where)
{
    fuin_label_found *f;
    if (fl->n == MAX_FOUND)
        return NULL;
    f = &fl->v[fl->n++];
    memset(f, 0, sizeof *f);
    f->place = place;
    f->where = where;
    return f;
}

/* "what" or "what: detail" */
static void set_problem(fuin_file_labels *fl, fuin_label_found *f, const char *what,
                        const char *detail)
{
    char buf[320];
    snprintf(buf, sizeof buf, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    f->valid = 0;
    f->problem = keep(fl, buf);
    if (f->problem == NULL)
        f->problem = "not a label";
}

static int same_label(const fuin_label *a, const fuin_label *b, unsigned parts)
{
    if ((parts & FUIN_LABEL_PART_C) && a->confidentiality != b->confidentiality)
        return 0;
    if ((parts & FUIN_LABEL_PART_IA) &&
        (a->integrity != b->integrity || a->availability != b->availability))
        return 0;
    if ((parts & FUIN_LABEL_PART_R) && a->restrictions != b->restrictions)
        return 0;
    return 1;
}

/* A place with a human text (FuinLabel, user.fuin.label) and a machine
 * text (FuinClass, user.fuin.class): both must be labels, and the same. */
static void add_pair(fuin_file_labels *fl, fuin_label_place place, const char *where,
                     const char *label, const char *cls)
{
    fuin_label a, b;
    char e[128];
    fuin_label_found *f;
    if (label == NULL && cls == NULL)
        return;
    if ((f = add(fl, place, where)) == NULL)
        return;
    f->parts = FUIN_LABEL_PART_ALL;
    f->text = keep(fl, label != NULL ? label : cls);
    if (label != NULL && fuin_label_parse(label, &a, e, sizeof e) != FUIN_OK) {
        set_problem(fl, f, "not a label", e);
        return;
    }
    if (cls != NULL && fuin_label_parse(cls, &b, e, sizeof e) != FUIN_OK) {
        set_problem(fl, f, "its machine form is not a label", e);
        return;
    }
    if (label != NULL && cls != NULL && !same_label(&a, &b, FUIN_LABEL_PART_ALL)) {
        set_problem(fl, f, "its human form and its machine form disagree; machine form", cls);
        /* the higher of the two readings, for what holds this file */
        f->label.confidentiality = a.confidentiality > b.confidentiality ? a.confidentiality
                                                                         : b.confidentiality;
        f->label.integrity = a.integrity > b.integrity ? a.integrity : b.integrity;
        f->label.availability = a.availability > b.availability ? a.availability
                                                                : b.availability;
        f->label.restrictions = a.restrictions | b.restrictions;
        return;
    }
    f->label = label != NULL ? a : b;
    f->valid = 1;
}

/* ---- the name ---------------------------------------------------------- */

size_t fuin__label_name_prefix_len(const char *base)
{
    static const char *const pairs[][2] = {
        {"\xe3\x80\x90", "\xe3\x80\x91"}, /* 【】 */
        {"\xef\xbc\xbb", "\xef\xbc\xbd"}, /* ［］ */
        {"[", "]"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t ol = strlen(pairs[i][0]);
        const char *end;
        if (strncmp(base, pairs[i][0], ol) != 0)
            continue;
        if ((end = strstr(base + ol, pairs[i][1])) == NULL)
            return 0;
        return (size_t)(end - base) + strlen(pairs[i][1]);
    }
    return 0;
}

/* Does the bracket hold something meant as a class ("機密性", "C2")?  A
 * name like "[draft] notes.txt" is no label and no error. */
static int looks_like_class(const char *s, size_t n)
{
    static const char *const opens[] = {"【", "［", "["};
    static const char *const starts[] = {"機密性", "Ｃ", "ｃ"};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(s, opens[i], strlen(opens[i])) == 0) {
            s += strlen(opens[i]);
            n -= strlen(opens[i]);
            break;
        }
    for (;;) { /* spaces, ASCII or ideographic */
        if (n >= 1 && *s == ' ') {
            s++;
            n--;
        } else if (n >= 3 && strncmp(s, "\xe3\x80\x80", 3) == 0) {
            s += 3;
            n -= 3;
        } else {
            break;
        }
    }
    for (size_t i = 0; i < 3; i++)
        if (n >= strlen(starts[i]) && strncmp(s, starts[i], strlen(starts[i])) == 0)
            return 1;
    /* "C2", "C3-I2", "c2]", not "C3PO" */
    return n >= 3 && (s[0] == 'C' || s[0] == 'c') && s[1] >= '0' && s[1] <= '9' &&
           (s[2] == '-' || s[2] == ']' || s[2] == ' ' || (unsigned char)s[2] >= 0x80);
}

int fuin__label_from_name(const char *base, fuin_label *l)
{
    size_t n = fuin__label_name_prefix_len(base);
    char buf[256];
    if (n == 0 || !looks_like_class(base, n))
        return 0;
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, base, n);
    buf[n] = '\0';
    return fuin_label_parse(buf, l, NULL, 0) == FUIN_OK ? 1 : -1;
}

static void read_name(fuin_file_labels *fl, const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = fuin__label_name_prefix_len(base);
    fuin_label l;
    fuin_label_found *f;
    char buf[256];
    int r = fuin__label_from_name(base, &l);
    if (r == 0 || (f = add(fl, FUIN_LABEL_AT_NAME, "name")) == NULL)
        return;
    f->parts = FUIN_LABEL_PART_C | FUIN_LABEL_PART_IA;
    if (n < sizeof buf) {
        memcpy(buf, base, n);
        buf[n] = '\0';
        f->text = keep(fl, buf);
    }
    if (r < 0) {
        set_problem(fl, f, "the name's bracketed prefix is not a label", NULL);
        return;
    }
    f->label = l;
    f->valid = 1;
}

/* ---- extended attributes -------------------------------------------------- */

/* 1 found, 0 absent (or no xattrs here), -1 error (errno). */
static int get_xattr(const char *path, int fd, const char *name, char *buf, size_t cap)
{
    ssize_t n = fd >= 0 ? fgetxattr(fd, name, buf, cap - 1) : lgetxattr(path, name, buf, cap - 1);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP || errno == ENOSYS)
            return 0;
        return -1;
    }
    buf[n] = '\0';
    return 1;
}

static fuin_status read_xattrs(fuin_file_labels *fl, const char *path, int fd, char *err,
                               size_t cap)
{
    char l[XATTR_MAX], c[XATTR_MAX];
    int hl, hc;
    if (fd >= 0) {
        /* one call for the common case, a file with no fuin attribute
         * (a tree scan makes it for every file) */
        char names[1024];
        ssize_t n = flistxattr(fd, names, sizeof names);
        if (n == 0 || (n < 0 && (errno == ENOTSUP || errno == ENOSYS)))
            return FUIN_OK;
        if (n > 0) {
            int any = 0;
            for (char *k = names; k < names + n; k += strlen(k) + 1)
                if (strcmp(k, FUIN_LABEL_XATTR) == 0 || strcmp(k, FUIN_CLASS_XATTR) == 0)
                    any = 1;
            if (!any)
                return FUIN_OK;
        }
        /* n < 0 (ERANGE: many attributes): ask for each */
    }
    hl = get_xattr(path, fd, FUIN_LABEL_XATTR, l, sizeof l);
    hc = hl < 0 ? -1 : get_xattr(path, fd, FUIN_CLASS_XATTR, c, sizeof c);
    if (hl < 0 || hc < 0) {
        if (errno == ERANGE) {
            fuin_label_found *f = add(fl, FUIN_LABEL_AT_XATTR, "xattr");
            if (f != NULL) {
                f->parts = FUIN_LABEL_PART_ALL;
                set_problem(fl, f, "longer than any label", NULL);
            }
            return FUIN_OK;
        }
        fuin__set_msg(err, cap, "cannot read its extended attributes: %s", strerror(errno));
        return FUIN_E_IO;
    }
    add_pair(fl, FUIN_LABEL_AT_XATTR, "xattr", hl ? l : NULL, hc ? c : NULL);
    return FUIN_OK;
}

fuin_status fuin_label_xattr_set_fd(int fd, const fuin_label *label)
{
    char h[256], m[128];
    if (label == NULL || fd < 0)
        return FUIN_E_INVALID;
    fuin_label_format_ja(label, h, sizeof h);
    fuin_label_format_ascii(label, m, sizeof m);
    if (fsetxattr(fd, FUIN_LABEL_XATTR, h, strlen(h), 0) != 0 ||
        fsetxattr(fd, FUIN_CLASS_XATTR, m, strlen(m), 0) != 0)
        return FUIN_E_IO;
    return FUIN_OK;
}

/* ---- documents ------------------------------------------------------------ */

typedef struct {
    fuin_file_labels *fl;
    const fuin_policy *pol;
} doc_ctx;

static fuin_label_place place_of(const char *p)
{
    if (strcmp(p, "ooxml:custom") == 0)
        return FUIN_LABEL_AT_OOXML;
    if (strcmp(p, "ooxml:msip") == 0)
        return FUIN_LABEL_AT_MSIP;
    if (strcmp(p, "odf:meta") == 0)
        return FUIN_LABEL_AT_ODF;
    if (strcmp(p, "pdf:info") == 0)
        return FUIN_LABEL_AT_PDF_INFO;
    return FUIN_LABEL_AT_PDF_XMP;
}

static const char *const WHERE[] = {NULL,       "xattr",    "name",    "ooxml:custom", "ooxml:msip",
                                    "odf:meta", "pdf:info", "pdf:xmp", "age"};

static int on_doc(void *ctx, const fuin__doc_found *d)
{
    doc_ctx *c = ctx;
    fuin_label_place pl = place_of(d->place);
    if (pl == FUIN_LABEL_AT_MSIP) {
        fuin_label_found *f = add(c->fl, pl, WHERE[pl]);
        int cls = fuin_policy_msip_class(c->pol, d->msip_id);
        if (f == NULL)
            return 0;
        f->text = keep(c->fl, d->msip_id);
        if (cls == 0) {
            /* someone else's label: shown, never compared */
            f->parts = 0;
            set_problem(c->fl, f, "an MSIP label the policy does not map", NULL);
            return 0;
        }
        f->parts = FUIN_LABEL_PART_C;
        f->label = (fuin_label){cls, 1, 1, 0};
        f->valid = 1;
        return 0;
    }
    add_pair(c->fl, pl, WHERE[pl], d->label, d->cls);
    return 0;
}

static void read_age(fuin_file_labels *fl, int fd)
{
    uint8_t buf[FUIN_MAX_HEADER_BYTES];
    size_t got = 0;
    fuin__header h;
    char e[FUIN_ERRMSG_MAX];
    while (got < sizeof buf) {
        ssize_t r = pread(fd, buf + got, sizeof buf - got, (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    memset(&h, 0, sizeof h);
    if (got < 22 || memcmp(buf, "age-encryption.org/v1\n", 22) != 0 ||
        fuin__header_parse(buf, got, got < sizeof buf, &h, e) != FUIN_OK)
        return; /* armored, or not an age file: no label to see */
    for (size_t i = 0; i < h.n; i++) {
        fuin__stanza *st = &h.stanzas[i];
        fuin_label_found *f;
        char text[160];
        size_t k = 0;
        if (strcmp(st->type, FUIN__LABEL_STANZA) != 0)
            continue;
        if ((f = add(fl, FUIN_LABEL_AT_AGE, "age")) == NULL)
            break;
        f->parts = FUIN_LABEL_PART_ALL;
        text[0] = '\0';
        for (int a = 0; a < st->nargs && k < sizeof text; a++)
            k += (size_t)snprintf(text + k, sizeof text - k, "%s%s", a ? " " : "", st->args[a]);
        f->text = keep(fl, text);
        if (fuin__label_from_args(st->args, st->nargs, &f->label) != FUIN_OK)
            set_problem(fl, f, "a malformed fuin-label stanza", NULL);
        else
            f->valid = 1;
        break;
    }
    fuin__header_free(&h);
}

static void read_doc(fuin_file_labels *fl, const fuin_policy *pol, fuin__doc_kind kind, int fd)
{
    doc_ctx c = {fl, pol};
    char e[FUIN_ERRMSG_MAX];
    fuin_status s;
    e[0] = '\0';
    if (kind == FUIN__DOC_OOXML)
        s = fuin__ooxml_read(fd, on_doc, &c, e, sizeof e);
    else if (kind == FUIN__DOC_ODF)
        s = fuin__odf_read(fd, on_doc, &c, e, sizeof e);
    else
        s = fuin__pdf_read(fd, on_doc, &c, e, sizeof e);
    if (s != FUIN_OK) {
        /* A document fuin cannot read (an encrypted PDF, a password-
         * protected Office file, a damaged one) shows no label there: it is
         * listed with the reason, and compared with nothing (parts 0), so
         * that such files can still be labelled, encrypted and packed. */
        fuin_label_place pl = kind == FUIN__DOC_OOXML ? FUIN_LABEL_AT_OOXML
                              : kind == FUIN__DOC_ODF ? FUIN_LABEL_AT_ODF
                                                      : FUIN_LABEL_AT_PDF_INFO;
        fuin_label_found *f = add(fl, pl, WHERE[pl]);
        if (f != NULL) {
            f->parts = 0;
            f->text = "";
            set_problem(fl, f, "the document cannot be read", e[0] ? e : fuin_strerror(s));
        }
    }
}

static int is_age_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot != NULL && strcasecmp(dot, ".age") == 0;
}

fuin_status fuin__file_labels_read_at(const char *path, int fd, const struct stat *st,
                                      const fuin_policy *pol, unsigned flags,
                                      fuin_file_labels *fl, char *err, size_t cap)
{
    fuin_status s;
    read_name(fl, path);
    if (S_ISLNK(st->st_mode))
        return FUIN_OK;
    if ((s = read_xattrs(fl, path, fd, err, cap)) != FUIN_OK)
        return s;
    if ((flags & FUIN_LABEL_READ_DOCS) && S_ISREG(st->st_mode)) {
        fuin__doc_kind kind = fuin__doc_kind_of_name(path);
        int own = -1;
        if (kind == FUIN__DOC_NONE && !is_age_name(path))
            return FUIN_OK;
        if (fd < 0 && (fd = own = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            return FUIN_E_IO;
        }
        if (kind == FUIN__DOC_NONE)
            read_age(fl, fd);
        else
            read_doc(fl, pol, kind, fd);
        if (own >= 0)
            close(own);
    }
    return FUIN_OK;
}

fuin_file_labels *fuin__file_labels_new(void)
{
    return calloc(1, sizeof(fuin_file_labels));
}

fuin_status fuin_file_labels_read(const char *path, const fuin_policy *policy, unsigned flags,
                                  fuin_file_labels **out, char *err, size_t cap)
{
    struct stat st;
    fuin_file_labels *fl;
    fuin_status s;
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return FUIN_E_INVALID;
    if (lstat(path, &st) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if ((fl = fuin__file_labels_new()) == NULL)
        return FUIN_E_NOMEM;
    if ((s = fuin__file_labels_read_at(path, -1, &st, policy, flags, fl, err, cap)) != FUIN_OK) {
        fuin_file_labels_free(fl);
        return s;
    }
    *out = fl;
    return FUIN_OK;
}

size_t fuin_file_labels_count(const fuin_file_labels *fl)
{
    return fl ? fl->n : 0;
}

const fuin_label_found *fuin_file_labels_get(const fuin_file_labels *fl, size_t i)
{
    return fl && i < fl->n ? &fl->v[i] : NULL;
}

void fuin_file_labels_free(fuin_file_labels *fl)
{
    if (fl == NULL)
        return;
    for (size_t i = 0; i < fl->nown; i++)
        free(fl->own[i]);
    free(fl);
}

static unsigned nparts(unsigned p)
{
    return (p & 1u) + ((p >> 1) & 1u) + ((p >> 2) & 1u);
}

fuin_status fuin_file_labels_result(const fuin_file_labels *fl, fuin_label *out, int *has,
                                    char *msg, size_t cap)
{
    const fuin_label_found *best = NULL;
    if (has != NULL)
        *has = 0;
    fuin__set_msg(msg, cap, "%s", "");
    if (fl == NULL || out == NULL || has == NULL)
        return FUIN_E_INVALID;
    for (size_t i = 0; i < fl->n; i++) {
        const fuin_label_found *a = &fl->v[i];
        if (a->parts == 0)
            continue;
        if (!a->valid) {
            fuin__set_msg(msg, cap, "%s: %s", a->where, a->problem ? a->problem : "not a label");
            return FUIN_E_LABEL_CONFLICT;
        }
        for (size_t j = 0; j < i; j++) {
            const fuin_label_found *b = &fl->v[j];
            char ta[160], tb[160];
            if (b->parts == 0 || !b->valid)
                continue;
            if (!same_label(&a->label, &b->label, a->parts & b->parts)) {
                fuin_label_format(&b->label, tb, sizeof tb);
                fuin_label_format(&a->label, ta, sizeof ta);
                fuin__set_msg(msg, cap, "%s says %s, %s says %s", b->where, tb, a->where, ta);
                return FUIN_E_LABEL_CONFLICT;
            }
        }
        if (best == NULL || nparts(a->parts) > nparts(best->parts))
            best = a;
    }
    if (best == NULL)
        return FUIN_OK;
    *out = best->label;
    if (!(best->parts & FUIN_LABEL_PART_IA))
        out->integrity = out->availability = 1;
    if (!(best->parts & FUIN_LABEL_PART_R))
        out->restrictions = 0;
    /* a less complete place may know the levels the best one lacks */
    for (size_t i = 0; i < fl->n; i++) {
        const fuin_label_found *a = &fl->v[i];
        if (a->valid && (a->parts & FUIN_LABEL_PART_IA) && !(best->parts & FUIN_LABEL_PART_IA)) {
            out->integrity = a->label.integrity;
            out->availability = a->label.availability;
        }
    }
    *has = 1;
    return FUIN_OK;
}

/* ---- writing ------------------------------------------------------------- */

static fuin_status stamp_doc(const char *path, fuin__doc_kind kind, const fuin__doc_stamp *st,
                             char *err, size_t cap)
{
    if (kind == FUIN__DOC_OOXML)
        return fuin__ooxml_write(path, st, err, cap);
    if (kind == FUIN__DOC_ODF)
        return fuin__odf_write(path, st, err, cap);
    return fuin__pdf_write(path, st, err, cap);
}

static int open_target(const char *path, const struct stat *st)
{
    return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
                          (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
}

static fuin_status xattr_fail(char *err, size_t cap)
{
    if (errno == ENOTSUP || errno == ENOSYS)
        fuin__set_msg(err, cap, "the file system does not support extended attributes "
                                "(use --no-xattr, and --name to label by name)");
    else
        fuin__set_msg(err, cap, "cannot set its extended attributes: %s", strerror(errno));
    return FUIN_E_IO;
}

/* Rename to the same name with `label`'s prefix (NULL: without any), never
 * over an existing name. */
static fuin_status rename_prefix(const char *path, const fuin_label *label, char **newpath,
                                 char *err, size_t cap)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t dl = (size_t)(base - path), pl = 0;
    char prefix[128] = "", *np;
    fuin_label old;
    int dfd;
    if (fuin__label_from_name(base, &old) != 0)
        pl = fuin__label_name_prefix_len(base);
    if (label != NULL)
        fuin_label_format_name(label, prefix, sizeof prefix);
    if (base[pl] == '\0') {
        fuin__set_msg(err, cap, "the name is nothing but a label");
        return FUIN_E_INVALID;
    }
    if ((np = malloc(dl + strlen(prefix) + strlen(base + pl) + 1)) == NULL)
        return FUIN_E_NOMEM;
    memcpy(np, path, dl);
    strcpy(np + dl, prefix);
    strcat(np + dl, base + pl);
    if (strcmp(np, path) != 0) {
        if (renameat2(AT_FDCWD, path, AT_FDCWD, np, RENAME_NOREPLACE) != 0) {
            fuin_status s = errno == EEXIST ? FUIN_E_EXISTS : FUIN_E_IO;
            fuin__set_msg(err, cap, "cannot rename it to %s: %s", np + dl, strerror(errno));
            free(np);
            return s;
        }
        /* the new name is durable before anyone is told about it */
        if (dl == 0) {
            dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else {
            char *d = strndup(path, dl);
            dfd = d ? open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
            free(d);
        }
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    if (newpath != NULL)
        *newpath = np;
    else
        free(np);
    return FUIN_OK;
}

static fuin_status lstat_target(const char *path, struct stat *st, char *err, size_t cap)
{
    if (lstat(path, st) != 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        fuin__set_msg(err, cap, S_ISLNK(st->st_mode) ? "a symbolic link: label its target"
                                                     : "not a regular file or a directory");
        return FUIN_E_INVALID;
    }
    return FUIN_OK;
}

/* Before anything changes: can the xattrs be written here, and (for a
 * document) may it be rewritten?  So that a refusal changes nothing. */
static fuin_status precheck(const char *path, const struct stat *st, int xattr, int doc,
                            char *err, size_t cap)
{
    fuin_status s;
    if (xattr) {
        int fd = open_target(path, st);
        char b[1];
        if (fd < 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            return FUIN_E_IO;
        }
        /* ENODATA: supported, just absent */
        if (fgetxattr(fd, FUIN_LABEL_XATTR, b, 0) < 0 &&
            (errno == ENOTSUP || errno == ENOSYS)) {
            s = xattr_fail(err, cap);
            close(fd);
            return s;
        }
        close(fd);
        /* user xattrs need write permission on the file (or ownership) */
        if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0) {
            fuin__set_msg(err, cap, "cannot set its extended attributes: %s", strerror(errno));
            return FUIN_E_IO;
        }
    }
    if (doc && (s = fuin__doc_may_rewrite(path, st, err, cap)) != FUIN_OK)
        return s;
    return FUIN_OK;
}

/* Both xattrs or neither: a half-written pair would be a conflict. */
static fuin_status set_xattrs(const char *path, const struct stat *st, const fuin_label *label,
                              char *err, size_t cap)
{
    int fd = open_target(path, st);
    fuin_status s;
    if (fd < 0) {
        fuin__set_msg(err, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if (fuin_label_xattr_set_fd(fd, label) != FUIN_OK) {
        s = xattr_fail(err, cap);
        (void)fremovexattr(fd, FUIN_LABEL_XATTR);
        (void)fremovexattr(fd, FUIN_CLASS_XATTR);
        close(fd);
        return s;
    }
    /* the attributes are metadata: sync them like the rest */
    (void)fsync(fd);
    close(fd);
    return FUIN_OK;
}

fuin_status fuin_file_label_set(const char *path, const fuin_label *label,
                                const fuin_policy *policy, unsigned flags, char **newpath,
                                char *err, size_t cap)
{
    struct stat st;
    fuin_status s;
    fuin__doc_kind kind;
    fuin_label old;
    const char *base;
    int doc;
    char canon[160];
    if (newpath != NULL)
        *newpath = NULL;
    fuin__set_msg(err, cap, "%s", "");
    if (path == NULL || label == NULL || label->confidentiality < 1 ||
        label->confidentiality > 3 || label->integrity < 1 || label->integrity > 2 ||
        label->availability < 1 || label->availability > 2)
        return FUIN_E_INVALID;
    if (fuin_label_format(label, canon, sizeof canon) >= sizeof canon)
        return FUIN_E_INVALID;
    if ((s = lstat_target(path, &st, err, cap)) != FUIN_OK)
        return s;
    kind = S_ISREG(st.st_mode) ? fuin__doc_kind_of_name(path) : FUIN__DOC_NONE;
    doc = (flags & FUIN_LABEL_SET_DOC) && kind != FUIN__DOC_NONE;
    if ((s = precheck(path, &st, !(flags & FUIN_LABEL_SET_NO_XATTR), doc, err, cap)) != FUIN_OK)
        return s;
    if (doc) {
        char h[256], m[128], name[64];
        fuin__doc_stamp ds;
        memset(&ds, 0, sizeof ds);
        fuin_label_format_ja(label, h, sizeof h);
        fuin_label_format_ascii(label, m, sizeof m);
        snprintf(name, sizeof name, "機密性%d", label->confidentiality);
        ds.label = h;
        ds.cls = m;
        ds.time = (int64_t)time(NULL);
        ds.msip_id = fuin_policy_msip_label(policy, label->confidentiality);
        ds.msip_name = name;
        ds.msip_site = fuin_policy_msip_site(policy);
        /* a mapped MSIP label of another class would contradict this one */
        ds.clear_msip = ds.msip_id == NULL && (fuin_policy_msip_label(policy, 1) ||
                                               fuin_policy_msip_label(policy, 2) ||
                                               fuin_policy_msip_label(policy, 3));
        fuin__doc_expect(&st);
        s = stamp_doc(path, kind, &ds, err, cap);
        fuin__doc_expect(NULL);
        if (s != FUIN_OK)
            return s;
        if (lstat(path, &st) != 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            return FUIN_E_IO;
        }
    }
    if (!(flags & FUIN_LABEL_SET_NO_XATTR) &&
        (s = set_xattrs(path, &st, label, err, cap)) != FUIN_OK)
        return s;
    /* A class prefix already in the name is made to agree (a name saying
     * 【機密性3】 over an xattr saying 機密性2 would be a conflict). */
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if ((flags & FUIN_LABEL_SET_NAME) || fuin_policy_label_name_required(policy, label) ||
        fuin__label_from_name(base, &old) != 0)
        return rename_prefix(path, label, newpath, err, cap);
    if (newpath != NULL && (*newpath = strdup(path)) == NULL)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

fuin_status fuin_file_label_clear(const char *path, unsigned flags, char **newpath, char *err,
                                  size_t cap)
{
    struct stat st;
    fuin_status s;
    fuin__doc_kind kind;
    int doc;
    if (newpath != NULL)
        *newpath = NULL;
    fuin__set_msg(err, cap, "%s", "");
    if (path == NULL)
        return FUIN_E_INVALID;
    if ((s = lstat_target(path, &st, err, cap)) != FUIN_OK)
        return s;
    kind = S_ISREG(st.st_mode) ? fuin__doc_kind_of_name(path) : FUIN__DOC_NONE;
    doc = (flags & FUIN_LABEL_SET_DOC) && kind != FUIN__DOC_NONE;
    if (doc && (s = fuin__doc_may_rewrite(path, &st, err, cap)) != FUIN_OK)
        return s;
    if (doc) {
        fuin__doc_stamp ds;
        memset(&ds, 0, sizeof ds);
        ds.clear_msip = 1;
        ds.time = (int64_t)time(NULL);
        fuin__doc_expect(&st);
        s = stamp_doc(path, kind, &ds, err, cap);
        fuin__doc_expect(NULL);
        if (s != FUIN_OK)
            return s;
        if (lstat(path, &st) != 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            return FUIN_E_IO;
        }
    }
    if (!(flags & FUIN_LABEL_SET_NO_XATTR)) {
        int fd = open_target(path, &st);
        if (fd < 0) {
            fuin__set_msg(err, cap, "%s", strerror(errno));
            return FUIN_E_IO;
        }
        if ((fremovexattr(fd, FUIN_LABEL_XATTR) != 0 && errno != ENODATA) ||
            (fremovexattr(fd, FUIN_CLASS_XATTR) != 0 && errno != ENODATA)) {
            s = (errno == ENOTSUP || errno == ENOSYS) ? FUIN_OK : xattr_fail(err, cap);
            close(fd);
            if (s != FUIN_OK)
                return s;
        } else {
            (void)fsync(fd);
            close(fd);
        }
    }
    if (flags & FUIN_LABEL_SET_NAME)
        return rename_prefix(path, NULL, newpath, err, cap);
    if (newpath != NULL && (*newpath = strdup(path)) == NULL)
        return FUIN_E_NOMEM;
    return FUIN_OK;
}

fuin_status fuin_file_label_effective_fd(int fd, const char *path, const fuin_label *given,
                                         const fuin_policy *policy, fuin_label *out, int *has,
                                         char *msg, size_t cap)
{
    fuin_file_labels *fl;
    fuin_label own;
    int own_has = 0;
    struct stat st;
    fuin_status s;
    if (has != NULL)
        *has = 0;
    fuin__set_msg(msg, cap, "%s", "");
    if (fd < 0 || out == NULL || has == NULL)
        return FUIN_E_INVALID;
    if (fstat(fd, &st) != 0) {
        fuin__set_msg(msg, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    if (S_ISREG(st.st_mode)) {
        if ((fl = fuin__file_labels_new()) == NULL)
            return FUIN_E_NOMEM;
        /* no name: standard input has none to read a prefix from */
        s = fuin__file_labels_read_at(path != NULL ? path : "", fd, &st, policy,
                                      path != NULL ? FUIN_LABEL_READ_DOCS : 0, fl, msg, cap);
        if (s == FUIN_OK)
            s = fuin_file_labels_result(fl, &own, &own_has, msg, cap);
        fuin_file_labels_free(fl);
        if (s != FUIN_OK)
            return s;
    }
    if (given == NULL) {
        if (own_has)
            *out = own;
        *has = own_has;
        return FUIN_OK;
    }
    if (own_has && (given->confidentiality < own.confidentiality ||
                    given->integrity < own.integrity || given->availability < own.availability)) {
        char g[160], o[160];
        fuin_label_format(given, g, sizeof g);
        fuin_label_format(&own, o, sizeof o);
        fuin__set_msg(msg, cap,
                      "the class given (%s) is lower than the file's own label (%s); a file is "
                      "handled at its own class or higher (label it anew with fuin label set "
                      "if it really changed)",
                      g, o);
        return FUIN_E_POLICY;
    }
    *out = *given;
    /* the file's handling restrictions are never dropped by a --class */
    if (own_has)
        out->restrictions |= own.restrictions;
    *has = 1;
    return FUIN_OK;
}

fuin_status fuin_file_label_effective(const char *path, const fuin_label *given,
                                      const fuin_policy *policy, fuin_label *out, int *has,
                                      char *msg, size_t cap)
{
    int fd;
    fuin_status s;
    if (has != NULL)
        *has = 0;
    if (path == NULL || out == NULL || has == NULL)
        return FUIN_E_INVALID;
    /* the file that will be read: a symbolic link is followed, as the
     * operation itself follows it */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0) {
        fuin__set_msg(msg, cap, "%s", strerror(errno));
        return FUIN_E_IO;
    }
    s = fuin_file_label_effective_fd(fd, path, given, policy, out, has, msg, cap);
    close(fd);
    return s;
}
