/* `eiw tokenize`, `detokenize` and `inspect` as a user runs them (EIW_BIN), each test in its
 * own temporary directory, plus the shard formats and the piecewise document coding through
 * the library. The static order1 model keeps these fast; one test runs the embedded M1 on a
 * few KB. The Megatron files are also read by tests/megatron_reader.py (independent of the C
 * code) when python3 is installed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>
#include "data/doc_encode.h"
#include "data/docs.h"
#include "eiw.h"
#include "data/shard.h"
#include "tests/test_files.h"
#include "tests/test_util.h"

static char dir[64], cap[64];
static char root[1024];          /* the tree root, where the suite starts */
static char *out_text, *err_text;
static size_t out_len, err_len;

static void setup(void)
{
    test_cli_setup("tok", root, sizeof root, dir, cap);
}

static void teardown(void)
{
    test_cli_teardown(dir, cap, &out_text, &err_text);
}

TestSuite(tokenize, .init = setup, .fini = teardown, .timeout = 120);

static void write_file(const char *name, const void *data, size_t n)
{
    test_write_in(dir, name, data, n);
}

static int exists(const char *name)
{
    return test_exists_in(dir, name);
}

static int same_files(const char *a, const char *b)
{
    size_t na, nb;
    char *x = test_read_in(dir, a, &na), *y = test_read_in(dir, b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Runs argv[0..] (NULL-terminated; "eiw" means EIW_BIN) in dir, stdin from a file or
 * /dev/null; stdout/stderr land in out_text/err_text. Returns the exit status. */
static pid_t spawn_v(const char *stdin_name, const char *const *args)
{
    char in_path[512];
    if (stdin_name)
        snprintf(in_path, sizeof in_path, "%s", test_at(dir, stdin_name));
    return test_spawn_start(dir, args, stdin_name ? in_path : NULL, test_at(cap, "stdout"),
                            test_at(cap, "stderr"));
}

/* Waits for a program spawn_v started; its output lands in out_text/err_text. */
static int wait_v(pid_t pid)
{
    int status = test_spawn_wait(pid);
    free(out_text);
    free(err_text);
    out_text = test_read_in(cap, "stdout", &out_len);
    err_text = test_read_in(cap, "stderr", &err_len);
    cr_assert(out_text && err_text);
    return status;
}

static int run_v(const char *stdin_name, const char *const *args)
{
    return wait_v(spawn_v(stdin_name, args));
}

static int run(const char *stdin_name, ...)
{
    const char *args[40];
    int n = 0;
    args[n++] = "eiw";
    va_list ap;
    va_start(ap, stdin_name);
    while (n < 39 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    return run_v(stdin_name, args);
}

static sample make_text(const char *name, const char *cls, size_t len, uint64_t seed)
{
    sample s = sample_make(cls, len, seed);
    write_file(name, s.data, s.len);
    return s;
}

/* Text files f0.txt, f1.txt, ... of len bytes each (seeds seed, seed + 1, ...). */
static void make_texts(const char **names, char (*nb)[16], int n, size_t len, uint64_t seed)
{
    for (int i = 0; i < n; i++) {
        snprintf(nb[i], sizeof nb[i], "f%d.txt", i);
        names[i] = nb[i];
        sample s = make_text(names[i], "text", len, seed + (uint64_t)i);
        sample_free(&s);
    }
}

/* Concatenation of files, for comparing with detokenized text. */
static void concat(const char *out, const char *const *names, size_t n)
{
    FILE *f = fopen(test_at(dir, out), "wb");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *b = test_read_in(dir, names[i], &len);
        cr_assert_not_null(b, "%s", names[i]);
        cr_assert_eq(fwrite(b, 1, len, f), len);
        free(b);
    }
    cr_assert_eq(fclose(f), 0);
}

static void zstd_file(const char *src, const char *dst)
{
    size_t n;
    char *b = test_read_in(dir, src, &n);
    cr_assert_not_null(b);
    size_t cap_z = ZSTD_compressBound(n);
    void *z = malloc(cap_z);
    size_t zn = ZSTD_compress(z, cap_z, b, n, 3);
    cr_assert(!ZSTD_isError(zn));
    write_file(dst, z, zn);
    free(z);
    free(b);
}

/* A field of the manifest as an integer. */
static uint64_t manifest_u64(const char *prefix, const char *key)
{
    char name[128], pat[128];
    snprintf(name, sizeof name, "%s.json", prefix);
    char *js = test_read_in(dir, name, NULL);
    cr_assert_not_null(js, "%s", name);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    char *p = strstr(js, pat);
    cr_assert_not_null(p, "%s in %s", key, name);
    uint64_t v = strtoull(p + strlen(pat), NULL, 10);
    free(js);
    return v;
}

static const char *const shard_exts[] = { ".bin", ".idx", ".eiwd" };

/* ------------------------------------------------------------------------------------------ */

Test(tokenize, text_files_roundtrip_exactly_for_every_input_class)
{
    static const char *const classes[] = { "empty", "one", "ascii", "utf8", "binary", "zeros",
                                           "text" };
    const char *names[8];
    char nb[8][16];
    for (int i = 0; i < 7; i++) {
        snprintf(nb[i], sizeof nb[i], "in%d.txt", i);
        names[i] = nb[i];
        sample s = make_text(names[i], classes[i], i == 6 ? 300000 : 3000, (uint64_t)i + 1);
        sample_free(&s);
    }
    concat("all.txt", names, 7);
    static const char *const wb[][2] = { { "16", "16" }, { "16", "8" }, { "64", "16" },
                                         { "256", "8" } };
    for (size_t k = 0; k < 4; k++) {
        cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--window-bits", wb[k][0],
                         "--token-bits", wb[k][1], "-o", "ds", names[0], names[1], names[2],
                         names[3], names[4], names[5], names[6], NULL),
                     0, "%s", err_text);
        cr_assert_eq(err_len, 0, "quiet by default: %s", err_text);
        cr_assert_eq(manifest_u64("ds", "documents"), 7);
        cr_assert_eq(manifest_u64("ds", "window_bits"), strtoull(wb[k][0], NULL, 10));
        cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
        cr_assert(same_files("back.txt", "all.txt"), "window %s token %s", wb[k][0], wb[k][1]);
        cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);   /* to stdout */
        size_t n;
        char *all = test_read_in(dir, "all.txt", &n);
        cr_assert(out_len == n && memcmp(out_text, all, n) == 0);
        free(all);
        unlink(test_at(dir, "back.txt"));
    }
}

Test(tokenize, output_is_identical_for_1_and_2_threads)
{
    const char *names[6];
    char nb[6][16];
    for (int i = 0; i < 6; i++) {
        snprintf(nb[i], sizeof nb[i], "f%d.txt", i);
        names[i] = nb[i];
        sample s = make_text(names[i], "text", 4000 + 9000 * (size_t)i, 100 + (uint64_t)i);
        sample_free(&s);
    }
    cr_assert_eq(mkdir(test_at(dir, "t1"), 0755), 0);
    cr_assert_eq(mkdir(test_at(dir, "t2"), 0755), 0);
    const char *pfx[2] = { "t1/ds", "t2/ds" }, *thr[2] = { "1", "2" };
    for (int t = 0; t < 2; t++)
        cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--shard-size", "20K", "-T",
                         thr[t], "-o", pfx[t], names[0], names[1], names[2], names[3], names[4],
                         names[5], NULL),
                     0, "%s", err_text);
    uint64_t shards = manifest_u64("t1/ds", "shard_count");
    cr_assert_geq(shards, 3, "several shards: %" PRIu64, shards);
    cr_assert(same_files("t1/ds.json", "t2/ds.json"));
    for (uint64_t s = 0; s < shards; s++)
        for (int e = 0; e < 3; e++) {
            char a[64], b[64];
            snprintf(a, sizeof a, "t1/ds-%05" PRIu64 "%s", s, shard_exts[e]);
            snprintf(b, sizeof b, "t2/ds-%05" PRIu64 "%s", s, shard_exts[e]);
            cr_assert(same_files(a, b), "%s differs", a);
        }
}

Test(tokenize, directories_are_walked_recursively_in_sorted_order)
{
    cr_assert_eq(mkdir(test_at(dir, "d"), 0755), 0);
    cr_assert_eq(mkdir(test_at(dir, "d/b_sub"), 0755), 0);
    write_file("d/c.txt", "third", 5);
    write_file("d/a.txt", "first", 5);
    write_file("d/b_sub/x.txt", "second", 6);
    write_file("d/.hidden", "never", 5);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ds", "d", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(manifest_u64("ds", "documents"), 3);
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);
    cr_assert(out_len == 16 && memcmp(out_text, "firstsecondthird", 16) == 0, "%s", out_text);
}

Test(tokenize, jsonl_records_and_bad_records_are_reported_with_file_and_line)
{
    static const char jsonl[] =
        "{\"id\": 1, \"text\": \"plain record\"}\n"                           /* 1 ok */
        "{\"text\": \"caf\\u00e9 \\ud83d\\ude00 line\\nbreak \\\"q\\\"\", \"meta\": {\"a\": [1, 2.5e3, null, true]}}\n" /* 2 ok */
        "{\"text\": \"unterminated}\n"                                         /* 3 bad */
        "{\"other\": \"no text field\"}\n"                                    /* 4 bad */
        "{\"text\": 42}\n"                                                     /* 5 bad */
        "{\"text\": \"bad \xff byte\"}\n"                                     /* 6 bad */
        "{\"text\": \"lone \\udc00\"}\n"                                      /* 7 bad */
        "[\"not an object\"]\n"                                                /* 8 bad */
        "\n"                                                                   /* 9 bad */
        "{\"text\": \"\"}\r\n"                                                 /* 10 ok, empty */
        "{\"text\": \"last, no newline\"}";                                   /* 11 ok */
    write_file("in.jsonl", jsonl, sizeof jsonl - 1);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ds", "in.jsonl", NULL), 0,
                 "%s", err_text);
    cr_assert_eq(manifest_u64("ds", "documents"), 4);
    cr_assert_eq(manifest_u64("ds", "bad_records"), 7);
    static const int bad_lines[] = { 3, 4, 5, 6, 7, 8, 9 };
    for (int i = 0; i < 7; i++) {
        char want[64];
        snprintf(want, sizeof want, "eiw: in.jsonl:%d: ", bad_lines[i]);
        cr_assert(strstr(err_text, want), "no report for line %d: %s", bad_lines[i], err_text);
    }
    cr_assert(strstr(err_text, "in.jsonl:4: no field 'text'"), "%s", err_text);
    cr_assert(strstr(err_text, "in.jsonl:6: invalid UTF-8"), "%s", err_text);
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);
    static const char want[] =
        "{\"text\": \"plain record\"}\n"
        "{\"text\": \"caf\xc3\xa9 \xf0\x9f\x98\x80 line\\nbreak \\\"q\\\"\"}\n"
        "{\"text\": \"\"}\n"
        "{\"text\": \"last, no newline\"}\n";
    cr_assert(out_len == sizeof want - 1 && memcmp(out_text, want, out_len) == 0, "got:\n%s",
              out_text);
    /* as text: the bare documents */
    cr_assert_eq(run(NULL, "detokenize", "--format", "text", "ds", NULL), 0, "%s", err_text);
    static const char text[] = "plain recordcaf\xc3\xa9 \xf0\x9f\x98\x80 line\nbreak \"q\"last, no newline";
    cr_assert(out_len == sizeof text - 1 && memcmp(out_text, text, out_len) == 0, "%s", out_text);
    /* --strict: the first bad record is fatal, no manifest */
    cr_assert_eq(run(NULL, "tokenize", "--strict", "--model", "order1", "-o", "st", "in.jsonl",
                     NULL),
                 1);
    cr_assert(strstr(err_text, "eiw: in.jsonl:3: invalid JSON"), "%s", err_text);
    cr_assert(!exists("st.json"));
    /* -q: counted but not printed */
    cr_assert_eq(run(NULL, "tokenize", "-q", "--model", "order1", "-o", "q", "in.jsonl", NULL),
                 0);
    cr_assert_eq(err_len, 0, "%s", err_text);
    cr_assert_eq(manifest_u64("q", "bad_records"), 7);
}

Test(tokenize, text_field_option_picks_the_field)
{
    static const char jsonl[] = "{\"text\": \"no\", \"content\": \"yes one\"}\n"
                                "{\"content\": \"yes two\", \"content\": \"last wins\"}\n";
    write_file("a.jsonl", jsonl, sizeof jsonl - 1);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--text-field", "content", "-o", "ds",
                     "a.jsonl", NULL),
                 0, "%s", err_text);
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);
    static const char want[] = "{\"content\": \"yes one\"}\n{\"content\": \"last wins\"}\n";
    cr_assert(out_len == sizeof want - 1 && memcmp(out_text, want, out_len) == 0, "%s", out_text);
}

Test(tokenize, zstd_inputs_give_the_same_shards_as_plain_ones)
{
    sample s = make_text("a.txt", "text", 200000, 7);
    sample_free(&s);
    static const char jsonl[] = "{\"text\": \"one\"}\n{\"text\": \"two\"}\n";
    write_file("b.jsonl", jsonl, sizeof jsonl - 1);
    zstd_file("a.txt", "a.txt.zst");
    zstd_file("b.jsonl", "b.jsonl.zst");
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "plain", "a.txt", "b.jsonl",
                     NULL),
                 0, "%s", err_text);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "z", "a.txt.zst",
                     "b.jsonl.zst", NULL),
                 0, "%s", err_text);
    cr_assert_eq(manifest_u64("z", "documents"), 3);
    for (int e = 0; e < 3; e++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "plain-00000%s", shard_exts[e]);
        snprintf(b, sizeof b, "z-00000%s", shard_exts[e]);
        cr_assert(same_files(a, b), "%s", a);
    }
    /* a damaged .zst is an error naming the file */
    size_t n;
    char *z = test_read_in(dir, "a.txt.zst", &n);
    write_file("cut.txt.zst", z, n / 2);
    free(z);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "c", "cut.txt.zst", NULL), 1);
    cr_assert(strncmp(err_text, "eiw: cut.txt.zst: ", 18) == 0, "%s", err_text);
    cr_assert(!exists("c.json"));
}

Test(tokenize, delimiter_splits_text_files_and_roundtrips)
{
    static const char t1[] = "para one\n\npara two\n\n\n\npara four\n\n";
    static const char t2[] = "no delimiter here";
    write_file("a.txt", t1, sizeof t1 - 1);
    write_file("b.txt", t2, sizeof t2 - 1);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--delimiter", "\\n\\n", "-o", "ds",
                     "a.txt", "b.txt", NULL),
                 0, "%s", err_text);
    /* "para one", "para two", "", "para four" | "no delimiter here" */
    cr_assert_eq(manifest_u64("ds", "documents"), 5);
    const char *names[2] = { "a.txt", "b.txt" };
    concat("all.txt", names, 2);
    cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
    cr_assert(same_files("back.txt", "all.txt"));
    cr_assert_eq(run(NULL, "inspect", "ds", "--doc", "3", NULL), 0, "%s", err_text);
    cr_assert(out_len == 9 && memcmp(out_text, "para four", 9) == 0, "%s", out_text);
}

Test(tokenize, stdin_is_an_input)
{
    sample s = make_text("a.txt", "utf8", 5000, 3);
    sample_free(&s);
    cr_assert_eq(run("a.txt", "tokenize", "--model", "order1", "-o", "ds", "-", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
    cr_assert(same_files("back.txt", "a.txt"));
}

Test(tokenize, over_long_records_are_bad_records)
{
    char line[400];
    memset(line, 'x', sizeof line);
    FILE *f = fopen(test_at(dir, "a.jsonl"), "wb");
    cr_assert_not_null(f);
    fprintf(f, "{\"text\": \"short\"}\n{\"text\": \"%.*s\"}\n{\"text\": \"after\"}\n", 300, line);
    fclose(f);
    write_file("big.txt", line, sizeof line);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--max-record", "100", "-o", "ds",
                     "a.jsonl", "big.txt", NULL),
                 0, "%s", err_text);
    cr_assert_eq(manifest_u64("ds", "documents"), 2);
    cr_assert_eq(manifest_u64("ds", "bad_records"), 2);
    cr_assert(strstr(err_text, "eiw: a.jsonl:2: line longer than 100 bytes"), "%s", err_text);
    cr_assert(strstr(err_text, "eiw: big.txt:1: document longer than 100 bytes"), "%s", err_text);
}

Test(tokenize, restart_keeps_complete_shards_and_gives_the_same_result)
{
    const char *names[5];
    char nb[5][16];
    make_texts(names, nb, 5, 15000, 40);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--shard-size", "15000", "-o", "ds",
                     names[0], names[1], names[2], names[3], names[4], NULL),
                 0, "%s", err_text);
    cr_assert_eq(manifest_u64("ds", "shard_count"), 5);
    char *json = test_read_in(dir, "ds.json", NULL), *bin1 = test_read_in(dir, "ds-00001.bin", NULL);
    /* an interrupted run: shard 1 has data but no sidecar, shard 3 a damaged .bin */
    unlink(test_at(dir, "ds-00001.eiwd"));
    size_t n;
    char *b3 = test_read_in(dir, "ds-00003.bin", &n);
    b3[n / 2] ^= 1;
    write_file("ds-00003.bin", b3, n);
    free(b3);
    unlink(test_at(dir, "ds.json"));
    cr_assert_eq(run(NULL, "tokenize", "-v", "--model", "order1", "--shard-size", "15000", "-o",
                     "ds", names[0], names[1], names[2], names[3], names[4], NULL),
                 0, "%s", err_text);
    for (int s = 0; s < 5; s++) {
        char kept[64];
        snprintf(kept, sizeof kept, "ds-%05d: complete already, kept", s);
        cr_assert_eq(strstr(err_text, kept) != NULL, s != 1 && s != 3, "shard %d: %s", s,
                     err_text);
    }
    char *json2 = test_read_in(dir, "ds.json", NULL), *bin1b = test_read_in(dir, "ds-00001.bin", NULL);
    cr_assert_str_eq(json, json2);
    cr_assert_str_eq(bin1, bin1b);
    free(json);
    free(json2);
    free(bin1);
    free(bin1b);
    cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
    concat("all.txt", names, 5);
    cr_assert(same_files("back.txt", "all.txt"));
    /* other settings: nothing is kept */
    cr_assert_eq(run(NULL, "tokenize", "-v", "--model", "order0", "--shard-size", "15000", "-o",
                     "ds", names[0], names[1], names[2], names[3], names[4], NULL),
                 0, "%s", err_text);
    cr_assert(!strstr(err_text, "complete already"), "%s", err_text);
    /* fewer shards: the stale ones go */
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ds", names[0], NULL), 0, "%s",
                 err_text);
    cr_assert(exists("ds-00000.bin") && !exists("ds-00001.bin") && !exists("ds-00004.eiwd"));
}

Test(tokenize, a_manifest_reformatted_by_a_json_tool_reads_the_same)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0)
        cr_skip_test("python3 is not installed (scripts/deps.sh installs it): no JSON tool");
    const char *names[3];
    char nb[3][16];
    make_texts(names, nb, 3, 3000, 90);
    write_file("caf\xc3\xa9.txt", "one\n\ntwo\n\n", 10);   /* a name json.tool escapes */
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--delimiter", "\\n\\n",
                     "--shard-size", "4K", "-o", "ds", names[0], "caf\xc3\xa9.txt", names[1],
                     names[2], NULL),
                 0, "%s", err_text);
    cr_assert_geq(manifest_u64("ds", "shard_count"), 2);
    cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
    cr_assert_eq(run(NULL, "inspect", "ds", NULL), 0, "%s", err_text);
    char *stats = strdup(out_text);
    /* python3 -m json.tool (4 spaces, \u escapes), then compact with sorted keys */
    static const char *const tools[][7] = {
        { "python3", "-m", "json.tool", "ds.json", "new.json", NULL },
        { "python3", "-c",
          "import json, sys; d = json.load(open(sys.argv[1])); "
          "json.dump(d, open(sys.argv[2], 'w'), sort_keys=True, separators=(',', ':'))",
          "ds.json", "new.json", NULL },
    };
    for (int t = 0; t < 2; t++) {
        cr_assert_eq(run_v(NULL, tools[t]), 0, "%s", err_text);
        cr_assert(!same_files("ds.json", "new.json"), "tool %d changed nothing", t);
        cr_assert_eq(rename(test_at(dir, "new.json"), test_at(dir, "ds.json")), 0);
        cr_assert_eq(run(NULL, "detokenize", "-o", "again.txt", "ds", NULL), 0, "tool %d: %s", t,
                     err_text);
        cr_assert(same_files("again.txt", "back.txt"), "tool %d", t);
        unlink(test_at(dir, "again.txt"));
        cr_assert_eq(run(NULL, "inspect", "ds", NULL), 0, "tool %d: %s", t, err_text);
        cr_assert_str_eq(out_text, stats);
    }
    free(stats);
    concat("all.txt", (const char *const[]){ names[0], "caf\xc3\xa9.txt", names[1], names[2] }, 4);
    cr_assert(same_files("back.txt", "all.txt"));
}

Test(tokenize, a_damaged_or_foreign_manifest_is_a_one_line_error)
{
    write_file("a.txt", "some text", 9);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ds", "a.txt", NULL), 0, "%s",
                 err_text);
    size_t n;
    char *good = test_read_in(dir, "ds.json", &n);
    cr_assert_not_null(good);
    static const struct { const char *from, *to; } edits[] = {
        { "\"eiw-tokens\"", "\"other\"" },              /* another format */
        { "\"format_version\": 3", "\"format_version\": 0" },
        { "\"format_version\": 3", "\"format_version\": \"3\"" },
        { "\"window_end\": \"tight\"", "\"window_end\": \"middle\"" },
        { "\"window_end\": \"tight\"", "\"window_end\": \"implicit\"" },   /* not version 3's */
        { "\"window_bits\": 16", "\"window_bits\": 24" },  /* not a multiple of the tokens */
        { "\"token_bits\": 16", "\"token_bits\": -16" },
        { "\"shard_count\": 1", "\"shard_count\": 1.5" },
        { "\"delimiter_hex\": \"\"", "\"delimiter_hex\": \"0\"" },
        { "\"delimiter_hex\": \"\"", "\"delimiter_hex\": \"zz\"" },
        { "\"id\": \"", "\"id\": \"x" },
        { "\"text_field\"", "\"text_fields\"" },          /* a field missing */
        { "\n}\n", "\n" },                                /* not JSON */
        { "{", "[{" },
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *at = strstr(good, edits[i].from);
        cr_assert_not_null(at, "edit %zu", i);
        size_t pre = (size_t)(at - good), fl = strlen(edits[i].from), tl = strlen(edits[i].to);
        char *bad = malloc(n - fl + tl);
        memcpy(bad, good, pre);
        memcpy(bad + pre, edits[i].to, tl);
        memcpy(bad + pre + tl, at + fl, n - pre - fl);
        write_file("ds.json", bad, n - fl + tl);
        free(bad);
        cr_assert_eq(run(NULL, "detokenize", "-o", "out.txt", "ds", NULL), 1, "edit %zu", i);
        cr_assert_str_eq(err_text, "eiw: ds.json: not an eiw token manifest (or a damaged one)\n",
                         "edit %zu", i);
        cr_assert(!exists("out.txt"), "edit %zu wrote output", i);
    }
    write_file("ds.json", good, n);
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);
    free(good);
}

/* Tokens as eiw_windows_encode gives them for a whole document, as integers. */
static void expected_tokens(const eiw_model *m, unsigned wb, unsigned tb, const uint8_t *src,
                            size_t n, FILE *out)
{
    eiw_window_params p = { wb, tb, EIW_WINDOW_END_TIGHT };   /* tokenize's default */
    void *state = calloc(1, m->state_size);
    size_t cap_b = n * (wb / 8) + 64;
    uint8_t *dst = malloc(cap_b);
    ptrdiff_t r = eiw_windows_encode(m, &p, state, src, n, dst, cap_b, NULL);
    cr_assert_geq(r, 0);
    for (ptrdiff_t i = 0; i < r; i += tb / 8)
        fprintf(out, "%s%u", i ? " " : "", tb == 8 ? dst[i] : (unsigned)(dst[i] << 8 | dst[i + 1]));
    fputc('\n', out);
    free(dst);
    free(state);
}

Test(tokenize, independent_python_reader_sees_the_encoder_tokens)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0)
        cr_skip_test("python3 is not installed (scripts/deps.sh installs it): the independent "
                     "reader cannot run");
    char script[1200];
    snprintf(script, sizeof script, "%s/tests/megatron_reader.py", root);
    cr_assert_eq(access(script, R_OK), 0, "%s", script);
    const eiw_model *m = eiw_model_builtin("order1");
    sample docs[4] = { sample_make("text", 70000, 1), sample_make("empty", 0, 2),
                       sample_make("utf8", 3000, 3), sample_make("binary", 500, 4) };
    const char *names[4] = { "a.txt", "b.txt", "c.txt", "d.txt" };
    for (int i = 0; i < 4; i++)
        write_file(names[i], docs[i].data, docs[i].len);
    static const unsigned tbits[2] = { 16, 8 };
    for (int k = 0; k < 2; k++) {
        char tb[8];
        snprintf(tb, sizeof tb, "%u", tbits[k]);
        cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--window-bits", "32",
                         "--token-bits", tb, "--shard-size", "30K", "-o", "ds", names[0],
                         names[1], names[2], names[3], NULL),
                     0, "%s", err_text);
        const char *args[] = { "python3", script, "ds", "--tokens-out", "py_tokens.txt", NULL };
        cr_assert_eq(run_v(NULL, args), 0, "reader: %s", err_text);
        cr_assert(strstr(out_text, "consistent"), "%s", out_text);
        FILE *f = fopen(test_at(dir, "c_tokens.txt"), "w");
        for (int i = 0; i < 4; i++)
            expected_tokens(m, 32, tbits[k], docs[i].data, docs[i].len, f);
        fclose(f);
        cr_assert(same_files("py_tokens.txt", "c_tokens.txt"), "token bits %u", tbits[k]);
    }
    /* and it notices a damaged index */
    size_t n;
    char *idx = test_read_in(dir, "ds-00000.idx", &n);
    idx[17] = 4;   /* dtype int32 */
    write_file("ds-00000.idx", idx, n);
    free(idx);
    const char *args[] = { "python3", script, "ds", NULL };
    cr_assert_eq(run_v(NULL, args), 1, "%s", out_text);
    for (int i = 0; i < 4; i++)
        sample_free(&docs[i]);
}

Test(tokenize, m1_default_model_roundtrips_a_few_kilobytes)
{
    sample a = make_text("a.txt", "text", 2500, 11);
    sample b = make_text("b.txt", "utf8", 300, 12);
    cr_assert_eq(run(NULL, "tokenize", "-T", "2", "-o", "ds", "a.txt", "b.txt", NULL), 0, "%s",
                 err_text);
    char *js = test_read_in(dir, "ds.json", NULL);
    cr_assert(strstr(js, eiw_model_default()->name), "%s", js);
    free(js);
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 0, "%s", err_text);
    cr_assert(out_len == a.len + b.len && memcmp(out_text, a.data, a.len) == 0 &&
              memcmp(out_text + a.len, b.data, b.len) == 0);
    /* a window decodes on its own: the windows of a document, one by one, make the document */
    cr_assert_eq(run(NULL, "tokenize", "--window-bits", "128", "-o", "w", "a.txt", "b.txt", NULL),
                 0, "%s", err_text);
    cr_assert_eq(run(NULL, "inspect", "w", NULL), 0, "%s", err_text);
    const char *p = strstr(out_text, "windows/document    min ");
    cr_assert_not_null(p, "%s", out_text);
    unsigned wmin = (unsigned)strtoul(p + 24, NULL, 10);
    cr_assert_gt(wmin, 1);
    size_t got = 0;
    char idx[16];
    for (unsigned j = 0;; j++) {
        snprintf(idx, sizeof idx, "%u", j);
        int rc = run(NULL, "inspect", "w", "--doc", "1", "--window", idx, NULL);
        if (rc != 0) {
            cr_assert(strstr(err_text, "windows"), "%s", err_text);
            break;
        }
        cr_assert_leq(got + out_len, b.len);
        cr_assert(memcmp(out_text, b.data + got, out_len) == 0, "window %u", j);
        got += out_len;
    }
    cr_assert_eq(got, b.len);
    sample_free(&a);
    sample_free(&b);
}

Test(tokenize, inspect_prints_statistics_and_decodes_by_index)
{
    sample a = make_text("a.txt", "text", 3000, 21);
    sample b = make_text("b.txt", "text", 2000, 22);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "--window-bits", "64", "-o", "ds",
                     "a.txt", "b.txt", NULL),
                 0, "%s", err_text);
    cr_assert_eq(run(NULL, "inspect", "ds", NULL), 0, "%s", err_text);
    static const char *const fields[] = { "documents           2", "bytes               5000",
                                          "bytes/token", "bits/byte", "windows/document",
                                          "order1" };
    for (int i = 0; i < 6; i++)
        cr_assert(strstr(out_text, fields[i]), "%s missing: %s", fields[i], out_text);
    cr_assert_eq(run(NULL, "inspect", "ds", "--doc", "1", NULL), 0, "%s", err_text);
    cr_assert(out_len == b.len && memcmp(out_text, b.data, b.len) == 0);
    /* global window 0 is the start of document 0 */
    cr_assert_eq(run(NULL, "inspect", "ds", "--window", "0", NULL), 0, "%s", err_text);
    cr_assert(out_len > 0 && memcmp(out_text, a.data, out_len) == 0);
    cr_assert_eq(run(NULL, "inspect", "ds", "--doc", "2", NULL), 1);
    cr_assert(strstr(err_text, "no document 2"), "%s", err_text);
    sample_free(&a);
    sample_free(&b);
}

Test(tokenize, damaged_or_missing_shards_are_errors_and_leave_no_output)
{
    sample a = make_text("a.txt", "text", 20000, 31);
    sample_free(&a);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ds", "a.txt", NULL), 0, "%s",
                 err_text);
    size_t n;
    char *bin = test_read_in(dir, "ds-00000.bin", &n);
    bin[n / 3] ^= 0x40;
    write_file("ds-00000.bin", bin, n);
    free(bin);
    cr_assert_eq(run(NULL, "detokenize", "-o", "out.txt", "ds", NULL), 1);
    cr_assert(strncmp(err_text, "eiw: ds-00000.bin: ", 19) == 0, "%s", err_text);
    cr_assert(!exists("out.txt"), "no partial output");
    unlink(test_at(dir, "ds-00000.eiwd"));
    cr_assert_eq(run(NULL, "detokenize", "ds", NULL), 1);
    cr_assert(strncmp(err_text, "eiw: ds-00000.eiwd: ", 20) == 0, "%s", err_text);
    cr_assert_eq(run(NULL, "detokenize", "nothere", NULL), 1);
    cr_assert(strncmp(err_text, "eiw: nothere.json: ", 19) == 0, "%s", err_text);
    /* an existing output is not overwritten without -f */
    write_file("keep.txt", "keep", 4);
    cr_assert_eq(run(NULL, "tokenize", "--model", "order1", "-o", "ok", "a.txt", NULL), 0);
    cr_assert_eq(run(NULL, "detokenize", "-o", "keep.txt", "ok", NULL), 1);
    cr_assert(strstr(err_text, "already exists"), "%s", err_text);
    cr_assert_eq(run(NULL, "detokenize", "-f", "-o", "keep.txt", "ok", NULL), 0, "%s", err_text);
    cr_assert(same_files("keep.txt", "a.txt"));
}

Test(tokenize, bad_usage_exits_2)
{
    write_file("a.txt", "abc", 3);
    static const char *const cases[][8] = {
        { "tokenize", "a.txt" },
        { "tokenize", "-o", "x" },
        { "tokenize", "-o", "x", "--token-bits", "12", "a.txt" },
        { "tokenize", "-o", "x", "--window-bits", "24", "a.txt" },
        { "tokenize", "-o", "x", "--window-bits", "8", "a.txt" },
        { "tokenize", "-o", "x", "--shard-size", "big", "a.txt" },
        { "tokenize", "-o", "x", "--format", "csv", "a.txt" },
        { "tokenize", "-o", "x", "--delimiter", "\\q", "a.txt" },
        { "tokenize", "-o", "x", "--model", "no-such-model", "a.txt" },
        { "tokenize", "-o", "x", "--no-such-option", "a.txt" },
        { "detokenize" },
        { "detokenize", "--format", "xml", "x" },
        { "inspect" },
        { "inspect", "x", "--doc", "minus" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[10] = { "eiw" };
        for (int k = 0; k < 8 && cases[i][k]; k++)
            args[k + 1] = cases[i][k];
        cr_assert_eq(run_v(NULL, args), 2, "case %zu: %s", i, err_text);
        cr_assert(strncmp(err_text, "eiw: ", 5) == 0 && strchr(err_text, '\n') == err_text + err_len - 1,
                  "one line: %s", err_text);
        cr_assert(!exists("x.json") && !exists("x-00000.bin"), "case %zu wrote output", i);
    }
    cr_assert_eq(run(NULL, "tokenize", "-o", "x", "missing.txt", NULL), 1);
    cr_assert(strncmp(err_text, "eiw: missing.txt: ", 18) == 0, "%s", err_text);
    static const char *const helps[] = { "tokenize", "detokenize", "inspect" };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(run(NULL, helps[i], "--help", NULL), 0);
        cr_assert(strstr(out_text, "usage: eiw "), "%s", out_text);
    }
}

/* ------------------------------------------------------------------------------------------
 * Library level */

/* eiw_docs_encode against one eiw_windows_encode per document. */
static void check_docs_encode(const eiw_model *m, const eiw_window_params *p, const sample *docs,
                              size_t n, size_t segment, size_t overlap, int threads)
{
    eiw_doc_job jobs[8];
    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++) {
        jobs[i].src = docs[i].data;
        jobs[i].n = docs[i].len;
    }
    eiw_doc_encode_options o = { threads, segment, overlap, NULL, NULL };
    cr_assert_eq(eiw_docs_encode(m, p, jobs, n, &o), EIW_OK);
    void *state = calloc(1, m->state_size);
    for (size_t i = 0; i < n; i++) {
        size_t cap_b = docs[i].len * (p->window_bits / 8) + 64;
        uint8_t *whole = malloc(cap_b);
        ptrdiff_t r = eiw_windows_encode(m, p, state, docs[i].data, docs[i].len, whole, cap_b,
                                         NULL);
        cr_assert_geq(r, 0);
        cr_assert_eq(jobs[i].status, EIW_OK);
        cr_assert(jobs[i].out_len == (size_t)r && (r == 0 || memcmp(jobs[i].out, whole, r) == 0),
                  "%s (%zu bytes), window %u/%u, segment %zu, overlap %zu: %zu vs %td bytes",
                  docs[i].name, docs[i].len, p->window_bits, p->token_bits, segment, overlap,
                  jobs[i].out_len, r);
        free(whole);
        free(jobs[i].out);
    }
    free(state);
}

Test(tokenize, segments_stitch_into_the_windows_of_sequential_coding)
{
    sample d[6] = { sample_make("text", 50000, 5), sample_make("utf8", 20000, 6),
                    sample_make("zeros", 70000, 7), sample_make("binary", 3000, 8),
                    sample_make("empty", 0, 9), sample_make("one", 1, 10) };
    static const unsigned cfg[][2] = { { 16, 16 }, { 16, 8 }, { 64, 16 }, { 512, 8 } };
    /* segment/overlap: the defaults, tiny overlaps (segments rarely meet: coding on around
     * them), overlaps shorter than a window, and segments shorter than a window */
    static const size_t so[][2] = { { 0, 0 }, { 3000, 40 }, { 777, 5 }, { 20000, 1 }, { 50, 300 } };
    const eiw_model *m = eiw_model_builtin("order1");
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < 5; k++) {
            /* 16-bit windows: all but segments shorter than a window, which go with the
             * longest windows; two settings for the other sizes */
            if (c == 0 ? k == 4 : k != 0 && k != 1 + c)
                continue;
            eiw_window_params p = { cfg[c][0], cfg[c][1], (unsigned)(k + c) % 3 };   /* all ends */
            check_docs_encode(m, &p, d, 6, so[k][0], so[k][1], 1 + (k & 1));
        }
    /* the embedded M1 on a little text */
    sample small[2] = { sample_make("text", 3000, 11), sample_make("utf8", 900, 12) };
    eiw_window_params p = { 16, 16, EIW_WINDOW_END_TIGHT };
    check_docs_encode(eiw_model_default(), &p, small, 2, 400, 30, 2);
    check_docs_encode(eiw_model_default(), &p, small, 2, 1000, 2, 1);
    for (int i = 0; i < 6; i++)
        sample_free(&d[i]);
    sample_free(&small[0]);
    sample_free(&small[1]);
}

static void put64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

Test(tokenize, megatron_index_bytes_follow_the_format)
{
    /* by hand, per megatron/core/datasets/indexed_dataset.py (_IndexWriter) */
    const uint32_t sizes[3] = { 3, 0, 5 };
    uint8_t want[34 + 12 + 24 + 32];
    memset(want, 0, sizeof want);
    memcpy(want, "MMIDIDX\0\0", 9);
    put64le(want + 9, 1);
    want[17] = 8;                       /* uint16 */
    put64le(want + 18, 3);              /* sequences */
    put64le(want + 26, 4);              /* document indices */
    want[34] = 3, want[38] = 0, want[42] = 5;
    put64le(want + 46, 0), put64le(want + 54, 6), put64le(want + 62, 6);
    for (int i = 0; i < 4; i++)
        put64le(want + 70 + 8 * i, (uint64_t)i);
    uint8_t *idx;
    size_t len;
    cr_assert_eq(eiw_mmidx_build(EIW_MMIDX_UINT16, sizes, 3, &idx, &len), EIW_OK);
    cr_assert(len == sizeof want && memcmp(idx, want, len) == 0);
    eiw_mmidx x;
    cr_assert_eq(eiw_mmidx_parse(idx, len, 16, &x), EIW_OK);
    cr_assert(x.sequences == 3 && x.doc_count == 4 && x.sizes[2] == 5 && x.pointers[2] == 6);
    eiw_mmidx_free(&x);
    cr_assert_eq(eiw_mmidx_parse(idx, len, 18, &x), EIW_ERR_CORRUPT, ".bin size must match");
    cr_assert_eq(eiw_mmidx_parse(idx, len - 1, 16, &x), EIW_ERR_CORRUPT);
    idx[0] = 'X';
    cr_assert_eq(eiw_mmidx_parse(idx, len, 16, &x), EIW_ERR_MAGIC);
    free(idx);
    cr_assert_eq(eiw_mmidx_build(EIW_MMIDX_UINT8, sizes, 0, &idx, &len), EIW_OK);
    cr_assert_eq(len, 42u, "an empty dataset: header and one document index");
    free(idx);
}

Test(tokenize, sidecar_roundtrips_and_rejects_damage)
{
    eiw_sidecar_doc docs[2] = { { 10, 0x1234, 1 }, { 0, 0x2d06800538d394c2ull, 0 } };
    eiw_sidecar s = { 64, 8, EIW_WINDOW_END_IMPLICIT, 0xabcdef, 7, 2, 10, 40, 3, 0x55, 40, 0x66,
                      0x77, docs };
    uint8_t *b;
    size_t len;
    cr_assert_eq(eiw_sidecar_build(&s, &b, &len), EIW_OK);
    cr_assert_eq(len, EIW_SIDECAR_HEADER_SIZE + 2 * EIW_SIDECAR_DOC_SIZE + 8u);
    eiw_sidecar r;
    cr_assert_eq(eiw_sidecar_parse(b, len, &r), EIW_OK);
    cr_assert(r.window_bits == 64 && r.token_bits == 8 && r.shard == 7 && r.ndocs == 2 &&
              r.bad_records == 3 && r.docs[0].bytes == 10 && r.docs[0].flags == 1 &&
              r.docs[1].xxh3 == docs[1].xxh3 && r.window_end == EIW_WINDOW_END_IMPLICIT);
    eiw_sidecar_free(&r);
    /* the version is the window end: 2 implicit (above), 1 marker (eiw 0.2's sidecars),
     * 3 tight */
    cr_assert_eq(b[8], 2);
    static const unsigned ends[2][2] = { { EIW_WINDOW_END_MARKER, 1 },
                                         { EIW_WINDOW_END_TIGHT, 3 } };
    for (int e = 0; e < 2; e++) {
        s.window_end = ends[e][0];
        uint8_t *bm;
        size_t lm;
        cr_assert_eq(eiw_sidecar_build(&s, &bm, &lm), EIW_OK);
        cr_assert_eq(bm[8], ends[e][1]);
        cr_assert_eq(eiw_sidecar_parse(bm, lm, &r), EIW_OK);
        cr_assert_eq(r.window_end, ends[e][0]);
        eiw_sidecar_free(&r);
        free(bm);
    }
    for (size_t i = 0; i < len; i += 7) {
        b[i] ^= 0x10;
        cr_assert_neq(eiw_sidecar_parse(b, len, &r), EIW_OK, "byte %zu", i);
        b[i] ^= 0x10;
    }
    cr_assert_neq(eiw_sidecar_parse(b, len - 1, &r), EIW_OK);
    free(b);
}

Test(tokenize, utf8_checker_matches_the_standard)
{
    static const struct {
        const char *s;
        ptrdiff_t bad;
    } cases[] = {
        { "plain", -1 }, { "caf\xc3\xa9", -1 }, { "\xf0\x9f\x98\x80", -1 },
        { "\xc0\xaf", 0 },            /* overlong */
        { "a\xe0\x80\xaf", 1 },       /* overlong */
        { "\xed\xa0\x80", 0 },        /* surrogate */
        { "\xf4\x90\x80\x80", 0 },    /* > U+10FFFF */
        { "ab\xc3", 2 },              /* truncated */
        { "\x80", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(eiw_utf8_check((const uint8_t *)cases[i].s, strlen(cases[i].s)), cases[i].bad,
                     "case %zu", i);
}

/* ---- fault injection: a signal in the middle of a run, a full disk, a missing output
 * directory. No temporary is left; complete shards stay and a rerun resumes from them. */

/* Every file in dir is an input (f*.txt) or a finished shard file or manifest of ds. */
static void only_inputs_and_finished_files(void)
{
    DIR *h = opendir(dir);
    cr_assert_not_null(h);
    struct dirent *e;
    while ((e = readdir(h)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        unsigned s;
        char ext[8];
        int shard = sscanf(n, "ds-%5u.%7s", &s, ext) == 2 &&
                    (strcmp(ext, "bin") == 0 || strcmp(ext, "idx") == 0 || strcmp(ext, "eiwd") == 0);
        cr_assert(n[0] == 'f' || shard || strcmp(n, "ds.json") == 0, "left behind: %s", n);
    }
    closedir(h);
}

Test(tokenize, signals_in_the_middle_leave_complete_shards_and_a_rerun_resumes)
{
    /* the default M1 on one thread codes ~25 KB/s: four shards of 2 KB take a while */
    const char *names[4];
    char nb[4][16];
    make_texts(names, nb, 4, 2000, 60);
    const char *const args[] = { "eiw", "tokenize", "-v", "-T", "1", "--shard-size", "2000",
                                 "-o", "ds", names[0], names[1], names[2], names[3], NULL };
    /* SIGINT once shard 0 is written, then SIGTERM in a rerun once shard 1 is */
    const int sigs[] = { SIGINT, SIGTERM };
    for (int k = 0; k < 2; k++) {
        pid_t pid = spawn_v(NULL, args);
        char done[32];
        snprintf(done, sizeof done, "ds-%05d.eiwd", k);
        int i = 0;
        for (; i < 4000 && !exists(done); i++) {
            struct timespec ts = { 0, 5 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        cr_assert_lt(i, 4000, "%s never appeared", done);
        cr_assert_eq(kill(pid, sigs[k]), 0);
        cr_assert_eq(wait_v(pid), 128 + sigs[k], "%s", err_text);
        cr_assert(!exists("ds.json"), "no manifest for an unfinished run");
        cr_assert(!exists("ds-00003.eiwd"), "the run was not interrupted");
        only_inputs_and_finished_files();
    }
    cr_assert_eq(run_v(NULL, args), 0, "%s", err_text);
    cr_assert(strstr(err_text, "ds-00000: complete already, kept"), "%s", err_text);
    cr_assert(strstr(err_text, "ds-00001: complete already, kept"), "%s", err_text);
    cr_assert_eq(run(NULL, "detokenize", "-o", "back.txt", "ds", NULL), 0, "%s", err_text);
    concat("all.txt", names, 4);
    cr_assert(same_files("back.txt", "all.txt"));
}

Test(tokenize, full_disk_and_missing_directory_are_one_line_errors)
{
    sample a = make_text("f.txt", "text", 40000, 70);
    sample_free(&a);
    test_child_fsize = 5000;   /* writes beyond 5000 bytes fail with EFBIG, as on a full disk */
    int rc = run(NULL, "tokenize", "-q", "--model", "order1", "-o", "ds", "f.txt", NULL);
    test_child_fsize = 0;
    cr_assert_eq(rc, 1, "%s", err_text);
    cr_assert(strncmp(err_text, "eiw: ds-00000.", 14) == 0 && strchr(err_text, '\n') ==
              err_text + err_len - 1, "one error line naming the file: %s", err_text);
    cr_assert(!exists("ds.json"));
    only_inputs_and_finished_files();
    cr_assert_eq(run(NULL, "tokenize", "-q", "--model", "order1", "-o", "nodir/ds", "f.txt", NULL),
                 1);
    cr_assert(strncmp(err_text, "eiw: nodir/ds", 13) == 0, "%s", err_text);
}
