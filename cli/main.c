/* The eiw program: picks the subcommand. `eiw [OPTIONS] FILE...` without a command behaves
 * like gzip/zstd (compress, or decompress with -d); `eiw train` belongs to cmd_train.c. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eiw.h"

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

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum eiw_cli_op op;
    } commands[] = {
        { "compress", EIW_OP_COMPRESS }, { "decompress", EIW_OP_DECOMPRESS },
        { "test", EIW_OP_TEST },         { "list", EIW_OP_LIST },
    };
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
