/* The progress line of the eiw program (cli/progress.c): the rate and the time left, at given
 * times, so nothing here depends on the clock or on a terminal. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "cli/progress.h"

static cli_progress at_start(uint64_t total, int decompressing)
{
    cli_progress p;
    cli_progress_init(&p, "f.txt", total, 1, decompressing);
    p.start = 100.0;
    return p;
}

static const char *line(const cli_progress *p, uint64_t in, uint64_t out, double now)
{
    static char buf[256];
    return cli_progress_format(p, in, out, now, buf, sizeof buf);
}

#define MIB 1048576u

Test(progress, shows_the_rate_and_the_time_left)
{
    cli_progress p = at_start(10 * MIB, 0);
    /* 1 MiB of 10 in 10 s: 102.4 KiB/s, 9 MiB left at that rate is 90 s */
    cr_assert_str_eq(line(&p, MIB, MIB / 4, 110.0),
                     "eiw: f.txt:  10% 1.0 MiB -> 256.0 KiB, 102.4 KiB/s, ETA 1m30s");
    /* 5 MiB in 2 s: MiB/s; 2.5 MiB/s leaves 2 s */
    cr_assert_str_eq(line(&p, 5 * MIB, MIB, 102.0),
                     "eiw: f.txt:  50% 5.0 MiB -> 1.0 MiB, 2.5 MiB/s, ETA 0m02s");
    /* hours */
    cli_progress big = at_start(1024u * MIB, 0);
    cr_assert(strstr(line(&big, MIB, 0, 110.0), ", ETA 2h50m"), "%s", line(&big, MIB, 0, 110.0));
}

Test(progress, decompressing_counts_the_original_bytes_written)
{
    /* 1 MiB of compressed input gave 4 MiB in 10 s: 409.6 KiB/s of original data; the time
     * left still comes from the input still to read */
    cli_progress p = at_start(10 * MIB, 1);
    cr_assert_str_eq(line(&p, MIB, 4 * MIB, 110.0),
                     "eiw: f.txt:  10% 1.0 MiB -> 4.0 MiB, 409.6 KiB/s, ETA 1m30s");
}

Test(progress, no_rate_before_a_second_or_a_byte_and_no_eta_without_a_size)
{
    cli_progress p = at_start(10 * MIB, 0);
    cr_assert_str_eq(line(&p, MIB, MIB, 100.5), "eiw: f.txt:  10% 1.0 MiB -> 1.0 MiB");
    cr_assert_str_eq(line(&p, 0, 0, 150.0), "eiw: f.txt:   0% 0.0 KiB -> 0.0 KiB");
    cli_progress pipe = at_start(UINT64_MAX, 0);
    cr_assert_str_eq(line(&pipe, 2 * MIB, MIB, 104.0),
                     "eiw: f.txt: 2.0 MiB -> 1.0 MiB, 512.0 KiB/s");
    /* a short buffer is cut, never overrun */
    char small[12];
    cr_assert_str_eq(cli_progress_format(&p, MIB, MIB, 110.0, small, sizeof small),
                     "eiw: f.txt:");
}
