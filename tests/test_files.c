/* File helpers for the suites that run the eiw program in a temporary directory (see
 * test_files.h). No Test() here; failures are Criterion assertions. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/test_files.h"
#include "tests/test_util.h"

void test_remove_tree(const char *d)
{
    DIR *h = opendir(d);
    if (!h)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(h)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            test_remove_tree(path);
        else
            unlink(path);
    }
    closedir(h);
    rmdir(d);
}

const char *test_at(const char *d, const char *name)
{
    static char p[4][512];
    static int next;
    char *r = p[next++ % 4];
    snprintf(r, sizeof p[0], "%s/%s", d, name);
    return r;
}

void test_write_in(const char *d, const char *name, const void *data, size_t n)
{
    FILE *f = fopen(test_at(d, name), "wb");
    cr_assert_not_null(f, "%s", name);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

char *test_read_in(const char *d, const char *name, size_t *len)
{
    size_t n = 0;
    uint8_t *b = test_read_file(test_at(d, name), &n);
    if (!b)
        return NULL;
    char *s = realloc(b, n + 1);
    cr_assert_not_null(s);
    s[n] = 0;
    if (len)
        *len = n;
    return s;
}

int test_exists_in(const char *d, const char *name)
{
    struct stat st;
    return lstat(test_at(d, name), &st) == 0;
}

long test_child_fsize;

void test_child_apply_limits(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (test_child_fsize > 0) {
        struct rlimit rl = { (rlim_t)test_child_fsize, (rlim_t)test_child_fsize };
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
    }
}

pid_t test_spawn_start(const char *d, const char *const *args, const char *stdin_path,
                       const char *out_path, const char *err_path)
{
    const char *prog = args[0];
    if (strcmp(prog, "eiw") == 0) {
        prog = getenv("EIW_BIN");
        if (!prog || !*prog)
            cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    }
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0 || chdir(d) != 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
            dup2(e, 2) < 0)
            _exit(126);
        test_child_apply_limits();
        execvp(prog, (char *const *)args);
        _exit(127);
    }
    return pid;
}

int test_spawn_wait(pid_t pid)
{
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int test_spawn(const char *d, const char *const *args, const char *stdin_path,
               const char *out_path, const char *err_path)
{
    return test_spawn_wait(test_spawn_start(d, args, stdin_path, out_path, err_path));
}

int test_run_in(const char *d, const char *const *args, char **out, char **err)
{
    const char *eiw = getenv("EIW_BIN");
    if (!eiw)
        cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    int status = test_spawn(d, args, NULL, test_at(d, ".stdout"), test_at(d, ".stderr"));
    char *o = test_read_in(d, ".stdout", NULL), *e = test_read_in(d, ".stderr", NULL);
    cr_assert(o && e);
    unlink(test_at(d, ".stdout"));
    unlink(test_at(d, ".stderr"));
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return status;
}

void test_cli_setup(const char *tag, char *root, size_t root_cap, char *dir, char *cap)
{
    const char *bin = getenv("EIW_BIN");
    if (!bin || !*bin)
        cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    cr_assert_not_null(getcwd(root, root_cap));
    snprintf(dir, 64, "/tmp/eiw-%s-XXXXXX", tag);
    snprintf(cap, 64, "/tmp/eiw-%scap-XXXXXX", tag);
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_not_null(mkdtemp(cap));
}

void test_cli_teardown(char *dir, char *cap, char **out, char **err)
{
    free(*out);
    free(*err);
    *out = *err = NULL;
    if (dir[0])
        test_remove_tree(dir);
    if (cap[0])
        test_remove_tree(cap);
}
