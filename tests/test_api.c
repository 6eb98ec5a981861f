/* The library's conveniences through the public API: one error namespace for eiw.h and
 * eiw_train.h. */
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
