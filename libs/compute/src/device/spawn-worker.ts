import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface ModuleWorkerOptions {
  /** The folder of the module that spawns the worker (its `__dirname`). */
  dir: string;
  /** That module's file (its `__filename`): a `.ts` file means we run from source. */
  callerFile: string;
  /** The worker's TypeScript source in `dir`, run through tsx's require hook (development, tests). */
  source: string;
  /** Compiled worker files to look for in `dir`, in order (bundled apps, compiled libraries). */
  compiled: readonly string[];
  workerData?: unknown;
}

/**
 * Starts a worker thread on a module of this repository, from source or compiled: the TypeScript file
 * through tsx when the caller runs from source, else the first compiled file found next to the caller.
 */
export function spawnModuleWorker(options: ModuleWorkerOptions): Worker {
  const { dir, callerFile, source, compiled, workerData } = options;
  const ts = join(dir, source);
  if (callerFile.endsWith('.ts') && existsSync(ts)) {
    const hook = require.resolve('tsx/cjs/api');
    const boot = `require(${JSON.stringify(hook)}).register(); require(${JSON.stringify(ts)});`;
    return new Worker(boot, { eval: true, workerData });
  }
  for (const name of compiled) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return new Worker(candidate, { workerData });
  }
  throw new Error(`worker script ${source} (or ${compiled.join(', ')}) not found next to ${callerFile}`);
}
