/* The eiw program as a user runs it (EIW_BIN, set by `make test`), each test in its own
 * temporary directory: naming, round trips, overwrite rules, stdin/stdout, test/list, exit
 * codes, one-line errors, and that failures and interrupts leave no output file behind. */
#define _XOPEN_SOURCE 700   /* posix_openpt & co., for the terminal test */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "eiw.h"
#include "model/qkernels.h"
#include "tests/test_files.h"
#include "tests/test_util.h"

static char dir[64];       /* the user's working directory */
static char cap[64];       /* captured stdout/stderr, kept out of `dir` */
static const char *eiw_bin;
static char *out_text, *err_text;   /* of the last run */
static size_t out_len, err_len;

static void setup(void)
{
    eiw_bin = getenv("EIW_BIN");
    if (!eiw_bin || !*eiw_bin)
        cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    snprintf(dir, sizeof dir, "/tmp/eiw-cli-XXXXXX");
    snprintf(cap, sizeof cap, "/tmp/eiw-cap-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_not_null(mkdtemp(cap));
    /* the mechanics of the program are tested with the fast static model (the sanitizer and
     * scalar builds run M1 slowly); tests of the default model unset it */
    setenv("EIW_MODEL", "order1", 1);
}

static void teardown(void)
{
    free(out_text);
    free(err_text);
    if (dir[0])
        test_remove_tree(dir);
    if (cap[0])
        test_remove_tree(cap);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

static void write_file(const char *name, const void *data, size_t n)
{
    test_write_in(dir, name, data, n);
}

static int exists(const char *name)
{
    return test_exists_in(dir, name);
}

/* The whole file, NUL-terminated; NULL if it does not exist. */
static int same_file_content(const char *a, const char *b)
{
    size_t na, nb;
    char *x = test_read_in(dir, a, &na), *y = test_read_in(dir, b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Number of directory entries: catches temporaries left behind. */
static int count_files(void)
{
    DIR *h = opendir(dir);
    cr_assert_not_null(h);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(h)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(h);
    return n;
}

static int stdout_fd = -1;   /* when >= 0, the child's stdout (a terminal in one test) */

static pid_t spawn_v(const char *stdin_name, int stdin_fd, const char *const *args)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = "eiw";
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int in = stdin_fd >= 0 ? stdin_fd
                 : open(stdin_name ? test_at(dir, stdin_name) : "/dev/null", O_RDONLY);
        int out = stdout_fd >= 0 ? stdout_fd
                  : open(test_at(cap, "stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(test_at(cap, "stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || chdir(dir) != 0 || dup2(in, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        test_child_apply_limits();
        execv(eiw_bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid)
{
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    free(out_text);
    free(err_text);
    out_text = stdout_fd >= 0 ? calloc(1, 1) : test_read_in(cap, "stdout", &out_len);
    if (stdout_fd >= 0)
        out_len = 0;
    err_text = test_read_in(cap, "stderr", &err_len);
    cr_assert(out_text && err_text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs `eiw ARGS...` (NULL-terminated) in dir with stdin from the named file (or /dev/null);
 * returns the exit status; stdout/stderr land in out_text/err_text. */
static int run(const char *stdin_name, ...)
{
    const char *args[31];
    int n = 0;
    va_list ap;
    va_start(ap, stdin_name);
    while (n < 30 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    return wait_status(spawn_v(stdin_name, -1, args));
}

static void one_error_line(const char *name)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "eiw: %s: ", name);
    cr_assert(strncmp(err_text, prefix, strlen(prefix)) == 0, "stderr '%s' should start with '%s'",
              err_text, prefix);
    cr_assert(err_len > 0 && err_text[err_len - 1] == '\n' && !memchr(err_text, '\n', err_len - 1),
              "exactly one line expected: '%s'", err_text);
}

static void make_input(const char *name, size_t len, uint64_t seed)
{
    sample s = sample_make("text", len, seed);
    write_file(name, s.data, s.len);
    sample_free(&s);
}

Test(cli, compress_then_decompress_restores_the_file)
{
    make_input("a.txt", 30000, 1);
    cr_assert_eq(run(NULL, "a.txt", NULL), 0, "%s", err_text);
    cr_assert(exists("a.txt.eiw"));
    cr_assert(exists("a.txt"), "the input is kept");
    cr_assert_eq(rename(test_at(dir, "a.txt"), test_at(dir, "orig.txt")), 0);
    cr_assert_eq(run(NULL, "-d", "a.txt.eiw", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("a.txt", "orig.txt"));
    cr_assert(exists("a.txt.eiw"), "the input is kept");
    cr_assert_eq(count_files(), 3);
    /* The subcommand spellings do the same. */
    cr_assert_eq(run(NULL, "compress", "-o", "b.eiw", "orig.txt", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("a.txt.eiw", "b.eiw"));
    cr_assert_eq(run(NULL, "decompress", "-o", "b.txt", "b.eiw", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("b.txt", "orig.txt"));
}

Test(cli, windows_mode_roundtrips_and_is_listed)
{
    make_input("a.txt", 6000, 2);
    cr_assert_eq(run(NULL, "--window-bits", "32", "--token-bits", "8", "a.txt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "list", "a.txt.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "windows (window 32 bits, token 8 bits, tight end)"), "%s",
              out_text);
    cr_assert_eq(run(NULL, "-dc", "a.txt.eiw", NULL), 0, "%s", err_text);
    char *orig = test_read_in(dir, "a.txt", NULL);
    cr_assert(out_len == 6000 && memcmp(out_text, orig, 6000) == 0);
    free(orig);
}

Test(cli, existing_output_is_not_overwritten_without_force)
{
    make_input("a.txt", 5000, 3);
    write_file("a.txt.eiw", "keep me", 7);
    cr_assert_eq(run(NULL, "a.txt", NULL), 1);
    one_error_line("a.txt.eiw");
    cr_assert(strstr(err_text, "-f"), "the message says how to force: %s", err_text);
    char *kept = test_read_in(dir, "a.txt.eiw", NULL);
    cr_assert_str_eq(kept, "keep me");
    free(kept);
    cr_assert_eq(count_files(), 2, "no temporary left behind");
    /* Decompression too. */
    cr_assert_eq(run(NULL, "-c", "a.txt", NULL), 0);
    write_file("b.eiw", out_text, out_len);
    write_file("b", "old", 3);
    cr_assert_eq(run(NULL, "-d", "b.eiw", NULL), 1);
    one_error_line("b");
    char *old = test_read_in(dir, "b", NULL);
    cr_assert_str_eq(old, "old");
    free(old);
}

Test(cli, force_overwrites_existing_output)
{
    make_input("a.txt", 5000, 4);
    write_file("a.txt.eiw", "old", 3);
    cr_assert_eq(run(NULL, "-f", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "-dc", "a.txt.eiw", NULL), 0, "%s", err_text);
    char *orig = test_read_in(dir, "a.txt", NULL);
    cr_assert(out_len == 5000 && memcmp(out_text, orig, 5000) == 0);
    free(orig);
    cr_assert_eq(count_files(), 2);
}

Test(cli, stdin_and_stdout_roundtrip)
{
    make_input("a.txt", 20000, 5);
    cr_assert_eq(run(NULL, "-c", "a.txt", NULL), 0, "%s", err_text);
    write_file("via_c.eiw", out_text, out_len);
    cr_assert_eq(run("a.txt", NULL), 0, "%s", err_text);     /* no file: stdin -> stdout */
    write_file("via_stdin.eiw", out_text, out_len);
    cr_assert(same_file_content("via_c.eiw", "via_stdin.eiw"));
    cr_assert_eq(run("a.txt", "-", NULL), 0, "%s", err_text);  /* '-' is stdin too */
    write_file("via_dash.eiw", out_text, out_len);
    cr_assert(same_file_content("via_c.eiw", "via_dash.eiw"));
    cr_assert_eq(run("via_c.eiw", "-d", NULL), 0, "%s", err_text);
    write_file("back.txt", out_text, out_len);
    cr_assert(same_file_content("back.txt", "a.txt"));
    cr_assert(!exists("a.txt.eiw"), "-c and stdin write no file");
}

Test(cli, output_option_names_the_file)
{
    make_input("a.txt", 8000, 6);
    cr_assert_eq(run(NULL, "-o", "x.bin", "a.txt", NULL), 0, "%s", err_text);
    cr_assert(exists("x.bin") && !exists("a.txt.eiw"));
    cr_assert_eq(run(NULL, "-d", "-o", "y.txt", "x.bin", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("y.txt", "a.txt"));
    cr_assert_eq(run(NULL, "-o", "-", "a.txt", NULL), 0, "%s", err_text);  /* -o - is stdout */
    write_file("dash.eiw", out_text, out_len);
    cr_assert(same_file_content("dash.eiw", "x.bin"));
    cr_assert_eq(run(NULL, "-o", "z.eiw", "-", NULL), 0, "%s", err_text);  /* empty stdin */
    cr_assert_eq(run(NULL, "-dc", "z.eiw", NULL), 0, "%s", err_text);
    cr_assert_eq(out_len, 0);
}

/* `-o /dev/null` works without -f, as in gzip and zstd, and writes into the device: /dev/null
 * stays the character device it was (a temporary renamed over it would make it a file). */
Test(cli, dev_null_output_needs_no_force_and_stays_a_device)
{
    struct stat before, after;
    cr_assert_eq(stat("/dev/null", &before), 0);
    cr_assert(S_ISCHR(before.st_mode), "/dev/null is not a character device here");
    make_input("a.txt", 4000, 33);
    cr_assert_eq(run(NULL, "-o", "/dev/null", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(err_len, 0, "%s", err_text);
    cr_assert_eq(run(NULL, "-c", "a.txt", NULL), 0, "%s", err_text);
    write_file("a.eiw", out_text, out_len);
    cr_assert_eq(run(NULL, "-d", "-o", "/dev/null", "a.eiw", NULL), 0, "%s", err_text);
    cr_assert_eq(stat("/dev/null", &after), 0);
    cr_assert(S_ISCHR(after.st_mode) && after.st_rdev == before.st_rdev &&
              after.st_ino == before.st_ino, "/dev/null was replaced");
    cr_assert_eq(count_files(), 2, "no temporary and no other file");
}

/* Reads what is in the FIFO now (opened non-blocking); returns the count. */
static size_t drain_fifo(int fd, char *buf, size_t room)
{
    size_t n = 0;
    ssize_t r;
    while (n < room && (r = read(fd, buf + n, room - n)) > 0)
        n += (size_t)r;
    return n;
}

/* A FIFO as the output, with and without -f: the data goes through it and it stays a FIFO. */
Test(cli, fifo_output_is_written_into_not_replaced)
{
    make_input("a.txt", 3000, 34);
    cr_assert_eq(run(NULL, "-c", "a.txt", NULL), 0, "%s", err_text);
    size_t want_len = out_len;
    char *want = malloc(want_len);
    memcpy(want, out_text, want_len);
    cr_assert_lt(want_len, 16384, "must fit in the pipe buffer");
    cr_assert_eq(mkfifo(test_at(dir, "fifo"), 0600), 0);
    static const char *const force[2] = { NULL, "-f" };
    for (int f = 0; f < 2; f++) {
        /* a reader first, so the program's open does not wait; non-blocking, so a FIFO that
         * gets no writer reads as empty instead of hanging the test */
        int rd = open(test_at(dir, "fifo"), O_RDONLY | O_NONBLOCK);
        cr_assert_geq(rd, 0);
        int rc = force[f] ? run(NULL, force[f], "-o", "fifo", "a.txt", NULL)
                          : run(NULL, "-o", "fifo", "a.txt", NULL);
        cr_assert_eq(rc, 0, "%s: %s", force[f] ? "-f" : "no -f", err_text);
        char got[16384];
        size_t n = drain_fifo(rd, got, sizeof got);
        close(rd);
        struct stat st;
        cr_assert_eq(lstat(test_at(dir, "fifo"), &st), 0);
        cr_assert(S_ISFIFO(st.st_mode), "%s: the FIFO was replaced", force[f] ? "-f" : "no -f");
        cr_assert(n == want_len && memcmp(got, want, n) == 0,
                  "%zu bytes through the FIFO, %zu expected", n, want_len);
    }
    cr_assert_eq(count_files(), 2, "no temporary left");
    free(want);
}

static void set_mode_and_mtime(const char *name, mode_t mode, time_t sec, long nsec)
{
    cr_assert_eq(chmod(test_at(dir, name), mode), 0);
    const struct timespec t[2] = { { sec, nsec }, { sec, nsec } };
    cr_assert_eq(utimensat(AT_FDCWD, test_at(dir, name), t, 0), 0);
}

/* The output has the input's permission bits and modification time, like gzip's. */
static void same_mode_and_mtime(const char *from, const char *to)
{
    struct stat a, b;
    cr_assert_eq(stat(test_at(dir, from), &a), 0);
    cr_assert_eq(stat(test_at(dir, to), &b), 0);
    cr_assert_eq(a.st_mode & 07777, b.st_mode & 07777, "%s: mode %o, %s: %o", from,
                 (unsigned)(a.st_mode & 07777), to, (unsigned)(b.st_mode & 07777));
    cr_assert(a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec,
              "%s: mtime %lld.%09ld, %s: %lld.%09ld", from, (long long)a.st_mtim.tv_sec,
              a.st_mtim.tv_nsec, to, (long long)b.st_mtim.tv_sec, b.st_mtim.tv_nsec);
}

Test(cli, outputs_keep_the_input_mode_and_mtime)
{
    make_input("a.txt", 5000, 35);
    set_mode_and_mtime("a.txt", 0640, 1000000000, 123456789);
    cr_assert_eq(run(NULL, "a.txt", NULL), 0, "%s", err_text);
    same_mode_and_mtime("a.txt", "a.txt.eiw");
    /* -o and -f over an existing file go through the same temporary */
    write_file("b.eiw", "old", 3);
    cr_assert_eq(run(NULL, "-f", "-o", "b.eiw", "a.txt", NULL), 0, "%s", err_text);
    same_mode_and_mtime("a.txt", "b.eiw");
    /* decompressing: from the .eiw file, whatever the original had */
    set_mode_and_mtime("a.txt.eiw", 0604, 1200000000, 987654321);
    cr_assert_eq(rename(test_at(dir, "a.txt"), test_at(dir, "orig.txt")), 0);
    cr_assert_eq(run(NULL, "-d", "a.txt.eiw", NULL), 0, "%s", err_text);
    same_mode_and_mtime("a.txt.eiw", "a.txt");
    cr_assert(same_file_content("a.txt", "orig.txt"));
    cr_assert_eq(run(NULL, "-d", "-o", "c.txt", "b.eiw", NULL), 0, "%s", err_text);
    same_mode_and_mtime("b.eiw", "c.txt");
}

Test(cli, test_command_accepts_good_and_rejects_corrupt_files)
{
    make_input("a.txt", 30000, 7);
    cr_assert_eq(run(NULL, "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "test", "a.txt.eiw", NULL), 0, "%s", err_text);
    cr_assert_eq(out_len, 0, "test writes nothing");
    size_t n;
    char *c = test_read_in(dir, "a.txt.eiw", &n);
    c[n / 2] ^= 0x10;
    write_file("bad.eiw", c, n);
    free(c);
    cr_assert_eq(run(NULL, "test", "bad.eiw", NULL), 1);
    one_error_line("bad.eiw");
    cr_assert_eq(count_files(), 3);
}

Test(cli, list_shows_model_mode_and_sizes)
{
    make_input("a.txt", 12345, 8);
    const eiw_model *m = eiw_model_builtin("order0");
    cr_assert_eq(run(NULL, "--model", m->name, "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "list", "a.txt.eiw", NULL), 0, "%s", err_text);
    char id[32];
    snprintf(id, sizeof id, "%016" PRIx64, m->id);
    cr_assert(strstr(out_text, m->name) && strstr(out_text, id), "%s", out_text);
    cr_assert(strstr(out_text, "12345 bytes"), "original size: %s", out_text);
    struct stat st;
    cr_assert_eq(stat(test_at(dir, "a.txt.eiw"), &st), 0);
    char size[64];
    snprintf(size, sizeof size, "compressed size  %lld bytes", (long long)st.st_size);
    cr_assert(strstr(out_text, size), "%s", out_text);
    cr_assert(strstr(out_text, "stream"), "%s", out_text);
    cr_assert(strstr(out_text, "order0"), "%s", out_text);
    /* EIW_MODEL when no --model is given; a bad one is a usage error */
    setenv("EIW_MODEL", "uniform", 1);
    cr_assert_eq(run(NULL, "-o", "u.eiw", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "list", "u.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "uniform"), "%s", out_text);
    setenv("EIW_MODEL", "no-such-model", 1);
    cr_assert_eq(run(NULL, "-o", "x.eiw", "a.txt", NULL), 2);
    cr_assert(strstr(err_text, "EIW_MODEL: unknown model 'no-such-model'"), "%s", err_text);
    cr_assert(!exists("x.eiw"));
    /* The default model (the embedded M1) when neither is given, on a small input. */
    unsetenv("EIW_MODEL");
    make_input("small.txt", 1500, 10);
    cr_assert_eq(run(NULL, "-o", "d.eiw", "small.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "list", "d.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, eiw_model_default()->name), "%s", out_text);
    cr_assert_eq(run(NULL, "-dc", "d.eiw", NULL), 0, "%s", err_text);
    size_t n;
    char *orig = test_read_in(dir, "small.txt", &n);
    cr_assert(out_len == n && memcmp(out_text, orig, n) == 0);
    free(orig);
}

/* Files made by eiw 0.4 with its default M1 (m1-202611, no longer the default) decompress
 * without any option: the header's model id finds the built-in model. */
Test(cli, files_of_the_previous_default_model_decompress)
{
    unsetenv("EIW_MODEL");
    size_t n, len;
    uint8_t *orig = test_read_file("tests/golden/original.txt", &n);
    cr_assert_not_null(orig, "run from the tree root (make test)");
    const char *golden[] = { "tests/golden/m1-202611_stream.eiw",
                             "tests/golden/m1-202611_windows_b16_tight.eiw",
                             "tests/golden/levels/m1-202611.eiw" };
    for (int i = 0; i < 3; i++) {
        uint8_t *g = test_read_file(golden[i], &len);
        cr_assert_not_null(g, "%s", golden[i]);
        write_file("old.eiw", g, len);
        free(g);
        cr_assert_eq(run(NULL, "list", "old.eiw", NULL), 0, "%s", err_text);
        cr_assert(strstr(out_text, "m1-202611") && !strstr(out_text, "not available"), "%s",
                  out_text);
        cr_assert_eq(run(NULL, "-dc", "old.eiw", NULL), 0, "%s: %s", golden[i], err_text);
        cr_assert(out_len == n && memcmp(out_text, orig, n) == 0, "%s", golden[i]);
    }
    free(orig);
}

Test(cli, block_size_and_threads_options)
{
    make_input("a.txt", 20000, 9);
    cr_assert_eq(run(NULL, "-B", "4K", "-T", "1", "-o", "one.eiw", "a.txt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "--block-size=4096", "--threads=2", "-o", "two.eiw", "a.txt", NULL),
                 0, "%s", err_text);
    cr_assert(same_file_content("one.eiw", "two.eiw"), "output must not depend on threads");
    cr_assert_eq(run(NULL, "list", "one.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "block size       4096 bytes"), "%s", out_text);
}

Test(cli, bad_usage_exits_2)
{
    make_input("a.txt", 100, 10);
    static const char *const cases[][6] = {
        { "--no-such-option", "a.txt" },
        { "-y", "a.txt" },
        { "--window-bits", "17", "a.txt" },
        { "--window-bits", "24", "--token-bits", "16", "a.txt" },
        { "--window-bits", "8192", "a.txt" },
        { "--token-bits", "12", "--window-bits", "48", "a.txt" },
        { "--stream", "--window-bits", "64", "a.txt" },
        { "--block-size", "3X", "a.txt" },
        { "--block-size", "100", "a.txt" },
        { "--threads", "257", "a.txt" },
        { "--model", "no-such-model", "a.txt" },
        { "-o" },
        { "-o", "x", "a.txt", "a.txt" },
        { "test" },
        { "list", "-f", "a.txt" },
        { "-d", "--model", "no-such-model", "a.txt.eiw" },
        { "test", "-c", "a.txt.eiw" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = spawn_v(NULL, -1, cases[i]);
        cr_assert_eq(wait_status(pid), 2, "case %zu (%s %s): %s", i, cases[i][0],
                     cases[i][1] ? cases[i][1] : "", err_text);
        cr_assert(strncmp(err_text, "eiw: ", 5) == 0, "%s", err_text);
        cr_assert_eq(count_files(), 1, "case %zu wrote a file", i);
    }
}

Test(cli, missing_input_exits_1_with_one_error_line)
{
    cr_assert_eq(run(NULL, "nothere.txt", NULL), 1);
    one_error_line("nothere.txt");
    cr_assert(strstr(err_text, strerror(ENOENT)), "%s", err_text);
    cr_assert_eq(run(NULL, "-d", "nothere.eiw", NULL), 1);
    one_error_line("nothere.eiw");
    cr_assert_eq(count_files(), 0);
}

Test(cli, several_files_go_on_after_an_error)
{
    make_input("a.txt", 1000, 11);
    make_input("b.txt", 1000, 12);
    cr_assert_eq(run(NULL, "a.txt", "missing.txt", "b.txt", NULL), 1);
    one_error_line("missing.txt");
    cr_assert(exists("a.txt.eiw") && exists("b.txt.eiw"));
}

Test(cli, corrupt_input_leaves_no_output_and_input_untouched)
{
    make_input("a.txt", 50000, 13);
    cr_assert_eq(run(NULL, "-o", "good.eiw", "a.txt", NULL), 0, "%s", err_text);
    size_t n;
    char *c = test_read_in(dir, "good.eiw", &n);
    write_file("trunc.eiw", c, n - 5);
    c[n - 30] ^= 0x01;
    write_file("flip.eiw", c, n);
    write_file("junk.eiw", "this is not compressed data\n", 28);
    free(c);
    static const char *bad[] = { "trunc.eiw", "flip.eiw", "junk.eiw" };
    for (int i = 0; i < 3; i++) {
        size_t before_len, after_len;
        char *before = test_read_in(dir, bad[i], &before_len);
        int files = count_files();
        cr_assert_eq(run(NULL, "-d", bad[i], NULL), 1, "%s", bad[i]);
        one_error_line(bad[i]);
        char out_name[32];
        snprintf(out_name, sizeof out_name, "%.*s", (int)(strlen(bad[i]) - 4), bad[i]);
        cr_assert(!exists(out_name), "%s: partial output left", bad[i]);
        cr_assert_eq(count_files(), files, "%s: temporary left", bad[i]);
        char *after = test_read_in(dir, bad[i], &after_len);
        cr_assert(before_len == after_len && memcmp(before, after, after_len) == 0);
        free(before);
        free(after);
    }
}

Test(cli, wrong_suffixes_are_refused)
{
    make_input("a.txt", 100, 14);
    cr_assert_eq(run(NULL, "-d", "a.txt", NULL), 1);
    one_error_line("a.txt");
    cr_assert_eq(run(NULL, "a.txt", NULL), 0);
    cr_assert_eq(run(NULL, "a.txt.eiw", NULL), 1, "compressing a .eiw file again needs -o/-c");
    one_error_line("a.txt.eiw");
    cr_assert_eq(count_files(), 2);
    cr_assert_eq(run(NULL, "/dev/null", NULL), 1, "no /dev/null.eiw");
    one_error_line("/dev/null");
}

Test(cli, output_that_is_the_input_is_refused)
{
    make_input("a.txt", 3000, 15);
    char *before = test_read_in(dir, "a.txt", NULL);
    cr_assert_eq(run(NULL, "-f", "-o", "a.txt", "a.txt", NULL), 1);
    one_error_line("a.txt");
    char *after = test_read_in(dir, "a.txt", NULL);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
}

/* Rewrites the model id in a container header and fixes the header checksum. */
static void set_model_id(char *c, uint64_t id)
{
    size_t name_len = (uint8_t)c[10];
    for (int k = 0; k < 8; k++)
        c[24 + k] = (char)(id >> (8 * k));
    uint32_t sum = (uint32_t)XXH3_64bits(c, 32 + name_len);
    for (int k = 0; k < 4; k++)
        c[32 + name_len + (size_t)k] = (char)(sum >> (8 * k));
}

Test(cli, unavailable_or_other_model_is_reported)
{
    make_input("a.txt", 4000, 16);
    /* level 0: the format-1 header layout that set_model_id edits */
    cr_assert_eq(run(NULL, "-0", "a.txt", NULL), 0, "%s", err_text);
    size_t n;
    char *c = test_read_in(dir, "a.txt.eiw", &n);
    set_model_id(c, 0x0123456789abcdefull);
    write_file("p.eiw", c, n);
    free(c);
    cr_assert_eq(run(NULL, "-d", "p.eiw", NULL), 1);
    one_error_line("p.eiw");
    char want[256];
    snprintf(want, sizeof want, "compressed with model '%s' (id 0123456789abcdef), which is not "
             "available", "order1");
    cr_assert(strstr(err_text, want), "%s", err_text);
    cr_assert(!exists("p"));
    cr_assert_eq(run(NULL, "-d", "--model", "uniform", "-o", "q.txt", "a.txt.eiw", NULL), 1);
    one_error_line("a.txt.eiw");
    cr_assert(strstr(err_text, "but --model gives 'uniform'"), "%s", err_text);
    cr_assert(!exists("q.txt"));
    cr_assert_eq(run(NULL, "test", "--model", "order0", "a.txt.eiw", NULL), 1);
    cr_assert(strstr(err_text, "but --model gives 'order0'"), "%s", err_text);
    cr_assert_eq(run(NULL, "test", "--model", "order1", "a.txt.eiw", NULL), 0, "%s", err_text);
}

Test(cli, invalid_model_files_are_rejected)
{
    make_input("a.txt", 100, 17);
    write_file("m.bin", "weights", 7);
    cr_assert_eq(run(NULL, "--model", "m.bin", "a.txt", NULL), 1);
    cr_assert_str_eq(err_text, "eiw: m.bin: invalid model file\n");
    write_file("e.bin", "", 0);
    cr_assert_eq(run(NULL, "--model", "e.bin", "a.txt", NULL), 1);
    cr_assert_str_eq(err_text, "eiw: e.bin: empty model file\n");
    cr_assert(!exists("a.txt.eiw"));
}

Test(cli, verbose_prints_sizes_and_ratio)
{
    make_input("a.txt", 25000, 18);
    cr_assert_eq(run(NULL, "-v", "a.txt", NULL), 0, "%s", err_text);
    unsigned long long in = 0, out = 0;
    double bpb = 0, ratio = 0;
    cr_assert_eq(sscanf(err_text, "a.txt: %llu -> %llu bytes (%lf bits/byte, ratio %lf)", &in,
                        &out, &bpb, &ratio), 4, "%s", err_text);
    struct stat st;
    cr_assert_eq(stat(test_at(dir, "a.txt.eiw"), &st), 0);
    cr_assert_eq(in, 25000);
    cr_assert_eq(out, (unsigned long long)st.st_size);
    cr_assert_float_eq(bpb, 8.0 * (double)out / (double)in, 0.001);
    cr_assert_float_eq(ratio, (double)in / (double)out, 0.01);
    cr_assert_eq(run(NULL, "-q", "-f", "a.txt", NULL), 0);
    cr_assert_eq(err_len, 0, "-q is quiet: %s", err_text);
}

Test(cli, help_and_version_exit_0)
{
    static const char *const cases[][3] = {
        { "--help" }, { "-h" }, { "compress", "--help" }, { "decompress", "--help" },
        { "test", "--help" }, { "list", "--help" }, { "-d", "--help" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(wait_status(spawn_v(NULL, -1, cases[i])), 0, "%s %s", cases[i][0],
                     cases[i][1] ? cases[i][1] : "");
        cr_assert(strstr(out_text, "usage:"), "%s", out_text);
    }
    cr_assert_eq(run(NULL, "--version", NULL), 0);
    cr_assert(strstr(out_text, EIW_VERSION_STRING), "%s", out_text);
}

/* --version names the kernel in use; EIW_SIMD picks one the CPU runs and refuses, in one
 * line, a name that is unknown or a kernel the CPU lacks (never running it). */
Test(cli, simd_environment_picks_or_refuses_a_kernel)
{
    cr_assert_eq(run(NULL, "--version", NULL), 0, "%s", err_text);
    char want[64];
    snprintf(want, sizeof want, "kernel %s ", eiw_kernel_name(eiw_kernel_active()));
    cr_assert(strstr(out_text, want), "'%s' should contain '%s'", out_text, want);
    static const char *const names[EIW_KERNEL_COUNT] = { "scalar", "avx2", "avx512" };
    make_input("a.txt", 2000, 30);
    for (int k = 0; k < EIW_KERNEL_COUNT; k++) {
        cr_assert_eq(setenv("EIW_SIMD", names[k], 1), 0);
        if (eiw_kernel_supported((eiw_kernel)k)) {
            cr_assert_eq(run(NULL, "--version", NULL), 0, "%s: %s", names[k], err_text);
            snprintf(want, sizeof want, "kernel %s ", eiw_kernel_name((eiw_kernel)k));
            cr_assert(strstr(out_text, want), "'%s' should contain '%s'", out_text, want);
        } else {
            cr_assert_eq(run(NULL, "a.txt", NULL), 1, "%s", names[k]);
            snprintf(want, sizeof want, "EIW_SIMD=%s", names[k]);
            one_error_line(want);
            cr_assert(strstr(err_text, "lacks"), "%s", err_text);
            cr_assert(!exists("a.txt.eiw"));
        }
    }
    cr_assert_eq(setenv("EIW_SIMD", "sse9", 1), 0);
    cr_assert_eq(run(NULL, "--version", NULL), 1);
    one_error_line("EIW_SIMD=sse9");
    cr_assert_eq(setenv("EIW_SIMD", "none", 1), 0);
    cr_assert_eq(run(NULL, "--version", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "kernel scalar "), "%s", out_text);
    unsetenv("EIW_SIMD");
}

/* Waits (bounded) until the program has created its temporary output file. */
static int wait_for_files(int n)
{
    for (int i = 0; i < 2000; i++) {
        if (count_files() >= n)
            return 1;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void check_interrupt(int sig, int expected_status)
{
    make_input("a.txt", 1000, 19);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    const char *const args[] = { "-o", "out.eiw", "-", NULL };
    pid_t pid = spawn_v(NULL, p[0], args);
    close(p[0]);
    /* stdin stays open, so the program blocks reading after creating its temporary. */
    cr_assert_eq(write(p[1], "some input ", 11), 11);
    cr_assert(wait_for_files(2), "no temporary output appeared");
    cr_assert_eq(kill(pid, sig), 0);
    cr_assert_eq(wait_status(pid), expected_status, "%s", err_text);
    close(p[1]);
    cr_assert(!exists("out.eiw"));
    cr_assert_eq(count_files(), 1, "the temporary must be removed");
}

Test(cli, sigint_removes_the_temporary_and_exits_130)
{
    check_interrupt(SIGINT, 130);
}

Test(cli, sigterm_removes_the_temporary)
{
    check_interrupt(SIGTERM, 128 + SIGTERM);
}

Test(cli, compressed_data_is_not_written_to_a_terminal)
{
    make_input("a.txt", 100, 20);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        cr_skip_test("no pseudo-terminals here");
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    cr_assert_geq(slave, 0);
    stdout_fd = slave;
    int st = run(NULL, "-c", "a.txt", NULL);
    cr_assert_eq(st, 1, "%s", err_text);
    one_error_line("stdout");
    cr_assert_eq(run(NULL, "-c", "-f", "a.txt", NULL), 0, "%s", err_text);  /* -f forces */
    cr_assert_eq(run(NULL, "-dc", "a.txt", NULL), 1);   /* not .eiw data: error, not a refusal */
    stdout_fd = -1;
    close(slave);
    close(master);
}

static void input_intact(const char *name, size_t len, uint64_t seed);

/* --window-end: implicit (default, format 3) and marker (format 1, as eiw 0.2 wrote windows);
 * both decode; the option is checked like the others. */
Test(cli, window_end_option)
{
    make_input("a.txt", 3000, 43);
    cr_assert_eq(run(NULL, "--window-bits", "32", "-o", "tight.eiw", "a.txt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "--window-bits", "32", "--window-end", "implicit", "-o", "imp.eiw",
                     "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "--window-bits", "32", "--window-end", "marker", "-o", "mark.eiw",
                     "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "list", "tight.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   4") && strstr(out_text, "tight end"), "%s",
              out_text);
    cr_assert_eq(run(NULL, "list", "imp.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   3") && strstr(out_text, "implicit end"), "%s",
              out_text);
    cr_assert_eq(run(NULL, "list", "mark.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   1") && strstr(out_text, "marker end"), "%s",
              out_text);
    const char *files[] = { "tight.eiw", "imp.eiw", "mark.eiw" };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(run(NULL, "-d", "-o", "back.txt", files[i], NULL), 0, "%s", err_text);
        input_intact("back.txt", 3000, 43);
        cr_assert_eq(unlink(test_at(dir, "back.txt")), 0);
    }
    cr_assert_eq(run(NULL, "--window-end", "marker", "a.txt", NULL), 2);
    cr_assert(strstr(err_text, "--window-bits"), "%s", err_text);
    cr_assert_eq(run(NULL, "--window-bits", "16", "--window-end", "middle", "a.txt", NULL), 2);
    cr_assert(strstr(err_text, "middle"), "%s", err_text);
    cr_assert_eq(run(NULL, "-d", "--window-end", "marker", "imp.eiw", NULL), 2);
}

/* --mixing 1 writes the levels of eiw 0.2-0.5 (format 2) byte for byte: the frozen default-level
 * file of eiw 0.5; the default (2) is format 5; both decode; misuse is a usage error. */
Test(cli, mixing_option_writes_the_older_format)
{
    unsetenv("EIW_MODEL");
    size_t n, len, got;
    uint8_t *orig = test_read_file("tests/golden/original.txt", &n);
    uint8_t *gold = test_read_file("tests/golden/levels/default.eiw", &len);
    cr_assert(orig && gold, "run from the tree root (make test)");
    write_file("o.txt", orig, n);
    cr_assert_eq(run(NULL, "--mixing", "1", "-o", "old.eiw", "o.txt", NULL), 0, "%s", err_text);
    uint8_t *old = test_read_file(test_at(dir, "old.eiw"), &got);
    cr_assert(old && got == len && memcmp(old, gold, len) == 0,
              "--mixing 1 differs from eiw 0.5's frozen file");
    cr_assert_eq(run(NULL, "--mixing", "2", "-o", "new.eiw", "o.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "list", "new.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   5"), "%s", out_text);
    cr_assert_eq(run(NULL, "list", "old.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   2"), "%s", out_text);
    cr_assert_eq(run(NULL, "test", "old.eiw", "new.eiw", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "--mixing", "3", "-o", "x.eiw", "o.txt", NULL), 2);
    cr_assert(strstr(err_text, "--mixing"), "%s", err_text);
    cr_assert_eq(run(NULL, "-0", "--mixing", "1", "-o", "x.eiw", "o.txt", NULL), 2);
    cr_assert(strstr(err_text, "--mixing"), "%s", err_text);
    cr_assert_eq(run(NULL, "-d", "--mixing", "1", "old.eiw", NULL), 2);
    cr_assert(!exists("x.eiw"));
    free(old);
    free(gold);
    free(orig);
}

/* Levels as gzip/zstd users type them; the file records its level and `list` shows it. */

Test(cli, levels_are_options_recorded_in_the_file)
{
    make_input("a.txt", 20000, 41);
    const char *const *ok[] = {
        (const char *const[]){ "-1", "-o", "l1.eiw", "a.txt", NULL },
        (const char *const[]){ "--fast", "-o", "fast.eiw", "a.txt", NULL },
        (const char *const[]){ "--level", "2", "-o", "l2.eiw", "a.txt", NULL },
        (const char *const[]){ "-9", "-o", "l9.eiw", "a.txt", NULL },
        (const char *const[]){ "--best", "-o", "best.eiw", "a.txt", NULL },
        (const char *const[]){ "-0", "-o", "l0.eiw", "a.txt", NULL },
        (const char *const[]){ "-o", "dflt.eiw", "a.txt", NULL },
    };
    const char *files[] = { "l1.eiw", "fast.eiw", "l2.eiw", "l9.eiw", "best.eiw", "l0.eiw",
                            "dflt.eiw" };
    const char *levels[] = { "level            1", "level            1", "level            2",
                             "level            9", "level            9", "level            0",
                             "level            6" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        const char *const *a = ok[i];
        int rc = !a[3] ? run(NULL, a[0], a[1], a[2], NULL)
                 : !a[4] ? run(NULL, a[0], a[1], a[2], a[3], NULL)
                         : run(NULL, a[0], a[1], a[2], a[3], a[4], NULL);
        cr_assert_eq(rc, 0, "%s: %s", files[i], err_text);
        cr_assert_eq(run(NULL, "list", files[i], NULL), 0, "%s", err_text);
        cr_assert(strstr(out_text, levels[i]), "%s: %s", files[i], out_text);
        cr_assert_eq(run(NULL, "-d", "-o", "back.txt", files[i], NULL), 0, "%s", err_text);
        input_intact("back.txt", 20000, 41);
        cr_assert_eq(unlink(test_at(dir, "back.txt")), 0);
    }
    cr_assert_eq(run(NULL, "list", "l1.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   5") && strstr(out_text, "model            none"),
              "%s", out_text);
    cr_assert_eq(run(NULL, "list", "l0.eiw", NULL), 0);
    cr_assert(strstr(out_text, "format version   1"), "level 0 stays format 1: %s", out_text);
    /* usage errors, each naming the problem */
    cr_assert_eq(run(NULL, "--level", "10", "a.txt", NULL), 2);
    cr_assert(strstr(err_text, "--level"), "%s", err_text);
    cr_assert_eq(run(NULL, "-d", "-5", "l1.eiw", NULL), 2);
    cr_assert_eq(run(NULL, "-1", "--model", "order1", "a.txt", NULL), 2);
    cr_assert(strstr(err_text, "uses no model"), "%s", err_text);
    cr_assert_eq(run(NULL, "-3", "--window-bits", "64", "a.txt", NULL), 2);
    cr_assert_eq(run(NULL, "--lanes", "65", "a.txt", NULL), 2);
    cr_assert_eq(run(NULL, "--lane-min", "3000", "a.txt", NULL), 2);
    cr_assert(!exists("a.txt.eiw"));
}

Test(cli, list_rejects_damaged_files)
{
    make_input("a.txt", 5000, 21);
    cr_assert_eq(run(NULL, "a.txt", NULL), 0, "%s", err_text);
    size_t n;
    char *c = test_read_in(dir, "a.txt.eiw", &n);
    write_file("trunc.eiw", c, n - 1);
    write_file("head.eiw", c, 20);
    free(c);
    cr_assert_eq(run(NULL, "list", "trunc.eiw", NULL), 1);
    one_error_line("trunc.eiw");
    cr_assert_eq(run(NULL, "list", "head.eiw", NULL), 1);
    one_error_line("head.eiw");
    cr_assert_eq(run(NULL, "list", "a.txt", NULL), 1);
    one_error_line("a.txt");
}

Test(cli, trained_checkpoint_exports_to_a_model_that_compresses)
{
    /* train a tiny byte model with BOS, export it, compress and decompress with it */
    make_input("train.txt", 20000, 31);
    make_input("a.txt", 3000, 32);
    cr_assert_eq(run(NULL, "train", "--config", "tiny", "--vocab", "257", "--bos", "256",
                     "--steps", "20", "--threads", "1", "--data", "train.txt", "--out", "m.ckpt",
                     NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "export", "m.ckpt", "-o", "m.eiwm", "--name", "tiny-m1", NULL), 0,
                 "%s", err_text);
    cr_assert_eq(run(NULL, "export", "m.ckpt", "-o", "m.eiwm", NULL), 1);   /* exists, no -f */
    one_error_line("m.eiwm");
    cr_assert_eq(run(NULL, "--model", "m.eiwm", "--window-bits", "32", "a.txt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "list", "a.txt.eiw", NULL), 0);
    cr_assert(strstr(out_text, "tiny-m1"), "%s", out_text);
    /* decoding needs that model, and names it when it is missing */
    cr_assert_eq(run(NULL, "-d", "-o", "back.txt", "a.txt.eiw", NULL), 1);
    cr_assert(strstr(err_text, "compressed with model 'tiny-m1'"), "%s", err_text);
    cr_assert(!exists("back.txt"));
    cr_assert_eq(run(NULL, "-d", "--model", "m.eiwm", "-o", "back.txt", "a.txt.eiw", NULL), 0,
                 "%s", err_text);
    size_t la, lb;
    char *a = test_read_in(dir, "a.txt", &la), *b = test_read_in(dir, "back.txt", &lb);
    cr_assert(la == lb && memcmp(a, b, la) == 0);
    free(a);
    free(b);
    /* a checkpoint without BOS is not a byte model for the codec */
    cr_assert_eq(run(NULL, "train", "--config", "tiny", "--steps", "2", "--threads", "1",
                     "--data", "train.txt", "--out", "nobos.ckpt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "export", "nobos.ckpt", "-o", "x.eiwm", NULL), 1);
    one_error_line("nobos.ckpt");
}

Test(cli, bench_prints_one_verified_row_per_mode)
{
    make_input("a.txt", 5000, 33);
    cr_assert_eq(run(NULL, "bench", "--runs", "1", "--modes", "stream,16,64,l1", "a.txt", NULL), 0,
                 "%s", err_text);
    int rows = 0;
    for (const char *line = strstr(out_text, "\na.txt"); line; line = strstr(line + 1, "\na.txt")) {
        unsigned long long n;
        char mode[16];
        double csize;
        cr_assert_eq(sscanf(line + 1, "a.txt %15s %llu %lf", mode, &n, &csize), 3, "%s", line);
        cr_assert_eq(n, 5000);
        cr_assert_gt(csize, 0);
        rows++;
    }
    cr_assert_eq(rows, 4, "%s", out_text);
    cr_assert_eq(run(NULL, "bench", "--modes", "17", "a.txt", NULL), 2);
}

/* ---- fault injection: full disks, unreadable inputs, unwritable outputs, signals in the
 * middle of the work, sizes declared beyond the data. Whatever happens: a one-line error or the
 * signal's exit status, no output file, no temporary, the input untouched. */

static void input_intact(const char *name, size_t len, uint64_t seed)
{
    sample s = sample_make("text", len, seed);
    size_t n;
    char *now = test_read_in(dir, name, &n);
    cr_assert(now && n == s.len && memcmp(now, s.data, n) == 0, "%s was changed", name);
    free(now);
    sample_free(&s);
}

Test(cli, full_disk_is_a_one_line_error_and_leaves_no_output)
{
    make_input("a.txt", 100000, 30);
    cr_assert_eq(run(NULL, "a.txt", NULL), 0, "%s", err_text);
    int files = count_files();
    /* standard output on a full device */
    stdout_fd = open("/dev/full", O_WRONLY);
    cr_assert_geq(stdout_fd, 0);
    cr_assert_eq(run(NULL, "-c", "a.txt", NULL), 1);
    one_error_line("stdout");
    cr_assert_eq(run(NULL, "-d", "-c", "a.txt.eiw", NULL), 1);
    one_error_line("stdout");
    close(stdout_fd);
    stdout_fd = -1;
    /* a file system that fills up under a file output (RLIMIT_FSIZE: writes fail with EFBIG) */
    test_child_fsize = 1000;   /* well under the compressed size */
    cr_assert_eq(run(NULL, "-o", "big.eiw", "a.txt", NULL), 1);
    one_error_line("big.eiw");
    cr_assert_eq(run(NULL, "-d", "-o", "back.txt", "a.txt.eiw", NULL), 1);
    one_error_line("back.txt");
    test_child_fsize = 0;
    cr_assert(!exists("big.eiw") && !exists("back.txt"));
    cr_assert_eq(count_files(), files, "a temporary was left");
    input_intact("a.txt", 100000, 30);
}

Test(cli, unreadable_input_is_a_one_line_error)
{
    cr_assert_eq(mkdir(test_at(dir, "sub"), 0755), 0);
    cr_assert_eq(mkdir(test_at(dir, "sub.eiw"), 0755), 0);
    cr_assert_eq(run(NULL, "sub", NULL), 1);
    one_error_line("sub");
    cr_assert_eq(run(NULL, "-d", "sub.eiw", NULL), 1);
    one_error_line("sub.eiw");
    make_input("a.txt", 1000, 31);
    if (geteuid() != 0) {   /* root reads files whatever their permissions */
        cr_assert_eq(chmod(test_at(dir, "a.txt"), 0), 0);
        cr_assert_eq(run(NULL, "a.txt", NULL), 1);
        one_error_line("a.txt");
    }
    cr_assert_eq(count_files(), 3);
}

Test(cli, missing_or_read_only_output_directory_is_a_one_line_error)
{
    make_input("a.txt", 1000, 32);
    cr_assert_eq(run(NULL, "-o", "nodir/a.eiw", "a.txt", NULL), 1);
    one_error_line("nodir/a.eiw");
    /* procfs takes no new files, not even from root (for whom permission bits do not count) */
    cr_assert_eq(run(NULL, "-o", "/proc/eiw-test.eiw", "a.txt", NULL), 1);
    one_error_line("/proc/eiw-test.eiw");
    if (geteuid() != 0) {
        cr_assert_eq(mkdir(test_at(dir, "ro"), 0555), 0);
        cr_assert_eq(run(NULL, "-o", "ro/a.eiw", "a.txt", NULL), 1);
        one_error_line("ro/a.eiw");
        cr_assert_eq(count_files(), 2);
        return;
    }
    cr_assert_eq(count_files(), 1);
    input_intact("a.txt", 1000, 32);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

Test(cli, signals_in_the_middle_of_compressing_a_file_leave_no_output)
{
    /* the default M1 codes ~25 KB/s per core: 200 KB keep it busy for seconds */
    make_input("big.txt", 200000, 33);
    unsetenv("EIW_MODEL");
    const int sigs[] = { SIGINT, SIGTERM };
    for (int k = 0; k < 2; k++) {
        const char *const args[] = { "-T", "1", "-o", "big.eiw", "big.txt", NULL };
        pid_t pid = spawn_v(NULL, -1, args);
        cr_assert(wait_for_files(2), "no temporary output appeared");
        sleep_ms(300);
        cr_assert_eq(kill(pid, sigs[k]), 0);
        cr_assert_eq(wait_status(pid), 128 + sigs[k], "%s", err_text);
        cr_assert(!exists("big.eiw"));
        cr_assert_eq(count_files(), 1, "the temporary must be removed");
        input_intact("big.txt", 200000, 33);
    }
}

Test(cli, signals_in_the_middle_of_decompressing_leave_no_output)
{
    make_input("a.txt", 100000, 34);
    cr_assert_eq(run(NULL, "-B", "4K", "a.txt", NULL), 0, "%s", err_text);
    size_t n;
    char *c = test_read_in(dir, "a.txt.eiw", &n);
    const int sigs[] = { SIGINT, SIGTERM };
    for (int k = 0; k < 2; k++) {
        int p[2];
        cr_assert_eq(pipe(p), 0);
        const char *const args[] = { "-d", "-o", "back.txt", "-", NULL };
        pid_t pid = spawn_v(NULL, p[0], args);
        close(p[0]);
        /* half the blocks arrive and are decoded, then the input stalls mid-block */
        cr_assert_eq(write(p[1], c, n / 2), (ssize_t)(n / 2));
        cr_assert(wait_for_files(3), "no temporary output appeared");
        sleep_ms(200);
        cr_assert_eq(kill(pid, sigs[k]), 0);
        cr_assert_eq(wait_status(pid), 128 + sigs[k], "%s", err_text);
        close(p[1]);
        cr_assert(!exists("back.txt"));
        cr_assert_eq(count_files(), 2, "the temporary must be removed");
    }
    free(c);
}

/* Rewrites the header checksum after an edit of the header's fields. */
static void fix_header_sum(char *c)
{
    size_t name_len = (uint8_t)c[10];
    uint32_t sum = (uint32_t)XXH3_64bits(c, 32 + name_len);
    for (int k = 0; k < 4; k++)
        c[32 + name_len + (size_t)k] = (char)(sum >> (8 * k));
}

static void put_le(char *p, uint64_t v, int bytes)
{
    for (int k = 0; k < bytes; k++)
        p[k] = (char)(v >> (8 * k));
}

Test(cli, sizes_declared_beyond_the_data_are_errors_in_bounded_memory)
{
    /* zeros: one zstd block of 5000 bytes in a container of 64 MiB blocks */
    sample s = sample_make("zeros", 5000, 35);
    write_file("z", s.data, s.len);
    sample_free(&s);
    cr_assert_eq(run(NULL, "-0", "-B", "64M", "z", NULL), 0, "%s", err_text);   /* format 1 */
    size_t n;
    char *good = test_read_in(dir, "z.eiw", &n), *c = malloc(n);
    const size_t blk = 36 + (uint8_t)good[10];   /* first block record */
    cr_assert_eq(good[blk], EIW_METHOD_ZSTD);
    struct { const char *name; size_t at; uint64_t value; int bytes, header; } cases[] = {
        { "raw64m.eiw", blk + 1, 1u << 26, 4, 0 },        /* block of 64 MiB from 5000 */
        { "raw4g.eiw", blk + 1, 0xFFFFFFFFu, 4, 0 },      /* beyond the block size */
        { "payload.eiw", blk + 5, 0xFFFFFFF0u, 4, 0 },    /* payload beyond the file */
        { "payload2.eiw", blk + 5, 4999, 4, 0 },          /* payload beyond the file */
        { "total.eiw", 16, (uint64_t)1 << 62, 8, 1 },     /* original size 2^62 */
        { "endsize.eiw", n - 16, (uint64_t)1 << 62, 8, 0 }, /* end record's total */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(c, good, n);
        put_le(c + cases[i].at, cases[i].value, cases[i].bytes);
        if (cases[i].header)
            fix_header_sum(c);
        write_file(cases[i].name, c, n);
        cr_assert_eq(run(NULL, "-d", "-o", "out", cases[i].name, NULL), 1, "%s", cases[i].name);
        one_error_line(cases[i].name);
        cr_assert(!exists("out"), "%s", cases[i].name);
    }
    /* the children's peak memory: the 64 MiB block buffers are reserved, never filled */
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
    cr_log_info("peak RSS of the decoders: %ld KiB", ru.ru_maxrss);
    cr_assert_lt(ru.ru_maxrss, 256 * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
    free(c);
    free(good);
}

/* ---- issue 13: concatenations, aliases, messages, --rm, the library's defaults ---- */

/* Writes the concatenation of files a and b (b may be NULL) and then `tail` to `to`. */
static void cat_files(const char *to, const char *a, const char *b, const void *tail,
                      size_t tail_len)
{
    size_t na, nb = 0;
    char *x = test_read_in(dir, a, &na), *y = b ? test_read_in(dir, b, &nb) : NULL;
    cr_assert(x && (!b || y));
    char *all = malloc(na + nb + tail_len + 1);
    memcpy(all, x, na);
    if (nb)
        memcpy(all + na, y, nb);
    if (tail_len)
        memcpy(all + na + nb, tail, tail_len);
    write_file(to, all, na + nb + tail_len);
    free(all);
    free(x);
    free(y);
}

static size_t file_size(const char *name)
{
    struct stat st;
    cr_assert_eq(stat(test_at(dir, name), &st), 0, "%s", name);
    return (size_t)st.st_size;
}

/* `eiw -c a b > ab.eiw` and `cat a.eiw b.eiw` decode, test and list like gzip's, zstd's and
 * xz's concatenations, whatever each part's level, model and format version. */
Test(cli, concatenated_files_decode_test_and_list)
{
    make_input("a.txt", 3000, 40);
    make_input("b.txt", 2000, 41);
    cat_files("ab.txt", "a.txt", "b.txt", NULL, 0);
    cr_assert_eq(run(NULL, "-1", "-c", "a.txt", "b.txt", NULL), 0, "%s", err_text);
    write_file("ab.eiw", out_text, out_len);
    cr_assert_eq(run(NULL, "-d", "ab.eiw", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("ab", "ab.txt"));
    /* parts of format 2 (level 1 as eiw 0.5 wrote it) and format 1 (order1 alone), from stdin
     * too (the first concatenation above has two parts of format 5) */
    cr_assert_eq(run(NULL, "-1", "--mixing", "1", "-o", "a.eiw", "a.txt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "-0", "-o", "b.eiw", "b.txt", NULL), 0, "%s", err_text);
    cat_files("x.eiw", "a.eiw", "b.eiw", NULL, 0);
    cr_assert_eq(run("x.eiw", "-d", NULL), 0, "%s", err_text);
    write_file("x.out", out_text, out_len);
    cr_assert(same_file_content("x.out", "ab.txt"));
    cr_assert_eq(run(NULL, "-dv", "-o", "x.txt", "x.eiw", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("x.txt", "ab.txt"));
    char want[128];
    snprintf(want, sizeof want, "x.eiw: %zu -> 5000 bytes", file_size("x.eiw"));
    cr_assert(strstr(err_text, want), "%s", err_text);
    cr_assert_eq(run(NULL, "test", "-v", "x.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(err_text, "x.eiw: OK (5000 bytes in 2 parts)"), "%s", err_text);
    cr_assert_eq(run(NULL, "list", "x.eiw", NULL), 0, "%s", err_text);
    snprintf(want, sizeof want, "part 2 at offset %zu:", file_size("a.eiw"));
    cr_assert(strstr(out_text, "x.eiw: 2 parts") && strstr(out_text, "part 1 at offset 0:") &&
              strstr(out_text, want), "%s", out_text);
    cr_assert(strstr(out_text, "format version   2") && strstr(out_text, "format version   1"),
              "%s", out_text);
    snprintf(want, sizeof want, "total            2 parts, 5000 -> %zu bytes",
             file_size("x.eiw"));
    cr_assert(strstr(out_text, want), "%s", out_text);
    /* one part is listed as before, without parts or total */
    cr_assert_eq(run(NULL, "list", "a.eiw", NULL), 0, "%s", err_text);
    cr_assert(!strstr(out_text, "part") && !strstr(out_text, "total"), "%s", out_text);
}

/* Bytes after the last part are an error of their own that says where they start: junk, zero
 * padding, or the beginning of a magic number that stops short (a truncated part). */
Test(cli, trailing_garbage_is_named_with_its_offset)
{
    make_input("a.txt", 3000, 42);
    cr_assert_eq(run(NULL, "-1", "-o", "a.eiw", "a.txt", NULL), 0, "%s", err_text);
    cat_files("j.eiw", "a.eiw", NULL, "junk\n", 5);
    cat_files("z.eiw", "a.eiw", NULL, "\0\0\0\0", 4);
    cat_files("t.eiw", "a.eiw", NULL, "\x89" "EI", 3);
    char want[128];
    snprintf(want, sizeof want, "trailing garbage after the compressed data at offset %zu",
             file_size("a.eiw"));
    static const char *const bad[] = { "j.eiw", "z.eiw" };
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(run(NULL, "-d", bad[i], NULL), 1, "%s", bad[i]);
        one_error_line(bad[i]);
        cr_assert(strstr(err_text, want), "%s", err_text);
        cr_assert(!exists(bad[i][0] == 'j' ? "j" : "z"), "no output file");
        cr_assert_eq(run(NULL, "test", bad[i], NULL), 1, "%s", bad[i]);
        one_error_line(bad[i]);
        cr_assert(strstr(err_text, want), "%s", err_text);
        cr_assert_eq(run(NULL, "list", bad[i], NULL), 1, "%s", bad[i]);
        one_error_line(bad[i]);
        cr_assert(strstr(err_text, want), "%s", err_text);
        cr_assert_eq(out_len, 0, "%s", out_text);
    }
    cr_assert_eq(run(NULL, "test", "t.eiw", NULL), 1);
    one_error_line("t.eiw");
    cr_assert(strstr(err_text, "truncated"), "%s", err_text);
}

Test(cli, test_and_list_have_the_usual_options)
{
    make_input("a.txt", 2000, 43);
    cr_assert_eq(run(NULL, "-1", "-o", "a.eiw", "a.txt", NULL), 0, "%s", err_text);
    static const char *const tests[][2] = { { "-t" }, { "--test" }, { "-dt" }, { "-t", "-d" } };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const char *args[4] = { tests[i][0], tests[i][1] ? tests[i][1] : "a.eiw",
                                tests[i][1] ? "a.eiw" : NULL, NULL };
        cr_assert_eq(wait_status(spawn_v(NULL, -1, args)), 0, "%s: %s", tests[i][0], err_text);
        cr_assert_eq(out_len + err_len, 0, "%s writes nothing", tests[i][0]);
    }
    cr_assert(!exists("a"), "-t decompresses nothing to a file");
    cr_assert_eq(run(NULL, "-l", "a.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "format version"), "%s", out_text);
    cr_assert_eq(run(NULL, "--list", "a.eiw", NULL), 0, "%s", err_text);
    cr_assert(strstr(out_text, "format version"), "%s", out_text);
    /* a damaged file fails -t; options that do not apply are named */
    cat_files("bad.eiw", "a.eiw", NULL, "x", 1);
    cr_assert_eq(run(NULL, "-t", "bad.eiw", NULL), 1);
    cr_assert_eq(run(NULL, "-t", "-c", "a.eiw", NULL), 2);
    cr_assert(strstr(err_text, "option '-c' does not apply to 'eiw test'"), "%s", err_text);
    cr_assert_eq(run(NULL, "-l", "-f", "a.eiw", NULL), 2);
    cr_assert(strstr(err_text, "option '-f' does not apply to 'eiw list'"), "%s", err_text);
}

/* Errors about an option name the option as typed, not its value. */
Test(cli, option_errors_name_the_option)
{
    make_input("a.txt", 1000, 44);
    static const struct { const char *args[5]; const char *want; } cases[] = {
        { { "test", "-B", "4K", "x.eiw" }, "option '-B' does not apply to 'eiw test'" },
        { { "test", "--block-size", "4K", "x.eiw" },
          "option '--block-size' does not apply to 'eiw test'" },
        { { "test", "--block-size=4K", "x.eiw" },
          "option '--block-size' does not apply to 'eiw test'" },
        { { "list", "-T", "2", "x.eiw" }, "option '-T' does not apply to 'eiw list'" },
        { { "test", "-o", "y", "x.eiw" }, "option '-o' does not apply to 'eiw test'" },
        { { "-T", "x", "a.txt" }, "-T: 'x' is not a number" },
        { { "--threads", "x", "a.txt" }, "--threads: 'x' is not a number" },
        { { "-B", "3X", "a.txt" }, "-B: '3X' is not a size" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(wait_status(spawn_v(NULL, -1, cases[i].args)), 2, "case %zu", i);
        cr_assert(strstr(err_text, cases[i].want), "case %zu: %s", i, err_text);
    }
}

/* -T0: every online CPU (zstd's habit); the bytes do not change. */
Test(cli, threads_zero_means_every_online_cpu)
{
    make_input("a.txt", 20000, 45);
    cr_assert_eq(run(NULL, "-1", "-T0", "-o", "t0.eiw", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "-1", "-T", "1", "-o", "t1.eiw", "a.txt", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("t0.eiw", "t1.eiw"));
    cr_assert_eq(run(NULL, "-d", "-T0", "-o", "back.txt", "t0.eiw", NULL), 0, "%s", err_text);
    cr_assert(same_file_content("back.txt", "a.txt"));
}

/* -o naming an existing directory says so, with or without -f, and leaves it alone. */
Test(cli, a_directory_output_is_named_a_directory)
{
    make_input("a.txt", 1000, 46);
    cr_assert_eq(run(NULL, "-1", "-o", "a.eiw", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(mkdir(test_at(dir, "d"), 0755), 0);
    cr_assert_eq(mkdir(test_at(dir, "a.txt.eiw"), 0755), 0);
    static const char *const cases[][6] = {
        { "-o", "d", "a.txt" }, { "-f", "-o", "d", "a.txt" }, { "-d", "-o", "d", "a.eiw" },
        { "-d", "-f", "-o", "d", "a.eiw" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(wait_status(spawn_v(NULL, -1, cases[i])), 1, "case %zu", i);
        one_error_line("d");
        cr_assert(strstr(err_text, "is a directory"), "case %zu: %s", i, err_text);
    }
    cr_assert_eq(run(NULL, "-f", "a.txt", NULL), 1);   /* FILE.eiw is a directory */
    one_error_line("a.txt.eiw");
    cr_assert(strstr(err_text, "is a directory"), "%s", err_text);
    struct stat st;
    cr_assert(stat(test_at(dir, "d"), &st) == 0 && S_ISDIR(st.st_mode));
    cr_assert_eq(count_files(), 4, "no temporary left");
}

/* -v prints what happened in the operation's direction. */
Test(cli, verbose_decompression_prints_compressed_to_original)
{
    make_input("a.txt", 9000, 47);
    cr_assert_eq(run(NULL, "-1", "a.txt", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "-dv", "-o", "b.txt", "a.txt.eiw", NULL), 0, "%s", err_text);
    unsigned long long from = 0, to = 0;
    double bpb = 0, ratio = 0;
    cr_assert_eq(sscanf(err_text, "a.txt.eiw: %llu -> %llu bytes (%lf bits/byte, ratio %lf)",
                        &from, &to, &bpb, &ratio), 4, "%s", err_text);
    cr_assert_eq(from, file_size("a.txt.eiw"));
    cr_assert_eq(to, 9000);
    cr_assert_float_eq(bpb, 8.0 * (double)from / 9000.0, 0.001);
    cr_assert_float_eq(ratio, 9000.0 / (double)from, 0.01);
}

/* --rm removes the input once the output is committed, and only then; never for stdout, a
 * device or a failure. -k after it keeps the input. */
Test(cli, rm_removes_the_input_only_after_a_committed_file_output)
{
    make_input("a.txt", 4000, 48);
    make_input("orig.txt", 4000, 48);
    cr_assert_eq(run(NULL, "-1", "--rm", "a.txt", NULL), 0, "%s", err_text);
    cr_assert(!exists("a.txt") && exists("a.txt.eiw"));
    cr_assert_eq(run(NULL, "-d", "--rm", "a.txt.eiw", NULL), 0, "%s", err_text);
    cr_assert(exists("a.txt") && !exists("a.txt.eiw"));
    cr_assert(same_file_content("a.txt", "orig.txt"));
    /* kept: stdout, a device, --rm -k, an output that exists, a failure */
    cr_assert_eq(run(NULL, "-1", "--rm", "-c", "a.txt", NULL), 0, "%s", err_text);
    write_file("c.eiw", out_text, out_len);
    cr_assert(exists("a.txt"));
    cr_assert_eq(run(NULL, "-1", "--rm", "-o", "/dev/null", "a.txt", NULL), 0, "%s", err_text);
    cr_assert(exists("a.txt"));
    cr_assert_eq(run(NULL, "-1", "--rm", "-k", "a.txt", NULL), 0, "%s", err_text);
    cr_assert(exists("a.txt") && exists("a.txt.eiw"));
    cr_assert_eq(run(NULL, "-1", "--rm", "a.txt", NULL), 1);
    cr_assert(exists("a.txt"), "the output was not written: the input stays");
    cat_files("bad.eiw", "c.eiw", NULL, "x", 1);
    cr_assert_eq(run(NULL, "-d", "--rm", "bad.eiw", NULL), 1);
    cr_assert(exists("bad.eiw") && !exists("bad"));
    cr_assert_eq(run(NULL, "test", "--rm", "c.eiw", NULL), 2);
    cr_assert(exists("c.eiw"));
}

/* The library with eiw_options_default and the default model gives the bytes of `eiw` with no
 * option at all (on a small text: M1 codes about 40 KB/s). */
Test(cli, library_defaults_give_the_programs_bytes)
{
    unsetenv("EIW_MODEL");
    sample s = sample_make("text", 2000, 49);
    write_file("s.txt", s.data, s.len);
    cr_assert_eq(run(NULL, "-c", "s.txt", NULL), 0, "%s", err_text);
    size_t bound = eiw_compress_bound(s.len, NULL, NULL);
    uint8_t *c = malloc(bound);
    ptrdiff_t n = eiw_compress(c, bound, s.data, s.len, NULL, NULL);
    cr_assert_gt(n, 0, "%s", eiw_strerror((int)n));
    cr_assert(out_len == (size_t)n && memcmp(out_text, c, out_len) == 0,
              "the program wrote %zu bytes, the library %td", out_len, n);
    /* the FILE* API with the default options and model too */
    eiw_options o;
    eiw_options_default(&o);
    FILE *in = fmemopen(s.data, s.len, "rb"), *out = tmpfile();
    cr_assert_eq(eiw_compress_stream(in, out, eiw_model_default(), &o, s.len, NULL), EIW_OK);
    cr_assert_eq(ftell(out), (long)out_len);
    rewind(out);
    cr_assert_eq(fread(c, 1, out_len, out), out_len);
    cr_assert(memcmp(out_text, c, out_len) == 0, "eiw_compress_stream differs from the program");
    fclose(in);
    fclose(out);
    free(c);
    sample_free(&s);
}
