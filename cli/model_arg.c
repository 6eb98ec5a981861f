/* Models from the command line: names through the registry of built-in models, model files read
 * whole (bounded) and validated by the library. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/model_arg.h"

/* Largest model file accepted: far above any M1, small enough to read whole. */
#define MODEL_FILE_MAX (256u << 20)

static int model_file(const char *path, const eiw_model **m)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(errno));
        return EIW_EXIT_ERROR;
    }
    uint8_t *buf = malloc(MODEL_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, MODEL_FILE_MAX + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    const char *msg = NULL;
    eiw_model *model = NULL;
    if (!buf)
        msg = eiw_strerror(EIW_ERR_NOMEM);
    else if (rerr)
        msg = "read error";
    else if (len > MODEL_FILE_MAX)
        msg = "model file too large";
    else if (len == 0)
        msg = "empty model file";
    else {
        eiw_status st = eiw_model_from_bytes(buf, len, &model);
        if (st != EIW_OK)
            msg = eiw_strerror(st);
    }
    free(buf);
    if (msg) {
        fprintf(stderr, "eiw: %s: %s\n", path, msg);
        return EIW_EXIT_ERROR;
    }
    *m = model;
    return EIW_EXIT_OK;
}

int cli_model_arg(const char *name, const char *from, const char *cmd, const eiw_model **m)
{
    *m = NULL;
    if (!name) {
        if (!(*m = eiw_model_default())) {
            fprintf(stderr, "eiw: %s: %s\n", EIW_MODEL_DEFAULT_NAME, eiw_strerror(EIW_ERR_NOMEM));
            return EIW_EXIT_ERROR;
        }
        return EIW_EXIT_OK;
    }
    if ((*m = eiw_model_builtin(name)) != NULL)
        return EIW_EXIT_OK;
    if (strchr(name, '/') || access(name, F_OK) == 0)
        return model_file(name, m);
    cli_usage(cmd, "%s: unknown model '%s' (built-in: %s)", from, name,
                    eiw_model_builtin_names());
    return EIW_EXIT_USAGE;
}

int cli_model_recorded(const char *where, const char *verb, const char *name, uint64_t id,
                       const eiw_model *given, const char *arg, const eiw_model **m)
{
    *m = given ? (given->id == id ? given : NULL) : eiw_model_builtin_by_id(id);
    if (*m)
        return EIW_EXIT_OK;
    fprintf(stderr, "eiw: %s: %s with model '%s' (id %016" PRIx64 "), ", where, verb, name, id);
    if (given)
        fprintf(stderr, "but --model gives '%s'\n", arg);
    else
        fprintf(stderr, "which is not available (use --model FILE)\n");
    return EIW_EXIT_ERROR;
}
