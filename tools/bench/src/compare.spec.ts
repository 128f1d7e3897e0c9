import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBenchReport, runBench } from './bench';
import { formatComparison, pairRows, parsePytorchOutput, probeTorch, runPytorchBench } from './compare';

/*
 * The comparison's logic without torch: a stand-in for tools/bench/pytorch_bench.py, run by node, answers
 * with fixed figures in the script's output format, so the pairs and ratios are known in advance.
 */
const FAKE_SCRIPT = `
const req = JSON.parse(process.argv[2]);
process.stderr.write('pytorch: fake\\n');
const rows = [];
for (const a of req.arches) for (const threads of req.threads)
  rows.push({ name: a.name, threads, trainImagesPerSecond: 100 * threads, forwardImagesPerSecond: 400 * threads,
    trainSamples: [100 * threads], forwardSamples: [400 * threads] });
const out = { torch: '9.9.9-fake', python: '3.0', rows };
if (req.step) out.step = { name: req.step.name, threads: req.step.threads, batch: req.step.batch, trainSeconds: 2,
  forwardSeconds: 1, trainImagesPerSecond: req.step.batch / 2, forwardImagesPerSecond: req.step.batch,
  loss: 1.5, peakRssBytes: 1e6 };
console.log('some chatter first');
console.log(JSON.stringify(out));
`;

function fakeScript(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slca-compare-'));
  const file = join(dir, 'fake_bench.js');
  writeFileSync(file, FAKE_SCRIPT);
  return file;
}

const row = { name: 'm', threads: 1, trainImagesPerSecond: 50, forwardImagesPerSecond: 200 };

describe('PyTorch comparison', () => {
  it('parses the last JSON line of the output and names a bad field', () => {
    const good = {
      torch: '2.13',
      python: '3.11',
      rows: [{ ...row, trainSamples: [50], forwardSamples: [200] }],
    };
    expect(parsePytorchOutput(`warning\n${JSON.stringify(good)}\n`).rows[0].trainImagesPerSecond).toBe(50);
    expect(() => parsePytorchOutput('Traceback (most recent call last)')).toThrow(/printed no JSON result/);
    const bad = { ...good, rows: [{ ...good.rows[0], trainImagesPerSecond: 0 }] };
    expect(() => parsePytorchOutput(JSON.stringify(bad))).toThrow(
      "bad result field 'rows.0.trainImagesPerSecond'",
    );
  });

  it('pairs rows by workload and thread count: ours / PyTorch for rates, PyTorch / ours for memory', () => {
    const pairs = pairRows(
      [
        {
          name: 'm',
          device: 'WorkerPool(1)',
          threads: 1,
          trainImagesPerSecond: 40,
          forwardImagesPerSecond: 300,
        },
        {
          name: 'm',
          device: 'WorkerPool(2)',
          threads: 2,
          trainImagesPerSecond: 80,
          forwardImagesPerSecond: 100,
        },
        {
          name: 'big',
          device: 'WorkerPool(2)',
          threads: 2,
          trainImagesPerSecond: 1,
          forwardImagesPerSecond: 2,
          peakRssBytes: 4e9,
        },
      ],
      [
        row,
        { name: 'big', threads: 2, trainImagesPerSecond: 2, forwardImagesPerSecond: 8, peakRssBytes: 1e9 },
      ],
    );
    // 'm' on 2 threads has no PyTorch partner: left out.
    expect(pairs.map((p) => [p.workload, p.ours.device, p.ratio])).toEqual([
      ['m train', 'WorkerPool(1)', 0.8],
      ['m forward', 'WorkerPool(1)', 1.5],
      ['big train', 'WorkerPool(2)', 0.5],
      ['big forward', 'WorkerPool(2)', 0.25],
      ['big memory', 'WorkerPool(2)', 0.25],
    ]);
    const text = formatComparison({ torch: '2.13', python: 'py', pairs }).join('\n');
    expect(text).toContain('0.80×');
    expect(text).toContain('4.0 GB peak RSS');
  });

  it('says why there is no comparison and prints no ratio without torch', () => {
    const probe = probeTorch({ SLCA_PYTHON: '/nonexistent/python3' });
    expect(probe.available).toBe(false);
    expect(probe.python).toBe('/nonexistent/python3');
    const failing = probeTorch({ SLCA_PYTHON: '/bin/false' });
    expect(failing).toMatchObject({
      available: false,
      reason: expect.stringContaining('cannot import torch'),
    });
    const text = formatComparison({ python: 'py', unavailable: 'py cannot import torch', pairs: [] }).join(
      '\n',
    );
    expect(text).toContain('not run — py cannot import torch');
    expect(text).not.toContain('×');
  });

  it('runs the script as a child process and rejects with its exit status', async () => {
    const script = fakeScript();
    const request = {
      batch: 4,
      classes: 2,
      seconds: 1,
      repeats: 1,
      warmupSteps: 0,
      threads: [1, 2],
      arches: [],
    };
    const lines: string[] = [];
    const out = await runPytorchBench(process.execPath, request, {
      script,
      onProgress: (l) => lines.push(l),
    });
    expect(out.torch).toBe('9.9.9-fake');
    expect(lines).toEqual(['pytorch: fake']);
    await expect(runPytorchBench('/bin/false', request, { script })).rejects.toThrow(/exited with 1/);
  });

  it('bench --compare pairs the all-token rows and the large step with the script’s figures', async () => {
    const tiny = { imageSize: 8, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpDim: 32 };
    const report = await runBench({
      workers: [0],
      seconds: 0.02,
      repeats: 1,
      warmupSteps: 0,
      arches: ['vit-bench-1block'],
      skipMatmul: true,
      step: { arch: { name: 'tiny-vit', arch: tiny }, batch: 2, warmupSteps: 0, steps: 1 },
      compare: { available: true, python: process.execPath, torch: 'fake' },
      compareScript: fakeScript(),
    });
    const c = report.comparison;
    if (!c) throw new Error('no comparison');
    expect(c.torch).toBe('9.9.9-fake');
    expect(report.step?.allTokens).toBe(true);
    const [one] = report.arches.filter((a) => a.name === 'vit-bench-1block (all tokens)');
    const step = report.step?.runs[0];
    if (!step) throw new Error('no step run');
    expect(c.pairs.map((p) => p.workload)).toEqual([
      'vit-bench-1block (all tokens) train',
      'vit-bench-1block (all tokens) forward',
      'tiny-vit train',
      'tiny-vit forward',
      'tiny-vit memory',
    ]);
    // the in-thread device is paired with PyTorch on one thread: 100 and 400 img/s in the fake script
    expect(c.pairs[0].ratio).toBeCloseTo(one.runs[0].train.imagesPerSecond / 100, 12);
    expect(c.pairs[1].ratio).toBeCloseTo(one.runs[0].forward.imagesPerSecond / 400, 12);
    expect(c.pairs[2].ratio).toBeCloseTo(step.train.imagesPerSecond / 1, 12);
    expect(c.pairs[4].ratio).toBeCloseTo(1e6 / step.peakRssBytes, 12);
    expect(formatBenchReport(report)).toContain('PyTorch 9.9.9-fake');
  });

  it('bench --compare without torch records why and has no pairs', async () => {
    const report = await runBench({
      workers: [0],
      seconds: 0.02,
      repeats: 1,
      warmupSteps: 0,
      arches: ['vit-bench-1block'],
      allTokenArches: [],
      skipMatmul: true,
      compare: { available: false, python: 'python3', reason: 'python3 cannot import torch' },
    });
    expect(report.comparison).toEqual({
      python: 'python3',
      unavailable: 'python3 cannot import torch',
      pairs: [],
    });
    expect(formatBenchReport(report)).toContain('PyTorch comparison: not run');
  });
});
