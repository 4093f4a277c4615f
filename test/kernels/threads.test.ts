/**
 * Worker threads over the shared memory: bit-identical results for 1, 2 and 3 threads on odd
 * shapes (GEMM split by rows and by columns, GEMV on its three paths, SYRK by row ranges), that the
 * work really went to workers, the generic `parallelRows` contract, errors raised in a worker,
 * memory growth, workers not rewriting the module's static data, and a process with live workers
 * exiting on its own. No timing assertions (the benchmark suite measures speedups).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { wasmRuntime } from '../../src/kernels/backend.js';
import type { Ref } from '../../src/kernels/ref.js';
import { kernel } from '../../src/kernels/table.js';
import {
  MIN_WORK_PER_THREAD,
  RANGES_PER_THREAD,
  getThreads,
  parallelRows,
  runParallel,
  setThreads,
  splitRange,
  threadStats,
} from '../../src/kernels/threads.js';
import { partitionByWeight } from '../../src/kernels/threads/linalg.js';
import { passiveDataBinary } from '../../src/kernels/threads/passive-data.js';
import { WorkerPool } from '../../src/kernels/threads/pool.js';
import type { Spawner } from '../../src/kernels/threads/spawn.js';
import { WORKER_SOURCE } from '../../src/kernels/threads/worker-source.js';
import { Worker } from 'node:worker_threads';
import { prepareBinary } from '../../src/kernels/wasm/module.js';
import { matmul } from '../../src/ops/matmul.js';
import { syrk } from '../../src/ops/linalg.js';
import { tensor } from '../../src/tensor.js';
import { randArray, readRef, refIn, rng, type FloatCtor } from './helpers.js';

afterAll(() => setThreads(1));

const bytesOf = (r: Ref, ctor: FloatCtor, n: number): Uint8Array => {
  const a = readRef(r, ctor, n);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
};

type Case = { name: string; run: () => Uint8Array };

/** M M^T / n + I for a random M: symmetric positive definite and well conditioned. */
function spdMatrix<C extends FloatCtor>(ctor: C, n: number, next: () => number): InstanceType<C> {
  const m = randArray(Float64Array, n * n, next);
  const a = new ctor(n * n) as InstanceType<C>;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

/** Kernel calls on odd shapes; each returns the raw bytes of its output. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const ctor of [Float32Array, Float64Array] as const) {
    const t = ctor === Float32Array ? 'f32' : 'f64';
    const next = rng(ctor === Float32Array ? 1 : 2);
    const gemm = (m: number, n: number, k: number, transA: boolean, beta: number): Case => {
      const a = refIn(randArray(ctor, m * k, next), 'wasm', 3);
      const b = refIn(randArray(ctor, k * n, next), 'wasm', 1);
      const c0 = randArray(ctor, m * n, next);
      return {
        name: `gemm_${t} ${m}x${n}x${k} transA=${transA} beta=${beta}`,
        run: () => {
          const c = refIn(c0, 'wasm');
          kernel(`gemm_${t}`)({
            m, n, k, alpha: 0.75, a, rsa: transA ? 1 : k, csa: transA ? m : 1, b, rsb: n, csb: 1, beta, c, rsc: n, csc: 1,
          });
          return bytesOf(c, ctor, m * n);
        },
      };
    };
    out.push(gemm(131, 67, 259, false, 0), gemm(131, 67, 259, true, 0.5), gemm(7, 2053, 301, false, 1), gemm(301, 11, 1030, true, 0));
    const gemv = (m: number, n: number, mode: 'rows' | 'cols' | 'strided', beta: number): Case => {
      const a = refIn(randArray(ctor, m * n * 2, next), 'wasm');
      const x = refIn(randArray(ctor, n * 2, next), 'wasm');
      const y0 = randArray(ctor, m * 2, next);
      const [rsa, csa] = mode === 'rows' ? [n, 1] : mode === 'cols' ? [1, m] : [2 * n, 2];
      const [incx, incy] = mode === 'strided' ? [2, 2] : [1, 1];
      return {
        name: `gemv_${t} ${m}x${n} ${mode} beta=${beta}`,
        run: () => {
          const y = refIn(y0, 'wasm');
          kernel(`gemv_${t}`)({ m, n, alpha: 1.25, a, rsa, csa, x, incx, beta, y, incy });
          return bytesOf(y, ctor, m * 2);
        },
      };
    };
    out.push(gemv(1543, 1031, 'rows', 0), gemv(1543, 1031, 'cols', 0.5), gemv(1027, 517, 'strided', 1));
    const syrkCase = (n: number, k: number, trans: boolean, beta: number): Case => {
      const a = refIn(randArray(ctor, n * k, next), 'wasm');
      const c0 = randArray(ctor, n * n, next);
      return {
        name: `syrk_${t} n=${n} k=${k} trans=${trans} beta=${beta}`,
        run: () => {
          const c = refIn(c0, 'wasm');
          kernel(`syrk_${t}`)({ n, k, alpha: 0.5, a, rsa: trans ? 1 : k, csa: trans ? n : 1, beta, c, rsc: n, csc: 1 });
          return bytesOf(c, ctor, n * n);
        },
      };
    };
    // k > 512 crosses syrk's packed depth (KS): every element then sums two slices into C.
    out.push(syrkCase(389, 600, false, 0.25), syrkCase(300, 37, true, 0), syrkCase(515, 7, false, 1));
    // Factorizations on n crossing the NB = 128 blocks: SPD A = M M^T / n + I (and a non-SPD one).
    const n = 300;
    const spd = spdMatrix(ctor, n, next);
    const tri = randArray(ctor, n * n, next).map((v, i) => (i % (n + 1) === 0 ? 2 + v : v / 8)) as typeof spd;
    const chol = (upper: boolean, transposed: boolean, data: typeof spd): Case => ({
      name: `cholesky_${t} n=${n} upper=${upper} transposed=${transposed}${data === spd ? '' : ' (not SPD)'}`,
      run: () => {
        const a = refIn(data, 'wasm');
        const info = kernel(`cholesky_${t}`)({ n, a, rsa: transposed ? 1 : n, csa: transposed ? n : 1, upper });
        return Uint8Array.from([info & 255, info >> 8, ...bytesOf(a, ctor, n * n)]);
      },
    });
    const notSpd = spd.slice() as typeof spd;
    notSpd[200 * n + 200] = -1; // leading minor 201 fails (in the second block column)
    out.push(chol(false, false, spd), chol(true, false, spd), chol(false, true, spd), chol(false, false, notSpd));
    const triInv = (upper: boolean, unit: boolean): Case => ({
      name: `tri_inv_${t} n=${n} upper=${upper} unit=${unit}`,
      run: () => {
        const x = refIn(new ctor(n * n).fill(NaN), 'wasm');
        kernel(`tri_inv_${t}`)({ n, t: refIn(tri, 'wasm'), rst: n, cst: 1, upper, unit, x, rsx: n, csx: 1 });
        return bytesOf(x, ctor, n * n);
      },
    });
    out.push(triInv(false, false), triInv(true, true));
    const trsm = (side: 'left' | 'right', upper: boolean, trans: boolean, csb1: boolean): Case => {
      const [m, nn] = side === 'left' ? [n, 257] : [257, n];
      const b0 = randArray(ctor, m * nn, next);
      return {
        name: `trsm_${t} ${side} upper=${upper} trans=${trans} ${m}x${nn} ${csb1 ? 'row-major' : 'column-major'} B`,
        run: () => {
          const bb = refIn(b0, 'wasm');
          kernel(`trsm_${t}`)({
            side, upper, trans, unit: false, m, n: nn, alpha: 0.5, t: refIn(tri, 'wasm'), rst: n, cst: 1,
            b: bb, rsb: csb1 ? nn : 1, csb: csb1 ? 1 : m,
          });
          return bytesOf(bb, ctor, m * nn);
        },
      };
    };
    out.push(trsm('left', false, false, true), trsm('left', true, true, false), trsm('right', false, true, true), trsm('right', true, false, false));
    out.push({
      name: `cholesky_inverse_${t} n=${n}`,
      run: () => {
        const a = refIn(spd, 'wasm');
        const info = kernel(`cholesky_inverse_${t}`)({ n, a, rsa: n, csa: 1 });
        return Uint8Array.from([info, ...bytesOf(a, ctor, n * n)]);
      },
    });
  }
  return out;
}

describe('threads', () => {
  it('setThreads validates n and reports the threads in use', () => {
    expect(() => setThreads(0)).toThrow(ValueError);
    expect(() => setThreads(1.5)).toThrow(ValueError);
    expect(() => setThreads(1000)).toThrow(/\[1, 256\]/);
    expect(setThreads(2)).toBe(2);
    expect(getThreads()).toBe(2);
    expect(setThreads(3)).toBe(3);
    runParallel([[], [{ fn: 'heap_base', args: [] }]]);
    expect(setThreads(3)).toBe(3); // the same pool keeps running
    expect(threadStats().dispatches).toBe(1);
    expect(setThreads(1)).toBe(1);
    expect(getThreads()).toBe(1);
    expect(threadStats()).toEqual({ threads: 1, dispatches: 0, workerItems: 0 });
  });

  it('gemm, gemv, syrk, cholesky, trsm, tri_inv and cholesky_inverse are bit-identical on 1, 2 and 3 threads, and 2 and 3 threads use workers', () => {
    const all = cases();
    setThreads(1);
    const want = all.map((c) => c.run());
    const failing = want[all.findIndex((c) => c.name.includes('not SPD'))];
    expect(failing[0] + failing[1] * 256).toBe(201);
    for (const n of [2, 3]) {
      expect(setThreads(n)).toBe(n);
      for (let i = 0; i < all.length; i++) {
        const before = threadStats().dispatches;
        const got = all[i].run();
        expect(threadStats().dispatches, `${all[i].name} on ${n} threads was dispatched to workers`).toBeGreaterThan(before);
        expect(Buffer.compare(got, want[i]), `${all[i].name} on ${n} threads`).toBe(0);
      }
    }
    setThreads(1);
  });

  it('the matmul and syrk ops give the same bytes with and without threads', () => {
    const next = rng(9);
    const a = tensor(randArray(Float32Array, 3 * 97 * 211, next), [3, 97, 211]);
    const b = tensor(randArray(Float32Array, 211 * 173, next), [211, 173]);
    const x = tensor(randArray(Float64Array, 401 * 263, next), [401, 263], 'f64');
    const w = tensor(randArray(Float32Array, 1400 * 400, next), [1400, 400]);
    const v = tensor(randArray(Float32Array, 1400, next), [1400]);
    setThreads(1);
    const m1 = matmul(a, b).data() as Float32Array;
    const v1 = matmul(v, w).data() as Float32Array;
    const h1 = syrk(x).data() as Float64Array;
    setThreads(2);
    expect(Array.from(matmul(a, b).data() as Float32Array)).toEqual(Array.from(m1));
    expect(Array.from(matmul(v, w).data() as Float32Array)).toEqual(Array.from(v1));
    expect(Array.from(syrk(x).data() as Float64Array)).toEqual(Array.from(h1));
    expect(threadStats().dispatches).toBeGreaterThanOrEqual(3);
    setThreads(1);
  });

  it('syrk_rows: any row split (unaligned, single rows, empty) gives the bytes of one syrk call and writes only its rows', () => {
    const rt = wasmRuntime();
    const ex = rt.exports;
    const next = rng(17);
    // n crosses the micro-tile (4 x 8) and MC = 128 boundaries; k = 600 crosses the packed depth.
    for (const [t, n, k, trans, beta] of [['f32', 203, 600, true, 0], ['f64', 141, 37, false, 0.5], ['f32', 1, 3, false, 1]] as const) {
      const ctor = t === 'f32' ? Float32Array : Float64Array;
      const bpe = ctor.BYTES_PER_ELEMENT;
      const scratch = rt.heap.alloc(t === 'f32' ? ex.linalg_scratch_f32(Math.max(n, k)) : ex.linalg_scratch_f64(Math.max(n, k)));
      const a = rt.heap.alloc(n * k * bpe);
      const c = rt.heap.alloc(n * n * bpe);
      const view = (p: number, len: number) => new ctor(rt.memory.buffer, p, len);
      view(a, n * k).set(randArray(ctor, n * k, next));
      const c0 = randArray(ctor, n * n, next);
      const [rsa, csa] = trans ? [1, n] : [k, 1];
      const full = t === 'f32' ? ex.syrk_f32 : ex.syrk_f64;
      const rows = t === 'f32' ? ex.syrk_rows_f32 : ex.syrk_rows_f64;
      view(c, n * n).set(c0);
      full(n, k, 0.75, a, rsa, csa, beta, c, n, 1, scratch);
      const want = Array.from(view(c, n * n));
      const cuts = [0, Math.min(3, n), Math.min(4, n), Math.floor(n / 3), Math.floor(n / 3) + 1, Math.min(n, 130), n].sort((x, y) => x - y);
      for (const mirror of [0, 1]) {
        view(c, n * n).set(c0);
        for (let i = 1; i < cuts.length; i++) {
          const [r0, r1] = [cuts[i - 1], cuts[i]];
          const before = Array.from(view(c, n * n));
          rows(n, k, r0, r1, 0.75, a, rsa, csa, beta, c, n, 1, mirror, scratch);
          const after = view(c, n * n);
          // Outside rows [r0, r1) of the lower triangle (and, mirroring, columns [r0, r1) above it) nothing changes.
          for (let r = 0; r < n; r++) {
            for (let j = 0; j < n; j++) {
              const mine = (r >= r0 && r < r1 && j <= r) || (mirror === 1 && j >= r0 && j < r1 && r < j);
              if (!mine) expect(after[r * n + j], `${t} n=${n} rows [${r0}, ${r1}) wrote (${r}, ${j})`).toBe(before[r * n + j]);
            }
          }
        }
        const got = view(c, n * n);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < n; j++) {
            // Without the mirror the upper triangle keeps C's old values.
            const w = mirror === 1 || j <= r ? want[r * n + j] : c0[r * n + j];
            if (!Object.is(got[r * n + j], w)) expect(got[r * n + j], `${t} n=${n} (${r}, ${j}) mirror=${mirror}`).toBe(w);
          }
        }
      }
      for (const p of [scratch, a, c]) rt.heap.free(p);
    }
  });

  it('partitionByWeight: contiguous non-empty groups covering every item, balanced by weight', () => {
    expect(partitionByWeight([1, 1, 1, 3], 2)).toEqual([[0, 3], [3, 4]]);
    expect(partitionByWeight([5], 4)).toEqual([[0, 1]]);
    const w = Array.from({ length: 12 }, (_, r) => r + 0.5); // syrk block rows: row r costs ~ r + 1/2
    const g = partitionByWeight(w, 3);
    expect(g[0][0]).toBe(0);
    expect(g[g.length - 1][1]).toBe(12);
    for (let i = 1; i < g.length; i++) expect(g[i][0]).toBe(g[i - 1][1]);
    const sums = g.map(([a, b]) => w.slice(a, b).reduce((x, y) => x + y, 0));
    expect(Math.max(...sums) / Math.min(...sums)).toBeLessThan(1.5);
  });

  it('splitRange: disjoint, covering, aligned ranges of nearly equal size', () => {
    expect(splitRange(10, 3, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(splitRange(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(splitRange(3, 8, 4)).toEqual([[0, 3]]);
    expect(splitRange(0, 4)).toEqual([]);
    for (const [total, parts, align] of [[1031, 3, 4], [17, 2, 8], [100, 7, 1], [5, 5, 1]]) {
      const r = splitRange(total, parts, align);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(total);
      for (let i = 0; i < r.length; i++) {
        expect(r[i][1]).toBeGreaterThan(r[i][0]);
        if (i > 0) expect(r[i][0]).toBe(r[i - 1][1]);
        if (i < r.length - 1) expect(r[i][1] % align).toBe(0);
      }
    }
  });

  it('parallelRows runs argsFor once per range on the calling thread, then every range', () => {
    setThreads(3);
    const m = 1001;
    const n = 300;
    const next = rng(4);
    const aData = randArray(Float32Array, m * n, next);
    const xData = randArray(Float32Array, n, next);
    const a = refIn(aData, 'wasm');
    const x = refIn(xData, 'wasm');
    const y = refIn(new Float32Array(m).fill(NaN), 'wasm');
    const ap = a.storage.ptr;
    const xp = x.storage.ptr;
    const yp = y.storage.ptr;
    const ranges: [number, number][] = [];
    parallelRows('gemv_f32', m, (r0, r1) => {
      ranges.push([r0, r1]);
      return [r1 - r0, n, 1, ap + r0 * n * 4, n, 1, xp, 1, 0, yp + r0 * 4, 1];
    }, { align: 4 });
    expect(ranges.length).toBe(3 * RANGES_PER_THREAD);
    expect(ranges[0][0]).toBe(0);
    expect(ranges[ranges.length - 1][1]).toBe(m);
    expect(ranges.every((r) => r[0] % 4 === 0)).toBe(true);
    const got = readRef(y, Float32Array, m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += aData[i * n + j] * xData[j];
      expect(Math.abs(got[i] - s)).toBeLessThan(1e-3);
    }
    // Below the work threshold everything stays on the calling thread: one range.
    const few: [number, number][] = [];
    parallelRows('gemv_f32', 8, (r0, r1) => {
      few.push([r0, r1]);
      return [r1 - r0, n, 1, ap, n, 1, xp, 1, 0, yp, 1];
    }, { minRowsPerThread: MIN_WORK_PER_THREAD / n });
    expect(few).toEqual([[0, 8]]);
    setThreads(1);
  });

  it('a trap in a worker is reported after all threads finished, and the pool keeps working', () => {
    setThreads(2);
    const ok = refIn(new Float32Array(16), 'wasm');
    // A pointer far beyond the memory: the worker's gemv traps (memory access out of bounds).
    const bad = [{ fn: 'gemv_f32' as const, args: [4, 4, 1, 0xfffff000, 4, 1, ok.storage.ptr, 1, 0, ok.storage.ptr, 1] }];
    const fine = [{ fn: 'heap_base' as const, args: [] }];
    // The bad item runs on whichever thread claims it: a worker reports it as `kernel worker w failed`.
    expect(() => runParallel([fine, bad])).toThrow(/out of bounds/);
    expect(() => runParallel([fine, fine, bad, fine])).toThrow(/out of bounds/);
    expect(() => runParallel([bad, fine])).toThrow(/out of bounds/);
    const all = cases();
    const c = all[0].run();
    setThreads(1);
    expect(Buffer.compare(all[0].run(), c)).toBe(0);
  });

  it('workers see memory grown after they started', () => {
    setThreads(2);
    const rt = wasmRuntime();
    const before = rt.memory.buffer.byteLength;
    const m = 1024;
    const n = 1024;
    const next = rng(5);
    const aData = randArray(Float32Array, m * n, next);
    // Allocate past the current size: the memory grows and the operands land above the old end.
    const pad = rt.heap.alloc(before);
    const a = refIn(aData, 'wasm');
    const x = refIn(randArray(Float32Array, n, next), 'wasm');
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(a.storage.ptr + m * n * 4).toBeGreaterThan(before);
    const run = (): Uint8Array => {
      const y = refIn(new Float32Array(m), 'wasm');
      kernel('gemv_f32')({ m, n, alpha: 1, a, rsa: n, csa: 1, x, incx: 1, beta: 0, y, incy: 1 });
      return bytesOf(y, Float32Array, m);
    };
    const dispatches = threadStats().dispatches;
    const two = run();
    expect(threadStats().dispatches).toBeGreaterThan(dispatches);
    setThreads(1);
    expect(Buffer.compare(run(), two)).toBe(0);
    rt.heap.free(pad);
  });

  it('instantiating a worker leaves live memory alone (active data segments become passive)', () => {
    // A module importing a shared memory, with two active segments: 4 bytes at 16, and 2 bytes at
    // 11, whose offset `i32.const 11` is the byte 0x0b, the same as the end opcode.
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01,
      0x0b, 0x11, 0x02, 0x00, 0x41, 0x10, 0x0b, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x41, 0x0b, 0x0b, 0x02, 0x07, 0x08,
    ]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    const view = new Uint8Array(memory.buffer);
    new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    expect(Array.from(view.subarray(11, 20))).toEqual([7, 8, 0, 0, 0, 1, 2, 3, 4]);
    view.fill(9, 0, 32); // live data changed since
    const passive = passiveDataBinary(bytes);
    expect(WebAssembly.validate(passive as BufferSource)).toBe(true);
    new WebAssembly.Instance(new WebAssembly.Module(passive as BufferSource), { env: { memory } });
    expect(Array.from(view.subarray(0, 32))).toEqual(new Array(32).fill(9));
    // The original binary would have rewritten them: the conversion is what protects live data.
    new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    expect(Array.from(view.subarray(16, 20))).toEqual([1, 2, 3, 4]);
    // The kernel module converts and still compiles; without a data section it is returned as is.
    const real = prepareBinary(true).bytes;
    expect(WebAssembly.validate(passiveDataBinary(real) as BufferSource)).toBe(true);
    const noData = bytes.subarray(0, 26);
    expect(passiveDataBinary(noData)).toBe(noData);
  });

  it('the static data of the kernel module survives workers starting', () => {
    const rt = wasmRuntime();
    const top = rt.exports.heap_base();
    const view = new Uint8Array(rt.memory.buffer, 0, top);
    const saved = view.slice();
    try {
      view.fill(0xa5);
      setThreads(3);
      expect(getThreads()).toBe(3);
      expect(new Uint8Array(rt.memory.buffer, 0, top).every((b) => b === 0xa5)).toBe(true);
    } finally {
      new Uint8Array(rt.memory.buffer, 0, top).set(saved);
      setThreads(1);
    }
  });

  it('the browser path: init by message, module compiled in the worker, spinning join (Node shim of the Web Worker API)', async () => {
    // The worker program sees no `require` and a `self` whose onmessage receives the init, as in a
    // browser Worker; the pool gets bytes (not a module) and may not block, as on a page's main thread.
    const shim =
      `const { parentPort } = require('node:worker_threads');\n` +
      `globalThis.self = { set onmessage(f) { if (f) parentPort.once('message', (data) => f({ data })); } };\n` +
      `((require) => { eval(${JSON.stringify(WORKER_SOURCE)}); })(undefined);\n`;
    const workers: Worker[] = [];
    const spawn: Spawner = (init, onError) => {
      const w = new Worker(shim, { eval: true });
      w.unref();
      w.on('error', onError);
      w.postMessage(init);
      workers.push(w);
      return { terminate: () => void w.terminate() };
    };
    const rt = wasmRuntime();
    // the workers must run the build the main thread runs (the relaxed-simd project runs this too)
    const pool = new WorkerPool(rt, 2, passiveDataBinary(prepareBinary(true, rt.relaxed).bytes), spawn, false);
    try {
      for (let i = 0; i < 2000 && pool.readyCount() < 2; i++) await new Promise((r) => setTimeout(r, 5));
      expect(pool.startErrors).toEqual([]);
      expect(pool.threads()).toBe(3);
      const m = 603;
      const n = 257;
      const next = rng(8);
      const a = refIn(randArray(Float32Array, m * n, next), 'wasm');
      const x = refIn(randArray(Float32Array, n, next), 'wasm');
      const y1 = refIn(new Float32Array(m), 'wasm');
      const y3 = refIn(new Float32Array(m), 'wasm');
      const args = (y: Ref, r0: number, r1: number): number[] => [r1 - r0, n, 1, a.storage.ptr + r0 * n * 4, n, 1, x.storage.ptr, 1, 0, y.storage.ptr + r0 * 4, 1];
      rt.exports.gemv_f32(...(args(y1, 0, m) as Parameters<typeof rt.exports.gemv_f32>));
      pool.run(splitRange(m, 3, 4).map(([r0, r1]) => [{ fn: 'gemv_f32' as const, args: args(y3, r0, r1) }]));
      expect(pool.stats.dispatches).toBe(1);
      expect(Buffer.compare(bytesOf(y3, Float32Array, m), bytesOf(y1, Float32Array, m))).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('live workers do not keep a process alive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qt-threads-'));
    const file = join(dir, 'exit.mts');
    const src = resolve('src/kernels/threads.ts');
    const ops = resolve('src/ops/matmul.ts');
    const tens = resolve('src/tensor.ts');
    writeFileSync(
      file,
      `import { setThreads } from ${JSON.stringify(src)};\n` +
        `import { matmul } from ${JSON.stringify(ops)};\n` +
        `import { tensor } from ${JSON.stringify(tens)};\n` +
        `const n = setThreads(2);\n` +
        `const a = tensor(new Float32Array(300 * 300).fill(1), [300, 300]);\n` +
        `console.log(n, matmul(a, a).get([0, 0]));\n`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { timeout: 60_000, encoding: 'utf8' });
    expect(out.trim()).toBe('2 300');
  });
});
