/* `eiw compress`, `decompress`, `test` and `list`: command-line parsing, file naming
 * (FILE <-> FILE.eiw), stdin/stdout, overwrite rules and error messages, on top of the public
 * library API. Every error is one line `eiw: NAME: what went wrong` on stderr. Outputs go
 * through file_io.c so a failure never leaves a partial file; inputs are only ever read. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eiw.h"
#include "cli/file_io.h"
#include "cli/model_arg.h"
#include "cli/progress.h"

#define SUFFIX ".eiw"


typedef struct {
    enum eiw_cli_op op;
    const char *prog;          /* "eiw" or the subcommand, for --help */
    int to_stdout, force, verbosity;   /* verbosity: -1 quiet, 0 normal, 1 verbose */
    const char *output;        /* -o */
    const char *model_name;    /* --model */
    int stream_flag;
    int level_given;
    unsigned window_bits, token_bits;   /* 0 = not given */
    int window_end;            /* --window-end given (its rule is in opt.win.end_rule) */
    int remove_input;          /* --rm */
    eiw_options opt;
} cli_args;


static void err_msg(const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "eiw: %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void print_help(const cli_args *a)
{
    switch (a->op) {
    case EIW_OP_TEST:
        printf("usage: eiw test [OPTIONS] FILE.eiw...\n"
               "Checks the integrity of .eiw files: decodes everything, writes nothing.\n\n"
               "  --model NAME|FILE  model to decode with (default: the one the header names)\n"
               "  -T, --threads N    worker threads\n"
               "  -q, --quiet        no messages except errors\n"
               "  -v, --verbose      a line per file\n"
               "  -h, --help         this help\n");
        return;
    case EIW_OP_LIST:
        printf("usage: eiw list [OPTIONS] FILE.eiw...\n"
               "Shows the header and block summary of .eiw files without decoding them.\n\n"
               "  -h, --help         this help\n");
        return;
    case EIW_OP_DECOMPRESS:
        printf("usage: eiw decompress [OPTIONS] [FILE.eiw...]\n"
               "Restores FILE from FILE.eiw (the input is kept). No FILE or '-': stdin to stdout.\n\n");
        break;
    case EIW_OP_COMPRESS:
        printf("usage: eiw compress [OPTIONS] [FILE...]\n"
               "       eiw [OPTIONS] [FILE...]     (compress; -d decompresses)\n"
               "Compresses FILE to FILE.eiw (the input is kept). No FILE or '-': stdin to stdout.\n\n");
        break;
    }
    printf("  -c, --stdout       write to standard output\n"
           "  -o, --output FILE  write to FILE (one input only)\n"
           "  -f, --force        overwrite existing files; write compressed data to a terminal\n"
           "  -k, --keep         keep the input (always the case; accepted for habit)\n"
           "  -d, --decompress   decompress\n"
           "  -z, --compress     compress\n"
           "  -q, --quiet        no messages except errors\n"
           "  -v, --verbose      a summary line per file\n"
           "  -T, --threads N    worker threads (default: online CPUs, at most 8)\n"
           "  --model NAME|FILE  built-in model (%s) or a model file (.eiwm);\n"
           "                     compressing without it: $EIW_MODEL if set, else the default\n"
           "compression only:\n"
           "  -1 .. -9, --level N  compression level (default %d):\n"
           "                     1 adaptive context models only, fastest (about 1 MB/s);\n"
           "                     2-5 more adaptive models, still without M1;\n"
           "                     6-9 the model (M1) mixed with the adaptive models, best ratio\n"
           "  -0, --level 0      the model alone, no adaptive models (format 1, as eiw 0.1)\n"
           "  --fast, --best     level 1, level 9\n"
           "  --lanes N          levels 6-9: at most N lanes per block, decoded in lockstep\n"
           "                     (1..64, default %d; more lanes, more parallel decoding)\n"
           "  --lane-min SIZE    levels 6-9: at least SIZE bytes per lane (default 16K)\n"
           "  --mixing 2|1       levels: how models are mixed (default 2; 1: eiw 0.2-0.5's,\n"
           "                     container format 2, for readers of those versions)\n"
           "  --stream           one coder stream per block (the default)\n"
           "  --window-bits N    Equal-Info Windows of N bits (16..4096, multiple of token bits)\n"
           "  --token-bits 8|16  token size in windows mode (default 16)\n"
           "  --window-end tight|implicit|marker  how a window's end is coded (default\n"
           "                     tight; implicit: eiw 0.3's, marker: eiw 0.2's and earlier)\n"
           "  -B, --block-size SIZE  independent block size, K/M suffixes\n"
           "                     (default: 512K at level 1, 16M at levels 2-9; at level 0\n"
           "                     16K with a neural model such as M1, else 1M)\n"
           "  -h, --help         this help\n"
           "  -V, --version      print the version\n",
           eiw_model_builtin_names(), EIW_LEVEL_DEFAULT, EIW_LANES_DEFAULT);
}

enum { OPT_STREAM = 256, OPT_WINDOW_BITS, OPT_TOKEN_BITS, OPT_MODEL, OPT_LEVEL, OPT_FAST,
       OPT_BEST, OPT_LANES, OPT_LANE_MIN, OPT_RM, OPT_WINDOW_END, OPT_MIXING };

static const char *op_name(enum eiw_cli_op op)
{
    switch (op) {
    case EIW_OP_TEST: return "test";
    case EIW_OP_LIST: return "list";
    case EIW_OP_DECOMPRESS: return "decompress";
    default: return "compress";
    }
}

/* Returns -1 to go on, or the exit status (help, version, usage error). */
static int parse_args(int argc, char **argv, cli_args *a, int *first_file)
{
    static const struct option longopts[] = {
        { "stdout", no_argument, NULL, 'c' },       { "to-stdout", no_argument, NULL, 'c' },
        { "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
        { "keep", no_argument, NULL, 'k' },         { "decompress", no_argument, NULL, 'd' },
        { "uncompress", no_argument, NULL, 'd' },   { "compress", no_argument, NULL, 'z' },
        { "test", no_argument, NULL, 't' },         { "list", no_argument, NULL, 'l' },
        { "quiet", no_argument, NULL, 'q' },        { "verbose", no_argument, NULL, 'v' },
        { "threads", required_argument, NULL, 'T' },
        { "block-size", required_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
        { "rm", no_argument, NULL, OPT_RM },
        { "stream", no_argument, NULL, OPT_STREAM },
        { "window-bits", required_argument, NULL, OPT_WINDOW_BITS },
        { "token-bits", required_argument, NULL, OPT_TOKEN_BITS },
        { "window-end", required_argument, NULL, OPT_WINDOW_END },
        { "model", required_argument, NULL, OPT_MODEL },
        { "level", required_argument, NULL, OPT_LEVEL },
        { "fast", no_argument, NULL, OPT_FAST },
        { "best", no_argument, NULL, OPT_BEST },
        { "lanes", required_argument, NULL, OPT_LANES },
        { "lane-min", required_argument, NULL, OPT_LANE_MIN },
        { "mixing", required_argument, NULL, OPT_MIXING },
        { NULL, 0, NULL, 0 },
    };
    /* `eiw test` and `eiw list` name their operation; `eiw`, `eiw compress` and `eiw
     * decompress` take -z, -d, -t and -l to pick one (the last wins, -d does not undo -t). */
    const int op_fixed = a->op == EIW_OP_TEST || a->op == EIW_OP_LIST;
    /* which options do not apply to test and list: checked once the operation is known */
    char not_test[64] = "", not_list[64] = "";
    uint64_t v;
    int c, longindex = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":co:fkdztlqvT:B:hV0123456789", longopts, &longindex))
           != -1) {
        /* the option as typed ("-B", "--block-size"): argv[optind - 1] would be the value of
         * an option whose value is a separate argument */
        char name[48];
        if (longindex >= 0)
            snprintf(name, sizeof name, "--%s", longopts[longindex].name);
        else
            snprintf(name, sizeof name, "-%c", c);
        longindex = -1;
        int codec_only = 0, list_ok = 0;
        switch (c) {
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            a->opt.level = c - '0';
            a->level_given = 1;
            codec_only = 1;
            break;
        case OPT_FAST: a->opt.level = EIW_LEVEL_MIN; a->level_given = 1; codec_only = 1; break;
        case OPT_BEST: a->opt.level = EIW_LEVEL_MAX; a->level_given = 1; codec_only = 1; break;
        case OPT_LEVEL:
            if (!cli_parse_size(optarg, EIW_LEVEL_MAX, &v) || strchr(optarg, 'K') ||
                strchr(optarg, 'M') || strchr(optarg, 'G') || strchr(optarg, 'T')) {
                cli_usage(NULL, "%s: '%s' is not a level from 0 to %d", name, optarg,
                                EIW_LEVEL_MAX);
                return EIW_EXIT_USAGE;
            }
            a->opt.level = (int)v;
            a->level_given = 1;
            codec_only = 1;
            break;
        case 'c': a->to_stdout = 1; codec_only = 1; break;
        case 'o': a->output = optarg; codec_only = 1; break;
        case 'f': a->force = 1; codec_only = 1; break;
        case 'k': a->remove_input = 0; codec_only = 1; break;
        case OPT_RM: a->remove_input = 1; codec_only = 1; break;
        case 'z': case 'd': case 't': case 'l': {
            enum eiw_cli_op want = c == 'z' ? EIW_OP_COMPRESS : c == 'd' ? EIW_OP_DECOMPRESS
                                   : c == 't' ? EIW_OP_TEST : EIW_OP_LIST;
            if (op_fixed ? want != a->op && c != 'd' : c == 'z')
                codec_only = 1;   /* -z tests nothing; `eiw test -l` is not a list */
            list_ok = c == 'l';
            /* -d after -t still tests: decompressing is what a test does */
            if (!op_fixed && !(c == 'd' && a->op == EIW_OP_TEST))
                a->op = want;
            break;
        }
        case 'q': a->verbosity = -1; list_ok = 1; break;
        case 'v': a->verbosity = 1; list_ok = 1; break;
        case 'h': print_help(a); return EIW_EXIT_OK;
        case 'V': printf("eiw %s\n", EIW_VERSION_STRING); return EIW_EXIT_OK;
        case 'T':
            if (!cli_parse_size(optarg, CLI_THREADS_MAX, &v)) {
                cli_usage(NULL, "%s: '%s' is not a number from 0 (all online CPUs) to %d",
                                name, optarg, CLI_THREADS_MAX);
                return EIW_EXIT_USAGE;
            }
            a->opt.threads = v == 0 ? cli_online_cpus(CLI_THREADS_MAX) : (int)v;
            break;
        case 'B':
            if (!cli_parse_size(optarg, EIW_BLOCK_SIZE_MAX, &v) || v < EIW_BLOCK_SIZE_MIN) {
                cli_usage(NULL, "%s: '%s' is not a size from 1K to %uM", name, optarg,
                          EIW_BLOCK_SIZE_MAX >> 20);
                return EIW_EXIT_USAGE;
            }
            a->opt.block_size = (uint32_t)v;
            codec_only = 1;
            break;
        case OPT_LANES:
            if (!cli_parse_size(optarg, EIW_LANES_MAX, &v) || v < 1) {
                cli_usage(NULL, "%s: '%s' is not a number from 1 to %d", name, optarg,
                                EIW_LANES_MAX);
                return EIW_EXIT_USAGE;
            }
            a->opt.lanes = (unsigned)v;
            codec_only = 1;
            break;
        case OPT_LANE_MIN:
            if (!cli_parse_size(optarg, EIW_BLOCK_SIZE_MAX, &v) || v < EIW_BLOCK_SIZE_MIN ||
                (v & (v - 1))) {
                cli_usage(NULL, "%s: '%s' is not a power of two from 1K to %uM", name, optarg,
                          EIW_BLOCK_SIZE_MAX >> 20);
                return EIW_EXIT_USAGE;
            }
            a->opt.lane_min = (uint32_t)v;
            codec_only = 1;
            break;
        case OPT_MIXING:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
                cli_usage(NULL, "%s: '%s' must be 1 or 2", name, optarg);
                return EIW_EXIT_USAGE;
            }
            a->opt.mix_revision = atoi(optarg);
            codec_only = 1;
            break;
        case OPT_STREAM: a->stream_flag = 1; codec_only = 1; break;
        case OPT_WINDOW_BITS:
            if (!cli_parse_size(optarg, EIW_WINDOW_BITS_MAX, &v) || v < EIW_WINDOW_BITS_MIN) {
                cli_usage(NULL, "%s: '%s' is not a number from %d to %d", name, optarg,
                          EIW_WINDOW_BITS_MIN, EIW_WINDOW_BITS_MAX);
                return EIW_EXIT_USAGE;
            }
            a->window_bits = (unsigned)v;
            codec_only = 1;
            break;
        case OPT_TOKEN_BITS:
            if (strcmp(optarg, "8") != 0 && strcmp(optarg, "16") != 0) {
                cli_usage(NULL, "%s: '%s' must be 8 or 16", name, optarg);
                return EIW_EXIT_USAGE;
            }
            a->token_bits = (unsigned)atoi(optarg);
            codec_only = 1;
            break;
        case OPT_WINDOW_END:
            if (!cli_parse_window_end(optarg, &a->opt.win.end_rule)) {
                cli_usage(NULL, "%s: '%s' must be tight, implicit or marker", name, optarg);
                return EIW_EXIT_USAGE;
            }
            a->window_end = 1;
            codec_only = 1;
            break;
        case OPT_MODEL: a->model_name = optarg; break;
        case ':':
            cli_usage(NULL, "option '%s' needs a value", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        default:
            if (optopt)
                cli_usage(NULL, "unknown option '-%c'", optopt);
            else
                cli_usage(NULL, "unknown option '%s'", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        }
        if (codec_only && !not_test[0])
            snprintf(not_test, sizeof not_test, "%s", name);
        if (!list_ok && !not_list[0])
            snprintf(not_list, sizeof not_list, "%s", name);
    }
    *first_file = optind;
    const char *bad = a->op == EIW_OP_TEST ? not_test : a->op == EIW_OP_LIST ? not_list : "";
    if (bad[0]) {
        cli_usage(NULL, "option '%s' does not apply to 'eiw %s'", bad, op_name(a->op));
        return EIW_EXIT_USAGE;
    }
    if (a->op == EIW_OP_COMPRESS) {
        if (a->stream_flag && a->window_bits) {
            cli_usage(NULL, "--stream and --window-bits exclude each other");
            return EIW_EXIT_USAGE;
        }
        if ((a->token_bits || a->window_end) && !a->window_bits) {
            cli_usage(NULL, "%s applies to windows mode: give --window-bits too",
                            a->token_bits ? "--token-bits" : "--window-end");
            return EIW_EXIT_USAGE;
        }
        if (a->window_bits && a->level_given && a->opt.level > 0) {
            cli_usage(NULL, "--window-bits codes with the model alone: no level other "
                                  "than 0 applies");
            return EIW_EXIT_USAGE;
        }
        if (a->window_bits) {
            a->opt.level = 0;
            a->opt.mode = EIW_MODE_WINDOWS;
            a->opt.win.window_bits = a->window_bits;
            a->opt.win.token_bits = a->token_bits ? a->token_bits : 16;
            if (eiw_window_params_check(&a->opt.win) != EIW_OK) {
                cli_usage(NULL, "--window-bits %u is not a multiple of the token size "
                                      "(%u bits)", a->opt.win.window_bits, a->opt.win.token_bits);
                return EIW_EXIT_USAGE;
            }
        }
        if (a->opt.mix_revision && a->opt.level == 0) {
            cli_usage(NULL, "--mixing applies to the levels 1-9, not to the model alone");
            return EIW_EXIT_USAGE;
        }
    } else if (a->op == EIW_OP_DECOMPRESS &&
               (a->window_bits || a->token_bits || a->window_end || a->stream_flag ||
                a->level_given || a->opt.mix_revision)) {
        cli_usage(NULL, "levels, --stream and the window options apply to compression only");
        return EIW_EXIT_USAGE;
    }
    if (a->output && argc - optind > 1) {
        cli_usage(NULL, "-o takes exactly one input file");
        return EIW_EXIT_USAGE;
    }
    if ((a->op == EIW_OP_TEST || a->op == EIW_OP_LIST) && optind >= argc) {
        cli_usage(NULL, "'eiw %s' needs at least one FILE.eiw", op_name(a->op));
        return EIW_EXIT_USAGE;
    }
    return -1;
}

/* Resolves --model, or when compressing without it the EIW_MODEL environment variable (like
 * ZSTD_CLEVEL for zstd), else the default model; prints the error itself. Decoding without
 * --model leaves *m NULL: each container names its model. */
static int resolve_model_option(const cli_args *a, const eiw_model **m)
{
    *m = NULL;
    if (a->op == EIW_OP_COMPRESS && a->opt.level > 0 && !eiw_level_uses_model(a->opt.level)) {
        if (a->model_name) {
            cli_usage(NULL, "--model: level %d uses no model (levels 0 and 6-9 do)",
                            a->opt.level);
            return EIW_EXIT_USAGE;
        }
        return EIW_EXIT_OK;
    }
    if (a->model_name)
        return cli_model_arg(a->model_name, "--model", NULL, m);
    if (a->op != EIW_OP_COMPRESS)
        return EIW_EXIT_OK;
    const char *env = getenv("EIW_MODEL");
    return cli_model_arg(env && *env ? env : NULL, "EIW_MODEL", NULL, m);
}

/* The model a container needs: the header's, which --model (if given) must match. */
static int decompress_model(const cli_args *a, const eiw_model *given, const char *name,
                            const eiw_header *h, const eiw_model **m)
{
    *m = NULL;
    if (h->level > 0 && !eiw_level_uses_model(h->level))
        return EIW_EXIT_OK;   /* the adaptive models alone: nothing to resolve */
    return cli_model_recorded(name, "compressed", h->model_name, h->model_id, given,
                              a->model_name, m);
}

static int is_stdio_name(const char *name)
{
    return strcmp(name, "-") == 0;
}

static int has_suffix(const char *name)
{
    size_t n = strlen(name), s = strlen(SUFFIX);
    return n > s && strcmp(name + n - s, SUFFIX) == 0 && name[n - s - 1] != '/';
}

/* An open input: a file or stdin, with its stat. */
typedef struct {
    FILE *f;
    const char *name;      /* for messages: the path, or "stdin" */
    struct stat st;
    int is_stdin;
} cli_input;

static int input_open(cli_input *in, const char *path, int compressed)
{
    memset(in, 0, sizeof *in);
    in->is_stdin = is_stdio_name(path);
    in->name = in->is_stdin ? "stdin" : path;
    if (in->is_stdin) {
        if (compressed && isatty(STDIN_FILENO)) {
            err_msg(in->name, "refusing to read compressed data from a terminal");
            return EIW_EXIT_ERROR;
        }
        in->f = stdin;
    } else if (!(in->f = fopen(path, "rb"))) {
        err_msg(in->name, "%s", strerror(errno));
        return EIW_EXIT_ERROR;
    }
    if (fstat(fileno(in->f), &in->st) != 0) {
        err_msg(in->name, "%s", strerror(errno));
        return EIW_EXIT_ERROR;
    }
    if (S_ISDIR(in->st.st_mode)) {
        err_msg(in->name, "is a directory");
        return EIW_EXIT_ERROR;
    }
    return EIW_EXIT_OK;
}

static void input_close(cli_input *in)
{
    if (in->f && !in->is_stdin)
        fclose(in->f);
    in->f = NULL;
}

/* Where the output of one input goes: stdout, or an atomic file. */
typedef struct {
    FILE *f;
    const char *name;      /* for messages */
    char *owned_name;
    cli_out_file file;
    int is_stdout;
} cli_output;

static int output_open(cli_output *out, const cli_args *a, const cli_input *in)
{
    memset(out, 0, sizeof *out);
    const char *path = a->output;
    if ((!path && (a->to_stdout || in->is_stdin)) || (path && is_stdio_name(path))) {
        out->is_stdout = 1;
        out->name = "stdout";
        out->f = stdout;
        if (a->op == EIW_OP_COMPRESS && !a->force && isatty(STDOUT_FILENO)) {
            err_msg(out->name, "refusing to write compressed data to a terminal (use -f to force)");
            return EIW_EXIT_ERROR;
        }
        return EIW_EXIT_OK;
    }
    if (!path) {
        size_t n = strlen(in->name);
        /* Like gzip: a device or FIFO gets no FILE.eiw next to it unless asked for. */
        if (!S_ISREG(in->st.st_mode)) {
            err_msg(in->name, "not a regular file (use -o or -c)");
            return EIW_EXIT_ERROR;
        }
        if (a->op == EIW_OP_COMPRESS) {
            if (has_suffix(in->name)) {
                err_msg(in->name, "already has the %s suffix (use -o or -c to compress it anyway)",
                        SUFFIX);
                return EIW_EXIT_ERROR;
            }
            out->owned_name = malloc(n + sizeof SUFFIX);
            if (out->owned_name)
                snprintf(out->owned_name, n + sizeof SUFFIX, "%s%s", in->name, SUFFIX);
        } else {
            if (!has_suffix(in->name)) {
                err_msg(in->name, "unknown suffix, expected %s (use -o or -c)", SUFFIX);
                return EIW_EXIT_ERROR;
            }
            out->owned_name = strdup(in->name);
            if (out->owned_name)
                out->owned_name[n - strlen(SUFFIX)] = 0;
        }
        if (!out->owned_name) {
            err_msg(in->name, "%s", strerror(ENOMEM));
            return EIW_EXIT_ERROR;
        }
        path = out->owned_name;
    }
    out->name = path;
    int e = cli_out_open(&out->file, path, a->force, &in->st);
    if (e == EEXIST)
        err_msg(path, "already exists (use -f to overwrite)");
    else if (e == EINVAL)
        err_msg(path, "is the input file");
    else if (e == EISDIR)
        err_msg(path, "is a directory (name the output file, not its directory)");
    else if (e)
        err_msg(path, "%s", strerror(e));
    if (e) {
        free(out->owned_name);
        out->owned_name = NULL;
        return EIW_EXIT_ERROR;
    }
    out->f = out->file.f;
    return EIW_EXIT_OK;
}

/* Finishes the output: commit (ok) or discard (failed). Returns the exit status. With --rm
 * the output file is synced before it is renamed into place, and then the input is removed:
 * only after a success, never an input read from stdin, and never when the output is stdout,
 * a device or a FIFO (whose data cannot be read back as a file). */
static int output_close(cli_output *out, const cli_args *a, const cli_input *in, int ok)
{
    int rc = ok ? EIW_EXIT_OK : EIW_EXIT_ERROR;
    int removable = ok && a->remove_input && !in->is_stdin && !out->is_stdout &&
                    out->file.f && !out->file.direct;
    if (out->is_stdout) {
        if (ok && (fflush(stdout) != 0 || ferror(stdout))) {
            err_msg(out->name, "%s", strerror(errno));
            rc = EIW_EXIT_ERROR;
        }
    } else if (out->file.f) {
        if (!ok) {
            cli_out_abort(&out->file);
        } else {
            out->file.sync = removable;
            int e = cli_out_commit(&out->file, a->force);
            if (e == EEXIST)
                err_msg(out->name, "already exists (use -f to overwrite)");
            else if (e)
                err_msg(out->name, "%s", strerror(e));
            if (e)
                rc = EIW_EXIT_ERROR;
        }
    }
    if (rc == EIW_EXIT_OK && removable && unlink(in->name) != 0) {
        err_msg(in->name, "not removed: %s", strerror(errno));
        rc = EIW_EXIT_ERROR;
    }
    free(out->owned_name);
    out->owned_name = NULL;
    return rc;
}

/* Reports a library failure against the file it concerns. */
static void report_status(eiw_status st, const cli_input *in, const cli_output *out, int err)
{
    if (st == EIW_ERR_IO && out && out->f && ferror(out->f))
        err_msg(out->name, "write error: %s", strerror(err ? err : EIO));
    else if (st == EIW_ERR_IO && ferror(in->f))
        err_msg(in->name, "read error: %s", strerror(err ? err : EIO));
    else if (st == EIW_ERR_IO && in->f && !ferror(in->f))
        err_msg(in->name, "file changed size while being read");
    else
        err_msg(in->name, "%s", eiw_strerror(st));
}

/* -v: what the operation did, in its direction (as zstd prints it): compressing
 * "original -> compressed", decompressing "compressed -> original". */
static void print_summary(const char *name, uint64_t original, uint64_t compressed,
                          int decompressed)
{
    uint64_t from = decompressed ? compressed : original, to = decompressed ? original : compressed;
    if (original == 0) {
        fprintf(stderr, "%s: %" PRIu64 " -> %" PRIu64 " bytes (empty %s)\n", name, from, to,
                decompressed ? "output" : "input");
        return;
    }
    if (compressed == 0)
        compressed = 1;
    fprintf(stderr, "%s: %" PRIu64 " -> %" PRIu64 " bytes (%.3f bits/byte, ratio %.2f)\n",
            name, from, to, 8.0 * (double)compressed / (double)original,
            (double)original / (double)compressed);
}

static uint64_t input_size(const cli_input *in)
{
    return S_ISREG(in->st.st_mode) ? (uint64_t)in->st.st_size : UINT64_MAX;
}

static int compress_one(const cli_args *a, const eiw_model *m, const char *path)
{
    cli_input in;
    cli_output out;
    int rc = input_open(&in, path, 0);
    if (rc == EIW_EXIT_OK && (rc = output_open(&out, a, &in)) == EIW_EXIT_OK) {
        cli_progress pr;
        eiw_options o = a->opt;
        cli_progress_init(&pr, in.name, input_size(&in), a->verbosity < 0, 0);
        o.progress = cli_progress_update;
        o.progress_ctx = &pr;
        eiw_stats stats;
        errno = 0;
        eiw_status st = eiw_compress_stream(in.f, out.f, m, &o, input_size(&in), &stats);
        int err = errno;
        cli_progress_end(&pr);
        if (st != EIW_OK)
            report_status(st, &in, &out, err);
        rc = output_close(&out, a, &in, st == EIW_OK);
        if (rc == EIW_EXIT_OK && a->verbosity > 0)
            print_summary(in.name, stats.in_bytes, stats.out_bytes, 0);
    }
    input_close(&in);
    return rc;
}

/* What decoding an input found: its containers ("parts": concatenated files decode to the
 * concatenation of their contents, as with gzip, zstd and xz) and their sizes. */
typedef struct {
    unsigned parts;
    uint64_t compressed, original;
} decode_totals;

/* The error for what follows the last good container: trailing garbage gets its own message,
 * with where it starts; a damaged next container the library's. */
static void report_next(int r, const cli_input *in, const cli_output *out, uint64_t offset,
                        int err)
{
    if (r == EIW_ERR_TRAILING)
        err_msg(in->name, "trailing garbage after the compressed data at offset %" PRIu64,
                offset);
    else
        report_status((eiw_status)r, in, out, err);
}

/* Decodes every container of the input into out (NULL: test only); prints its errors. */
static int decode_all(const cli_args *a, const eiw_model *given, cli_input *in,
                      cli_output *out, decode_totals *t)
{
    memset(t, 0, sizeof *t);
    eiw_header h;
    errno = 0;
    eiw_status st = eiw_header_read(in->f, &h);
    if (st != EIW_OK) {
        report_status(st, in, NULL, errno);
        return EIW_EXIT_ERROR;
    }
    cli_progress pr;
    eiw_options o = a->opt;
    cli_progress_init(&pr, in->name, input_size(in), a->verbosity < 0, 1);
    o.progress = cli_progress_update;
    o.progress_ctx = &pr;
    int rc = EIW_EXIT_OK;
    for (;;) {
        const eiw_model *m = NULL;
        if ((rc = decompress_model(a, given, in->name, &h, &m)) != EIW_EXIT_OK)
            break;
        eiw_stats stats;
        errno = 0;
        st = eiw_decompress_body(in->f, out ? out->f : NULL, &h, m, &o, &stats);
        int err = errno;
        if (st != EIW_OK) {
            cli_progress_end(&pr);
            report_status(st, in, out, err);
            rc = EIW_EXIT_ERROR;
            break;
        }
        t->parts++;
        t->compressed += stats.in_bytes;
        t->original += stats.out_bytes;
        cli_progress_base(&pr, t->compressed, t->original);
        errno = 0;
        int r = eiw_header_read_next(in->f, &h);
        if (r == 0)
            break;
        if (r < 0) {
            cli_progress_end(&pr);
            report_next(r, in, out, t->compressed, errno);
            rc = EIW_EXIT_ERROR;
            break;
        }
    }
    cli_progress_end(&pr);
    return rc;
}

static int decompress_one(const cli_args *a, const eiw_model *given, const char *path)
{
    cli_input in;
    cli_output out;
    int rc = input_open(&in, path, 1);
    /* The output name is checked before reading, so a refused overwrite costs nothing. */
    if (rc == EIW_EXIT_OK && (rc = output_open(&out, a, &in)) == EIW_EXIT_OK) {
        decode_totals t;
        rc = decode_all(a, given, &in, &out, &t);
        rc = output_close(&out, a, &in, rc == EIW_EXIT_OK);
        if (rc == EIW_EXIT_OK && a->verbosity > 0)
            print_summary(in.name, t.original, t.compressed, 1);
    }
    input_close(&in);
    return rc;
}

static int test_one(const cli_args *a, const eiw_model *given, const char *path)
{
    cli_input in;
    int rc = input_open(&in, path, 1);
    if (rc == EIW_EXIT_OK) {
        decode_totals t;
        rc = decode_all(a, given, &in, NULL, &t);
        if (rc == EIW_EXIT_OK && a->verbosity > 0 && t.parts > 1)
            fprintf(stderr, "%s: OK (%" PRIu64 " bytes in %u parts)\n", in.name, t.original,
                    t.parts);
        else if (rc == EIW_EXIT_OK && a->verbosity > 0)
            fprintf(stderr, "%s: OK (%" PRIu64 " bytes)\n", in.name, t.original);
    }
    input_close(&in);
    return rc;
}

/* One container of a listed file: its header and what its records say (eiw_container_walk). */
typedef struct {
    eiw_header h;
    uint64_t offset;             /* where it starts in the file */
    eiw_stats s;                 /* in_bytes: its length, out_bytes: its original size */
} list_part;

static void print_part(const list_part *p, const char *in)
{
    const eiw_header *h = &p->h;
    const eiw_stats *s = &p->s;
    const int uses_model = h->level == 0 || eiw_level_uses_model(h->level);
    const eiw_model *m = uses_model ? eiw_model_builtin_by_id(h->model_id) : NULL;
    printf("%sformat version   %u\n", in, h->version);
    if (h->mode == EIW_MODE_WINDOWS)
        printf("%smode             windows (window %u bits, token %u bits, %s end)\n", in,
               h->win.window_bits, h->win.token_bits,
               eiw_window_end_name(h->win.end_rule));
    else
        printf("%smode             stream\n", in);
    if (h->level > 0 && uses_model)
        printf("%slevel            %d (model + adaptive context mixing; up to %u lanes of at "
               "least %" PRIu32 " bytes)\n", in, h->level, h->lanes, h->lane_min);
    else if (h->level > 0)
        printf("%slevel            %d (adaptive context mixing)\n", in, h->level);
    else
        printf("%slevel            0 (the model alone)\n", in);
    if (uses_model)
        printf("%smodel            %s (id %016" PRIx64 ")%s\n", in, h->model_name, h->model_id,
               m ? "" : ", not available");
    else
        printf("%smodel            none\n", in);
    printf("%sblock size       %" PRIu32 " bytes\n", in, h->block_size);
    printf("%soriginal size    %" PRIu64 " bytes\n", in, s->out_bytes);
    printf("%scompressed size  %" PRIu64 " bytes\n", in, s->in_bytes);
    if (s->out_bytes > 0)
        printf("%sratio            %.3f (%.3f bits/byte)\n", in,
               (double)s->out_bytes / (double)s->in_bytes,
               8.0 * (double)s->in_bytes / (double)s->out_bytes);
    printf("%sblocks           %" PRIu64 " model, %" PRIu64 " zstd, %" PRIu64 " stored", in,
           s->blocks[EIW_METHOD_MODEL], s->blocks[EIW_METHOD_ZSTD], s->blocks[EIW_METHOD_STORED]);
    if (s->blocks[EIW_METHOD_ADAPTIVE])
        printf(", %" PRIu64 " not text (adaptive models only)", s->blocks[EIW_METHOD_ADAPTIVE]);
    printf("\n");
    if (h->mode == EIW_MODE_WINDOWS)
        printf("%swindows          %" PRIu64 "\n", in, s->windows);
}

/* Lists a file: one container as it always was; several (concatenated files) part by part,
 * then their total, as `xz -l` does for a file of several streams. A file with an error gets
 * the error only. */
static int list_one(const char *path)
{
    cli_input in;
    int rc = input_open(&in, path, 1);
    if (rc != EIW_EXIT_OK) {
        input_close(&in);
        return rc;
    }
    list_part *parts = NULL;
    size_t n = 0, cap = 0;
    uint64_t offset = 0;
    eiw_header h;
    errno = 0;
    int r = eiw_header_read(in.f, &h);
    r = r == EIW_OK ? 1 : r;
    while (r == 1) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4;
            list_part *more = realloc(parts, cap * sizeof *parts);
            if (!more) {
                r = EIW_ERR_NOMEM;
                break;
            }
            parts = more;
        }
        list_part *p = &parts[n];
        memset(p, 0, sizeof *p);
        p->h = h;
        p->offset = offset;
        if ((r = eiw_container_walk(in.f, &p->h, &p->s)) != EIW_OK)
            break;
        n++;
        offset += p->s.in_bytes;
        errno = 0;
        r = eiw_header_read_next(in.f, &h);
    }
    if (r < 0) {
        report_next(r, &in, NULL, offset, errno);
        free(parts);
        input_close(&in);
        return EIW_EXIT_ERROR;
    }
    if (n == 1) {
        printf("%s:\n", in.name);
        print_part(&parts[0], "  ");
    } else {
        uint64_t original = 0;
        printf("%s: %zu parts (concatenated .eiw files)\n", in.name, n);
        for (size_t i = 0; i < n; i++) {
            printf("  part %zu at offset %" PRIu64 ":\n", i + 1, parts[i].offset);
            print_part(&parts[i], "    ");
            original += parts[i].s.out_bytes;
        }
        printf("  total            %zu parts, %" PRIu64 " -> %" PRIu64 " bytes", n, original,
               offset);
        if (original > 0)
            printf(" (ratio %.3f, %.3f bits/byte)", (double)original / (double)offset,
                   8.0 * (double)offset / (double)original);
        printf("\n");
    }
    free(parts);
    input_close(&in);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        err_msg("stdout", "%s", strerror(errno));
        return EIW_EXIT_ERROR;
    }
    return EIW_EXIT_OK;
}

int eiw_cli_codec(int argc, char **argv, enum eiw_cli_op op)
{
    cli_args a;
    memset(&a, 0, sizeof a);
    a.op = op;
    a.prog = argv[0];
    eiw_options_default(&a.opt);   /* level, lanes, threads, automatic block size */
    int first, rc = parse_args(argc, argv, &a, &first);
    if (rc >= 0)
        return rc;
    const eiw_model *m = NULL;
    if ((rc = resolve_model_option(&a, &m)) != EIW_EXIT_OK)
        return rc;

    cli_signals_install();
    static char *stdin_only[] = { "-" };
    char **files = first < argc ? argv + first : stdin_only;
    int nfiles = first < argc ? argc - first : 1;
    rc = EIW_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        int r;
        switch (a.op) {
        case EIW_OP_COMPRESS: r = compress_one(&a, m, files[i]); break;
        case EIW_OP_DECOMPRESS: r = decompress_one(&a, m, files[i]); break;
        case EIW_OP_TEST: r = test_one(&a, m, files[i]); break;
        default: r = list_one(files[i]); break;
        }
        if (r != EIW_EXIT_OK)
            rc = r;   /* go on with the other files, like gzip, but report the failure */
    }
    eiw_model_free(m);
    return rc;
}
