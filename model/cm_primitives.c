/* Tables and allocation of the context-mixing building blocks (model/cm_primitives.h). The
 * tables are computed from integer constants with integer arithmetic only, so every build
 * holds the same values. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "model/cm_primitives.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *cm_alloc_tables(size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return malloc(bytes);
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, rounded);
#ifdef MADV_HUGEPAGE
    if (p)
        madvise(p, rounded, MADV_HUGEPAGE);   /* a hint: failure changes nothing */
#endif
    return p;
}

int16_t cm_stretch_tab[4096];
int16_t cm_squash_tab[4096];
uint16_t cm_ctr_rate[1024];

/* 4096 / (1 + e^(-d/256)) at d = -2048, -1920, ..., 2048, rounded */
static const int16_t squash_knots[33] = {
    1,    2,    4,    6,    10,   17,   27,   45,   74,   120,  194,
    311,  488,  747,  1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785,
    3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095,
};

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_fill(void)
{
    for (int i = 0; i < 4096; i++) {
        int d = i == 0 ? 1 : i;   /* index 0 stands for -2047 as well */
        int k = d >> 7, w = d & 127;
        int v = (squash_knots[k] * (128 - w) + squash_knots[k + 1] * w + 64) >> 7;
        cm_squash_tab[i] = (int16_t)(v < 1 ? 1 : v > 4095 ? 4095 : v);
    }
    /* stretch = the smallest d whose squash reaches p: monotone, stretch(squash(d)) ~ d */
    int p = 0;
    for (int d = -2047; d <= 2047; d++) {
        int v = cm_squash_tab[d + 2048];
        for (; p <= v; p++)
            cm_stretch_tab[p] = (int16_t)d;
    }
    for (; p < 4096; p++)
        cm_stretch_tab[p] = 2047;
    for (int n = 0; n < 1024; n++)
        cm_ctr_rate[n] = (uint16_t)(131072 / (2 * n + 3));
}

void cm_tables_init(void)
{
    pthread_once(&tables_once, tables_fill);
}

int cm_mixer_init(cm_mixer *m, int ninputs, int nsel, int lr, const int32_t *w0)
{
    m->ninputs = ninputs;
    m->nsel = nsel;
    m->lr = lr;
    for (int i = 0; i < ninputs && i < CM_MIX_MAX_INPUTS; i++)
        m->w0[i] = w0[i];
    m->w = ninputs <= CM_MIX_MAX_INPUTS
        ? malloc(sizeof(int32_t) * (size_t)ninputs * (size_t)nsel) : NULL;
    if (!m->w)
        return -1;
    cm_mixer_reset(m);
    return 0;
}

void cm_mixer_reset(cm_mixer *m)
{
    m->sel = 0;
    m->st = 0;
    m->p = 2048;
    for (int s = 0; s < m->nsel; s++)
        for (int i = 0; i < m->ninputs; i++)
            m->w[(size_t)s * (size_t)m->ninputs + (size_t)i] = m->w0[i];
}

void cm_mixer_free(cm_mixer *m)
{
    free(m->w);
    m->w = NULL;
}

int cm_apm_init(cm_apm *a, int nctx, int rate)
{
    a->nctx = nctx;
    a->rate = rate;
    a->t = malloc(sizeof(uint16_t) * 33 * (size_t)nctx);
    if (!a->t)
        return -1;
    cm_apm_reset(a);
    return 0;
}

void cm_apm_reset(cm_apm *a)
{
    a->idx = 0;
    for (int c = 0; c < a->nctx; c++)
        for (int j = 0; j < 33; j++) {
            /* the identity map: entry j sits at stretch (j - 16) * 128 */
            int p = cm_squash((j - 16) * 128) * 16;
            a->t[(size_t)c * 33 + (size_t)j] = (uint16_t)(p > 65535 ? 65535 : p);
        }
}

void cm_apm_free(cm_apm *a)
{
    free(a->t);
    a->t = NULL;
}
