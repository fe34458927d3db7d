#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "common.h"
#include "help.h"

const char *fuin_cli_safe(const char *s)
{
    /* a ring: up to 16 strings in one printf() stay valid */
    static char *ring[16];
    static unsigned next;
    char *e;
    if (s == NULL)
        return "";
    if ((e = fuin_text_escape(s, strlen(s))) == NULL)
        return "(out of memory)";
    free(ring[next]);
    ring[next] = e;
    next = (next + 1) % 16;
    return e;
}

void fuin_cli_put_lines(const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *e = fuin_text_escape(p, n);
        fputs(e ? e : "(out of memory)", stdout);
        fputc('\n', stdout);
        free(e);
        p += n + (nl != NULL);
    }
}

void fuin_cli_error(const char *cmd, const char *file, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The contract is one line per error, and what a file or another
     * person chose (a name, a path, a comment inside the message) must
     * neither start a second line nor drive the terminal. */
    if (file != NULL)
        fprintf(stderr, "fuin: %s: %s: %s\n", cmd, fuin_cli_safe(file), fuin_cli_safe(msg));
    else
        fprintf(stderr, "fuin: %s: %s\n", cmd, fuin_cli_safe(msg));
}

int fuin_cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fuin: %s: %s (see 'fuin help %s')\n", cmd, fuin_cli_safe(msg), cmd);
    return FUIN_EXIT_USAGE;
}

int fuin_cli_print_help(const char *cmd)
{
    const char *text = cmd ? fuin_help_for(cmd) : fuin_help_overview();
    size_t n;
    if (text == NULL) {
        fuin_cli_error("help", NULL, "unknown command \"%s\"", cmd);
        return FUIN_EXIT_USAGE;
    }
    n = strlen(text);
    fputs(text, stdout);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stdout);
    if (fuin_cli_stdout_check(cmd ? cmd : "help") != 0)
        return FUIN_EXIT_IO;
    return FUIN_EXIT_OK;
}

int fuin_cli_bad_option(const char *cmd, int c, char **argv)
{
    /* A long option has been consumed whole, so argv[optind - 1] is it; a
     * short one may sit inside a cluster ("-xa"), so only optopt names it. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int is_long = strncmp(arg, "--", 2) == 0 && arg[2] != '\0';
    const char *eq = is_long ? strchr(arg, '=') : NULL;

    if (c == ':') {
        if (is_long)
            return fuin_cli_usage(cmd, "option \"%s\" needs a value", arg);
        return fuin_cli_usage(cmd, "option \"-%c\" needs a value", optopt);
    }
    if (is_long && eq != NULL && optopt != 0)
        return fuin_cli_usage(cmd, "option \"%.*s\" takes no value",
                              (int)(eq - arg), arg);
    if (optopt > 0 && optopt < 256 && !is_long)
        return fuin_cli_usage(cmd, "unknown option \"-%c\"", optopt);
    return fuin_cli_usage(cmd, "unknown or ambiguous option \"%s\"", arg);
}

int fuin_cli_set_once(const char *cmd, const char **slot, const char *value,
                      const char *opt)
{
    if (*slot != NULL)
        return fuin_cli_usage(cmd, "%s given more than once", opt);
    *slot = value;
    return 0;
}

int fuin_cli_set_flag(const char *cmd, int *slot, const char *opt)
{
    if (*slot)
        return fuin_cli_usage(cmd, "%s given more than once", opt);
    *slot = 1;
    return 0;
}

static int stdout_reported;

int fuin_cli_stdout_check(const char *cmd)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (!bad)
        return 0;
    if (!stdout_reported) {
        stdout_reported = 1;
        fuin_cli_error(cmd, FUIN_CLI_STDOUT_NAME, "cannot write: %s",
                       strerror(e ? e : EIO));
    }
    return FUIN_EXIT_IO;
}

int fuin_cli_stdout_close(const char *cmd)
{
    int rc = fuin_cli_stdout_check(cmd);
    if (rc == 0 && fclose(stdout) != 0 && errno != EBADF) {
        int e = errno;
        if (!stdout_reported) {
            stdout_reported = 1;
            fuin_cli_error(cmd, FUIN_CLI_STDOUT_NAME, "cannot write: %s", strerror(e));
        }
        rc = FUIN_EXIT_IO;
    }
    return rc;
}

int fuin_cli_exit_code(fuin_status s, int from_args)
{
    switch (s) {
    case FUIN_OK:
        return FUIN_EXIT_OK;
    case FUIN_E_NO_MATCH:
    case FUIN_E_HMAC:
    case FUIN_E_PAYLOAD:
    case FUIN_E_POLICY:
    case FUIN_E_SIGNATURE:
    case FUIN_E_COMMENT:
    case FUIN_E_WRONG_KEY:
    case FUIN_E_UNTRUSTED:
    case FUIN_E_EXPIRED:
    case FUIN_E_REVOKED:
    case FUIN_E_FOREIGN_ROOT:
    case FUIN_E_WEAK_PASSPHRASE:
        return FUIN_EXIT_REFUSED;
    case FUIN_E_AMBIGUOUS:
        return FUIN_EXIT_USAGE;
    case FUIN_E_SIGFORMAT:
    case FUIN_E_SYNTAX:
        return FUIN_EXIT_FORMAT;
    case FUIN_E_INVALID:
        return from_args ? FUIN_EXIT_USAGE : FUIN_EXIT_INTERNAL;
    case FUIN_E_LABEL:
    case FUIN_E_KEY:
        return from_args ? FUIN_EXIT_USAGE : FUIN_EXIT_FORMAT;
    case FUIN_E_HEADER:
    case FUIN_E_ARMOR:
    case FUIN_E_LIMIT:
        return FUIN_EXIT_FORMAT;
    case FUIN_E_IO:
        return FUIN_EXIT_IO;
    case FUIN_E_EXISTS:
        return FUIN_EXIT_EXISTS;
    case FUIN_E_PASSPHRASE:
        return FUIN_EXIT_USAGE;
    case FUIN_E_NOMEM:
    case FUIN_E_STATE:
        return FUIN_EXIT_INTERNAL;
    case FUIN_E_ENVIRONMENT:
        return FUIN_EXIT_ENVIRONMENT;
    case FUIN_E_MISMATCH:
        return FUIN_EXIT_MISMATCH;
    case FUIN_E_UNSAFE:
        return FUIN_EXIT_UNSAFE;
    case FUIN_E_LABEL_CONFLICT:
        return FUIN_EXIT_LABEL_CONFLICT;
    }
    return FUIN_EXIT_INTERNAL;
}

int fuin_cli_package_exit_code(fuin_status s)
{
    switch (s) {
    case FUIN_E_SIGNATURE:
    case FUIN_E_COMMENT:
    case FUIN_E_WRONG_KEY:
    case FUIN_E_SIGFORMAT:
        return FUIN_EXIT_BAD_SIGNATURE;
    case FUIN_E_UNTRUSTED:
    case FUIN_E_FOREIGN_ROOT:
    case FUIN_E_EXPIRED:
    case FUIN_E_REVOKED:
        return FUIN_EXIT_UNTRUSTED;
    case FUIN_E_PAYLOAD:
    case FUIN_E_MISMATCH:
        return FUIN_EXIT_MISMATCH;
    case FUIN_E_UNSAFE:
    case FUIN_E_LIMIT:
        return FUIN_EXIT_UNSAFE;
    case FUIN_E_SYNTAX:
    case FUIN_E_HEADER:
        return FUIN_EXIT_FORMAT;
    default:
        return fuin_cli_exit_code(s, 0);
    }
}

const char *fuin_cli_msg(const char *errmsg, fuin_status s)
{
    /* A handle answers "no error" when a failing call left no detail; the
     * status then says more than that. */
    if (errmsg == NULL || errmsg[0] == '\0' || strcmp(errmsg, "no error") == 0)
        return fuin_strerror(s);
    return errmsg;
}

/* ---- input and output ------------------------------------------------- */

int fuin_cli_open_input(const char *cmd, const char *path, const char **name,
                        int *exit_code)
{
    struct stat st;
    int fd;
    if (path == NULL || strcmp(path, "-") == 0) {
        *name = FUIN_CLI_STDIN_NAME;
        fd = STDIN_FILENO;
    } else {
        *name = path;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            fuin_cli_error(cmd, path, "cannot open: %s", strerror(errno));
            *exit_code = FUIN_EXIT_IO;
            return -1;
        }
    }
    if (fstat(fd, &st) != 0) {
        fuin_cli_error(cmd, *name, "cannot read: %s", strerror(errno));
        *exit_code = FUIN_EXIT_IO;
        if (fd != STDIN_FILENO)
            close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        fuin_cli_error(cmd, *name, "is a directory");
        *exit_code = FUIN_EXIT_IO;
        if (fd != STDIN_FILENO)
            close(fd);
        return -1;
    }
    return fd;
}

int fuin_cli_check_output(const char *cmd, const char *path, int force)
{
    struct stat st;
    char *dir;
    const char *slash;
    size_t dlen;
    int rc = 0;

    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fuin_cli_error(cmd, path, "is a directory");
            return FUIN_EXIT_IO;
        }
        /* /dev/null, a pipe (or /dev/stdout, a link to one): written in
         * place, nothing is replaced */
        if (S_ISLNK(st.st_mode)) {
            struct stat ts;
            if (stat(path, &ts) == 0 && (S_ISCHR(ts.st_mode) || S_ISFIFO(ts.st_mode)))
                return 0;
        }
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
            return 0;
        if (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
            fuin_cli_error(cmd, path, "is a %s; fuin writes only to files, "
                                      "character devices and pipes",
                           S_ISBLK(st.st_mode) ? "block device" : "socket");
            return FUIN_EXIT_IO;
        }
        if (force <= 0) {
            fuin_cli_error(cmd, path, force < 0 ? "file exists"
                                                : "file exists (use --force to replace it)");
            return FUIN_EXIT_EXISTS;
        }
        return 0;
    }
    slash = strrchr(path, '/');
    if (slash == NULL)
        return 0;
    dlen = slash == path ? 1 : (size_t)(slash - path);
    dir = malloc(dlen + 1);
    if (dir == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    if (stat(dir, &st) != 0) {
        fuin_cli_error(cmd, path, "cannot create: %s", strerror(errno));
        rc = FUIN_EXIT_IO;
    } else if (!S_ISDIR(st.st_mode)) {
        fuin_cli_error(cmd, path, "cannot create: %s", strerror(ENOTDIR));
        rc = FUIN_EXIT_IO;
    }
    free(dir);
    return rc;
}

const char *fuin_cli_fd_error_name(fuin_status s, const char *errmsg,
                                   const char *in_name, const char *out_path)
{
    const char *out_name = out_path ? out_path : FUIN_CLI_STDOUT_NAME;
    if (s == FUIN_E_EXISTS)
        return out_name;
    if (s != FUIN_E_IO)
        return in_name;
    if (errmsg != NULL && strncasecmp(errmsg, "read", 4) == 0)
        return in_name;
    return out_name;
}

int fuin_cli_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- key files -------------------------------------------------------- */

void fuin_cli_free_secret(char *buf, size_t len)
{
    if (buf == NULL)
        return;
    sodium_memzero(buf, len);
    sodium_free(buf);
}

int fuin_cli_read_keyfile(const char *cmd, const char *path, const char *name,
                          char **out, size_t *outlen)
{
    struct stat st;
    size_t cap, n = 0;
    char *buf;
    int fd, rc = 0;

    *out = NULL;
    *outlen = 0;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            fuin_cli_error(cmd, name, "cannot open: %s", strerror(errno));
            return FUIN_EXIT_IO;
        }
    }
    if (fstat(fd, &st) != 0) {
        fuin_cli_error(cmd, name, "cannot read: %s", strerror(errno));
        rc = FUIN_EXIT_IO;
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        fuin_cli_error(cmd, name, "is a directory");
        rc = FUIN_EXIT_IO;
        goto done;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > FUIN_CLI_KEYFILE_MAX) {
        fuin_cli_error(cmd, name, "key file larger than %u bytes",
                       FUIN_CLI_KEYFILE_MAX);
        rc = FUIN_EXIT_FORMAT;
        goto done;
    }
    /* Size the guarded buffer from the file when we can, so a small key file
     * does not lock a whole megabyte; one spare byte detects growth and
     * holds the terminator. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : FUIN_CLI_KEYFILE_MAX + 1;
    buf = sodium_malloc(cap);
    if (buf == NULL) {
        fuin_cli_error(cmd, name, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    for (;;) {
        ssize_t r;
        if (n == cap) {
            fuin_cli_error(cmd, name,
                           S_ISREG(st.st_mode) ? "file changed while being read"
                                               : "key file too large");
            rc = S_ISREG(st.st_mode) ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
            break;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fuin_cli_error(cmd, name, "cannot read: %s", strerror(errno));
            rc = FUIN_EXIT_IO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (rc != 0) {
        fuin_cli_free_secret(buf, cap);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
done:
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

char *fuin_cli_next_line(char *text, size_t len, size_t *pos, int *lineno)
{
    while (*pos < len) {
        char *line = text + *pos;
        char *nl = memchr(line, '\n', len - *pos);
        size_t l = nl ? (size_t)(nl - line) : len - *pos;
        *pos += l + (nl ? 1 : 0);
        (*lineno)++;
        line[l] = '\0'; /* the byte was '\n', or the terminator past len */
        if (l > 0 && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l == 0 || line[0] == '#')
            continue;
        return line;
    }
    return NULL;
}

/* ---- passphrases ------------------------------------------------------ */

static void pass_fail(fuin_cli_pass *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pass_fail(fuin_cli_pass *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    p->exit_code = code;
}

/* Read the first line of a file (without its "\n" and any "\r"). */
static int pass_from_file(fuin_cli_pass *p, char *buf, size_t *len)
{
    size_t n = 0;
    char *nl = NULL;
    int fd = open(p->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        pass_fail(p, FUIN_EXIT_IO, "%s: cannot open passphrase file: %s",
                  p->file, strerror(errno));
        return -1;
    }
    while (n < FUIN_CLI_PASS_MAX + 1) {
        ssize_t r = read(fd, buf + n, FUIN_CLI_PASS_MAX + 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            pass_fail(p, FUIN_EXIT_IO, "%s: cannot read passphrase file: %s",
                      p->file, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        nl = memchr(buf + n, '\n', (size_t)r);
        n += (size_t)r;
        if (nl != NULL)
            break;
    }
    close(fd);
    if (nl != NULL)
        n = (size_t)(nl - buf);
    else if (n > FUIN_CLI_PASS_MAX) {
        pass_fail(p, FUIN_EXIT_USAGE,
                  "%s: passphrase longer than %d bytes", p->file,
                  FUIN_CLI_PASS_MAX);
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
        n--;
    if (n == 0) {
        pass_fail(p, FUIN_EXIT_USAGE, "%s: empty passphrase refused", p->file);
        return -1;
    }
    *len = n;
    return 0;
}

/* The terminal whose echo is off, so a signal can restore it. */
static volatile sig_atomic_t tty_saved_fd = -1;
static struct termios tty_saved;

static void tty_restore_on_signal(int sig)
{
    if (tty_saved_fd >= 0)
        tcsetattr(tty_saved_fd, TCSAFLUSH, &tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int tty_read_line(int fd, const char *prompt, char *buf, size_t *len,
                         fuin_cli_pass *p)
{
    struct termios noecho;
    struct sigaction sa, old_int, old_term, old_hup;
    size_t n = 0;
    int rc = 0, too_long = 0;

    if (tcgetattr(fd, &tty_saved) != 0) {
        pass_fail(p, FUIN_EXIT_IO, "cannot read passphrase: /dev/tty: %s",
                  strerror(errno));
        return -1;
    }
    noecho = tty_saved;
    noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    noecho.c_lflag |= ICANON;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tty_restore_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    tty_saved_fd = fd;

    /* Echo goes off before the prompt appears, so nothing typed in answer
     * to it can be echoed or flushed away. */
    if (tcsetattr(fd, TCSAFLUSH, &noecho) != 0 ||
        fuin_cli_write_all(fd, prompt, strlen(prompt)) != 0) {
        pass_fail(p, FUIN_EXIT_IO, "cannot read passphrase: /dev/tty: %s",
                  strerror(errno));
        rc = -1;
    }
    while (rc == 0) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            pass_fail(p, FUIN_EXIT_IO, "cannot read passphrase: /dev/tty: %s",
                      strerror(errno));
            rc = -1;
            break;
        }
        if (r == 0 || c == '\n')
            break;
        if (n < FUIN_CLI_PASS_MAX)
            buf[n++] = c;
        else
            too_long = 1;
        sodium_memzero(&c, sizeof c);
    }
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    tty_saved_fd = -1;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    (void)!write(fd, "\n", 1);
    if (rc != 0)
        return rc;
    while (n > 0 && buf[n - 1] == '\r')
        n--;
    if (too_long) {
        pass_fail(p, FUIN_EXIT_USAGE, "passphrase longer than %d bytes",
                  FUIN_CLI_PASS_MAX);
        return -1;
    }
    if (n == 0) {
        pass_fail(p, FUIN_EXIT_USAGE, "empty passphrase refused");
        return -1;
    }
    *len = n;
    return 0;
}

static int pass_from_tty(fuin_cli_pass *p, int confirm, char *buf, size_t *len)
{
    char *again = NULL;
    size_t alen = 0;
    int rc;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        pass_fail(p, FUIN_EXIT_USAGE,
                  "cannot read a passphrase: no terminal (/dev/tty: %s); use "
                  "--passphrase-file",
                  strerror(errno));
        return -1;
    }
    rc = tty_read_line(fd, p->prompt ? p->prompt : "Enter passphrase: ", buf,
                       len, p);
    if (rc == 0 && confirm) {
        again = sodium_malloc(FUIN_CLI_PASS_MAX + 1);
        if (again == NULL) {
            pass_fail(p, FUIN_EXIT_INTERNAL, "out of memory");
            rc = -1;
        } else {
            rc = tty_read_line(fd,
                               p->confirm_prompt ? p->confirm_prompt
                                                 : "Confirm passphrase: ",
                               again, &alen, p);
            if (rc == 0 &&
                (alen != *len || sodium_memcmp(again, buf, alen) != 0)) {
                pass_fail(p, FUIN_EXIT_USAGE, "passphrases do not match");
                rc = -1;
            }
            fuin_cli_free_secret(again, FUIN_CLI_PASS_MAX + 1);
        }
    }
    close(fd);
    return rc;
}

int fuin_cli_get_passphrase(fuin_cli_pass *p, int confirm, char **out,
                            size_t *len)
{
    char *buf = sodium_malloc(FUIN_CLI_PASS_MAX + 1);
    int rc;
    *out = NULL;
    *len = 0;
    if (buf == NULL) {
        pass_fail(p, FUIN_EXIT_INTERNAL, "out of memory");
        return -1;
    }
    rc = p->file ? pass_from_file(p, buf, len)
                 : pass_from_tty(p, confirm, buf, len);
    if (rc != 0) {
        fuin_cli_free_secret(buf, FUIN_CLI_PASS_MAX + 1);
        *len = 0;
        return rc;
    }
    *out = buf;
    return 0;
}

int fuin_cli_passphrase_cb(void *ctx, int confirm, char *buf, size_t cap,
                           size_t *len)
{
    fuin_cli_pass *p = ctx;
    char *pass;
    size_t n;
    p->called = 1;
    if (fuin_cli_get_passphrase(p, confirm, &pass, &n) != 0)
        return -1;
    if (n > cap) {
        pass_fail(p, FUIN_EXIT_USAGE, "passphrase longer than %zu bytes", cap);
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
        return -1;
    }
    memcpy(buf, pass, n);
    *len = n;
    fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
    return 0;
}

/* ---- identities, signatures, trust store (issue 3) -------------------- */

char *fuin_cli_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int slash = dl > 0 && dir[dl - 1] != '/';
    char *p = malloc(dl + (size_t)slash + nl + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    if (slash)
        p[dl] = '/';
    memcpy(p + dl + (size_t)slash, name, nl + 1);
    return p;
}

char *fuin_cli_suffix(const char *path, const char *suffix)
{
    size_t pl = strlen(path), sl = strlen(suffix);
    char *p = malloc(pl + sl + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, path, pl);
    memcpy(p + pl, suffix, sl + 1);
    return p;
}

int fuin_cli_default_dir(const char *cmd, const char *sub, char **out)
{
    const char *home = getenv("HOME");
    char *base;
    *out = NULL;
    if (home == NULL || home[0] != '/') {
        fuin_cli_error(cmd, NULL, "HOME is not set to an absolute path; use --dir");
        return FUIN_EXIT_USAGE;
    }
    base = fuin_cli_path(home, ".config/fuin");
    if (base != NULL && sub != NULL) {
        char *full = fuin_cli_path(base, sub);
        free(base);
        base = full;
    }
    if (base == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    *out = base;
    return 0;
}

int fuin_cli_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int fuin_cli_is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int fuin_cli_is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fuin_cli_mkdir_private(const char *cmd, const char *dir)
{
    char *copy = strdup(dir);
    struct stat st;
    int rc = 0;
    if (copy == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    /* Each missing component in turn, like mkdir -p, so a fresh
     * ~/.config/fuin does not need ~/.config to exist. */
    for (char *p = copy + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
            fuin_cli_error(cmd, copy, "cannot create directory: %s",
                           strerror(errno));
            rc = FUIN_EXIT_IO;
            break;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fuin_cli_error(cmd, dir, "not a directory");
        rc = FUIN_EXIT_IO;
    }
    free(copy);
    return rc;
}

int fuin_cli_read_file(const char *cmd, const char *path, size_t max,
                       char **out, size_t *outlen, int *missing)
{
    struct stat st;
    size_t cap, n = 0;
    char *buf;
    int fd, rc = 0;

    *out = NULL;
    *outlen = 0;
    if (missing != NULL)
        *missing = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (missing != NULL && errno == ENOENT) {
            *missing = 1;
            return 0;
        }
        fuin_cli_error(cmd, path, "cannot open: %s", strerror(errno));
        return FUIN_EXIT_IO;
    }
    if (fstat(fd, &st) != 0) {
        fuin_cli_error(cmd, path, "cannot read: %s", strerror(errno));
        close(fd);
        return FUIN_EXIT_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        fuin_cli_error(cmd, path, "is a directory");
        close(fd);
        return FUIN_EXIT_IO;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        fuin_cli_error(cmd, path, "file larger than %zu bytes", max);
        close(fd);
        return FUIN_EXIT_FORMAT;
    }
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : max + 1;
    buf = malloc(cap);
    if (buf == NULL) {
        fuin_cli_error(cmd, path, "out of memory");
        close(fd);
        return FUIN_EXIT_INTERNAL;
    }
    for (;;) {
        ssize_t r;
        if (n == cap) {
            if (S_ISREG(st.st_mode)) {
                fuin_cli_error(cmd, path, "file changed while being read");
                rc = FUIN_EXIT_IO;
            } else {
                fuin_cli_error(cmd, path, "file larger than %zu bytes", max);
                rc = FUIN_EXIT_FORMAT;
            }
            break;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fuin_cli_error(cmd, path, "cannot read: %s", strerror(errno));
            rc = FUIN_EXIT_IO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

void fuin_cli_sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd;
    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

void fuin_cli_discard(fuin_cli_staged *st)
{
    fuin_outfile_abort(st->of);
    st->of = NULL;
    free(st->path);
    st->path = NULL;
}

/* The one line for a failed output, and its exit code. */
static int out_error(const char *cmd, const char *path, fuin_status s,
                     const char *msg, int force)
{
    if (s == FUIN_E_EXISTS) {
        fuin_cli_error(cmd, path, force < 0 ? "file exists"
                                            : "file exists (use --force to replace it)");
        return FUIN_EXIT_EXISTS;
    }
    fuin_cli_error(cmd, path, "cannot write: %s", fuin_cli_msg(msg, s));
    return fuin_cli_exit_code(s, 0);
}

/* What an interrupted run left in the directory, removed: say so. */
void fuin_cli_report_stale(const char *cmd, const char *path, unsigned n)
{
    if (n > 0)
        fuin_cli_error(cmd, path,
                       "note: removed %u stale temporary file%s (partial output of "
                       "an interrupted fuin) from its directory",
                       n, n == 1 ? "" : "s");
}

int fuin_cli_stage(const char *cmd, const char *path, const void *buf,
                   size_t len, int mode, int force, fuin_cli_staged *st)
{
    char msg[512];
    fuin_status s;
    st->of = NULL;
    st->force = force;
    if ((st->path = strdup(path)) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    msg[0] = '\0';
    s = fuin_outfile_open(path, mode, force > 0 ? FUIN_F_FORCE : 0, &st->of, msg,
                          sizeof msg);
    if (s == FUIN_OK) {
        fuin_cli_report_stale(cmd, path, fuin_outfile_stale_removed(st->of));
        s = fuin_outfile_write(st->of, buf, len, msg, sizeof msg);
    }
    if (s != FUIN_OK) {
        int rc = out_error(cmd, path, s, msg, force);
        fuin_cli_discard(st);
        return rc;
    }
    return 0;
}

int fuin_cli_commit(const char *cmd, fuin_cli_staged *st)
{
    char msg[512];
    fuin_status s;
    msg[0] = '\0';
    s = fuin_outfile_commit(st->of, msg, sizeof msg);
    st->of = NULL;
    if (s != FUIN_OK)
        return out_error(cmd, st->path, s, msg, st->force);
    return 0;
}

int fuin_cli_commit_pair(const char *cmd, fuin_cli_staged *a, fuin_cli_staged *b)
{
    int rc = fuin_cli_commit(cmd, a);
    if (rc != 0)
        return rc;
    rc = fuin_cli_commit(cmd, b);
    if (rc != 0 && a->force <= 0)
        unlink(a->path);
    return rc;
}

void fuin_cli_sha256_hex(const void *buf, size_t len, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, buf, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

/* A whole new file through fuin_outfile, never replacing one. */
static int write_new(const char *cmd, const char *path, const void *buf, size_t len,
                     int mode)
{
    fuin_cli_staged st = {0};
    int rc = fuin_cli_stage(cmd, path, buf, len, mode, -1, &st);
    if (rc == 0)
        rc = fuin_cli_commit(cmd, &st);
    fuin_cli_discard(&st);
    return rc;
}

int fuin_cli_write_public(const char *cmd, const char *path, const void *buf,
                          size_t len)
{
    return write_new(cmd, path, buf, len, 0644);
}

int fuin_cli_write_secret(const char *cmd, const char *path, const void *buf,
                          size_t len)
{
    return write_new(cmd, path, buf, len, 0600);
}

int fuin_cli_open_store(const char *cmd, const char *dir, fuin_store **out)
{
    char err[1024];
    fuin_status s;
    *out = NULL;
    if (dir == NULL) {
        /* No installed store is a normal state (the built-in default
         * policy applies); a broken one is not, so once root.pub exists
         * every error counts. */
        struct stat st;
        if (lstat(FUIN_CLI_DEFAULT_STORE "/root.pub", &st) != 0 &&
            errno == ENOENT)
            return 0;
        dir = FUIN_CLI_DEFAULT_STORE;
    }
    {
        /* The causes people meet, each in its own words with what to do. */
        struct stat st;
        char *root = fuin_cli_path(dir, "root.pub");
        int have_dir = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        int have_root = root != NULL && lstat(root, &st) == 0;
        free(root);
        if (!have_dir) {
            fuin_cli_error(cmd, NULL,
                           "trust store %s does not exist: set it up with `fuin "
                           "store init ROOT.pub --store %s`",
                           dir, dir);
            return FUIN_EXIT_IO;
        }
        if (!have_root) {
            fuin_cli_error(cmd, NULL,
                           "trust store %s has no root key (no %s/root.pub): set "
                           "it up with `fuin store init ROOT.pub --store %s`",
                           dir, dir, dir);
            return FUIN_EXIT_IO;
        }
    }
    err[0] = '\0';
    s = fuin_store_open(dir, out, err, sizeof err);
    if (s != FUIN_OK) {
        const char *hint = "";
        if (strstr(err, "policy.ini") != NULL && s == FUIN_E_SIGNATURE)
            hint = " (install the CISO's signed policy.ini with its .minisig: "
                   "fuin store update policy.ini)";
        else if (strstr(err, "revoked.txt") != NULL)
            hint = " (install the CISO's revoked.txt with its .minisig: fuin "
                   "store update revoked.txt)";
        else if (strstr(err, "/certs/") != NULL)
            hint = " (remove it, or install the CISO's certificate again: fuin "
                   "store add --force CERT)";
        fuin_cli_error(cmd, NULL, "trust store: %s%s", fuin_cli_msg(err, s), hint);
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

int fuin_cli_load_policy(const char *cmd, const fuin_store *store,
                         fuin_policy **out)
{
    size_t len = 0;
    const char *text = store ? fuin_store_policy_text(store, &len) : NULL;
    char err[1024];
    fuin_status s;
    *out = NULL;
    err[0] = '\0';
    if (text == NULL)
        s = fuin_policy_default(out);
    else
        s = fuin_policy_parse(text, len, fuin_store_policy_path(store), out,
                              err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, NULL, "%s", fuin_cli_msg(err, s));
        return s == FUIN_E_LIMIT ? FUIN_EXIT_FORMAT : fuin_cli_exit_code(s, 0);
    }
    return 0;
}

int fuin_cli_passphrase_ready(const char *cmd, const fuin_policy *pol)
{
    char msg[1024];
    fuin_status s;
    msg[0] = '\0';
    s = fuin_passphrase_ready(pol, msg, sizeof msg);
    if (s == FUIN_OK)
        return 0;
    fuin_cli_error(cmd, NULL, "%s", fuin_cli_msg(msg, s));
    return fuin_cli_exit_code(s, 0);
}

int fuin_cli_new_passphrase(fuin_cli_pass *p, const fuin_policy *pol,
                            char **out, size_t *len)
{
    char msg[1024];
    fuin_status s;
    int rc;
    if ((rc = fuin_cli_passphrase_ready(p->cmd, pol)) != 0)
        return rc;
    if (fuin_cli_get_passphrase(p, 1, out, len) != 0) {
        fuin_cli_error(p->cmd, NULL, "%s", p->errmsg);
        return p->exit_code;
    }
    msg[0] = '\0';
    s = fuin_passphrase_check(pol, *out, *len, msg, sizeof msg);
    if (s != FUIN_OK) {
        fuin_cli_free_secret(*out, FUIN_CLI_PASS_MAX + 1);
        *out = NULL;
        *len = 0;
        fuin_cli_error(p->cmd, s == FUIN_E_ENVIRONMENT ? NULL : p->file, "%s",
                       fuin_cli_msg(msg, s));
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

int fuin_cli_load_seckey(const char *cmd, const char *path, fuin_cli_pass *p,
                         fuin_seckey **sk)
{
    char *text, *pass = NULL;
    size_t len, plen = 0;
    char err[512];
    int rc, enc;
    fuin_status s;

    *sk = NULL;
    rc = fuin_cli_read_keyfile(cmd, path, path, &text, &len);
    if (rc != 0)
        return rc;
    enc = fuin_seckey_file_encrypted(text, len);
    if (enc == 1 && fuin_cli_get_passphrase(p, 0, &pass, &plen) != 0) {
        fuin_cli_free_secret(text, len + 1);
        fuin_cli_error(cmd, p->file ? NULL : path, "%s", p->errmsg);
        return p->exit_code;
    }
    err[0] = '\0';
    s = fuin_seckey_parse(text, len, pass, plen, sk, err, sizeof err);
    fuin_cli_free_secret(text, len + 1);
    if (pass != NULL)
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, path, "%s", fuin_cli_msg(err, s));
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

/* ---- disposal records (issue 4) ---------------------------------------- */
int fuin_cli_load_operator(const char *cmd, const char *dir,
                           const char *passfile, fuin_seckey **sk,
                           char name[FUIN_TEXT_MAX])
{
    char *base = NULL, *key_path = NULL, *card_path = NULL, *text = NULL;
    size_t len = 0;
    int missing = 0, rc;
    fuin_pubkey pk;
    fuin_card card;
    fuin_cli_pass p = {.cmd = cmd, .file = passfile};

    *sk = NULL;
    name[0] = '\0';
    if (dir != NULL)
        base = strdup(dir);
    else if ((rc = fuin_cli_default_dir(cmd, NULL, &base)) != 0)
        return rc;
    if (base == NULL || (key_path = fuin_cli_path(base, "sign.key")) == NULL ||
        (card_path = fuin_cli_path(base, "card.pub")) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_load_seckey(cmd, key_path, &p, sk)) != 0)
        goto done;
    fuin_seckey_public(*sk, &pk);
    rc = fuin_cli_read_file(cmd, card_path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                            &missing);
    if (rc != 0)
        goto done;
    /* A card for another key is not this operator's. */
    if (!missing && fuin_card_parse(text, len, &card, NULL, 0) == FUIN_OK &&
        memcmp(card.sign_pk.keyid, pk.keyid, FUIN_KEYID_BYTES) == 0 &&
        sodium_memcmp(card.sign_pk.pk, pk.pk, sizeof pk.pk) == 0)
        memcpy(name, card.name, FUIN_TEXT_MAX);
    if (name[0] == '\0')
        fuin_keyid_hex(pk.keyid, name);
done:
    if (rc != 0) {
        fuin_seckey_free(*sk);
        *sk = NULL;
    }
    free(text);
    free(card_path);
    free(key_path);
    free(base);
    return rc;
}

int fuin_cli_ledger_path(const char *cmd, const char *given, char **out)
{
    if (given != NULL) {
        *out = strdup(given);
        if (*out == NULL) {
            fuin_cli_error(cmd, NULL, "out of memory");
            return FUIN_EXIT_INTERNAL;
        }
        return 0;
    }
    return fuin_cli_default_dir(cmd, "ledger.jsonl", out);
}

/* ---- disposal requests and approvals ---------------------------------- */
/* "KEY: VALUE\n" at text[*pos]; value copied (at most cap-1 bytes, no
 * control characters).  0 or -1. */
/* REQUEST's .minisig or .approval, read whole. */
static int read_sig(const char *cmd, const char *path, const char *suffix, char **sig,
                    size_t *siglen, char **sigpath)
{
    *sig = NULL;
    if ((*sigpath = fuin_cli_suffix(path, suffix)) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    return fuin_cli_read_file(cmd, *sigpath, FUIN_CLI_PUBFILE_MAX, sig, siglen, NULL);
}

/* A refusal of the library's request/approval checks, named as before:
 * what is wrong with the signature file names that file. */
static int approval_fail(const char *cmd, const char *path, const char *sigpath, fuin_status s,
                         const char *err)
{
    int about_sig = s == FUIN_E_SIGFORMAT || s == FUIN_E_UNTRUSTED || s == FUIN_E_SIGNATURE;
    fuin_cli_error(cmd, about_sig ? sigpath : path, "%s", fuin_cli_msg(err, s));
    return fuin_cli_exit_code(s, 0);
}

void fuin_cli_request_clear(fuin_cli_request *rq)
{
    free(rq->text);
    memset(rq, 0, sizeof *rq);
}

int fuin_cli_request_check(const char *cmd, const fuin_store *store,
                           const char *path, fuin_cli_request *rq)
{
    char *sig = NULL, *sigpath = NULL, err[1024];
    size_t siglen = 0;
    fuin_request_info info;
    fuin_status s;
    int rc;

    memset(rq, 0, sizeof *rq);
    if ((rc = fuin_cli_read_file(cmd, path, FUIN_CLI_REQUEST_MAX, &rq->text,
                                 &rq->len, NULL)) != 0)
        return rc;
    if ((rc = read_sig(cmd, path, ".minisig", &sig, &siglen, &sigpath)) != 0)
        goto fail;
    err[0] = '\0';
    if ((s = fuin_request_verify(store, rq->text, rq->len, sig, siglen, &info, err,
                                 sizeof err)) != FUIN_OK) {
        rc = approval_fail(cmd, path, sigpath, s, err);
        goto fail;
    }
    memcpy(rq->asset, info.asset, sizeof rq->asset);
    memcpy(rq->requester, info.requester, sizeof rq->requester);
    memcpy(rq->class_text, info.class_text, sizeof rq->class_text);
    memcpy(rq->reason, info.reason, sizeof rq->reason);
    memcpy(rq->created, info.created, sizeof rq->created);
    memcpy(rq->keyid, info.keyid, FUIN_KEYID_BYTES);
    rq->info = info;
    free(sig);
    free(sigpath);
    return 0;
fail:
    free(sig);
    free(sigpath);
    fuin_cli_request_clear(rq);
    return rc;
}

int fuin_cli_approval_check(const char *cmd, const fuin_store *store,
                            const char *path, const fuin_cli_request *rq,
                            char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4])
{
    char *sig = NULL, *sigpath = NULL, err[1024];
    size_t siglen = 0;
    fuin_policy *pol = NULL;
    fuin_status s;
    int rc;

    approver[0] = '\0';
    if ((rc = read_sig(cmd, path, ".approval", &sig, &siglen, &sigpath)) != 0)
        goto done;
    /* the role the store's policy requires for this kind and class */
    if ((rc = fuin_cli_load_policy(cmd, store, &pol)) != 0)
        goto done;
    err[0] = '\0';
    if ((s = fuin_approval_verify(store, pol, &rq->info, rq->text, rq->len, sig, siglen, 0,
                                  approver, FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4, err,
                                  sizeof err)) != FUIN_OK)
        rc = approval_fail(cmd, path, sigpath, s, err);
done:
    fuin_policy_free(pol);
    free(sig);
    free(sigpath);
    return rc;
}

int fuin_cli_provide_approval(const char *cmd, const fuin_store *store,
                              const fuin_policy *pol, const char *request,
                              const char *object, const char *alt,
                              fuin_label *label, int *has_label,
                              fuin_request_info *info,
                              char approver[FUIN_CLI_APPROVER_MAX])
{
    char *text = NULL, *rsig = NULL, *asig = NULL, *rpath = NULL, *apath = NULL, err[1024];
    size_t len = 0, rlen = 0, alen = 0;
    fuin_request_info pre;
    fuin_status s;
    int rc;

    approver[0] = '\0';
    if (store == NULL) {
        fuin_cli_error(cmd, request, "--approval needs a trust store; give --store DIR");
        return FUIN_EXIT_USAGE;
    }
    if ((rc = fuin_cli_read_file(cmd, request, FUIN_CLI_REQUEST_MAX, &text, &len, NULL)) != 0 ||
        (rc = read_sig(cmd, request, ".minisig", &rsig, &rlen, &rpath)) != 0 ||
        (rc = read_sig(cmd, request, ".approval", &asig, &alen, &apath)) != 0)
        goto done;
    /* A single file packed alone may be approved by its own sha256. */
    if (alt != NULL && fuin_request_parse(text, len, &pre, NULL, 0) == FUIN_OK &&
        strcmp(pre.object, alt) == 0)
        object = alt;
    err[0] = '\0';
    s = fuin_approval_check(store, pol, "provide", object, 0, text, len, rsig, rlen, asig, alen,
                            info, approver, FUIN_CLI_APPROVER_MAX, err, sizeof err);
    if (s != FUIN_OK) {
        int about_sig = s == FUIN_E_SIGFORMAT || s == FUIN_E_UNTRUSTED || s == FUIN_E_SIGNATURE;
        /* which signature: the request's, or the approval's */
        const char *where = !about_sig ? request : strncmp(err, "approver", 8) == 0 ? apath : rpath;
        fuin_cli_error(cmd, where, "%s; nothing written", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    {
        fuin_label rl;
        char lt[FUIN_TEXT_MAX];
        if (fuin_label_parse(info->class_text, &rl, NULL, 0) != FUIN_OK) {
            fuin_cli_error(cmd, request, "request class is not a label");
            rc = FUIN_EXIT_FORMAT;
            goto done;
        }
        if (!*has_label) {
            *label = rl;
            *has_label = 1;
        } else {
            lt[0] = '\0';
            (void)fuin_label_format(label, lt, sizeof lt);
            if (strcmp(lt, info->class_text) != 0) {
                fuin_cli_error(cmd, request,
                               "request is for class %s, not %s: the approver approved "
                               "that class; nothing written",
                               info->class_text, lt);
                rc = FUIN_EXIT_REFUSED;
                goto done;
            }
        }
    }
    rc = 0;
done:
    free(text);
    free(rsig);
    free(asig);
    free(rpath);
    free(apath);
    return rc;
}

int fuin_cli_provide_refused(const char *cmd, const fuin_policy *pol,
                             const fuin_label *label, const char *what)
{
    char v[32], where[512], lt[FUIN_TEXT_MAX];
    unsigned line = 0;
    if (label == NULL || !fuin_policy_provide_approval_required(pol, label->confidentiality))
        return 0;
    v[0] = where[0] = lt[0] = '\0';
    if (fuin_policy_value(pol, "approval", "provide", v, sizeof v, &line) == FUIN_OK)
        (void)fuin_policy_origin(pol, line, where, sizeof where);
    (void)fuin_label_format(label, lt, sizeof lt);
    fuin_cli_error(cmd, NULL,
                   "policy: %s: [approval] provide = %s: %s of %s information for a "
                   "recipient outside (no valid certificate in the trust store) needs an "
                   "approved provide request; ask for one (fuin request provide), have it "
                   "approved (fuin approve) and give --approval REQUEST; nothing written",
                   where[0] ? where : "built-in default", v, what, lt);
    return FUIN_EXIT_REFUSED;
}

int fuin_cli_request_class(const char *cmd, const char *path, fuin_label *out)
{
    char *text = NULL, err[256];
    size_t len = 0;
    fuin_request_info info;
    fuin_status s;
    int rc;
    if ((rc = fuin_cli_read_file(cmd, path, FUIN_CLI_REQUEST_MAX, &text, &len, NULL)) != 0)
        return rc;
    err[0] = '\0';
    s = fuin_request_parse(text, len, &info, err, sizeof err);
    free(text);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, path, "%s", fuin_cli_msg(err, s));
        return FUIN_EXIT_FORMAT;
    }
    err[0] = '\0';
    if ((s = fuin_label_parse(info.class_text, out, err, sizeof err)) != FUIN_OK) {
        fuin_cli_error(cmd, path, "request class: %s", fuin_cli_msg(err, s));
        return FUIN_EXIT_FORMAT;
    }
    return 0;
}

int fuin_cli_load_operator_pub(const char *cmd, const char *dir, fuin_pubkey *pk)
{
    char *base = NULL, *path = NULL, *text = NULL, err[512];
    size_t len = 0;
    int rc;
    fuin_status s;
    if (dir != NULL)
        base = strdup(dir);
    else if ((rc = fuin_cli_default_dir(cmd, NULL, &base)) != 0)
        return rc;
    if (base == NULL || (path = fuin_cli_path(base, "sign.pub")) == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_read_file(cmd, path, FUIN_CLI_PUBFILE_MAX, &text, &len, NULL)) != 0)
        goto done;
    err[0] = '\0';
    s = fuin_pubkey_parse(text, len, pk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(cmd, path, "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
    }
done:
    free(text);
    free(path);
    free(base);
    return rc;
}

int fuin_cli_same_operator(const char *cmd, const fuin_seckey *sk,
                           const fuin_pubkey *pk)
{
    fuin_pubkey have;
    char a[FUIN_KEYID_HEX], b[FUIN_KEYID_HEX];
    fuin_seckey_public(sk, &have);
    if (memcmp(have.keyid, pk->keyid, FUIN_KEYID_BYTES) == 0 &&
        sodium_memcmp(have.pk, pk->pk, sizeof pk->pk) == 0)
        return 0;
    fuin_keyid_hex(have.keyid, a);
    fuin_keyid_hex(pk->keyid, b);
    fuin_cli_error(cmd, NULL, "sign.key (key %s) is not the key of sign.pub (key "
                              "%s): the key directory is inconsistent; nothing done",
                   a, b);
    return FUIN_EXIT_REFUSED;
}

int fuin_cli_approval_claim(const char *cmd, const fuin_store *store,
                            const char *request, const char *request_hash,
                            const char *what)
{
    char err[1024];
    fuin_status s;
    err[0] = '\0';
    s = fuin_store_approval_claim(store, request_hash, what, err, sizeof err);
    if (s == FUIN_OK)
        return 0;
    if (s == FUIN_E_EXISTS) {
        fuin_cli_error(cmd, request,
                       "this approval was already used (%s); a new request is "
                       "needed; nothing done",
                       err);
        return FUIN_EXIT_REFUSED;
    }
    fuin_cli_error(cmd, request,
                   "cannot record the use of this approval in the trust store "
                   "(%s); nothing done",
                   fuin_cli_msg(err, s));
    return fuin_cli_exit_code(s, 0);
}

int fuin_cli_provide_claim(const char *cmd, const fuin_store *store, const char *request,
                           const fuin_request_info *info, const char *verb)
{
    char what[2 * FUIN_TEXT_MAX + 64], t[FUIN_TIME_MAX];
    fuin_time_format_rfc3339((int64_t)time(NULL), t, sizeof t);
    snprintf(what, sizeof what, "%s of %.80s to %.200s at %s", verb, info->object,
             info->destination, t);
    return fuin_cli_approval_claim(cmd, store, request, info->hash, what);
}

int fuin_cli_disposal_approval(const char *cmd, const fuin_store *store,
                               const char *request, const char *asset,
                               const fuin_label *label, const fuin_pubkey *op,
                               const char *ledger,
                               char approver[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4],
                               char request_hash[65])
{
    fuin_cli_request rq;
    char lt[FUIN_TEXT_MAX];
    int rc;

    memset(&rq, 0, sizeof rq);
    if (store == NULL) {
        fuin_cli_error(cmd, request, "--approval needs a trust store; give --store DIR");
        return FUIN_EXIT_USAGE;
    }
    if ((rc = fuin_cli_request_check(cmd, store, request, &rq)) != 0)
        goto done;
    if (strcmp(rq.info.kind, "disposal") != 0) {
        fuin_cli_error(cmd, request, "request is a%s %s request, not disposal; nothing done",
                       rq.info.kind[0] == 'e' ? "n" : "", rq.info.kind);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (memcmp(op->keyid, rq.keyid, FUIN_KEYID_BYTES) != 0) {
        fuin_cli_error(cmd, request,
                       "request is by %s, not by this operator; nothing done",
                       rq.requester);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if (asset == NULL || strcmp(asset, rq.asset) != 0) {
        fuin_cli_error(cmd, request,
                       "request is for asset %s, not --asset %s; nothing done",
                       rq.asset, asset ? asset : "(none)");
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    /* The approval is for the class the manager saw: a 機密性3 request
     * cannot be carried out as 機密性1 to dodge that class's rules. */
    lt[0] = '\0';
    if (label != NULL)
        (void)fuin_label_format(label, lt, sizeof lt);
    if (strcmp(lt, rq.class_text) != 0) {
        fuin_cli_error(cmd, request,
                       "request is for class %s, not --class %s; nothing done",
                       rq.class_text, lt[0] ? lt : "(none)");
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    if ((rc = fuin_cli_approval_check(cmd, store, request, &rq, approver)) != 0)
        goto done;
    {
        uint8_t h[crypto_hash_sha256_BYTES];
        char id[17];
        uint64_t seq = 0;
        fuin_status s;
        crypto_hash_sha256(h, (const uint8_t *)rq.text, rq.len);
        sodium_bin2hex(request_hash, 65, h, sizeof h);
        {
            /* The store's record of used approvals, whatever ledger is
             * named: another --ledger does not make an approval new. */
            char note[512];
            if (fuin_store_approval_used(store, request_hash, note, sizeof note) ==
                FUIN_OK) {
                fuin_cli_error(cmd, request,
                               "this approval was already used (%s); a new "
                               "request is needed; nothing done",
                               note);
                rc = FUIN_EXIT_REFUSED;
                goto done;
            }
        }
        s = fuin_ledger_find_request(ledger, request_hash, id, &seq);
        if (s == FUIN_OK) {
            fuin_cli_error(cmd, request,
                           "this approval was already carried out (record %s, seq %" PRIu64
                           "); a new request is needed; nothing done",
                           id, seq);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        if (s != FUIN_E_NO_MATCH) {
            fuin_cli_error(cmd, ledger, "cannot read the ledger: %s", fuin_strerror(s));
            rc = s == FUIN_E_IO ? FUIN_EXIT_IO : FUIN_EXIT_FORMAT;
            goto done;
        }
    }
    fprintf(stderr, "fuin: %s: %s: disposal of %s approved by %s\n", cmd, request,
            rq.asset, approver);
done:
    fuin_cli_request_clear(&rq);
    return rc;
}

int fuin_cli_disposal_begin(const char *cmd, const char *class_text,
                            const char *approval, const char *store_dir,
                            fuin_label *label, int *has_label,
                            fuin_store **store, fuin_policy **pol)
{
    int rc;
    *has_label = 0;
    *store = NULL;
    *pol = NULL;
    if (class_text != NULL) {
        char err[256];
        fuin_status s;
        err[0] = '\0';
        s = fuin_label_parse(class_text, label, err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(cmd, NULL, "--class: %s", fuin_cli_msg(err, s));
            return fuin_cli_exit_code(s, 1);
        }
        *has_label = 1;
    } else if (approval != NULL) {
        /* The request's class; its signature is checked (and the class
         * compared again) before anything is done. */
        if ((rc = fuin_cli_request_class(cmd, approval, label)) != 0)
            return rc;
        *has_label = 1;
    }
    if ((rc = fuin_cli_open_store(cmd, store_dir, store)) != 0)
        return rc;
    if ((rc = fuin_cli_load_policy(cmd, *store, pol)) != 0) {
        fuin_store_free(*store);
        *store = NULL;
        return rc;
    }
    if (approval != NULL && *store == NULL) {
        fuin_cli_error(cmd, approval, "--approval needs a trust store; give --store DIR");
        fuin_policy_free(*pol);
        *pol = NULL;
        return FUIN_EXIT_USAGE;
    }
    return 0;
}

void fuin_cli_human_size(uint64_t n, char *buf, size_t cap)
{
    if (n < 1024)
        snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
    else if (n < 1024 * 1024)
        snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
    else if (n < 1024ull * 1024 * 1024)
        snprintf(buf, cap, "%.1f MiB", (double)n / (1024.0 * 1024));
    else
        snprintf(buf, cap, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
}
