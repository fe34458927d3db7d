/* The package manifest: JSON Lines (jansson does the JSON), one package
 * line and one line per entry.  Strict on reading: every key known, every
 * type right, nothing extra, so that what the signature covers is exactly
 * what is checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pack_internal.h"

/* ---- small containers --------------------------------------------------- */
fuin__pentry *fuin__pentries_push(fuin__pentries *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        fuin__pentry *v = realloc(a->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        a->v = v;
        a->cap = cap;
    }
    memset(&a->v[a->n], 0, sizeof a->v[0]);
    return &a->v[a->n++];
}

void fuin__pentries_clear(fuin__pentries *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!a->v[i].path_in_src)
            free(a->v[i].path);
        free(a->v[i].src);
    }
    free(a->v);
    memset(a, 0, sizeof *a);
}

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603ull;  /* FNV-1a: only for bucketing */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int set_insert(char **slot, size_t cap, char *s)
{
    size_t i = str_hash(s) & (cap - 1);
    while (slot[i] != NULL) {
        if (strcmp(slot[i], s) == 0)
            return 0;
        i = (i + 1) & (cap - 1);
    }
    slot[i] = s;
    return 1;
}

int fuin__strset_add(fuin__strset *set, char *s)
{
    int r;
    if (s == NULL)
        return -1;
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (slot == NULL) {
            free(s);
            return -1;
        }
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i] != NULL)
                (void)set_insert(slot, cap, set->slot[i]);
        free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    r = set_insert(set->slot, set->cap, s);
    if (r)
        set->n++;
    else
        free(s);
    return r;
}

int fuin__strset_has(const fuin__strset *set, const char *s)
{
    if (set->cap == 0)
        return 0;
    for (size_t i = str_hash(s) & (set->cap - 1); set->slot[i] != NULL;
         i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slot[i], s) == 0)
            return 1;
    return 0;
}

void fuin__strset_clear(fuin__strset *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slot[i]);
    free(set->slot);
    memset(set, 0, sizeof *set);
}

int fuin__label_within(const fuin_label *a, const fuin_label *c)
{
    return a->confidentiality <= c->confidentiality && a->integrity <= c->integrity &&
           a->availability <= c->availability;
}

/* ---- writing ------------------------------------------------------------ */
static char *dump_line(json_t *o, size_t *len)
{
    char *text, *line;
    size_t n;
    if (o == NULL)
        return NULL;
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL)
        return NULL;
    n = strlen(text);
    line = malloc(n + 2);
    if (line != NULL) {
        memcpy(line, text, n);
        line[n] = '\n';
        line[n + 1] = '\0';
        if (len != NULL)
            *len = n + 1;
    }
    free(text);
    return line;
}

static int put(json_t *o, const char *key, json_t *v)
{
    return v == NULL || json_object_set_new(o, key, v) != 0;
}

static json_t *time_string(int64_t t)
{
    char buf[FUIN_TIME_MAX];
    if (fuin_time_format_rfc3339(t, buf, sizeof buf) == 0)
        return NULL;
    return json_string(buf);
}

static json_t *label_string(const fuin_label *l)
{
    char buf[256];
    if (fuin_label_format(l, buf, sizeof buf) >= sizeof buf)
        return NULL;
    return json_string(buf);
}

char *fuin__manifest_info_line(const fuin_manifest_info *info, size_t *len)
{
    json_t *o = json_object(), *r = json_array();
    int bad = o == NULL || r == NULL;
    for (size_t i = 0; !bad && i < info->n_recipients; i++)
        bad |= json_array_append_new(r, json_string(info->recipients[i])) != 0;
    if (!bad) {
        bad |= put(o, "fuin-package", json_integer(1));
        bad |= put(o, "class", label_string(&info->class_label));
        bad |= put(o, "created", time_string(info->created));
        bad |= put(o, "creator", json_string(info->creator));
        bad |= put(o, "tool", json_string(info->tool));
        bad |= put(o, "hash", json_string("sha256"));
        bad |= put(o, "entries", json_integer((json_int_t)info->entries));
        bad |= put(o, "bytes", json_integer((json_int_t)info->bytes));
        bad |= json_object_set(o, "recipients", r) != 0;
        bad |= put(o, "approval", json_string(info->approval));
    }
    json_decref(r);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o, len);
}

char *fuin__manifest_entry_line(const fuin_pack_entry *e, size_t *len)
{
    json_t *o = json_object();
    char mode[8], hex[65];
    int bad = o == NULL;
    snprintf(mode, sizeof mode, "%04o", e->mode & 0777u);
    if (!bad) {
        bad |= put(o, "path", json_string(e->path));
        bad |= put(o, "type", json_string(e->type == FUIN_ENTRY_DIR ? "dir" : "file"));
        if (e->type == FUIN_ENTRY_FILE)
            bad |= put(o, "size", json_integer((json_int_t)e->size));
        bad |= put(o, "mode", json_string(mode));
        bad |= put(o, "mtime", time_string(e->mtime));
        if (e->type == FUIN_ENTRY_FILE) {
            for (int i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", e->sha256[i]);
            bad |= put(o, "sha256", json_string(hex));
        }
        if (e->has_label)
            bad |= put(o, "label", label_string(&e->label));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o, len);
}

char *fuin__bagit_line(const fuin_pack_entry *e, size_t *len)
{
    size_t n = strlen(e->path), k = 0;
    char *line = malloc(64 + 2 + 5 + 3 * n + 2);
    if (line == NULL)
        return NULL;
    for (int i = 0; i < 32; i++)
        k += (size_t)sprintf(line + k, "%02x", e->sha256[i]);
    k += (size_t)sprintf(line + k, "  data/");
    for (size_t i = 0; i < n; i++) {
        char c = e->path[i];
        if (c == '\r' || c == '\n' || c == '%')
            k += (size_t)sprintf(line + k, "%%%02X", (unsigned char)c);
        else
            line[k++] = c;
    }
    line[k++] = '\n';
    line[k] = '\0';
    *len = k;
    return line;
}

/* ---- reading ------------------------------------------------------------ */
static json_t *load_object(const char *line, size_t len, char *msg, size_t cap)
{
    json_error_t je;
    json_t *o;
    if (memchr(line, '\0', len) != NULL) {
        fuin__set_msg(msg, cap, "NUL byte in the line");
        return NULL;
    }
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        fuin__set_msg(msg, cap, "not JSON: %s (column %d)", je.text, je.column);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        fuin__set_msg(msg, cap, "not a JSON object");
        return NULL;
    }
    return o;
}

/* Exactly these keys (opt: may be absent). */
static int only_keys(json_t *o, const char *const *keys, size_t n, char *msg, size_t cap)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(k, keys[i]) == 0)
                break;
        if (i == n) {
            fuin__set_msg(msg, cap, "unknown key \"%.64s\"", k);
            return 0;
        }
    }
    return 1;
}

static const char *get_str(json_t *o, const char *key, int required, char *msg, size_t cap,
                           int *bad)
{
    json_t *v = json_object_get(o, key);
    if (*bad)
        return NULL;
    if (v == NULL) {
        if (required) {
            fuin__set_msg(msg, cap, "\"%s\" is missing", key);
            *bad = 1;
        }
        return NULL;
    }
    if (!json_is_string(v)) {
        fuin__set_msg(msg, cap, "\"%s\" is not a string", key);
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static uint64_t get_uint(json_t *o, const char *key, char *msg, size_t cap, int *bad)
{
    json_t *v = json_object_get(o, key);
    if (*bad)
        return 0;
    if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0) {
        fuin__set_msg(msg, cap, "\"%s\" is %s", key,
                      v == NULL ? "missing" : "not a non-negative integer");
        *bad = 1;
        return 0;
    }
    return (uint64_t)json_integer_value(v);
}

static int get_time(json_t *o, const char *key, int64_t *t, char *msg, size_t cap, int *bad)
{
    const char *s = get_str(o, key, 1, msg, cap, bad);
    if (s == NULL)
        return 0;
    if (fuin_time_parse_rfc3339(s, t) != FUIN_OK) {
        fuin__set_msg(msg, cap, "\"%s\" is not an RFC 3339 UTC time", key);
        *bad = 1;
        return 0;
    }
    return 1;
}

static int get_label(json_t *o, const char *key, int required, fuin_label *l, char *msg,
                     size_t cap, int *bad)
{
    const char *s = get_str(o, key, required, msg, cap, bad);
    char err[128], canon[256];
    if (s == NULL)
        return 0;
    if (fuin_label_parse(s, l, err, sizeof err) != FUIN_OK) {
        fuin__set_msg(msg, cap, "\"%s\": %s", key, err);
        *bad = 1;
        return 0;
    }
    /* Only the canonical spelling: one text, one meaning. */
    fuin_label_format(l, canon, sizeof canon);
    if (strcmp(canon, s) != 0) {
        fuin__set_msg(msg, cap, "\"%s\" is not in canonical form (\"%s\")", key, canon);
        *bad = 1;
        return 0;
    }
    return 1;
}

static int copy_text(char *dst, size_t cap, const char *s, const char *key, char *msg,
                     size_t mcap, int *bad)
{
    if (*bad || s == NULL)
        return 0;
    if (strlen(s) >= cap) {
        fuin__set_msg(msg, mcap, "\"%s\" is too long", key);
        *bad = 1;
        return 0;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 1;
}

fuin_status fuin__manifest_parse_info(const char *line, size_t len, fuin_manifest_info *info,
                                      char *msg, size_t cap)
{
    static const char *const keys[] = {"fuin-package", "class", "created", "creator", "tool",
                                       "hash", "entries", "bytes", "recipients", "approval"};
    json_t *o = load_object(line, len, msg, cap), *r;
    const char *s;
    int bad = 0;
    memset(info, 0, sizeof *info);
    if (o == NULL)
        return FUIN_E_SYNTAX;
    if (!only_keys(o, keys, sizeof keys / sizeof keys[0], msg, cap))
        bad = 1;
    if (!bad && get_uint(o, "fuin-package", msg, cap, &bad) != 1 && !bad) {
        fuin__set_msg(msg, cap, "unsupported package version");
        bad = 1;
    }
    get_label(o, "class", 1, &info->class_label, msg, cap, &bad);
    get_time(o, "created", &info->created, msg, cap, &bad);
    copy_text(info->creator, sizeof info->creator, get_str(o, "creator", 1, msg, cap, &bad),
              "creator", msg, cap, &bad);
    copy_text(info->tool, sizeof info->tool, get_str(o, "tool", 1, msg, cap, &bad), "tool",
              msg, cap, &bad);
    s = get_str(o, "hash", 1, msg, cap, &bad);
    if (s != NULL && strcmp(s, "sha256") != 0) {
        fuin__set_msg(msg, cap, "unsupported hash \"%.32s\"", s);
        bad = 1;
    }
    info->entries = get_uint(o, "entries", msg, cap, &bad);
    info->bytes = get_uint(o, "bytes", msg, cap, &bad);
    copy_text(info->approval, sizeof info->approval,
              get_str(o, "approval", 1, msg, cap, &bad), "approval", msg, cap, &bad);
    r = json_object_get(o, "recipients");
    if (!bad && (r == NULL || !json_is_array(r))) {
        fuin__set_msg(msg, cap, "\"recipients\" is not an array");
        bad = 1;
    }
    if (!bad && json_array_size(r) > FUIN_MANIFEST_MAX_RECIPIENTS) {
        fuin__set_msg(msg, cap, "more than %d recipients", FUIN_MANIFEST_MAX_RECIPIENTS);
        bad = 1;
    }
    for (size_t i = 0; !bad && i < json_array_size(r); i++) {
        json_t *v = json_array_get(r, i);
        if (!json_is_string(v) || fuin_recipient_check(json_string_value(v)) != FUIN_OK ||
            strlen(json_string_value(v)) >= FUIN_RECIPIENT_MAX) {
            fuin__set_msg(msg, cap, "\"recipients\"[%zu] is not an age recipient", i);
            bad = 1;
            break;
        }
        memcpy(info->recipients[i], json_string_value(v), strlen(json_string_value(v)) + 1);
        info->n_recipients = i + 1;
    }
    json_decref(o);
    return bad ? FUIN_E_SYNTAX : FUIN_OK;
}

fuin_status fuin__manifest_parse_entry(const char *line, size_t len, fuin__pentry *e,
                                       char *msg, size_t cap)
{
    static const char *const keys[] = {"path", "type", "size", "mode", "mtime", "sha256",
                                       "label"};
    json_t *o = load_object(line, len, msg, cap);
    const char *path, *type, *mode, *hex;
    char why[160];
    int bad = 0;
    memset(e, 0, sizeof *e);
    if (o == NULL)
        return FUIN_E_SYNTAX;
    if (!only_keys(o, keys, sizeof keys / sizeof keys[0], msg, cap))
        bad = 1;
    path = get_str(o, "path", 1, msg, cap, &bad);
    type = get_str(o, "type", 1, msg, cap, &bad);
    mode = get_str(o, "mode", 1, msg, cap, &bad);
    if (!bad && fuin_entry_name_check(path, strlen(path), why, sizeof why) != FUIN_OK) {
        fuin__set_msg(msg, cap, "\"path\": %s", why);
        json_decref(o);
        return FUIN_E_UNSAFE; /* well-formed, but not a name to create */
    }
    if (!bad && (path[strlen(path) - 1] == '/' || strncmp(path, "./", 2) == 0)) {
        fuin__set_msg(msg, cap, "\"path\" is not in canonical form");
        bad = 1;
    }
    if (!bad) {
        if (strcmp(type, "file") == 0)
            e->pub.type = FUIN_ENTRY_FILE;
        else if (strcmp(type, "dir") == 0)
            e->pub.type = FUIN_ENTRY_DIR;
        else {
            fuin__set_msg(msg, cap, "\"type\" is neither \"file\" nor \"dir\"");
            bad = 1;
        }
    }
    if (!bad) {
        char *end;
        unsigned long m = strtoul(mode, &end, 8);
        if (strlen(mode) != 4 || mode[0] != '0' || *end != '\0' || m > 0777) {
            fuin__set_msg(msg, cap, "\"mode\" is not 4 octal digits up to 0777");
            bad = 1;
        }
        e->pub.mode = (unsigned)m;
    }
    get_time(o, "mtime", &e->pub.mtime, msg, cap, &bad);
    if (!bad && e->pub.type == FUIN_ENTRY_FILE) {
        e->pub.size = get_uint(o, "size", msg, cap, &bad);
        hex = get_str(o, "sha256", 1, msg, cap, &bad);
        if (!bad) {
            int ok = strlen(hex) == 64;
            for (int i = 0; ok && i < 32; i++) {
                unsigned v;
                ok = (hex[2 * i] >= '0' && hex[2 * i] <= '9') ||
                     (hex[2 * i] >= 'a' && hex[2 * i] <= 'f');
                ok = ok && ((hex[2 * i + 1] >= '0' && hex[2 * i + 1] <= '9') ||
                            (hex[2 * i + 1] >= 'a' && hex[2 * i + 1] <= 'f'));
                if (ok && sscanf(hex + 2 * i, "%2x", &v) == 1)
                    e->pub.sha256[i] = (uint8_t)v;
            }
            if (!ok) {
                fuin__set_msg(msg, cap, "\"sha256\" is not 64 lower-case hex digits");
                bad = 1;
            }
        }
    } else if (!bad && (json_object_get(o, "size") || json_object_get(o, "sha256"))) {
        fuin__set_msg(msg, cap, "a directory has no \"size\" or \"sha256\"");
        bad = 1;
    }
    if (get_label(o, "label", 0, &e->pub.label, msg, cap, &bad))
        e->pub.has_label = 1;
    if (!bad && (e->path = strdup(path)) == NULL) {
        fuin__set_msg(msg, cap, "out of memory");
        json_decref(o);
        return FUIN_E_NOMEM;
    }
    e->pub.path = e->path;
    json_decref(o);
    return bad ? FUIN_E_SYNTAX : FUIN_OK;
}
