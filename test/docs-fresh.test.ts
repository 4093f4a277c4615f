/**
 * docs/dtypes.md must be exactly what `npm run docs:dtypes` writes from the current table; and the
 * generated document covers every dtype of the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDtypesDoc } from '../scripts/gen-dtypes-doc.js';
import { DTYPE_NAMES, QUANT_DTYPES } from '../src/dtype/table.js';

describe('docs/dtypes.md', () => {
  it('is fresh (run `npm run docs:dtypes` after changing the dtype table)', () => {
    const committed = readFileSync(new URL('../docs/dtypes.md', import.meta.url), 'utf8');
    expect(committed === renderDtypesDoc(), 'docs/dtypes.md is stale: run `npm run docs:dtypes`').toBe(true);
  });

  it('lists every dtype, with a section per quantized dtype', () => {
    const doc = renderDtypesDoc();
    for (const n of DTYPE_NAMES) expect(doc).toContain(`| \`${n}\` |`);
    for (const n of QUANT_DTYPES) expect(doc).toContain(`### \`${n}\``);
    // the int4 group-128 asymmetric price: 4 + 20/128
    expect(doc).toMatch(/\| group 128 \| 4\.125 \| 4\.1563 \|/);
  });
});
