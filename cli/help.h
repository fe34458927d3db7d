/* Help text generated at build time from docs/commands/<cmd>.txt, the same
 * source as the man page sections (cmake/gen_help.cmake). */
#ifndef FUIN_CLI_HELP_H
#define FUIN_CLI_HELP_H
/* Full help text for a subcommand ("encrypt"), or NULL if unknown. */
const char *fuin_help_for(const char *cmd);
/* The overview printed by `fuin`, `fuin help` and `fuin --help`. */
const char *fuin_help_overview(void);
#endif
