/* fuin: the program.  Dispatches to one function per subcommand; all the
 * work is done by libfuin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"
#include "help.h"

static int cmd_help(int argc, char **argv);

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"keygen", fuin_cmd_keygen},
    {"encrypt", fuin_cmd_encrypt},
    {"decrypt", fuin_cmd_decrypt},
    {"inspect", fuin_cmd_inspect},
    {"key", fuin_cmd_key},
    {"sign", fuin_cmd_sign},
    {"verify", fuin_cmd_verify},
    {"ciso", fuin_cmd_ciso},
    {"policy", fuin_cmd_policy},
    {"wipe", fuin_cmd_wipe},
    {"ledger", fuin_cmd_ledger},
    {"request", fuin_cmd_request},
    {"approve", fuin_cmd_approve},
    {"store", fuin_cmd_store},
    {"pack", fuin_cmd_pack},
    {"unpack", fuin_cmd_unpack},
    {"label", fuin_cmd_label},
    {"help", cmd_help},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(int argc, char **argv)
{
    if (argc == 1)
        return fuin_cli_print_help(NULL);
    if (argc > 2)
        return fuin_cli_usage("help", "too many arguments");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help("help");
    return fuin_cli_print_help(argv[1]);
}

/* Keys, passphrases and plaintext must never land in a core file, and
 * ptrace by another process of the same user is refused as well.  For
 * debugging fuin itself, FUIN_DEBUG_CORE=1 leaves both as they are
 * (documented in fuin(1); it gives no secret to anybody who could not
 * already read the process). */
static void no_core_dumps(void)
{
    struct rlimit rl = {0, 0};
    const char *dbg = getenv("FUIN_DEBUG_CORE");
    if (dbg != NULL && strcmp(dbg, "1") == 0)
        return;
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)setrlimit(RLIMIT_CORE, &rl);
}

/* SIGINT, SIGTERM, SIGHUP, SIGPIPE: a named temporary output still being
 * written (file systems without O_TMPFILE) is removed, then the signal
 * does what it would have done.  Commands that handle a signal themselves
 * (fuin wipe) install their own handler over this one. */
static void on_fatal_signal(int sig)
{
    fuin_outfile_unlink_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_fatal_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        /* an ignored signal (nohup, a shell's trap '' PIPE) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        (void)sigaction(sigs[i], &sa, NULL);
    }
}

/* Whatever a command printed on standard output reached it: a full disk
 * or a closed pipe is an I/O error (exit 4), never a success; reported
 * once, whether or not the command looked. */
static int finish_stdout(const char *cmd, int rc)
{
    if (fuin_cli_stdout_close(cmd) != 0 && rc == FUIN_EXIT_OK)
        rc = FUIN_EXIT_IO;
    return rc;
}

int main(int argc, char **argv)
{
    no_core_dumps();
    catch_fatal_signals();

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return finish_stdout("help", fuin_cli_print_help(NULL));
    if (strcmp(argv[1], "--version") == 0) {
        if (argc > 2) {
            fprintf(stderr, "fuin: --version takes no arguments\n");
            return FUIN_EXIT_USAGE;
        }
        printf("fuin %s\n", FUIN_VERSION_STRING);
        return finish_stdout("version", FUIN_EXIT_OK);
    }
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "fuin: cannot initialise libsodium\n");
        return FUIN_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return finish_stdout(commands[i].name, commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "fuin: unknown command \"%s\"\n", argv[1]);
    return FUIN_EXIT_USAGE;
}
