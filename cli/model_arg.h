/* Models named on the command line: the one resolver of --model (and of $EIW_MODEL) for every
 * command that takes one, and the one check of a model against the model that data records.
 * Both print their one-line error themselves and return an exit status (cli/cli.h). */
#ifndef EIW_CLI_MODEL_ARG_H
#define EIW_CLI_MODEL_ARG_H
#include <stdint.h>
#include "eiw.h"

/* The model `name` names: NULL is the default model; else a built-in name or alias (the
 * registry's, eiw_model_builtin), else a model file (a name with '/' or an existing file), read
 * whole (bounded) and validated. `from` says where the name came from, for messages ("--model",
 * "EIW_MODEL"); an unknown name is a usage error pointing to 'eiw CMD --help' ('eiw --help' for
 * a NULL cmd). On success *m is the model (eiw_model_free it). */
int cli_model_arg(const char *name, const char *from, const char *cmd, const eiw_model **m);

/* The model for data that records the one it was made with (a container header, a dataset
 * manifest: its name and id): `given` (resolved from --model `arg`; NULL when none was given)
 * if it has that id, else the built-in model of that id. Otherwise an error "eiw: WHERE: VERB
 * with model 'NAME' (id ...), but --model gives 'ARG'" or "..., which is not available (use
 * --model FILE)". On success *m is given or a built-in model. */
int cli_model_recorded(const char *where, const char *verb, const char *name, uint64_t id,
                       const eiw_model *given, const char *arg, const eiw_model **m);
#endif
