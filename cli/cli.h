/* Internal interface between the eiw program's main() and its subcommands.
 * Each subcommand parses its own arguments (argv[0] is the subcommand name) and returns
 * the process exit status (see EXIT STATUS in docs/eiw.1). Nothing here is public API. */
#ifndef EIW_CLI_H
#define EIW_CLI_H
#include <stdarg.h>
#include <stdint.h>

enum {
    EIW_EXIT_OK = 0,
    EIW_EXIT_ERROR = 1,     /* bad input data, I/O failure, refused overwrite */
    EIW_EXIT_USAGE = 2,     /* bad command line */
    EIW_EXIT_INTERRUPTED = 130  /* SIGINT; other fatal signals give 128 + the signal number */
};

/* What the codec command does; `eiw [OPTIONS] FILE...` starts as compress and -d switches. */
enum eiw_cli_op { EIW_OP_COMPRESS, EIW_OP_DECOMPRESS, EIW_OP_TEST, EIW_OP_LIST };

int eiw_cli_codec(int argc, char **argv, enum eiw_cli_op op);   /* cli/cmd_codec.c */
int eiw_cli_train(int argc, char **argv);                         /* cli/cmd_train.c */
int eiw_cli_export(int argc, char **argv);                        /* cli/cmd_export.c */
int eiw_cli_bench(int argc, char **argv);                         /* cli/cmd_bench.c */
int eiw_cli_tokenize(int argc, char **argv);                      /* cli/cmd_tokenize.c */
int eiw_cli_detokenize(int argc, char **argv);                    /* cli/cmd_detokenize.c */
int eiw_cli_inspect(int argc, char **argv);                       /* cli/cmd_detokenize.c */
/* `eiw eval --m2 CKPT DATA...`: bits/token and bits/byte with baselines (cmd_eval.c). */
int eiw_cli_eval(int argc, char **argv);                          /* cli/cmd_eval.c */
int eiw_cli_generate(int argc, char **argv);                      /* cli/cmd_generate.c */

/* Parses a decimal count with an optional K/M/G/T (binary) suffix, optionally followed by B or
 * iB, at most max; 1 ok, 0 bad input. */
int cli_parse_size(const char *s, uint64_t max, uint64_t *out);
/* Worker threads when none are asked for: online CPUs, at most 8. */
int cli_default_threads(void);
/* Online CPUs, at most max (-T0). */
int cli_online_cpus(int max);
/* --threads N of the commands that take 1..CLI_THREADS_MAX; 1 ok, 0 bad input. */
#define CLI_THREADS_MAX 256
int cli_parse_threads(const char *s, int *threads);
/* --window-end tight|implicit|marker (EIW_WINDOW_END_*); 1 ok, 0 bad input. */
int cli_parse_window_end(const char *s, unsigned *rule);
/* A command-line error on stderr: "eiw: MESSAGE (see 'eiw CMD --help')", 'eiw --help' for a
 * NULL cmd. */
void cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_usagev(const char *cmd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#endif
