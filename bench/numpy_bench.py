"""numpy / scipy (OpenBLAS) peer timings for bench/peers.ts `numpyCase`.

Usage: python3 bench/numpy_bench.py '{"kernel": "cholesky", "n": 1024, "dtype": "f32"}'
Threads come from OPENBLAS_NUM_THREADS (set by the caller). The operands follow the same recipe as
bench/harness.ts (uniform [-1, 1) entries; SPD = G G^T / r + I with r = n / 4), the result is
checked (residual or sampled f64 dot products) before timing, and one JSON line is printed:
{"medianMs": ..., "samples": ...}. A wrong result exits with status 1 and a message on stderr.
Not a general benchmark tool.
"""
import json
import sys
import time

import numpy as np

BUDGET_S = 1.5
MIN_ITER, MAX_ITER = 3, 200
LONG_S = 3.0  # a call longer than this is timed twice only (as bench/harness.ts)


def dt(name):
    return {"f32": np.float32, "f64": np.float64}[name]


def spd(n, dtype, rng):
    r = max(8, n // 4)
    g = rng.uniform(-1, 1, size=(n, r)).astype(np.float32).astype(np.float64)
    return (g @ g.T / r + np.eye(n)).astype(dtype)


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def case(args):
    rng = np.random.default_rng(1)
    k = args["kernel"]
    d = dt(args.get("dtype", "f32"))
    tol = 1e-3 if d == np.float32 else 1e-9
    if k == "cholesky":
        a = spd(args["n"], d, rng)
        fn = lambda: np.linalg.cholesky(a)
        def check(l):
            idx = rng.integers(0, a.shape[0], 16)
            back = l[idx].astype(np.float64) @ l.T.astype(np.float64)
            e = rel(back, a[idx].astype(np.float64))
            if e > tol:
                fail(f"cholesky residual {e}")
    elif k == "spd_inverse":
        a = spd(args["n"], d, rng)
        if args.get("impl") == "potri":
            from scipy.linalg import lapack
            potrf, potri = (lapack.spotrf, lapack.spotri) if d == np.float32 else (lapack.dpotrf, lapack.dpotri)
            def fn():
                c, info = potrf(a, lower=1)
                x, info2 = potri(c, lower=1)
                if info or info2:
                    fail(f"potrf/potri info {info} {info2}")
                return x  # lower triangle holds the inverse
            sym = True
        else:
            fn = lambda: np.linalg.inv(a)
            sym = False
        def check(x):
            if sym:
                x = np.tril(x) + np.tril(x, -1).T
            idx = rng.integers(0, a.shape[0], 16)
            e = rel(x[idx].astype(np.float64) @ a.astype(np.float64), np.eye(a.shape[0])[idx])
            if e > 1e-2 if d == np.float32 else e > 1e-8:
                fail(f"spd inverse residual {e}")
    elif k == "gram":
        x = rng.uniform(-1, 1, size=(args["rows"], args["cols"])).astype(d)
        fn = lambda: x.T @ x
        def check(h):
            idx = rng.integers(0, x.shape[1], 16)
            want = x[:, idx].T.astype(np.float64) @ x.astype(np.float64)
            e = rel(h[idx].astype(np.float64), want)
            if e > tol:
                fail(f"gram error {e}")
    elif k == "gemm":
        a = rng.uniform(-1, 1, size=(args["m"], args["k"])).astype(d)
        b = rng.uniform(-1, 1, size=(args["k"], args["n"])).astype(d)
        fn = lambda: a @ b
        def check(c):
            idx = rng.integers(0, a.shape[0], 8)
            e = rel(c[idx].astype(np.float64), a[idx].astype(np.float64) @ b.astype(np.float64))
            if e > tol:
                fail(f"gemm error {e}")
    else:
        fail(f"unknown kernel {k}")
    check(fn())
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    iters = 2 if first > LONG_S else min(MAX_ITER, max(MIN_ITER, int(BUDGET_S / max(first, 1e-6)) + 1))
    if args.get("iterations"):
        iters = int(args["iterations"])
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"medianMs": float(np.median(times)) * 1e3, "samples": iters}))


if __name__ == "__main__":
    case(json.loads(sys.argv[1]))
