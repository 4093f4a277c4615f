/**
 * Per-layer output error of every linear layer of tiny-llama-bytes for RTN, GPTQ, PVQ, Hessian-PVQ
 * and VQ (GPTVQ) at about 2 and 3 bits per weight, with the exact bits per weight of each: the table
 * in docs/quantizers.md ("All methods side by side"). `npx tsx scripts/layer-errors.ts [out.json]`.
 *
 * Protocol (the PVQ table's): H of each layer from the inputs it sees in the fp model, 4 calibration
 * sequences × 512 bytes of calib.bin (inputs not re-propagated through quantized blocks); error
 * relative, tr(ΔHΔᵀ)/tr(WHWᵀ), Δ = W − dequantize(q) in f64. Prints markdown rows as it goes and
 * writes every number as JSON. Not a test (minutes of CPU) and not the model pipeline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadLlama } from '../src/models/load.js';
import { PROJECTIONS, type ProjectionName } from '../src/models/llama.js';
import { HessianAccumulator } from '../src/quantizers/hessian.js';
import { rtn } from '../src/quantizers/rtn.js';
import { gptq } from '../src/quantizers/gptq.js';
import { pvqQuantize } from '../src/quantizers/pvq/quantize.js';
import { pvqGptq } from '../src/quantizers/pvq/gptq.js';
import { vqQuantize } from '../src/quantizers/vq/vq.js';
import type { Tensor } from '../src/tensor.js';

const MODEL = new URL('../test/fixtures/tiny-llama-bytes/', import.meta.url).pathname;
const SEQS = 4;
const SEQ_LEN = 512;

/** Which group input feeds each projection. */
const GROUP_OF: Record<ProjectionName, 'qkv' | 'o' | 'gateup' | 'down'> = { q: 'qkv', k: 'qkv', v: 'qkv', o: 'o', gate: 'gateup', up: 'gateup', down: 'down' };

interface Method {
  readonly name: string;
  run(w: Tensor, h: Tensor): { deq: Float32Array; bits: number };
}

function take(q: { dequantize(): Tensor; bitsPerWeight: number; dispose(): void }): { deq: Float32Array; bits: number } {
  const d = q.dequantize();
  const deq = Float32Array.from(d.data() as Float32Array);
  d.dispose();
  const bits = q.bitsPerWeight;
  q.dispose();
  return { deq, bits };
}

/** The methods at a nominal bit level (2 or 3). */
function methods(b: 2 | 3): Method[] {
  const dtype = b === 2 ? 'int2' : 'int3';
  return [
    { name: `RTN ${dtype} g128`, run: (w) => take(rtn(w, { dtype, groupSize: 128, symmetric: false, scaleDtype: 'f16' }).q) },
    { name: `GPTQ ${dtype} g128`, run: (w, h) => take(gptq(w, h, { dtype, groupSize: 128, symmetric: false, scaleDtype: 'f16' }).q) },
    { name: `PVQ ≤${b}`, run: (w) => take(pvqQuantize(w, { bits: b, dim: 16 }).q) },
    { name: `H-PVQ ≤${b}`, run: (w, h) => take(pvqGptq(w, h, { bits: b, dim: 16 }).q) },
    // GPTVQ: 2-d vectors, 4 (or 6) index bits, one codebook per 128 columns, f16 codebooks and row scales.
    { name: `VQ d2 ${2 * b}b`, run: (w, h) => take(vqQuantize(w, { dim: 2, bits: 2 * b, groupSize: 128, hessian: h, rowScales: true, seed: 0 }).q) },
  ];
}

/** tr(D H Dᵀ) for D [rows, cols] (f64 sums), H [cols, cols]. */
function quadForm(d: Float64Array, h: Float64Array, rows: number, cols: number): number {
  let s = 0;
  const hd = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const dr = d.subarray(r * cols, (r + 1) * cols);
    hd.fill(0);
    for (let i = 0; i < cols; i++) {
      const v = dr[i];
      if (v === 0) continue;
      const hr = h.subarray(i * cols, (i + 1) * cols);
      for (let j = 0; j < cols; j++) hd[j] += v * hr[j];
    }
    for (let j = 0; j < cols; j++) s += dr[j] * hd[j];
  }
  return s;
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? 'layer-errors.json';
  const model = await loadLlama(MODEL);
  const calib = readFileSync(new URL('calib.bin', `file://${MODEL}`));
  // Hessians of the fp model's layer inputs, block by block.
  const accs = model.layers.map(() => ({
    qkv: new HessianAccumulator(model.config.hiddenSize),
    o: new HessianAccumulator(model.config.hiddenSize),
    gateup: new HessianAccumulator(model.config.hiddenSize),
    down: new HessianAccumulator(model.config.intermediateSize),
  }));
  for (let s = 0; s < SEQS; s++) {
    let h = model.embed(calib.subarray(s * SEQ_LEN, (s + 1) * SEQ_LEN));
    for (let i = 0; i < model.layers.length; i++) {
      const next = model.block(i, h, (g, x) => accs[i][g].add(x));
      h.dispose();
      h = next;
    }
    h.dispose();
  }
  const rows: Record<string, unknown>[] = [];
  const levels = [2, 3] as const;
  console.log(`| layer | shape | ${levels.flatMap((b) => methods(b).map((m) => m.name)).join(' | ')} |`);
  for (let i = 0; i < model.layers.length; i++) {
    for (const p of PROJECTIONS) {
      const w = model.layers[i][p] as Tensor;
      const [n, k] = w.shape;
      const hT = accs[i][GROUP_OF[p]].hessian('f64');
      const hv = Float64Array.from(hT.data() as Float64Array);
      const wv = Float64Array.from(w.toFloat32());
      const ref = quadForm(wv, hv, n, k);
      const cells: string[] = [];
      const rec: Record<string, unknown> = { layer: `${i}.${p}`, shape: [n, k] };
      for (const b of levels) {
        for (const m of methods(b)) {
          const t0 = performance.now();
          const { deq, bits } = m.run(w, hT);
          const d = new Float64Array(n * k);
          for (let j = 0; j < d.length; j++) d[j] = wv[j] - deq[j];
          const err = quadForm(d, hv, n, k) / ref;
          rec[m.name] = { error: err, bitsPerWeight: bits, ms: performance.now() - t0 };
          cells.push(err.toFixed(4));
        }
      }
      hT.dispose();
      rows.push(rec);
      console.log(`| ${i}.${p} | ${n}×${k} | ${cells.join(' | ')} |`);
      writeFileSync(out, JSON.stringify(rows, null, 1));
    }
  }
}

void main();
