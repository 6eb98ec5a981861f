/* Fuzz targets: one plain C entry function per reader of untrusted bytes. Each takes any
 * bytes, must never crash, leak or trip a sanitizer, and returns 0. libFuzzer drives them
 * through fuzz/libfuzzer_main.c (`make fuzz`); tests/test_fuzz_replay.c replays the committed
 * corpora (tests/fuzz_corpus/<name>/) through the same functions in every test build. */
#ifndef EIW_FUZZ_H
#define EIW_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

int eiw_fuzz_container(const uint8_t *data, size_t size);   /* .eiw header + blocks */
int eiw_fuzz_window(const uint8_t *data, size_t size);      /* one Equal-Info window */
int eiw_fuzz_model(const uint8_t *data, size_t size);       /* .eiwm model file */
int eiw_fuzz_checkpoint(const uint8_t *data, size_t size);  /* training checkpoint */
int eiw_fuzz_shard(const uint8_t *data, size_t size);       /* .eiwd sidecar + .idx index */
int eiw_fuzz_jsonl(const uint8_t *data, size_t size);       /* documents: JSONL / text / .zst */
int eiw_fuzz_manifest(const uint8_t *data, size_t size);    /* token dataset manifest (JSON) */

typedef struct {
    const char *name;                                /* corpus directory name */
    int (*run)(const uint8_t *data, size_t size);
} eiw_fuzz_target;
extern const eiw_fuzz_target eiw_fuzz_targets[];     /* ends with { NULL, NULL } */

/* Small models only, so that one input runs in milliseconds: 0 uniform, 1 order0, 2 order1,
 * 3 the tiny integer M1 of tests/golden/tiny_m1.eiwm (order1 when that file is missing;
 * $EIW_FUZZ_TINY_MODEL overrides the path). Loaded once, kept for the process. */
const eiw_model *eiw_fuzz_pick_model(unsigned which);
/* Overwrites the last 8 bytes of buf with the little-endian xxh3-64 of the rest, so that
 * mutated files get past the checksum check to the parsing behind it. */
void eiw_fuzz_fix_xxh3_tail(uint8_t *buf, size_t len);
/* Fatal when an invariant of a successful result is broken: a crash the fuzzer records. */
void eiw_fuzz_check(int ok, const char *what);
#endif
