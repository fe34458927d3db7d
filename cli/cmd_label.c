/* fuin label set --class LABEL [--name] [--no-doc] [--no-xattr] FILE...
 * fuin label show [--json] [--no-doc] FILE...
 * fuin label clear [--name] [--no-doc] [--no-xattr] FILE...
 * fuin label scan [--json | --csv] [--no-doc] [--cross-fs] [-o OUTPUT] DIR
 * (all take --store DIR: its policy maps MSIP labels and may require the
 * name prefix).  The work is the library's (include/fuin/label.h): this
 * file parses arguments and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "label";

enum { OPT_CLASS = 256, OPT_NAME, OPT_NO_DOC, OPT_NO_XATTR, OPT_STORE, OPT_JSON, OPT_CSV,
       OPT_CROSS_FS };

static const struct option label_options[] = {
    {"class", required_argument, NULL, OPT_CLASS},
    {"name", no_argument, NULL, OPT_NAME},
    {"no-doc", no_argument, NULL, OPT_NO_DOC},
    {"no-xattr", no_argument, NULL, OPT_NO_XATTR},
    {"store", required_argument, NULL, OPT_STORE},
    {"json", no_argument, NULL, OPT_JSON},
    {"csv", no_argument, NULL, OPT_CSV},
    {"cross-fs", no_argument, NULL, OPT_CROSS_FS},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *sub;
    const char *class_text;
    const char *store;
    const char *output;
    int name, no_doc, no_xattr, json, csv, cross_fs, force, help;
} args;

/* Which options each subcommand takes. */
static int allowed(const char *sub, int opt)
{
    switch (opt) {
    case OPT_CLASS:
        return strcmp(sub, "set") == 0;
    case OPT_NAME:
    case OPT_NO_XATTR:
        return strcmp(sub, "set") == 0 || strcmp(sub, "clear") == 0;
    case OPT_JSON:
        return strcmp(sub, "show") == 0 || strcmp(sub, "scan") == 0;
    case OPT_CSV:
    case OPT_CROSS_FS:
    case 'o':
    case 'f':
        return strcmp(sub, "scan") == 0;
    default:
        return 1;
    }
}

static int parse(int argc, char **argv, args *a)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:fh", label_options, NULL)) != -1) {
        if (c != 'h' && c != '?' && c != ':' && !allowed(a->sub, c))
            return fuin_cli_usage(CMD, "%s does not apply to \"label %s\"", argv[optind - 1],
                                  a->sub);
        switch (c) {
        case OPT_CLASS:
            if (fuin_cli_set_once(CMD, &a->class_text, optarg, "--class") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_STORE:
            if (fuin_cli_set_once(CMD, &a->store, optarg, "--store") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'o':
            if (fuin_cli_set_once(CMD, &a->output, optarg, "-o") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_NAME:
            if (fuin_cli_set_flag(CMD, &a->name, "--name") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_NO_DOC:
            if (fuin_cli_set_flag(CMD, &a->no_doc, "--no-doc") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_NO_XATTR:
            if (fuin_cli_set_flag(CMD, &a->no_xattr, "--no-xattr") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_JSON:
            if (fuin_cli_set_flag(CMD, &a->json, "--json") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_CSV:
            if (fuin_cli_set_flag(CMD, &a->csv, "--csv") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_CROSS_FS:
            if (fuin_cli_set_flag(CMD, &a->cross_fs, "--cross-fs") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'f':
            if (fuin_cli_set_flag(CMD, &a->force, "--force") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case 'h':
            a->help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
    }
    if (a->json && a->csv)
        return fuin_cli_usage(CMD, "--json and --csv exclude each other");
    return 0;
}

static int load_policy(const args *a, fuin_store **store, fuin_policy **pol)
{
    int rc;
    if ((rc = fuin_cli_open_store(CMD, a->store, store)) != 0)
        return rc;
    return fuin_cli_load_policy(CMD, *store, pol);
}

/* ---- set / clear ---------------------------------------------------------- */

static int cmd_set(const args *a, int n, char **files)
{
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_label label;
    fuin_cli_audit au = {0};
    char err[512], text[256];
    int rc = 0, worst = 0;
    unsigned flags = (a->name ? FUIN_LABEL_SET_NAME : 0) | (a->no_doc ? 0 : FUIN_LABEL_SET_DOC) |
                     (a->no_xattr ? FUIN_LABEL_SET_NO_XATTR : 0);
    if (a->class_text == NULL)
        return fuin_cli_usage(CMD, "label set needs --class LABEL");
    if (fuin_label_parse(a->class_text, &label, err, sizeof err) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "--class: %s", err);
        return FUIN_EXIT_USAGE;
    }
    if ((rc = load_policy(a, &store, &pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, NULL, NULL, &au)) != 0)
        goto out;
    fuin_label_format_ja(&label, text, sizeof text);
    for (int i = 0; i < n; i++) {
        char *now = NULL;
        fuin_status s = fuin_file_label_set(files[i], &label, pol, flags, &now, err, sizeof err);
        fuin_cli_audit_rec rec = {.op = "label", .path = s == FUIN_OK ? now : files[i],
                                  .label = &label, .method = "set",
                                  .detail = s == FUIN_OK ? NULL : err, .ok = s == FUIN_OK};
        if (fuin_cli_audit_record(&au, &rec, NULL) != 0 && worst == 0)
            worst = FUIN_EXIT_IO;
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, files[i], "%s", fuin_cli_msg(err, s));
            /* FUIN_E_INVALID here is what was named: a link, a device */
            rc = fuin_cli_exit_code(s, 1);
            if (worst == 0)
                worst = rc;
            continue;
        }
        if (strcmp(now, files[i]) != 0)
            printf("%s: %s (renamed to %s)\n", fuin_cli_safe(files[i]), text,
                   fuin_cli_safe(now));
        else
            printf("%s: %s\n", fuin_cli_safe(files[i]), text);
        free(now);
    }
    rc = worst;
out:
    fuin_cli_audit_drop(&au);
    fuin_policy_free(pol);
    fuin_store_free(store);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

static int cmd_clear(const args *a, int n, char **files)
{
    char err[512];
    int worst = 0;
    fuin_cli_audit au;
    unsigned flags = (a->name ? FUIN_LABEL_SET_NAME : 0) | (a->no_doc ? 0 : FUIN_LABEL_SET_DOC) |
                     (a->no_xattr ? FUIN_LABEL_SET_NO_XATTR : 0);
    if ((worst = fuin_cli_audit_begin(CMD, NULL, a->store, NULL, NULL, &au)) != 0)
        return worst;
    for (int i = 0; i < n; i++) {
        char *now = NULL;
        fuin_status s = fuin_file_label_clear(files[i], flags, &now, err, sizeof err);
        fuin_cli_audit_rec rec = {.op = "label", .path = s == FUIN_OK ? now : files[i],
                                  .method = "clear", .detail = s == FUIN_OK ? NULL : err,
                                  .ok = s == FUIN_OK};
        if (fuin_cli_audit_record(&au, &rec, NULL) != 0 && worst == 0)
            worst = FUIN_EXIT_IO;
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, files[i], "%s", fuin_cli_msg(err, s));
            if (worst == 0)
                worst = fuin_cli_exit_code(s, 1);
            continue;
        }
        if (strcmp(now, files[i]) != 0)
            printf("%s: label removed (renamed to %s)\n", fuin_cli_safe(files[i]),
                   fuin_cli_safe(now));
        else
            printf("%s: label removed\n", fuin_cli_safe(files[i]));
        free(now);
    }
    fuin_cli_audit_drop(&au);
    if (fuin_cli_stdout_check(CMD) != 0 && worst == 0)
        worst = FUIN_EXIT_IO;
    return worst;
}

/* ---- show ----------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    json_t *j;
    char *e;
    if (s == NULL)
        return json_null();
    if ((j = json_string(s)) != NULL)
        return j;
    /* not UTF-8: the escaped form */
    e = fuin_text_escape(s, strlen(s));
    j = json_string(e ? e : "");
    free(e);
    return j;
}

static json_t *label_obj(const fuin_label *l)
{
    char c[128], ja[256];
    fuin_label_format_ascii(l, c, sizeof c);
    fuin_label_format_ja(l, ja, sizeof ja);
    return json_pack("{s:s, s:s, s:i, s:i, s:i}", "class", c, "ja", ja, "confidentiality",
                     l->confidentiality, "integrity", l->integrity, "availability",
                     l->availability);
}

static json_t *places_json(const fuin_file_labels *fl)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < fuin_file_labels_count(fl); i++) {
        const fuin_label_found *f = fuin_file_labels_get(fl, i);
        json_t *o = json_object();
        if (o == NULL)
            break;
        json_object_set_new(o, "where", json_string(f->where));
        json_object_set_new(o, "text", jstr(f->text));
        json_object_set_new(o, "label", f->valid ? label_obj(&f->label) : json_null());
        if (!f->valid)
            json_object_set_new(o, "problem", jstr(f->problem));
        json_array_append_new(arr, o);
    }
    return arr;
}

static void print_places(const fuin_file_labels *fl)
{
    for (size_t i = 0; i < fuin_file_labels_count(fl); i++) {
        const fuin_label_found *f = fuin_file_labels_get(fl, i);
        char t[160];
        if (f->valid) {
            fuin_label_format(&f->label, t, sizeof t);
            printf("  %-13s %s%s\n", f->where, t,
                   f->parts == FUIN_LABEL_PART_ALL ? ""
                   : f->parts == FUIN_LABEL_PART_C ? " (confidentiality only)"
                                                   : " (levels only)");
        } else {
            printf("  %-13s %s: %s\n", f->where, fuin_cli_safe(f->text ? f->text : ""),
                   f->problem ? f->problem : "not a label");
        }
    }
}

/* A directory holds files: the highest class inside (its root entry, the
 * scan's last). */
typedef struct {
    int has;
    fuin_label contents;
} dir_contents;

static int on_root(void *ctx, const fuin_scan_entry *e)
{
    dir_contents *d = ctx;
    if (e->kind == FUIN_SCAN_DIR && strcmp(e->path, ".") == 0) {
        d->has = e->has_contents;
        d->contents = e->contents;
    }
    return 0;
}

static int cmd_show(const args *a, int n, char **files)
{
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    int rc, worst = 0;
    if ((rc = load_policy(a, &store, &pol)) != 0)
        goto out;
    for (int i = 0; i < n; i++) {
        fuin_file_labels *fl = NULL;
        fuin_label l;
        int has = 0;
        char err[512], msg[512];
        fuin_status s = fuin_file_labels_read(files[i], pol, a->no_doc ? 0 : FUIN_LABEL_READ_DOCS,
                                              &fl, err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, files[i], "%s", fuin_cli_msg(err, s));
            if (worst == 0)
                worst = fuin_cli_exit_code(s, 0);
            continue;
        }
        s = fuin_file_labels_result(fl, &l, &has, msg, sizeof msg);
        if (s == FUIN_E_LABEL_CONFLICT) {
            fuin_cli_error(CMD, files[i], "%s: %s", fuin_strerror(s), fuin_cli_safe(msg));
            if (worst == 0)
                worst = FUIN_EXIT_LABEL_CONFLICT;
        }
        /* what a directory holds: it is handled at the highest class
         * inside it (2.3(2)5(c)) */
        dir_contents dc = {0, {0, 0, 0, 0}};
        int lower = 0;
        if (fuin_cli_is_dir(files[i])) {
            char e2[512];
            if (fuin_label_scan(files[i], pol, a->no_doc ? 0 : FUIN_SCAN_DOCS, on_root, &dc, e2,
                                sizeof e2) != FUIN_OK)
                dc.has = 0;
            lower = has && dc.has &&
                    (l.confidentiality < dc.contents.confidentiality ||
                     l.integrity < dc.contents.integrity ||
                     l.availability < dc.contents.availability);
        }
        if (a->json) {
            json_t *o = json_object();
            char *t;
            json_object_set_new(o, "path", jstr(files[i]));
            json_object_set_new(o, "label", has ? label_obj(&l) : json_null());
            json_object_set_new(o, "conflict", s == FUIN_E_LABEL_CONFLICT ? jstr(msg) : json_null());
            json_object_set_new(o, "places", places_json(fl));
            if (fuin_cli_is_dir(files[i])) {
                json_object_set_new(o, "contents", dc.has ? label_obj(&dc.contents) : json_null());
                json_object_set_new(o, "lower_than_contents", json_boolean(lower));
            }
            t = json_dumps(o, JSON_COMPACT);
            if (t != NULL)
                printf("%s\n", t);
            free(t);
            json_decref(o);
        } else {
            char ja[256], c[128];
            if (s == FUIN_E_LABEL_CONFLICT) {
                printf("%s: CONFLICT\n", fuin_cli_safe(files[i]));
            } else if (has) {
                fuin_label_format_ja(&l, ja, sizeof ja);
                fuin_label_format_ascii(&l, c, sizeof c);
                printf("%s: %s (%s)\n", fuin_cli_safe(files[i]), ja, c);
            } else {
                printf("%s: no label\n", fuin_cli_safe(files[i]));
            }
            print_places(fl);
            if (dc.has) {
                fuin_label_format(&dc.contents, c, sizeof c);
                printf("  %-13s up to %s%s\n", "contents", c,
                       lower ? ": LOWER than the directory's label; it is handled at its "
                               "highest content"
                             : "");
            }
        }
        fuin_file_labels_free(fl);
    }
    rc = worst;
out:
    fuin_policy_free(pol);
    fuin_store_free(store);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

/* ---- scan ----------------------------------------------------------------- */

typedef struct {
    const args *a;
    const char *root;
    FILE *out;
    unsigned long files, labelled, unlabelled, conflicts, lower, name_missing, errors, others;
} scan_ctx;

static const char *kind_name(fuin_scan_kind k)
{
    switch (k) {
    case FUIN_SCAN_FILE: return "file";
    case FUIN_SCAN_DIR: return "dir";
    case FUIN_SCAN_LINK: return "symlink";
    case FUIN_SCAN_OTHER: return "other";
    case FUIN_SCAN_ERROR: return "error";
    }
    return "other";
}

/* A directory labelled lower than what it holds (§2.3(2)⑤(ウ)). */
static int lower_than_contents(const fuin_scan_entry *e)
{
    return e->kind == FUIN_SCAN_DIR && e->has_label && e->has_contents &&
           (e->label.confidentiality < e->contents.confidentiality ||
            e->label.integrity < e->contents.integrity ||
            e->label.availability < e->contents.availability);
}

static void csv_field(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', o);
        fputc(*s, o);
    }
    fputc('"', o);
}

static char *join_path(const char *root, const char *rel)
{
    size_t rl = strlen(root);
    char *p;
    if (strcmp(rel, ".") == 0)
        return strdup(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if ((p = malloc(rl + strlen(rel) + 2)) == NULL)
        return NULL;
    memcpy(p, root, rl);
    p[rl] = '/';
    strcpy(p + rl + 1, rel);
    return p;
}

static int on_entry(void *ctx, const fuin_scan_entry *e)
{
    scan_ctx *sc = ctx;
    char cls[128] = "", msg[512] = "", where[160] = "", contents[128] = "";
    const char *status;
    char *path = join_path(sc->root, e->path);
    fuin_label l;
    int has = 0;
    if (path == NULL)
        return 1;
    if (e->kind == FUIN_SCAN_FILE)
        sc->files++;
    if (e->kind == FUIN_SCAN_ERROR) {
        sc->errors++;
        status = "error";
        snprintf(msg, sizeof msg, "%s", e->error ? e->error : "");
    } else if (e->labels == NULL) {
        sc->others++;
        status = e->kind == FUIN_SCAN_LINK ? "not followed" : "skipped";
        if (e->error)
            snprintf(msg, sizeof msg, "%s", e->error);
    } else {
        size_t k = 0;
        for (size_t i = 0; i < fuin_file_labels_count(e->labels) && k < sizeof where; i++)
            k += (size_t)snprintf(where + k, sizeof where - k, "%s%s", k ? "," : "",
                                  fuin_file_labels_get(e->labels, i)->where);
        if (e->result == FUIN_E_LABEL_CONFLICT) {
            sc->conflicts++;
            status = "conflict";
            if (fuin_file_labels_result(e->labels, &l, &has, msg, sizeof msg) == FUIN_OK)
                msg[0] = '\0';
        } else if (e->has_label) {
            if (e->kind == FUIN_SCAN_FILE)
                sc->labelled++;
            status = "labelled";
            fuin_label_format_ascii(&e->label, cls, sizeof cls);
        } else {
            if (e->kind == FUIN_SCAN_FILE)
                sc->unlabelled++;
            status = "unlabelled";
        }
        if (e->has_contents)
            fuin_label_format_ascii(&e->contents, contents, sizeof contents);
        if (lower_than_contents(e)) {
            sc->lower++;
            status = "lower than contents";
            snprintf(msg, sizeof msg, "holds %s", contents);
        } else if (e->name_missing) {
            sc->name_missing++;
            status = "name prefix missing";
            snprintf(msg, sizeof msg, "the policy wants the 【】 prefix on this class");
        }
    }
    if (sc->a->json) {
        json_t *o = json_object();
        char *t;
        json_object_set_new(o, "path", jstr(path));
        json_object_set_new(o, "type", json_string(kind_name(e->kind)));
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "label",
                            e->labels && e->has_label ? label_obj(&e->label) : json_null());
        json_object_set_new(o, "places", e->labels ? places_json(e->labels) : json_array());
        json_object_set_new(o, "detail", msg[0] ? jstr(msg) : json_null());
        if (e->kind == FUIN_SCAN_DIR)
            json_object_set_new(o, "contents",
                                e->has_contents ? label_obj(&e->contents) : json_null());
        t = json_dumps(o, JSON_COMPACT);
        if (t != NULL)
            fprintf(sc->out, "%s\n", t);
        free(t);
        json_decref(o);
    } else if (sc->a->csv) {
        csv_field(sc->out, path);
        fputc(',', sc->out);
        csv_field(sc->out, kind_name(e->kind));
        fputc(',', sc->out);
        csv_field(sc->out, cls);
        fputc(',', sc->out);
        csv_field(sc->out, where);
        fputc(',', sc->out);
        csv_field(sc->out, status);
        fputc(',', sc->out);
        csv_field(sc->out, msg);
        fputs("\r\n", sc->out);
    } else {
        fprintf(sc->out, "%-10s %-20s %-19s %s%s%s\n", cls[0] ? cls : "-", where[0] ? where : "-",
                status, fuin_cli_safe(path), msg[0] ? ": " : "", fuin_cli_safe(msg));
    }
    free(path);
    return ferror(sc->out) ? 1 : 0;
}

static int cmd_scan(const args *a, int n, char **dirs)
{
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_outfile *of = NULL;
    scan_ctx sc;
    char err[512];
    fuin_status s;
    int rc;
    if (n != 1)
        return fuin_cli_usage(CMD, "label scan takes one DIR");
    if ((rc = load_policy(a, &store, &pol)) != 0)
        goto out;
    memset(&sc, 0, sizeof sc);
    sc.a = a;
    sc.root = dirs[0];
    sc.out = stdout;
    if (a->output != NULL && strcmp(a->output, "-") != 0) {
        if ((s = fuin_outfile_open(a->output, 0644, a->force ? FUIN_F_FORCE : 0, &of, err,
                                   sizeof err)) != FUIN_OK) {
            fuin_cli_error(CMD, a->output, "%s", fuin_cli_msg(err, s));
            rc = fuin_cli_exit_code(s, 0);
            goto out;
        }
        if ((sc.out = fdopen(dup(fuin_outfile_fd(of)), "w")) == NULL) {
            fuin_cli_error(CMD, a->output, "%s", strerror(errno));
            fuin_outfile_abort(of);
            rc = FUIN_EXIT_IO;
            goto out;
        }
    }
    if (a->csv)
        fputs("path,type,class,places,status,detail\r\n", sc.out);
    else if (!a->json)
        fprintf(sc.out, "%-10s %-20s %-19s %s\n", "CLASS", "PLACES", "STATUS", "PATH");
    s = fuin_label_scan(dirs[0], pol, (a->cross_fs ? FUIN_SCAN_CROSS_FS : 0) |
                                          (a->no_doc ? 0 : FUIN_SCAN_DOCS),
                        on_entry, &sc, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, dirs[0], "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
    }
    /* a write that failed stopped the scan: the inventory is short */
    if (rc == 0 && ferror(sc.out)) {
        fuin_cli_error(CMD, a->output ? a->output : FUIN_CLI_STDOUT_NAME,
                       "cannot write the inventory: %s", strerror(errno ? errno : EIO));
        rc = FUIN_EXIT_IO;
    }
    if (sc.out != stdout) {
        if (fclose(sc.out) != 0 && rc == 0) {
            fuin_cli_error(CMD, a->output, "cannot write: %s", strerror(errno));
            rc = FUIN_EXIT_IO;
        }
        if (rc == 0) {
            if ((s = fuin_outfile_commit(of, err, sizeof err)) != FUIN_OK) {
                fuin_cli_error(CMD, a->output, "%s", fuin_cli_msg(err, s));
                rc = fuin_cli_exit_code(s, 0);
            }
        } else {
            fuin_outfile_abort(of);
        }
    }
    if (rc == 0) {
        /* the summary goes to stderr: stdout is the inventory */
        fprintf(stderr,
                "fuin: label scan: %lu files: %lu labelled, %lu unlabelled; %lu conflicts, "
                "%lu directories lower than their contents, %lu missing a name prefix, "
                "%lu unreadable, %lu links and others not followed\n",
                sc.files, sc.labelled, sc.unlabelled, sc.conflicts, sc.lower, sc.name_missing,
                sc.errors, sc.others);
        if (sc.conflicts > 0)
            rc = FUIN_EXIT_LABEL_CONFLICT;
    }
out:
    fuin_policy_free(pol);
    fuin_store_free(store);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}

int fuin_cmd_label(int argc, char **argv)
{
    args a;
    int rc;
    memset(&a, 0, sizeof a);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? fuin_cli_usage(CMD, "which one: set, show, clear or scan?")
                        : fuin_cli_print_help(CMD);
    a.sub = argv[1];
    if (strcmp(a.sub, "set") != 0 && strcmp(a.sub, "show") != 0 && strcmp(a.sub, "clear") != 0 &&
        strcmp(a.sub, "scan") != 0)
        return fuin_cli_usage(CMD, "unknown subcommand \"%s\" (set, show, clear, scan)",
                              fuin_cli_safe(a.sub));
    if ((rc = parse(argc - 1, argv + 1, &a)) != 0)
        return rc;
    if (a.help)
        return fuin_cli_print_help(CMD);
    argc -= 1 + optind;
    argv += 1 + optind;
    if (argc < 1)
        return fuin_cli_usage(CMD, "label %s needs %s", a.sub,
                              strcmp(a.sub, "scan") == 0 ? "a DIR" : "at least one FILE");
    if (strcmp(a.sub, "set") == 0)
        return cmd_set(&a, argc, argv);
    if (strcmp(a.sub, "clear") == 0)
        return cmd_clear(&a, argc, argv);
    if (strcmp(a.sub, "show") == 0)
        return cmd_show(&a, argc, argv);
    return cmd_scan(&a, argc, argv);
}
