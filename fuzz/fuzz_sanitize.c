/* libFuzzer target for the tool-output parsers and the command text of
 * lib/wipe/sanitize.c.
 *  1. The four parsers (hdparm -I, nvme id-ctrl JSON, nvme sanitize-log
 *     JSON, hdparm --sanitize-status) take the input as it is, not
 *     NUL-terminated: no reads past it (ASan), results within their
 *     documented ranges, and on refusal the documented "nothing" values.
 *  2. The input read as a device path: fuin_sanitize_argv refuses it
 *     exactly when it is empty or not absolute, and the shell text of the
 *     command splits back, by POSIX single-quote rules, into exactly the
 *     argument vector (so showing a command can never show another). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PATH_LIMIT 512

static void check_identify(const uint8_t *data, size_t size)
{
    fuin__ata_identify id;
    int rc = fuin__parse_hdparm_identify((const char *)data, size, &id);
    const int *tri[] = {&id.security_supported, &id.security_enabled,
                        &id.security_locked, &id.security_frozen,
                        &id.security_expired, &id.enhanced_erase};
    const int *bin[] = {&id.sanitize_feature, &id.crypto_scramble,
                        &id.block_erase, &id.overwrite};
    if (rc != 0 && rc != -1)
        abort();
    for (size_t i = 0; i < sizeof tri / sizeof tri[0]; i++)
        if (*tri[i] < -1 || *tri[i] > 1)
            abort();
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
        if (*bin[i] < 0 || *bin[i] > 1)
            abort();
}

static void check_state(int rc, const fuin__sanitize_state *s, int nvme)
{
    if (rc == -1) {
        if (s->status != -1 || s->percent != -1 || s->cdw10 != -1)
            abort();
        return;
    }
    if (rc != 0)
        abort();
    if (nvme ? (s->status < 0 || s->status > 7)
             : (s->status != FUIN__SAN_NEVER && s->status != FUIN__SAN_DONE &&
                s->status != FUIN__SAN_RUNNING &&
                s->status != FUIN__SAN_FAILED &&
                s->status != FUIN__SAN_FROZEN))
        abort();
    if (s->percent < -1 || s->percent > 100)
        abort();
    if (s->percent != -1 && s->status != FUIN__SAN_RUNNING)
        abort();
    if (s->cdw10 < -1 || s->cdw10 > 0xffffffffLL || (!nvme && s->cdw10 != -1))
        abort();
}

/* Split POSIX shell words made only of safe characters, spaces between
 * words, and '...' quoting with '\'' for a quote. */
static size_t unquote(const char *s, char words[][PATH_LIMIT + 64], size_t max)
{
    size_t n = 0;
    while (*s) {
        size_t l = 0;
        if (n == max)
            abort();
        while (*s && *s != ' ') {
            if (*s == '\'') {
                for (s++; *s != '\''; s++) {
                    if (*s == '\0' || l + 1 >= PATH_LIMIT + 64)
                        abort();
                    words[n][l++] = *s;
                }
                s++;
            } else if (*s == '\\') {
                if (s[1] != '\'' || l + 1 >= PATH_LIMIT + 64)
                    abort();
                words[n][l++] = '\'';
                s += 2;
            } else {
                if (l + 1 >= PATH_LIMIT + 64)
                    abort();
                words[n][l++] = *s++;
            }
        }
        words[n][l] = '\0';
        n++;
        if (*s == ' ')
            s++;
    }
    return n;
}

static void check_command(const uint8_t *data, size_t size)
{
    static char dev[PATH_LIMIT + 1];
    static char text[8 * PATH_LIMIT];
    static char words[FUIN_SANITIZE_ARGV_MAX][PATH_LIMIT + 64];
    fuin_sanitize_cmd cmd;
    fuin_sanitize_kind kind;
    fuin_status st;
    size_t n, len;

    if (size < 1 || size > PATH_LIMIT)
        return;
    kind = (fuin_sanitize_kind)(data[0] % (FUIN_SANITIZE_KIND_MAX + 2));
    memcpy(dev, data + 1, size - 1);
    dev[size - 1] = '\0';
    if (strlen(dev) != size - 1)
        return; /* a C string cannot hold a NUL */
    st = fuin_sanitize_argv(kind, dev, NULL, &cmd);
    len = fuin_wipe_sanitize_command(kind, dev, text, sizeof text);
    if ((kind < 1 || kind > FUIN_SANITIZE_KIND_MAX) || dev[0] != '/') {
        if (st != FUIN_E_INVALID || len != 0 || text[0] != '\0')
            abort();
        return;
    }
    if (st != FUIN_OK || cmd.argc < 2 || cmd.argv[cmd.argc] != NULL)
        abort();
    if (len == 0 || len >= sizeof text || strlen(text) != len)
        abort();
    n = unquote(text, words, FUIN_SANITIZE_ARGV_MAX);
    if (n != cmd.argc)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strcmp(words[i], cmd.argv[i]) != 0)
            abort();
    /* The device is exactly one of the arguments. */
    n = 0;
    for (size_t i = 0; i < cmd.argc; i++)
        n += strcmp(cmd.argv[i], dev) == 0;
    if (n != 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuin__nvme_id_ctrl id;
    fuin__sanitize_state s;
    int rc;

    check_identify(data, size);

    rc = fuin__parse_nvme_id_ctrl((const char *)data, size, &id);
    if (rc != 0 && (rc != -1 || id.sanicap != 0 || id.fna != 0 || id.oacs != 0))
        abort();

    rc = fuin__parse_nvme_sanitize_log((const char *)data, size, &s);
    check_state(rc, &s, 1);

    rc = fuin__parse_hdparm_sanitize_status((const char *)data, size, &s);
    check_state(rc, &s, 0);

    check_command(data, size);
    return 0;
}
