/* libFuzzer target for lib/pack/manifest.c and lib/pack/names.c: the
 * input split at LF into lines.
 *  1. The first line goes to fuin__manifest_parse_info, every further
 *     line to fuin__manifest_parse_entry.  A refusal is FUIN_E_SYNTAX (an
 *     entry: also FUIN_E_UNSAFE, a path not to create; or FUIN_E_NOMEM)
 *     with a message.  What is accepted survives
 *     the writer: fuin__manifest_info_line / fuin__manifest_entry_line of
 *     the parsed values parses back to the same values (what the packer
 *     writes, the reader reads, and means the same), and an accepted
 *     entry's path passes fuin_entry_name_check.
 *  2. Every line is also an entry name: fuin_entry_name_check,
 *     fuin_entry_collision_key (not NULL for a name the check accepts),
 *     fuin__entry_name_rename (when not NULL, its output passes
 *     fuin_entry_name_check: the invariant --rename-unsafe relies on) and
 *     fuin__label_from_name.
 * Every broken invariant is an abort().
 * With FUIN_FUZZ_MAKE_SEEDS=DIR the program writes seeds (manifests made
 * by the library's own writer, and a few entry names) into DIR and exits:
 * fuzz/run.sh and the CI smoke run make them each time. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuin.h"
#include "pack/pack_internal.h"
#include "label/label_internal.h"

static int same_label(const fuin_label *a, const fuin_label *b)
{
    return a->confidentiality == b->confidentiality && a->integrity == b->integrity &&
           a->availability == b->availability && a->restrictions == b->restrictions;
}

static void check_info(const char *line, size_t len)
{
    fuin_manifest_info info, back;
    char msg[512];
    fuin_status st;
    char *text;
    size_t tlen = 0;

    msg[0] = '\0';
    st = fuin__manifest_parse_info(line, len, &info, msg, sizeof msg);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SYNTAX && st != FUIN_E_NOMEM)
            abort();
        if (st == FUIN_E_SYNTAX && msg[0] == '\0')
            abort();
        return;
    }
    text = fuin__manifest_info_line(&info, &tlen);
    if (text == NULL)
        return; /* out of memory */
    if (tlen == 0 || text[tlen - 1] != '\n' || memchr(text, '\n', tlen - 1) != NULL)
        abort();
    /* the writer's line is read back as the same values */
    if (fuin__manifest_parse_info(text, tlen - 1, &back, msg, sizeof msg) != FUIN_OK) {
        fprintf(stderr, "fuzz_manifest: the info line written is refused: %s\n%s", msg, text);
        abort();
    }
    if (!same_label(&info.class_label, &back.class_label) || info.created != back.created ||
        strcmp(info.creator, back.creator) != 0 || strcmp(info.tool, back.tool) != 0 ||
        info.entries != back.entries || info.bytes != back.bytes ||
        info.n_recipients != back.n_recipients || strcmp(info.approval, back.approval) != 0)
        abort();
    for (size_t i = 0; i < info.n_recipients; i++)
        if (strcmp(info.recipients[i], back.recipients[i]) != 0)
            abort();
    free(text);
}

static void check_entry(const char *line, size_t len)
{
    fuin__pentry e, back;
    char msg[512];
    fuin_status st;
    char *text;
    size_t tlen = 0;

    msg[0] = '\0';
    st = fuin__manifest_parse_entry(line, len, &e, msg, sizeof msg);
    if (st != FUIN_OK) {
        if (st != FUIN_E_SYNTAX && st != FUIN_E_UNSAFE && st != FUIN_E_NOMEM)
            abort();
        if (st != FUIN_E_NOMEM && msg[0] == '\0')
            abort();
        free(e.path);
        return;
    }
    if (e.path == NULL || e.pub.path != e.path ||
        fuin_entry_name_check(e.path, strlen(e.path), NULL, 0) != FUIN_OK ||
        (e.pub.type != FUIN_ENTRY_FILE && e.pub.type != FUIN_ENTRY_DIR) ||
        e.pub.mode > 0777 || (e.pub.type == FUIN_ENTRY_DIR && e.pub.size != 0))
        abort();
    text = fuin__manifest_entry_line(&e.pub, &tlen);
    if (text != NULL) {
        if (tlen == 0 || text[tlen - 1] != '\n' || memchr(text, '\n', tlen - 1) != NULL)
            abort();
        if (fuin__manifest_parse_entry(text, tlen - 1, &back, msg, sizeof msg) != FUIN_OK) {
            fprintf(stderr, "fuzz_manifest: the entry line written is refused: %s\n%s", msg,
                    text);
            abort();
        }
        if (strcmp(back.path, e.path) != 0 || back.pub.type != e.pub.type ||
            back.pub.size != e.pub.size || back.pub.mode != e.pub.mode ||
            back.pub.mtime != e.pub.mtime ||
            memcmp(back.pub.sha256, e.pub.sha256, sizeof e.pub.sha256) != 0 ||
            back.pub.has_label != e.pub.has_label ||
            (e.pub.has_label && !same_label(&back.pub.label, &e.pub.label)))
            abort();
        free(back.path);
        free(text);
    }
    free(e.path);
}

static void check_name(const char *name, size_t len)
{
    char msg[256], *key, *fixed, *z;
    fuin_status st;
    fuin_label l;

    msg[0] = '\0';
    st = fuin_entry_name_check(name, len, msg, sizeof msg);
    if (st != FUIN_OK && (st != FUIN_E_UNSAFE || msg[0] == '\0'))
        abort();
    key = fuin_entry_collision_key(name, len);
    /* a name that may be created has a collision key: the reader takes
     * NULL for "out of memory" */
    if (st == FUIN_OK && key == NULL)
        abort();
    free(key);
    fixed = fuin__entry_name_rename(name, len);
    if (fixed != NULL) {
        /* what rename_unsafe produces must be a safe name */
        if (fuin_entry_name_check(fixed, strlen(fixed), msg, sizeof msg) != FUIN_OK) {
            fprintf(stderr, "fuzz_manifest: renamed name refused: %s\n", msg);
            abort();
        }
        free(fixed);
    }
    /* fuin__label_from_name takes a C string (a file name's last part) */
    if ((z = malloc(len + 1)) != NULL) {
        memcpy(z, name, len);
        z[len] = '\0';
        (void)fuin__label_from_name(z, &l);
        free(z);
    }
}

static void write_seed(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "wb")) == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_manifest: cannot write %s\n", path);
        exit(1);
    }
}

/* Append a line the library wrote to buf. */
static void add(char *buf, size_t *n, size_t cap, char *line, size_t len)
{
    if (line == NULL || *n + len >= cap)
        abort();
    memcpy(buf + *n, line, len);
    *n += len;
    free(line);
}

static void make_seeds(const char *dir)
{
    static const char *const names[] = {
        "docs/a.txt", "./報告/【機密性2】内訳.txt", "[C3-I2-A2 no-copy]plan.pdf",
        "../etc/passwd", "/abs", "a//b", "CON.txt", "dir/aux", "trail.", "sp ",
        "bidi\xe2\x80\xaetxt.exe", "zw\xe2\x80\x8bj", "bad\xff\xfe", "a\\b", "q?*<>|:\"",
        "Straße/STRASSE", "caf\xc3\xa9/cafe\xcc\x81",
    };
    fuin_manifest_info info;
    fuin_pack_entry e;
    char buf[16384], one[16], identity[FUIN_IDENTITY_MAX];
    size_t n = 0, len;

    if (fuin_init() != FUIN_OK)
        abort();
    memset(&info, 0, sizeof info);
    if (fuin_label_parse("C2-I2-A1 no-copy", &info.class_label, NULL, 0) != FUIN_OK)
        abort();
    info.created = 1764000000;
    snprintf(info.creator, sizeof info.creator, "山田 花子");
    snprintf(info.tool, sizeof info.tool, "fuin 0.5.0");
    info.entries = 3;
    info.bytes = 1234 + 5;
    info.n_recipients = 1;
    if (fuin_keygen(identity, sizeof identity, info.recipients[0],
                    sizeof info.recipients[0]) != FUIN_OK)
        abort();
    add(buf, &n, sizeof buf, fuin__manifest_info_line(&info, &len), len);
    memset(&e, 0, sizeof e);
    e.path = "docs";
    e.type = FUIN_ENTRY_DIR;
    e.mode = 0755;
    e.mtime = 1764000000;
    add(buf, &n, sizeof buf, fuin__manifest_entry_line(&e, &len), len);
    e.path = "docs/a.txt";
    e.type = FUIN_ENTRY_FILE;
    e.size = 1234;
    e.mode = 0644;
    for (int i = 0; i < 32; i++)
        e.sha256[i] = (uint8_t)(i * 7 + 1);
    e.has_label = 1;
    if (fuin_label_parse("C2 複製禁止", &e.label, NULL, 0) != FUIN_OK)
        abort();
    add(buf, &n, sizeof buf, fuin__manifest_entry_line(&e, &len), len);
    e.path = "docs/報告 2026.txt";
    e.size = 5;
    e.has_label = 0;
    add(buf, &n, sizeof buf, fuin__manifest_entry_line(&e, &len), len);
    write_seed(dir, "manifest-3", buf, n);

    /* an info line with no recipients and an approval, alone */
    n = 0;
    info.n_recipients = 0;
    info.entries = 0;
    info.bytes = 0;
    snprintf(info.approval, sizeof info.approval, "REQ-2026-0001");
    add(buf, &n, sizeof buf, fuin__manifest_info_line(&info, &len), len);
    write_seed(dir, "manifest-info", buf, n);

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(one, sizeof one, "name-%02zu", i);
        write_seed(dir, one, names[i], strlen(names[i]));
    }
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("FUIN_FUZZ_MAKE_SEEDS");
    (void)argc;
    (void)argv;
    if (dir != NULL)
        make_seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    const char *p = (const char *)data, *end = p + size;
    int first = 1;

    if (!ready) {
        if (fuin_init() != FUIN_OK)
            abort();
        ready = 1;
    }
    /* The whole input is a name too (a name with LFs: the check refuses it). */
    if (memchr(p, '\n', size) != NULL)
        check_name(p, size);
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (first)
            check_info(p, len);
        else
            check_entry(p, len);
        check_name(p, len);
        first = 0;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}
