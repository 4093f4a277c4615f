/**
 * Typed errors. Every error names what was wrong (shapes, dtypes, offsets, file, tensor name) so a
 * user can act on the message alone. Not a logging facility: errors are thrown, never printed.
 */

/**
 * Base class of every error the library throws on purpose: catch it to tell the library's own
 * refusals from bugs (a TypeError or RangeError escaping is one).
 * @example
 * try {
 *   reshape(tensor([1, 2, 3]), [2, 2]);
 * } catch (e) {
 *   if (!(e instanceof QuantensorError)) throw e;
 *   console.log(e.name, e.message); // ShapeError cannot reshape [3] (3 elements) to [2,2]
 * }
 */
export class QuantensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit together, or an index/axis out of range.
 * @example
 * throw new ShapeError(`inner dimensions 384 and 512 of [2,384] x [512,1024] must match`);
 */
export class ShapeError extends QuantensorError {}

/**
 * A dtype that an operation does not accept, or an unknown dtype name.
 * @example
 * throw new DTypeError(`matmul supports f32 and f64, got int8`);
 */
export class DTypeError extends QuantensorError {}

/**
 * A value outside what an operation defines: a negative group size, a non-finite scale, a bad option.
 * @example
 * throw new ValueError(`groupSize must be a positive integer, got 0`);
 */
export class ValueError extends QuantensorError {}

/**
 * A file or buffer that does not follow its format (safetensors header, GPTQ layout, ...).
 * @example
 * throw new FormatError(`model.safetensors: header length 9e15 exceeds the file size 1024`);
 */
export class FormatError extends QuantensorError {}

/**
 * Linear algebra that cannot proceed: a matrix that is not positive definite, a singular system.
 * @example
 * throw new LinAlgError(`cholesky: leading minor 3 of 4096x4096 is not positive definite`);
 */
export class LinAlgError extends QuantensorError {}

/**
 * A tensor used after `dispose()`, or memory that cannot be allocated.
 * @example
 * throw new MemoryError(`tensor [4096,4096] f32 was disposed`);
 */
export class MemoryError extends QuantensorError {}

/**
 * What a value is, for an error about a wrong argument (callers from plain JavaScript, for whom the
 * types do not hold): `undefined`, `null`, `an array`, `an object (Map)`, `a function (f)`,
 * `string "x"` (long strings cut), `number 3`. Internal, not exported from the package.
 * @example
 * throw new ValueError(`sum: the input must be a Tensor, got ${describeValue(x)}`);
 */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'no prototype'})`;
  if (typeof x === 'function') return `a function (${x.name || 'anonymous'})`;
  if (typeof x === 'string') return `string ${JSON.stringify(x.length > 60 ? `${x.slice(0, 60)}...` : x)}`;
  return `${typeof x} ${String(x)}`;
}

/**
 * Throws a ValueError naming `op` unless `opts` is an options object: a plain object (`{...}`,
 * `Object.create(null)`), or undefined when the options are optional (their defaults apply).
 * Refused: null, strings, numbers, arrays, functions and class instances (`linear(x, w, bias)`
 * would otherwise ignore the bias). Only the object: its fields are the caller's to check.
 * Internal, not exported from the package.
 * @example
 * checkOptions('randn', opts);           // randn([2], null): ValueError "randn: options must be a plain object, got null"
 * checkOptions('rtn', opts, 'required'); // rtn(w): ValueError "rtn: options must be a plain object, got undefined"
 */
export function checkOptions(op: string, opts: unknown, presence: 'optional' | 'required' = 'optional'): void {
  if (opts === undefined && presence === 'optional') return;
  if (!isPlainObject(opts)) throw new ValueError(`${op}: options must be a plain object, got ${describeValue(opts)}`);
}

/**
 * Whether `x` is a plain object (`{...}`, `Object.fromEntries`, or no prototype; from any realm),
 * not a class instance, array or null: what options and records of tensors by name must be. Internal.
 * @example
 * isPlainObject({ a: 1 }) === true; isPlainObject(new Map()) === false
 */
export function isPlainObject(x: unknown): x is Readonly<Record<string, unknown>> {
  if (typeof x !== 'object' || x === null) return false;
  // Object.prototype of any realm (vm contexts, iframes): a prototype whose own prototype is null
  const proto = Object.getPrototypeOf(x);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Formats a shape as `[2,384]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Runs `f`; a library error it throws comes out as the same class with `op: ` before its message,
 * so a check shared by many ops (axes, broadcasting) names the op the caller called. Other errors
 * pass unchanged.
 * @example
 * const axes = withOp('sum', () => normalizeAxes(axis, t.shape)); // ShapeError "sum: axis 2 is out of range ..."
 */
export function withOp<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof QuantensorError) || e.message.startsWith(`${op}: `)) throw e;
    throw new (e.constructor as new (message: string) => QuantensorError)(`${op}: ${e.message}`);
  }
}
