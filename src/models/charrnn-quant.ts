/**
 * Post-training quantization of a character LSTM (./charrnn.ts): each layer's gate weight
 * W [4·hidden, in + hidden] is quantized with RTN or GPTQ; GPTQ's Hessian comes from that layer's
 * inputs [x, h] over calibration text, collected with the layers below already quantized (layer by
 * layer, as the Llama pipeline does block by block). The embedding and softmax stay f32.
 * Not the evaluation (charRnnBitsPerChar).
 */
import { ValueError, checkOptions } from '../errors.js';
import type { QuantDType } from '../dtype/table.js';
import { Tensor } from '../tensor.js';
import { HessianAccumulator } from '../quantizers/hessian.js';
import { gptq } from '../quantizers/gptq.js';
import { rtn } from '../quantizers/rtn.js';
import type { QuantReport } from '../quantizers/report.js';
import { checkCharRnn, type CharRnn } from './charrnn.js';

/** Options of `quantizeCharRnn`. */
export interface CharRnnQuantOptions {
  readonly method: 'rtn' | 'gptq';
  readonly dtype: QuantDType;
  /** Columns per group or 'channel' (default 128). */
  readonly groupSize?: number | 'channel';
  readonly actOrder?: boolean;
  /** GPTQ calibration text (characters outside the vocabulary are dropped). */
  readonly calib?: string;
  /** Calibration streams run as one batch (default 32) and characters used (default 16384). */
  readonly streams?: number;
  readonly calibChars?: number;
}

/**
 * Quantizes the LSTM gate weights of `model` in place (the f32 weights are freed); returns one
 * report per layer.
 * @throws ValueError when GPTQ gets no calibration text
 * @example
 * const reports = quantizeCharRnn(rnn, { method: 'gptq', dtype: 'int4', groupSize: 128, calib: text });
 */
export function quantizeCharRnn(model: CharRnn, opts: CharRnnQuantOptions): QuantReport<object>[] {
  checkCharRnn('quantizeCharRnn', model);
  checkOptions('quantizeCharRnn', opts, 'required');
  const common = { dtype: opts.dtype, groupSize: opts.groupSize ?? 128 };
  const reports: QuantReport<object>[] = [];
  let ids: Int32Array | null = null;
  const B = opts.streams ?? 32;
  if (opts.method === 'gptq') {
    if (!opts.calib) throw new ValueError(`gptq needs calibration text (calib)`);
    ids = model.encode(opts.calib).ids.subarray(0, opts.calibChars ?? 16384);
    if (ids.length < 2 * B) throw new ValueError(`${ids.length} calibration characters are too few for ${B} streams`);
  } else if (opts.method !== 'rtn') {
    throw new ValueError(`unknown method '${String(opts.method)}' (rtn or gptq)`);
  }
  for (const [li, layer] of model.layers.entries()) {
    const w = layer.w;
    if (!(w instanceof Tensor)) throw new ValueError(`LSTM layer ${li} is already quantized`);
    let res;
    if (ids) {
      const L = Math.floor(ids.length / B);
      const acc = new HessianAccumulator(w.shape[1]);
      const seq = ids;
      model.run(B, L, (b, t) => seq[b * L + t], () => {}, (l, x) => {
        if (l === li) acc.add(x);
      });
      try {
        res = gptq(w, acc, { ...common, actOrder: opts.actOrder });
      } finally {
        acc.dispose();
      }
    } else {
      res = rtn(w, common);
    }
    layer.w = res.q;
    w.dispose();
    reports.push(res.report);
  }
  return reports;
}
