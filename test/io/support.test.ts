/**
 * The I/O support modules: strict JSON (duplicate keys, escapes, deep nesting), byte sources (range
 * checks before allocation, Blob and file reads, close), atomic writes (temp file lifecycle).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../src/errors.js';
import { findDuplicateKey, parseJsonStrict } from '../../src/io/json.js';
import { blobSource, bytesSource, fileSource, openSource, readBytes } from '../../src/io/sources.js';
import { writeFileAtomic, writeTemp } from '../../src/io/atomic.js';
import { tempDir } from './tmp.js';

describe('strict JSON', () => {
  it('finds duplicate keys at any depth, after unescaping, and not inside strings or arrays', () => {
    expect(findDuplicateKey('{"a":1,"b":{"a":2},"a":3}')).toEqual({ key: 'a', parent: null });
    expect(findDuplicateKey('{"x":{"k":1,"k":2}}')).toEqual({ key: 'k', parent: 'x' });
    expect(findDuplicateKey('{"a":1,"\\u0061":2}')).toEqual({ key: 'a', parent: null });
    expect(findDuplicateKey('{"a":"{\\"a\\":1,\\"a\\":2}","b":["a","a"],"c":[{"a":1},{"a":1}]}')).toBeNull();
    expect(findDuplicateKey('{"q\\"":1,"q\\"":2}')).toEqual({ key: 'q"', parent: null });
  });

  it('agrees with a Map-based reference on random JSON objects', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', '\\u0061', 'a"'), fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 }), (pairs) => {
        const text = `{${pairs.map(([k, v]) => `"${k.replace('"', '\\"')}":${JSON.stringify(v)}`).join(',')}}`;
        const top = pairs.map(([k]) => JSON.parse(`"${k.replace('"', '\\"')}"`) as string);
        const dupTop = top.length !== new Set(top).size;
        const r = findDuplicateKey(text);
        // Values are JSON.stringify output, which never repeats a key, so any duplicate is top level.
        expect(r !== null).toBe(dupTop);
        if (r) expect(r.parent).toBeNull();
      }),
    );
  });

  it('parses deep nesting without a stack overflow and reports bad JSON as FormatError', () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    expect(findDuplicateKey(deep)).toBeNull();
    expect(() => parseJsonStrict('{"a":', 'f.json')).toThrow(FormatError);
    expect(() => parseJsonStrict('{"a":1,"a":1}', 'f.json')).toThrow(/f\.json: duplicate key "a" at top level/);
  });
});

describe('byte sources', () => {
  it('checks ranges before allocating, for every kind of source', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const dir = await tempDir();
    const path = join(dir, 'b.bin');
    await writeFileAtomic(path, bytes);
    for (const src of [bytesSource(bytes), blobSource(new Blob([bytes])), await fileSource(path), await openSource(bytes.buffer)]) {
      expect(src.size).toBe(5);
      expect(Array.from(await readBytes(src, 1, 3))).toEqual([2, 3, 4]);
      await expect(readBytes(src, 3, 3)).rejects.toThrow(/read of 3 bytes at offset 3 is outside the 5 bytes/);
      await expect(readBytes(src, 0, 2 ** 60)).rejects.toBeInstanceOf(FormatError);
      await expect(readBytes(src, -1, 1)).rejects.toBeInstanceOf(FormatError);
      await src.close();
    }
    const f = await fileSource(path);
    await f.close();
    await expect(f.readInto(0, new Uint8Array(1))).rejects.toThrow(/read after close/);
    await expect(openSource(42 as unknown as Uint8Array)).rejects.toBeInstanceOf(ValueError);
    // A typed array view is read within its own window.
    const view = new Uint8Array(bytes.buffer, 2, 2);
    expect(Array.from(await readBytes(bytesSource(view), 0, 2))).toEqual([3, 4]);
  });
});

describe('atomic writes', () => {
  it('keeps the temp file invisible until commit, and discard removes it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.json');
    await writeFileAtomic(path, new TextEncoder().encode('old'));
    const p = await writeTemp(path, (s) => s.write(new TextEncoder().encode('new')));
    expect(await readFile(path, 'utf8')).toBe('old');
    expect((await readdir(dir)).length).toBe(2);
    await p.discard();
    expect(await readdir(dir)).toEqual(['x.json']);
    const q = await writeTemp(path, async (s) => {
      await s.write(new TextEncoder().encode('ne'));
      await s.write(new TextEncoder().encode('w'));
      expect(s.bytesWritten).toBe(3);
    });
    await q.commit();
    expect(await readFile(path, 'utf8')).toBe('new');
    await expect(q.commit()).rejects.toThrow(/already committed/);
    expect(await readdir(dir)).toEqual(['x.json']);
  });
});
