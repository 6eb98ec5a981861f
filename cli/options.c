/* Option values shared by the commands: sizes with K/M/G/T suffixes, thread counts, the
 * default number of worker threads, and the message for a command-line error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "eiw.h"

int cli_parse_size(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }
    if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
        end += 2;
    else if (shift && (*end == 'B' || *end == 'b'))
        end++;
    if (*end || v > (max >> shift))
        return 0;
    *out = (uint64_t)v << shift;
    return 1;
}

int cli_online_cpus(int max)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > max ? max : (int)n;
}

int cli_default_threads(void)
{
    /* each thread holds its blocks and model states: a cap keeps memory bounded */
    return cli_online_cpus(8);
}

int cli_parse_threads(const char *s, int *threads)
{
    uint64_t v;
    if (!cli_parse_size(s, CLI_THREADS_MAX, &v) || v < 1)
        return 0;
    *threads = (int)v;
    return 1;
}

void cli_usagev(const char *cmd, const char *fmt, va_list ap)
{
    fputs("eiw: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'eiw%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
}

void cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_usagev(cmd, fmt, ap);
    va_end(ap);
}

int cli_parse_window_end(const char *s, unsigned *rule)
{
    return eiw_window_end_parse(s, rule);
}
