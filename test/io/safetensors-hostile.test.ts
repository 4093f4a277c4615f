/**
 * Hostile and broken safetensors files: each defect gets a FormatError that names the file (and the
 * tensor), before anything is allocated in proportion to what the file claims. The fuzz properties
 * mutate the real header of the tiny Llama's second shard (served from a virtual source whose data
 * buffer is never materialised) and feed random bytes; every outcome must be a valid table or a
 * FormatError, and opening must never read beyond the header.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { openSafetensors } from '../../src/io/safetensors.js';
import { DTYPES } from '../../src/dtype/table.js';
import { denseFromSafetensors } from '../../src/io/safetensors-header.js';
import type { ByteSource } from '../../src/io/sources.js';
import { splitSt, stBytes } from './st-bytes.js';

const SHARD2 = 'test/fixtures/tiny-llama-bytes/model-00002-of-00002.safetensors';

async function rejects(bytes: Uint8Array | ByteSource, pattern: RegExp): Promise<void> {
  const err = await openSafetensors(bytes, 'evil.safetensors').then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(/evil\.safetensors|<bytes>/);
  expect((err as Error).message).toMatch(pattern);
}

const f32 = (n: number) => new Uint8Array(n * 4);

describe('hostile headers', () => {
  it('rejects a header length beyond the file or above the 100 MB cap without allocating it', async () => {
    const b = stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1));
    new DataView(b.buffer).setBigUint64(0, BigInt(b.length), true);
    await rejects(b, /header length \d+ exceeds the \d+ bytes after/);
    new DataView(b.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    await rejects(b, /exceeds the 100000000-byte limit/);
    // A 1 TB virtual file claiming a 200 MB header: refused before any header read.
    let requested = 0;
    const huge: ByteSource = {
      label: 'evil.safetensors',
      size: 2 ** 40,
      async readInto(pos, target) {
        requested += target.length;
        target.fill(0);
        if (pos === 0) new DataView(target.buffer, target.byteOffset).setBigUint64(0, 200_000_000n, true);
      },
      async close() {},
    };
    await rejects(huge, /limit/);
    expect(requested).toBe(8);
    await rejects(new Uint8Array(5), /too short/);
  });

  it('rejects bad JSON, bad UTF-8, non-objects and duplicate names', async () => {
    await rejects(stBytes(null, undefined, '{"a": {'), /invalid JSON/);
    await rejects(stBytes(null, undefined, '[1, 2]'), /JSON object/);
    const bad = stBytes(null, undefined, '{"\xff": 1}');
    bad[10] = 0xff; // lone continuation byte inside the key
    await rejects(bad, /UTF-8|invalid JSON/);
    const dup = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}';
    await rejects(stBytes(null, new Uint8Array(2), dup), /duplicate key "a"/);
    await rejects(stBytes({ a: 5 }), /tensor "a": entry must be an object/);
    await rejects(stBytes({ __metadata__: { n: 1 } }), /__metadata__ must be an object of string values/);
  });

  it('rejects unknown dtypes and bad shapes, naming the tensor', async () => {
    await rejects(stBytes({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "w": unsupported dtype "F8_E4M3"/);
    await rejects(stBytes({ w: { dtype: 7, shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "w": dtype must be a string/);
    for (const shape of [[1.5], [-1], ['4'], [1e300], 4, [2 ** 53]]) {
      await rejects(stBytes({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, f32(1)), /tensor "w": shape must be an array of non-negative integers/);
    }
  });

  it('rejects offsets out of range, reversed, overlapping, leaving holes or trailing bytes', async () => {
    await rejects(stBytes({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /tensor "w": data_offsets \[0, 8\] exceed the 4-byte data buffer/);
    await rejects(stBytes({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)), /end before they begin/);
    await rejects(stBytes({ w: { dtype: 'F32', shape: [1], data_offsets: [0, -4] } }, f32(1)), /data_offsets must be two non-negative integers/);
    await rejects(stBytes({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), /data_offsets must be two/);
    await rejects(
      stBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /tensor "b" at \[4, 12\] overlaps tensor "a"/,
    );
    await rejects(
      stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)),
      /bytes \[4, 8\) of the data buffer belong to no tensor/,
    );
    await rejects(stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /cover 4 bytes but the data buffer holds 8/);
  });

  it('rejects a byte span that does not match shape x dtype size', async () => {
    await rejects(stBytes({ w: { dtype: 'BF16', shape: [3], data_offsets: [0, 8] } }, f32(2)), /tensor "w": BF16 \[3\] needs 6 bytes, but data_offsets \[0, 8\] span 8/);
    await rejects(
      stBytes({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32(2)),
      /needs more than 8 bytes/,
    );
  });

  it('rejects a checkpoint whose index and shards disagree, or whose index escapes the directory', async () => {
    const shard = stBytes({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
    const index = (m: Record<string, string>) => new TextEncoder().encode(JSON.stringify({ weight_map: m }));
    const cases: [Record<string, Uint8Array>, RegExp][] = [
      [{ 'model.safetensors.index.json': index({ a: 's1', b: 's1' }), s1: shard }, /maps tensor "b" to s1, which does not hold it/],
      [{ 'model.safetensors.index.json': index({}), s1: shard }, /^$/], // no shard listed: empty checkpoint, no error
      [{ 'model.safetensors.index.json': index({ a: 's1', x: 's2' }), s1: shard, s2: shard }, /"a" is in both s1 and s2/],
      [{ 'model.safetensors.index.json': index({ a: '../s1' }), s1: shard }, /must be a relative path inside/],
      [{ 'model.safetensors.index.json': index({ a: 's9' }) }, /s9 is missing/],
      [{ 'model.safetensors.index.json': new TextEncoder().encode('{"weight_map": 3}') }, /"weight_map" object/],
      [{}, /neither model\.safetensors\.index\.json nor model\.safetensors/],
    ];
    for (const [files, pattern] of cases) {
      const r = await openCheckpoint(files).then(
        (c) => (c.close(), null),
        (e: unknown) => e,
      );
      if (pattern.source === '^$') expect(r).toBeNull();
      else {
        expect(r).toBeInstanceOf(FormatError);
        expect((r as Error).message).toMatch(pattern);
      }
    }
  });
});

/** A source serving `head` and then zeros up to `size`, counting the bytes asked for. */
function virtualSource(head: Uint8Array, size: number): ByteSource & { requested: number } {
  const src = {
    label: 'evil.safetensors',
    size,
    requested: 0,
    async readInto(pos: number, target: Uint8Array) {
      src.requested += target.length;
      target.fill(0);
      if (pos < head.length) target.set(head.subarray(pos, Math.min(head.length, pos + target.length)));
    },
    async close() {},
  };
  return src;
}

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };

describe('fuzz', async () => {
  const real = new Uint8Array(await readFile(SHARD2));
  const { header, data } = splitSt(real);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const headerLen = real.length - data.length - 8;

  /** Opens `bytes` (a header prefix of a virtual file of `size`): a valid table or a FormatError. */
  async function check(head: Uint8Array, size: number): Promise<void> {
    const src = virtualSource(head, size);
    let f;
    try {
      f = await openSafetensors(src);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      expect(e.message).toContain('evil.safetensors');
      expect(src.requested).toBeLessThanOrEqual(Math.min(size, 8 + 100_000_000));
      return;
    }
    // Accepted: every tensor's span is inside the file and matches its shape and dtype.
    const n = Number(new DataView(head.buffer, head.byteOffset).getBigUint64(0, true));
    expect(src.requested).toBe(8 + n);
    let total = 0;
    for (const name of f.names) {
      const info = f.info(name);
      const elems = info.shape.reduce((a, b) => a * b, 1);
      expect(info.byteLength).toBe(elems * DTYPES[info.dtype].dense.bytes);
      expect(f.offsetOf(name) + info.byteLength).toBeLessThanOrEqual(size);
      total += info.byteLength;
    }
    expect(total).toBe(size - 8 - n);
  }

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('dtype' as const), v: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U16', 'F8_E5M2', 'bf16', ''), fc.integer()) }),
    fc.record({ kind: fc.constant('shape' as const), v: fc.array(fc.oneof(fc.nat(5000), fc.integer(), fc.double()), { maxLength: 4 }) }),
    fc.record({
      kind: fc.constant('offsets' as const),
      v: fc.tuple(fc.oneof(fc.nat(8_000_000), fc.integer()), fc.oneof(fc.nat(8_000_000), fc.integer(), fc.double())),
    }),
    fc.record({ kind: fc.constant('delete' as const), v: fc.constant(0) }),
    fc.record({ kind: fc.constant('shift' as const), v: fc.integer({ min: -4, max: 4 }) }),
  );

  it('mutated real headers give a valid table or a FormatError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(names.length - 1), mutation), { minLength: 1, maxLength: 3 }), fc.integer({ min: -16, max: 16 }), async (muts, sizeDelta) => {
        const h = structuredClone(header) as Record<string, Entry>;
        for (const [i, m] of muts) {
          const e = h[names[i]];
          if (!e) continue;
          if (m.kind === 'dtype') e.dtype = m.v;
          else if (m.kind === 'shape') e.shape = m.v;
          else if (m.kind === 'offsets') e.data_offsets = m.v;
          else if (m.kind === 'delete') delete h[names[i]];
          else {
            const [b, en] = e.data_offsets as [number, number];
            e.data_offsets = [b + m.v, en + m.v];
          }
        }
        const head = stBytes(h);
        const n = head.length - 8;
        await check(head, Math.max(8 + n, 8 + n + data.length + sizeDelta * 2));
      }),
      { numRuns: 300 },
    );
  });

  it('the unmutated header is accepted (the property above can tell valid from invalid)', async () => {
    const src = virtualSource(real.subarray(0, 8 + headerLen), real.length);
    const f = await openSafetensors(src);
    expect(f.names.length).toBe(names.length);
    expect(denseFromSafetensors('BF16')).toBe('bf16');
  });

  it('byte-level corruption of the header and random files give a FormatError or a valid table', async () => {
    const head = real.slice(0, 8 + headerLen);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(head.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), async (flips) => {
        const h = head.slice();
        for (const [i, b] of flips) h[i] = b;
        await check(h, real.length);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.nat(1 << 20), async (bytes, extra) => {
        await check(bytes, bytes.length + (extra % 4 === 0 ? 0 : extra));
      }),
      { numRuns: 300 },
    );
    // Random JSON-ish headers with a valid length field.
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.nat(64), async (text, dataLen) => {
        await check(stBytes(null, new Uint8Array(dataLen), text), 0 + stBytes(null, new Uint8Array(dataLen), text).length);
      }),
      { numRuns: 200 },
    );
  });
});
