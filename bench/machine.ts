/**
 * What a benchmark run was measured on. The CPU's model name alone ("AMD EPYC") does not tell one
 * virtual machine's host from the next, and the peers' native code (OpenBLAS, onnxruntime's MLAS)
 * picks its kernels by the vector extensions it finds, so a run records the x86 family and model and
 * those extensions too, and runs of different CPUs are not merged into one page (bench/merge.ts).
 * Not the runner and not the page.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** The machine of a run, as written in its JSON file. */
export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  /** x86 family and model, and the vector extensions the peers' native kernels choose by (Linux only). */
  id?: string;
  load?: { before: number; after: number };
}

/** The extensions worth naming: what OpenBLAS and MLAS dispatch on. */
const SIMD_FLAGS = ['sse4_1', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx_vnni'];

/**
 * "family F model M: ext ext ..." from /proc/cpuinfo, or undefined where there is none.
 * @example
 * cpuId(); // 'family 26 model 2: sse4_1 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx_vnni'
 */
export function cpuId(): string | undefined {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1].trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const family = field('cpu family');
  const model = field('model');
  if (family === undefined || model === undefined) return undefined;
  return `family ${family} model ${model}: ${SIMD_FLAGS.filter((f) => flags.has(f)).join(' ')}`;
}

/**
 * This machine, with the load average at the run's start and now.
 * @example
 * const m = thisMachine(loadavg()[0]); // later, at the end of the run
 */
export function thisMachine(loadBefore: number): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    id: cpuId(),
    // the load average tells a reader whether other work shared the cores during the run
    load: { before: loadBefore, after: loadavg()[0] },
  };
}

/**
 * Whether two runs were measured on the same kind of CPU. A run that predates `id` matches only
 * another such run: whether it shared the other's CPU cannot be known.
 */
export const sameCpu = (a: Machine, b: Machine): boolean => a.cpu === b.cpu && a.cores === b.cores && a.id === b.id;
