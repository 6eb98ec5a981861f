/* Loading a model file named on the command line (shared by the subcommands). */
#ifndef EIW_CLI_MODEL_FILE_H
#define EIW_CLI_MODEL_FILE_H
#include "eiw.h"

/* Reads and validates a model file; on success *m is a new model (eiw_model_free it). Prints
 * the one-line error itself and returns an exit status. */
int cli_model_file(const char *path, const eiw_model **m);
#endif
