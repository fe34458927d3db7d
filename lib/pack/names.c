/* Archive entry names: what may be created beneath a directory, and when
 * two names are the same file on a case-insensitive or normalising file
 * system.  Unicode work (decoding, NFC, case folding) is libunistring's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "pack_internal.h"

/* Invisible or direction-changing characters that make one name look
 * like another (the set fuin_text_escape() escapes). */
static int invisible(ucs4_t c)
{
    return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 ||
           c == 0xFEFF || c == 0x061C;
}

static int reserved_device(const char *comp, size_t n)
{
    static const char *const names[] = {"CON", "PRN", "AUX", "NUL"};
    size_t stem = 0;
    while (stem < n && comp[stem] != '.')
        stem++;
    /* "CON", "con.txt", "Com1.tar.gz": Windows ignores the extension */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (stem == 3 && strncasecmp(comp, names[i], 3) == 0)
            return 1;
    if (stem == 4 && (strncasecmp(comp, "COM", 3) == 0 || strncasecmp(comp, "LPT", 3) == 0) &&
        comp[3] >= '1' && comp[3] <= '9')
        return 1;
    return 0;
}

fuin_status fuin_entry_name_check(const char *path, size_t len, char *msg, size_t cap)
{
    const uint8_t *p = (const uint8_t *)path;
    size_t start = 0;
    if (msg != NULL && cap > 0)
        msg[0] = '\0';
    if (path == NULL)
        return FUIN_E_INVALID;
    if (len >= 2 && path[0] == '.' && path[1] == '/')
        start = 2;
    if (len == start) {
        fuin__set_msg(msg, cap, "empty name");
        return FUIN_E_UNSAFE;
    }
    if (path[0] == '/') {
        fuin__set_msg(msg, cap, "absolute path");
        return FUIN_E_UNSAFE;
    }
    if (len > FUIN_ENTRY_PATH_MAX) {
        fuin__set_msg(msg, cap, "name longer than %u bytes", FUIN_ENTRY_PATH_MAX);
        return FUIN_E_UNSAFE;
    }
    if (u8_check(p, len) != NULL) {
        fuin__set_msg(msg, cap, "name is not valid UTF-8");
        return FUIN_E_UNSAFE;
    }
    /* A trailing '/' (a directory entry) ends the last component. */
    if (len > start + 1 && path[len - 1] == '/')
        len--;
    for (size_t i = start; i <= len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        const char *comp = path + i;
        size_t n = j - i;
        if (n == 0) {
            fuin__set_msg(msg, cap, "empty path component (\"//\")");
            return FUIN_E_UNSAFE;
        }
        if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.')) {
            fuin__set_msg(msg, cap, "\"%.*s\" component", (int)n, comp);
            return FUIN_E_UNSAFE;
        }
        if (n > 255) {
            fuin__set_msg(msg, cap, "path component longer than 255 bytes");
            return FUIN_E_UNSAFE;
        }
        if (comp[n - 1] == '.' || comp[n - 1] == ' ') {
            fuin__set_msg(msg, cap, "component ends in a %s (Windows drops it)",
                          comp[n - 1] == '.' ? "dot" : "space");
            return FUIN_E_UNSAFE;
        }
        if (n >= 13 && memcmp(comp, ".fuin-unpack-", 13) == 0) {
            fuin__set_msg(msg, cap, "names starting with .fuin-unpack- are fuin's private "
                                    "directories");
            return FUIN_E_UNSAFE;
        }
        if (reserved_device(comp, n)) {
            fuin__set_msg(msg, cap, "\"%.*s\" is a reserved device name on Windows",
                          (int)n, comp);
            return FUIN_E_UNSAFE;
        }
        for (size_t k = 0; k < n;) {
            ucs4_t c;
            int l = u8_mbtouc(&c, (const uint8_t *)comp + k, n - k);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                fuin__set_msg(msg, cap, "control character U+%04X in the name", (unsigned)c);
                return FUIN_E_UNSAFE;
            }
            if (invisible(c)) {
                fuin__set_msg(msg, cap,
                              "invisible or direction-changing character U+%04X in "
                              "the name", (unsigned)c);
                return FUIN_E_UNSAFE;
            }
            if (c == '\\' || c == '<' || c == '>' || c == ':' || c == '"' || c == '|' ||
                c == '?' || c == '*') {
                fuin__set_msg(msg, cap, "character '%c' is not allowed in names on Windows",
                              (char)c);
                return FUIN_E_UNSAFE;
            }
            k += (size_t)l;
        }
        i = j + 1;
    }
    return FUIN_OK;
}

char *fuin_entry_collision_key(const char *path, size_t len)
{
    size_t n = 0;
    uint8_t *folded;
    char *out;
    if (path == NULL || u8_check((const uint8_t *)path, len) != NULL)
        return NULL;
    if (len >= 2 && path[0] == '.' && path[1] == '/') {
        path += 2;
        len -= 2;
    }
    while (len > 1 && path[len - 1] == '/')
        len--;
    folded = u8_casefold((const uint8_t *)path, len, NULL, UNINORM_NFC, NULL, &n);
    if (folded == NULL)
        return NULL;
    out = malloc(n + 1);
    if (out != NULL) {
        memcpy(out, folded, n);
        out[n] = '\0';
    }
    free(folded);
    return out;
}

char *fuin__entry_name_rename(const char *path, size_t len)
{
    /* Each component on its own: bad characters become '_', "." and ".."
     * become "_" and "__", a reserved device name or a trailing dot or
     * space gets a '_' appended, empty components are dropped. */
    char *out = malloc(len * 3 + 8), *o = out;
    size_t i = 0;
    if (out == NULL)
        return NULL;
    while (i < len && path[i] == '/')
        i++;
    while (i < len) {
        size_t j = i, k;
        char *start = o;
        while (j < len && path[j] != '/')
            j++;
        if (j == i) {
            i++;
            continue;
        }
        if (o != out)
            *o++ = '/';
        start = o;
        for (k = i; k < j;) {
            ucs4_t c;
            int l = u8_mbtouc(&c, (const uint8_t *)path + k, j - k);
            if (l < 1)
                l = 1;
            if (c == 0xFFFD || c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) ||
                invisible(c) || c == '\\' || c == '<' || c == '>' || c == ':' || c == '"' ||
                c == '|' || c == '?' || c == '*')
                *o++ = '_';
            else {
                memcpy(o, path + k, (size_t)l);
                o += l;
            }
            k += (size_t)l;
        }
        if ((o - start == 1 && start[0] == '.') ||
            (o - start == 2 && start[0] == '.' && start[1] == '.'))
            memset(start, '_', (size_t)(o - start));
        else if (reserved_device(start, (size_t)(o - start))) {
            /* "aux.txt" -> "aux_.txt": Windows ignores the extension */
            char *dot = memchr(start, '.', (size_t)(o - start));
            char *at = dot ? dot : o;
            memmove(at + 1, at, (size_t)(o - at));
            *at = '_';
            o++;
        }
        if (o[-1] == '.' || o[-1] == ' ')
            *o++ = '_';
        if (o - start > 255)
            o = start + 255; /* may cut a character: checked again below */
        i = j + 1;
    }
    if (o == out)
        *o++ = '_';
    *o = '\0';
    if (fuin_entry_name_check(out, strlen(out), NULL, 0) != FUIN_OK) {
        free(out);
        return NULL;
    }
    return out;
}
