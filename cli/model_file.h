/* Loading a model file named on the command line (shared by the subcommands). */
#ifndef EIW_CLI_MODEL_FILE_H
#define EIW_CLI_MODEL_FILE_H
#include "eiw.h"

/* Reads and validates a model file; on success *m is a new model (eiw_model_free it). Prints
 * the one-line error itself and returns an exit status. */
int cli_model_file(const char *path, const eiw_model **m);
/* The model a --model argument names: NULL is the default model, else a built-in name, else a
 * model file (a name with '/' or an existing file). Prints the one-line error itself (for an
 * unknown name: a usage error pointing to 'eiw CMD --help') and returns an exit status. */
int cli_model_arg(const char *arg, const char *cmd, const eiw_model **m);
#endif
