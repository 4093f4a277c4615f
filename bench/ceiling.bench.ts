/**
 * The machine's f32 ceiling in WebAssembly, measured in the same run as the kernels: a probe module
 * (compiled here by asc from the source below, not part of the library) runs 12 independent chains
 * of f32x4 a = a * m + c in registers, with no memory traffic. On the SIMD128 build each step is a
 * multiply then an add (SIMD128 has no FMA), as in a GEMM micro-kernel; in the relaxed child it is
 * `f32x4.relaxed_madd`, which V8 lowers to an FMA on x86 CPUs that have one. Twelve chains keep
 * more operations in flight than the core's pipes start per chain latency, so the probe is bound by
 * arithmetic throughput (measured here at ~95% of the same loop in native SSE code).
 *
 * Its GFLOP/s (8 per chain step: 4 lanes, a multiply and an add) bound every f32 kernel of that
 * build on one core, so the report shows GEMM and SYRK as a fraction of it, and a native peer's
 * rate against it.
 */
import { wasmRuntime } from '../src/kernels/backend.js';
import type { BenchCase, Prepared } from './harness.js';
import { CEILING_KERNEL } from './lib.js';

/** Independent chains: 12 plus m, c and a product temporary take V8's 15 allocatable XMM registers. */
const CHAINS = 12;

/** Chain steps per call (even: two per loop iteration), ~0.1 s at this machine's ~30 GFLOP/s. */
const STEPS = 25_000_000;

/**
 * The probe source: every chain is a = a * m + c, a multiply then an add on SIMD128 (the step of a
 * GEMM micro-kernel), fused on the relaxed build. Two steps per loop iteration halve the loop's
 * own instructions (the counter, the branch, V8's interrupt check), which compete for issue slots.
 */
function probeSource(relaxed: boolean): string {
  const names = Array.from({ length: CHAINS }, (_, i) => `a${i}`);
  const op = (a: string): string => (relaxed ? `${a} = f32x4.relaxed_madd(${a}, m, c);` : `${a} = f32x4.add(f32x4.mul(${a}, m), c);`);
  return [
    '/** Lane 0 of every chain after 2n steps, at out (f32 [chains]); chain i starts at x0 + i. */',
    'export function peak(n: i32, x0: f32, mul: f32, add: f32, out: usize): void {',
    '  const m = f32x4.splat(mul);',
    '  const c = f32x4.splat(add);',
    ...names.map((a, i) => `  let ${a} = f32x4.splat(x0 + ${i});`),
    '  for (let i = 0; i < n; i++) {',
    ...names.map((a) => `    ${op(a)}`),
    ...names.map((a) => `    ${op(a)}`),
    '  }',
    ...names.map((a, i) => `  store<f32>(out + ${4 * i}, f32x4.extract_lane(${a}, 0));`),
    '}',
  ].join('\n');
}

interface Probe {
  peak(n: number, x0: number, mul: number, add: number, out: number): void;
  readonly memory: WebAssembly.Memory;
}

async function compileProbe(relaxed: boolean): Promise<Probe> {
  const { default: asc } = await import('assemblyscript/asc');
  const { binary, stderr, error } = await asc.compileString(
    { 'probe.ts': probeSource(relaxed) },
    { optimizeLevel: 3, runtime: 'stub', noAssert: true, enable: relaxed ? ['simd', 'relaxed-simd'] : ['simd'], initialMemory: 1 },
  );
  if (error || !binary) throw new Error(`the ceiling probe did not compile: ${error?.message ?? ''} ${String(stderr)}`);
  const module = await WebAssembly.compile(binary as BufferSource);
  const instance = await WebAssembly.instantiate(module, { env: { abort: () => { throw new Error('probe abort'); } } });
  return instance.exports as unknown as Probe;
}

/** Chain i's lane 0 after n steps, in f32 as the probe computes it (fused on the relaxed build). */
function chainValue(i: number, x0: number, n: number, mul: number, add: number, fused: boolean): number {
  const f = Math.fround;
  let a = f(x0 + i);
  // a * m is exact in f64 (24 x 24 bits), so f(a * mul + add) differs from a true FMA only when
  // the f64 sum itself rounded (a double rounding): the check has a tolerance for that.
  for (let s = 0; s < n; s++) a = fused ? f(a * mul + add) : f(f(a * mul) + add);
  return a;
}

/**
 * The ceiling probe as a twin of a kernel case `c` (bench/run.ts adds it after the cases listed in
 * CEILING_COMPARED): same family, library and shape, timed in the same rounds as `c` (timingGroup),
 * because the machine's speed drifts from minute to minute and only a ceiling of the same moments
 * makes the kernel's fraction of it meaningful. On the relaxed child it probes the relaxed build.
 * @example
 * const twin = ceilingTwin(syrkCase, 'linalg|syrk|2048x4096|f32|', false);
 */
export function ceilingTwin(c: BenchCase, timingGroup: string, quick: boolean): BenchCase {
  const steps = quick ? STEPS / 10 : STEPS;
  // m slightly above 1: the chains grow by e^(steps / 2^23), so the values tell how many steps ran
  const [x0, mul, add] = [0.5, 1 + 2 ** -23, 2 ** -10];
  return {
    family: c.family,
    kernel: CEILING_KERNEL,
    lib: c.lib,
    shape: c.shape,
    dtype: 'f32',
    flops: 8 * CHAINS * steps,
    weightBytes: 0,
    timingGroup,
    note: `register-only f32x4 chains a = a*m + c (fused on the relaxed build), timed in the rounds of ${c.kernel}: the f32 ceiling of one core in WASM`,
    prepare: async (): Promise<Prepared> => {
      const relaxed = wasmRuntime().relaxed;
      const probe = await compileProbe(relaxed);
      return {
        run: () => probe.peak(steps / 2, x0, mul, add, 0),
        check: () => {
          const got = new Float32Array(probe.memory.buffer, 0, CHAINS);
          for (const i of [0, CHAINS >> 1, CHAINS - 1]) {
            const want = chainValue(i, x0, steps, mul, add, relaxed);
            if (!(Math.abs(got[i] - want) <= 1e-5 * Math.abs(want))) throw new Error(`ceiling probe: chain ${i} is ${got[i]}, expected ${want}`);
          }
        },
      };
    },
  };
}
