/**
 * How kernel workers are started in each runtime. A spawner starts one worker running
 * WORKER_SOURCE with its `WorkerInit` and returns a handle to stop it.
 * - Node (and runtimes implementing `node:worker_threads` behind `process.getBuiltinModule`: Bun,
 *   Deno 2): `new Worker(source, { eval: true })` with the init as `workerData`; unref'd so it never
 *   keeps a process alive.
 * - Browsers (and a Deno without `process.getBuiltinModule`) with cross-origin isolation: a
 *   module-less classic Worker from a Blob URL of the same source, the init posted as its first
 *   message. Such workers start only once the page's event loop turns, so `threadsReady()` is how a
 *   page waits for them; until then kernels use the workers that are up (possibly none).
 * Not the pool (pool.ts): a spawner knows nothing of the control protocol.
 */
import { WORKER_SOURCE, type WorkerInit } from './worker-source.js';

/** A started worker. */
export interface WorkerHandle {
  terminate(): void;
}

/** Starts worker `init.index`; `onError` receives errors the worker raises outside kernel calls. */
export type Spawner = (init: WorkerInit, onError: (e: unknown) => void) => WorkerHandle;

/** Which runtime a spawner serves (the module is compiled on the main thread only for Node). */
export interface SpawnerInfo {
  readonly spawn: Spawner;
  readonly kind: 'node' | 'web';
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (e: Error) => void): unknown;
}
type NodeWorkerCtor = new (source: string, opts: { eval: true; workerData: WorkerInit; name?: string }) => NodeWorker;

interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onerror: ((e: unknown) => void) | null;
}
type WebWorkerCtor = new (url: string, opts?: { name?: string }) => WebWorker;

/** Node's worker_threads `Worker`, or null outside Node (or before Node 20.16's getBuiltinModule). */
function nodeWorkerCtor(): NodeWorkerCtor | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as { Worker?: NodeWorkerCtor } | undefined;
  return wt?.Worker ?? null;
}

/** Starts workers through Node's `Worker` with the program as eval'd source. */
function nodeSpawner(Worker: NodeWorkerCtor): Spawner {
  return (init, onError) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: init, name: `quantensor-kernels-${init.index}` });
    // A kernel pool must never keep a process (a CLI, a test runner) alive.
    w.unref();
    w.on('error', onError);
    return { terminate: () => void w.terminate().catch(() => undefined) };
  };
}

function webSpawner(Worker: WebWorkerCtor): Spawner {
  let url: string | null = null;
  return (init, onError) => {
    url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url, { name: `quantensor-kernels-${init.index}` });
    w.onerror = onError;
    w.postMessage(init);
    return { terminate: () => w.terminate() };
  };
}

/**
 * The spawner for this runtime, or null where kernel workers cannot run (no worker API, or a
 * browser page that is not cross-origin isolated, where SharedArrayBuffer cannot be posted).
 * @example
 * const s = defaultSpawner(); // { kind: 'node', spawn } in Node
 */
export function defaultSpawner(): SpawnerInfo | null {
  const NodeWorker = nodeWorkerCtor();
  if (NodeWorker) return { kind: 'node', spawn: nodeSpawner(NodeWorker) };
  const g = globalThis as { Worker?: WebWorkerCtor; crossOriginIsolated?: boolean; Blob?: unknown; URL?: { createObjectURL?: unknown } };
  if (typeof g.Worker === 'function' && g.crossOriginIsolated === true && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function') {
    return { kind: 'web', spawn: webSpawner(g.Worker) };
  }
  return null;
}
