/**
 * Makes a wasm binary safe to instantiate a second time against a memory that is already in use.
 * Instantiation copies every *active* data segment into memory; a worker thread instantiating the
 * kernel module against the shared memory would therefore rewrite the module's static data while
 * the main thread (or another worker) may have changed it. `passiveDataBinary` rewrites every active
 * segment as a passive one (same index and bytes, so `memory.init`/`data.drop` keep their meaning)
 * and leaves the rest of the binary untouched: instantiating the result writes nothing to memory.
 *
 * Binary format (WebAssembly core spec 5.5.14, data section id 11): a segment is
 *   0x00 expr bytes            active, memory 0
 *   0x01 bytes                 passive
 *   0x02 memidx expr bytes     active, explicit memory
 * where expr is a constant expression terminated by 0x0b. Not a general wasm rewriter.
 */
import { readLeb } from '../wasm/module.js';

/** Skips a LEB128 number (signed or unsigned: only its length matters). */
function skipLeb(bytes: Uint8Array, pos: number): number {
  while (bytes[pos++] & 0x80) {
    if (pos > bytes.length) throw new Error('truncated LEB128 in wasm binary');
  }
  return pos;
}

/** Skips a constant expression (i32/i64.const, global.get, extended-const arithmetic) and its end. */
function skipConstExpr(bytes: Uint8Array, pos: number): number {
  for (;;) {
    const op = bytes[pos++];
    if (op === 0x0b) return pos;
    if (op === 0x41 || op === 0x42 || op === 0x23) pos = skipLeb(bytes, pos);
    else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e) continue;
    else throw new Error(`unsupported opcode 0x${(op ?? 0).toString(16)} in a data segment offset`);
  }
}

function encodeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Rewrites the body of a data section with every segment passive. */
function passiveSection(bytes: Uint8Array, body: number, end: number): Uint8Array {
  const out: number[] = [];
  let [count, p] = readLeb(bytes, body);
  out.push(...encodeU32(count));
  for (; count > 0; count--) {
    const flag = bytes[p++];
    if (flag === 0) p = skipConstExpr(bytes, p);
    else if (flag === 2) p = skipConstExpr(bytes, readLeb(bytes, p)[1]);
    else if (flag !== 1) throw new Error(`unknown data segment kind ${flag}`);
    const [len, data] = readLeb(bytes, p);
    out.push(1, ...encodeU32(len));
    for (let i = 0; i < len; i++) out.push(bytes[data + i]);
    p = data + len;
  }
  if (p !== end) throw new Error('malformed data section');
  return Uint8Array.from(out);
}

/**
 * The binary with every active data segment made passive (the input itself when it has none).
 * @example
 * const workerModule = new WebAssembly.Module(passiveDataBinary(bytes));
 */
export function passiveDataBinary(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let changed = false;
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++];
    const [size, body] = readLeb(bytes, pos);
    const end = body + size;
    if (id === 11) {
      const section = passiveSection(bytes, body, end);
      parts.push(Uint8Array.from([11, ...encodeU32(section.length)]), section);
      changed = true;
    } else {
      parts.push(bytes.subarray(start, end));
    }
    pos = end;
  }
  if (!changed) return bytes;
  const total = parts.reduce((s, b) => s + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
