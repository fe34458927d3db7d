/* fuin: the program.  Dispatches to one function per subcommand; all the
 * work is done by libfuin. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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

/* Keys and passphrases must never land in a core file, and ptrace by
 * another process of the same user is refused as well. */
static void no_core_dumps(void)
{
    struct rlimit rl = {0, 0};
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)setrlimit(RLIMIT_CORE, &rl);
}

int main(int argc, char **argv)
{
    no_core_dumps();

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help(NULL);
    if (strcmp(argv[1], "--version") == 0) {
        if (argc > 2) {
            fprintf(stderr, "fuin: --version takes no arguments\n");
            return FUIN_EXIT_USAGE;
        }
        printf("fuin %s\n", FUIN_VERSION_STRING);
        return fflush(stdout) == 0 ? FUIN_EXIT_OK : FUIN_EXIT_IO;
    }
    if (fuin_init() != FUIN_OK) {
        fprintf(stderr, "fuin: cannot initialise libsodium\n");
        return FUIN_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "fuin: unknown command \"%s\"\n", argv[1]);
    return FUIN_EXIT_USAGE;
}
