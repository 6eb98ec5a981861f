/* The eiw program: picks the subcommand. `eiw [OPTIONS] FILE...` without a command behaves
 * like gzip/zstd (compress, or decompress with -d); `eiw train` belongs to cmd_train.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eiw.h"
#include "model/qkernels.h"   /* the integer kernels: which one runs, for --version and EIW_SIMD */

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: eiw [compress|decompress|test|list] [OPTIONS] [FILE...]\n"
            "       eiw train [OPTIONS] ...\n"
            "       eiw tokenize|detokenize|inspect|eval ...\n"
            "       eiw generate --m2 CKPT [OPTIONS]\n"
            "Neural text compression with Equal-Info Windows.\n\n"
            "  eiw FILE               compress FILE to FILE.eiw (the input is kept)\n"
            "  eiw -d FILE.eiw        decompress to FILE\n"
            "  eiw compress ...       the same as 'eiw ...'\n"
            "  eiw decompress ...     the same as 'eiw -d ...'\n"
            "  eiw test FILE.eiw...   check integrity without writing anything\n"
            "  eiw list FILE.eiw...   show header, sizes, ratio, model\n"
            "  eiw train ...          train a model (see 'eiw train --help')\n"
            "  eiw export CKPT -o M   make a model file from a trained checkpoint\n"
            "  eiw bench FILE...      in-memory ratio and speed per mode\n"
            "  eiw tokenize -o PREFIX INPUT...  documents -> Equal-Info Windows token shards\n"
            "                         (Megatron .bin/.idx) for LM training\n"
            "  eiw detokenize PREFIX  token shards -> documents, checked against their hashes\n"
            "  eiw inspect PREFIX     token shard statistics; --doc I / --window J decode one\n"
            "  eiw eval --m2 CKPT PREFIX  bits/token and bits/byte of a model on token data\n"
            "  eiw generate --m2 CKPT [--prompt TEXT]  sample text from an M2 (a model of tokens)\n"
            "  eiw --version          print the version\n\n"
            "Every command takes --help. Exit status: 0 ok, 1 error, 2 usage, 130 interrupted.\n"
            "See eiw(1).\n");
}

/* The kernel line of --version: the one in use and every one this build and CPU can run. */
static void print_kernels(void)
{
    printf("kernel %s (supported here:", eiw_kernel_name(eiw_kernel_active()));
    for (int k = 0; k < EIW_KERNEL_COUNT; k++)
        if (eiw_kernel_supported((eiw_kernel)k))
            printf(" %s", eiw_kernel_name((eiw_kernel)k));
    printf(")\n");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum eiw_cli_op op;
    } commands[] = {
        { "compress", EIW_OP_COMPRESS }, { "decompress", EIW_OP_DECOMPRESS },
        { "test", EIW_OP_TEST },         { "list", EIW_OP_LIST },
    };
    /* EIW_SIMD names a kernel; running another than asked would hide what was meant to be
     * tested, so a name that is unknown or that this CPU cannot run is an error. */
    const char *simd_problem = eiw_kernel_env_problem();
    if (simd_problem) {
        fprintf(stderr, "eiw: EIW_SIMD=%s: %s\n", getenv("EIW_SIMD"), simd_problem);
        return EIW_EXIT_ERROR;
    }
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return eiw_cli_train(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return eiw_cli_export(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return eiw_cli_bench(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "tokenize") == 0)
        return eiw_cli_tokenize(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "detokenize") == 0)
        return eiw_cli_detokenize(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
        return eiw_cli_inspect(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "eval") == 0)
        return eiw_cli_eval(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "generate") == 0)
        return eiw_cli_generate(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        print_usage(stdout);
        return fflush(stdout) == 0 ? EIW_EXIT_OK : EIW_EXIT_ERROR;
    }
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("eiw %s\n", EIW_VERSION_STRING);
        print_kernels();
        return fflush(stdout) == 0 ? EIW_EXIT_OK : EIW_EXIT_ERROR;
    }
    for (size_t i = 0; argc >= 2 && i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return eiw_cli_codec(argc - 1, argv + 1, commands[i].op);
    /* A bare `eiw` on a terminal is almost certainly a request for help, not for compressing
     * keyboard input. */
    if (argc < 2 && isatty(STDIN_FILENO)) {
        print_usage(stderr);
        return EIW_EXIT_USAGE;
    }
    return eiw_cli_codec(argc, argv, EIW_OP_COMPRESS);
}
