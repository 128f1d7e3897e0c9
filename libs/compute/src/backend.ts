import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Backends this engine can train on, best first. `tensorflow` is tfjs-node(-gpu): native TensorFlow. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The backend tfjs reports as running after initialisation: the only name that goes into results. */
  name: BackendName;
  requested: BackendRequest;
  /** Which npm package provided the backend. */
  provider: string;
  /** wasm only: SIMD kernels in use. */
  simd?: boolean;
  /** wasm only: wasm threads in use (always false in Node: tfjs hard-codes them off). */
  threads?: boolean;
  /** tensorflow only: whether the GPU build was loaded. */
  gpu?: boolean;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

let active: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/** Loads tfjs-node-gpu or tfjs-node if the image has it; neither is part of the root install (they download libtensorflow). */
function loadNativeBindings(): { provider: string; gpu: boolean } | undefined {
  for (const [provider, gpu] of [
    ['@tensorflow/tfjs-node-gpu', true],
    ['@tensorflow/tfjs-node', false],
  ] as const) {
    try {
      // A computed specifier keeps bundlers from trying to resolve an optional native package.
      const load = require;
      load(provider);
      return { provider, gpu };
    } catch {
      // not installed on this machine: try the next one
    }
  }
  return undefined;
}

const PROCESS_FAULT_EVENTS = ['unhandledRejection', 'uncaughtException'] as const;

/**
 * Runs `init` and then removes the process-wide fault handlers it added. The wasm backend's Emscripten
 * glue installs handlers that rethrow every unhandled rejection and uncaught exception, which ends the
 * process whatever the application does about them (a service that logs a stray rejection and goes on
 * serving died of it instead). How a process meets its faults is the application's to say, not a
 * library's.
 */
async function keepingProcessFaultHandlers<T>(init: () => Promise<T>): Promise<T> {
  if (typeof process === 'undefined' || typeof process.listeners !== 'function') return init();
  // As a plain emitter: the typed overloads take one event name at a time.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(PROCESS_FAULT_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  try {
    return await init();
  } finally {
    for (const event of PROCESS_FAULT_EVENTS)
      for (const listener of emitter.listeners(event))
        if (!before.get(event)?.has(listener))
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
  }
}

async function tryWasm(): Promise<{ simd: boolean; threads: boolean } | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Must be read before the backend initialises, or tfjs caches the wrong answer.
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    // Multithreaded wasm is hard-disabled in Node; forcing it breaks init and tfjs silently falls back.
    const ok = await keepingProcessFaultHandlers(() => tf.setBackend('wasm'));
    if (!ok || tf.getBackend() !== 'wasm') return undefined;
    return { simd, threads: wasm.getThreadsCount() > 1 };
  } catch {
    return undefined;
  }
}

async function initialise(requested: BackendRequest): Promise<BackendInfo> {
  const wants = (name: BackendName) => requested === 'auto' || requested === name;

  if (wants('tensorflow')) {
    const native = loadNativeBindings();
    if (native && (await tf.setBackend('tensorflow')) && tf.getBackend() === 'tensorflow') {
      return { name: 'tensorflow', requested, provider: native.provider, gpu: native.gpu };
    }
  }
  if (wants('wasm')) {
    const wasm = await tryWasm();
    if (wasm) return { name: 'wasm', requested, provider: '@tensorflow/tfjs-backend-wasm', ...wasm };
  }
  if (wants('cpu')) {
    await tf.setBackend('cpu');
    if (tf.getBackend() === 'cpu')
      return { name: 'cpu', requested, provider: '@tensorflow/tfjs-backend-cpu' };
  }
  throw new BackendError(
    `TensorFlow.js backend '${requested}' was requested but '${tf.getBackend() ?? 'none'}' is running` +
      (requested === 'tensorflow'
        ? ' (@tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node is not installed)'
        : ''),
  );
}

/**
 * Selects and initialises the best available backend (or exactly the one requested), once per process.
 * Fails loudly when the running backend is not the one asked for, rather than training 50× slower on `cpu`.
 */
export async function initBackend(requested: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_REQUESTS.includes(requested)) {
    throw new BackendError(`unknown backend '${requested}' (expected one of ${BACKEND_REQUESTS.join(', ')})`);
  }
  if (active) {
    if (requested !== 'auto' && active.name !== requested) {
      throw new BackendError(
        `backend '${requested}' requested but '${active.name}' is already running in this process`,
      );
    }
    return active;
  }
  pending ??= initialise(requested);
  let info: BackendInfo;
  try {
    info = await pending;
  } finally {
    pending = undefined;
  }
  await tf.ready();
  if (tf.getBackend() !== info.name) {
    throw new BackendError(`backend '${info.name}' was initialised but tfjs reports '${tf.getBackend()}'`);
  }
  active = info;
  return info;
}

/** The backend this process runs on; throws if initBackend has not completed. */
export function activeBackend(): BackendInfo {
  if (!active) throw new BackendError('initBackend() has not been called in this process');
  return active;
}
