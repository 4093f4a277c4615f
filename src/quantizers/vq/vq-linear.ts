/**
 * y = x · Wᵀ for a VqTensor weight, part by part: each column group of x (gathered through the
 * act-order permutation when there is one) goes through `linear` with each stage's codebook QTensor
 * of that group, and the products are summed in f32 (groups ascending, stages ascending within a
 * group). Each part product is the packed codebook matmul of src/ops/linear.ts, so the weight is
 * never decoded whole. Equal to x · dequantize(W)ᵀ up to f32 summation order. Not a kernel.
 */
import { ShapeError, ValueError, fmtShape } from '../../errors.js';
import { linear } from '../../ops/linear.js';
import { Tensor, empty } from '../../tensor.js';
import { VqTensor } from './vq-tensor.js';

/**
 * x [..., in] · Wᵀ for W a VqTensor [out, in] (plus an optional bias [out]); the result is f32 [..., out].
 * @throws ShapeError when the features of x do not match or bias has the wrong shape
 * @example
 * const { q } = vqQuantize(w, { dim: 2, bits: 4, groupSize: 128, hessian: acc, actOrder: true });
 * vqLinear(x, q).shape;   // x [tokens, 384] -> [tokens, out]
 */
export function vqLinear(x: Tensor, w: VqTensor, opts: { bias?: Tensor } = {}): Tensor {
  if (!(w instanceof VqTensor)) throw new ValueError('vqLinear: the weight must be a VqTensor');
  w.checkAlive();
  const [outF, inF] = w.shape;
  if (!(x instanceof Tensor) || x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`vqLinear: input features of x ${x instanceof Tensor ? fmtShape(x.shape) : typeof x} do not match in = ${inF} of weight ${fmtShape(w.shape)} [out, in]`);
  }
  if (opts.bias !== undefined && (opts.bias.ndim !== 1 || opts.bias.shape[0] !== outF)) {
    throw new ShapeError(`vqLinear: bias must be [${outF}], got ${fmtShape(opts.bias.shape)}`);
  }
  const tokens = x.size / inF;
  const xv = x.toFloat32();
  const acc = new Float32Array(tokens * outF);
  const perm = w.perm;
  const gs = w.groupSize;
  for (let g = 0, j0 = 0; j0 < inF; g++, j0 += gs) {
    const gc = Math.min(gs, inF - j0);
    const xg = new Float32Array(tokens * gc);
    for (let t = 0; t < tokens; t++) for (let j = 0; j < gc; j++) xg[t * gc + j] = xv[t * inF + (perm ? perm[j0 + j] : j0 + j)];
    const xt = empty([tokens, gc], 'f32');
    (xt.raw() as Float32Array).set(xg);
    for (const parts of w.stages) {
      const y = linear(xt, parts[g]);
      const yv = y.toFloat32();
      y.dispose();
      for (let i = 0; i < acc.length; i++) acc[i] += yv[i];
    }
    xt.dispose();
  }
  if (opts.bias) {
    const b = opts.bias.toFloat32();
    for (let t = 0; t < tokens; t++) for (let o = 0; o < outF; o++) acc[t * outF + o] += b[o];
  }
  const out = empty([...x.shape.slice(0, -1), outF], 'f32');
  (out.raw() as Float32Array).set(acc);
  return out;
}
