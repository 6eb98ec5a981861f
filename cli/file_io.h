/* Output files that appear complete or not at all: data goes to a temporary file in the
 * destination's directory, which is renamed over the destination only after every write and
 * the close succeeded. The temporary is removed on failure and on SIGINT/SIGTERM/SIGHUP.
 * One output file is open at a time (the CLI handles files one after another). */
#ifndef EIW_CLI_FILE_IO_H
#define EIW_CLI_FILE_IO_H

#include <stdio.h>
#include <sys/stat.h>

typedef struct {
    FILE *f;           /* write here */
    char *path;        /* destination */
    char *tmp_path;    /* temporary next to it */
} cli_out_file;

/* Installs the signal handlers that remove a pending temporary and exit with 128 + signal. */
void cli_signals_install(void);

/* Creates the temporary for `path`. Without `force`, an existing destination is an error
 * (EEXIST); `input` (may be NULL) is the input's stat: a destination that is the input itself
 * is refused (EINVAL) even with force, and a regular input's permission bits are copied.
 * Returns 0 or an errno value. */
int cli_out_open(cli_out_file *o, const char *path, int force, const struct stat *input);

/* Closes and renames the temporary onto the destination (without force, never replacing a
 * file that appeared meanwhile). Returns 0 or an errno value; on error nothing is left. */
int cli_out_commit(cli_out_file *o, int force);

/* Closes and removes the temporary. Safe to call after a failed open or commit. */
void cli_out_abort(cli_out_file *o);

#endif
