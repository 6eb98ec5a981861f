/* Replays the committed fuzz corpora (tests/fuzz_corpus/<target>/: seeds and every input that
 * once crashed) through the fuzz targets' entry functions, in every test build, so CI runs
 * them under ASan + UBSan without clang. A crash, a sanitizer report, a leak (checked in the
 * ASan build) or a broken invariant fails the test; each target must have a corpus. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz.h"
#include "tests/test_util.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay(const char *target)
{
    const eiw_fuzz_target *t = eiw_fuzz_targets;
    while (t->name && strcmp(t->name, target) != 0)
        t++;
    cr_assert_not_null(t->name, "no fuzz target %s", target);
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz_corpus/%s", target);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s missing (run from the tree root: make test)", dir);
    char *names[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < sizeof names / sizeof names[0])
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    cr_assert_gt(n, 0, "%s is empty", dir);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *buf = test_read_file(path, &len);
        cr_assert_not_null(buf, "%s unreadable", path);
        cr_log_info("%s", path);
        cr_assert_eq(t->run(buf, len), 0, "%s", path);
        free(buf);
        free(names[i]);
    }
    cr_assert_eq(test_leak_check(), 0, "%s: memory leaked (report above)", target);
}

TestSuite(fuzz_replay, .timeout = 120);

Test(fuzz_replay, container) { replay("container"); }
Test(fuzz_replay, window) { replay("window"); }
Test(fuzz_replay, model) { replay("model"); }
Test(fuzz_replay, checkpoint) { replay("checkpoint"); }
Test(fuzz_replay, shard) { replay("shard"); }
Test(fuzz_replay, jsonl) { replay("jsonl"); }
Test(fuzz_replay, manifest) { replay("manifest"); }

Test(fuzz_replay, every_target_is_replayed)
{
    const char *const replayed[] = { "container", "window", "model", "checkpoint", "shard",
                                     "jsonl", "manifest", NULL };
    size_t n = 0;
    for (; eiw_fuzz_targets[n].name; n++)
        cr_assert(replayed[n] && strcmp(eiw_fuzz_targets[n].name, replayed[n]) == 0,
                  "fuzz target %s has no replay test", eiw_fuzz_targets[n].name);
    cr_assert_null(replayed[n]);
}
