/* Files in a test's temporary directory, for the suites that run the eiw program. */
#ifndef EIW_TEST_FILES_H
#define EIW_TEST_FILES_H
#include <stddef.h>
#include <sys/types.h>

void test_remove_tree(const char *d);                 /* rm -r, quietly */
const char *test_at(const char *d, const char *name); /* "d/name" (4 rotating buffers) */
void test_write_in(const char *d, const char *name, const void *data, size_t n);
/* The whole file, NUL-terminated (malloc'd), or NULL if missing; *len its size. */
char *test_read_in(const char *d, const char *name, size_t *len);
int test_exists_in(const char *d, const char *name);   /* also for dangling links */
/* Runs args (NULL-terminated; "eiw" means $EIW_BIN, else skips the test) in d with stdin
 * from /dev/null; *out / *err (may be NULL) receive stdout / stderr (malloc'd). Returns the
 * exit status (128 + signal if killed). */
int test_run_in(const char *d, const char *const *args, char **out, char **err);
/* The process under both: runs args (NULL-terminated; "eiw" means $EIW_BIN, else skips the test;
 * otherwise a program on PATH) in d, stdin from stdin_path (NULL: /dev/null), stdout and stderr
 * into the files out_path and err_path. Returns the exit status (128 + signal if killed). */
int test_spawn(const char *d, const char *const *args, const char *stdin_path,
               const char *out_path, const char *err_path);
/* test_spawn in two steps, for a test that acts while the program runs (signals): starts it and
 * returns its pid; test_spawn_wait waits for it and returns its exit status. */
pid_t test_spawn_start(const char *d, const char *const *args, const char *stdin_path,
                       const char *out_path, const char *err_path);
int test_spawn_wait(pid_t pid);
/* Start of a test that runs the program: skips the test when EIW_BIN is unset,
 * fills root (root_cap bytes) with the current directory (the tree root) and creates the fresh
 * directories /tmp/eiw-TAG-XXXXXX (dir) and /tmp/eiw-TAGcap-XXXXXX (cap), 64 bytes each. */
void test_cli_setup(const char *tag, char *root, size_t root_cap, char *dir, char *cap);
/* End of such a test: frees *out and *err (set to NULL), removes both directories. */
void test_cli_teardown(char *dir, char *cap, char **out, char **err);
/* Fault injection for the next program a suite starts: when > 0, the child may write files of
 * at most this many bytes (RLIMIT_FSIZE, SIGXFSZ ignored: a write beyond fails with EFBIG, as
 * on a full disk). Reset to 0 by the suite when done. */
extern long test_child_fsize;
/* In the forked child, before exec: applies the limits above, and gives SIGINT and SIGTERM
 * their default actions, as a program started from a terminal has them (a suite started in the
 * background inherits SIGINT ignored, and eiw keeps an ignored signal ignored, as gzip does). */
void test_child_apply_limits(void);
#endif
