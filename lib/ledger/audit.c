/* The audit record of every operation (include/fuin/ledger.h, docs/audit.md):
 * a ledger append checked before the operation starts, and a copy of each
 * record sent to the system log as an RFC 5424 message. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "internal.h"

/* Room kept free at the end of the ledger for the next record: far more
 * than a record takes (about 1 KiB). */
#define RESERVE (64 * 1024)
/* RFC 5612's enterprise number for documentation examples: fuin has no
 * number of its own (docs/audit.md). */
#define SD_ID "fuin@32473"
/* authpriv (10): security and authorisation messages */
#define FACILITY 10
#define SEV_INFO 6
#define SEV_NOTICE 5
/* A sender that cannot deliver in this time gives up (syslog outage). */
#define SEND_TIMEOUT_MS 2000

struct fuin_audit {
    char *ledger;
    char *ledger_abs;      /* names the chain in the structured data */
    char *sock;            /* NULL: no syslog */
    char name[FUIN_TEXT_MAX];
    char user[FUIN_TEXT_MAX];
    uint8_t keyid[FUIN_KEYID_BYTES];
    int have_keyid;
    unsigned syslog_failures;
    int syslog_gave_up;    /* a receiver that timed out once is not waited for again */
};

static void login_name(char *out, size_t cap)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    uid_t uid = geteuid();

    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL &&
        res->pw_name != NULL && res->pw_name[0] != '\0')
        snprintf(out, cap, "%s", res->pw_name);
    else
        snprintf(out, cap, "uid %ju", (uintmax_t)uid);
}

/* The ledger can take a record: it opens (created empty if absent), its
 * last line is complete, and room is reserved for the record. */
static fuin_status preflight(const char *path, char *err, size_t cap)
{
    struct stat st;
    char last;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    fuin_status rc = FUIN_OK;

    if (fd < 0) {
        fuin__set_msg(err, cap, "%s: %s", path,
                      errno == ELOOP ? "is a symbolic link" : strerror(errno));
        return FUIN_E_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fuin__set_msg(err, cap, "%s: not a regular file", path);
        close(fd);
        return FUIN_E_IO;
    }
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            fuin__set_msg(err, cap, "%s: lock: %s", path, strerror(errno));
            close(fd);
            return FUIN_E_IO;
        }
    if (fstat(fd, &st) == 0 && st.st_size > 0 &&
        (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n')) {
        fuin__set_msg(err, cap, "%s: torn last line: run fuin ledger verify", path);
        rc = FUIN_E_SYNTAX;
    } else if (fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, RESERVE) != 0 &&
               errno != EOPNOTSUPP && errno != ENOSYS) {
        fuin__set_msg(err, cap, "%s: cannot reserve room for the record: %s", path,
                      strerror(errno));
        rc = FUIN_E_IO;
    }
    close(fd);
    return rc;
}

fuin_status fuin_audit_open(const fuin_policy *policy, const char *ledger_path,
                            const char *operator_name, const uint8_t *keyid, fuin_audit **out,
                            char *err, size_t errcap)
{
    fuin_audit *a;
    fuin_status st;

    if (out == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    *out = NULL;
    if (!fuin_policy_audit_record(policy))
        return FUIN_OK;
    if (ledger_path == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    if ((st = preflight(ledger_path, err, errcap)) != FUIN_OK)
        return st;
    if ((a = calloc(1, sizeof *a)) == NULL || (a->ledger = strdup(ledger_path)) == NULL ||
        (a->ledger_abs = realpath(ledger_path, NULL)) == NULL ||
        (fuin_policy_audit_syslog(policy) &&
         (a->sock = strdup(fuin_policy_audit_syslog_socket(policy))) == NULL)) {
        fuin_audit_free(a);
        fuin__set_msg(err, errcap, "out of memory");
        return FUIN_E_NOMEM;
    }
    login_name(a->user, sizeof a->user);
    /* without a key, the login name stands for the operator */
    snprintf(a->name, sizeof a->name, "%s",
             operator_name != NULL && operator_name[0] ? operator_name : a->user);
    if (keyid != NULL) {
        memcpy(a->keyid, keyid, FUIN_KEYID_BYTES);
        a->have_keyid = 1;
    }
    *out = a;
    return FUIN_OK;
}

void fuin_audit_free(fuin_audit *a)
{
    if (a == NULL)
        return;
    free(a->ledger);
    free(a->ledger_abs);
    free(a->sock);
    free(a);
}

unsigned fuin_audit_syslog_failures(const fuin_audit *a)
{
    return a == NULL ? 0 : a->syslog_failures;
}

/* ---- RFC 5424 ---------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t c = (b->cap ? b->cap * 2 : 2048);
        while (c < b->len + n + 1)
            c *= 2;
        char *nb = realloc(b->buf, c);
        if (nb == NULL) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = c;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* PARAM-VALUE: '"', '\' and ']' escaped with '\' (RFC 5424 6.3.3). */
static void param(sbuf *b, const char *name, const char *value)
{
    if (value == NULL)
        return;
    puts_(b, " ");
    puts_(b, name);
    puts_(b, "=\"");
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == ']')
            put(b, "\\", 1);
        put(b, p, 1);
    }
    puts_(b, "\"");
}

/* printable US-ASCII of at most max bytes, or "-" (NILVALUE) */
static void header_field(sbuf *b, const char *s, size_t max)
{
    size_t n = 0;
    char c[1];

    for (; s != NULL && s[n] != '\0' && n < max; n++)
        if ((unsigned char)s[n] < 33 || (unsigned char)s[n] > 126)
            break;
    if (s == NULL || n == 0 || s[n] != '\0') {
        /* replace what RFC 5424 does not allow, rather than drop it */
        if (s == NULL || s[0] == '\0') {
            puts_(b, "-");
            return;
        }
        for (n = 0; s[n] != '\0' && n < max; n++) {
            c[0] = ((unsigned char)s[n] < 33 || (unsigned char)s[n] > 126) ? '_' : s[n];
            put(b, c, 1);
        }
        return;
    }
    put(b, s, n);
}

static void send_syslog(fuin_audit *a, const fuin_record *r, const char *line, size_t len,
                        const char *prev)
{
    struct sockaddr_un sa;
    struct timeval tv;
    struct tm tm;
    char host[256], ts[80], pri[16], pid[24], seq[24];
    sbuf b = {0};
    json_t *o;
    json_error_t je;
    const char *cls = NULL;
    int fd;

    if (a->sock == NULL || a->syslog_gave_up) {
        if (a->sock != NULL)
            a->syslog_failures++;
        return;
    }
    o = json_loadb(line, len, 0, &je);
    cls = json_string_value(json_object_get(o, "class"));
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    snprintf(pri, sizeof pri, "<%d>1 ",
             FACILITY * 8 + (strcmp(r->result, "success") == 0 ? SEV_INFO : SEV_NOTICE));
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(seq, sizeof seq, "%" PRIu64, r->seq);
    puts_(&b, pri);
    puts_(&b, ts);
    puts_(&b, " ");
    header_field(&b, host, 255);
    puts_(&b, " fuin ");
    puts_(&b, pid);
    puts_(&b, " ");
    header_field(&b, r->op != NULL ? r->op : "disposal", 32);
    puts_(&b, " [" SD_ID);
    param(&b, "seq", seq);
    param(&b, "record_id", r->record_id);
    param(&b, "hash", r->hash);
    param(&b, "prev_hash", prev);
    param(&b, "op", r->op != NULL ? r->op : "disposal");
    param(&b, "result", r->result);
    param(&b, "class", cls);
    param(&b, "user", r->op != NULL ? r->user : a->user);
    /* which chain: a user may keep several ledgers (wipe --ledger) */
    param(&b, "ledger", a->ledger_abs);
    puts_(&b, "] ");
    put(&b, line, len);
    json_decref(o);
    if (b.oom) {
        free(b.buf);
        a->syslog_failures++;
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a->sock);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct timeval to = {SEND_TIMEOUT_MS / 1000, (SEND_TIMEOUT_MS % 1000) * 1000};
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &to, sizeof to);
    }
    if (fd < 0 || sendto(fd, b.buf, b.len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof sa) !=
                      (ssize_t)b.len) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            a->syslog_gave_up = 1;
        a->syslog_failures++;
    }
    if (fd >= 0)
        close(fd);
    free(b.buf);
}

fuin_status fuin_audit_append(fuin_audit *a, fuin_record *r, const fuin_seckey *key, char *err,
                              size_t errcap)
{
    char *line = NULL, prev[65];
    size_t len = 0;
    fuin_status st;

    if (a == NULL)
        return FUIN_OK;
    if (r == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    if (r->operator_name == NULL)
        r->operator_name = a->name;
    if (r->op != NULL && r->user == NULL)
        r->user = a->user;
    if (r->operator_keyid == NULL && a->have_keyid)
        r->operator_keyid = a->keyid;
    st = fuin__ledger_append(a->ledger, r, key, &line, &len, prev, err, errcap);
    if (st != FUIN_OK)
        return st;
    send_syslog(a, r, line, len, prev);
    free(line);
    /* room for the next record of this handle (several files), best effort:
     * the preflight already guaranteed this one's */
    (void)preflight(a->ledger, NULL, 0);
    return FUIN_OK;
}

fuin_status fuin_file_sha256(const char *path, char hex[65], int64_t *size, char *err,
                             size_t errcap)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned mdlen = 0;
    struct stat st;
    EVP_MD_CTX *ctx;
    uint8_t *buf;
    int64_t total = 0;
    ssize_t n;
    int fd, ok;

    if (path == NULL || hex == NULL) {
        fuin__set_msg(err, errcap, "invalid argument");
        return FUIN_E_INVALID;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fuin__set_msg(err, errcap, "%s: %s", path,
                      fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return FUIN_E_IO;
    }
    ctx = EVP_MD_CTX_new();
    buf = malloc(1 << 20);
    ok = ctx != NULL && buf != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    while (ok && (n = read(fd, buf, 1 << 20)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fuin__set_msg(err, errcap, "%s: read: %s", path, strerror(errno));
            ok = -1;
            break;
        }
        ok = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
        total += n;
    }
    if (ok == 1)
        ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    close(fd);
    free(buf);
    EVP_MD_CTX_free(ctx);
    if (ok != 1) {
        if (ok == 0)
            fuin__set_msg(err, errcap, "out of memory");
        return ok == 0 ? FUIN_E_NOMEM : FUIN_E_IO;
    }
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    if (size != NULL)
        *size = total;
    return FUIN_OK;
}
