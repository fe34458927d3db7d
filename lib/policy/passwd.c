/* Passphrase strength (security policy §2.5.4(3)③: long enough and hard
 * to guess), judged by libpwquality against the policy's [passphrase]
 * rules rather than by home-made rules. */
#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crack.h>
#include <pwquality.h>
#include <sodium.h>

#include "internal.h"

/* Drop a partial UTF-8 character that truncation left at the end (the
 * reason text may be a translated, multi-byte message). */
static void trim_partial_tail(char *s)
{
    size_t len = strlen(s);
    size_t start = len;
    while (start > 0 && len - start < 3 &&
           ((unsigned char)s[start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0)
        return;
    start--;
    unsigned char b = (unsigned char)s[start];
    if (b < 0x80)
        return;
    size_t want = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : 4;
    if (len - start < want)
        s[start] = '\0';
}

static fuin_status weak(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fuin_status weak(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (msg != NULL && cap > 0) {
        va_start(ap, fmt);
        int n = vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
        if (n < 0)
            msg[0] = '\0';
        else if ((size_t)n >= cap)
            trim_partial_tail(msg);
    }
    return FUIN_E_WEAK_PASSPHRASE;
}

/* The cracklib dictionary prefix the policy uses. */
static const char *dict_prefix(const fuin_policy *p)
{
    const char *d = fuin_policy_passphrase_dictionary(p);
    return d != NULL ? d : GetDefaultCracklibDict();
}

/* Where a missing dictionary comes from, for the message. */
static void dict_source(const fuin_policy *p, char *buf, size_t cap)
{
    char origin[320];
    unsigned line = 0;
    if (fuin_policy_passphrase_dictionary(p) == NULL) {
        snprintf(buf, cap, "install the Debian package cracklib-runtime");
        return;
    }
    (void)fuin_policy_value(p, "passphrase", "dictionary", NULL, 0, &line);
    fuin_policy_origin(p, line, origin, sizeof origin);
    snprintf(buf, cap,
             "named by %s: [passphrase] dictionary; build it with "
             "cracklib-packer from cracklib-runtime, or ask the CISO",
             origin);
}

/* 0 if PATH is a regular file we can open for reading, else errno
 * (EISDIR for anything that is not a regular file). */
static int readable_file(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    close(fd);
    return e;
}

static fuin_status env_error(char *msg, size_t cap, const fuin_policy *p,
                             const char *file, int e)
{
    char src[512];
    dict_source(p, src, sizeof src);
    if (e == ENOENT)
        fuin__set_msg(msg, cap,
                      "cannot check passphrases: the cracklib dictionary %s "
                      "is missing (%s)",
                      file, src);
    else
        fuin__set_msg(msg, cap,
                      "cannot check passphrases: the cracklib dictionary %s "
                      "cannot be read: %s (%s)",
                      file, e == EISDIR ? "not a regular file" : strerror(e),
                      src);
    return FUIN_E_ENVIRONMENT;
}

/* cracklib opens PREFIX.pwd (or PREFIX.pwd.gz) and PREFIX.pwi; PREFIX.hwm
 * is optional.  Looked at before libpwquality runs, because cracklib
 * reports a missing file only as "error loading dictionary" (and perror()s
 * to stderr), which would read as a verdict on the passphrase. */
fuin_status fuin_passphrase_ready(const fuin_policy *p, char *msg, size_t cap)
{
    char path[FUIN_POLICY_MAX_DICT + 16];
    const char *prefix;
    int e;

    if (msg != NULL && cap > 0)
        msg[0] = '\0';
    if (p == NULL)
        return FUIN_E_INVALID;
    prefix = dict_prefix(p);
    if (prefix == NULL || prefix[0] == '\0' ||
        strlen(prefix) > FUIN_POLICY_MAX_DICT) {
        fuin__set_msg(msg, cap,
                      "cannot check passphrases: cracklib names no usable "
                      "dictionary (install the Debian package "
                      "cracklib-runtime)");
        return FUIN_E_ENVIRONMENT;
    }
    snprintf(path, sizeof path, "%s.pwd", prefix);
    e = readable_file(path);
    if (e == ENOENT) {
        char gz[sizeof path + 3];
        snprintf(gz, sizeof gz, "%s.gz", path);
        if (readable_file(gz) == 0)
            e = 0;
    }
    if (e != 0)
        return env_error(msg, cap, p, path, e);
    snprintf(path, sizeof path, "%s.pwi", prefix);
    if ((e = readable_file(path)) != 0)
        return env_error(msg, cap, p, path, e);
    return FUIN_OK;
}

/* "policy.ini:9: [passphrase] min_length = 12" */
static void rule_text(const fuin_policy *p, const char *key, char *buf,
                      size_t cap)
{
    char value[32], origin[320];
    unsigned line = 0;
    if (fuin_policy_value(p, "passphrase", key, value, sizeof value, &line) !=
        FUIN_OK)
        value[0] = '\0';
    fuin_policy_origin(p, line, origin, sizeof origin);
    snprintf(buf, cap, "%s: [passphrase] %s = %s", origin, key, value);
}

fuin_status fuin_passphrase_check(const fuin_policy *p, const char *pass,
                                  size_t len, char *msg, size_t cap)
{
    char rule[400];

    if (msg != NULL && cap > 0)
        msg[0] = '\0';
    if (p == NULL || (pass == NULL && len > 0))
        return FUIN_E_INVALID;
    /* The machine first: a missing dictionary is never the user's fault,
     * whatever the passphrase. */
    fuin_status ready = fuin_passphrase_ready(p, msg, cap);
    if (ready != FUIN_OK)
        return ready;
    if (len > 0 && memchr(pass, '\0', len) != NULL)
        return weak(msg, cap, "passphrase too weak: it contains a NUL byte");

    int min_length = fuin_policy_passphrase_min_length(p);
    int min_quality = fuin_policy_passphrase_min_quality(p);

    /* Checked here too, before libpwquality, so the message names the
     * policy rule.  Bytes, as libpwquality counts them. */
    if (len < (size_t)min_length) {
        rule_text(p, "min_length", rule, sizeof rule);
        return weak(msg, cap,
                    "passphrase too weak: shorter than %d characters (%s)",
                    min_length, rule);
    }

    pwquality_settings_t *pwq = pwquality_default_settings();
    if (pwq == NULL)
        return FUIN_E_NOMEM;
    /* Only the library defaults plus the policy: the local
     * /etc/security/pwquality.conf is not the CISO's policy. */
    if (pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, min_length) != 0 ||
        pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 1) != 0 ||
        pwquality_set_str_value(pwq, PWQ_SETTING_DICT_PATH, dict_prefix(p)) !=
            0) {
        pwquality_free_settings(pwq);
        return FUIN_E_INVALID;
    }

    /* libpwquality wants a C string; the copy is wiped and freed. */
    char *z = sodium_malloc(len + 1);
    if (z == NULL) {
        pwquality_free_settings(pwq);
        return FUIN_E_NOMEM;
    }
    if (len > 0)
        memcpy(z, pass, len);
    z[len] = '\0';

    void *aux = NULL;
    int score = pwquality_check(pwq, z, NULL, NULL, &aux);
    sodium_memzero(z, len + 1);
    sodium_free(z);

    fuin_status st = FUIN_OK;
    if (score < 0) {
        char reason[PWQ_MAX_ERROR_MESSAGE_LEN];
        if (score == PWQ_ERROR_CRACKLIB_CHECK && aux != NULL &&
            strcmp((const char *)aux,
                   dgettext("cracklib", "error loading dictionary")) == 0) {
            /* The files are there (checked above) but cracklib cannot use
             * them: damaged, or from another cracklib version. */
            char src[512];
            dict_source(p, src, sizeof src);
            fuin__set_msg(msg, cap,
                          "cannot check passphrases: cracklib cannot load "
                          "the dictionary %s (damaged? rebuild it with "
                          "update-cracklib; %s)",
                          dict_prefix(p), src);
            pwquality_free_settings(pwq);
            return FUIN_E_ENVIRONMENT;
        }
        if (score == PWQ_ERROR_CRACKLIB_CHECK && aux != NULL) {
            /* cracklib's own words ("it is based on a dictionary word");
             * the string is static, not to be freed. */
            snprintf(reason, sizeof reason, "%s", (const char *)aux);
        } else {
            /* pwquality_strerror() frees `aux` where it owns memory */
            const char *e =
                pwquality_strerror(reason, sizeof reason, score, aux);
            if (e != reason)
                snprintf(reason, sizeof reason, "%s", e);
            /* "The password is a palindrome" -> "the password ..." */
            if (reason[0] >= 'A' && reason[0] <= 'Z' && reason[1] >= 'a' &&
                reason[1] <= 'z')
                reason[0] = (char)(reason[0] - 'A' + 'a');
        }
        st = weak(msg, cap, "passphrase too weak: %s", reason);
    } else if (score < min_quality) {
        rule_text(p, "min_quality", rule, sizeof rule);
        st = weak(msg, cap,
                  "passphrase too weak: score %d below the policy's %d (%s)",
                  score, min_quality, rule);
    }
    pwquality_free_settings(pwq);
    return st;
}
