/**
 * Character-level LSTM language models in the layout of ml5's charRNN checkpoints (TensorFlow
 * `MultiRNNCell` of `BasicLSTMCell`s, exported as raw little-endian float32 files plus manifest.json
 * and vocab.json): loading, batched evaluation in bits per character, and the weights as
 * `linear` operands so they can be quantized like any projection.
 *
 * TF BasicLSTMCell (tensorflow/python/ops/rnn_cell_impl.py): z = [x, h] · kernel + bias with
 * kernel [in + hidden, 4·hidden], split into gates i, j, f, o (in that order);
 * c' = c·σ(f + 1) + σ(i)·tanh(j) (forget bias 1.0), h' = tanh(c')·σ(o). The kernel is stored here
 * transposed, as a weight W [4·hidden, in + hidden] for `linear`, so y = [x, h] · Wᵀ.
 * Next-character logits: h_top · softmax_w + softmax_b, softmax_w [hidden, vocab] stored as
 * [vocab, hidden].
 *
 * Not a trainer and not a sampler.
 */
import { FormatError, ShapeError, ValueError, checkOptions, describeValue, fmtShape } from '../errors.js';
import { Tensor, empty, tensor } from '../tensor.js';
import type { QTensor } from '../qtensor.js';
import { crossEntropySum, f32View } from './fused.js';
import { linear } from '../ops/linear.js';
import { checkPath } from '../io/args.js';

/** One LSTM layer: W [4·hidden, in + hidden] (gates i, j, f, o) and bias f32 [4·hidden]. */
export interface LstmLayer {
  w: Tensor | QTensor;
  readonly bias: Tensor;
  readonly inputSize: number;
  readonly hidden: number;
}

/**
 * Throws a ValueError naming `op` unless `x` is a CharRnn (the entry check of the functions that
 * take one).
 * @example
 * checkCharRnn('quantizeCharRnn', rnn);
 */
export function checkCharRnn(op: string, x: unknown): asserts x is CharRnn {
  if (!(x instanceof CharRnn)) throw new ValueError(`${op}: the model must be a CharRnn (from loadCharRnn), got ${describeValue(x)}`);
}

/**
 * A loaded character LSTM.
 * @example
 * const rnn = await loadCharRnn('../shared/models/charrnn/darwin');
 * rnn.vocab.get('e'); // the id of 'e'
 */
export class CharRnn {
  constructor(
    /** Character → id. */
    readonly vocab: ReadonlyMap<string, number>,
    /** f32 [vocab, embed]. */
    readonly embedding: Tensor,
    readonly layers: LstmLayer[],
    /** [vocab, hidden] (softmax_w transposed). */
    public softmaxW: Tensor | QTensor,
    /** f32 [vocab]. */
    readonly softmaxB: Tensor,
  ) {
    let inp = embedding.shape[1];
    for (const [i, l] of layers.entries()) {
      const H = l.hidden;
      if (l.inputSize !== inp || l.w.shape[0] !== 4 * H || l.w.shape[1] !== inp + H || l.bias.size !== 4 * H) {
        throw new ShapeError(`LSTM layer ${i}: W ${fmtShape(l.w.shape)}, bias ${fmtShape(l.bias.shape)} do not fit input ${inp} and hidden ${H}`);
      }
      inp = H;
    }
    if (softmaxW.shape[0] !== vocab.size || softmaxW.shape[1] !== inp || softmaxB.size !== vocab.size) {
      throw new ShapeError(`softmax W ${fmtShape(softmaxW.shape)} and b ${fmtShape(softmaxB.shape)} do not fit vocab ${vocab.size} and hidden ${inp}`);
    }
  }

  /** Vocabulary size. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /**
   * The ids of the characters of `text`, dropping those outside the vocabulary.
   * @example
   * rnn.encode('Hello').length; // 5 when every letter is in the vocabulary
   */
  encode(text: string): { ids: Int32Array; dropped: number } {
    const ids: number[] = [];
    let dropped = 0;
    for (const ch of text) {
      const id = this.vocab.get(ch);
      if (id === undefined) dropped++;
      else ids.push(id);
    }
    return { ids: Int32Array.from(ids), dropped };
  }

  /**
   * Runs B streams for `steps` steps from a zero state. `ids(b, t)` is the input of stream b at
   * step t; `onStep(t, logits)` receives f32 [B, vocab] (valid during the call); `observe(layer, x)`
   * receives each layer's input [B, in + hidden] (for calibration).
   */
  run(
    B: number,
    steps: number,
    ids: (b: number, t: number) => number,
    onStep: (t: number, logits: Tensor) => void,
    observe?: (layer: number, input: Tensor) => void,
  ): void {
    const E = this.embedding.shape[1];
    const hs = this.layers.map((l) => new Float32Array(B * l.hidden));
    const cs = this.layers.map((l) => new Float32Array(B * l.hidden));
    const ebd = this.embedding.toFloat32();
    const biases = this.layers.map((l) => l.bias.toFloat32());
    const sb = this.softmaxB.toFloat32();
    const V = this.vocabSize;
    for (let t = 0; t < steps; t++) {
      let x = new Float32Array(B * E);
      let width = E;
      for (let b = 0; b < B; b++) {
        const id = ids(b, t);
        x.set(ebd.subarray(id * E, (id + 1) * E), b * E);
      }
      for (const [li, l] of this.layers.entries()) {
        const H = l.hidden;
        const inp = empty([B, width + H], 'f32');
        const iv = f32View(inp);
        for (let b = 0; b < B; b++) {
          iv.set(x.subarray(b * width, (b + 1) * width), b * (width + H));
          iv.set(hs[li].subarray(b * H, (b + 1) * H), b * (width + H) + width);
        }
        observe?.(li, inp);
        const z = linear(inp, l.w);
        inp.dispose();
        const zv = f32View(z);
        const bias = biases[li];
        const h = hs[li];
        const c = cs[li];
        for (let b = 0; b < B; b++) {
          const zb = b * 4 * H;
          for (let u = 0; u < H; u++) {
            const gi = sigmoid(zv[zb + u] + bias[u]);
            const gj = Math.tanh(zv[zb + H + u] + bias[H + u]);
            const gf = sigmoid(zv[zb + 2 * H + u] + bias[2 * H + u] + 1);
            const go = sigmoid(zv[zb + 3 * H + u] + bias[3 * H + u]);
            const cn = c[b * H + u] * gf + gi * gj;
            c[b * H + u] = cn;
            h[b * H + u] = Math.tanh(cn) * go;
          }
        }
        z.dispose();
        x = h;
        width = H;
      }
      const top = tensor(x, [B, width]);
      const logits = linear(top, this.softmaxW);
      top.dispose();
      const lv = f32View(logits);
      for (let b = 0; b < B; b++) for (let v = 0; v < V; v++) lv[b * V + v] += sb[v];
      try {
        onStep(t, logits);
      } finally {
        logits.dispose();
      }
    }
  }

  /** Frees every weight. */
  dispose(): void {
    this.embedding.dispose();
    this.softmaxW.dispose();
    this.softmaxB.dispose();
    for (const l of this.layers) {
      l.w.dispose();
      l.bias.dispose();
    }
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

interface ManifestEntry {
  filename: string;
  shape: number[];
}

/**
 * Loads an ml5 charRNN checkpoint directory (manifest.json, vocab.json, raw float32 files). Node only.
 * @throws FormatError for a missing variable or a file whose size does not match its shape
 * @example
 * const rnn = await loadCharRnn('../shared/models/charrnn/darwin');
 */
export async function loadCharRnn(dir: string): Promise<CharRnn> {
  checkPath('loadCharRnn', dir, 'dir');
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, ManifestEntry>;
  const vocabJson = JSON.parse(await fs.readFile(path.join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
  const vocab = new Map(Object.entries(vocabJson));
  const ids = [...vocab.values()].sort((a, b) => a - b);
  if (ids.some((v, i) => v !== i)) throw new FormatError(`${dir}/vocab.json: ids must be 0..${vocab.size - 1}`);
  const read = async (name: string): Promise<Tensor> => {
    const e = manifest[name];
    if (!e) throw new FormatError(`${dir}/manifest.json: no variable ${name}`);
    const buf = await fs.readFile(path.join(dir, e.filename));
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (buf.byteLength !== 4 * n) throw new FormatError(`${dir}/${e.filename}: ${buf.byteLength} bytes for f32 ${fmtShape(e.shape)} (${4 * n} expected)`);
    const f = new Float32Array(n);
    new Uint8Array(f.buffer).set(buf);
    return tensor(f, e.shape);
  };
  // Older TF names the variables weights/biases, newer kernel/bias.
  const cell = (i: number, a: string, b: string): string => {
    const p = `rnnlm/multi_rnn_cell/cell_${i}/basic_lstm_cell/`;
    return manifest[p + a] ? p + a : p + b;
  };
  const embedding = await read('embedding');
  if (embedding.shape[0] !== vocab.size) throw new FormatError(`${dir}: embedding ${fmtShape(embedding.shape)} does not match ${vocab.size} vocabulary entries`);
  const layers: LstmLayer[] = [];
  let inp = embedding.shape[1];
  for (let i = 0; manifest[cell(i, 'kernel', 'weights')]; i++) {
    const k = await read(cell(i, 'kernel', 'weights'));
    const w = k.transpose().contiguous();
    k.dispose();
    const hidden = w.shape[0] / 4;
    layers.push({ w, bias: await read(cell(i, 'bias', 'biases')), inputSize: inp, hidden });
    inp = hidden;
  }
  if (layers.length === 0) throw new FormatError(`${dir}/manifest.json: no LSTM cells`);
  const sw = await read('rnnlm/softmax_w');
  const softmaxW = sw.transpose().contiguous();
  sw.dispose();
  return new CharRnn(vocab, embedding, layers, softmaxW, await read('rnnlm/softmax_b'));
}

/** Options of `charRnnBitsPerChar`. */
export interface CharRnnEvalOptions {
  /** Independent streams run as one batch (default 32). */
  readonly streams?: number;
  /** Use at most this many characters (after dropping unknown ones; default all). */
  readonly maxChars?: number;
}

/** The result of `charRnnBitsPerChar`. */
export interface CharRnnEval {
  readonly bitsPerChar: number;
  /** Predicted characters. */
  readonly chars: number;
  /** Characters of the text outside the vocabulary (dropped before scoring). */
  readonly dropped: number;
  readonly timeMs: number;
}

/**
 * Bits per character of `text`: characters outside the vocabulary are dropped, the first `maxChars`
 * of the rest are cut into `streams` contiguous segments of equal length (the remainder is not
 * scored), each run from a zero state as one batch; every character but the first of a segment is
 * predicted. Mean cross-entropy / ln 2.
 * @example
 * charRnnBitsPerChar(rnn, text, { streams: 32, maxChars: 16384 }).bitsPerChar;
 */
export function charRnnBitsPerChar(model: CharRnn, text: string, opts: CharRnnEvalOptions = {}): CharRnnEval {
  checkCharRnn('charRnnBitsPerChar', model);
  if (typeof text !== 'string') throw new ValueError(`charRnnBitsPerChar: text must be a string, got ${describeValue(text)}`);
  checkOptions('charRnnBitsPerChar', opts);
  const t0 = performance.now();
  const B = opts.streams ?? 32;
  if (!Number.isInteger(B) || B < 1) throw new ValueError(`streams must be a positive integer, got ${B}`);
  const { ids, dropped } = model.encode(text);
  const n = Math.min(ids.length, opts.maxChars ?? ids.length);
  const L = Math.floor(n / B);
  if (L < 2) throw new ValueError(`${n} characters are too few for ${B} streams of at least 2`);
  let nats = 0;
  const targets = new Int32Array(B);
  model.run(B, L - 1, (b, t) => ids[b * L + t], (t, logits) => {
    for (let b = 0; b < B; b++) targets[b] = ids[b * L + t + 1];
    nats += crossEntropySum(logits, targets, B);
  });
  const chars = B * (L - 1);
  return { bitsPerChar: nats / chars / Math.LN2, chars, dropped, timeMs: performance.now() - t0 };
}
