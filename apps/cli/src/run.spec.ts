import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classOrder } from '@slca/data';
import { describeDevice, resolveDevice } from '@slca/compute';
import { BENCHMARK_CATALOG } from '@slca/engine';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli';

const dir = mkdtempSync(join(tmpdir(), 'slca-run-'));

describe('slca run on the embedded default (one epoch per task: a smoke run of the real benchmark)', () => {
  it('writes the result JSON with config, class order, backend, accuracy matrix and metrics', () => {
    const out = join(dir, 'slca.json');
    const r = runCli(
      [
        ...['run', '--benchmark', 'embedded', '--method', 'slca', '--seed', '1996', '--epochs', '1'],
        ...['--out', out, '--json'],
      ],
      {
        timeoutMs: 600_000,
      },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    // The default device is auto: onnx where onnxruntime-node loads (SLCA runs there), else wasm.
    const device = resolveDevice('auto');
    // --json: one JSON line on stdout with the result's numbers (the whole result is in --out).
    expect(JSON.parse(r.stdout)).toEqual({
      method: 'slca',
      seed: 1996,
      backend: 'wasm',
      device,
      out,
      lastAcc: result.lastAcc,
      incAcc: result.incAcc,
      forgetting: result.forgetting,
      bwt: result.bwt,
      accuracies: result.accuracies,
      accuracyMatrix: result.accuracyMatrix,
    });
    expect(result.device).toMatchObject({ name: device, forward: describeDevice(device, 2, 'wasm').forward });
    expect(result.config.method).toBe('slca');
    expect(result.config.seed).toBe(1996);
    expect(result.config.stage1.epochs).toBe(1);
    expect(result.classOrder).toEqual(classOrder(30, 1996));
    expect(result.taskSizes).toEqual(Array(10).fill(3));
    expect(result.backend.name).toBe('wasm');
    expect(result.accuracyMatrix).toHaveLength(10);
    expect(result.accuracyMatrix[9].every((v: number | null) => typeof v === 'number')).toBe(true);
    expect(result.lastAcc).toBe(result.accuracies[9]);
    for (const key of ['incAcc', 'forgetting', 'bwt', 'wallSeconds'])
      expect(typeof result[key]).toBe('number');
    expect(result.backbone.sha256).toMatch(/^[0-9a-f]{64}$/);
    // a run at chance level would score ≈ 3.3 % on 30 classes; even one epoch per task does far better
    expect(result.accuracies[0]).toBeGreaterThan(40);
  }, 900_000);

  it('rejects an unknown benchmark, a paper benchmark not imported and an unknown method, writing nothing', () => {
    const out = join(dir, 'never.json');
    const a = runCli(['run', '--benchmark', 'mnist', '--method', 'slca', '--out', out]);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("--benchmark 'mnist': known benchmarks are embedded, cifar100");
    const c = runCli([
      'run',
      '--benchmark',
      'cifar100',
      '--method',
      'slca',
      '--datasets-dir',
      join(dir, 'none'),
      '--out',
      out,
    ]);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('no dataset cifar100');
    const b = runCli(['run', '--method', 'ewc', '--out', out]);
    expect(b.status).toBe(2);
    const embedded = BENCHMARK_CATALOG.find((x) => x.id === 'embedded')?.methods ?? [];
    expect(embedded).toContain('ranpac');
    expect(b.stderr).toContain(`--method: unknown value 'ewc' (expected ${embedded.join(', ')})`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an output path it cannot write before training anything', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const r = runCli(['run', '--method', 'sl', '--out', join(file, 'result.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--out ${join(file, 'result.json')}: cannot write to ${file}`);
    expect(r.stderr).not.toContain('task 1/10');
  });
});

describe('slca run --method a,b', () => {
  it('runs each method in turn, each to its own result file, one JSON line each with --json', () => {
    const out = join(dir, 'pair.json');
    const r = runCli(['run', '--method', 'simplecil,sl', '--epochs', '1', '--out', out, '--json'], {
      timeoutMs: 900_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { method: string; out: string; lastAcc: number });
    expect(lines.map((l) => [l.method, l.out])).toEqual([
      ['simplecil', join(dir, 'pair-simplecil.json')],
      ['sl', join(dir, 'pair-sl.json')],
    ]);
    for (const line of lines) {
      const result = JSON.parse(readFileSync(line.out, 'utf8')) as {
        config: { method: string };
        lastAcc: number;
      };
      expect(result.config.method).toBe(line.method);
      expect(result.lastAcc).toBe(line.lastAcc);
    }
    expect(existsSync(out)).toBe(false);
  }, 900_000);
});

describe('slca reproduce', () => {
  it('runs methods over seeds and writes the mean ± std table', () => {
    const outDir = join(dir, 'table');
    const r = runCli(
      ['reproduce', '--seeds', '1993,1997', '--methods', 'sl', '--epochs', '1', '--out-dir', outDir],
      {
        timeoutMs: 900_000,
      },
    );
    expect(r.status).toBe(0);
    const table = readFileSync(join(outDir, 'table.md'), 'utf8');
    expect(table).toMatch(/\| Slow Learner \| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d ± \d+\.\d\d \| 2 \|/);
    const json = JSON.parse(readFileSync(join(outDir, 'table.json'), 'utf8'));
    const runs = json.runs as { lastAcc: number }[];
    expect(runs).toHaveLength(2);
    const mean = (runs[0].lastAcc + runs[1].lastAcc) / 2;
    expect(json.rows[0].lastAcc.mean).toBeCloseTo(mean, 10);
    expect(existsSync(join(outDir, 'sl-seed1993.json'))).toBe(true);
    expect(existsSync(join(outDir, 'sl-seed1997.json'))).toBe(true);
  }, 900_000);
});
