/**
 * The program each kernel worker thread runs, as source text: Node starts it with
 * `new Worker(source, { eval: true })` and browsers from a Blob URL (spawn.ts), so it works
 * unchanged from the TS sources (vitest), the ESM and CJS bundles and any bundler, with no worker
 * file to locate. It is plain ES2020 using nothing but WebAssembly, Atomics and performance.now(); it takes its
 * `WorkerInit` from `workerData` where `require` exists, else from its first message.
 *
 * The worker instantiates the kernel module against the shared memory (the module's data segments
 * are passive, see passive-data.ts, so this writes nothing), reports ready, then loops: poll its
 * sequence word for SPIN_MS, then sleep on it until it changes, claim and run items of the dispatch until none is left, record success
 * or the first error message, decrement the pending counter and wake the main thread when it
 * reaches zero. Its wasm value stack and locals are its own; scratch memory is handed to it in the
 * arguments (the module itself has no stack in linear memory and never allocates).
 *
 * The layout of the control words is `LAYOUT` below, shared with pool.ts. Not a general task
 * runner: it only calls exports of the kernel module.
 */

/** Word layout of the control Int32Array, shared by the pool and the worker program. */
export const LAYOUT = {
  /** Number of workers that finished instantiating. */
  READY: 0,
  /** Workers woken for the current dispatch that have not finished it yet. */
  PENDING: 1,
  /** Index of the next item of the current dispatch (threads claim items with Atomics.add). */
  NEXT: 2,
  /** Number of items of the current dispatch. */
  NITEMS: 3,
  /** Items run by workers since the pool started (diagnostics). */
  WITEMS: 4,
  /** First word of worker 0's slot; worker w's slot starts at SLOT0 + w * SLOT. */
  SLOT0: 8,
  SLOT: 8,
  /** Within a slot: sequence number the worker waits on. */
  SEQ: 0,
  /** Within a slot: 1 asks the worker to exit. */
  EXIT: 1,
  /** Within a slot: 0 after success, 1 after an error (message in the error buffer). */
  STATUS: 2,
  /** Within a slot: byte length of the error message. */
  ERRLEN: 3,
  /** Within a slot: 1 once this worker has instantiated the module and can take calls. */
  UP: 4,
  /**
   * Milliseconds a worker keeps polling its sequence word after a dispatch before it sleeps in
   * Atomics.wait: waking a sleeping thread costs tens to hundreds of µs on a VM, as much as a
   * 1 ms GEMV split in two saves, and kernels (a model's layers) are often dispatched back to back.
   * Not longer: on a busy machine a polling thread takes the core its partner needs (measured on
   * the int4 GEMV on 2 vCPUs: 0.5 ms polls here and 1 ms in the join ran slower than these).
   */
  SPIN_MS: 0.25,
  /** Milliseconds the dispatching thread polls for the workers to finish before it sleeps. */
  JOIN_SPIN_MS: 0.5,
  /** Bytes of error message kept per worker. */
  ERRBYTES: 512,
} as const;

/** Data a worker receives at start (Node `workerData`, or the first message in a browser). */
export interface WorkerInit {
  /** The compiled module (Node), or null when the worker compiles `bytes` itself (browsers, whose
   * main thread may not compile a module synchronously). Either has no active data segments. */
  readonly module: WebAssembly.Module | null;
  readonly bytes: Uint8Array | null;
  readonly memory: WebAssembly.Memory;
  readonly ctrl: SharedArrayBuffer;
  readonly args: SharedArrayBuffer;
  readonly err: SharedArrayBuffer;
  /** Export names by index (a call names its export by this index). */
  readonly names: readonly string[];
  /** This worker's slot. */
  readonly index: number;
}

/**
 * The worker program. A dispatch is a list of items in the argument buffer: double i (i < NITEMS)
 * is the offset of item i, which is [call count, then per call: export index, argc, ...args]
 * (pointers and counts are exact integers, floats are passed as the f64 the main thread would
 * pass). Woken threads claim items with Atomics.add on NEXT until none is left, so a thread that
 * starts late (descheduled, still waking) simply runs fewer items.
 */
export const WORKER_SOURCE = `'use strict';
const L = ${JSON.stringify(LAYOUT)};
function main(d) {
  const ctrl = new Int32Array(d.ctrl);
  const args = new Float64Array(d.args);
  const err = new Uint8Array(d.err);
  const module = d.module || new WebAssembly.Module(d.bytes);
  const instance = new WebAssembly.Instance(module, { env: { memory: d.memory } });
  const fns = d.names.map((n) => instance.exports[n]);
  const base = L.SLOT0 + d.index * L.SLOT;
  // Read the sequence word before announcing UP: the main thread bumps it only after seeing UP.
  let seen = Atomics.load(ctrl, base + L.SEQ);
  Atomics.store(ctrl, base + L.UP, 1);
  Atomics.add(ctrl, L.READY, 1);
  Atomics.notify(ctrl, L.READY);
  const buf = [];
  for (;;) {
    // Spin a little before sleeping (L.SPIN_MS): the clock is read every 64 polls only.
    const until = performance.now() + L.SPIN_MS;
    for (let i = 1; Atomics.load(ctrl, base + L.SEQ) === seen; i++) if ((i & 63) === 0 && performance.now() > until) break;
    Atomics.wait(ctrl, base + L.SEQ, seen);
    const seq = Atomics.load(ctrl, base + L.SEQ);
    if (seq === seen) continue;
    seen = seq;
    if (ctrl[base + L.EXIT] !== 0) return;
    const items = ctrl[L.NITEMS];
    let status = 0;
    for (;;) {
      const item = Atomics.add(ctrl, L.NEXT, 1);
      if (item >= items) break;
      try {
        let p = args[item];
        const count = args[p++];
        for (let c = 0; c < count; c++) {
          const f = fns[args[p]];
          const argc = args[p + 1];
          p += 2;
          buf.length = argc;
          for (let i = 0; i < argc; i++) buf[i] = args[p + i];
          p += argc;
          f.apply(null, buf);
        }
        Atomics.add(ctrl, L.WITEMS, 1);
      } catch (e) {
        if (status === 0) {
          status = 1;
          const msg = new TextEncoder().encode(String(e && e.message ? e.message : e)).subarray(0, L.ERRBYTES);
          err.set(msg, d.index * L.ERRBYTES);
          ctrl[base + L.ERRLEN] = msg.length;
        }
      }
    }
    ctrl[base + L.STATUS] = status;
    if (Atomics.sub(ctrl, L.PENDING, 1) === 1) Atomics.notify(ctrl, L.PENDING);
  }
}
if (typeof require === 'function') main(require('node:worker_threads').workerData);
else self.onmessage = (e) => { self.onmessage = null; main(e.data); };
`;
