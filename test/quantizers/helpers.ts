/**
 * Test helpers for the quantizer tests: naive f64 linear algebra written here independently of the
 * library's kernels (Cholesky, inverse, quadratic forms), and real-layer data from the tiny model:
 * weights read from its bf16 safetensors shards (header parsed here, so the check does not depend on
 * src/io) and calibration activations = RMSNorm(input_layernorm, embedding(calib.bin bytes)), the
 * exact input of block 0's q/k/v projections. Not a test file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODEL_DIR = fileURLToPath(new URL('../fixtures/tiny-llama-bytes/', import.meta.url));

/** Lower Cholesky factor of an SPD matrix (row-major n x n), or null when it is not SPD. */
export function naiveCholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let p = 0; p < j; p++) d -= l[j * n + p] ** 2;
    if (!(d > 0)) return null;
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/** Inverse of an SPD matrix by Gauss-Jordan elimination (no pivoting needed for SPD). */
export function naiveInverse(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const p = m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= p;
      inv[c * n + k] /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/** Upper factor U with UᵀU = A (the transpose of the lower Cholesky factor). */
export function naiveUpperCholesky(a: Float64Array, n: number): Float64Array | null {
  const l = naiveCholesky(a, n);
  if (!l) return null;
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i * n + j] = l[j * n + i];
  return u;
}

/** tr(Δ H Δᵀ) / 2 for Δ = a − b ([rows, cols]) and H [cols, cols], naive f64. */
export function outputError(a: ArrayLike<number>, b: ArrayLike<number>, h: ArrayLike<number>, rows: number, cols: number): number {
  let total = 0;
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) d[j] = a[r * cols + j] - b[r * cols + j];
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += h[i * cols + j] * d[j];
      total += d[i] * s;
    }
  }
  return total / 2;
}

/** H = 2/n Σ xᵀx of x [n, f], naive f64. */
export function naiveHessian(x: ArrayLike<number>, n: number, f: number): Float64Array {
  const h = new Float64Array(f * f);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < f; i++) {
      const xi = x[t * f + i];
      if (xi === 0) continue;
      for (let j = 0; j < f; j++) h[i * f + j] += xi * x[t * f + j];
    }
  }
  for (let i = 0; i < h.length; i++) h[i] *= 2 / n;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Real data: the tiny model

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const shardCache = new Map<string, { header: Record<string, Entry>; body: Buffer }>();

function shard(file: string): { header: Record<string, Entry>; body: Buffer } {
  let s = shardCache.get(file);
  if (!s) {
    const buf = readFileSync(join(MODEL_DIR, file));
    const len = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, Entry>;
    s = { header, body: buf.subarray(8 + len) };
    shardCache.set(file, s);
  }
  return s;
}

/** A bf16 tensor of the tiny model as f32 values and its shape. */
export function readWeight(name: string): { data: Float32Array; shape: number[] } {
  const index = JSON.parse(readFileSync(join(MODEL_DIR, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  const s = shard(index.weight_map[name]);
  const e = s.header[name];
  if (!e || e.dtype !== 'BF16') throw new Error(`${name}: expected a BF16 tensor, got ${e?.dtype}`);
  const [a, b] = e.data_offsets;
  const n = (b - a) / 2;
  const out = new Float32Array(n);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) u32[i] = s.body.readUInt16LE(a + 2 * i) << 16;
  return { data: out, shape: e.shape };
}

/**
 * Inputs of block 0's attention projections for the first `tokens` bytes of calib.bin:
 * RMSNorm(embed[byte]) * input_layernorm (eps 1e-5), [tokens, 384] f32.
 */
export function block0Inputs(tokens: number, offset = 0): Float32Array {
  return block0InputsOf(readFileSync(join(MODEL_DIR, 'calib.bin')).subarray(offset, offset + tokens));
}

/** The first `n` bytes of the held-out text (test.txt), for checks on data the calibration never saw. */
export function heldOutBytes(n: number): Uint8Array {
  return readFileSync(join(MODEL_DIR, 'test.txt')).subarray(0, n);
}

/** Inputs of block 0's attention projections for the given bytes: RMSNorm(embed[byte]) * input_layernorm. */
export function block0InputsOf(bytes: Uint8Array): Float32Array {
  const tokens = bytes.length;
  const emb = readWeight('model.embed_tokens.weight');
  const g = readWeight('model.layers.0.input_layernorm.weight').data;
  const f = emb.shape[1];
  const out = new Float32Array(tokens * f);
  for (let t = 0; t < tokens; t++) {
    const row = bytes[t] * f;
    let ss = 0;
    for (let i = 0; i < f; i++) ss += emb.data[row + i] ** 2;
    const inv = 1 / Math.sqrt(ss / f + 1e-5);
    for (let i = 0; i < f; i++) out[t * f + i] = Math.fround(emb.data[row + i] * inv * g[i]);
  }
  return out;
}

/** SwiGLU intermediate silu(gate x) * (up x) of block 0's MLP for inputs x [tokens, 384] (f32). */
export function mlpIntermediate(x: Float32Array, tokens: number): Float32Array {
  const gate = readWeight('model.layers.0.mlp.gate_proj.weight');
  const up = readWeight('model.layers.0.mlp.up_proj.weight');
  const [m, f] = gate.shape;
  const out = new Float32Array(tokens * m);
  for (let t = 0; t < tokens; t++) {
    for (let o = 0; o < m; o++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < f; i++) {
        a += gate.data[o * f + i] * x[t * f + i];
        b += up.data[o * f + i] * x[t * f + i];
      }
      out[t * m + o] = Math.fround((a / (1 + Math.exp(-a))) * b);
    }
  }
  return out;
}

let mlpTable: Float32Array | null = null;

/**
 * Inputs of block 0's down_proj for the given bytes: silu(gate x) * (up x) with x = block0InputsOf.
 * Layer 0's input depends on the byte alone, so this looks rows up in a table of all 256 bytes.
 */
export function block0MlpInputsOf(bytes: Uint8Array): Float32Array {
  mlpTable ??= mlpIntermediate(block0InputsOf(Uint8Array.from({ length: 256 }, (_, i) => i)), 256);
  const m = mlpTable.length / 256;
  const out = new Float32Array(bytes.length * m);
  bytes.forEach((b, t) => out.set(mlpTable!.subarray(b * m, (b + 1) * m), t * m));
  return out;
}

/** The first `n` bytes of calib.bin. */
export function calibBytes(n: number): Uint8Array {
  return readFileSync(join(MODEL_DIR, 'calib.bin')).subarray(0, n);
}
