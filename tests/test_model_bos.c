/* The BOS token (window-start context for M1): samples and evaluation start with it, it
 * survives checkpoints, and the integer M1 built from trained float weights predicts like
 * the float model (quantization loss bounded). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "eiw.h"
#include "eiw_train.h"
#include "model/qm1.h"

static const char text[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
    "age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was "
    "the season of Light, it was the season of Darkness, it was the spring of hope.";

static eiw_trainer *train_bos_model(uint16_t **tok, size_t *n, int steps)
{
    *n = strlen(text);
    *tok = malloc(*n * sizeof **tok);
    for (size_t i = 0; i < *n; i++)
        (*tok)[i] = (unsigned char)text[i];
    eiw_train_options o;
    cr_assert_eq(eiw_train_config("tiny", &o), EIW_TRAIN_OK);
    o.model.vocab = 257;
    o.bos = 256;
    o.steps = steps;
    o.threads = 1;
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, *tok, *n, *tok, *n), EIW_TRAIN_OK);
    for (int i = 0; i < steps; i++)
        cr_assert_eq(eiw_trainer_step(tr, NULL), EIW_TRAIN_OK);
    return tr;
}

Test(model_bos, bos_is_checked_and_kept_in_checkpoints)
{
    eiw_train_options o;
    cr_assert_eq(eiw_train_config("m1", &o), EIW_TRAIN_OK);
    cr_assert_eq(o.bos, 256);
    cr_assert_eq(o.model.vocab, 257);
    o.bos = 257;
    cr_assert_eq(eiw_train_options_check(&o), EIW_TRAIN_ERR_CONFIG);
    uint16_t *tok;
    size_t n;
    eiw_trainer *tr = train_bos_model(&tok, &n, 3);
    char path[128];
    snprintf(path, sizeof path, "/tmp/eiw_test_bos_%ld.ckpt", (long)getpid());
    cr_assert_eq(eiw_trainer_save(tr, path), EIW_TRAIN_OK);
    eiw_trainer *back;
    eiw_train_options got;
    cr_assert_eq(eiw_trainer_resume(&back, path, 1, 0, &got, tok, n, tok, n), EIW_TRAIN_OK);
    cr_assert_eq(got.bos, 256);
    eiw_trainer_free(back);
    eiw_trainer_free(tr);
    unlink(path);
    free(tok);
}

Test(model_bos, integer_model_predicts_like_the_float_model)
{
    uint16_t *tok;
    size_t n;
    eiw_trainer *tr = train_bos_model(&tok, &n, 300);
    double float_bits;
    cr_assert_eq(eiw_trainer_eval(tr, 0, &float_bits), EIW_TRAIN_OK);
    eiw_train_options o;
    cr_assert_eq(eiw_train_config("tiny", &o), EIW_TRAIN_OK);
    o.model.vocab = 257;
    size_t np;
    const float *params = eiw_trainer_params(tr, &np);
    eiw_qm1 *q;
    cr_assert_eq(eiw_qm1_from_float(&q, &o.model, params, "tiny-bos"), 0);
    eiw_model *m;
    cr_assert_eq(eiw_model_from_bytes(q->file, q->file_len, &m), EIW_OK);
    /* the evaluation windows of eiw_trainer_eval: [BOS, val[s..]] for s = 0, T, 2T, ... */
    const size_t T = (size_t)o.model.ctx, want = n - 1;
    void *st = calloc(1, m->state_size);
    void *sts[1] = { st };
    uint32_t w[256];
    double bits = 0;
    for (size_t i = 0; i < want; i++) {
        if (i % T == 0)
            m->ops->reset(m, st);
        m->ops->predict(m, sts, 1, w);
        double sum = 0;
        for (int s = 0; s < 256; s++)
            sum += w[s];
        uint8_t x = (uint8_t)text[i];
        bits -= log2((w[x] > 0 ? w[x] : 0.5) / sum);
        m->ops->advance(m, st, &x, 1);
    }
    bits /= (double)want;
    cr_log_info("tiny BOS model: float %.4f, integer %.4f bits/byte", float_bits, bits);
    cr_assert_lt(float_bits, 1.5, "the model should have learned the text");
    cr_assert_lt(fabs(bits - float_bits), 0.05 + 0.03 * float_bits);
    free(st);
    eiw_model_free(m);
    eiw_qm1_free(q);
    eiw_trainer_free(tr);
    free(tok);
}
