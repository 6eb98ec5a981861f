/* The eiw program: dispatches to subcommands. Placeholder until the codec CLI lands. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return eiw_cli_train(argc - 1, argv + 1);
    fprintf(stderr, "usage: eiw train ...\n");
    return EIW_EXIT_USAGE;
}
