/* Model files from the command line: read whole (bounded), then validated by the library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/model_file.h"

/* Largest model file accepted: far above any M1, small enough to read whole. */
#define MODEL_FILE_MAX (256u << 20)

int cli_model_file(const char *path, const eiw_model **m)
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

int cli_model_arg(const char *arg, const char *cmd, const eiw_model **m)
{
    *m = NULL;
    if (!arg) {
        if (!(*m = eiw_model_default())) {
            fprintf(stderr, "eiw: %s: %s\n", EIW_MODEL_DEFAULT_NAME, eiw_strerror(EIW_ERR_NOMEM));
            return EIW_EXIT_ERROR;
        }
        return EIW_EXIT_OK;
    }
    if ((*m = eiw_model_builtin(arg)) != NULL)
        return EIW_EXIT_OK;
    if (strchr(arg, '/') || access(arg, F_OK) == 0)
        return cli_model_file(arg, m);
    fprintf(stderr, "eiw: --model: unknown model '%s' (built-in: %s) (see 'eiw %s --help')\n", arg,
            eiw_model_builtin_names(), cmd);
    return EIW_EXIT_USAGE;
}
