/**
 * The quantize report as a self-contained HTML page: a summary table and a horizontal bar chart of the
 * per-layer error (inline SVG, no scripts, no external assets), so a person can see at a glance which
 * layers lost the most. When a layer also carries the round-to-nearest error for the same format, a
 * faint bar behind shows it: the gap is what the method bought.
 *
 * Not the terminal table (report-text.ts) and not the JSON output (the report object itself).
 */

/** One bar of the chart. */
export interface HtmlLayerRow {
  /** Layer name, e.g. `layers.3.mlp.down_proj`. */
  readonly name: string;
  /** The method's error for this layer (drawn as the bar). */
  readonly error: number;
  /** Round-to-nearest error with the same format, when known (drawn behind). */
  readonly rtnError?: number;
  readonly bitsPerWeight: number;
  readonly timeMs: number;
}

/** What the page shows. */
export interface HtmlReport {
  readonly title: string;
  /** Summary rows (label, value), shown above the chart in order. */
  readonly summary: readonly (readonly [string, string])[];
  /** What the error numbers measure (shown under the chart title). */
  readonly errorLabel: string;
  readonly layers: readonly HtmlLayerRow[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Three significant digits, exponent form for very small or large values. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return x.toPrecision(3);
}

const ROW = 18;
const LABEL_W = 260;
const BAR_W = 520;
const VALUE_W = 90;

function chart(layers: readonly HtmlLayerRow[]): string {
  // Non-finite or negative errors are drawn as empty bars and labelled as they are.
  const finite = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) && x > 0 ? x : 0);
  const top = Math.max(...layers.map((l) => Math.max(finite(l.error), finite(l.rtnError))), 0);
  const scale = top > 0 ? BAR_W / top : 0;
  const height = layers.length * ROW + 8;
  const rows = layers.map((l, i) => {
    const y = 4 + i * ROW;
    const back =
      l.rtnError === undefined
        ? ''
        : `<rect class="rtn" x="${LABEL_W}" y="${y + 2}" width="${(finite(l.rtnError) * scale).toFixed(1)}" height="${ROW - 4}"><title>RTN ${escapeHtml(fmt(l.rtnError))}</title></rect>`;
    return (
      `<g><text x="${LABEL_W - 6}" y="${y + ROW - 5}" text-anchor="end">${escapeHtml(l.name)}</text>${back}` +
      `<rect class="bar" x="${LABEL_W}" y="${y + 4}" width="${(finite(l.error) * scale).toFixed(1)}" height="${ROW - 8}"><title>${escapeHtml(fmt(l.error))}</title></rect>` +
      `<text x="${LABEL_W + BAR_W + 6}" y="${y + ROW - 5}">${escapeHtml(fmt(l.error))}</text></g>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + BAR_W + VALUE_W}" height="${height}" role="img" aria-label="per-layer error">${rows.join('')}</svg>`;
}

/**
 * Renders the report page.
 * @example
 * const html = renderReportHtml({
 *   title: 'GPTQ int4 g128', errorLabel: 'output error ||WX - QX||^2 per token',
 *   summary: [['perplexity', '3.30 -> 3.34']],
 *   layers: [{ name: 'layers.0.self_attn.q_proj', error: 0.012, rtnError: 0.02, bitsPerWeight: 4.156, timeMs: 40 }],
 * });
 * writeFileSync('report.html', html);
 */
export function renderReportHtml(r: HtmlReport): string {
  const summary = r.summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const table = r.layers
    .map((l) => `<tr><td>${escapeHtml(l.name)}</td><td>${fmt(l.error)}</td><td>${l.rtnError === undefined ? '' : fmt(l.rtnError)}</td><td>${l.bitsPerWeight.toFixed(3)}</td><td>${l.timeMs.toFixed(0)}</td></tr>`)
    .join('');
  const legend = r.layers.some((l) => l.rtnError !== undefined) ? '<p class="legend"><span class="k bar"></span> this method <span class="k rtn"></span> round to nearest</p>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
td:nth-child(n+2){text-align:right;font-variant-numeric:tabular-nums}
svg text{font:12px system-ui,sans-serif;fill:#333}.bar{fill:#3b6ea8}.rtn{fill:#d8dee6}
.k{display:inline-block;width:12px;height:12px;vertical-align:middle;margin:0 4px 0 12px}.k.bar{background:#3b6ea8}.k.rtn{background:#d8dee6}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<table>${summary}</table>
<h2>Error per layer</h2><p>${escapeHtml(r.errorLabel)}</p>${legend}
${chart(r.layers)}
<h2>Layers</h2>
<table><tr><th>layer</th><th>error</th><th>RTN error</th><th>bits/weight</th><th>ms</th></tr>${table}</table>
</body></html>
`;
}
