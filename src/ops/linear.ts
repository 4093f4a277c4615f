/**
 * `linear(x, w, { bias, activations })`: y = x · Wᵀ (+ bias), the layer of every transformer, for a
 * dense weight or a packed QTensor. For a QTensor the packed kernels (src/kernels/js/quant.ts) read
 * the resident codes directly: the weight is never dequantized as a whole. Act-order (`perm`) and
 * unfolded AWQ input scales (`inputScale`) are applied to the activations, once per call:
 *
 *   W[r, c] = deq[r, j] / a[c] for stored column j of original column c = perm[j]   (src/qtensor.ts)
 *   y[r]    = sum_c W[r, c] x[c] = sum_j deq[r, j] * (x[perm[j]] / a[perm[j]])
 *
 * so x is gathered into stored column order and divided by the input scales (f32), then multiplied
 * with the stored rows. A `pvq` weight runs its own decode-on-the-fly kernel (activations rotated by
 * its Hadamard once per call, src/qtensor-pvq.ts); a `codebook` weight its LUT kernel (src/qtensor-codebook.ts). Activations 'int8' (affine weights only) quantizes x per block to int8 and
 * accumulates in i32 (the ggml / onnxruntime scheme; src/kernels/js/quant.ts defines it exactly).
 *
 * Not the kernels (src/kernels/js/quant.ts) and not the general matrix product (matmul.ts, which the
 * dense path uses on a transposed view of W).
 */
import { DTypeError, ShapeError, ValueError, checkOptions, describeValue, fmtShape } from '../errors.js';
import { kernel } from '../kernels/table.js';
import { qweightArgs } from '../kernels/qweight.js';
import { QTensor } from '../qtensor.js';
import { codebookMatmulInto } from '../qtensor-codebook.js';
import { pvqMatmulInto } from '../qtensor-pvq.js';
import { Tensor, checkTensor, empty, shapeSize } from '../tensor.js';
import { matmul } from './matmul.js';

/** Options of `linear`. */
export interface LinearOptions {
  /** Added to every output row: shape [out]. */
  readonly bias?: Tensor;
  /**
   * How a QTensor product treats the activations: 'f32' (default; exact f32 activations) or 'int8'
   * (quantized per block of the weight's group, or of 32 columns in groups above 128; affine
   * weights int2/int3/int4/int8 only; with a dense or non-affine weight it is a ValueError).
   */
  readonly activations?: 'f32' | 'int8';
}

const FLOAT_DTYPES = new Set(['f32', 'f64', 'f16', 'bf16']);

function checkInputs(x: Tensor, w: Tensor | QTensor, opts: LinearOptions): { inF: number; outF: number } {
  checkTensor('linear', x, 'x');
  if (!(w instanceof Tensor) && !(w instanceof QTensor)) throw new ValueError(`linear: the weight must be a Tensor or a QTensor, got ${describeValue(w)}`);
  const wShape = w.shape;
  const both = `x ${fmtShape(x.shape)} and weight ${fmtShape(wShape)}`;
  if (!FLOAT_DTYPES.has(x.dtype)) throw new DTypeError(`linear: x must be a float tensor (f32, f64, f16, bf16), got ${x.dtype}`);
  if (x.ndim === 0) throw new ShapeError(`linear: x must have at least one dimension, got ${both}`);
  if (wShape.length !== 2) throw new ShapeError(`linear: the weight must be 2-D [out, in], got ${both}`);
  const [outF, inF] = wShape;
  const xin = x.shape[x.ndim - 1];
  if (xin !== inF) throw new ShapeError(`linear: input features ${xin} of x ${fmtShape(x.shape)} do not match in = ${inF} of weight ${fmtShape(wShape)} [out, in]`);
  checkOptions('linear', opts);
  if (opts.bias !== undefined) {
    const b = opts.bias;
    checkTensor('linear', b, 'bias');
    if (b.ndim !== 1 || b.shape[0] !== outF) {
      throw new ShapeError(`linear: bias ${fmtShape(b.shape)} must have shape [${outF}] (out of weight ${fmtShape(wShape)})`);
    }
    if (!FLOAT_DTYPES.has(b.dtype)) throw new DTypeError(`linear: bias must be a float tensor, got ${b.dtype}`);
  }
  const act = opts.activations ?? 'f32';
  if (act !== 'f32' && act !== 'int8') throw new ValueError(`linear: activations must be 'f32' or 'int8', got ${String(act)}`);
  if (act === 'int8') {
    if (!(w instanceof QTensor)) throw new ValueError(`linear: activations 'int8' need a quantized weight, got a dense ${w.dtype} weight`);
    if (w.family !== 'affine') throw new ValueError(`linear: activations 'int8' need an affine weight (int2, int3, int4, int8), got ${w.dtype}`);
  }
  return { inF, outF };
}

/** Adds bias [out] to every row of a contiguous [rows, out] f32/f64 result, in place. */
function addBias(y: Tensor, bias: Tensor, outF: number): void {
  const b = bias.toFloat32();
  const raw = y.raw() as Float32Array | Float64Array;
  const rows = y.size / outF;
  for (let i = 0; i < rows; i++) {
    const o = y.offset + i * outF;
    for (let r = 0; r < outF; r++) raw[o + r] += b[r];
  }
}

/**
 * The activations of a QTensor product as an f32 [rows, in] matrix in stored column order: x itself
 * when it is already that (contiguous f32, no perm, no input scales), else a gathered copy.
 */
function activations(x: Tensor, q: QTensor, rows: number, inF: number, int8: boolean): Tensor {
  const qp = q.qparams;
  const plain = x.dtype === 'f32' && x.isContiguous && !qp.perm && !qp.inputScale;
  const src = plain ? null : x.toFloat32();
  const perm = qp.perm ? (qp.perm.data() as Int32Array) : null;
  const a = qp.inputScale ? (qp.inputScale.data() as Float32Array) : null;
  let out = x;
  if (!plain) {
    out = empty([rows, inF], 'f32');
    const o = out.raw() as Float32Array;
    for (let i = 0; i < rows; i++) {
      const base = i * inF;
      for (let j = 0; j < inF; j++) {
        const c = perm ? perm[j] : j;
        o[base + j] = a ? src![base + c] / a[c] : src![base + c];
      }
    }
  }
  if (int8) {
    const v = plain ? (x.raw() as Float32Array).subarray(x.offset, x.offset + rows * inF) : (out.raw() as Float32Array);
    for (let i = 0; i < rows * inF; i++) {
      if (!Number.isFinite(v[i])) {
        throw new ValueError(`linear: activations 'int8' need finite inputs; x has ${v[i]} at flat index ${i} (of ${fmtShape(x.shape)}, after input scales)`);
      }
    }
  }
  return out;
}

/**
 * y = x · Wᵀ (+ bias) for x [..., in] and W [out, in] (a dense Tensor or a packed QTensor): y has
 * shape [..., out]. A QTensor is multiplied straight from its packed codes (GEMV for a few tokens,
 * decode-a-tile-then-GEMM for many), honouring act-order and input scales; the result is f32.
 * A dense weight goes through `matmul` on a transposed view (f64 when x and W are both f64).
 * @throws ShapeError quoting both shapes when the features do not match or bias has the wrong shape;
 *   DTypeError for non-float x; ValueError for activations 'int8' with a dense or non-affine weight
 *   or with non-finite inputs
 * @example
 * const q = quantize(w, { dtype: 'int4', groupSize: 128 });   // w: [1024, 384]
 * linear(x, q).shape;                                          // x: [2, 7, 384] -> [2, 7, 1024]
 * linear(x, q, { bias, activations: 'int8' });                // int8 activations, i32 dot products
 * linear(x, w);                                                // dense: same as matmul(x, w.transpose())
 */
export function linear(x: Tensor, w: Tensor | QTensor, opts: LinearOptions = {}): Tensor {
  const { inF, outF } = checkInputs(x, w, opts);
  const outShape = [...x.shape.slice(0, -1), outF];
  if (!(w instanceof QTensor)) {
    const y = matmul(x, w.transpose());
    if (opts.bias) {
      const yc = y.isContiguous ? y : y.contiguous();
      addBias(yc, opts.bias, outF);
      return yc;
    }
    return y;
  }
  w.checkAlive();
  const rows = shapeSize(x.shape.slice(0, -1));
  const int8 = opts.activations === 'int8';
  const xa = activations(x, w, rows, inF, int8);
  const y = empty(outShape, 'f32');
  if (w.family === 'pvq') {
    // Decode-on-the-fly PVQ: activations rotated once per call, codes never expanded (src/qtensor-pvq.ts).
    pvqMatmulInto(w, xa, rows, y);
  } else if (w.family === 'codebook') {
    // LUT matmul: per token a table of x · codebook entries, then one gather per index (src/qtensor-codebook.ts).
    if (rows > 0 && outF > 0) codebookMatmulInto(w, xa, rows, y);
  } else if (rows > 0 && outF > 0) {
    const args = { ...qweightArgs(w), m: rows, x: { storage: xa.storage, offset: xa.offset }, rsx: inF, y: { storage: y.storage, offset: 0 }, rsy: outF, r0: 0, r1: outF };
    if (int8) kernel('qmatmul_i8')(args);
    else kernel('qmatmul_f32')(args);
  }
  if (xa !== x) xa.dispose();
  if (opts.bias) addBias(y, opts.bias, outF);
  return y;
}
