/* Helpers for the test suites (see test_util.h). No Test() here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include "model/qkernels.h"
#include "tests/test_util.h"

uint64_t test_rng(uint64_t *s)
{
    /* splitmix64: fixed, portable, good enough for test data */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *words[] = {
    "the", "of", "and", "to", "a", "in", "that", "it", "was", "he", "her", "with", "as",
    "his", "had", "for", "she", "not", "be", "but", "Alice", "said", "very", "little",
    "queen", "rabbit", "thought", "herself", "time", "would", "could", "there", "into",
};

sample sample_make(const char *cls, size_t len, uint64_t seed)
{
    sample s = { cls, NULL, 0 };
    uint64_t r = seed;
    if (strcmp(cls, "empty") == 0)
        len = 0;
    else if (strcmp(cls, "one") == 0)
        len = 1;
    s.data = malloc(len ? len : 1);
    s.len = len;
    size_t i = 0;
    if (strcmp(cls, "utf8") == 0) {
        static const char *chunks[] = { "h\xc3\xa9llo ", "\xe6\x97\xa5\xe6\x9c\xac ",
                                        "\xd0\xbc\xd0\xb8\xd1\x80 ", "\xf0\x9f\x98\x80 ",
                                        "na\xc3\xafve ", "stra\xc3\x9f" "e " };
        while (i < len) {
            const char *c = chunks[test_rng(&r) % 6];
            for (size_t k = 0; c[k] && i < len; k++)
                s.data[i++] = (uint8_t)c[k];
        }
    } else if (strcmp(cls, "ascii") == 0 || strcmp(cls, "text") == 0) {
        while (i < len) {
            const char *w = words[test_rng(&r) % (sizeof words / sizeof words[0])];
            for (size_t k = 0; w[k] && i < len; k++)
                s.data[i++] = (uint8_t)w[k];
            if (i < len)
                s.data[i++] = (test_rng(&r) % 12 == 0) ? '\n' : ' ';
        }
    } else if (strcmp(cls, "zeros") == 0) {
        memset(s.data, 0, len);
    } else if (strcmp(cls, "one") == 0) {
        s.data[0] = 'x';
    } else {   /* binary */
        for (; i < len; i++)
            s.data[i] = (uint8_t)test_rng(&r);
    }
    return s;
}

void sample_free(sample *s)
{
    free(s->data);
    s->data = NULL;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

const char *test_corpus(const char *rel)
{
    static _Thread_local char path[512];
    const char *roots[] = { "../shared/corpora", "../../shared/corpora" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", roots[i], rel);
        if (access(path, R_OK) == 0)
            return path;
    }
    return NULL;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
int test_leak_check(void)
{
    return __lsan_do_recoverable_leak_check();
}
#else
int test_leak_check(void)
{
    return 0;
}
#endif

int test_kernels(int *ks)
{
    int n = 0;
    for (int k = 0; k < EIW_KERNEL_COUNT; k++)
        if (eiw_kernel_supported((eiw_kernel)k))
            ks[n++] = k;
    return n;
}

/* Runs in the runner process after each suite: for the suites whose tests go through
 * test_kernels, one line on stderr with what ran and what could not. */
ReportHook(POST_SUITE)(struct criterion_suite_stats *stats)
{
    const char *name = stats->suite->name;
    if ((strcmp(name, "qm1") != 0 && strcmp(name, "golden_m1") != 0) ||
        stats->nb_tests == stats->tests_skipped)
        return;
    char ran[128] = "", skipped[128] = "";
    for (int k = 0; k < EIW_KERNEL_COUNT; k++) {
        char *to = eiw_kernel_supported((eiw_kernel)k) ? ran : skipped;
        size_t at = strlen(to);
        snprintf(to + at, 128 - at, "%s%s", at ? " " : "", eiw_kernel_name((eiw_kernel)k));
    }
#if defined(EIW_SIMD_NONE) || !defined(__x86_64__)
    const char *why = " (not in this build)";
#else
    const char *why = " (this CPU lacks them)";
#endif
    fprintf(stderr, "%s kernels: %s ran; %s skipped%s\n", name, ran, skipped[0] ? skipped : "none",
            skipped[0] ? why : "");
}

/* Criterion leaves a skipped test out of its summary without a word; every skip is printed
 * with its reason instead, so a check that could not run is seen, not counted as passing. */
ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
    if (stats->test_status == CR_STATUS_SKIPPED)
        fprintf(stderr, "[SKIP] %s::%s: %s\n", stats->test->category, stats->test->name,
                stats->message && *stats->message ? stats->message : "(no reason given)");
}
