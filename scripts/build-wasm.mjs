#!/usr/bin/env node
/**
 * Builds the WebAssembly kernels (DESIGN.md decision 6): compiles every top-level `assembly/*.ts`
 * file as an entry of ONE module with `asc` (options in asconfig.json: SIMD128, -O3, stub runtime,
 * imported shared memory of at most 65536 pages, no asserts), writes build/quantensor.wasm and embeds
 * the binary as base64 in src/kernels/wasm/binary.generated.ts together with a hash of the sources.
 * The same sources are built a second time with relaxed SIMD enabled (build/quantensor-relaxed.wasm,
 * embedded next to the first): kernels branch on `ASC_FEATURE_RELAXED_SIMD` (assembly/inline/simd.ts
 * `madd` fuses, `lut16` takes relaxed_swizzle; assembly/inline/quant-pairs.ts multiplies int4 codes
 * by int8 bytes). The loader uses it only on request (`useRelaxedSimd`).
 *
 *   node scripts/build-wasm.mjs           build (rewrites the generated file only when it changed)
 *   node scripts/build-wasm.mjs --check   exit 1 when the generated file is stale versus the sources
 *   node scripts/build-wasm.mjs --typecheck  type-check the AS sources with asc, emitting nothing
 *     (tsc cannot check AS: generic arithmetic on T and top-level decorators are AS-only; the
 *     assembly/tsconfig.json is for editors)
 *
 * Adding a kernel family: create `assembly/<family>.ts` with `export function <name>_<types>(...)`;
 * every exported function of every top-level file becomes a module export (files under
 * `assembly/inline/` are helpers, compiled only where imported). Then declare the export in
 * src/kernels/wasm/abi/<family>.ts (a test checks the instance against it) and run this script.
 *
 * Not a bundler: the TS sources are bundled by tsup; this only produces the wasm binary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assemblyDir = join(root, 'assembly');
const generatedPath = join(root, 'src/kernels/wasm/binary.generated.ts');
const wasmPath = join(root, 'build/quantensor.wasm');

/** All .ts files under a directory, as sorted root-relative posix paths. */
function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p).split('\\').join('/'));
  }
  return out.sort();
}

/** Top-level entries: every assembly/*.ts (not inline/ helpers). */
function entries() {
  return listTs(assemblyDir).filter((p) => p.split('/').length === 2);
}

function ascVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules/assemblyscript/package.json'), 'utf8')).version;
}

/** Hash of everything the binary depends on: compiler version, asconfig.json, every AS source. */
export function sourceHash() {
  const h = createHash('sha256');
  h.update(`asc ${ascVersion()}\n`);
  h.update(readFileSync(join(root, 'asconfig.json'), 'utf8').replace(/\r\n/g, '\n'));
  for (const p of listTs(assemblyDir)) {
    h.update(`\n--- ${p}\n`);
    h.update(readFileSync(join(root, p), 'utf8').replace(/\r\n/g, '\n'));
  }
  return h.digest('hex');
}

function generatedHash() {
  if (!existsSync(generatedPath)) return null;
  const m = /WASM_SOURCE_HASH = '([0-9a-f]+)'/.exec(readFileSync(generatedPath, 'utf8'));
  return m ? m[1] : null;
}

/** The two variants: SIMD128 (the default) and relaxed SIMD (opt-in), as extra asc arguments. */
const VARIANTS = {
  simd: [],
  relaxed: ['--enable', 'relaxed-simd', '--outFile', 'build/quantensor-relaxed.wasm', '--textFile', 'build/quantensor-relaxed.wat'],
};

/** Compiles the entries with asc; resolves to the binary (null with --noEmit). */
async function compile(files, extra, typecheckOnly) {
  const { default: asc } = await import('assemblyscript/asc');
  let binary = null;
  const stderr = [];
  const result = await asc.main(
    [...files, '--config', 'asconfig.json', '--target', 'release', '--baseDir', root, ...extra, ...(typecheckOnly ? ['--noEmit'] : [])],
    {
      stderr: { write: (s) => (stderr.push(String(s)), true) },
      stdout: { write: () => true },
      writeFile: (name, contents, baseDir) => {
        const path = join(baseDir, name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, contents);
        if (name.endsWith('.wasm')) binary = contents;
      },
    },
  );
  if (result.error || (!binary && !typecheckOnly)) {
    process.stderr.write(stderr.join(''));
    throw new Error(`asc failed: ${result.error?.message ?? 'no binary emitted'}`);
  }
  return binary;
}

async function build(typecheckOnly = false) {
  const files = entries();
  if (typecheckOnly) {
    for (const extra of Object.values(VARIANTS)) await compile(files, extra, true);
    process.stdout.write(`build-wasm: ${files.length} entries type-check (SIMD128 and relaxed SIMD)\n`);
    return;
  }
  const binary = await compile(files, VARIANTS.simd, false);
  const relaxed = await compile(files, VARIANTS.relaxed, false);
  const hash = sourceHash();
  const text =
    `// Generated by scripts/build-wasm.mjs from ${files.join(', ')}. Do not edit: run \`npm run build:wasm\`.\n` +
    `/** sha256 of the compiler version, asconfig.json and every assembly/ source the binary was built from. */\n` +
    `export const WASM_SOURCE_HASH = '${hash}';\n` +
    `/** Byte length of the binary. */\n` +
    `export const WASM_BYTE_LENGTH = ${binary.length};\n` +
    `/** The module (build/quantensor.wasm), base64. */\n` +
    `export const WASM_BASE64 =\n  '${Buffer.from(binary).toString('base64')}';\n` +
    `/** The relaxed-SIMD build of the same sources (build/quantensor-relaxed.wasm), base64. */\n` +
    `export const WASM_RELAXED_BASE64 =\n  '${Buffer.from(relaxed).toString('base64')}';\n`;
  const old = existsSync(generatedPath) ? readFileSync(generatedPath, 'utf8') : null;
  if (old !== text) writeFileSync(generatedPath, text);
  process.stdout.write(
    `build-wasm: ${files.length} entries, ${binary.length} bytes, ${relative(root, wasmPath)} (+ ${relaxed.length} bytes relaxed)${old === text ? ' (unchanged)' : ''}\n`,
  );
}

async function main() {
  if (process.argv.includes('--check')) {
    const want = sourceHash();
    const have = generatedHash();
    if (want !== have) {
      process.stderr.write(
        `build-wasm: ${relative(root, generatedPath)} is stale (hash ${have ?? 'missing'}, sources ${want}); run \`npm run build:wasm\`\n`,
      );
      process.exit(1);
    }
    process.stdout.write('build-wasm: generated binary is up to date\n');
    return;
  }
  await build(process.argv.includes('--typecheck'));
}

// Run only as a script, so a test may import `sourceHash` without building.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
