/**
 * Generates docs/dtypes.md from the dtype table (src/dtype/table.ts) and the bit accounting
 * (src/dtype/bits.ts): `npm run docs:dtypes`. `renderDtypesDoc()` returns the markdown, so
 * test/docs-fresh.test.ts can check the committed file is what this would write. Nothing in the
 * document is typed by hand except prose; every number comes from the table or from `sizeBits`.
 */
import { pathToFileURL } from 'node:url';
import { DTYPES, DENSE_DTYPES, QTENSOR_DTYPES, SCALE_BITS, quantInfo, type QuantDType } from '../src/dtype/table.js';
import { PVQ_LEVEL_BITS, PVQ_ROTATION_BITS, pvqRecordBits, sizeBits, type QLayout } from '../src/dtype/bits.js';

/** The tensor shape layouts are priced at (scale and codebook overhead are amortized over it). */
export const PRICE_SHAPE = [4096, 4096] as const;
/** Group sizes the bits-per-weight tables show. */
export const PRICE_GROUPS = [32, 64, 128] as const;

/** A number with at most 4 decimals, trailing zeros dropped. */
function num(x: number): string {
  return String(Number(x.toFixed(4)));
}

function bpw(dtype: QuantDType, over: Partial<QLayout>): number {
  const cols = PRICE_SHAPE[1];
  return sizeBits({
    dtype,
    shape: PRICE_SHAPE,
    bits: DTYPES[dtype].bits,
    groupSize: cols,
    perTensor: false,
    hasScales: true,
    scaleDtype: 'f16',
    symmetric: true,
    ...over,
  }).bitsPerWeight;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function denseSection(): string {
  const rows = DENSE_DTYPES.map((n) => {
    const d = DTYPES[n].dense;
    const range = d.kind === 'float' ? `±${d.max.toPrecision(5)}` : `${d.min} .. ${d.max}`;
    return [`\`${n}\``, d.kind, String(DTYPES[n].bits), d.array, range, DTYPES[n].doc];
  });
  return ['## Dense dtypes', '', 'Element storage of a `Tensor`.', '', table(['dtype', 'kind', 'bits', 'stored in', 'range', 'notes'], rows)].join('\n');
}

function quantSummary(): string {
  const rows = QTENSOR_DTYPES.map((n) => {
    const q = quantInfo(n);
    const pvq = q.family === 'pvq';
    const scales = q.scaleDtype ? `${q.scaleDtype} (fixed)` : q.family === 'codebook' ? 'optional' : pvq ? 'f32 / f16 / bf16 (per row)' : 'f32 / f16 / bf16 / e8m0';
    return [
      `\`${n}\``,
      q.family,
      pvq ? `${DTYPES[n].bits} (example; ampBits + index bits per tensor)` : q.variableBits ? `${DTYPES[n].bits} (default; 1..8 per tensor)` : String(DTYPES[n].bits),
      pvq ? '0 .. 2^bits - 1 (records)' : `0 .. ${q.ucodeMax}`,
      q.zeroPoint ? 'optional' : 'no',
      q.blockSize !== undefined ? `${q.blockSize} (fixed)` : pvq ? 'cols (row scales)' : 'any',
      scales,
      DTYPES[n].doc,
    ];
  });
  return table(['dtype', 'family', 'code bits', 'codes', 'zero point', 'group size', 'scale dtype', 'notes'], rows);
}

function valuesTable(values: readonly number[]): string {
  const codes = values.map((_, i) => String(i));
  const vals = values.map((v) => (Object.is(v, -0) ? '-0' : String(v)));
  return table(['code', ...codes], [['value', ...vals]]);
}

/** pvq configurations priced in the docs: group dimension, pulses, amplitude bits. */
const PVQ_PRICED = [
  [8, 4, 3],
  [16, 6, 4],
  [16, 12, 4],
  [16, 24, 5],
  [32, 16, 5],
] as const;

function pvqTable(n: QuantDType): string {
  const cols = PRICE_SHAPE[1];
  const rows = PVQ_PRICED.map(([dim, pulses, ampBits]) => {
    const pvq = { pulses, ampBits, rotated: true };
    const { indexBits, recordBits } = pvqRecordBits(dim, pvq);
    return [String(dim), String(pulses), String(indexBits), String(ampBits), String(recordBits), num(bpw(n, { bits: recordBits, vectorDim: dim, groupSize: cols, pvq }))];
  });
  return [
    `Bits per weight with f16 row scales, f32 levels and a stored rotation, for a ${PRICE_SHAPE.join('×')} tensor:`,
    '',
    table(['dim D', 'pulses K', 'index bits ceil(log2 V(D, K))', 'amplitude bits', 'record bits', 'bits per weight'], rows),
  ].join('\n');
}

function bpwTable(n: QuantDType): string {
  const q = quantInfo(n);
  const cols = PRICE_SHAPE[1];
  if (q.family === 'pvq') return pvqTable(n);
  if (q.family === 'codebook') {
    const rows = [2, 4, 8].map((d) => {
      const base: Partial<QLayout> = { vectorDim: d, codebookEntries: 2 ** DTYPES[n].bits, codebookDtype: 'f32' };
      return [
        String(d),
        num(bpw(n, { ...base, hasScales: false })),
        num(bpw(n, { ...base, hasScales: true, groupSize: cols })),
        num(bpw(n, { ...base, hasScales: true, groupSize: cols, codebookDtype: 'f16' })),
      ];
    });
    return [
      `Bits per weight with ${DTYPES[n].bits}-bit indices (${2 ** DTYPES[n].bits} entries), for a ${PRICE_SHAPE.join('×')} tensor (the codebook is amortized over it):`,
      '',
      table(['vector dim', 'f32 codebook, no scales', 'f32 codebook, f16 scale per row', 'f16 codebook, f16 scale per row'], rows),
    ].join('\n');
  }
  if (q.blockSize !== undefined) {
    const sd = q.scaleDtype ?? 'f16';
    return [
      `Bits per weight: blocks of ${q.blockSize} only, ${sd} scales (${SCALE_BITS[sd]} bits each): **${num(bpw(n, { groupSize: q.blockSize, scaleDtype: sd }))}**.`,
    ].join('\n');
  }
  const grans: [string, Partial<QLayout>][] = [
    ...PRICE_GROUPS.map((g): [string, Partial<QLayout>] => [`group ${g}`, { groupSize: g }]),
    [`per channel (${cols} cols)`, { groupSize: cols }],
    ['per tensor', { groupSize: cols, perTensor: true }],
  ];
  const head = q.zeroPoint ? ['granularity', 'symmetric', 'asymmetric'] : ['granularity', 'bits per weight'];
  const rows = grans.map(([label, l]) => {
    const cells = [label, num(bpw(n, { ...l, symmetric: true }))];
    if (q.zeroPoint) cells.push(num(bpw(n, { ...l, symmetric: false })));
    return cells;
  });
  return [`Bits per weight with f16 scales, for a ${PRICE_SHAPE.join('×')} tensor:`, '', table(head, rows)].join('\n');
}

function quantSection(n: QuantDType): string {
  const q = quantInfo(n);
  const bits = DTYPES[n].bits;
  const out: string[] = [`### \`${n}\``, '', DTYPES[n].doc + '.', ''];
  switch (q.family) {
    case 'affine':
      out.push(
        `Affine, ${bits}-bit codes 0 .. ${q.ucodeMax}: value = (code - zero) × scale. Symmetric: zero = ${2 ** (bits - 1)} (not stored), ` +
          `signed range ${q.codeMin} .. ${q.codeMax}. Asymmetric: one ${bits}-bit zero point per group in 0 .. ${q.ucodeMax}.`,
      );
      break;
    case 'lut':
      out.push(`Lookup table, ${bits}-bit codes: value = values[code] × scale (absmax scale per group: absmax / ${Math.max(...q.values!.map(Math.abs))}).`, '', valuesTable(q.values!));
      break;
    case 'mx':
      out.push(
        `Microscaling, ${bits}-bit codes: value = values[code] × 2^(e - 127), one e8m0 exponent e per block of ${q.blockSize}; ` +
          `shared exponent = floor(log2(amax)) - ${q.emaxElem} (OCP MX v1.0 §6.3), elements saturate to ±${Math.max(...q.values!)}.`,
        '',
        valuesTable(q.values!),
      );
      break;
    case 'pvq':
      out.push(
        'Pyramid vector quantization (van der Ouderaa et al. 2024): per group of D columns one record of ampBits + ceil(log2 V(D, K)) bits, ' +
          'the amplitude code a (low bits) then the index of y in P(D, K) = { y ∈ Z^D : Σ|y_i| = K } (never stored; V(D, K) by the standard recursion). ' +
          'Value (rotated basis) = y × ρ_row × levels[a] / ‖y‖₂ with ρ one scale per row and `levels` a learned table of 2^ampBits f32 amplitudes (tensor data); ' +
          `rows are rotated back by the randomized Hadamard transform of the stored seed (${PVQ_ROTATION_BITS} bits: seed and block size). ` +
          `Made by \`${q.quantizer}\` / \`pvqGptq\`, not by \`quantize\`. Levels count ${PVQ_LEVEL_BITS} bits each.`,
      );
      break;
    case 'codebook':
      out.push(
        'Vector quantization with a learned codebook [2^indexBits, vectorDim] (tensor data, not a dtype fact): ' +
          'one index per vectorDim consecutive columns; value vector = codebook[index] × scale (scale 1 when none is stored).',
      );
      break;
  }
  out.push('', bpwTable(n));
  return out.join('\n');
}

/**
 * The markdown of docs/dtypes.md, generated from the table.
 * @example
 * renderDtypesDoc().startsWith('# Dtypes');
 */
export function renderDtypesDoc(): string {
  return [
    '# Dtypes',
    '',
    '<!-- Generated by `npm run docs:dtypes` (scripts/gen-dtypes-doc.ts) from src/dtype/table.ts. Do not edit. -->',
    '',
    'Every fact below comes from the dtype table (`src/dtype/table.ts`); bits per weight come from `sizeBits` ' +
      '(`src/dtype/bits.ts`), which a `QTensor` also uses (`q.bitsPerWeight`, `q.sizeBits()`).',
    '',
    denseSection(),
    '',
    '## Quantized dtypes',
    '',
    'The code formats of a `QTensor`. Granularity (per tensor, per channel, per group of N) is an option of `quantize`, not a dtype.',
    '',
    quantSummary(),
    '',
    '**Storage.** A `QTensor` of logical shape [..., cols] has rows = product of the leading dims. Codes are a uint8 tensor ' +
      '[rows, ceil(codesPerRow × bits / 8)], each row a little-endian bit stream (code j in stream bits [j·bits, (j+1)·bits), ' +
      'stream bit t = bit t & 7 of byte t >> 3; rows start on byte boundaries; see `src/dtype/pack.ts`). Scales are f32 ' +
      '[rows, ceil(cols / groupSize)] holding values rounded to the scale dtype; zero points uint8 of the same shape.',
    '',
    '**Bits per weight** = (code bytes × 8 + scales × scale bits + zero points × code bits + codebook entries × dim × codebook bits ' +
      '+ 32 × cols if act-order + 16 × cols if AWQ input scales + pvq levels and rotation) / elements. An int8 codebook counts 8 bits a value.',
    '',
    ...QTENSOR_DTYPES.flatMap((n) => [quantSection(n), '']),
  ].join('\n');
}

async function main(): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const target = new URL('../docs/dtypes.md', import.meta.url);
  mkdirSync(new URL('.', target), { recursive: true });
  writeFileSync(target, renderDtypesDoc());
  console.log(`wrote ${target.pathname}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
