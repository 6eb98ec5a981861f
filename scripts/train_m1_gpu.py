#!/usr/bin/env python3
"""Continue an `eiw train` run from an eiw checkpoint (format v1, docs/checkpoint.md) with PyTorch,
on a CUDA GPU (or the CPU), and write back an eiw checkpoint that `eiw train --resume` and
`eiw train --eval` accept.

The math mirrors the C trainer (model/trainer.c, transformer.c, train_data.c, adamw.c) in float32:
  - model: token embedding, L x [RMSNorm -> QKV -> causal ALiBi attention -> Wo, residual;
    RMSNorm -> W1 -> ReLU -> W2, residual], RMSNorm, untied LM head; no biases;
  - loss: mean cross-entropy over B*T positions (logged in bits);
  - samples: (epoch, cursor) over 1024-token pages visited in a seeded order per epoch; with a BOS
    token inp = [bos, t0..t(T-2)], tgt = [t0..t(T-1)] and the cursor advances by T;
  - global-norm clipping, AdamW with bias correction and decoupled decay on Wqkv, Wo, W1, W2 and
    the LM head only, warm-up + cosine learning rate computed from the step like lr_at().
Only the token-level stage (K = 1) is implemented: a checkpoint still in the patch stage is refused.
Results agree with the C trainer up to float rounding (summation order, FMA), not bit for bit.
Checked on the CPU against the C trainer (m1 checkpoint at step 3733, 2 steps, torch 1.13): losses
within 1.2e-6 bits, weights within 5e-6 relative (L2; max abs 3.5e-5); the AdamW moments differ by
~1e-3 relative, the gradient change caused by a few ReLU inputs within rounding of zero (the C
trainer's own BLAS and portable matmul paths differ from each other by as much).

Uses only torch APIs present in torch 1.13 and 2.x, the standard library and `xxhash`.

usage: train_m1_gpu.py --ckpt IN --out OUT --data PATH... [--val PATH...] [--device cuda|cpu]
                       [--max-steps N] [--ckpt-every N] [--log-every N] [--eval-every N]
       train_m1_gpu.py --ckpt CKPT --val PATH... --eval-only [--val-tokens N]   (like eiw train --eval)
SIGINT/SIGTERM: the checkpoint is written before exiting (status 130), like `eiw train`.
"""
import argparse
import math
import os
import signal
import stat
import struct
import sys
import time

import torch
import torch.nn.functional as F
import xxhash

MAGIC = b"EIWCKPT\0"
VERSION = 1
HEADER = 192
FLAG_TRAIN_STATE = 1
PAGE_TOKENS = 1024
RMS_EPS = 1e-5
M64 = (1 << 64) - 1
# weight decay per tensor, in checkpoint order: wte ln1w qkvw attprojw ln2w fcw fcprojw lnfw wlm
DECAY = (0, 0, 1, 1, 0, 1, 1, 0, 1)
NAMES = ("wte", "ln1w", "qkvw", "attprojw", "ln2w", "fcw", "fcprojw", "lnfw", "wlm")


class EiwError(Exception):
    pass


def f32(x):
    """Round a Python float to the nearest binary32 value (what a C float holds)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------- data loading (cli/cmd_train.c)
def read_file(path, token_bytes, out):
    """Appends the file's tokens to out (a bytearray of uint16 little-endian)."""
    with open(path, "rb") as f:
        data = f.read()
    if token_bytes == 2:
        if len(data) % 2:
            raise EiwError("%s: odd length for a uint16 token file" % os.fsdecode(path))
        out += data
    else:  # text or uint8 tokens: one token per byte
        b = bytearray(2 * len(data))
        b[0::2] = data
        out += b


def read_path(path, token_bytes, out, depth=0):
    """Files and directories, recursively, entries sorted by strcmp of the full path, names that
    start with '.' skipped, only regular files inside directories (like read_path in C)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise EiwError("%s: %s" % (os.fsdecode(path), e.strerror))
    if not stat.S_ISDIR(st.st_mode):
        if depth > 0 and not stat.S_ISREG(st.st_mode):
            return
        read_file(path, token_bytes, out)
        return
    if depth > 32:
        raise EiwError("%s: directories nested too deeply" % os.fsdecode(path))
    names = sorted(path + b"/" + n for n in os.listdir(path) if not n.startswith(b"."))
    for n in names:
        read_path(n, token_bytes, out, depth + 1)


def load_tokens(paths, token_bytes):
    """Returns (uint16 LE bytes, token count) of the concatenation of paths."""
    buf = bytearray()
    for p in paths:
        read_path(os.fsencode(p), token_bytes, buf)
    return buf, len(buf) // 2


def tokens_tensor(buf, n, vocab, what):
    if n == 0:
        return torch.zeros(0, dtype=torch.int64)
    t = torch.frombuffer(buf, dtype=torch.int16).to(torch.int64) & 0xFFFF
    if int(t.max()) >= vocab:
        raise EiwError("%s: token out of vocabulary (>= %d)" % (what, vocab))
    return t


# ---------------------------------------------------------------- checkpoint (model/checkpoint.c)
def param_sizes(V, T, C, NH, L, Fd):
    return [V * C, L * C, L * 3 * C * C, L * C * C, L * C, L * Fd * C, L * C * Fd, C, V * C]


def read_checkpoint(path, need_state=True):
    """Validates like eiw_ckpt_read; returns (header dict, weights, m, v) as float32 CPU tensors
    (m and v zero for a weights-only checkpoint, which only need_state=False accepts)."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if len(data) < HEADER:
        raise EiwError("%s: %s" % (path, "checkpoint truncated" if data[:8] == MAGIC
                                   else "not an eiw checkpoint"))
    if data[:8] != MAGIC:
        raise EiwError("%s: not an eiw checkpoint" % path)
    ver, flags = struct.unpack_from("<II", data, 8)
    if ver != VERSION:
        raise EiwError("%s: unsupported checkpoint version %d" % (path, ver))
    if flags & ~FLAG_TRAIN_STATE:
        raise EiwError("%s: unknown flags" % path)
    h = {}
    h["V"], h["T"], h["C"], h["NH"], h["L"], h["F"] = struct.unpack_from("<6i", data, 16)
    (h["n_params"],) = struct.unpack_from("<Q", data, 40)
    h["batch"], h["K"] = struct.unpack_from("<ii", data, 48)
    h["steps"], h["warmup"] = struct.unpack_from("<qq", data, 56)
    (h["lr"], h["min_lr_frac"], h["weight_decay"], h["beta1"], h["beta2"], h["eps"],
     h["grad_clip"], h["patch_fraction"]) = struct.unpack_from("<8f", data, 72)
    (h["seed"],) = struct.unpack_from("<Q", data, 104)
    h["step"], h["epoch"] = struct.unpack_from("<qq", data, 112)
    h["cursor"], h["rng"], h["data_len"], h["data_hash"] = struct.unpack_from("<4Q", data, 128)
    (bos1,) = struct.unpack_from("<I", data, 160)
    h["bos"] = bos1 - 1
    V, C, NH, L, Fd = h["V"], h["C"], h["NH"], h["L"], h["F"]
    if (V < 2 or C < 1 or NH < 1 or NH > C or C % NH or L < 1 or Fd < 1 or h["T"] < 1 or
            h["n_params"] != sum(param_sizes(V, h["T"], C, NH, L, Fd))):
        raise EiwError("%s: invalid model fields" % path)
    if any(data[164:HEADER]) or h["bos"] < -1 or h["bos"] >= V:
        raise EiwError("%s: invalid header (reserved bytes or BOS)" % path)
    n = h["n_params"]
    copies = 3 if flags & FLAG_TRAIN_STATE else 1
    if len(data) != HEADER + copies * 4 * n + 8:
        raise EiwError("%s: checkpoint truncated (size does not match its header)" % path)
    if xxhash.xxh3_64_intdigest(memoryview(data)[:-8]) != struct.unpack_from("<Q", data, len(data) - 8)[0]:
        raise EiwError("%s: checkpoint corrupted (checksum mismatch)" % path)
    if not flags & FLAG_TRAIN_STATE:
        if need_state:
            raise EiwError("%s: checkpoint has no training state" % path)
        w = torch.frombuffer(data, dtype=torch.float32, offset=HEADER, count=n).clone()
        h["header"] = bytes(data[:HEADER])
        return h, w, torch.zeros_like(w), torch.zeros_like(w)
    if h["step"] < 0 or h["epoch"] < 0 or h["cursor"] > h["data_len"] or h["batch"] < 1 or h["K"] < 1:
        raise EiwError("%s: invalid training state" % path)
    vals = torch.frombuffer(data, dtype=torch.float32, offset=HEADER, count=3 * n).clone()
    h["header"] = bytes(data[:HEADER])
    return h, vals[:n].clone(), vals[n:2 * n].clone(), vals[2 * n:].clone()


def write_checkpoint(path, header, steps, step, epoch, cursor, params, m, v):
    """Atomic: PATH.tmp, fsync, rename. Header = the input's with steps/step/epoch/cursor updated."""
    n = params.numel()
    size = HEADER + 3 * 4 * n + 8
    buf = bytearray(size)
    buf[:HEADER] = header
    struct.pack_into("<q", buf, 56, steps)
    struct.pack_into("<qqQ", buf, 112, step, epoch, cursor)
    body = torch.frombuffer(buf, dtype=torch.float32, offset=HEADER, count=3 * n)
    body[:n].copy_(params.detach().reshape(-1))
    body[n:2 * n].copy_(m.reshape(-1))
    body[2 * n:].copy_(v.reshape(-1))
    del body
    struct.pack_into("<Q", buf, size - 8, xxhash.xxh3_64_intdigest(memoryview(buf)[:size - 8]))
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(buf)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- data order (model/train_data.c)
def rng_next(state):
    """splitmix64 (eiw_rng_next): returns (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def make_perm(seed, epoch, npages):
    st = (seed * 0x9E3779B97F4A7C15 + (epoch & M64) + 0xDA7A) & M64
    perm = list(range(npages))
    for i in range(npages, 1, -1):
        st, r = rng_next(st)
        j = r % i
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    return perm


class TrainData:
    """eiw_train_data for K = 1. The current epoch's page order is materialised on the device as
    one tensor (the virtual stream), so a batch is a few slices: no host/device sync per step."""

    def __init__(self, tok, seed, max_sample, device):
        n = tok.numel()
        self.n = n
        self.page = PAGE_TOKENS if n >= 64 * PAGE_TOKENS else n
        self.npages = n // self.page if self.page else 0
        self.total = self.npages * self.page
        if self.total < max_sample:
            raise EiwError("training data too short for one sample")
        self.seed = seed
        self.pages = tok[:self.total].view(self.npages, self.page).to(device)
        self.device = device
        self.epoch, self.cursor, self.stream = 0, 0, None

    def seek(self, epoch, cursor):
        self.epoch, self.cursor = epoch, cursor
        perm = torch.tensor(make_perm(self.seed, epoch, self.npages), dtype=torch.int64)
        self.stream = self.pages.index_select(0, perm.to(self.device)).view(-1)

    def next_batch(self, B, T, bos):
        """B samples like B calls of eiw_train_data_next(..., K=1, bos)."""
        rows = []
        b = 0
        while b < B:
            if self.cursor + T + 1 > self.total:
                self.seek(self.epoch + 1, 0)
            # samples that start at cursor, cursor+T, ... and still pass the length check
            k = min(B - b, (self.total - self.cursor - 1) // T)
            rows.append(self.stream[self.cursor:self.cursor + k * T + 1].unfold(0, T + 1, T))
            self.cursor += k * T
            b += k
        x = rows[0] if len(rows) == 1 else torch.cat(rows, 0)     # (B, T+1)
        if bos >= 0:
            tgt = x[:, :T]
            inp = torch.cat([torch.full((B, 1), bos, dtype=x.dtype, device=x.device), x[:, :T - 1]], 1)
        else:
            inp, tgt = x[:, :T], x[:, 1:]
        return inp.contiguous(), tgt.contiguous()


# ---------------------------------------------------------------- model (model/transformer.c)
class Model:
    """Weights live in one flat float32 buffer P (checkpoint order) and gradients in one flat
    buffer G: every weight matrix (per layer) is a leaf tensor viewing P whose .grad views G, so
    backward accumulates straight into G and AdamW and clipping run on flat buffers."""

    def __init__(self, h, params, device):
        self.V, self.T, self.C, self.NH, self.L, self.F = h["V"], h["T"], h["C"], h["NH"], h["L"], h["F"]
        self.sizes = param_sizes(self.V, self.T, self.C, self.NH, self.L, self.F)
        self.device = device
        self.P = params.to(device=device, dtype=torch.float32).clone()
        self.G = torch.zeros_like(self.P)
        V, C, L, Fd = self.V, self.C, self.L, self.F
        shapes = [(V, C), (C,), (3 * C, C), (C, C), (C,), (Fd, C), (C, Fd), (C,), (V, C)]
        per_layer = (False, True, True, True, True, True, True, False, False)
        self.w = []
        off = 0
        for s, shp, pl in zip(self.sizes, shapes, per_layer):
            n = L if pl else 1
            each = s // n
            ts = []
            for i in range(n):
                a = off + i * each
                t = self.P[a:a + each].view(shp).requires_grad_(True)
                t.grad = self.G[a:a + each].view(shp)
                ts.append(t)
            self.w.append(ts if pl else ts[0])
            off += s
        self.bias_T = 0
        self.bias = None

    def leaves(self):
        for t in self.w:
            for x in (t if isinstance(t, list) else [t]):
                yield x

    def views(self):
        return self.w

    def alibi(self, T):
        """(NH, T, T): -slope_h * (i - j) for j <= i, -inf above the diagonal (float32 like C)."""
        if self.bias is None or self.bias_T < T:
            slopes = torch.tensor([f32(2.0 ** (-8.0 * (h + 1) / self.NH)) for h in range(self.NH)],
                                  dtype=torch.float32)
            i = torch.arange(T, dtype=torch.float32)
            dist = i.view(T, 1) - i.view(1, T)
            b = -(slopes.view(-1, 1, 1) * dist.view(1, T, T))
            b = b.masked_fill(dist.view(1, T, T) < 0, float("-inf"))
            self.bias, self.bias_T = b.to(self.device), T
        return self.bias[:, :T, :T]

    @staticmethod
    def rms(x, w):
        C = x.shape[-1]
        r = 1.0 / torch.sqrt((x * x).sum(-1, keepdim=True) / C + RMS_EPS)
        return x * r * w

    def logits(self, inp):
        wte, ln1w, qkvw, attprojw, ln2w, fcw, fcprojw, lnfw, wlm = self.views()
        B, T = inp.shape
        C, NH = self.C, self.NH
        hs = C // NH
        scale = f32(1.0 / math.sqrt(hs))
        bias = self.alibi(T)
        x = F.embedding(inp, wte)
        for l in range(self.L):
            h = self.rms(x, ln1w[l])
            qkv = torch.matmul(h, qkvw[l].t())
            q, k, v = qkv.split(C, dim=-1)
            q = q.view(B, T, NH, hs).transpose(1, 2)
            k = k.view(B, T, NH, hs).transpose(1, 2)
            v = v.view(B, T, NH, hs).transpose(1, 2)
            s = torch.matmul(q * scale, k.transpose(-2, -1)) + bias
            a = torch.softmax(s, dim=-1)
            y = torch.matmul(a, v).transpose(1, 2).reshape(B, T, C)
            x = x + torch.matmul(y, attprojw[l].t())
            h = self.rms(x, ln2w[l])
            x = x + torch.matmul(torch.relu(torch.matmul(h, fcw[l].t())), fcprojw[l].t())
        return torch.matmul(self.rms(x, lnfw), wlm.t())

    def loss(self, inp, tgt, reduction="mean"):
        lg = self.logits(inp)
        return F.cross_entropy(lg.reshape(-1, self.V), tgt.reshape(-1), reduction=reduction)


# ---------------------------------------------------------------- trainer (model/trainer.c)
class Trainer:
    def __init__(self, h, params, m, v, steps, device):
        self.h = h
        self.steps = steps
        K = h["K"]
        self.s1 = int(math.floor(float(h["patch_fraction"]) * float(steps) / float(K))) if K > 1 else 0
        self.total = self.s1 + (steps - self.s1 * K)
        self.model = Model(h, params, device)
        self.m = m.to(device)
        self.v = v.to(device)
        self.step = h["step"]
        self.device = device
        wd = f32(h["weight_decay"])
        self.wdvec = torch.cat([torch.full((s,), wd if d else 0.0, dtype=torch.float32)
                                for s, d in zip(self.model.sizes, DECAY)]).to(device)

    def lr_at(self, step):
        o = self.h
        start = 0 if step < self.s1 else self.s1
        ln = self.s1 if step < self.s1 else self.total - self.s1
        i = step - start
        w = o["warmup"] if o["warmup"] < ln // 5 else ln // 5
        if i < w:
            return o["lr"] * float(i + 1) / float(w)
        prog = float(i - w) / float(ln - w - 1) if ln - w > 1 else 1.0
        if prog > 1.0:
            prog = 1.0
        mn = o["min_lr_frac"]
        return o["lr"] * (mn + (1.0 - mn) * 0.5 * (1.0 + math.cos(3.141592653589793 * prog)))

    def train_step(self, inp, tgt):
        """One eiw_trainer_step on a prepared batch; returns the mean loss (nats) as a tensor."""
        o = self.h
        if self.step == self.s1 and self.s1 > 0:   # token stage starts: fresh optimizer state
            self.m.zero_()
            self.v.zero_()
        P, G = self.model.P, self.model.G
        G.zero_()
        loss = self.model.loss(inp, tgt)
        loss.backward()
        with torch.no_grad():
            g = G
            if o["grad_clip"] > 0.0:
                norm = g.double().pow(2).sum().sqrt()
                clip = float(o["grad_clip"])
                # C: gscale = norm > clip ? (float)(clip / norm) : 1 -- no host sync here
                g = g * (clip / torch.clamp(norm, min=clip)).float()
            lr = f32(self.lr_at(self.step))
            t = self.step + 1 if self.step < self.s1 else self.step - self.s1 + 1
            b1, b2, eps = f32(o["beta1"]), f32(o["beta2"]), f32(o["eps"])
            bc1 = f32(1.0 - f32(b1 ** float(t)))
            bc2 = f32(1.0 - f32(b2 ** float(t)))
            # adamw.c: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
            #          p -= lr * (m/bc1 / (sqrt(v/bc2) + eps) + wd*p)
            self.m.mul_(b1).add_(g * f32(1.0 - b1))
            self.v.mul_(b2).add_(g * f32(1.0 - b2) * g)
            upd = (self.m / bc1).div_((self.v / bc2).sqrt_().add_(eps))
            upd.add_(P * self.wdvec)
            P.sub_(upd * lr)
        self.step += 1
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, val, max_tokens, batch):
        """eval_windows: windows [s, s+T] for s = 0, T, 2T, ...; full windows `batch` at a time,
        then a shorter last one. Returns bits per token."""
        n_val = val.numel()
        if n_val < 2:
            raise EiwError("validation data too short")
        T, bos = self.h["T"], self.h["bos"]
        avail = n_val - 1
        want = max_tokens if max_tokens and max_tokens < avail else avail
        nfull, rem = want // T, want % T
        total = torch.zeros((), dtype=torch.float64, device=self.device)

        def windows(s0, nb, Tw):
            x = val[s0:s0 + nb * Tw + 1]
            if bos >= 0:
                tgt = x[:nb * Tw].view(nb, Tw)
                inp = torch.cat([torch.full((nb, 1), bos, dtype=x.dtype, device=x.device),
                                 tgt[:, :Tw - 1]], 1)
            else:
                inp, tgt = x[:nb * Tw].view(nb, Tw), x[1:nb * Tw + 1].view(nb, Tw)
            return inp.contiguous(), tgt.contiguous()

        for w0 in range(0, nfull, batch):
            nb = min(batch, nfull - w0)
            inp, tgt = windows(w0 * T, nb, T)
            total += self.model.loss(inp, tgt, reduction="none").double().sum()
        if rem:
            inp, tgt = windows(nfull * T, 1, rem)
            total += self.model.loss(inp, tgt, reduction="none").double().sum()
        return float(total) / want / math.log(2.0), want

    def flops_per_step(self):
        h = self.h
        C, Fd, L, V, T = float(h["C"]), float(h["F"]), float(h["L"]), float(h["V"]), h["T"]
        dense = L * (4.0 * C * C + 2.0 * C * Fd) + C * V
        attn = L * 2.0 * C * (float(T) + 1.0) / 2.0
        return 3.0 * 2.0 * (dense + attn) * h["batch"] * T


def fmt_eta(s):
    if not (s >= 0.0) or s > 1e8:
        s = 0.0
    t = int(s)
    return "%dh%02dm%02ds" % (t // 3600, t // 60 % 60, t % 60)


def setup_device(name, threads):
    if threads > 0:
        torch.set_num_threads(threads)
    if name == "cuda":
        if not torch.cuda.is_available():
            raise EiwError("--device cuda: CUDA is not available")
        dev = torch.device("cuda")
    else:
        dev = torch.device("cpu")
    # float32 throughout: no TF32 in matmuls or cuDNN. torch >= 2.9 has fp32_precision; older
    # versions reject unknown attributes of torch.backends.cuda.matmul (AssertionError).
    try:
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cudnn.fp32_precision = "ieee"
    except Exception:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        if hasattr(torch, "set_float32_matmul_precision"):
            torch.set_float32_matmul_precision("highest")
    return dev


def main(argv=None):
    ap = argparse.ArgumentParser(description="Continue an eiw train run (token stage) with PyTorch.")
    ap.add_argument("--ckpt", required=True, help="eiw checkpoint to continue (format v1)")
    ap.add_argument("--out", help="checkpoint to write (periodically, on SIGINT/SIGTERM, at the end)")
    ap.add_argument("--data", nargs="+", default=[], help="training data, as given to eiw train")
    ap.add_argument("--val", nargs="+", default=[], help="validation data")
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    ap.add_argument("--steps", type=int, default=0, help="override the step budget (like eiw train --steps)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps of this run")
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--val-tokens", type=int, default=262144, help="0: all")
    ap.add_argument("--val-bytes", type=int, default=0)
    ap.add_argument("--token-bytes", type=int, choices=(0, 1, 2), default=0)
    ap.add_argument("--eval-batch", type=int, default=0, help="windows per eval forward (0: batch)")
    ap.add_argument("--loss-digits", type=int, default=4, help="decimals of the logged loss")
    ap.add_argument("--eval-only", action="store_true", help="only evaluate --ckpt on --val")
    a = ap.parse_args(argv)
    stop = {"sig": 0}

    def on_signal(sig, frame):   # checked between steps, like eiw train
        stop["sig"] = sig
    if not a.eval_only:
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
    if a.log_every < 1 or a.ckpt_every < 0 or a.eval_every < 0 or a.max_steps < 0 or a.steps < 0:
        raise EiwError("bad option value")
    if sys.byteorder != "little":
        raise EiwError("little-endian host required")
    dev = setup_device(a.device, a.threads)
    h, params, m, v = read_checkpoint(a.ckpt, need_state=not a.eval_only)
    steps = a.steps if a.steps > 0 else h["steps"]
    vbuf, nv = load_tokens(a.val, a.token_bytes)
    val = tokens_tensor(vbuf, nv, h["V"], a.val[0] if a.val else "val").to(dev)
    del vbuf
    tr = Trainer(h, params, m, v, steps, dev)
    eval_batch = a.eval_batch or h["batch"]

    def eval_line(prefix):
        bpt, counted = tr.evaluate(val, a.val_tokens, eval_batch)
        if a.token_bytes == 0:
            return "%s%.4f bits/token, %.4f bits/byte (%d tokens)" % (prefix, bpt, bpt, counted)
        if a.val_bytes > 0 and counted == nv - 1:
            return "%s%.4f bits/token, %.4f bits/byte (%d tokens)" % (
                prefix, bpt, bpt * counted / a.val_bytes, counted)
        return "%s%.4f bits/token (%d tokens)" % (prefix, bpt, counted)

    if a.eval_only:
        print(eval_line("%s: " % a.ckpt), flush=True)
        return 0
    if not a.data or not a.out:
        raise EiwError("--data and --out are required")

    tbuf, n = load_tokens(a.data, a.token_bytes)
    if n != h["data_len"] or xxhash.xxh3_64_intdigest(memoryview(tbuf)) != h["data_hash"]:
        raise EiwError("%s: training data differs from the checkpoint's (%d tokens, checkpoint %d)"
                       % (a.ckpt, n, h["data_len"]))
    tok = tokens_tensor(tbuf, n, h["V"], a.data[0])
    del tbuf
    if h["step"] < tr.s1:
        raise EiwError("%s: checkpoint is in the patch stage (step %d < %d patch steps, K=%d); "
                       "only the token stage is implemented: finish stage 1 with eiw train"
                       % (a.ckpt, h["step"], tr.s1, h["K"]))
    data = TrainData(tok, h["seed"], (h["K"] if tr.s1 > 0 else 1) * (h["T"] + 1), dev)
    del tok
    if tr.step > tr.total or h["cursor"] > data.total:
        raise EiwError("%s: step or cursor outside the run" % a.ckpt)
    data.seek(h["epoch"], h["cursor"])
    B, T, bos = h["batch"], h["T"], h["bos"]
    fstep = tr.flops_per_step()

    def save():
        write_checkpoint(a.out, h["header"], steps, tr.step, data.epoch, data.cursor,
                         tr.model.P.cpu(), tr.m.cpu(), tr.v.cpu())

    log = sys.stderr
    print("train_m1_gpu: resume V=%d T=%d C=%d H=%d L=%d F=%d | %d params | torch %s on %s%s\n"
          "  data %d tokens, val %d tokens | batch %d | %.3g GFLOP/step | step %d/%d, epoch %d, "
          "cursor %d" % (h["V"], T, h["C"], h["NH"], h["L"], h["F"], h["n_params"],
                         torch.__version__, dev,
                         " (%s)" % torch.cuda.get_device_name(0) if dev.type == "cuda" else "",
                         n, nv, B, fstep * 1e-9, tr.step, tr.total, data.epoch, data.cursor),
          file=log, flush=True)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.time()
    tlog, t_eval = t0, 0.0
    step0 = steplog = tr.step
    ran = 0
    while tr.step < tr.total and not (a.max_steps and ran >= a.max_steps):
        if stop["sig"]:
            save()
            print("train_m1_gpu: interrupted at step %d; checkpoint written to %s"
                  % (tr.step, a.out), file=log, flush=True)
            return 130
        inp, tgt = data.next_batch(B, T, bos)
        loss = tr.train_step(inp, tgt)
        ran += 1
        done = tr.step >= tr.total
        if tr.step % a.log_every == 0 or done:
            lv = float(loss)        # syncs with the device
            lr = tr.lr_at(tr.step) if not done else 0.0   # eiw_trainer_info: the next step's
            t = time.time()
            dt = max(t - tlog, 1e-9)
            per = dt / (tr.step - steplog)
            print("step %d/%d s2 loss %.*f bits lr %.2e | %.0f tok/s | %.1f GFLOP/s | %.1f ms/step | "
                  "ETA %s" % (tr.step, tr.total, a.loss_digits, lv / math.log(2.0), lr,
                              (tr.step - steplog) * B * T / dt, (tr.step - steplog) * fstep / dt * 1e-9,
                              per * 1e3, fmt_eta(per * (tr.total - tr.step))), file=log, flush=True)
            tlog, steplog = t, tr.step
        if a.eval_every and nv > 1 and tr.step % a.eval_every == 0 and not done:
            sync()
            te = time.time()
            print(eval_line("val step %d: " % tr.step), file=log, flush=True)
            tlog = time.time()
            t_eval += tlog - te
        if a.ckpt_every and tr.step % a.ckpt_every == 0 and not done:
            save()
    sync()
    t_train = time.time() - t0 - t_eval
    if nv > 1:
        print(eval_line("val step %d: " % tr.step), file=log, flush=True)
    save()
    print("train_m1_gpu: %s, %d steps in %.1f s (%.1f s training, %.2f ms/step); step %d/%d, "
          "epoch %d, cursor %d; checkpoint %s"
          % ("done" if tr.step >= tr.total else "stopped", tr.step - step0, time.time() - t0, t_train,
             1e3 * t_train / max(tr.step - step0, 1), tr.step, tr.total, data.epoch, data.cursor,
             a.out), file=log, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EiwError as e:
        print("train_m1_gpu: %s" % e, file=sys.stderr)
        sys.exit(1)
