import { BACKEND_REQUESTS, formatBenchReport, runBench, type BackendRequest } from '@slca/engine';
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
  const report = await runBench({
    workers,
    backend: flags.backend as BackendRequest,
    step: flags.vitB16 === false ? undefined : 'vit-b16',
    pipeline: flags.pipeline !== false,
    onProgress: (m: string) => process.stderr.write(`bench: ${m}\n`),
  });
  process.stdout.write(`${formatBenchReport(report)}\n`);
  if (flags.json) writeJson(flags.json, report);
}
