/* `eiw train` as a user runs it (EIW_BIN, set by `make test`): a short run and its resume, the
 * SIGINT path (checkpoint + exit 130, synchronised on the progress output, not on sleeps), and
 * the one-line error for a missing input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eiw_train.h"

static const char *bin(void)
{
    const char *b = getenv("EIW_BIN");
    if (!b)
        cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    return b;
}

static char dir[64];

static const char *path_in(const char *name)
{
    static char buf[4][128];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/eiw_train_cli_XXXXXX");
    cr_assert(mkdtemp(dir));
    FILE *f = fopen(path_in("text.txt"), "w");
    cr_assert(f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "Line %d: the quick brown fox jumps over the lazy dog.\n", i % 17);
    fclose(f);
}

/* Runs bin with args; stderr to a pipe whose read end is returned in *errfd. */
static pid_t spawn(const char *const *args, int *errfd)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(p[1]);
    *errfd = p[0];
    return pid;
}

static int finish(pid_t pid, int errfd, char *out, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while ((r = read(errfd, out + n, cap - 1 - n)) > 0 && n + 1 < cap)
        n += (size_t)r;
    out[n] = '\0';
    close(errfd);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void cleanup(void)
{
    const char *names[] = {"text.txt", "m.ckpt", "m.ckpt.tmp"};
    for (size_t i = 0; i < 3; i++)
        unlink(path_in(names[i]));
    rmdir(dir);
}

TestSuite(model_cli, .init = make_dir, .fini = cleanup);

Test(model_cli, short_run_then_resume_succeeds)
{
    static char err[1 << 16];
    const char *a[] = {bin(), "train", "--config", "tiny", "--data", path_in("text.txt"), "--val",
                       path_in("text.txt"), "--steps", "20", "--threads", "1", "--out",
                       path_in("m.ckpt"), NULL};
    int fd;
    pid_t pid = spawn(a, &fd);
    cr_assert_eq(finish(pid, fd, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(err, "step 20/20"), "%s", err);
    cr_expect(strstr(err, "bits/byte"), "%s", err);
    const char *b[] = {bin(), "train", "--resume", path_in("m.ckpt"), "--steps", "30", "--data",
                       path_in("text.txt"), "--threads", "1", "--out", path_in("m.ckpt"), NULL};
    pid = spawn(b, &fd);
    cr_assert_eq(finish(pid, fd, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(err, "step 30/30"), "%s", err);
}

/* --stop-at pauses a run (status 0, checkpoint); resuming it ends with the very weights of the
 * same run done in one go */
Test(model_cli, stop_at_then_resume_matches_one_run)
{
    static char err[1 << 16];
    const char *one[] = {bin(), "train", "--config", "tiny", "--data", path_in("text.txt"),
                         "--steps", "20", "--threads", "1", "--seed", "5", "--out",
                         path_in("a.ckpt"), NULL};
    int fd;
    pid_t pid = spawn(one, &fd);
    cr_assert_eq(finish(pid, fd, err, sizeof err), 0, "%s", err);
    const char *part[] = {bin(), "train", "--config", "tiny", "--data", path_in("text.txt"),
                          "--steps", "20", "--threads", "1", "--seed", "5", "--stop-at", "8",
                          "--out", path_in("m.ckpt"), NULL};
    pid = spawn(part, &fd);
    cr_assert_eq(finish(pid, fd, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(err, "stopped at step 8"), "%s", err);
    cr_expect(!strstr(err, "step 9/20"), "%s", err);
    const char *rest[] = {bin(), "train", "--resume", path_in("m.ckpt"), "--data",
                          path_in("text.txt"), "--threads", "1", "--out", path_in("m.ckpt"), NULL};
    pid = spawn(rest, &fd);
    cr_assert_eq(finish(pid, fd, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(err, "step 20/20"), "%s", err);
    eiw_model_config ca, cb;
    float *wa = NULL, *wb = NULL;
    size_t na, nb;
    cr_assert_eq(eiw_checkpoint_load_weights(path_in("a.ckpt"), &ca, &wa, &na), EIW_TRAIN_OK);
    cr_assert_eq(eiw_checkpoint_load_weights(path_in("m.ckpt"), &cb, &wb, &nb), EIW_TRAIN_OK);
    cr_assert_eq(na, nb);
    cr_expect(memcmp(wa, wb, na * sizeof *wa) == 0, "weights differ after --stop-at + resume");
    free(wa);
    free(wb);
    unlink(path_in("a.ckpt"));
}

Test(model_cli, sigint_writes_checkpoint_and_exits_130)
{
    static char err[1 << 16];
    const char *a[] = {bin(), "train", "--config", "tiny", "--data", path_in("text.txt"),
                       "--steps", "1000000", "--threads", "1", "--log-every", "1", "--out",
                       path_in("m.ckpt"), NULL};
    int fd;
    pid_t pid = spawn(a, &fd);
    /* wait for the first progress line: training is running */
    size_t n = 0;
    while (n + 1 < sizeof err) {
        ssize_t r = read(fd, err + n, sizeof err - 1 - n);
        cr_assert_gt(r, 0, "eiw exited before training started");
        n += (size_t)r;
        err[n] = '\0';
        if (strstr(err, "\nstep "))
            break;
    }
    cr_assert_eq(kill(pid, SIGINT), 0);
    cr_expect_eq(finish(pid, fd, err + n, sizeof err - n), 130, "%s", err);
    eiw_model_config cfg;
    float *w = NULL;
    size_t nw;
    cr_expect_eq(eiw_checkpoint_load_weights(path_in("m.ckpt"), &cfg, &w, &nw), EIW_TRAIN_OK);
    cr_expect_eq(cfg.d_model, 32);
    free(w);
}

Test(model_cli, missing_data_file_is_a_one_line_error)
{
    static char err[1 << 12];
    const char *a[] = {bin(), "train", "--config", "tiny", "--data", "/nonexistent/eiw.txt",
                       "--out", path_in("m.ckpt"), NULL};
    int fd;
    pid_t pid = spawn(a, &fd);
    cr_expect_eq(finish(pid, fd, err, sizeof err), 1);
    cr_expect_str_eq(err, "eiw: /nonexistent/eiw.txt: No such file or directory\n");
}

Test(model_cli, bad_option_is_a_usage_error)
{
    static char err[1 << 12];
    const char *a[] = {bin(), "train", "--config", "tiny", "--heads", "3", "--data",
                       "/dev/null", "--out", path_in("m.ckpt"), NULL};
    int fd;
    pid_t pid = spawn(a, &fd);
    cr_expect_eq(finish(pid, fd, err, sizeof err), 2, "%s", err);
    cr_expect(strncmp(err, "eiw: train: ", 12) == 0, "%s", err);
}
