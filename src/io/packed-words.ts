/**
 * 32-bit word columns and rows of int32 matrices as little-endian byte streams: the bridge between the
 * library's bit-stream packing (src/dtype/pack.ts) and checkpoint layouts that pack codes into int32
 * words (GPTQ, AWQ). A word's bytes are read and written little-endian whatever the platform, so a
 * stream of codes packed LSB-first is the same bits as the words packed by shift-and-or.
 */

/**
 * Writes the LE 32-bit words of `bytes` to `dst[col]`, `dst[col + stride]`, ... (a column, or a row with stride 1).
 * @example
 * const m = new Int32Array(4); // [2, 2]
 * scatterWords(packBits([1, 2, 3, 4, 5, 6, 7, 0, 1, 1, 1, 1, 1, 1, 1, 1], 4), m, 1, 2); // column 1: 0x07654321, 0x11111111
 */
export function scatterWords(bytes: Uint8Array, dst: Int32Array, col: number, stride: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < bytes.length / 4; k++) dst[k * stride + col] = dv.getInt32(4 * k, true);
}

/**
 * Reads `words` int32 values at `col`, `col + stride`, ... as LE bytes (a column, or a row with stride 1).
 * @example
 * unpackBits(gatherWords(m, 1, 2, 2), 4, 16); // the 16 codes scattered above
 */
export function gatherWords(src: Int32Array, col: number, stride: number, words: number): Uint8Array {
  const bytes = new Uint8Array(words * 4);
  const dv = new DataView(bytes.buffer);
  for (let k = 0; k < words; k++) dv.setInt32(4 * k, src[k * stride + col], true);
  return bytes;
}
