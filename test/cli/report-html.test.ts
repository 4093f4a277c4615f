import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml } from '../../src/cli/report-html.js';

const layers = [
  { name: 'layers.0.q_proj', error: 2, rtnError: 4, bitsPerWeight: 4.15625, timeMs: 12 },
  { name: 'layers.0.down_proj', error: 1, rtnError: 1.5, bitsPerWeight: 4.15625, timeMs: 30 },
  { name: 'layers.1.<odd>&"name"', error: 0.5, bitsPerWeight: 3.1, timeMs: 5 },
];

describe('renderReportHtml', () => {
  const html = renderReportHtml({ title: 'GPTQ <int4>', summary: [['perplexity', '3.30 -> 3.34']], errorLabel: 'output error', layers });

  it('draws one bar per layer, widths proportional to the error, the largest error filling the chart', () => {
    const bars = [...html.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    const back = [...html.matchAll(/<rect class="rtn"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(bars).toHaveLength(3);
    expect(back).toHaveLength(2); // only layers with an RTN error get the background bar
    expect(back[0]).toBe(520); // the largest value overall (RTN 4) spans the full width
    expect(bars[0] / back[0]).toBeCloseTo(2 / 4, 3);
    expect(bars[1] / bars[0]).toBeCloseTo(1 / 2, 3);
    expect(bars[2] / bars[0]).toBeCloseTo(0.5 / 2, 3);
  });

  it('escapes names and titles, and is one self-contained document', () => {
    expect(html).toContain('layers.1.&lt;odd&gt;&amp;&quot;name&quot;');
    expect(html).toContain('<title>GPTQ &lt;int4&gt;</title>');
    expect(html).not.toContain('<odd>');
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('survives non-finite and zero errors (empty bars, labelled values)', () => {
    const h = renderReportHtml({ title: 't', summary: [], errorLabel: 'e', layers: [{ name: 'a', error: NaN, bitsPerWeight: 4, timeMs: 0 }, { name: 'b', error: 0, bitsPerWeight: 4, timeMs: 0 }] });
    const bars = [...h.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(bars).toEqual([0, 0]);
    expect(h).toContain('>NaN<');
  });

  it('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
