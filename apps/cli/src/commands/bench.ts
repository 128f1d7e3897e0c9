import { formatBenchReport, probeTorch, runBench, type PythonProbe } from '@slca/bench';
import { BACKEND_REQUESTS, DEVICE_NAMES, type BackendRequest, type DeviceName } from '@slca/compute';
import { parseInteger, parseList, UsageError, writeJson } from '../io';

export interface BenchFlags {
  /** Comma-separated worker counts; 0 = in-thread (default "0,1,2"). */
  workers?: string;
  /** Where to write the full report as JSON. */
  json?: string;
  backend: string;
  /** False with `--no-vit-b16`: skip the ViT-B/16 training step at batch 8 (≈ 1–2 min on 2 cores). */
  vitB16?: boolean;
  /** False with `--no-pipeline`: no input-pipeline figures (decode + docs/method.md §5.2 transforms). */
  pipeline?: boolean;
  /** `pytorch`: measure PyTorch in the same run (tools/bench/pytorch_bench.py) and print the ratios. */
  compare?: string;
  /** Compute device (default wasm). */
  device?: string;
}

/** Checks --device. */
export function parseDevice(value: string | undefined): DeviceName {
  const v = value ?? 'wasm';
  if (!(DEVICE_NAMES as readonly string[]).includes(v)) {
    throw new UsageError(`--device must be one of ${DEVICE_NAMES.join(', ')}, got '${v}'`);
  }
  return v as DeviceName;
}

/** The peers `--compare` knows. */
export const COMPARE_PEERS = ['pytorch'] as const;

/** Checks --compare; for `pytorch`, finds a Python that imports torch (or says why there is none). */
export function parseCompare(
  value: string | undefined,
  probe: () => PythonProbe = probeTorch,
): PythonProbe | undefined {
  if (value === undefined) return undefined;
  if (!(COMPARE_PEERS as readonly string[]).includes(value)) {
    throw new UsageError(`--compare must be one of ${COMPARE_PEERS.join(', ')}, got '${value}'`);
  }
  return probe();
}

/**
 * Measures matMul GFLOP/s, ViT training/forward throughput and one ViT-B/16 training step at batch 8 (on the
 * largest worker count), prints tables, optionally writes JSON.
 */
export async function benchCommand(flags: BenchFlags): Promise<void> {
  if (!BACKEND_REQUESTS.includes(flags.backend as BackendRequest)) {
    throw new UsageError(`--backend must be one of ${BACKEND_REQUESTS.join(', ')}, got '${flags.backend}'`);
  }
  const workers = parseList(flags.workers ?? '0,1,2', '--workers').map((w) =>
    parseInteger(w, '--workers', 0),
  );
  const device = parseDevice(flags.device);
  const compare = parseCompare(flags.compare);
  if (compare && !compare.available)
    process.stderr.write(`bench: no PyTorch comparison: ${compare.reason}\n`);
  const report = await runBench({
    compare,
    device,
    workers,
    backend: flags.backend as BackendRequest,
    step: flags.vitB16 === false ? undefined : 'vit-b16',
    pipeline: flags.pipeline !== false,
    onProgress: (m: string) => process.stderr.write(`bench: ${m}\n`),
  });
  process.stdout.write(`${formatBenchReport(report)}\n`);
  if (flags.json) writeJson(flags.json, report);
}
