/* Shared helpers for the Criterion suites: deterministic sample inputs of every class and
 * access to ../shared/corpora when it exists (corpus-level checks skip cleanly without it). */
#ifndef EIW_TEST_UTIL_H
#define EIW_TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    uint8_t *data;
    size_t len;
} sample;

/* Sample classes: "empty", "one", "ascii", "utf8", "binary", "zeros", "text" (English-like). */
sample sample_make(const char *cls, size_t len, uint64_t seed);
void sample_free(sample *s);
uint64_t test_rng(uint64_t *s);
/* Reads a whole file; NULL if missing. */
uint8_t *test_read_file(const char *path, size_t *len);
/* In the ASan build: runs LeakSanitizer now, in this test's own process (Criterion's test
 * processes end without the at-exit leak check), prints any leak and returns nonzero; 0 in
 * other builds. Call it at the end of a test, once its objects are freed. */
int test_leak_check(void);
/* Path of a corpus file under ../shared/corpora, or NULL when the corpora are absent. */
const char *test_corpus(const char *rel);
/* The integer kernels (eiw_kernel of model/qkernels.h) that tests comparing every path may
 * force here: those this build and CPU support, scalar first, into ks (room for
 * EIW_KERNEL_COUNT); returns their count. The others would die of SIGILL. After the suites
 * that use it (qm1, golden_m1) the runner prints a line naming the kernels that ran and
 * those skipped, so a path that could not run never passes silently. */
int test_kernels(int *ks);
/* (test_util.c also prints every skipped test with its reason: Criterion does not.) */
#endif
