/**
 * Type promotion: the documented table (spelled out by hand here, not derived), algebraic laws over
 * every pair of dense dtypes, weak scalars, and the op-family adjustments.
 */
import { describe, expect, it } from 'vitest';
import {
  arithmeticDType,
  checkComputable,
  floatDType,
  promoteTypes,
  promoteWithScalar,
  resultType,
  scalarDType,
} from '../../src/dtype/promote.js';
import { DENSE_DTYPES, DTYPES, type DenseDType } from '../../src/dtype/table.js';
import { DTypeError } from '../../src/errors.js';

describe('promoteTypes', () => {
  const table: [DenseDType, DenseDType, DenseDType][] = [
    ['f32', 'f32', 'f32'],
    ['f32', 'f64', 'f64'],
    ['f16', 'f32', 'f32'],
    ['bf16', 'f32', 'f32'],
    ['f16', 'bf16', 'f32'],
    ['f16', 'f64', 'f64'],
    ['int32', 'f32', 'f32'],
    ['int32', 'f16', 'f16'],
    ['int8', 'bf16', 'bf16'],
    ['uint8', 'f32', 'f32'],
    ['int8', 'uint8', 'int16'],
    ['uint8', 'int16', 'int16'],
    ['uint8', 'int32', 'int32'],
    ['int8', 'int16', 'int16'],
    ['int16', 'int32', 'int32'],
    ['int32', 'int64', 'int64'],
    ['uint8', 'int64', 'int64'],
    ['bool', 'bool', 'bool'],
    ['bool', 'uint8', 'uint8'],
    ['bool', 'int8', 'int8'],
    ['bool', 'f16', 'f16'],
    ['int64', 'f32', 'f32'],
  ];
  it.each(table)('%s + %s = %s', (a, b, out) => {
    expect(promoteTypes(a, b)).toBe(out);
    expect(promoteTypes(b, a)).toBe(out);
  });

  it('is commutative and idempotent, and the result holds both kinds', () => {
    for (const a of DENSE_DTYPES) {
      expect(promoteTypes(a, a)).toBe(a);
      for (const b of DENSE_DTYPES) {
        const r = promoteTypes(a, b);
        expect(promoteTypes(b, a)).toBe(r);
        const kinds = [DTYPES[a].dense.kind, DTYPES[b].dense.kind];
        if (kinds.includes('float')) expect(DTYPES[r].dense.kind).toBe('float');
        // Integers: the result range contains both ranges.
        if (!kinds.includes('float')) {
          expect(DTYPES[r].dense.min).toBeLessThanOrEqual(Math.min(DTYPES[a].dense.min, DTYPES[b].dense.min));
          expect(DTYPES[r].dense.max).toBeGreaterThanOrEqual(Math.max(DTYPES[a].dense.max, DTYPES[b].dense.max));
        }
      }
    }
  });

  it('is associative', () => {
    for (const a of DENSE_DTYPES)
      for (const b of DENSE_DTYPES)
        for (const c of DENSE_DTYPES) {
          expect(promoteTypes(promoteTypes(a, b), c)).toBe(promoteTypes(a, promoteTypes(b, c)));
        }
  });
});

describe('weak scalars', () => {
  it('never widen a tensor dtype within its kind', () => {
    expect(promoteWithScalar('int8', 3)).toBe('int8');
    expect(promoteWithScalar('uint8', -1)).toBe('uint8');
    expect(promoteWithScalar('f16', 1e6)).toBe('f16');
    expect(promoteWithScalar('bf16', 0.1)).toBe('bf16');
    expect(promoteWithScalar('int32', true)).toBe('int32');
  });
  it('turn integer/bool tensors into the default dtypes', () => {
    expect(promoteWithScalar('int8', 0.5)).toBe('f32');
    expect(promoteWithScalar('int16', NaN)).toBe('f32');
    expect(promoteWithScalar('bool', 2)).toBe('int32');
    expect(promoteWithScalar('bool', 2.5)).toBe('f32');
    expect(promoteWithScalar('bool', false)).toBe('bool');
  });
  it('give defaults between two scalars', () => {
    expect(scalarDType(3)).toBe('int32');
    expect(scalarDType(3.5)).toBe('f32');
    expect(scalarDType(true)).toBe('bool');
    expect(resultType(1, 2)).toBe('int32');
    expect(resultType(1, 2.5)).toBe('f32');
    expect(resultType(true, false)).toBe('bool');
    expect(resultType('int8', 2)).toBe('int8');
    expect(resultType(2.5, 'int8')).toBe('f32');
    expect(resultType('int8', 'uint8')).toBe('int16');
  });
});

describe('op families', () => {
  it('arithmetic on bool computes in int32, other dtypes unchanged', () => {
    expect(arithmeticDType('bool')).toBe('int32');
    for (const d of DENSE_DTYPES) if (d !== 'bool') expect(arithmeticDType(d)).toBe(d);
  });
  it('float-valued ops give f32 for integers and bool, keep floats', () => {
    expect(floatDType('int32')).toBe('f32');
    expect(floatDType('uint8')).toBe('f32');
    expect(floatDType('bool')).toBe('f32');
    expect(floatDType('f16')).toBe('f16');
    expect(floatDType('f64')).toBe('f64');
  });
  it('refuse int64 arithmetic with a message naming the op and the fix', () => {
    expect(() => checkComputable('add', 'int64')).toThrow(DTypeError);
    expect(() => checkComputable('add', 'int64')).toThrow(/add does not support int64.*astype/);
    expect(() => checkComputable('add', 'int32')).not.toThrow();
  });
});
