/* The library's conveniences through the public API: one error namespace for eiw.h and
 * eiw_train.h, and the default options. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "eiw_train.h"
#include "test_util.h"

Test(api, every_status_has_its_own_value_and_message)
{
    static const int codes[] = {
        EIW_ERR_PARAM, EIW_ERR_NOMEM, EIW_ERR_DST_TOO_SMALL, EIW_ERR_IO, EIW_ERR_MAGIC,
        EIW_ERR_VERSION, EIW_ERR_TRUNCATED, EIW_ERR_CORRUPT, EIW_ERR_CHECKSUM, EIW_ERR_MODEL,
        EIW_ERR_MODEL_FILE, EIW_ERR_AMBIGUOUS, EIW_ERR_TRAILING,
        EIW_TRAIN_ERR_NOMEM, EIW_TRAIN_ERR_IO, EIW_TRAIN_ERR_FORMAT, EIW_TRAIN_ERR_VERSION,
        EIW_TRAIN_ERR_TRUNCATED, EIW_TRAIN_ERR_CHECKSUM, EIW_TRAIN_ERR_CONFIG,
        EIW_TRAIN_ERR_DATA, EIW_TRAIN_ERR_MISMATCH, EIW_TRAIN_ERR_NOSTATE,
    };
    const size_t n = sizeof codes / sizeof codes[0];
    const char *unknown = eiw_strerror(-99999);
    cr_assert_eq(EIW_OK, EIW_TRAIN_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(codes[i], 0);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(codes[i], codes[j], "codes %zu and %zu are both %d", j, i, codes[i]);
        const char *msg = eiw_strerror(codes[i]);
        cr_assert(msg && *msg && strcmp(msg, unknown) != 0, "%d has no message", codes[i]);
        cr_assert_str_eq(eiw_train_strerror(codes[i]), msg);
    }
    cr_assert_str_eq(eiw_strerror(EIW_TRAIN_ERR_CONFIG),
                     "invalid model configuration or training option");
    cr_assert_str_eq(eiw_strerror(EIW_ERR_PARAM), "invalid parameter");
}

Test(api, default_options_are_the_programs)
{
    eiw_options o;
    eiw_options_default(&o);
    cr_assert_eq(o.level, EIW_LEVEL_DEFAULT);
    cr_assert_eq(o.mode, EIW_MODE_STREAM);
    cr_assert_eq(o.lanes, EIW_LANES_DEFAULT);
    cr_assert_eq(o.lane_min, EIW_LANE_MIN_DEFAULT);
    cr_assert_eq(o.zstd_level, 9);
    cr_assert(o.threads >= 1 && o.threads <= EIW_THREADS_DEFAULT_MAX);
    /* automatic block size: long blocks at levels, short ones for a neural model alone */
    cr_assert_eq(o.block_size, 0);
    cr_assert_eq(eiw_block_size_for(eiw_model_builtin("order1"), &o),
                 eiw_level_block_size(EIW_LEVEL_DEFAULT));
    o.level = 0;
    cr_assert_eq(eiw_block_size_for(eiw_model_builtin("order1"), &o), EIW_BLOCK_SIZE_DEFAULT);
    cr_assert_eq(eiw_block_size_for(eiw_model_default(), &o), EIW_NEURAL_BLOCK_SIZE_DEFAULT);
    o.block_size = 4096;
    cr_assert_eq(eiw_block_size_for(eiw_model_default(), &o), 4096);
}
