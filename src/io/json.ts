/**
 * Strict JSON for file headers: `JSON.parse` plus detection of duplicate keys, which `JSON.parse`
 * resolves silently by keeping the last one (so a hostile safetensors header could name one tensor
 * twice and have a reader and a validator disagree about it). Runtime-independent; no I/O. Not a
 * general JSON library: it only adds the checks file formats need.
 */
import { FormatError } from '../errors.js';

/** A key that occurs twice in one JSON object, and the key of the object holding it (null: top level). */
export interface DuplicateKey {
  readonly key: string;
  readonly parent: string | null;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Finds the first key repeated within one object of a JSON text, or null. The text must already be
 * valid JSON (run it after `JSON.parse`): the scan then only has to tell strings from structure.
 * Keys are compared after unescaping, so `"a"` and `"\u0061"` are the same key. Iterative, so deeply
 * nested input cannot overflow the stack; linear in the text length.
 * @example
 * findDuplicateKey('{"a":1,"b":{"a":2},"a":3}'); // { key: 'a', parent: null }
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  // One frame per open container: the keys seen (null for arrays) and the key naming the container.
  const keys: (Set<string> | null)[] = [];
  const names: (string | null)[] = [];
  let lastKey: string | null = null;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      keys.push(c === 0x7b ? new Set() : null);
      names.push(lastKey);
      lastKey = null;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      keys.pop();
      names.pop();
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        j++;
      }
      let k = j + 1;
      while (k < n && isSpace(text.charCodeAt(k))) k++;
      const top = keys.length > 0 ? keys[keys.length - 1] : null;
      if (top && k < n && text.charCodeAt(k) === 0x3a /* : */) {
        const raw = text.slice(i, j + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.has(key)) return { key, parent: names[names.length - 1] };
        top.add(key);
        lastKey = key;
      }
      i = j;
    }
  }
  return null;
}

/**
 * Parses JSON text, throwing `FormatError` (naming `label`) on invalid JSON or a duplicated key.
 * @example
 * parseJsonStrict('{"a":1}', 'model.safetensors header'); // { a: 1 }
 * parseJsonStrict('{"a":1,"a":2}', 'x'); // throws FormatError: x: duplicate key "a" at top level
 */
export function parseJsonStrict(text: string, label: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${label}: invalid JSON (${(e as Error).message})`);
  }
  const dup = findDuplicateKey(text);
  if (dup) {
    const where = dup.parent === null ? 'at top level' : `in "${dup.parent}"`;
    throw new FormatError(`${label}: duplicate key "${dup.key}" ${where}`);
  }
  return value;
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
