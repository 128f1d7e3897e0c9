import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type VitArch } from '@slca/compute';

/*
 * `slca bench --compare pytorch`: the PyTorch figures come from tools/bench/pytorch_bench.py, run in the same
 * bench run as the engine's own rows (same models, shapes, optimiser, exact GELU, batch and thread counts),
 * never from a remembered constant. Without a Python that imports torch there is no comparison.
 */

/** The environment variable that names the Python interpreter to use (default `python3`). */
export const PYTHON_ENV = 'SLCA_PYTHON';

/** tools/bench/pytorch_bench.py in this checkout, or beside the bundled CLI (dist/apps/cli). */
export function pytorchScriptPath(): string {
  const bundled = join(__dirname, 'pytorch_bench.py');
  return existsSync(bundled) ? bundled : resolve(__dirname, '../pytorch_bench.py');
}

export type PythonProbe =
  { available: true; python: string; torch: string } | { available: false; python: string; reason: string };

/** Whether `python` (SLCA_PYTHON, else python3) imports torch; the torch version when it does. */
export function probeTorch(env: NodeJS.ProcessEnv = process.env): PythonProbe {
  const python = env[PYTHON_ENV] || 'python3';
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) return { available: false, python, reason: `${python} could not be run (${r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
    return {
      available: false,
      python,
      reason: `${python} cannot import torch (${last || `exit ${r.status}`})`,
    };
  }
  return { available: true, python, torch: r.stdout.trim() };
}

/** What the script is asked to measure (its only argument, as JSON). */
export interface PytorchRequest {
  batch: number;
  classes: number;
  seconds: number;
  repeats: number;
  warmupSteps: number;
  /** torch.set_num_threads for each row, in order. */
  threads: number[];
  arches: { name: string; arch: VitArch }[];
  step?: {
    name: string;
    arch: VitArch;
    batch: number;
    threads: number;
    warmupSteps: number;
    steps: number;
  };
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const positive = finite.refine((x) => x > 0, 'must be > 0');

const outputSchema = z.object({
  torch: z.string(),
  python: z.string(),
  rows: z.array(
    z.object({
      name: z.string(),
      threads: z.number().int().positive(),
      trainImagesPerSecond: positive,
      forwardImagesPerSecond: positive,
      trainSamples: z.array(positive),
      forwardSamples: z.array(positive),
    }),
  ),
  step: z
    .object({
      name: z.string(),
      threads: z.number().int().positive(),
      batch: z.number().int().positive(),
      trainSeconds: positive,
      forwardSeconds: positive,
      trainImagesPerSecond: positive,
      forwardImagesPerSecond: positive,
      loss: finite,
      peakRssBytes: positive,
    })
    .optional(),
});

export type PytorchOutput = z.infer<typeof outputSchema>;

/** Parses the script's stdout (one JSON object, the last non-empty line); throws naming the bad field. */
export function parsePytorchOutput(stdout: string): PytorchOutput {
  const line = stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(
      `pytorch bench: the script printed no JSON result (last line: ${JSON.stringify(line.slice(0, 200))})`,
    );
  }
  const parsed = outputSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`pytorch bench: bad result field '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

/** Runs the script with `request`, forwarding its progress lines; resolves to its parsed result. */
export function runPytorchBench(
  python: string,
  request: PytorchRequest,
  options: { script?: string; onProgress?: (line: string) => void } = {},
): Promise<PytorchOutput> {
  const script = options.script ?? pytorchScriptPath();
  if (!existsSync(script)) return Promise.reject(new Error(`pytorch bench: no script at ${script}`));
  return new Promise((done, fail) => {
    const child = spawn(python, [script, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(script, '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      for (const l of s.split('\n')) if (l.startsWith('pytorch: ')) options.onProgress?.(l);
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) {
        fail(
          new Error(`pytorch bench: ${python} ${script} exited with ${code}: ${stderr.trim().slice(-600)}`),
        );
        return;
      }
      try {
        done(parsePytorchOutput(stdout));
      } catch (e) {
        fail(e);
      }
    });
  });
}

/** One engine figure beside the PyTorch figure measured in the same run. */
export interface ComparisonPair {
  /** e.g. "vit-bench-1block (all tokens) train img/s". */
  workload: string;
  /** The engine's device row, e.g. "WorkerPool(2)". */
  ours: { device: string; value: number };
  pytorch: { threads: number; value: number };
  /** ours / pytorch for rates; pytorch / ours for memory (so > 1 always means "ours is better"). */
  ratio: number;
  unit: 'img/s' | 'GB peak RSS';
}

export interface Comparison {
  /** Present when the comparison ran. */
  torch?: string;
  python: string;
  /** Why there is no comparison (no torch), when there is none. */
  unavailable?: string;
  pairs: ComparisonPair[];
}

/** The engine's side of a comparison: one row per workload and device (see pairRows). */
export interface OurRow {
  name: string;
  device: string;
  /** Cores the row uses: the worker count, 1 for the in-thread device. */
  threads: number;
  trainImagesPerSecond: number;
  forwardImagesPerSecond: number;
  peakRssBytes?: number;
}

/**
 * Pairs each engine row with the PyTorch row of the same workload name and thread count; rows without a
 * partner are left out. Ratios are ours / PyTorch for throughput and PyTorch / ours for peak RSS.
 */
export function pairRows(
  ours: readonly OurRow[],
  pytorch: readonly {
    name: string;
    threads: number;
    trainImagesPerSecond: number;
    forwardImagesPerSecond: number;
    peakRssBytes?: number;
  }[],
): ComparisonPair[] {
  const pairs: ComparisonPair[] = [];
  for (const o of ours) {
    const p = pytorch.find((r) => r.name === o.name && r.threads === o.threads);
    if (!p) continue;
    const pair = (what: string, a: number, b: number, unit: ComparisonPair['unit'], ratio: number) =>
      pairs.push({
        workload: `${o.name} ${what}`,
        ours: { device: o.device, value: a },
        pytorch: { threads: p.threads, value: b },
        ratio,
        unit,
      });
    pair(
      'train',
      o.trainImagesPerSecond,
      p.trainImagesPerSecond,
      'img/s',
      o.trainImagesPerSecond / p.trainImagesPerSecond,
    );
    pair(
      'forward',
      o.forwardImagesPerSecond,
      p.forwardImagesPerSecond,
      'img/s',
      o.forwardImagesPerSecond / p.forwardImagesPerSecond,
    );
    if (o.peakRssBytes && p.peakRssBytes) {
      pair(
        'memory',
        o.peakRssBytes / 1e9,
        p.peakRssBytes / 1e9,
        'GB peak RSS',
        p.peakRssBytes / o.peakRssBytes,
      );
    }
  }
  return pairs;
}

/** The comparison as printed by the bench. */
export function formatComparison(c: Comparison): string[] {
  if (!c.torch) {
    return [
      `PyTorch comparison: not run — ${c.unavailable ?? 'no torch'}; no ratios (set ${PYTHON_ENV} to a Python with torch)`,
    ];
  }
  const rows = [['workload', 'ours', 'device', 'PyTorch', 'threads', 'ours / PyTorch']];
  for (const p of c.pairs) {
    const digits = p.unit === 'img/s' && p.ours.value < 10 ? 2 : 1;
    rows.push([
      p.workload,
      `${p.ours.value.toFixed(digits)} ${p.unit}`,
      p.ours.device,
      `${p.pytorch.value.toFixed(digits)} ${p.unit}`,
      String(p.pytorch.threads),
      p.unit === 'img/s' ? `${p.ratio.toFixed(2)}×` : `${p.ratio.toFixed(2)}× (PyTorch / ours)`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [
    `PyTorch ${c.torch} (${c.python}, CPU), measured in this run by tools/bench/pytorch_bench.py: same models, shapes, ` +
      'SGD, exact GELU, batch and thread counts; PyTorch computes every token of every block',
    ...rows.map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    ),
  ];
}
