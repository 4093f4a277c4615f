/**
 * The browser test (`npm run test:browser`): bundles the library as ESM with tsup (the options of
 * tsup.config.ts's library entry, from test/browser/entry.ts), serves it and test/browser/page.html
 * on 127.0.0.1 with node:http, drives Debian's headless Chromium (/usr/bin/chromium, or
 * $CHROMIUM_PATH; never a downloaded browser) through playwright-core, and checks that the page
 * (1) instantiated the wasm module, (2) computes a dense f32 matmul equal to f64 dot products,
 * (3) quantizes to the same int4 codes as Node, and (4) runs the packed matmul (`linear` on a
 * QTensor, f32 and int8 activations) through WASM with the results of Node's JS reference kernels
 * (int8 activations: bit-identical, as the kernels promise).
 *
 * Every step has its own time limit and names itself when it fails; the page's console errors are
 * printed with the failure. Not a vitest file (vitest does not collect test/browser/run.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEsm } from '../portable/bundle.js';
import { caseMismatches, expected, makeInput, type CaseOutput } from '../portable/cases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOTAL_MS = 240_000;

let step = 'start';
const pageLog: string[] = [];

function fail(msg: string): never {
  console.error(`browser test FAILED at step "${step}": ${msg}`);
  if (pageLog.length) console.error(`page console:\n  ${pageLog.slice(-30).join('\n  ')}`);
  console.error('0 passed, 1 failed');
  process.exit(1);
}

/** Runs `fn` as a named step with its own time limit. */
async function stepOf<T>(name: string, ms: number, fn: () => Promise<T>): Promise<T> {
  step = name;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    const r = await Promise.race([fn(), limit]);
    console.log(`  ${name}: ${Math.round(performance.now() - t0)} ms`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** Serves the page at / and the bundle's files at /bundle/<name>. */
function serve(bundleDir: string): Promise<Server> {
  const page = readFileSync(join(ROOT, 'test/browser/page.html'));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      } else if (url.pathname.startsWith('/bundle/') && /^[\w.-]+\.js$/.test(basename(url.pathname))) {
        const body = readFileSync(join(bundleDir, basename(url.pathname)));
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body);
      } else {
        res.writeHead(404).end();
      }
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => fail(`the whole test took more than ${TOTAL_MS / 1000} s`), TOTAL_MS);
  watchdog.unref();
  const dir = mkdtempSync(join(tmpdir(), 'qt-browser-'));
  let server: Server | null = null;
  let browser: import('playwright-core').Browser | null = null;
  const cases = [makeInput(1, 256, 96, 1), makeInput(8, 256, 96, 2)];
  let passed = 0;
  try {
    await stepOf('bundle the library (tsup, ESM)', 120_000, () => bundleEsm('index', join(ROOT, 'test/browser/entry.ts'), dir, 'neutral'));
    server = await stepOf('serve on 127.0.0.1', 5_000, () => serve(dir));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { chromium } = await import('playwright-core');
    browser = await stepOf(`launch ${CHROMIUM}`, 60_000, () =>
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 60_000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-extensions', '--disable-component-update', '--no-first-run', '--mute-audio'],
      }),
    );
    const page = await browser.newPage();
    page.on('console', (msg) => pageLog.push(`[${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    await stepOf('load the page', 30_000, async () => {
      await page.goto(url, { timeout: 30_000 });
    });
    const ready = await stepOf('instantiate the wasm module in the page', 60_000, async () => {
      await page.waitForFunction(() => (window as unknown as { quantensorReady?: unknown }).quantensorReady !== undefined, undefined, { timeout: 60_000 });
      return page.evaluate(() => (window as unknown as { quantensorReady: { backend?: string; error?: string } }).quantensorReady);
    });
    if (ready.error) fail(`the bundle did not load: ${ready.error}`);
    if (ready.backend !== 'wasm') fail(`the page runs the '${ready.backend}' backend, not wasm (WebAssembly SIMD unavailable?)`);
    for (const c of cases) {
      const tag = `${c.m}x${c.k}x${c.n}`;
      const got = await stepOf(`run ${tag} in the page`, 60_000, () =>
        page.evaluate((input) => (window as unknown as { quantensorCase: (i: unknown) => unknown }).quantensorCase(input), c) as Promise<CaseOutput>,
      );
      const want = await stepOf(`reference ${tag} in Node`, 60_000, () => expected(c));
      step = `compare ${tag}`;
      const bad = caseMismatches(tag, got, want);
      if (bad.length) fail(bad.join('\n'));
      console.log(`  ${tag}: wasm in Chromium matches Node (dense, codes, packed f32, packed int8)`);
      passed++;
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  } finally {
    await browser?.close().catch(() => undefined);
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, 0 failed`);
  process.exit(0);
}

void main();
