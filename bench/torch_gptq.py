"""PyTorch (CPU) GPTQ peer timing for bench/gptq.bench.ts.

Usage: python3 bench/torch_gptq.py '{"n": 4096, "k": 4096, "act_order": true}'
Threads: torch.set_num_threads(THREADS env, default 1).

A PyTorch transcription of the GPTQ algorithm as the reference implementation runs it on CPU
(Frantar et al. 2022, Algorithm 1 with lazy batch updates of 128 columns; int4, asymmetric min-max
grid per group of 128 columns, groups consecutive in quantized order; act-order by decreasing
diag(H); damping 1% of the mean diagonal; the inverse Hessian's upper Cholesky factor), written for
this comparison from the paper: the same operations, in torch, f32. Packing into the int32 layout is
not timed (the reference packs in a separate step). The operands follow bench/harness.ts's recipe
(uniform [-1, 1) weights; SPD H = G G^T / r + I, r = k / 4). Before timing, the result is checked:
its output error tr(D H D^T), D = W - Q, must be below round-to-nearest's with the same grid.
Prints one JSON line {"medianMs", "samples", "phases": {"inverse", "loop"}} (ms).
Not a general GPTQ tool.
"""
import json
import os
import sys
import time

import torch

BITS, GROUP, BLOCK, DAMP = 4, 128, 128, 0.01
MAXQ = 2**BITS - 1


def grid(x):
    """Asymmetric min-max scale and zero per row of x [n, g] (zero included in the range)."""
    lo = torch.clamp(x.min(dim=1).values, max=0)
    hi = torch.clamp(x.max(dim=1).values, min=0)
    flat = (lo == 0) & (hi == 0)
    lo[flat], hi[flat] = -1, 1
    scale = (hi - lo) / MAXQ
    zero = torch.round(-lo / scale)
    return scale, zero


def fake_quant(x, scale, zero):
    q = torch.clamp(torch.round(x / scale) + zero, 0, MAXQ)
    return scale * (q - zero)


def rtn(w):
    out = torch.empty_like(w)
    for g in range(0, w.shape[1], GROUP):
        s, z = grid(w[:, g:g + GROUP])
        out[:, g:g + GROUP] = fake_quant(w[:, g:g + GROUP], s[:, None], z[:, None])
    return out


def gptq(w, h, act_order):
    """Returns the dequantized weight in the original column order and the phase times (ms)."""
    t0 = time.perf_counter()
    w = w.clone()
    h = h.clone()
    k = w.shape[1]
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    perm = None
    if act_order:
        perm = torch.argsort(torch.diag(h), descending=True)
        w = w[:, perm]
        h = h[perm][:, perm]
    idx = torch.arange(k)
    h[idx, idx] += DAMP * torch.mean(torch.diag(h))
    u = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    t1 = time.perf_counter()
    q = torch.zeros_like(w)
    for i1 in range(0, k, BLOCK):
        i2 = min(i1 + BLOCK, k)
        w1 = w[:, i1:i2].clone()
        q1 = torch.zeros_like(w1)
        e1 = torch.zeros_like(w1)
        u1 = u[i1:i2, i1:i2]
        for i in range(i2 - i1):
            if (i1 + i) % GROUP == 0:
                scale, zero = grid(torch.cat([w1[:, i:], w[:, i2:i1 + i + GROUP]], dim=1))
            col = w1[:, i]
            qc = fake_quant(col, scale, zero)
            q1[:, i] = qc
            err = (col - qc) / u1[i, i]
            w1[:, i:] -= err[:, None] @ u1[i:i + 1, i:]
            e1[:, i] = err
        q[:, i1:i2] = q1
        w[:, i2:] -= e1 @ u[i1:i2, i2:]
    if perm is not None:
        q = q[:, torch.argsort(perm)]
    t2 = time.perf_counter()
    return q, {"inverse": (t1 - t0) * 1e3, "loop": (t2 - t1) * 1e3}


def output_error(w, q, h):
    d = (w - q).double()
    return float(torch.sum((d @ h.double()) * d))


def main():
    args = json.loads(sys.argv[1])
    n, k, act_order = int(args["n"]), int(args["k"]), bool(args.get("act_order", False))
    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    gen = torch.Generator().manual_seed(51)
    w = torch.rand((n, k), generator=gen) * 2 - 1
    r = max(8, k // 4)
    g = torch.rand((k, r), generator=gen) * 2 - 1
    h = (g @ g.T / r + torch.eye(k)).float()
    q, _ = gptq(w, h, act_order)
    e_gptq, e_rtn = output_error(w, q, h), output_error(w, rtn(w), h)
    if not e_gptq < e_rtn:
        print(f"torch gptq output error {e_gptq:.4e} is not below RTN's {e_rtn:.4e}", file=sys.stderr)
        sys.exit(1)
    times, phases = [], None
    for _ in range(int(args.get("iterations", 1))):
        t = time.perf_counter()
        _, phases = gptq(w, h, act_order)
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    print(json.dumps({"medianMs": times[len(times) // 2], "samples": len(times), "phases": phases}))


if __name__ == "__main__":
    main()
