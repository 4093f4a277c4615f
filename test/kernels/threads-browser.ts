/**
 * Kernel threads in a real browser (`npx tsx test/kernels/threads-browser.ts`): bundles the thread
 * API with tsup, serves a page on 127.0.0.1 and drives Debian's headless Chromium (/usr/bin/chromium
 * or $CHROMIUM_PATH) through playwright-core, twice:
 * - cross-origin isolated (COOP/COEP headers): `setThreads(3)` + `await threadsReady()` must give 3
 *   threads, the workers (Blob-URL Web Workers) must run items, and gemm, gemv and syrk results must
 *   be bit-identical to one thread;
 * - not isolated: `setThreads(3)` must fall back to one thread, results unchanged.
 * Not a vitest file (vitest collects *.test.ts only); exits 1 with the failing step on a failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEsm } from '../portable/bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ENTRY = `
export { setThreads, threadsReady, threadStats } from ${JSON.stringify(join(ROOT, 'src/kernels/threads.ts'))};
export { ready } from ${JSON.stringify(join(ROOT, 'src/kernels/backend.ts'))};
export { matmul } from ${JSON.stringify(join(ROOT, 'src/ops/matmul.ts'))};
export { syrk } from ${JSON.stringify(join(ROOT, 'src/ops/linalg.ts'))};
export { tensor } from ${JSON.stringify(join(ROOT, 'src/tensor.ts'))};
`;

/** The page: products on one thread, then on 3, compared bit for bit. */
const PAGE = `<!doctype html><html><body><script type="module">
import * as q from '/bundle/entry.js';
window.result = (async () => {
  const out = { isolated: self.crossOriginIsolated, backend: await q.ready() };
  let s = 1;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  const a = q.tensor(Float32Array.from({ length: 301 * 257 }, rnd), [301, 257]);
  const b = q.tensor(Float32Array.from({ length: 257 * 299 }, rnd), [257, 299]);
  const w = q.tensor(Float32Array.from({ length: 1203 * 517 }, rnd), [1203, 517]);
  const v = q.tensor(Float32Array.from({ length: 517 }, rnd), [517]);
  const x = q.tensor(Float64Array.from({ length: 500 * 389 }, rnd), [500, 389], 'f64');
  const run = () => [q.matmul(a, b), q.matmul(w, v), q.syrk(x)].map((t) => Array.from(t.data()));
  const one = run();
  out.threads = q.setThreads(3);
  out.ready = await q.threadsReady();
  const three = run();
  out.stats = q.threadStats();
  out.same = one.map((r, i) => r.length === three[i].length && r.every((val, j) => Object.is(val, three[i][j])));
  q.setThreads(1);
  return out;
})().catch((e) => ({ error: String((e && e.stack) || e) }));
</script></body></html>`;

interface PageResult {
  isolated?: boolean;
  backend?: string;
  threads?: number;
  ready?: number;
  stats?: { threads: number; dispatches: number; workerItems: number };
  same?: boolean[];
  error?: string;
}

let step = 'start';
function fail(msg: string): never {
  console.error(`threads browser test FAILED at "${step}": ${msg}`);
  process.exit(1);
}

function serve(bundle: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Cross-origin isolation is what makes SharedArrayBuffer (and so kernel workers) available.
    const iso = url.searchParams.get('iso') !== '0';
    const headers = iso ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    if (url.pathname === '/') res.writeHead(200, { 'content-type': 'text/html', ...headers }).end(PAGE);
    else if (url.pathname === '/bundle/entry.js') res.writeHead(200, { 'content-type': 'text/javascript', ...headers }).end(bundle);
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-threads-browser-'));
  let server: Server | null = null;
  let browser: import('playwright-core').Browser | null = null;
  try {
    step = 'bundle';
    writeFileSync(join(dir, 'entry.ts'), ENTRY);
    server = await serve(readFileSync(await bundleEsm('entry', join(dir, 'entry.ts'), join(dir, 'out'), 'neutral'), 'utf8'));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    step = `launch ${CHROMIUM}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    for (const iso of [true, false]) {
      step = iso ? 'cross-origin isolated page' : 'page without isolation';
      const page = await browser.newPage();
      await page.goto(`${base}?iso=${iso ? 1 : 0}`, { timeout: 30_000 });
      await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
      const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as PageResult;
      if (r.error) fail(r.error);
      if (r.backend !== 'wasm') fail(`backend is ${r.backend}`);
      if (r.isolated !== iso) fail(`crossOriginIsolated is ${r.isolated}`);
      const want = iso ? 3 : 1;
      if (r.ready !== want || r.stats?.threads !== want) fail(`${r.ready} threads after threadsReady(), expected ${want}`);
      if (iso && !(r.stats && r.stats.dispatches >= 3 && r.stats.workerItems >= 1)) fail(`${r.stats?.dispatches} dispatches woke workers, which ran ${r.stats?.workerItems} items`);
      if (!r.same?.every(Boolean)) fail(`results differ from one thread: [gemm, gemv, syrk] identical = ${JSON.stringify(r.same)}`);
      console.log(`  ${step}: ${want} thread(s), ${r.stats?.dispatches ?? 0} dispatches to workers, ${r.stats?.workerItems ?? 0} items run by workers, results bit-identical`);
      await page.close();
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  } finally {
    await browser?.close().catch(() => undefined);
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('threads browser test: passed');
}

void main();
