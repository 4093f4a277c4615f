/**
 * Test helper: builds safetensors bytes by hand from a header object and a data buffer, independent
 * of the library's writer, so hostile headers can be crafted and the reader checked against a layout
 * the test itself spells out. Not a test file.
 */

/** Bytes of a safetensors file: u64 LE length, the header JSON (padded to 8 with spaces), data. */
export function stBytes(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  let json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const p = new Uint8Array(json.length + pad).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The raw header object and data buffer of safetensors bytes (parsed by hand). */
export function splitSt(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { header, data: bytes.subarray(8 + n) };
}
