/**
 * The argument checks of the I/O entry points (paths, records of tensors, checkpoint inputs), run
 * before any I/O so that a wrong argument from plain JavaScript is a ValueError naming the function,
 * not a TypeError from deep inside or a file system error about a path like "[object Object]".
 * Which byte sources are readable is sources.ts's `checkSource`. Not a validator of file contents.
 */
import { ValueError, describeValue, isPlainObject } from '../errors.js';
import type { CheckpointFiles } from './checkpoint.js';

/**
 * Throws a ValueError naming `op` unless `path` is a string.
 * @example
 * checkPath('saveModel', dir, 'dir'); // ValueError: saveModel: dir must be a path (a string), got undefined
 */
export function checkPath(op: string, path: unknown, what = 'path'): asserts path is string {
  if (typeof path !== 'string') throw new ValueError(`${op}: ${what} must be a path (a string), got ${describeValue(path)}`);
}

/**
 * Throws a ValueError naming `op` unless `x` is a plain object: the tensors by name that the writers
 * take. Its values are the caller's to check.
 * @example
 * checkRecord('saveSafetensors', tensors, 'tensors'); // ValueError: saveSafetensors: tensors must be ...
 */
export function checkRecord(op: string, x: unknown, what: string): asserts x is Readonly<Record<string, unknown>> {
  if (!isPlainObject(x)) throw new ValueError(`${op}: ${what} must be an object of tensors by name, got ${describeValue(x)}`);
}

/**
 * Throws a ValueError naming `op` unless `input` is what the checkpoint readers take: a directory
 * (or file) path, or a map of file names to Blobs/bytes (browsers).
 * @example
 * checkCheckpointInput('readConfig', input);
 */
export function checkCheckpointInput(op: string, input: unknown): asserts input is string | CheckpointFiles {
  if (typeof input === 'string' || isPlainObject(input)) return;
  throw new ValueError(`${op}: input must be a checkpoint path (a string) or a map of file names to Blobs or bytes, got ${describeValue(input)}`);
}
