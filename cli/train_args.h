/* `eiw train`'s command line (getopt_long): every option, on top of the named configuration
 * (--config applies first, wherever it stands), its values checked; cli/cmd_train.c does what
 * they ask for. */
#ifndef EIW_CLI_TRAIN_ARGS_H
#define EIW_CLI_TRAIN_ARGS_H

#include "eiw_train.h"

typedef struct {
    const char *config, *out, *resume, *eval;
    const char **data, **val;        /* --data / --val paths, n_data / n_val of them */
    int n_data, n_val;
    int token_bytes;                 /* --token-bytes: 0 text, 1 uint8, 2 uint16 tokens */
    long long log_every, eval_every, ckpt_every, val_tokens, val_bytes, stop_at;
    long long steps;                 /* --steps; 0: not given */
    long long threads;               /* --threads; 0: the default */
    double flops;                    /* --flops; 0: not given */
    int ctx_given, vocab_given, bos_given;   /* --context, --vocab, --bos given */
    eiw_train_options opt;           /* the configuration with the options given */
} train_args;

/* Parses argv (argv[0] is the subcommand) into *a. Returns -1 to go on, else the exit status:
 * EIW_EXIT_OK after --help, EIW_EXIT_USAGE after a usage error (printed: one line naming the
 * option), EIW_EXIT_ERROR when out of memory. Call train_args_free in every case. */
int train_args_parse(int argc, char **argv, train_args *a);
void train_args_free(train_args *a);

#endif
