/* AdamW update and global-norm gradient clipping over flat float buffers. */
#ifndef EIW_ADAMW_H
#define EIW_ADAMW_H

#include <stddef.h>
#include <stdint.h>

/* L2 norm of g (n), summed in fixed chunks so the result does not depend on the thread count. */
double eiw_grad_norm(const float *g, size_t n);

/* One AdamW step on p (n) with gradient g*gscale, moments m, v (n); t = 1-based step for the
 * bias corrections; decoupled weight decay wd (0 for none). */
void eiw_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                      float lr, float beta1, float beta2, float eps, float wd, int64_t t);

#endif
