/* `eiw export CKPT -o FILE.eiwm [--name NAME]`: turns a trained M1 checkpoint into the integer
 * model file that `eiw compress --model FILE` uses. Writes atomically; never overwrites
 * without -f. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eiw.h"
#include "cli/file_io.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: eiw export CKPT -o FILE.eiwm [--name NAME] [-f]\n"
               "Converts a trained byte model (eiw train, vocab 257 with BOS) to the integer\n"
               "model file used by 'eiw compress --model FILE'.\n"
               "  -o FILE      output model file (required)\n"
               "  --name NAME  model name recorded in compressed files (default: m1)\n"
               "  -f           overwrite an existing output\n");
}

int eiw_cli_export(int argc, char **argv)
{
    const char *ckpt = NULL, *out = NULL, *name = "m1";
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EIW_EXIT_OK;
        } else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
            force = 1;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--name")) && i + 1 < argc) {
            if (argv[i][1] == 'o')
                out = argv[++i];
            else
                name = argv[++i];
        } else if (argv[i][0] != '-' && !ckpt) {
            ckpt = argv[i];
        } else {
            fprintf(stderr, "eiw: export: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return EIW_EXIT_USAGE;
        }
    }
    if (!ckpt || !out) {
        usage(stderr);
        return EIW_EXIT_USAGE;
    }
    uint8_t *buf;
    size_t len;
    eiw_status st = eiw_model_export_checkpoint(ckpt, name, &buf, &len);
    if (st != EIW_OK) {
        fprintf(stderr, "eiw: %s: %s\n", st == EIW_ERR_PARAM ? name : ckpt,
                st == EIW_ERR_PARAM ? "bad model name (1-31 printable characters, no spaces)"
                : st == EIW_ERR_MODEL_FILE ? "not a byte-model checkpoint (vocab 257, BOS 256)"
                                           : eiw_strerror(st));
        return st == EIW_ERR_PARAM ? EIW_EXIT_USAGE : EIW_EXIT_ERROR;
    }
    cli_signals_install();
    cli_out_file o;
    int err = cli_out_open(&o, out, force, NULL);
    if (!err && fwrite(buf, 1, len, o.f) != len)
        err = errno ? errno : EIO;
    if (!err)
        err = cli_out_commit(&o, force);
    else
        cli_out_abort(&o);
    free(buf);
    if (err) {
        fprintf(stderr, "eiw: %s: %s\n", out, strerror(err));
        return EIW_EXIT_ERROR;
    }
    return EIW_EXIT_OK;
}
