/**
 * TEMPORARY stand-in for `linear` of src/ops/linear.ts (helper B) until it lands; deleted then.
 * y = x · Wᵀ for a dense or packed weight, the packed one through the qmatmul_f32 kernel.
 */
import { kernel } from '../kernels/table.js';
import { qweightArgs } from '../kernels/qweight.js';
import { QTensor } from '../qtensor.js';
import { Tensor, empty } from '../tensor.js';
import { matmul } from '../ops/matmul.js';

/** x [T, in] · Wᵀ, W [out, in]. */
export function linear(x: Tensor, w: Tensor | QTensor): Tensor {
  if (w instanceof Tensor) return matmul(x, w.transpose());
  const [T, k] = x.shape;
  const n = w.shape[0];
  const qp = w.qparams;
  let xs = x.contiguous();
  if (qp.perm || qp.inputScale) {
    const perm = qp.perm ? (qp.perm.data() as Int32Array) : null;
    const s = qp.inputScale ? (qp.inputScale.data() as Float32Array) : null;
    const src = xs.toFloat32();
    const t = empty([T, k], 'f32');
    const d = t.storage.view(Float32Array, 0, T * k);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < k; j++) {
        const oc = perm ? perm[j] : j;
        d[i * k + j] = s ? src[i * k + oc] / s[oc] : src[i * k + oc];
      }
    }
    xs = t;
  }
  const y = empty([T, n], 'f32');
  kernel('qmatmul_f32')({ ...qweightArgs(w), m: T, x: { storage: xs.storage, offset: xs.offset }, rsx: k, y: { storage: y.storage, offset: 0 }, rsy: n, r0: 0, r1: n });
  if (xs !== x) xs.dispose();
  return y;
}
