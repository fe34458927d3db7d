/* Trust store, name resolution and release verification (docs/trust.md).
 * Uses only the public API of the sign and card modules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MAX_KEY_FILE (16u * 1024u)
#define MAX_SIG_FILE (64u * 1024u)
#define MAX_CERT_FILE (64u * 1024u)
#define MAX_LIST_FILE (16u * 1024u * 1024u)
#define MAX_POLICY_FILE (1024u * 1024u)

struct fuin_store {
    fuin_pubkey root;
    fuin_revocations *rl;  /* NULL: no list */
    fuin_cert *certs;
    size_t ncerts;
    char *policy;          /* NULL: no policy installed */
    size_t policy_len;
    char *policy_path;
    int64_t policy_signed; /* timestamp: of policy.ini.minisig, 0: none */
    char *dir;             /* NULL for fuin_store_open_root() stores */
    int64_t now;           /* 0: the clock */
};

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + (size_t)slash, name, b + 1);
    return p;
}

/* Whole file into a NUL-terminated buffer.  *missing is set (and FUIN_E_IO
 * returned) when the file does not exist, so callers can treat optional
 * files as absent. */
static fuin_status read_file(const char *path, size_t max, char **out,
                             size_t *len, int *missing, char *err, size_t errcap)
{
    struct stat sb;
    *out = NULL;
    *len = 0;
    if (missing)
        *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && missing)
            *missing = 1;
        fuin__set_msg(err, errcap, "%s: %s", path, strerror(errno));
        return FUIN_E_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fuin__set_msg(err, errcap, "%s: not a regular file", path);
        close(fd);
        return FUIN_E_IO;
    }
    if ((uint64_t)sb.st_size > max) {
        fuin__set_msg(err, errcap, "%s: larger than %zu bytes", path, max);
        close(fd);
        return FUIN_E_LIMIT;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    if (buf == NULL) {
        close(fd);
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    size_t got = 0;
    for (;;) {
        if (got > max) {
            fuin__set_msg(err, errcap, "%s: larger than %zu bytes", path, max);
            free(buf);
            close(fd);
            return FUIN_E_LIMIT;
        }
        size_t room = (size_t)sb.st_size - got;
        if (room == 0) {
            /* the file may have grown since fstat: one more byte tells */
            char extra;
            ssize_t r = read(fd, &extra, 1);
            if (r == 0)
                break;
            if (r < 0 && errno == EINTR)
                continue;
            fuin__set_msg(err, errcap, "%s: %s", path,
                    r < 0 ? strerror(errno) : "changed while being read");
            free(buf);
            close(fd);
            return FUIN_E_IO;
        }
        ssize_t r = read(fd, buf + got, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fuin__set_msg(err, errcap, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return FUIN_E_IO;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return FUIN_OK;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

void fuin_store_free(fuin_store *s)
{
    if (s == NULL)
        return;
    fuin_revocations_free(s->rl);
    free(s->certs);
    free(s->policy);
    free(s->policy_path);
    free(s->dir);
    free(s);
}

static fuin_status load_root(fuin_store *s, const char *path, char *err,
                             size_t errcap)
{
    char *text;
    size_t len;
    char perr[FUIN_ERRMSG_MAX];
    fuin_status st = read_file(path, MAX_KEY_FILE, &text, &len, NULL, err, errcap);
    if (st != FUIN_OK)
        return st;
    perr[0] = '\0';
    st = fuin_pubkey_parse(text, len, &s->root, perr, sizeof perr);
    free(text);
    if (st != FUIN_OK)
        fuin__set_msg(err, errcap, "%s: %s", path,
                perr[0] ? perr : fuin_strerror(st));
    return st;
}

/* A text and its signature file PATH.minisig; *missing when PATH does not
 * exist.  A signature without its text is refused: deleting the text
 * alone must not quietly remove what it says. */
static fuin_status load_signed(const char *path, size_t max, char **text,
                               size_t *len, char **sig, size_t *siglen,
                               int *missing, char *err, size_t errcap)
{
    char *sigpath = NULL;
    fuin_status st;
    size_t n = strlen(path);

    *text = *sig = NULL;
    *missing = 0;
    sigpath = malloc(n + sizeof ".minisig");
    if (sigpath == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    memcpy(sigpath, path, n);
    memcpy(sigpath + n, ".minisig", sizeof ".minisig");

    int miss = 0;
    st = read_file(path, max, text, len, &miss, err, errcap);
    if (st != FUIN_OK) {
        if (miss) {
            if (file_exists(sigpath)) {
                fuin__set_msg(err, errcap, "%s: missing, but %s is present", path,
                        sigpath);
                st = FUIN_E_SIGNATURE;
            } else {
                *missing = 1;
                st = FUIN_OK;
            }
        }
        goto out;
    }
    st = read_file(sigpath, MAX_SIG_FILE, sig, siglen, &miss, err, errcap);
    if (st != FUIN_OK) {
        if (miss) {
            fuin__set_msg(err, errcap, "%s: signature missing (no %s)", path, sigpath);
            st = FUIN_E_SIGNATURE;
        }
        free(*text);
        *text = NULL;
    }
out:
    free(sigpath);
    return st;
}

static fuin_status load_revocations(fuin_store *s, const char *path,
                                    int required, char *err, size_t errcap)
{
    char *text, *sig;
    size_t len, siglen;
    int missing;
    char perr[FUIN_ERRMSG_MAX];
    fuin_status st = load_signed(path, MAX_LIST_FILE, &text, &len, &sig,
                                 &siglen, &missing, err, errcap);
    if (st != FUIN_OK)
        return st;
    if (missing) {
        if (required) {
            fuin__set_msg(err, errcap, "%s: %s", path, strerror(ENOENT));
            return FUIN_E_IO;
        }
        return FUIN_OK;
    }
    st = fuin_revocations_parse_verified(text, len, sig, siglen, &s->root,
                                         &s->rl, perr, sizeof perr);
    if (st != FUIN_OK)
        fuin__set_msg(err, errcap, "%s: %s", path, perr);
    free(text);
    free(sig);
    return st;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static fuin_status load_certs(fuin_store *s, const char *dir, char *err,
                              size_t errcap)
{
    char *cdir = join(dir, "certs");
    char **names = NULL;
    size_t n = 0, cap = 0;
    fuin_status st = FUIN_OK;

    if (cdir == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    DIR *d = opendir(cdir);
    if (d == NULL) {
        if (errno == ENOENT) {
            free(cdir);
            return FUIN_OK;
        }
        fuin__set_msg(err, errcap, "%s: %s", cdir, strerror(errno));
        free(cdir);
        return FUIN_E_IO;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        if (e->d_name[0] == '.' || k <= 5 ||
            strcmp(e->d_name + k - 5, ".cert") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (nn == NULL) {
                st = FUIN_E_NOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            st = FUIN_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (st == FUIN_OK && n > 0) {
        qsort(names, n, sizeof *names, cmp_names);
        s->certs = calloc(n, sizeof *s->certs);
        if (s->certs == NULL)
            st = FUIN_E_NOMEM;
    }
    if (st == FUIN_E_NOMEM)
        fuin__set_msg(err, errcap, "out of memory");
    for (size_t i = 0; st == FUIN_OK && i < n; i++) {
        char *path = join(cdir, names[i]);
        char *text = NULL, *sig = NULL;
        size_t len, siglen;
        int missing;
        char perr[FUIN_ERRMSG_MAX];
        if (path == NULL) {
            fuin__set_msg(err, errcap, "out of memory");
            st = FUIN_E_NOMEM;
            break;
        }
        st = load_signed(path, MAX_CERT_FILE, &text, &len, &sig, &siglen,
                         &missing, err, errcap);
        if (st == FUIN_OK && missing) {
            fuin__set_msg(err, errcap, "%s: disappeared while the store was read",
                    path);
            st = FUIN_E_IO;
        }
        if (st == FUIN_OK) {
            st = fuin_cert_verify(text, len, sig, siglen, &s->root,
                                  &s->certs[s->ncerts], perr, sizeof perr);
            if (st == FUIN_OK)
                s->ncerts++;
            else
                fuin__set_msg(err, errcap, "%s: %s", path, perr);
        }
        free(text);
        free(sig);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(cdir);
    return st;
}

/* minisign's own first field, "timestamp:N", of a trusted comment. */
static int comment_timestamp(const char *tc, int64_t *t)
{
    static const char key[] = "timestamp:";
    int64_t v = 0;
    size_t i = sizeof key - 1;
    if (tc == NULL || strncmp(tc, key, sizeof key - 1) != 0)
        return -1;
    if (tc[i] < '0' || tc[i] > '9')
        return -1;
    for (; tc[i] >= '0' && tc[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (tc[i] - '0');
    }
    if (tc[i] != '\0' && tc[i] != '\t')
        return -1;
    *t = v;
    return 0;
}

static fuin_status verify_detached(const char *text, size_t len,
                                   const char *sig, size_t siglen,
                                   const fuin_pubkey *pk, int64_t *signed_at,
                                   char *why, size_t whycap)
{
    uint8_t keyid[FUIN_KEYID_BYTES];
    char have[FUIN_KEYID_HEX], want[FUIN_KEYID_HEX];
    fuin_verifier *v = fuin_verifier_new();
    if (v == NULL) {
        fuin__set_msg(why, whycap, "out of memory");
        return FUIN_E_NOMEM;
    }
    fuin_status st = fuin_verifier_load(v, sig, siglen);
    if (st != FUIN_OK) {
        fuin__set_msg(why, whycap, "%s", fuin_verifier_errmsg(v));
        goto out;
    }
    fuin_verifier_keyid(v, keyid);
    if (memcmp(keyid, pk->keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(keyid, have);
        fuin_keyid_hex(pk->keyid, want);
        fuin__set_msg(why, whycap, "signed by another key (key id %s, expected %s)",
                have, want);
        st = FUIN_E_WRONG_KEY;
        goto out;
    }
    st = fuin_verify_update(v, (const uint8_t *)text, len);
    if (st == FUIN_OK)
        st = fuin_verify_final(v, pk);
    if (st == FUIN_OK && signed_at != NULL &&
        comment_timestamp(fuin_verifier_trusted_comment(v), signed_at) != 0)
        *signed_at = 0;
    if (st == FUIN_E_SIGNATURE)
        fuin__set_msg(why, whycap, "the file was modified");
    else if (st == FUIN_E_COMMENT)
        fuin__set_msg(why, whycap, "the trusted comment was modified");
    else if (st != FUIN_OK)
        fuin__set_msg(why, whycap, "%s", fuin_verifier_errmsg(v));
out:
    fuin_verifier_free(v);
    return st;
}

static fuin_status load_policy(fuin_store *s, const char *dir, char *err,
                               size_t errcap)
{
    char *path = join(dir, "policy.ini");
    char *text = NULL, *sig = NULL;
    size_t len, siglen;
    int missing;
    char why[FUIN_ERRMSG_MAX];
    fuin_status st;

    if (path == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    st = load_signed(path, MAX_POLICY_FILE, &text, &len, &sig, &siglen,
                     &missing, err, errcap);
    if (st != FUIN_OK || missing) {
        free(path);
        return st;
    }
    st = verify_detached(text, len, sig, siglen, &s->root, &s->policy_signed,
                         why, sizeof why);
    free(sig);
    if (st == FUIN_E_NOMEM) {
        fuin__set_msg(err, errcap, "out of memory");
    } else if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "%s: signature invalid: %s", path, why);
        st = FUIN_E_SIGNATURE;
    }
    if (st != FUIN_OK) {
        free(text);
        free(path);
        return st;
    }
    s->policy = text;
    s->policy_len = len;
    s->policy_path = path;
    return FUIN_OK;
}

fuin_status fuin_store_open(const char *dir, fuin_store **out, char *err,
                            size_t errcap)
{
    fuin_status st;
    char *path = NULL;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (dir == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        fuin__set_msg(err, errcap, "%s: %s", dir, strerror(errno));
        return FUIN_E_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        fuin__set_msg(err, errcap, "%s: not a directory", dir);
        return FUIN_E_IO;
    }
    fuin_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    st = FUIN_E_NOMEM;
    if ((path = join(dir, "root.pub")) != NULL) {
        st = load_root(s, path, err, errcap);
        free(path);
    } else {
        fuin__set_msg(err, errcap, "out of memory");
    }
    if (st == FUIN_OK) {
        st = FUIN_E_NOMEM;
        if ((path = join(dir, "revoked.txt")) != NULL) {
            st = load_revocations(s, path, 0, err, errcap);
            free(path);
        } else {
            fuin__set_msg(err, errcap, "out of memory");
        }
    }
    if (st == FUIN_OK)
        st = load_certs(s, dir, err, errcap);
    if (st == FUIN_OK)
        st = load_policy(s, dir, err, errcap);
    if (st == FUIN_OK && (s->dir = strdup(dir)) == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        st = FUIN_E_NOMEM;
    }
    if (st != FUIN_OK) {
        fuin_store_free(s);
        return st;
    }
    *out = s;
    return FUIN_OK;
}

fuin_status fuin_store_open_root(const char *root_pub_path,
                                 const char *revoked_path, fuin_store **out,
                                 char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (root_pub_path == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    fuin_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    fuin_status st = load_root(s, root_pub_path, err, errcap);
    if (st == FUIN_OK && revoked_path != NULL)
        st = load_revocations(s, revoked_path, 1, err, errcap);
    if (st != FUIN_OK) {
        fuin_store_free(s);
        return st;
    }
    *out = s;
    return FUIN_OK;
}

const fuin_pubkey *fuin_store_root(const fuin_store *s)
{
    return s ? &s->root : NULL;
}

const fuin_revocations *fuin_store_revocations(const fuin_store *s)
{
    return s ? s->rl : NULL;
}

size_t fuin_store_cert_count(const fuin_store *s)
{
    return s ? s->ncerts : 0;
}

const fuin_cert *fuin_store_cert(const fuin_store *s, size_t i)
{
    return s && i < s->ncerts ? &s->certs[i] : NULL;
}

const char *fuin_store_policy_text(const fuin_store *s, size_t *len)
{
    if (len)
        *len = s && s->policy ? s->policy_len : 0;
    return s ? s->policy : NULL;
}

const char *fuin_store_policy_path(const fuin_store *s)
{
    return s ? s->policy_path : NULL;
}

int64_t fuin_store_policy_signed(const fuin_store *s)
{
    return s && s->policy ? s->policy_signed : 0;
}

fuin_status fuin_store_check_policy_update(const fuin_store *s,
                                           const char *text, size_t len,
                                           const char *sig, size_t siglen,
                                           int64_t *signed_at, char *err,
                                           size_t errcap)
{
    char why[FUIN_ERRMSG_MAX], t1[FUIN_TIME_MAX], t2[FUIN_TIME_MAX];
    int64_t when = 0;
    fuin_policy *p = NULL;
    fuin_status st;

    if (err && errcap)
        err[0] = '\0';
    if (s == NULL || text == NULL || sig == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    st = verify_detached(text, len, sig, siglen, &s->root, &when, why, sizeof why);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "signature invalid: %s", why);
        return st == FUIN_E_NOMEM ? st : FUIN_E_SIGNATURE;
    }
    st = fuin_policy_parse(text, len, NULL, &p, why, sizeof why);
    fuin_policy_free(p);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "%s", why);
        return st;
    }
    if (s->policy != NULL && when < s->policy_signed) {
        fuin_time_format_rfc3339(when, t1, sizeof t1);
        fuin_time_format_rfc3339(s->policy_signed, t2, sizeof t2);
        fuin__set_msg(err, errcap,
                      "older than the installed policy (signed %s; the "
                      "installed one was signed %s): an old policy cannot be "
                      "put back",
                      t1, t2);
        return FUIN_E_POLICY;
    }
    if (signed_at)
        *signed_at = when;
    return FUIN_OK;
}

fuin_status fuin_store_check_revocations_update(const fuin_store *s,
                                                const char *text, size_t len,
                                                const char *sig, size_t siglen,
                                                fuin_revocations **out,
                                                char *err, size_t errcap)
{
    char why[FUIN_ERRMSG_MAX], t1[FUIN_TIME_MAX], t2[FUIN_TIME_MAX];
    fuin_revocations *rl = NULL;
    fuin_status st;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (s == NULL || text == NULL || sig == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    st = fuin_revocations_parse_verified(text, len, sig, siglen, &s->root, &rl,
                                         why, sizeof why);
    if (st != FUIN_OK) {
        fuin__set_msg(err, errcap, "%s", why);
        return st;
    }
    if (s->rl != NULL) {
        if (fuin_revocations_updated(rl) < fuin_revocations_updated(s->rl)) {
            fuin_time_format_rfc3339(fuin_revocations_updated(rl), t1, sizeof t1);
            fuin_time_format_rfc3339(fuin_revocations_updated(s->rl), t2, sizeof t2);
            fuin__set_msg(err, errcap,
                          "older than the installed revocation list (updated "
                          "%s; the installed one %s): an old list cannot be "
                          "put back",
                          t1, t2);
            fuin_revocations_free(rl);
            return FUIN_E_POLICY;
        }
        /* A revocation is for good: a list without one of the installed
         * entries is refused whatever its date. */
        for (size_t i = 0; i < fuin_revocations_count(s->rl); i++) {
            uint8_t id[FUIN_KEYID_BYTES];
            char hex[FUIN_KEYID_HEX];
            if (fuin_revocations_entry(s->rl, i, id, NULL, NULL) == FUIN_OK &&
                !fuin_revocations_find(rl, id, NULL, NULL)) {
                fuin_keyid_hex(id, hex);
                fuin__set_msg(err, errcap,
                              "it no longer lists key %s, which the installed "
                              "list revokes: a revocation cannot be undone",
                              hex);
                fuin_revocations_free(rl);
                return FUIN_E_POLICY;
            }
        }
    }
    if (out)
        *out = rl;
    else
        fuin_revocations_free(rl);
    return FUIN_OK;
}

/* ---- single-use approvals ------------------------------------------------ */

/* DIR/used/HASH, HASH being 64 lower-case hex digits. */
static char *used_path(const fuin_store *s, const char *hash, int mkdir_too)
{
    char name[80], *dir, *p;
    if (s == NULL || s->dir == NULL || hash == NULL || strlen(hash) != 64 ||
        strspn(hash, "0123456789abcdef") != 64)
        return NULL;
    if ((dir = join(s->dir, "used")) == NULL)
        return NULL;
    if (mkdir_too)
        (void)mkdir(dir, 0755);
    snprintf(name, sizeof name, "%s", hash);
    p = join(dir, name);
    free(dir);
    return p;
}

static void sync_dir_of(const char *path)
{
    char *d = strdup(path), *slash;
    int fd;
    if (d == NULL)
        return;
    slash = strrchr(d, '/');
    if (slash != NULL)
        *slash = '\0';
    fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(d);
}

fuin_status fuin_store_approval_used(const fuin_store *s, const char *hash,
                                     char *note, size_t cap)
{
    char *p = used_path(s, hash, 0);
    FILE *f;
    if (note && cap)
        note[0] = '\0';
    if (p == NULL)
        return s == NULL || s->dir == NULL || hash == NULL ? FUIN_E_INVALID
                                                           : FUIN_E_NOMEM;
    f = fopen(p, "re");
    if (f == NULL) {
        int e = errno;
        free(p);
        return e == ENOENT ? FUIN_E_NO_MATCH : FUIN_E_IO;
    }
    if (note && cap) {
        size_t n = fread(note, 1, cap - 1, f);
        note[n] = '\0';
        while (n > 0 && (note[n - 1] == '\n' || note[n - 1] == '\r'))
            note[--n] = '\0';
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)note[i] < 0x20)
                note[i] = ' ';
        fuin__utf8_trim_tail(note);
    }
    fclose(f);
    free(p);
    return FUIN_OK;
}

fuin_status fuin_store_approval_claim(const fuin_store *s, const char *hash,
                                      const char *note, char *err, size_t errcap)
{
    char *p = used_path(s, hash, 1);
    int fd, e;
    size_t n;
    if (err && errcap)
        err[0] = '\0';
    if (p == NULL || note == NULL || strchr(note, '\n') != NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        free(p);
        return FUIN_E_INVALID;
    }
    /* O_EXCL: of two operators starting at the same instant, one wins. */
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        e = errno;
        if (e == EEXIST) {
            char before[512];
            (void)fuin_store_approval_used(s, hash, before, sizeof before);
            fuin__set_msg(err, errcap, "%s: %s", p, before[0] ? before : "claimed");
            free(p);
            return FUIN_E_EXISTS;
        }
        fuin__set_msg(err, errcap, "%s: %s", p, strerror(e));
        free(p);
        return FUIN_E_IO;
    }
    n = strlen(note);
    if ((e = fuin__write_all(fd, note, n)) != 0 ||
        (e = fuin__write_all(fd, "\n", 1)) != 0 || (fsync(fd) != 0 && (e = errno))) {
        close(fd);
        unlink(p);
        fuin__set_msg(err, errcap, "%s: %s", p, strerror(e));
        free(p);
        return FUIN_E_IO;
    }
    if (close(fd) != 0) {
        e = errno;
        unlink(p);
        fuin__set_msg(err, errcap, "%s: %s", p, strerror(e));
        free(p);
        return FUIN_E_IO;
    }
    sync_dir_of(p);
    free(p);
    return FUIN_OK;
}

fuin_status fuin_store_approval_release(const fuin_store *s, const char *hash)
{
    char *p = used_path(s, hash, 0);
    fuin_status st = FUIN_OK;
    if (p == NULL)
        return FUIN_E_INVALID;
    if (unlink(p) != 0 && errno != ENOENT)
        st = FUIN_E_IO;
    else
        sync_dir_of(p);
    free(p);
    return st;
}

void fuin_store_set_time(fuin_store *s, int64_t now)
{
    if (s)
        s->now = now;
}

static int64_t store_now(const fuin_store *s)
{
    return s->now ? s->now : (int64_t)time(NULL);
}

/* "山田 花子 (hanako@example.lg.jp)", or the key id when there is no
 * e-mail, so two namesakes can be told apart. */
static void person(const fuin_cert *c, char *buf, size_t cap)
{
    if (c->card.email[0]) {
        snprintf(buf, cap, "%s (%s)", c->card.name, c->card.email);
    } else {
        char hex[FUIN_KEYID_HEX];
        fuin_keyid_hex(c->card.sign_pk.keyid, hex);
        snprintf(buf, cap, "%s (key id %s)", c->card.name, hex);
    }
    fuin__utf8_trim_tail(buf);
}

static fuin_status cert_state(const fuin_store *s, const fuin_cert *c,
                              int64_t now, char *err, size_t errcap)
{
    char who[2 * FUIN_TEXT_MAX + 32], ts[FUIN_TIME_MAX], hex[FUIN_KEYID_HEX];
    int64_t when;
    const char *reason;

    if (fuin_revocations_find(s->rl, c->card.sign_pk.keyid, &when, &reason)) {
        person(c, who, sizeof who);
        fuin_keyid_hex(c->card.sign_pk.keyid, hex);
        fuin_time_format_rfc3339(when, ts, sizeof ts);
        fuin__set_msg(err, errcap, "%s: key %s revoked on %s: %s", who, hex, ts,
                reason);
        return FUIN_E_REVOKED;
    }
    if (now < c->valid_from) {
        person(c, who, sizeof who);
        fuin_time_format_rfc3339(c->valid_from, ts, sizeof ts);
        fuin__set_msg(err, errcap, "%s: certificate not valid before %s", who, ts);
        return FUIN_E_EXPIRED;
    }
    if (now > c->valid_until) {
        person(c, who, sizeof who);
        fuin_time_format_rfc3339(c->valid_until, ts, sizeof ts);
        fuin__set_msg(err, errcap, "%s: certificate expired on %s", who, ts);
        return FUIN_E_EXPIRED;
    }
    return FUIN_OK;
}

fuin_status fuin_store_check_cert(const fuin_store *s, const fuin_cert *c,
                                  char *err, size_t errcap)
{
    if (err && errcap)
        err[0] = '\0';
    if (s == NULL || c == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    return cert_state(s, c, store_now(s), err, errcap);
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int ascii_caseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return 0;
    return *a == *b;
}

/* Names compare without spaces (ASCII or ideographic U+3000) and without
 * ASCII case: "山田花子", "山田　花子" and "山田 花子" are one name. */
static void name_key(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    while (*s && o + 1 < cap) {
        if (*s == ' ' || *s == '\t') {
            s++;
        } else if (memcmp(s, "\xE3\x80\x80", 3) == 0) {
            s += 3;
        } else {
            out[o++] = ascii_lower(*s++);
        }
    }
    out[o] = '\0';
}

/* Trim ASCII white space and U+3000 at both ends into buf. */
static int trim_copy(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    for (;;) {
        if (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
            s++, n--;
        } else if (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) {
            s += 3, n -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        char c = n ? s[n - 1] : 0;
        if (n && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            n--;
        } else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0) {
            n -= 3;
        } else {
            break;
        }
    }
    if (n >= cap)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 0;
}

enum { BY_NAME, BY_EMAIL, BY_RECIPIENT };

static int matches(const fuin_cert *c, int kind, const char *who,
                   const char *who_key)
{
    char key[FUIN_TEXT_MAX];
    switch (kind) {
    case BY_RECIPIENT:
        return strcmp(c->card.age_recipient, who) == 0;
    case BY_EMAIL:
        return c->card.email[0] && ascii_caseeq(c->card.email, who);
    default:
        name_key(c->card.name, key, sizeof key);
        return key[0] && strcmp(key, who_key) == 0;
    }
}

static int same_person(const fuin_cert *a, const fuin_cert *b)
{
    if (strcmp(a->card.age_recipient, b->card.age_recipient) == 0)
        return 1;
    return a->card.email[0] && strcmp(a->card.name, b->card.name) == 0 &&
           ascii_caseeq(a->card.email, b->card.email);
}

static int newer(const fuin_cert *a, const fuin_cert *b)
{
    if (a->card.created != b->card.created)
        return a->card.created > b->card.created;
    return a->valid_until > b->valid_until;
}

fuin_status fuin_store_resolve(const fuin_store *s, const char *who,
                               const fuin_cert **out, char *err, size_t errcap)
{
    char w[FUIN_TEXT_MAX], wkey[FUIN_TEXT_MAX];
    int kind;
    int64_t now;
    const fuin_cert **pick = NULL;
    size_t npick = 0;
    const fuin_cert *stale = NULL;
    fuin_status st;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (s == NULL || who == NULL || out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    if (trim_copy(who, w, sizeof w)) {
        fuin__set_msg(err, errcap, "no certified colleague: the name is longer than "
                             "%d bytes", FUIN_TEXT_MAX - 1);
        return FUIN_E_UNTRUSTED;
    }
    if (w[0] == '\0') {
        fuin__set_msg(err, errcap, "no certified colleague: the name is empty");
        return FUIN_E_UNTRUSTED;
    }
    if (strncmp(w, "age1", 4) == 0)
        kind = BY_RECIPIENT;
    else if (strchr(w, '@') != NULL)
        kind = BY_EMAIL;
    else
        kind = BY_NAME;
    name_key(w, wkey, sizeof wkey);
    now = store_now(s);

    if (s->ncerts > 0) {
        pick = calloc(s->ncerts, sizeof *pick);
        if (pick == NULL) {
            fuin__set_msg(err, errcap, "out of memory");
            return FUIN_E_NOMEM;
        }
    }
    for (size_t i = 0; i < s->ncerts; i++) {
        const fuin_cert *c = &s->certs[i];
        if (!matches(c, kind, w, wkey))
            continue;
        if (cert_state(s, c, now, NULL, 0) != FUIN_OK) {
            if (stale == NULL || newer(c, stale))
                stale = c;
            continue;
        }
        size_t j;
        for (j = 0; j < npick; j++)
            if (same_person(pick[j], c))
                break;
        if (j == npick)
            pick[npick++] = c;
        else if (newer(c, pick[j]))
            pick[j] = c;
    }

    if (npick == 1) {
        *out = pick[0];
        st = FUIN_OK;
    } else if (npick > 1) {
        char list[FUIN_ERRMSG_MAX * 4], one[2 * FUIN_TEXT_MAX + 32];
        size_t o = 0;
        list[0] = '\0';
        for (size_t j = 0; j < npick && o < sizeof list; j++) {
            person(pick[j], one, sizeof one);
            int k = snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "",
                             one);
            if (k < 0)
                break;
            o += (size_t)k;
        }
        fuin__set_msg(err, errcap, "ambiguous: %s", list);
        st = FUIN_E_AMBIGUOUS;
    } else if (stale != NULL) {
        st = cert_state(s, stale, now, err, errcap);
    } else {
        if (kind == BY_RECIPIENT)
            fuin__set_msg(err, errcap, "no certified colleague has recipient %s", w);
        else if (kind == BY_EMAIL)
            fuin__set_msg(err, errcap, "no certified colleague with e-mail %s", w);
        else
            fuin__set_msg(err, errcap, "no certified colleague named %s", w);
        st = FUIN_E_UNTRUSTED;
    }
    free(pick);
    return st;
}

const fuin_cert *fuin_store_find_recipient(const fuin_store *s,
                                           const char *recipient)
{
    const fuin_cert *best = NULL;
    if (s == NULL || recipient == NULL)
        return NULL;
    int64_t now = store_now(s);
    for (size_t i = 0; i < s->ncerts; i++) {
        const fuin_cert *c = &s->certs[i];
        if (strcmp(c->card.age_recipient, recipient) == 0 &&
            cert_state(s, c, now, NULL, 0) == FUIN_OK &&
            (best == NULL || newer(c, best)))
            best = c;
    }
    return best;
}

const fuin_cert *fuin_store_find_keyid(const fuin_store *s,
                                       const uint8_t keyid[FUIN_KEYID_BYTES])
{
    const fuin_cert *best = NULL;
    if (s == NULL || keyid == NULL)
        return NULL;
    int64_t now = store_now(s);
    for (size_t i = 0; i < s->ncerts; i++) {
        const fuin_cert *c = &s->certs[i];
        if (memcmp(c->card.sign_pk.keyid, keyid, FUIN_KEYID_BYTES) == 0 &&
            cert_state(s, c, now, NULL, 0) == FUIN_OK &&
            (best == NULL || newer(c, best)))
            best = c;
    }
    return best;
}

/* ------------------------------------------------------------------ */
/* release verification                                                */
/* ------------------------------------------------------------------ */
void fuin_release_result_clear(fuin_release_result *r)
{
    if (r == NULL)
        return;
    fuin_sigmeta_clear(&r->meta);
    memset(r, 0, sizeof *r);
}

static fuin_status result(fuin_release_result *r, fuin_status st,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static fuin_status result(fuin_release_result *r, fuin_status st,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    fuin__utf8_trim_tail(r->reason);
    r->status = st;
    return st;
}

fuin_status fuin_release_check(const fuin_pubkey *root,
                               const fuin_revocations *rl, fuin_verifier *v,
                               fuin_release_result *r)
{
    char perr[FUIN_ERRMSG_MAX];
    char have[FUIN_KEYID_HEX], want[FUIN_KEYID_HEX];
    char t1[FUIN_TIME_MAX], t2[FUIN_TIME_MAX];
    uint8_t keyid[FUIN_KEYID_BYTES];
    const char *cert, *sig;
    size_t cl, sl;
    fuin_status st;

    if (r == NULL)
        return FUIN_E_INVALID;
    memset(r, 0, sizeof *r);
    if (root == NULL || v == NULL)
        return result(r, FUIN_E_INVALID, "invalid argument");
    const char *tc = fuin_verifier_trusted_comment(v);
    if (tc == NULL)
        return result(r, FUIN_E_STATE, "no signature loaded");

    st = fuin_sigmeta_parse(tc, &r->meta, perr, sizeof perr);
    if (st == FUIN_E_UNTRUSTED) {
        fuin_sigmeta_clear(&r->meta);
        return result(r, st, "unknown signer: the signature carries no certificate");
    }
    if (st == FUIN_E_SYNTAX) {
        fuin_sigmeta_clear(&r->meta);
        return result(r, FUIN_E_UNTRUSTED,
                      "unknown signer: the trusted comment is not in fuin's "
                      "format (%s)",
                      perr);
    }
    if (st != FUIN_OK) {
        fuin_sigmeta_clear(&r->meta);
        return result(r, st, "%s", perr);
    }
    r->has_meta = 1;
    if (fuin_sigmeta_cert(&r->meta, &cert, &cl, &sig, &sl) != FUIN_OK)
        return result(r, FUIN_E_UNTRUSTED,
                      "unknown signer: the signature carries no certificate");

    st = fuin_cert_verify(cert, cl, sig, sl, root, &r->cert, perr, sizeof perr);
    switch (st) {
    case FUIN_OK:
        break;
    case FUIN_E_FOREIGN_ROOT:
    case FUIN_E_SIGNATURE:
    case FUIN_E_COMMENT:
        return result(r, st, "%s", perr);
    case FUIN_E_SIGFORMAT:
    case FUIN_E_SYNTAX:
        return result(r, FUIN_E_UNTRUSTED,
                      "unknown signer: the certificate in the signature is "
                      "unreadable (%s)",
                      perr);
    default:
        return result(r, st, "%s", perr);
    }
    r->has_cert = 1;
    const fuin_card *card = &r->cert.card;

    fuin_verifier_keyid(v, keyid);
    if (memcmp(keyid, card->sign_pk.keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(keyid, have);
        fuin_keyid_hex(card->sign_pk.keyid, want);
        return result(r, FUIN_E_WRONG_KEY,
                      "signed by key %s, but the certificate is for key %s (%s)",
                      have, want, card->name);
    }

    st = fuin_verify_final(v, &card->sign_pk);
    switch (st) {
    case FUIN_OK:
        break;
    case FUIN_E_SIGNATURE:
        return result(r, st, "file modified (signature does not verify)");
    case FUIN_E_COMMENT:
        return result(r, st, "trusted comment modified (signature does not verify)");
    case FUIN_E_WRONG_KEY:
        fuin_keyid_hex(keyid, have);
        fuin_keyid_hex(card->sign_pk.keyid, want);
        return result(r, st,
                      "signed by key %s, but the certificate is for key %s (%s)",
                      have, want, card->name);
    default:
        return result(r, st, "%s", fuin_verifier_errmsg(v));
    }

    /* The comment is authentic now; its key id must be the signing key's. */
    if (memcmp(r->meta.keyid, card->sign_pk.keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_keyid_hex(r->meta.keyid, have);
        fuin_keyid_hex(card->sign_pk.keyid, want);
        return result(r, FUIN_E_COMMENT,
                      "trusted comment names key %s, but the signature is by "
                      "key %s",
                      have, want);
    }

    {
        int64_t when;
        const char *why;
        if (fuin_revocations_find(rl, card->sign_pk.keyid, &when, &why)) {
            r->revoked_at = when;
            fuin_keyid_hex(card->sign_pk.keyid, have);
            fuin_time_format_rfc3339(when, t1, sizeof t1);
            return result(r, FUIN_E_REVOKED, "key %s revoked on %s: %s", have,
                          t1, why);
        }
    }

    fuin_time_format_rfc3339(r->meta.time, t2, sizeof t2);
    if (r->meta.time < r->cert.valid_from) {
        fuin_time_format_rfc3339(r->cert.valid_from, t1, sizeof t1);
        return result(r, FUIN_E_EXPIRED,
                      "certificate not yet valid at signing time (valid from "
                      "%s, signed %s)",
                      t1, t2);
    }
    if (r->meta.time > r->cert.valid_until) {
        fuin_time_format_rfc3339(r->cert.valid_until, t1, sizeof t1);
        return result(r, FUIN_E_EXPIRED,
                      "certificate expired at signing time (valid until %s, "
                      "signed %s)",
                      t1, t2);
    }

    if (r->meta.has_label) {
        char cls[256];
        fuin_label_format(&r->meta.label, cls, sizeof cls);
        return result(r, FUIN_OK,
                      "signed by %s (%s), label %s, at %s, certified by %s",
                      card->name, fuin_role_name(r->cert.role), cls, t2,
                      r->cert.organisation);
    }
    return result(r, FUIN_OK, "signed by %s (%s), at %s, certified by %s",
                  card->name, fuin_role_name(r->cert.role), t2,
                  r->cert.organisation);
}
