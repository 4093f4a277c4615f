/**
 * Sub-byte packing of quantized codes: unsigned integers of any width 1..8 bits packed into bytes as a
 * little-endian bit stream, one row at a time. This is the storage contract of `QTensor.codes` that the
 * WASM kernels read; it depends on nothing but byte order within a Uint8Array, so it is the same on
 * every platform. Not a quantizer: codes come in already computed (src/ops/quant.ts).
 *
 * Layout. A row of `count` codes of `bits` bits is a bit stream of `count * bits` bits stored in
 * `packedBytes(count, bits) = ceil(count * bits / 8)` bytes:
 *
 * - code j occupies stream bits [j*bits, (j+1)*bits), least significant bit first;
 * - stream bit t is bit (t & 7) of byte (t >> 3) of the row;
 * - unused bits at the end of the last byte are 0;
 * - every row starts on a byte boundary (rows are packed independently), so a [rows, cols] matrix of
 *   codes is a [rows, rowBytes] uint8 matrix with rowBytes = packedBytes(cols, bits).
 *
 * ```
 * 4 bits (nibbles): code 2i in the low nibble of byte i, code 2i+1 in the high nibble
 *   byte 0: [ c1 c1 c1 c1 | c0 c0 c0 c0 ]      (bit 7 ... bit 0)
 *   byte 1: [ c3 c3 c3 c3 | c2 c2 c2 c2 ]
 *
 * 2 bits: code 4i+k in bits [2k, 2k+2) of byte i
 *   byte 0: [ c3 c3 | c2 c2 | c1 c1 | c0 c0 ]
 *
 * 3 bits: 8 codes in 3 bytes; codes 2 and 5 straddle a byte boundary (low bits first)
 *   byte 0: [ c2₁ c2₀ | c1 c1 c1 | c0 c0 c0 ]
 *   byte 1: [ c5₀ | c4 c4 c4 | c3 c3 c3 | c2₂ ]
 *   byte 2: [ c7 c7 c7 | c6 c6 c6 | c5₂ c5₁ ]
 *   (cK_b is bit b of code K)
 *
 * 8 bits: one code per byte.
 * ```
 *
 * For the `codebook` dtype the codes are vector indices (indexBits wide, one per `vectorDim` columns),
 * packed the same way.
 */
import { ValueError, describeValue } from '../errors.js';

/** Throws unless `bits` is a code width this module packs (an integer 1..8); names `op` when given. */
export function checkBits(bits: number, op?: string): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw new ValueError(`${op ? `${op}: ` : ''}code width must be an integer from 1 to 8 bits, got ${bits}`);
  }
}

/** `packedBytes` with its errors naming `op` (the public function the caller called). */
function bytesFor(op: string, count: number, bits: number): number {
  checkBits(bits, op);
  if (!Number.isInteger(count) || count < 0) throw new ValueError(`${op}: code count must be a non-negative integer, got ${count}`);
  return Math.ceil((count * bits) / 8);
}

/**
 * Bytes holding `count` codes of `bits` bits: ceil(count * bits / 8).
 * @example
 * packedBytes(5, 3) === 2; packedBytes(4096, 4) === 2048
 */
export function packedBytes(count: number, bits: number): number {
  return bytesFor('packedBytes', count, bits);
}

/** Throws unless `codes` is an array or typed array (checked before its length is read). */
function checkCodesArg(op: string, codes: ArrayLike<number>): void {
  if (typeof codes !== 'object' || codes === null || typeof codes.length !== 'number') {
    throw new ValueError(`${op}: codes must be an array or typed array of integers, got ${describeValue(codes)}`);
  }
}

/** Throws unless `bytes` is a Uint8Array (checked before its length is read). */
function checkBytesArg(op: string, bytes: Uint8Array): void {
  // by tag, not instanceof: a Uint8Array (or Buffer) from another realm is one too
  if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') throw new ValueError(`${op}: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
}

function checkCodes(codes: ArrayLike<number>, bits: number): void {
  const max = (1 << bits) - 1;
  for (let j = 0; j < codes.length; j++) {
    const c = codes[j];
    // `c >>> 0 !== c` rejects negatives, fractions and NaN in one test
    if (c >>> 0 !== c || c > max) {
      throw new ValueError(`code ${c} at index ${j} does not fit in ${bits} bits (0..${max})`);
    }
  }
}

function outBuffer(n: number, out: Uint8Array | undefined, what: string): Uint8Array {
  if (!out) return new Uint8Array(n);
  if (out.length < n) throw new ValueError(`${what}: output of ${out.length} bytes is smaller than the ${n} bytes needed`);
  return out;
}

/** Packs `codes[0..n)` (already checked) into `out[0..packedBytes(n))`, overwriting every byte. */
function packInto(codes: ArrayLike<number>, start: number, n: number, bits: number, out: Uint8Array, o: number): void {
  switch (bits) {
    case 8:
      for (let j = 0; j < n; j++) out[o + j] = codes[start + j];
      return;
    case 4: {
      const full = n >> 1;
      for (let i = 0; i < full; i++) out[o + i] = codes[start + 2 * i] | (codes[start + 2 * i + 1] << 4);
      if (n & 1) out[o + full] = codes[start + n - 1];
      return;
    }
    case 2: {
      const full = n >> 2;
      for (let i = 0; i < full; i++) {
        const b = start + 4 * i;
        out[o + i] = codes[b] | (codes[b + 1] << 2) | (codes[b + 2] << 4) | (codes[b + 3] << 6);
      }
      const rest = n & 3;
      if (rest) {
        let v = 0;
        for (let k = 0; k < rest; k++) v |= codes[start + 4 * full + k] << (2 * k);
        out[o + full] = v;
      }
      return;
    }
    default: {
      // General width: an accumulator of at most 15 bits, flushed a byte at a time.
      let acc = 0;
      let nb = 0;
      let p = o;
      for (let j = 0; j < n; j++) {
        acc |= codes[start + j] << nb;
        nb += bits;
        while (nb >= 8) {
          out[p++] = acc & 0xff;
          acc >>>= 8;
          nb -= 8;
        }
      }
      if (nb > 0) out[p] = acc & 0xff;
    }
  }
}

/** Unpacks n codes from `bytes[o..)` into `out[start..start+n)`. */
function unpackInto(bytes: Uint8Array, o: number, n: number, bits: number, out: Uint8Array, start: number): void {
  switch (bits) {
    case 8:
      for (let j = 0; j < n; j++) out[start + j] = bytes[o + j];
      return;
    case 4: {
      const full = n >> 1;
      for (let i = 0; i < full; i++) {
        const b = bytes[o + i];
        out[start + 2 * i] = b & 0xf;
        out[start + 2 * i + 1] = b >> 4;
      }
      if (n & 1) out[start + n - 1] = bytes[o + full] & 0xf;
      return;
    }
    case 2: {
      const full = n >> 2;
      for (let i = 0; i < full; i++) {
        const b = bytes[o + i];
        const d = start + 4 * i;
        out[d] = b & 3;
        out[d + 1] = (b >> 2) & 3;
        out[d + 2] = (b >> 4) & 3;
        out[d + 3] = b >> 6;
      }
      const rest = n & 3;
      for (let k = 0; k < rest; k++) out[start + 4 * full + k] = (bytes[o + full] >> (2 * k)) & 3;
      return;
    }
    default: {
      const mask = (1 << bits) - 1;
      let acc = 0;
      let nb = 0;
      let p = o;
      for (let j = 0; j < n; j++) {
        while (nb < bits) {
          acc |= bytes[p++] << nb;
          nb += 8;
        }
        out[start + j] = acc & mask;
        acc >>>= bits;
        nb -= bits;
      }
    }
  }
}

/**
 * Packs codes (integers 0..2^bits-1) into a little-endian bit stream (see the layout at the top of
 * this file). Every byte of the result is written; unused tail bits are 0.
 * @param out optional destination of at least `packedBytes(codes.length, bits)` bytes
 * @throws ValueError when `bits` is not 1..8 or a code does not fit
 * @example
 * packBits([1, 2, 3], 4);          // Uint8Array [0x21, 0x03]
 * packBits([1, 2, 3, 4, 5], 3);    // Uint8Array [0xd1, 0x58]
 */
export function packBits(codes: ArrayLike<number>, bits: number, out?: Uint8Array): Uint8Array {
  checkCodesArg('packBits', codes);
  const n = bytesFor('packBits', codes.length, bits);
  checkCodes(codes, bits);
  const dst = outBuffer(n, out, 'packBits');
  packInto(codes, 0, codes.length, bits, dst, 0);
  return dst;
}

/**
 * Unpacks `count` codes of `bits` bits from a bit stream written by `packBits`.
 * @param out optional destination of at least `count` elements
 * @throws ValueError when `bytes` is shorter than `packedBytes(count, bits)`
 * @example
 * unpackBits(new Uint8Array([0x21, 0x03]), 4, 3); // Uint8Array [1, 2, 3]
 */
export function unpackBits(bytes: Uint8Array, bits: number, count: number, out?: Uint8Array): Uint8Array {
  checkBytesArg('unpackBits', bytes);
  const n = bytesFor('unpackBits', count, bits);
  if (bytes.length < n) throw new ValueError(`unpackBits: ${count} codes of ${bits} bits need ${n} bytes, got ${bytes.length}`);
  const dst = out ?? new Uint8Array(count);
  if (dst.length < count) throw new ValueError(`unpackBits: output of ${dst.length} elements is smaller than the ${count} codes`);
  unpackInto(bytes, 0, count, bits, dst, 0);
  return dst;
}

/**
 * Packs a row-major [rows, cols] matrix of codes row by row: each row is its own bit stream of
 * `packedBytes(cols, bits)` bytes, starting on a byte boundary.
 * @param out optional destination of at least `rows * packedBytes(cols, bits)` bytes
 * @example
 * packRows([1, 2, 3, 4, 5, 6], 2, 3, 4); // Uint8Array [0x21, 0x03, 0x54, 0x06]
 */
export function packRows(codes: ArrayLike<number>, rows: number, cols: number, bits: number, out?: Uint8Array): Uint8Array {
  checkCodesArg('packRows', codes);
  const rb = bytesFor('packRows', cols, bits);
  if (codes.length !== rows * cols) {
    throw new ValueError(`packRows: ${codes.length} codes do not fill [${rows},${cols}] (${rows * cols} codes)`);
  }
  checkCodes(codes, bits);
  const dst = outBuffer(rows * rb, out, 'packRows');
  for (let r = 0; r < rows; r++) packInto(codes, r * cols, cols, bits, dst, r * rb);
  return dst;
}

/**
 * Unpacks a [rows, rowBytes] matrix written by `packRows` into row-major [rows, cols] codes.
 * @example
 * unpackRows(new Uint8Array([0x21, 0x03, 0x54, 0x06]), 2, 3, 4); // Uint8Array [1, 2, 3, 4, 5, 6]
 */
export function unpackRows(bytes: Uint8Array, rows: number, cols: number, bits: number, out?: Uint8Array): Uint8Array {
  checkBytesArg('unpackRows', bytes);
  const rb = bytesFor('unpackRows', cols, bits);
  if (bytes.length < rows * rb) {
    throw new ValueError(`unpackRows: [${rows},${cols}] codes of ${bits} bits need ${rows * rb} bytes, got ${bytes.length}`);
  }
  const dst = out ?? new Uint8Array(rows * cols);
  if (dst.length < rows * cols) throw new ValueError(`unpackRows: output of ${dst.length} elements is smaller than ${rows * cols} codes`);
  for (let r = 0; r < rows; r++) unpackInto(bytes, r * rb, cols, bits, dst, r * cols);
  return dst;
}

/**
 * Reads code `j` of a packed row (random access, for references and tests; loops use `unpackBits`).
 * @example
 * readCode(new Uint8Array([0xd1, 0x58]), 3, 2); // 3
 */
export function readCode(row: Uint8Array, bits: number, j: number): number {
  checkBits(bits);
  const t = j * bits;
  const byte = t >> 3;
  const sh = t & 7;
  if (!Number.isInteger(j) || j < 0 || ((t + bits + 7) >> 3) > row.length) {
    throw new ValueError(`readCode: code ${j} of ${bits} bits is outside a row of ${row.length} bytes`);
  }
  // A code spans at most two bytes since bits <= 8.
  const two = row[byte] | (sh + bits > 8 ? row[byte + 1] << 8 : 0);
  return (two >> sh) & ((1 << bits) - 1);
}
