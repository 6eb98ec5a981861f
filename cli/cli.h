/* Internal interface between the eiw program's main() and its subcommands.
 * Each subcommand parses its own arguments (argv[0] is the subcommand name) and returns
 * the process exit status (see EXIT STATUS in docs/eiw.1). Nothing here is public API. */
#ifndef EIW_CLI_H
#define EIW_CLI_H

enum {
    EIW_EXIT_OK = 0,
    EIW_EXIT_ERROR = 1,     /* bad input data, I/O failure, refused overwrite */
    EIW_EXIT_USAGE = 2,     /* bad command line */
    EIW_EXIT_INTERRUPTED = 130
};

int eiw_cli_train(int argc, char **argv);    /* cli/cmd_train.c */

#endif
