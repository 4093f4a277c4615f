/**
 * GPTVQ on a real layer: block 0's q_proj of tiny-llama-bytes (bf16 weights from the committed
 * fixture), with H from its true input RMSNorm(embed(calib.bin bytes)) · input_layernorm. Output
 * errors tr(ΔHΔᵀ)/2 are computed here with a naive f64 loop; bits per weight are counted by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { vqQuantize } from '../../../src/quantizers/vq/vq.js';
import { gptq } from '../../../src/quantizers/gptq.js';
import { quantize } from '../../../src/ops/quant.js';
import { HessianAccumulator } from '../../../src/quantizers/hessian.js';
import { tensor, type Tensor } from '../../../src/tensor.js';
import { block0Inputs, outputError, readWeight } from '../helpers.js';

describe('gptvq on tiny-llama-bytes block 0 q_proj', () => {
  const tokens = 1024;
  let h: Tensor;
  let hv: Float64Array;
  let data: Float32Array;
  let rows: number;
  let cols: number;
  let w: Tensor;
  const err = (deq: Float32Array) => outputError(data, deq, hv, rows, cols);
  // `await` accepts the helpers whether they return values or promises.
  beforeAll(async () => {
    const acc = new HessianAccumulator(384, { dtype: 'f64' });
    acc.add(tensor(await block0Inputs(tokens), [tokens, 384]));
    h = acc.hessian('f64');
    hv = h.data() as Float64Array;
    const wt = await readWeight('model.layers.0.self_attn.q_proj.weight');
    data = wt.data;
    [rows, cols] = wt.shape;
    w = tensor(data, wt.shape);
  });

  it('about 2 bits: far below RTN int2 and below plain k-means', () => {
    const opts = { dim: 2, bits: 4, groupSize: 128, rowScales: true, seed: 1 };
    const { q, report } = vqQuantize(w, { ...opts, hessian: h, actOrder: true });
    // 3 groups x 64 indices x 4 bits per row, an f16 scale per row and group, 3 codebooks of 16 x 2
    // f16 values, and the act-order permutation (int32 per column).
    const bits = rows * 3 * 64 * 4 + rows * 3 * 16 + 3 * 16 * 2 * 16 + 32 * cols;
    expect(report.bitsPerWeight).toBe(bits / (rows * cols));
    const e = err(q.dequantize().toFloat32());
    expect(Math.abs(report.error.value - e) / e).toBeLessThan(1e-3);
    const rtn = quantize(w, { dtype: 'int2', groupSize: 128 });
    expect(rtn.bitsPerWeight).toBeCloseTo(2.14, 2);
    expect(e).toBeLessThan(0.05 * err(rtn.dequantize().toFloat32()));
    const plain = vqQuantize(w, opts);
    expect(e).toBeLessThan(0.2 * err(plain.q.dequantize().toFloat32()));
    q.dispose();
    plain.q.dispose();
    rtn.dispose();
  });

  it('about 3 bits: 2-d codebooks of 64 beat GPTQ int3 (act-order) at similar bits', () => {
    const { q, report } = vqQuantize(w, { dim: 2, bits: 6, groupSize: 128, rowScales: true, actOrder: true, hessian: h, seed: 1 });
    const g = gptq(w, h, { dtype: 'int3', groupSize: 128, actOrder: true });
    expect(report.bitsPerWeight).toBe(3.25);
    expect(g.q.bitsPerWeight).toBeCloseTo(3.23, 2);
    const e = err(q.dequantize().toFloat32());
    const eg = err(g.q.dequantize().toFloat32());
    expect(e).toBeLessThan(eg);
    q.dispose();
    g.q.dispose();
  });
});
