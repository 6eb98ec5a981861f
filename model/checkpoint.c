/* Checkpoint writer/reader. Little-endian fixed layout, documented in docs/checkpoint.md.
 * The reader checks magic, version, every config field, the exact file size implied by the
 * header (so a bad header can never cause a large allocation: we only ever allocate the real
 * file size, after it matched) and the xxh3 checksum before returning anything. */
#include "model/checkpoint.h"
#include "common/byte_order.h"
#include "model/transformer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const char magic[8] = {'E', 'I', 'W', 'C', 'K', 'P', 'T', '\0'};

static int host_is_little_endian(void)
{
    uint32_t x = 1;
    unsigned char b;
    memcpy(&b, &x, 1);
    return b == 1;
}


static void encode_header(unsigned char *h, const eiw_ckpt_view *v)
{
    const eiw_train_options *o = &v->opt;
    const eiw_model_config *c = &o->model;
    memset(h, 0, EIW_CKPT_HEADER_SIZE);
    memcpy(h, magic, 8);
    put32(h + 8, EIW_CKPT_VERSION);
    put32(h + 12, v->flags);
    put32(h + 16, (uint32_t)c->vocab);
    put32(h + 20, (uint32_t)c->ctx);
    put32(h + 24, (uint32_t)c->d_model);
    put32(h + 28, (uint32_t)c->n_heads);
    put32(h + 32, (uint32_t)c->n_layers);
    put32(h + 36, (uint32_t)c->d_ff);
    put64(h + 40, (uint64_t)v->n_params);
    put32(h + 48, (uint32_t)o->batch);
    put32(h + 52, (uint32_t)o->patch_size);
    put64(h + 56, (uint64_t)o->steps);
    put64(h + 64, (uint64_t)o->warmup);
    putf32(h + 72, o->lr);
    putf32(h + 76, o->min_lr_frac);
    putf32(h + 80, o->weight_decay);
    putf32(h + 84, o->beta1);
    putf32(h + 88, o->beta2);
    putf32(h + 92, o->eps);
    putf32(h + 96, o->grad_clip);
    putf32(h + 100, o->patch_fraction);
    put64(h + 104, o->seed);
    put64(h + 112, (uint64_t)v->step);
    put64(h + 120, (uint64_t)v->epoch);
    put64(h + 128, v->cursor);
    put64(h + 136, v->rng);
    put64(h + 144, v->data_len);
    put64(h + 152, v->data_hash);
    put32(h + 160, (uint32_t)(o->bos + 1));   /* 0: no BOS (files before BOS read the same) */
    /* 164..191 reserved, zero */
}

static int write_all(int fd, const void *p, size_t n, XXH3_state_t *st)
{
    const unsigned char *b = p;
    if (XXH3_64bits_update(st, p, n) != XXH_OK)
        return -1;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int eiw_ckpt_write(const char *path, const eiw_ckpt_view *v)
{
    if (!host_is_little_endian())
        return EIW_TRAIN_ERR_FORMAT;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    XXH3_state_t *st = XXH3_createState();
    int fd = -1, rc = EIW_TRAIN_ERR_IO;
    if (!tmp || !st) {
        rc = EIW_TRAIN_ERR_NOMEM;
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    XXH3_64bits_reset(st);
    unsigned char h[EIW_CKPT_HEADER_SIZE];
    encode_header(h, v);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        goto done;
    size_t nb = v->n_params * sizeof(float);
    if (write_all(fd, h, sizeof h, st) || write_all(fd, v->params, nb, st))
        goto done;
    if ((v->flags & EIW_CKPT_FLAG_TRAIN_STATE) &&
        (write_all(fd, v->m, nb, st) || write_all(fd, v->v, nb, st)))
        goto done;
    unsigned char foot[8];
    put64(foot, XXH3_64bits_digest(st));
    if (write_all(fd, foot, 8, st) || fsync(fd) != 0)
        goto done;
    if (close(fd) != 0) {
        fd = -1;
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto done;
    rc = EIW_TRAIN_OK;
done:
    if (fd >= 0)
        close(fd);
    if (rc != EIW_TRAIN_OK && tmp) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    XXH3_freeState(st);
    return rc;
}

static int decode_header(const unsigned char *h, eiw_ckpt_view *v)
{
    if (memcmp(h, magic, 8) != 0)
        return EIW_TRAIN_ERR_FORMAT;
    if (get32(h + 8) != EIW_CKPT_VERSION)
        return EIW_TRAIN_ERR_VERSION;
    memset(v, 0, sizeof *v);
    v->flags = get32(h + 12);
    if (v->flags & ~EIW_CKPT_FLAG_TRAIN_STATE)
        return EIW_TRAIN_ERR_FORMAT;
    eiw_train_options *o = &v->opt;
    eiw_model_config *c = &o->model;
    c->vocab = (int32_t)get32(h + 16);
    c->ctx = (int32_t)get32(h + 20);
    c->d_model = (int32_t)get32(h + 24);
    c->n_heads = (int32_t)get32(h + 28);
    c->n_layers = (int32_t)get32(h + 32);
    c->d_ff = (int32_t)get32(h + 36);
    size_t sizes[EIW_NUM_PARAM_TENSORS];
    size_t n = eiw_model_param_sizes(c, sizes);
    if (n == 0 || get64(h + 40) != (uint64_t)n)
        return EIW_TRAIN_ERR_FORMAT;
    v->n_params = n;
    o->batch = (int32_t)get32(h + 48);
    o->patch_size = (int32_t)get32(h + 52);
    o->steps = (int64_t)get64(h + 56);
    o->warmup = (int64_t)get64(h + 64);
    o->lr = getf32(h + 72);
    o->min_lr_frac = getf32(h + 76);
    o->weight_decay = getf32(h + 80);
    o->beta1 = getf32(h + 84);
    o->beta2 = getf32(h + 88);
    o->eps = getf32(h + 92);
    o->grad_clip = getf32(h + 96);
    o->patch_fraction = getf32(h + 100);
    o->seed = get64(h + 104);
    o->threads = 0;
    v->step = (int64_t)get64(h + 112);
    v->epoch = (int64_t)get64(h + 120);
    v->cursor = get64(h + 128);
    v->rng = get64(h + 136);
    v->data_len = get64(h + 144);
    v->data_hash = get64(h + 152);
    int64_t bos = (int64_t)get32(h + 160) - 1;   /* stored + 1; any 32-bit value is read */
    if (bos < -1 || bos >= o->model.vocab)
        return EIW_TRAIN_ERR_FORMAT;
    o->bos = (int32_t)bos;
    for (int i = 164; i < (int)EIW_CKPT_HEADER_SIZE; i++)
        if (h[i] != 0)
            return EIW_TRAIN_ERR_FORMAT;
    if (v->flags & EIW_CKPT_FLAG_TRAIN_STATE) {
        if (eiw_train_options_check(o) != EIW_TRAIN_OK || v->step < 0 || v->epoch < 0 ||
            v->cursor > v->data_len)
            return EIW_TRAIN_ERR_FORMAT;
    }
    return EIW_TRAIN_OK;
}

int eiw_ckpt_parse(const uint8_t *buf, size_t len, eiw_ckpt_view *v)
{
    if (!host_is_little_endian())
        return EIW_TRAIN_ERR_FORMAT;
    if (len < EIW_CKPT_HEADER_SIZE)   /* "ours but cut short" if the magic is there */
        return len >= 8 && memcmp(buf, magic, 8) == 0 ? EIW_TRAIN_ERR_TRUNCATED
                                                       : EIW_TRAIN_ERR_FORMAT;
    int rc = decode_header(buf, v);
    if (rc != EIW_TRAIN_OK)
        return rc;
    /* n_params <= ~2^37 by the config limits, so this cannot overflow 64 bits */
    uint64_t copies = (v->flags & EIW_CKPT_FLAG_TRAIN_STATE) ? 3 : 1;
    uint64_t want = EIW_CKPT_HEADER_SIZE + copies * (uint64_t)v->n_params * 4 + 8;
    if ((uint64_t)len != want)
        return EIW_TRAIN_ERR_TRUNCATED;
    if (XXH3_64bits(buf, len - 8) != get64(buf + len - 8))
        return EIW_TRAIN_ERR_CHECKSUM;
    size_t nb = v->n_params * sizeof(float);
    v->params = (const float *)(const void *)(buf + EIW_CKPT_HEADER_SIZE);
    if (copies == 3) {
        v->m = (const float *)(const void *)(buf + EIW_CKPT_HEADER_SIZE + nb);
        v->v = (const float *)(const void *)(buf + EIW_CKPT_HEADER_SIZE + 2 * nb);
    }
    return EIW_TRAIN_OK;
}

int eiw_ckpt_read(const char *path, eiw_ckpt_view *v, void **bufp)
{
    *bufp = NULL;
    int rc = EIW_TRAIN_ERR_IO;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return EIW_TRAIN_ERR_IO;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        goto done;
    if (!S_ISREG(sb.st_mode)) {
        rc = EIW_TRAIN_ERR_FORMAT;
        goto done;
    }
    /* the header first: a file is only read whole once its size is the one the header
     * implies, so a bad header never costs more than 192 bytes of reading */
    unsigned char h[EIW_CKPT_HEADER_SIZE];
    size_t got = fread(h, 1, sizeof h, f);
    if (got < sizeof h) {
        rc = ferror(f) ? EIW_TRAIN_ERR_IO : eiw_ckpt_parse(h, got, v);
        goto done;
    }
    rc = decode_header(h, v);
    if (rc != EIW_TRAIN_OK)
        goto done;
    uint64_t copies = (v->flags & EIW_CKPT_FLAG_TRAIN_STATE) ? 3 : 1;
    uint64_t want = EIW_CKPT_HEADER_SIZE + copies * (uint64_t)v->n_params * 4 + 8;
    if ((uint64_t)sb.st_size != want) {
        rc = EIW_TRAIN_ERR_TRUNCATED;
        goto done;
    }
    buf = malloc((size_t)want);
    if (!buf) {
        rc = EIW_TRAIN_ERR_NOMEM;
        goto done;
    }
    memcpy(buf, h, sizeof h);
    if (fread(buf + sizeof h, 1, (size_t)want - sizeof h, f) != (size_t)want - sizeof h) {
        rc = EIW_TRAIN_ERR_TRUNCATED;
        goto done;
    }
    rc = eiw_ckpt_parse(buf, (size_t)want, v);
    if (rc == EIW_TRAIN_OK) {
        *bufp = buf;
        buf = NULL;
    }
done:
    free(buf);
    fclose(f);
    return rc;
}

int eiw_checkpoint_load_weights(const char *path, eiw_model_config *cfg, float **params,
                                size_t *n_params)
{
    eiw_ckpt_view v;
    void *buf;
    *params = NULL;
    int rc = eiw_ckpt_read(path, &v, &buf);
    if (rc != EIW_TRAIN_OK)
        return rc;
    float *p = malloc(v.n_params * sizeof(float));
    if (!p) {
        free(buf);
        return EIW_TRAIN_ERR_NOMEM;
    }
    memcpy(p, v.params, v.n_params * sizeof(float));
    *cfg = v.opt.model;
    *params = p;
    *n_params = v.n_params;
    free(buf);
    return EIW_TRAIN_OK;
}
