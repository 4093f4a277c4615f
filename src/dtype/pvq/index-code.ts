/**
 * Enumeration of the pyramid codebook P(D, K): the bijection between codewords y (Σ|y_i| = K) and
 * integers 0..V(D, K)-1, in both directions, plus the bit-stream packing of indices into
 * ceil(log2 V) bits each. Exact BigInt arithmetic in general, with a float64 fast path when
 * V(D, K) <= 2^53 - 1 (every partial sum of an index is below V, so it is exact there too).
 * Not the pulse search (search.ts) and not the counts (count.ts).
 *
 * Order (our own, in the spirit of Fischer 1986 and the Opus/CELT enumeration): codewords are sorted
 * lexicographically, coordinate 0 most significant, with the values of one coordinate ordered
 *     0 < +1 < -1 < +2 < -2 < ... < +k < -k        (k = pulses left for this and later coordinates).
 * With m = D - i - 1 coordinates after coordinate i, the codewords that share y_0..y_{i-1} and have
 * y_i = v form a contiguous block of V(m, k - |v|) indices, so coordinate i contributes the offset
 *     v = 0:   0
 *     |v| = a: V(m, k) + 2 Σ_{j=1}^{a-1} V(m, k - j) + (v < 0 ? V(m, k - a) : 0)
 * and the index is the sum of those offsets. Cost: D + K table look-ups per codeword either way.
 * Example, P(2, 1): [0,1] -> 0, [0,-1] -> 1, [1,0] -> 2, [-1,0] -> 3.
 */
import { ValueError } from '../../errors.js';
import { pvqCountTable, type PvqCountTable } from './count.js';

function sumAbs(y: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isSafeInteger(v)) throw new ValueError(`pvqEncodeIndex: coordinate ${i} is ${v}, not an integer`);
    k += Math.abs(v);
  }
  return k;
}

function tableFor(D: number, K: number, table: PvqCountTable | undefined): PvqCountTable {
  if (table && table.D >= D && table.K >= K) return table;
  return pvqCountTable(D, K);
}

/**
 * Index of the codeword `y` in P(D, K) with D = y.length and K = Σ|y_i|, as an exact BigInt.
 * @example
 * pvqEncodeIndex(Int32Array.of(0, 1)) === 0n;  pvqEncodeIndex(Int32Array.of(-1, 0)) === 3n
 */
export function pvqEncodeIndex(y: ArrayLike<number>, table?: PvqCountTable): bigint {
  const D = y.length;
  const K = sumAbs(y);
  const t = tableFor(D, K, table);
  // A float64 table exists only when all its entries (hence every partial index sum) are exact.
  if (t.num) return BigInt(encodeNum(y, D, K, t));
  const big = t.big;
  let index = 0n;
  let k = K;
  for (let i = 0; i < D && k > 0; i++) {
    const v = y[i];
    if (v === 0) continue;
    const a = Math.abs(v);
    const row = big[D - i - 1];
    let off = row[k];
    for (let j = 1; j < a; j++) off += 2n * row[k - j];
    if (v < 0) off += row[k - a];
    index += off;
    k -= a;
  }
  return index;
}

function encodeNum(y: ArrayLike<number>, D: number, K: number, t: PvqCountTable): number {
  const num = t.num as Float64Array;
  const stride = t.K + 1;
  let index = 0;
  let k = K;
  for (let i = 0; i < D && k > 0; i++) {
    const v = y[i];
    if (v === 0) continue;
    const a = Math.abs(v);
    const base = (D - i - 1) * stride;
    let off = num[base + k];
    for (let j = 1; j < a; j++) off += 2 * num[base + k - j];
    if (v < 0) off += num[base + k - a];
    index += off;
    k -= a;
  }
  return index;
}

/**
 * Index of `y` as a number: the fast path, for V(D, K) <= 2^53 - 1 (throws otherwise).
 * @example
 * pvqEncodeIndexNumber(Int32Array.of(1, 0)) === 2
 */
export function pvqEncodeIndexNumber(y: ArrayLike<number>, table?: PvqCountTable): number {
  const D = y.length;
  const K = sumAbs(y);
  const t = tableFor(D, K, table?.num ? table : undefined);
  if (!t.num) throw new ValueError(`pvqEncodeIndexNumber: V(${D}, ${K}) exceeds 2^53 - 1; use pvqEncodeIndex (BigInt)`);
  return encodeNum(y, D, K, t);
}

/**
 * The codeword of P(D, K) with the given index (0 <= index < V(D, K)); number or BigInt index.
 * @example
 * pvqDecodeIndex(3n, 2, 1) // Int32Array [-1, 0]
 */
export function pvqDecodeIndex(index: bigint | number, D: number, K: number, out?: Int32Array, table?: PvqCountTable): Int32Array {
  const t = tableFor(D, K, table);
  const total = t.big[D][K];
  const y = out ?? new Int32Array(D);
  if (y.length !== D) throw new ValueError(`pvqDecodeIndex: output has length ${y.length}, expected D = ${D}`);
  if (typeof index === 'number') {
    if (!Number.isSafeInteger(index) || index < 0 || BigInt(index) >= total) {
      throw new ValueError(`pvqDecodeIndex: index ${index} is outside 0..V(${D}, ${K})-1 = 0..${total - 1n}`);
    }
    if (t.num) return decodeNum(index, D, K, t, y);
    index = BigInt(index);
  } else if (index < 0n || index >= total) {
    throw new ValueError(`pvqDecodeIndex: index ${index} is outside 0..V(${D}, ${K})-1 = 0..${total - 1n}`);
  }
  if (t.num) return decodeNum(Number(index), D, K, t, y);
  const big = t.big;
  let r = index;
  let k = K;
  for (let i = 0; i < D; i++) {
    const row = big[D - i - 1];
    if (k === 0 || r < row[k]) {
      y[i] = 0;
      continue;
    }
    r -= row[k];
    let a = 1;
    for (;;) {
      const c = row[k - a];
      if (r < 2n * c) {
        if (r >= c) {
          r -= c;
          y[i] = -a;
        } else y[i] = a;
        break;
      }
      r -= 2n * c;
      a++;
    }
    k -= a;
  }
  return y;
}

function decodeNum(index: number, D: number, K: number, t: PvqCountTable, y: Int32Array): Int32Array {
  const num = t.num as Float64Array;
  const stride = t.K + 1;
  let r = index;
  let k = K;
  for (let i = 0; i < D; i++) {
    const base = (D - i - 1) * stride;
    if (k === 0 || r < num[base + k]) {
      y[i] = 0;
      continue;
    }
    r -= num[base + k];
    let a = 1;
    for (;;) {
      const c = num[base + k - a];
      if (r < 2 * c) {
        if (r >= c) {
          r -= c;
          y[i] = -a;
        } else y[i] = a;
        break;
      }
      r -= 2 * c;
      a++;
    }
    k -= a;
  }
  return y;
}

const CHUNK = 24; // bits moved per step: a 24-bit chunk shifted by <= 7 stays within 31 bits
const CHUNK_MOD = 2 ** CHUNK;

function writeChunk(out: Uint8Array, pos: number, value: number, bits: number): void {
  // value < 2^bits, bits <= 24; clear-and-set so a reused buffer needs no zeroing.
  let byte = pos >> 3;
  let shift = pos & 7;
  let left = bits;
  let v = value;
  while (left > 0) {
    const take = Math.min(8 - shift, left);
    const mask = ((1 << take) - 1) << shift;
    out[byte] = (out[byte] & ~mask) | ((v << shift) & mask);
    v >>>= take;
    left -= take;
    shift = 0;
    byte++;
  }
}

function readChunk(buf: Uint8Array, pos: number, bits: number): number {
  let byte = pos >> 3;
  let shift = pos & 7;
  let got = 0;
  let v = 0;
  while (got < bits) {
    const take = Math.min(8 - shift, bits - got);
    v |= ((buf[byte] >> shift) & ((1 << take) - 1)) << got;
    got += take;
    shift = 0;
    byte++;
  }
  return v >>> 0;
}

function checkSpan(len: number, pos: number, bits: number, what: string): void {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new ValueError(`${what}: bit offset must be a non-negative integer, got ${pos}`);
  if (!Number.isSafeInteger(bits) || bits < 0) throw new ValueError(`${what}: width must be a non-negative integer, got ${bits}`);
  if (pos + bits > len * 8) {
    throw new ValueError(`${what}: bits [${pos}, ${pos + bits}) run past the end of a ${len}-byte buffer`);
  }
}

/**
 * Writes `index` as `bits` bits at stream bit `pos` of `out`, least significant bit first; stream bit t
 * is bit (t & 7) of byte (t >> 3), the project's little-endian convention (src/dtype/pack.ts). Only the
 * `bits` target bits change. Throws if the index does not fit or the span runs past the buffer.
 * @example
 * const buf = new Uint8Array(2);
 * writeIndexBits(buf, 3, 5n, 4); // buf[0] === 0b0010_1000
 */
export function writeIndexBits(out: Uint8Array, pos: number, index: bigint | number, bits: number): void {
  checkSpan(out.length, pos, bits, 'writeIndexBits');
  if (typeof index === 'number') {
    if (!Number.isSafeInteger(index) || index < 0) throw new ValueError(`writeIndexBits: index ${index} is not a non-negative safe integer`);
    if (bits < 53 && index >= 2 ** bits) throw new ValueError(`writeIndexBits: index ${index} does not fit in ${bits} bits`);
    let v = index;
    for (let done = 0; done < bits; done += CHUNK) {
      const w = Math.min(CHUNK, bits - done);
      const low = v % CHUNK_MOD;
      writeChunk(out, pos + done, w < CHUNK ? low % 2 ** w : low, w);
      v = Math.floor(v / CHUNK_MOD);
    }
    return;
  }
  if (index < 0n || index >> BigInt(bits) !== 0n) throw new ValueError(`writeIndexBits: index ${index} does not fit in ${bits} bits`);
  let v = index;
  for (let done = 0; done < bits; done += CHUNK) {
    const w = Math.min(CHUNK, bits - done);
    writeChunk(out, pos + done, Number(v & BigInt(2 ** w - 1)), w);
    v >>= BigInt(CHUNK);
  }
}

/**
 * Reads `bits` bits at stream bit `pos` (the layout of `writeIndexBits`) as a BigInt.
 * @example
 * readIndexBits(Uint8Array.of(0b0010_1000, 0), 3, 4) === 5n
 */
export function readIndexBits(buf: Uint8Array, pos: number, bits: number): bigint {
  checkSpan(buf.length, pos, bits, 'readIndexBits');
  if (bits <= 53) return BigInt(readIndexBitsNumber(buf, pos, bits));
  let v = 0n;
  for (let done = 0; done < bits; done += CHUNK) {
    const w = Math.min(CHUNK, bits - done);
    v |= BigInt(readChunk(buf, pos + done, w)) << BigInt(done);
  }
  return v;
}

/**
 * Reads `bits <= 53` bits at stream bit `pos` as a number (the fast path of `readIndexBits`).
 * @example
 * readIndexBitsNumber(Uint8Array.of(0xff, 0x01), 4, 5) === 31
 */
export function readIndexBitsNumber(buf: Uint8Array, pos: number, bits: number): number {
  checkSpan(buf.length, pos, bits, 'readIndexBitsNumber');
  if (bits > 53) throw new ValueError(`readIndexBitsNumber: ${bits} bits do not fit a number exactly (max 53); use readIndexBits`);
  let v = 0;
  let scale = 1;
  for (let done = 0; done < bits; done += CHUNK) {
    const w = Math.min(CHUNK, bits - done);
    v += readChunk(buf, pos + done, w) * scale;
    scale *= CHUNK_MOD;
  }
  return v;
}

/**
 * Packs indices of `bits` bits each into one bit stream: index j at stream bits [j*bits, (j+1)*bits),
 * least significant bit first, in ceil(count*bits/8) bytes with the unused tail bits 0.
 * @example
 * packPvqIndices([1n, 2n, 3n], 12).length === 5
 */
export function packPvqIndices(indices: readonly (bigint | number)[], bits: number, out?: Uint8Array): Uint8Array {
  const n = Math.ceil((indices.length * bits) / 8);
  const buf = out ?? new Uint8Array(n);
  if (buf.length < n) throw new ValueError(`packPvqIndices: output of ${buf.length} bytes is smaller than the ${n} bytes needed`);
  buf.fill(0, 0, n);
  for (let j = 0; j < indices.length; j++) writeIndexBits(buf, j * bits, indices[j], bits);
  return buf;
}

/**
 * Reads `count` indices of `bits` bits each from a stream written by `packPvqIndices`.
 * @example
 * unpackPvqIndices(packPvqIndices([7n, 1n], 3), 3, 2) // [7n, 1n]
 */
export function unpackPvqIndices(bytes: Uint8Array, bits: number, count: number): bigint[] {
  const need = Math.ceil((count * bits) / 8);
  if (bytes.length < need) throw new ValueError(`unpackPvqIndices: ${count} indices of ${bits} bits need ${need} bytes, got ${bytes.length}`);
  const res: bigint[] = [];
  for (let j = 0; j < count; j++) res.push(readIndexBits(bytes, j * bits, bits));
  return res;
}
