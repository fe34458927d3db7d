/* Device sanitize commands: see include/fuin/sanitize.h and docs/wipe.md,
 * section "Device sanitize commands". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"

#define TOOL_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_SYSFS "/sys"
#define DEFAULT_POLL_MS 10000u
#define DEFAULT_MAX_POLLS 60480u
#define OUT_MAX (1u << 20) /* stdout kept for parsing                  */
#define ERR_MAX 2048u      /* stderr kept for the message              */

/* ------------------------------------------------------------------ */
/* kinds                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    fuin_sanitize_kind kind;
    const char *name;
    int method;
    fuin_wipe_category category; /* media-independent                 */
    int overwrite;               /* PURGE on rotating media           */
} kind_info;

static const kind_info KINDS[] = {
    {FUIN_SANITIZE_NVME_CRYPTO_ERASE, "nvme-sanitize-crypto", 1, FUIN_WIPE_PURGE, 0},
    {FUIN_SANITIZE_NVME_BLOCK_ERASE, "nvme-sanitize-block", 1, FUIN_WIPE_PURGE, 0},
    {FUIN_SANITIZE_NVME_OVERWRITE, "nvme-sanitize-overwrite", 1, FUIN_WIPE_CLEAR, 1},
    {FUIN_SANITIZE_NVME_FORMAT_CRYPTO, "nvme-format-crypto", 1, FUIN_WIPE_CLEAR, 0},
    {FUIN_SANITIZE_NVME_FORMAT_USER, "nvme-format-user", 1, FUIN_WIPE_CLEAR, 0},
    {FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE, "ata-sanitize-crypto", 1, FUIN_WIPE_PURGE, 0},
    {FUIN_SANITIZE_ATA_BLOCK_ERASE, "ata-sanitize-block", 1, FUIN_WIPE_PURGE, 0},
    {FUIN_SANITIZE_ATA_OVERWRITE, "ata-sanitize-overwrite", 1, FUIN_WIPE_CLEAR, 1},
    {FUIN_SANITIZE_ATA_SECURITY_ERASE, "ata-security-erase", 1, FUIN_WIPE_CLEAR, 0},
    {FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, "ata-security-erase-enhanced", 1,
     FUIN_WIPE_CLEAR, 0},
    {FUIN_SANITIZE_BLKDISCARD_SECURE, "secure-discard", 1, FUIN_WIPE_CLEAR, 0},
    {FUIN_SANITIZE_ATA_SET_PASSWORD, "ata-security-set-pass", 0, 0, 0},
    {FUIN_SANITIZE_ATA_SECURITY_DISABLE, "ata-security-disable", 0, 0, 0},
    {FUIN_SANITIZE_NVME_SANITIZE_LOG, "nvme-sanitize-log", 0, 0, 0},
    {FUIN_SANITIZE_ATA_SANITIZE_STATUS, "ata-sanitize-status", 0, 0, 0},
    {FUIN_SANITIZE_NVME_ID_CTRL, "nvme-id-ctrl", 0, 0, 0},
    {FUIN_SANITIZE_ATA_IDENTIFY, "ata-identify", 0, 0, 0},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])
#define NMETHODS 11

static const kind_info *info_of(fuin_sanitize_kind k)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (KINDS[i].kind == k)
            return &KINDS[i];
    return NULL;
}

const char *fuin_sanitize_kind_name(fuin_sanitize_kind kind)
{
    const kind_info *ki = info_of(kind);
    return ki ? ki->name : NULL;
}

fuin_sanitize_kind fuin_sanitize_kind_from_name(const char *name)
{
    if (name == NULL)
        return (fuin_sanitize_kind)0;
    for (size_t i = 0; i < NKINDS; i++)
        if (KINDS[i].method && strcmp(KINDS[i].name, name) == 0)
            return KINDS[i].kind;
    return (fuin_sanitize_kind)0;
}

int fuin_sanitize_is_method(fuin_sanitize_kind kind)
{
    const kind_info *ki = info_of(kind);
    return ki != NULL && ki->method;
}

const fuin_sanitize_kind *fuin_sanitize_methods(size_t *n)
{
    /* The same order as the methods in KINDS (test_names checks both). */
    static const fuin_sanitize_kind list[NMETHODS] = {
        FUIN_SANITIZE_NVME_CRYPTO_ERASE,   FUIN_SANITIZE_NVME_BLOCK_ERASE,
        FUIN_SANITIZE_NVME_OVERWRITE,      FUIN_SANITIZE_NVME_FORMAT_CRYPTO,
        FUIN_SANITIZE_NVME_FORMAT_USER,    FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE,
        FUIN_SANITIZE_ATA_BLOCK_ERASE,     FUIN_SANITIZE_ATA_OVERWRITE,
        FUIN_SANITIZE_ATA_SECURITY_ERASE,  FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED,
        FUIN_SANITIZE_BLKDISCARD_SECURE};
    if (n != NULL)
        *n = NMETHODS;
    return list;
}

fuin_wipe_category fuin_sanitize_category(fuin_sanitize_kind kind)
{
    const kind_info *ki = info_of(kind);
    return ki != NULL && ki->method ? ki->category : (fuin_wipe_category)0;
}

fuin_wipe_category fuin_sanitize_category_for(fuin_sanitize_kind kind,
                                              const fuin_wipe_target *t)
{
    const kind_info *ki = info_of(kind);
    if (ki == NULL || !ki->method)
        return (fuin_wipe_category)0;
    if (ki->overwrite && t != NULL && t->rotational == 1)
        return FUIN_WIPE_PURGE;
    return ki->category;
}

void fuin_sanitize_options_init(fuin_sanitize_options *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    o->poll_interval_ms = DEFAULT_POLL_MS;
    o->max_polls = DEFAULT_MAX_POLLS;
}

/* ------------------------------------------------------------------ */
/* command construction                                               */
/* ------------------------------------------------------------------ */

fuin_status fuin_sanitize_argv(fuin_sanitize_kind kind, const char *device,
                               const fuin_sanitize_options *o,
                               fuin_sanitize_cmd *cmd)
{
    const char *w[FUIN_SANITIZE_ARGV_MAX];
    size_t n = 0;
    int dev_last = 1;
    uint32_t pattern = o != NULL ? o->overwrite_pattern : 0;

    if (cmd == NULL)
        return FUIN_E_INVALID;
    memset(cmd, 0, sizeof *cmd);
    /* An absolute path can never be mistaken for an option. */
    if (device == NULL || device[0] != '/')
        return FUIN_E_INVALID;
#define W(s) (w[n++] = (s))
    switch (kind) {
    case FUIN_SANITIZE_BLKDISCARD_SECURE:
        W("blkdiscard"); W("--secure"); W("--force");
        break;
    case FUIN_SANITIZE_NVME_BLOCK_ERASE:
    case FUIN_SANITIZE_NVME_CRYPTO_ERASE:
    case FUIN_SANITIZE_NVME_OVERWRITE:
        W("nvme"); W("sanitize"); W(device);
        dev_last = 0;
        if (kind == FUIN_SANITIZE_NVME_BLOCK_ERASE) {
            W("--sanact=2");
        } else if (kind == FUIN_SANITIZE_NVME_CRYPTO_ERASE) {
            W("--sanact=4");
        } else {
            /* One pass: OWPASS 0 would mean 16. */
            snprintf(cmd->buf, sizeof cmd->buf, "--ovrpat=%lu",
                     (unsigned long)pattern);
            W("--sanact=3"); W("--owpass=1"); W(cmd->buf);
        }
        break;
    case FUIN_SANITIZE_NVME_FORMAT_USER:
    case FUIN_SANITIZE_NVME_FORMAT_CRYPTO:
        /* --force: nvme-cli otherwise asks or waits before formatting. */
        W("nvme"); W("format"); W(device);
        W(kind == FUIN_SANITIZE_NVME_FORMAT_USER ? "--ses=1" : "--ses=2");
        W("--force");
        dev_last = 0;
        break;
    case FUIN_SANITIZE_NVME_SANITIZE_LOG:
    case FUIN_SANITIZE_NVME_ID_CTRL:
        W("nvme");
        W(kind == FUIN_SANITIZE_NVME_ID_CTRL ? "id-ctrl" : "sanitize-log");
        W(device); W("-o"); W("json");
        dev_last = 0;
        break;
    /* hdparm: the action must be the last option (it allows no flags after
     * it), so --user-master and --yes-i-know-what-i-am-doing go first. */
    case FUIN_SANITIZE_ATA_SET_PASSWORD:
        W("hdparm"); W("--user-master"); W("u");
        W("--security-set-pass"); W(FUIN_SANITIZE_ATA_PASSWORD);
        break;
    case FUIN_SANITIZE_ATA_SECURITY_ERASE:
        W("hdparm"); W("--user-master"); W("u");
        W("--security-erase"); W(FUIN_SANITIZE_ATA_PASSWORD);
        break;
    case FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED:
        W("hdparm"); W("--user-master"); W("u");
        W("--security-erase-enhanced"); W(FUIN_SANITIZE_ATA_PASSWORD);
        break;
    case FUIN_SANITIZE_ATA_SECURITY_DISABLE:
        W("hdparm"); W("--user-master"); W("u");
        W("--security-disable"); W(FUIN_SANITIZE_ATA_PASSWORD);
        break;
    case FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE:
        W("hdparm"); W("--yes-i-know-what-i-am-doing");
        W("--sanitize-crypto-scramble");
        break;
    case FUIN_SANITIZE_ATA_BLOCK_ERASE:
        W("hdparm"); W("--yes-i-know-what-i-am-doing");
        W("--sanitize-block-erase");
        break;
    case FUIN_SANITIZE_ATA_OVERWRITE:
        snprintf(cmd->buf, sizeof cmd->buf, "hex:%08lx", (unsigned long)pattern);
        W("hdparm"); W("--yes-i-know-what-i-am-doing");
        W("--sanitize-overwrite-passes"); W("1");
        W("--sanitize-overwrite"); W(cmd->buf);
        break;
    case FUIN_SANITIZE_ATA_SANITIZE_STATUS:
        W("hdparm"); W("--sanitize-status");
        break;
    case FUIN_SANITIZE_ATA_IDENTIFY:
        W("hdparm"); W("-I");
        break;
    default:
        return FUIN_E_INVALID;
    }
    if (dev_last)
        W(device);
#undef W
    for (size_t i = 0; i < n; i++)
        cmd->argv[i] = w[i];
    cmd->argv[n] = NULL;
    cmd->argc = n;
    return FUIN_OK;
}

static int shell_safe(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '.' ||
              ch == '_' || ch == '+' || ch == '=' || ch == ':' || ch == '-'))
            return 0;
    }
    return 1;
}

/* Append text at offset n of buf (writing only below cap - 1); returns the
 * new offset, so the total length needed comes out as with snprintf. */
static size_t put_str(char *buf, size_t cap, size_t n, const char *s)
{
    for (; *s; s++, n++)
        if (n + 1 < cap)
            buf[n] = *s;
    return n;
}

/* The words of cmd as shell text: POSIX single quoting where needed, ' as
 * '\''. */
static size_t put_cmd(char *buf, size_t cap, size_t n,
                      const fuin_sanitize_cmd *cmd)
{
    for (size_t i = 0; i < cmd->argc; i++) {
        const char *s = cmd->argv[i];
        if (i > 0)
            n = put_str(buf, cap, n, " ");
        if (shell_safe(s)) {
            n = put_str(buf, cap, n, s);
            continue;
        }
        n = put_str(buf, cap, n, "'");
        for (; *s; s++) {
            char one[2] = {*s, '\0'};
            n = put_str(buf, cap, n, *s == '\'' ? "'\\''" : one);
        }
        n = put_str(buf, cap, n, "'");
    }
    return n;
}

static size_t terminate(char *buf, size_t cap, size_t n)
{
    if (cap > 0)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t fuin_wipe_sanitize_command(fuin_sanitize_kind kind, const char *device,
                                  char *buf, size_t cap)
{
    fuin_sanitize_cmd cmd;

    if (buf != NULL && cap > 0)
        buf[0] = '\0';
    else
        cap = 0;
    if (fuin_sanitize_argv(kind, device, NULL, &cmd) != FUIN_OK)
        return 0;
    return terminate(buf, cap, put_cmd(buf, cap, 0, &cmd));
}

size_t fuin_sanitize_plan(fuin_sanitize_kind kind, const fuin_wipe_target *t,
                          const fuin_sanitize_support *s,
                          const fuin_sanitize_options *o, char *buf,
                          size_t cap)
{
    struct {
        fuin_sanitize_kind step;
        const char *dev;
        const char *prefix;
    } seq[2];
    size_t nseq = 0, n = 0;
    char ctrl[64] = "";

    if (buf != NULL && cap > 0)
        buf[0] = '\0';
    else
        cap = 0;
    if (!fuin_sanitize_is_method(kind) || t == NULL)
        return 0;
    switch (kind) {
    case FUIN_SANITIZE_NVME_BLOCK_ERASE:
    case FUIN_SANITIZE_NVME_CRYPTO_ERASE:
    case FUIN_SANITIZE_NVME_OVERWRITE:
        if (s != NULL && s->controller[0] != '\0')
            snprintf(ctrl, sizeof ctrl, "%s", s->controller);
        else if (fuin__sanitize_nvme_controller(o ? o->sysfs_root : NULL,
                                                t->name, ctrl, sizeof ctrl) != 0)
            return 0;
        seq[0].step = kind;
        seq[0].dev = ctrl;
        seq[0].prefix = "";
        seq[1].step = FUIN_SANITIZE_NVME_SANITIZE_LOG;
        seq[1].dev = ctrl;
        seq[1].prefix = "repeat until done: ";
        nseq = 2;
        break;
    case FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE:
    case FUIN_SANITIZE_ATA_BLOCK_ERASE:
    case FUIN_SANITIZE_ATA_OVERWRITE:
        seq[0].step = kind;
        seq[1].step = FUIN_SANITIZE_ATA_SANITIZE_STATUS;
        seq[0].dev = seq[1].dev = t->path;
        seq[0].prefix = "";
        seq[1].prefix = "repeat until done: ";
        nseq = 2;
        break;
    case FUIN_SANITIZE_ATA_SECURITY_ERASE:
    case FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED:
        seq[0].step = FUIN_SANITIZE_ATA_SET_PASSWORD;
        seq[1].step = kind;
        seq[0].dev = seq[1].dev = t->path;
        seq[0].prefix = seq[1].prefix = "";
        nseq = 2;
        break;
    default:
        seq[0].step = kind;
        seq[0].dev = t->path;
        seq[0].prefix = "";
        nseq = 1;
        break;
    }
    for (size_t i = 0; i < nseq; i++) {
        fuin_sanitize_cmd cmd;
        if (fuin_sanitize_argv(seq[i].step, seq[i].dev, o, &cmd) != FUIN_OK) {
            if (cap > 0)
                buf[0] = '\0';
            return 0;
        }
        n = put_str(buf, cap, n, seq[i].prefix);
        n = put_cmd(buf, cap, n, &cmd);
        n = put_str(buf, cap, n, "\n");
    }
    return terminate(buf, cap, n);
}

/* ------------------------------------------------------------------ */
/* output parsers                                                     */
/* ------------------------------------------------------------------ */

/* One line of text: [*p, end of line), advancing *p past the newline. */
static int next_line(const char **p, const char *end, const char **ls,
                     size_t *ll)
{
    const char *s = *p, *e;
    if (s >= end)
        return 0;
    e = memchr(s, '\n', (size_t)(end - s));
    if (e == NULL)
        e = end;
    *ls = s;
    *ll = (size_t)(e - s);
    if (*ll > 0 && s[*ll - 1] == '\r')
        (*ll)--;
    *p = e < end ? e + 1 : end;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

static int eq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(s, lit, l) == 0;
}

static const char *find(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (l == 0 || n < l)
        return NULL;
    for (size_t i = 0; i + l <= n; i++)
        if (s[i] == lit[0] && memcmp(s + i, lit, l) == 0)
            return s + i;
    return NULL;
}

int fuin__parse_hdparm_identify(const char *text, size_t len,
                                fuin__ata_identify *out)
{
    const char *p, *end, *ls;
    size_t ll;
    enum { SEC_OTHER, SEC_FEATURES, SEC_SECURITY } sec = SEC_OTHER;
    int seen = 0;

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof *out);
    out->security_supported = out->security_enabled = -1;
    out->security_locked = out->security_frozen = -1;
    out->security_expired = out->enhanced_erase = -1;
    if (text == NULL)
        return -1;
    p = text;
    end = text + len;
    while (next_line(&p, end, &ls, &ll)) {
        const char *s = ls;
        size_t n = ll;
        int val = 1;
        if (n > 0 && !is_blank(s[0])) {
            /* A heading such as "Security: " starts a section. */
            trim(&s, &n);
            if (eq(s, n, "Commands/features:")) {
                sec = SEC_FEATURES;
                seen = 1;
            } else if (eq(s, n, "Security:")) {
                sec = SEC_SECURITY;
                seen = 1;
            } else {
                sec = SEC_OTHER;
            }
            continue;
        }
        trim(&s, &n);
        if (n == 0 || sec == SEC_OTHER)
            continue;
        if (has_prefix(s, n, "(?)")) {
            continue;
        } else if (n > 3 && has_prefix(s, n, "not") && is_blank(s[3])) {
            val = 0;
            s += 3;
            n -= 3;
            trim(&s, &n);
        } else if (s[0] == '*') {
            s++;
            n--;
            trim(&s, &n);
        }
        if (sec == SEC_FEATURES) {
            if (eq(s, n, "SANITIZE feature set"))
                out->sanitize_feature = val;
            else if (eq(s, n, "CRYPTO_SCRAMBLE_EXT command"))
                out->crypto_scramble = val;
            else if (eq(s, n, "BLOCK_ERASE_EXT command"))
                out->block_erase = val;
            else if (eq(s, n, "OVERWRITE_EXT command"))
                out->overwrite = val;
        } else {
            if (eq(s, n, "supported"))
                out->security_supported = val;
            else if (eq(s, n, "enabled"))
                out->security_enabled = val;
            else if (eq(s, n, "locked"))
                out->security_locked = val;
            else if (eq(s, n, "frozen"))
                out->security_frozen = val;
            else if (has_prefix(s, n, "expired"))
                out->security_expired = val;
            else if (eq(s, n, "supported: enhanced erase"))
                out->enhanced_erase = val;
        }
    }
    return seen ? 0 : -1;
}

/* A non-negative integer member (or a decimal / 0x-hex string) that fits
 * in 32 bits. */
static int json_u32(json_t *obj, const char *key, uint32_t *v)
{
    json_t *m = json_object_get(obj, key);
    if (json_is_integer(m)) {
        json_int_t i = json_integer_value(m);
        if (i < 0 || i > (json_int_t)UINT32_MAX)
            return -1;
        *v = (uint32_t)i;
        return 0;
    }
    if (json_is_string(m)) {
        const char *s = json_string_value(m);
        char *e = NULL;
        unsigned long long u;
        if (s[0] < '0' || s[0] > '9')
            return -1;
        errno = 0;
        u = strtoull(s, &e, 0);
        if (errno != 0 || e == s || *e != '\0' || u > UINT32_MAX)
            return -1;
        *v = (uint32_t)u;
        return 0;
    }
    return -1;
}

int fuin__parse_nvme_id_ctrl(const char *text, size_t len,
                             fuin__nvme_id_ctrl *out)
{
    json_t *root;
    json_error_t je;
    int rc = -1;

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return -1;
    root = json_loadb(text, len, 0, &je);
    if (json_is_object(root) && json_u32(root, "sanicap", &out->sanicap) == 0 &&
        json_u32(root, "fna", &out->fna) == 0 &&
        json_u32(root, "oacs", &out->oacs) == 0)
        rc = 0;
    json_decref(root);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

/* "(N) text" as nvme-cli writes the sanitize status. */
static int paren_status(const char *s)
{
    if (s[0] == '(' && s[1] >= '0' && s[1] <= '7' && s[2] == ')')
        return s[1] - '0';
    return -1;
}

int fuin__parse_nvme_sanitize_log(const char *text, size_t len,
                                  fuin__sanitize_state *out)
{
    json_t *root, *body = NULL, *sstat, *m;
    json_error_t je;
    const char *key;
    uint32_t u;
    int rc = -1;

    if (out == NULL)
        return -1;
    out->status = -1;
    out->percent = -1;
    out->cdw10 = -1;
    if (text == NULL)
        return -1;
    root = json_loadb(text, len, 0, &je);
    if (!json_is_object(root))
        goto done;
    if (json_object_get(root, "sstat") != NULL)
        body = root;
    else
        json_object_foreach(root, key, m) {
            if (json_is_object(m) && json_object_get(m, "sstat") != NULL) {
                body = m;
                break;
            }
        }
    if (body == NULL)
        goto done;
    sstat = json_object_get(body, "sstat");
    if (json_is_integer(sstat)) {
        json_int_t i = json_integer_value(sstat);
        if (i < 0 || i > 0xffff)
            goto done;
        out->status = (int)(i & 7);
    } else if (json_is_object(sstat)) {
        json_t *st = json_object_get(sstat, "status");
        if (json_is_string(st)) {
            out->status = paren_status(json_string_value(st));
        } else if (json_is_integer(st)) {
            json_int_t i = json_integer_value(st);
            out->status = i >= 0 && i <= 7 ? (int)i : -1;
        } else {
            /* Some nvme-cli versions used the status text as the key. */
            json_object_foreach(sstat, key, m) {
                if (json_is_string(m) &&
                    (out->status = paren_status(json_string_value(m))) >= 0)
                    break;
            }
        }
        if (out->status < 0)
            goto done;
    } else {
        goto done;
    }
    if (json_u32(body, "sprog", &u) == 0 && u <= 0xffff && out->status == 2)
        out->percent = (int)((u * 100u) / 65536u);
    if (json_u32(body, "cdw10_info", &u) == 0)
        out->cdw10 = (long long)u;
    rc = 0;
done:
    json_decref(root);
    if (rc != 0) {
        out->status = -1;
        out->percent = -1;
        out->cdw10 = -1;
    }
    return rc;
}

int fuin__parse_hdparm_sanitize_status(const char *text, size_t len,
                                       fuin__sanitize_state *out)
{
    const char *p, *end, *ls;
    size_t ll;
    int state = -1, ok = 0, failed = 0, percent = -1;

    if (out == NULL)
        return -1;
    out->status = -1;
    out->percent = -1;
    out->cdw10 = -1;
    if (text == NULL)
        return -1;
    p = text;
    end = text + len;
    while (next_line(&p, end, &ls, &ll)) {
        const char *s = ls, *q;
        size_t n = ll;
        trim(&s, &n);
        if (has_prefix(s, n, "State:")) {
            s += 6;
            n -= 6;
            trim(&s, &n);
            if (n >= 3 && s[0] == 'S' && s[1] == 'D' && s[2] >= '0' &&
                s[2] <= '4')
                state = s[2] - '0';
        } else if (has_prefix(s, n, "Progress:") &&
                   (q = find(s, n, "(")) != NULL) {
            int v = 0, digits = 0;
            for (q++; q < s + n && *q >= '0' && *q <= '9' && digits < 4; q++) {
                v = v * 10 + (*q - '0');
                digits++;
            }
            if (digits > 0 && q < s + n && *q == '%' && v <= 100)
                percent = v;
        } else if (find(s, n, "Completed Without Error") != NULL) {
            ok = 1;
        } else if (find(s, n, "completed unsuccessfully") != NULL ||
                   find(s, n, "SD3 Sanitize Operation Failed") != NULL) {
            failed = 1;
        }
    }
    if (failed || state == 3)
        out->status = FUIN__SAN_FAILED;
    else if (state == 2)
        out->status = FUIN__SAN_RUNNING;
    else if (state == 1)
        out->status = FUIN__SAN_FROZEN;
    else if ((state == 0 || state == 4) && ok)
        out->status = FUIN__SAN_DONE;
    else if (state == 0)
        out->status = FUIN__SAN_NEVER;
    else
        return -1;
    if (out->status == FUIN__SAN_RUNNING)
        out->percent = percent;
    return 0;
}

/* ------------------------------------------------------------------ */
/* sysfs                                                              */
/* ------------------------------------------------------------------ */

/* "nvme" followed by digits only: a controller. */
static int ctrl_name(const char *s, unsigned long *num)
{
    char *e = NULL;
    if (strncmp(s, "nvme", 4) != 0 || s[4] < '0' || s[4] > '9')
        return 0;
    errno = 0;
    *num = strtoul(s + 4, &e, 10);
    return errno == 0 && *e == '\0';
}

static int plain_name(const char *s)
{
    return s != NULL && s[0] != '\0' && strchr(s, '/') == NULL &&
           strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 128;
}

/* Basename of the symbolic link at `path`, into out. */
static int link_base(const char *path, char *out, size_t cap)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    const char *b;
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    b = strrchr(buf, '/');
    b = b ? b + 1 : buf;
    if (strlen(b) + 1 > cap)
        return -1;
    memcpy(out, b, strlen(b) + 1);
    return 0;
}

int fuin__sanitize_nvme_controller(const char *sysfs_root, const char *name,
                                   char *out, size_t cap)
{
    char path[PATH_MAX], base[128], best[128] = "";
    unsigned long num, best_num = 0;
    DIR *d;
    struct dirent *de;

    if (out == NULL || cap == 0)
        return -1;
    out[0] = '\0';
    if (!plain_name(name))
        return -1;
    if (sysfs_root == NULL)
        sysfs_root = DEFAULT_SYSFS;
    snprintf(path, sizeof path, "%s/block/%s/device", sysfs_root, name);
    if (link_base(path, base, sizeof base) == 0 && ctrl_name(base, &num)) {
        memcpy(best, base, strlen(base) + 1);
    } else {
        /* Native multipath: the namespace's device is the subsystem; each
         * path below multipath/ belongs to one controller, and a sanitize
         * through any of them acts on the whole subsystem. */
        snprintf(path, sizeof path, "%s/block/%s/multipath", sysfs_root, name);
        d = opendir(path);
        if (d == NULL)
            return -1;
        while ((de = readdir(d)) != NULL) {
            if (!plain_name(de->d_name))
                continue;
            snprintf(path, sizeof path, "%s/block/%s/multipath/%s/device",
                     sysfs_root, name, de->d_name);
            if (link_base(path, base, sizeof base) == 0 &&
                ctrl_name(base, &num) && (best[0] == '\0' || num < best_num)) {
                memcpy(best, base, strlen(base) + 1);
                best_num = num;
            }
        }
        closedir(d);
    }
    if (best[0] == '\0')
        return -1;
    if ((size_t)snprintf(out, cap, "/dev/%s", best) >= cap) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* The other namespaces of controller `ctrl` ("/dev/nvme0"), space
 * separated: an NVMe Sanitize (and a format with FNA bit 0/1) erases them
 * too. */
static void nvme_siblings(const char *sysfs_root, const char *name,
                          const char *ctrl, char *out, size_t cap)
{
    char path[PATH_MAX], c[64];
    DIR *d;
    struct dirent *de;
    size_t n = 0;

    out[0] = '\0';
    snprintf(path, sizeof path, "%s/block", sysfs_root);
    d = opendir(path);
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        if (strncmp(s, "nvme", 4) != 0 || strcmp(s, name) == 0 ||
            strchr(s + 4, 'c') != NULL) /* nvmeXcYnZ: a hidden path */
            continue;
        if (fuin__sanitize_nvme_controller(sysfs_root, s, c, sizeof c) != 0 ||
            strcmp(c, ctrl) != 0)
            continue;
        if (n + strlen(s) + 2 < cap) {
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", s);
        }
    }
    closedir(d);
}

/* ------------------------------------------------------------------ */
/* running tools                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
    fuin_sanitize_options o; /* defaults filled in                    */
    int cancelled;
} runctx;

typedef struct {
    char *out;              /* stdout, NUL-terminated, <= OUT_MAX      */
    size_t out_len;
    char err[ERR_MAX + 1];  /* stderr, first ERR_MAX bytes             */
    size_t err_len;
    int missing;            /* the tool was not found                  */
    int spawn_errno;        /* posix_spawn or pipe failed              */
    int code;               /* exit status, -1 if not exited normally  */
    int sig;                /* terminating signal, 0 if none           */
} tool_out;

static void tool_out_free(tool_out *r)
{
    free(r->out);
    memset(r, 0, sizeof *r);
}

/* The Debian package that installs each tool fuin runs. */
static const char *tool_package(const char *tool)
{
    if (strcmp(tool, "nvme") == 0)
        return "nvme-cli";
    if (strcmp(tool, "hdparm") == 0)
        return "hdparm";
    if (strcmp(tool, "blkdiscard") == 0)
        return "util-linux";
    return NULL;
}

static int find_tool(const runctx *c, const char *name, char *path,
                     size_t cap)
{
    static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin",
                                       "/bin"};
    struct stat st;
    if (c->o.tool_dir != NULL) {
        snprintf(path, cap, "%s/%s", c->o.tool_dir, name);
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
                       access(path, X_OK) == 0
                   ? 0
                   : -1;
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, cap, "%s/%s", dirs[i], name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            access(path, X_OK) == 0)
            return 0;
    }
    return -1;
}

static int tick(runctx *c, fuin_sanitize_kind step, int percent)
{
    if (c->o.progress != NULL &&
        c->o.progress(c->o.progress_ctx, step, percent) != 0)
        c->cancelled = 1;
    return c->cancelled;
}

static void append(char **buf, size_t *len, size_t *cap, const char *src,
                   size_t n, int *nomem)
{
    if (*len >= OUT_MAX)
        return;
    if (n > OUT_MAX - *len)
        n = OUT_MAX - *len;
    if (*len + n + 1 > *cap) {
        size_t nc = *cap ? *cap : 4096;
        char *nb;
        while (nc < *len + n + 1)
            nc *= 2;
        nb = realloc(*buf, nc);
        if (nb == NULL) {
            *nomem = 1;
            return;
        }
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, src, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Run cmd (posix_spawn, no shell), capturing stdout and stderr.  Returns
 * FUIN_OK when the tool ran (whatever its exit status), FUIN_E_ENVIRONMENT
 * when it is not installed, FUIN_E_IO when it could not be started,
 * FUIN_E_NOMEM. */
static fuin_status run_tool(runctx *c, fuin_sanitize_kind step,
                            const fuin_sanitize_cmd *cmd, tool_out *r)
{
    static char *const envp[] = {"PATH=" TOOL_PATH, "LC_ALL=C", NULL};
    char path[PATH_MAX], chunk[4096];
    char *av[FUIN_SANITIZE_ARGV_MAX + 1];
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, nomem = 0, st = 0, e;
    size_t out_cap = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    pid_t pid;
    struct pollfd pf[2];
    int timeout;

    memset(r, 0, sizeof *r);
    r->code = -1;
    if (find_tool(c, cmd->argv[0], path, sizeof path) != 0) {
        r->missing = 1;
        return FUIN_E_ENVIRONMENT;
    }
    for (size_t i = 0; i <= cmd->argc; i++)
        memcpy(&av[i], &cmd->argv[i], sizeof av[i]); /* drop const: the
                                                       spawn API's type */
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        r->spawn_errno = errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return FUIN_E_IO;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawnattr_init(&at);
    /* The caller may block or ignore signals (SIGPIPE, SIGINT); the tool
     * starts with the defaults. */
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    e = posix_spawn(&pid, path, &fa, &at, av, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(po[1]);
    close(pe[1]);
    if (e != 0) {
        close(po[0]);
        close(pe[0]);
        r->spawn_errno = e;
        return FUIN_E_IO;
    }
    pf[0].fd = po[0];
    pf[1].fd = pe[0];
    pf[0].events = pf[1].events = POLLIN;
    /* Heartbeats at most once a second, whatever the poll interval. */
    timeout = c->o.poll_interval_ms > (unsigned)INT_MAX ? INT_MAX
                                                        : (int)c->o.poll_interval_ms;
    if (timeout < 1000)
        timeout = 1000;
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        int k = poll(pf, 2, timeout);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (k == 0) {
            /* Still running: a heartbeat.  A cancel request is kept, not
             * acted on: killing the tool would not stop the device. */
            tick(c, step, -1);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            ssize_t n;
            if (pf[i].fd < 0 || pf[i].revents == 0)
                continue;
            n = read(pf[i].fd, chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                close(pf[i].fd);
                pf[i].fd = -1;
                continue;
            }
            if (i == 0) {
                append(&r->out, &r->out_len, &out_cap, chunk, (size_t)n, &nomem);
            } else if (r->err_len < ERR_MAX) {
                size_t take = (size_t)n;
                if (take > ERR_MAX - r->err_len)
                    take = ERR_MAX - r->err_len;
                memcpy(r->err + r->err_len, chunk, take);
                r->err_len += take;
                r->err[r->err_len] = '\0';
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0)
            close(pf[i].fd);
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            st = -1;
            break;
        }
    }
    if (st != -1 && WIFEXITED(st))
        r->code = WEXITSTATUS(st);
    else if (st != -1 && WIFSIGNALED(st))
        r->sig = WTERMSIG(st);
    if (r->out == NULL && !nomem) {
        r->out = calloc(1, 1);
        if (r->out == NULL)
            nomem = 1;
    }
    if (nomem) {
        tool_out_free(r);
        return FUIN_E_NOMEM;
    }
    return FUIN_OK;
}

/* Tool output as one line of valid UTF-8: control characters and runs of
 * white space become one space, invalid bytes '?'. */
static void clean_text(const char *src, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    int space = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && n + 1 < cap;) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f || ch == ' ') {
            space = n > 0;
            i++;
            continue;
        }
        if (space) {
            out[n++] = ' ';
            space = 0;
            if (n + 1 >= cap)
                break;
        }
        if (ch < 0x80) {
            out[n++] = (char)ch;
            i++;
        } else {
            size_t k = fuin__utf8_decode((const unsigned char *)src + i,
                                         len - i, NULL);
            if (k == 0) {
                out[n++] = '?';
                i++;
            } else if (n + k < cap) {
                memcpy(out + n, src + i, k);
                n += k;
                i += k;
            } else {
                break;
            }
        }
    }
    out[n] = '\0';
}

/* "<what>: <tool> exited with status 5: <stderr>" and the like. */
static void describe_failure(const runctx *c, const char *what,
                             const fuin_sanitize_cmd *cmd, const tool_out *r,
                             char *msg, size_t cap)
{
    char err[400];
    const char *tool = cmd->argv[0];
    if (r->missing) {
        const char *pkg = tool_package(tool);
        snprintf(msg, cap, "%s: no %s program in %s%s%s%s", what, tool,
                 c->o.tool_dir ? c->o.tool_dir : TOOL_PATH,
                 pkg ? " (install the Debian package " : "", pkg ? pkg : "",
                 pkg ? ")" : "");
        fuin__utf8_trim_tail(msg);
        return;
    }
    if (r->spawn_errno != 0) {
        snprintf(msg, cap, "%s: cannot run %s: %s", what, tool,
                 strerror(r->spawn_errno));
        return;
    }
    clean_text(r->err, r->err_len, err, sizeof err);
    if (err[0] == '\0')
        clean_text(r->out ? r->out : "", r->out ? r->out_len : 0, err,
                   sizeof err);
    if (r->sig != 0)
        snprintf(msg, cap, "%s: %s was killed by signal %d%s%s", what, tool,
                 r->sig, err[0] ? ": " : "", err);
    else
        snprintf(msg, cap, "%s: %s exited with status %d%s%s", what, tool,
                 r->code, err[0] ? ": " : "", err);
    fuin__utf8_trim_tail(msg);
}

/* Build and run `step` on `dev`; 0 when it exited with status 0, else -1
 * with the reason in msg (r keeps the output either way when it ran). */
static int step_run(runctx *c, fuin_sanitize_kind step, const char *dev,
                    tool_out *r, char *msg, size_t cap, fuin_status *st)
{
    fuin_sanitize_cmd cmd;
    const char *what = fuin_sanitize_kind_name(step);
    *st = fuin_sanitize_argv(step, dev, &c->o, &cmd);
    if (*st != FUIN_OK) {
        snprintf(msg, cap, "%s: cannot build the command for %s", what, dev);
        memset(r, 0, sizeof *r);
        return -1;
    }
    *st = run_tool(c, step, &cmd, r);
    if (*st == FUIN_E_NOMEM) {
        snprintf(msg, cap, "%s: out of memory", what);
        return -1;
    }
    if (*st != FUIN_OK || r->code != 0) {
        describe_failure(c, what, &cmd, r, msg, cap);
        *st = r->missing ? FUIN_E_ENVIRONMENT : FUIN_E_IO;
        return -1;
    }
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------ */
/* probe                                                              */
/* ------------------------------------------------------------------ */

static void why(fuin_sanitize_support *s, fuin_sanitize_kind k,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void why(fuin_sanitize_support *s, fuin_sanitize_kind k,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why_not[k], sizeof s->why_not[k], fmt, ap);
    va_end(ap);
    fuin__utf8_trim_tail(s->why_not[k]);
}

static void yes(fuin_sanitize_support *s, fuin_sanitize_kind k)
{
    s->supported |= FUIN_SANITIZE_BIT(k);
    s->why_not[k][0] = '\0';
}

static const fuin_sanitize_kind NVME_KINDS[] = {
    FUIN_SANITIZE_NVME_CRYPTO_ERASE, FUIN_SANITIZE_NVME_BLOCK_ERASE,
    FUIN_SANITIZE_NVME_OVERWRITE, FUIN_SANITIZE_NVME_FORMAT_CRYPTO,
    FUIN_SANITIZE_NVME_FORMAT_USER};
static const fuin_sanitize_kind ATA_KINDS[] = {
    FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE, FUIN_SANITIZE_ATA_BLOCK_ERASE,
    FUIN_SANITIZE_ATA_OVERWRITE, FUIN_SANITIZE_ATA_SECURITY_ERASE,
    FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED};
#define NNVME (sizeof NVME_KINDS / sizeof NVME_KINDS[0])
#define NATA (sizeof ATA_KINDS / sizeof ATA_KINDS[0])

static int is_ata_transport(const char *tr)
{
    return strcmp(tr, "ata") == 0 || strcmp(tr, "sata") == 0 ||
           strcmp(tr, "usb") == 0 || strcmp(tr, "scsi") == 0;
}

static fuin_status probe_nvme(runctx *c, const fuin_wipe_target *t,
                              fuin_sanitize_support *s)
{
    const char *root = c->o.sysfs_root ? c->o.sysfs_root : DEFAULT_SYSFS;
    char msg[FUIN_SANITIZE_WHY], sib[128];
    fuin__nvme_id_ctrl id;
    tool_out r;
    fuin_status st;
    size_t i;

    if (fuin__sanitize_nvme_controller(root, t->name, s->controller,
                                       sizeof s->controller) != 0) {
        for (i = 0; i < NNVME; i++)
            why(s, NVME_KINDS[i],
                "the NVMe controller of %s is not found in %s/block/%s",
                t->name, root, t->name);
        return FUIN_OK;
    }
    if (step_run(c, FUIN_SANITIZE_NVME_ID_CTRL, s->controller, &r, msg,
                 sizeof msg, &st) != 0) {
        if (st == FUIN_E_NOMEM) {
            tool_out_free(&r);
            return st;
        }
        for (i = 0; i < NNVME; i++)
            why(s, NVME_KINDS[i], "%s", msg);
        tool_out_free(&r);
        return FUIN_OK;
    }
    if (fuin__parse_nvme_id_ctrl(r.out, r.out_len, &id) != 0) {
        for (i = 0; i < NNVME; i++)
            why(s, NVME_KINDS[i],
                "nvme id-ctrl %s: output not understood (no sanicap, fna, "
                "oacs)", s->controller);
        tool_out_free(&r);
        return FUIN_OK;
    }
    tool_out_free(&r);
    s->nvme_sanicap = id.sanicap;
    s->nvme_fna = id.fna;
    s->nvme_oacs = id.oacs;
    if (id.sanicap & 1u)
        yes(s, FUIN_SANITIZE_NVME_CRYPTO_ERASE);
    else
        why(s, FUIN_SANITIZE_NVME_CRYPTO_ERASE,
            "the controller does not support Sanitize crypto erase "
            "(SANICAP bit 0 clear)");
    if (id.sanicap & 2u)
        yes(s, FUIN_SANITIZE_NVME_BLOCK_ERASE);
    else
        why(s, FUIN_SANITIZE_NVME_BLOCK_ERASE,
            "the controller does not support Sanitize block erase "
            "(SANICAP bit 1 clear)");
    if (id.sanicap & 4u)
        yes(s, FUIN_SANITIZE_NVME_OVERWRITE);
    else
        why(s, FUIN_SANITIZE_NVME_OVERWRITE,
            "the controller does not support Sanitize overwrite "
            "(SANICAP bit 2 clear)");
    if (!(id.oacs & 2u)) {
        why(s, FUIN_SANITIZE_NVME_FORMAT_USER,
            "the controller does not support Format NVM (OACS bit 1 clear)");
        why(s, FUIN_SANITIZE_NVME_FORMAT_CRYPTO,
            "the controller does not support Format NVM (OACS bit 1 clear)");
    } else {
        yes(s, FUIN_SANITIZE_NVME_FORMAT_USER);
        if (id.fna & 4u)
            yes(s, FUIN_SANITIZE_NVME_FORMAT_CRYPTO);
        else
            why(s, FUIN_SANITIZE_NVME_FORMAT_CRYPTO,
                "the controller does not support a cryptographic erase in "
                "Format NVM (FNA bit 2 clear)");
    }
    /* Sanitize acts on the whole subsystem, a format with FNA bit 0/1 on
     * every namespace: other namespaces would be erased unseen. */
    nvme_siblings(root, t->name, s->controller, sib, sizeof sib);
    if (sib[0] != '\0') {
        for (i = 0; i < 3; i++)
            if (s->supported & FUIN_SANITIZE_BIT(NVME_KINDS[i])) {
                s->supported &= ~FUIN_SANITIZE_BIT(NVME_KINDS[i]);
                why(s, NVME_KINDS[i],
                    "NVMe Sanitize also erases the other namespaces of %s "
                    "(%s)", s->controller, sib);
            }
        if (id.fna & 3u)
            for (i = 3; i < NNVME; i++)
                if (s->supported & FUIN_SANITIZE_BIT(NVME_KINDS[i])) {
                    s->supported &= ~FUIN_SANITIZE_BIT(NVME_KINDS[i]);
                    why(s, NVME_KINDS[i],
                        "this controller formats all namespaces at once "
                        "(FNA bit 0/1), also %s", sib);
                }
    }
    return FUIN_OK;
}

static fuin_status probe_ata(runctx *c, const fuin_wipe_target *t,
                             fuin_sanitize_support *s)
{
    char msg[FUIN_SANITIZE_WHY];
    fuin__ata_identify id;
    fuin__sanitize_state ss;
    tool_out r;
    fuin_status st;
    const char *sec_no = NULL;
    size_t i;

    if (step_run(c, FUIN_SANITIZE_ATA_IDENTIFY, t->path, &r, msg, sizeof msg,
                 &st) != 0) {
        if (st == FUIN_E_NOMEM) {
            tool_out_free(&r);
            return st;
        }
        for (i = 0; i < NATA; i++)
            why(s, ATA_KINDS[i], "%s%s", msg,
                !r.missing && strcmp(t->transport, "usb") == 0
                    ? " (USB bridges often do not pass ATA commands)"
                    : "");
        tool_out_free(&r);
        return FUIN_OK;
    }
    if (fuin__parse_hdparm_identify(r.out, r.out_len, &id) != 0) {
        for (i = 0; i < NATA; i++)
            why(s, ATA_KINDS[i],
                "hdparm -I %s: no ATA feature list in the output (not an "
                "ATA device?)", t->path);
        tool_out_free(&r);
        return FUIN_OK;
    }
    tool_out_free(&r);
    s->ata_security_frozen = id.security_frozen;

    /* ATA Security: only from "supported, not enabled, not locked, not
     * frozen, not expired"; an existing password is someone else's. */
    if (id.security_supported != 1)
        sec_no = "the drive does not support the ATA Security feature set";
    else if (id.security_frozen == 1)
        sec_no = "ATA security is frozen (by the firmware at boot): suspend "
                 "and resume the machine, or re-plug the drive, then try "
                 "again";
    else if (id.security_enabled == 1)
        sec_no = "ATA security is enabled: the drive already has a user "
                 "password, which fuin will not guess or override";
    else if (id.security_locked == 1)
        sec_no = "the drive is locked";
    else if (id.security_expired == 1)
        sec_no = "the ATA security attempt counter expired: power-cycle "
                 "the drive";
    else if (id.security_frozen != 0 || id.security_enabled != 0 ||
             id.security_locked != 0 || id.security_expired != 0)
        sec_no = "hdparm -I does not show the whole ATA security state "
                 "(frozen, enabled, locked, expired)";
    if (sec_no != NULL) {
        why(s, FUIN_SANITIZE_ATA_SECURITY_ERASE, "%s", sec_no);
        why(s, FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED, "%s", sec_no);
    } else {
        yes(s, FUIN_SANITIZE_ATA_SECURITY_ERASE);
        if (id.enhanced_erase == 1)
            yes(s, FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED);
        else
            why(s, FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED,
                "the drive does not support the enhanced security erase");
    }

    if (id.sanitize_feature != 1) {
        for (i = 0; i < 3; i++)
            why(s, ATA_KINDS[i],
                "the drive does not support the ATA SANITIZE feature set");
        return FUIN_OK;
    }
    if (id.crypto_scramble == 1)
        yes(s, FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE);
    else
        why(s, FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE,
            "the drive does not support CRYPTO SCRAMBLE EXT");
    if (id.block_erase == 1)
        yes(s, FUIN_SANITIZE_ATA_BLOCK_ERASE);
    else
        why(s, FUIN_SANITIZE_ATA_BLOCK_ERASE,
            "the drive does not support BLOCK ERASE EXT");
    if (id.overwrite == 1)
        yes(s, FUIN_SANITIZE_ATA_OVERWRITE);
    else
        why(s, FUIN_SANITIZE_ATA_OVERWRITE,
            "the drive does not support OVERWRITE EXT");

    /* The sanitize freeze lock is not in hdparm -I; SANITIZE STATUS EXT
     * tells it and changes nothing.  If the status cannot be read, the
     * sanitize command itself will say what is wrong. */
    s->ata_sanitize_frozen = -1;
    if (step_run(c, FUIN_SANITIZE_ATA_SANITIZE_STATUS, t->path, &r, msg,
                 sizeof msg, &st) == 0) {
        char *both = NULL;
        size_t bl = r.out_len + r.err_len;
        both = malloc(bl + 1);
        if (both == NULL) {
            tool_out_free(&r);
            return FUIN_E_NOMEM;
        }
        memcpy(both, r.out, r.out_len);
        memcpy(both + r.out_len, r.err, r.err_len);
        both[bl] = '\0';
        if (fuin__parse_hdparm_sanitize_status(both, bl, &ss) == 0) {
            s->ata_sanitize_frozen = ss.status == FUIN__SAN_FROZEN;
            for (i = 0; i < 3; i++) {
                if (!(s->supported & FUIN_SANITIZE_BIT(ATA_KINDS[i])))
                    continue;
                if (ss.status == FUIN__SAN_FROZEN) {
                    s->supported &= ~FUIN_SANITIZE_BIT(ATA_KINDS[i]);
                    why(s, ATA_KINDS[i],
                        "ATA sanitize is frozen (SANITIZE FREEZE LOCK since "
                        "power-on): power-cycle the drive, then try again");
                } else if (ss.status == FUIN__SAN_RUNNING) {
                    s->supported &= ~FUIN_SANITIZE_BIT(ATA_KINDS[i]);
                    why(s, ATA_KINDS[i],
                        "a sanitize operation is already in progress on %s",
                        t->path);
                }
            }
        }
        free(both);
    } else if (st == FUIN_E_NOMEM) {
        tool_out_free(&r);
        return st;
    }
    tool_out_free(&r);
    return FUIN_OK;
}

static void fill_defaults(runctx *c, const fuin_sanitize_options *o)
{
    memset(c, 0, sizeof *c);
    if (o != NULL)
        c->o = *o;
    else
        fuin_sanitize_options_init(&c->o);
    if (c->o.max_polls == 0)
        c->o.max_polls = DEFAULT_MAX_POLLS;
}

static fuin_status probe(runctx *c, const fuin_wipe_target *t,
                         fuin_sanitize_support *out)
{
    const char *tr = t->transport;
    size_t i;

    memset(out, 0, sizeof *out);
    out->ata_security_frozen = -1;
    out->ata_sanitize_frozen = -1;
    if (t->is_partition) {
        for (i = 0; i < NKINDS; i++)
            if (KINDS[i].method)
                why(out, KINDS[i].kind,
                    "%s is a partition: device erase commands erase the "
                    "whole disk (/dev/%s)", t->path, t->disk);
        return FUIN_OK;
    }
    /* BLKSECDISCARD is the only test, and it needs the device open for
     * writing; blkdiscard --secure fails cleanly where unsupported. */
    out->unknown |= FUIN_SANITIZE_BIT(FUIN_SANITIZE_BLKDISCARD_SECURE);
    why(out, FUIN_SANITIZE_BLKDISCARD_SECURE,
        "the kernel does not tell whether %s supports secure discard "
        "(blkdiscard --secure fails cleanly if not)", t->path);
    if (strcmp(tr, "nvme") == 0) {
        for (i = 0; i < NATA; i++)
            why(out, ATA_KINDS[i], "transport nvme: use the nvme-* methods");
        return probe_nvme(c, t, out);
    }
    for (i = 0; i < NNVME; i++)
        why(out, NVME_KINDS[i], "transport %s is not NVMe",
            tr[0] ? tr : "unknown");
    if (is_ata_transport(tr))
        return probe_ata(c, t, out);
    for (i = 0; i < NATA; i++)
        why(out, ATA_KINDS[i], "transport %s has no ATA commands",
            tr[0] ? tr : "unknown");
    return FUIN_OK;
}

fuin_status fuin_sanitize_probe(const fuin_wipe_target *t,
                                const fuin_sanitize_options *o,
                                fuin_sanitize_support *out, char *err,
                                size_t errcap)
{
    runctx c;
    fuin_status st;

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (out == NULL || t == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "sanitize probe: no target");
        return FUIN_E_INVALID;
    }
    memset(out, 0, sizeof *out);
    if (t->kind != FUIN_WIPE_KIND_DEVICE) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "%s: not a block device", t->path);
        return FUIN_E_INVALID;
    }
    fill_defaults(&c, o);
    st = probe(&c, t, out);
    if (st != FUIN_OK && err != NULL && errcap > 0)
        snprintf(err, errcap, "%s: %s", t->path, fuin_strerror(st));
    return st;
}

fuin_sanitize_kind fuin_sanitize_recommend(const fuin_sanitize_support *s,
                                           const fuin_wipe_target *t)
{
    size_t n;
    const fuin_sanitize_kind *m = fuin_sanitize_methods(&n);
    if (s == NULL)
        return (fuin_sanitize_kind)0;
    for (size_t i = 0; i < n; i++)
        if ((s->supported & FUIN_SANITIZE_BIT(m[i])) &&
            fuin_sanitize_category_for(m[i], t) == FUIN_WIPE_PURGE)
            return m[i];
    return (fuin_sanitize_kind)0;
}

/* ------------------------------------------------------------------ */
/* execution                                                          */
/* ------------------------------------------------------------------ */

static int nvme_sanitize_kind(fuin_sanitize_kind k)
{
    return k == FUIN_SANITIZE_NVME_BLOCK_ERASE ||
           k == FUIN_SANITIZE_NVME_CRYPTO_ERASE ||
           k == FUIN_SANITIZE_NVME_OVERWRITE;
}

static int sanact_of(fuin_sanitize_kind k)
{
    return k == FUIN_SANITIZE_NVME_BLOCK_ERASE   ? 2
           : k == FUIN_SANITIZE_NVME_OVERWRITE ? 3
                                               : 4;
}

/* Poll the device's sanitize status until it ends.  0 on success. */
static int poll_sanitize(runctx *c, fuin_sanitize_kind kind,
                         const char *dev, char *msg, size_t cap,
                         fuin_status *st)
{
    int nvme = nvme_sanitize_kind(kind);
    fuin_sanitize_kind step = nvme ? FUIN_SANITIZE_NVME_SANITIZE_LOG
                                   : FUIN_SANITIZE_ATA_SANITIZE_STATUS;
    const char *what = fuin_sanitize_kind_name(step);

    for (unsigned i = 0;; i++) {
        fuin__sanitize_state ss;
        tool_out r;
        int prc;
        if (i >= c->o.max_polls) {
            snprintf(msg, cap,
                     "%s: gave up waiting after %u status polls; the device "
                     "may still be sanitizing (it cannot be stopped)",
                     what, i);
            *st = FUIN_E_IO;
            return -1;
        }
        if (i > 0)
            sleep_ms(c->o.poll_interval_ms);
        if (tick(c, step, -1)) {
            snprintf(msg, cap,
                     "cancelled while waiting; the device continues its "
                     "sanitize operation (it cannot be stopped)");
            *st = FUIN_E_IO;
            return -1;
        }
        if (step_run(c, step, dev, &r, msg, cap, st) != 0) {
            tool_out_free(&r);
            return -1;
        }
        if (nvme) {
            prc = fuin__parse_nvme_sanitize_log(r.out, r.out_len, &ss);
        } else {
            char *both = malloc(r.out_len + r.err_len + 1);
            if (both == NULL) {
                tool_out_free(&r);
                snprintf(msg, cap, "%s: out of memory", what);
                *st = FUIN_E_NOMEM;
                return -1;
            }
            memcpy(both, r.out, r.out_len);
            memcpy(both + r.out_len, r.err, r.err_len);
            both[r.out_len + r.err_len] = '\0';
            prc = fuin__parse_hdparm_sanitize_status(both, r.out_len + r.err_len,
                                                     &ss);
            free(both);
        }
        tool_out_free(&r);
        *st = FUIN_E_IO;
        if (prc != 0) {
            snprintf(msg, cap, "%s: the status output was not understood",
                     what);
            return -1;
        }
        switch (ss.status) {
        case FUIN__SAN_RUNNING:
            if (tick(c, step, ss.percent)) {
                snprintf(msg, cap,
                         "cancelled while waiting; the device continues its "
                         "sanitize operation (it cannot be stopped)");
                return -1;
            }
            continue;
        case FUIN__SAN_DONE:
        case FUIN__SAN_DONE_NODEALLOC:
            /* A success left over from an earlier sanitize must not pass
             * for this one: the log names the action of the latest. */
            if (nvme && ss.cdw10 >= 0 && (ss.cdw10 & 7) != sanact_of(kind)) {
                snprintf(msg, cap,
                         "%s: the last completed sanitize was action %lld, "
                         "not the %d fuin started",
                         what, ss.cdw10 & 7, sanact_of(kind));
                return -1;
            }
            tick(c, step, 100);
            *st = FUIN_OK;
            return 0;
        case FUIN__SAN_FAILED:
            snprintf(msg, cap, "%s: the device reports that the sanitize "
                     "operation failed", what);
            return -1;
        case FUIN__SAN_NEVER:
            snprintf(msg, cap, "%s: the device reports no completed sanitize "
                     "operation: it did not start", what);
            return -1;
        case FUIN__SAN_FROZEN:
            snprintf(msg, cap, "%s: ATA sanitize is frozen: power-cycle the "
                     "drive", what);
            return -1;
        default:
            snprintf(msg, cap, "%s: unknown sanitize status %d", what,
                     ss.status);
            return -1;
        }
    }
}

static int run_method(runctx *c, fuin_sanitize_kind kind,
                      const fuin_wipe_target *t, const char *ctrl,
                      char *msg, size_t cap, fuin_status *st)
{
    tool_out r;
    int rc;

    switch (kind) {
    case FUIN_SANITIZE_NVME_BLOCK_ERASE:
    case FUIN_SANITIZE_NVME_CRYPTO_ERASE:
    case FUIN_SANITIZE_NVME_OVERWRITE:
        if (tick(c, kind, -1))
            return -1;
        rc = step_run(c, kind, ctrl, &r, msg, cap, st);
        tool_out_free(&r);
        if (rc != 0)
            return -1;
        return poll_sanitize(c, kind, ctrl, msg, cap, st);
    case FUIN_SANITIZE_ATA_CRYPTO_SCRAMBLE:
    case FUIN_SANITIZE_ATA_BLOCK_ERASE:
    case FUIN_SANITIZE_ATA_OVERWRITE:
        if (tick(c, kind, -1))
            return -1;
        rc = step_run(c, kind, t->path, &r, msg, cap, st);
        tool_out_free(&r);
        if (rc != 0)
            return -1;
        return poll_sanitize(c, kind, t->path, msg, cap, st);
    case FUIN_SANITIZE_ATA_SECURITY_ERASE:
    case FUIN_SANITIZE_ATA_SECURITY_ERASE_ENHANCED: {
        char dmsg[256];
        fuin_status dst;
        if (tick(c, FUIN_SANITIZE_ATA_SET_PASSWORD, -1))
            return -1;
        rc = step_run(c, FUIN_SANITIZE_ATA_SET_PASSWORD, t->path, &r, msg,
                      cap, st);
        tool_out_free(&r);
        if (rc != 0)
            return -1;
        if (!tick(c, kind, -1)) {
            rc = step_run(c, kind, t->path, &r, msg, cap, st);
            tool_out_free(&r);
            if (rc == 0)
                return 0; /* the drive clears the password itself */
        } else {
            snprintf(msg, cap, "cancelled after setting the temporary ATA "
                     "password");
            *st = FUIN_E_IO;
        }
        /* Do not leave the drive locked with fuin's password. */
        if (step_run(c, FUIN_SANITIZE_ATA_SECURITY_DISABLE, t->path, &r, dmsg,
                     sizeof dmsg, &dst) == 0) {
            size_t l = strlen(msg);
            snprintf(msg + l, cap - l, "; the temporary password was removed "
                     "again");
        } else {
            size_t l = strlen(msg);
            snprintf(msg + l, cap - l, "; removing the temporary password "
                     "failed too (%s): the drive keeps user password \"%s\"",
                     dmsg, FUIN_SANITIZE_ATA_PASSWORD);
        }
        tool_out_free(&r);
        return -1;
    }
    case FUIN_SANITIZE_NVME_FORMAT_USER:
    case FUIN_SANITIZE_NVME_FORMAT_CRYPTO:
    case FUIN_SANITIZE_BLKDISCARD_SECURE:
        if (tick(c, kind, -1))
            return -1;
        rc = step_run(c, kind, t->path, &r, msg, cap, st);
        tool_out_free(&r);
        return rc;
    default:
        snprintf(msg, cap, "not a sanitize method");
        *st = FUIN_E_INVALID;
        return -1;
    }
}

static fuin_status finish(fuin_wipe_result *res, fuin_status st)
{
    res->end_time = (int64_t)time(NULL);
    res->success = st == FUIN_OK;
    if (res->success)
        res->message[0] = '\0';
    else
        res->errors = res->errors ? res->errors : 1;
    fuin__utf8_trim_tail(res->message);
    return st;
}

fuin_status fuin_sanitize_allowed(fuin_sanitize_kind kind,
                                  const fuin_wipe_target *t,
                                  const fuin_sanitize_support *s, unsigned flags,
                                  char *why, size_t cap)
{
    uint32_t bit = FUIN_SANITIZE_BIT(kind);
    fuin__set_msg(why, cap, "%s", "");
    if (!fuin_sanitize_is_method(kind) || t == NULL ||
        t->kind != FUIN_WIPE_KIND_DEVICE)
        return FUIN_E_INVALID;
    if (t->is_partition) {
        fuin__set_msg(why, cap, "it is a partition: device erase commands erase "
                      "the whole disk (/dev/%s)", t->disk);
        return FUIN_E_POLICY;
    }
    if (t->refused) {
        fuin__set_msg(why, cap, "%s", t->refuse_reason[0] ? t->refuse_reason : "refused");
        return FUIN_E_POLICY;
    }
    if (s == NULL)
        return FUIN_OK;
    /* Force lifts only "cannot tell" (secure discard): a method the probe
     * found unsupported or unsafe (other NVMe namespaces, a frozen or
     * enabled security state, a sanitize already running) stays refused. */
    if ((s->supported & bit) || ((flags & FUIN_SANITIZE_F_FORCE) && (s->unknown & bit)))
        return FUIN_OK;
    fuin__set_msg(why, cap, "%s",
                  s->why_not[kind][0] ? s->why_not[kind] : "not supported by the device");
    return FUIN_E_POLICY;
}

fuin_status fuin_sanitize_run(fuin_sanitize_kind kind,
                              const fuin_wipe_target *t,
                              const fuin_sanitize_options *o,
                              fuin_wipe_result *res)
{
    runctx c;
    fuin_sanitize_support own;
    const fuin_sanitize_support *s;
    const char *name = fuin_sanitize_kind_name(kind);
    char ctrl[64] = "";
    fuin_status st = FUIN_OK;
    struct stat sb;
    int fd = -1;

    if (res == NULL)
        return FUIN_E_INVALID;
    memset(res, 0, sizeof *res);
    res->kind = FUIN_WIPE_KIND_DEVICE;
    res->verify = FUIN_WIPE_VERIFY_NONE;
    res->fail_offset = -1;
    res->caveat = FUIN_SANITIZE_NOTE;
    res->start_time = (int64_t)time(NULL);
    if (!fuin_sanitize_is_method(kind)) {
        fuin__set_msg(res->message, sizeof res->message,
                 "not a device sanitize method");
        return finish(res, FUIN_E_INVALID);
    }
    res->category = fuin_sanitize_category_for(kind, t);
    if (t == NULL) {
        fuin__set_msg(res->message, sizeof res->message, "%s: no target", name);
        return finish(res, FUIN_E_INVALID);
    }
    if (t->kind != FUIN_WIPE_KIND_DEVICE) {
        fuin__set_msg(res->message, sizeof res->message,
                 "%s: %s is not a block device", name, t->path);
        return finish(res, FUIN_E_INVALID);
    }
    if (t->is_partition || t->refused) {
        char why[FUIN_WIPE_TEXT + 64];
        (void)fuin_sanitize_allowed(kind, t, NULL, 0, why, sizeof why);
        fuin__set_msg(res->message, sizeof res->message, "%s: %s: %s", name,
                      t->path, why);
        return finish(res, FUIN_E_POLICY);
    }
    fill_defaults(&c, o);
    s = c.o.support;
    if (s == NULL) {
        st = probe(&c, t, &own);
        if (st != FUIN_OK) {
            fuin__set_msg(res->message, sizeof res->message, "%s: %s: probe: %s",
                     name, t->path, fuin_strerror(st));
            return finish(res, st);
        }
        s = &own;
    }
    {
        char why[FUIN_WIPE_TEXT + 64];
        if (fuin_sanitize_allowed(kind, t, s, c.o.flags, why, sizeof why) != FUIN_OK) {
            fuin__set_msg(res->message, sizeof res->message, "%s: %s: %s", name,
                          t->path, why);
            return finish(res, FUIN_E_POLICY);
        }
    }
    if (nvme_sanitize_kind(kind)) {
        if (s->controller[0] != '\0')
            snprintf(ctrl, sizeof ctrl, "%s", s->controller);
        else if (fuin__sanitize_nvme_controller(c.o.sysfs_root, t->name, ctrl,
                                                sizeof ctrl) != 0) {
            fuin__set_msg(res->message, sizeof res->message,
                     "%s: the NVMe controller of %s is not found in sysfs",
                     name, t->path);
            return finish(res, FUIN_E_IO);
        }
    }
    /* Held for the whole run: nothing can mount the device meanwhile. */
    if (c.o.held != NULL) {
        int hfd = fuin_wipe_device_fd(c.o.held);
        if (hfd < 0 || fstat(hfd, &sb) != 0 ||
            !S_ISBLK(sb.st_mode) || major(sb.st_rdev) != t->major ||
            minor(sb.st_rdev) != t->minor) {
            fuin__set_msg(res->message, sizeof res->message,
                   "%s: %s: the held device is not this target", name, t->path);
            return finish(res, FUIN_E_INVALID);
        }
    } else if (stat(t->path, &sb) == 0 && S_ISBLK(sb.st_mode)) {
        fd = open(t->path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            int e = errno;
            fuin__set_msg(res->message, sizeof res->message, "%s: %s: %s%s", name,
                     t->path, strerror(e),
                     e == EBUSY ? " (the device is in use)" : "");
            return finish(res, e == EBUSY ? FUIN_E_POLICY : FUIN_E_IO);
        }
    }
    if (run_method(&c, kind, t, ctrl, res->message, sizeof res->message,
                   &st) != 0) {
        if (c.cancelled) {
            res->cancelled = 1;
            if (res->message[0] == '\0')
                fuin__set_msg(res->message, sizeof res->message,
                         "%s: cancelled before it started", name);
        }
        if (st == FUIN_OK)
            st = FUIN_E_IO;
    } else {
        st = FUIN_OK;
    }
    if (fd >= 0)
        close(fd);
    return finish(res, st);
}
