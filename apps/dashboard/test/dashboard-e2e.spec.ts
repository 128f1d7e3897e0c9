import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  accuracyMatrixTable,
  confusionByTask,
  formatMeanStd,
  meanStd,
  oldNewAccuracy,
  perClassAccuracyByTask,
  stabilityPlasticity,
  tableTexts,
  taskConfusion,
} from '@slca/metrics';
import { MinioObjectStore, storeConfigFromEnv } from '@slca/artifacts';
import { Stack, writeCifar100Release } from '@slca/stack';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardEnv,
  launchBrowser,
  signIn,
  startDashboard,
  TEST_PASSWORD,
  TEST_USER,
  type Browser,
  type Dashboard,
} from './harness';
import { serviceClient } from './services';

/*
 * The dashboard against the real local stack (s3rver + the four services as processes) and the built app
 * (`next start`), driven through Debian's Chromium. Two short runs of the embedded benchmark's SLCA
 * configuration (2 tasks of 15 classes, 1 epoch) are started from the New-run form, the first after a
 * Preview, the second as "New run like this" of the first, and followed to the end.
 */
const OVERRIDES = ['initClasses=15', 'increment=15', 'stage1.epochs=1'].join('\n');
const CONFIGURATION = 'embedded/vit-emoji/slca@v1';
const SELECTS = new Set(['benchmark', 'pretraining', 'method', 'dataset', 'backbone']);

/** Every line the services log, kept for a failure's post-mortem. */
const STACK_LOG = join(tmpdir(), 'slca-dashboard-e2e-stack.log');

let dir: string;
let stack: Stack;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-dashboard-e2e-'));
  writeFileSync(STACK_LOG, '');
  stack = await Stack.start({
    dataDir: dir,
    env: { SLCA_TRAINER_WORKERS: '2', SLCA_CHECKPOINT_EVERY: '8' },
    onLog: (name, line) => appendFileSync(STACK_LOG, `${name}: ${line}\n`),
  });
  dashboard = await startDashboard(dashboardEnv(stack));
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Moves the mouse over an interactive chart at data value `x` (from the x range the chart shows). */
async function hoverAt(chart: string, x: number) {
  const over = page.locator(`[data-testid=${chart}-plot] .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  if (!box) throw new Error(`${chart} has no plot area`);
  const plot = page.getByTestId(`${chart}-plot`);
  const min = Number(await plot.getAttribute('data-x-min'));
  const max = Number(await plot.getAttribute('data-x-max'));
  await page.mouse.move(box.x + ((x - min) / (max - min)) * box.width, box.y + box.height / 2);
}

/** Fills the New-run form (from `path`) and presses Start, or Preview. */
async function fillNewRun(
  values: Record<string, string>,
  { button = 'start-run', path = '/runs/new' }: { button?: 'start-run' | 'preview-run'; path?: string } = {},
) {
  if (path) await page.goto(`${dashboard.url}${path}`);
  for (const [field, value] of Object.entries(values)) {
    if (SELECTS.has(field)) await page.selectOption(`#${field}`, value);
    else await page.fill(`#${field}`, value);
  }
  await page.click(`[data-testid=${button}]`);
}

interface TrainerRun {
  id: string;
  configJson: string;
  backend: string;
  device: string;
  accuracies: number[];
  system?: { imagesPerSecond: number; stepMs: number; steps: number; peakRssBytes: number; host: string };
}

async function getRun(id: string): Promise<TrainerRun> {
  const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
  try {
    return (await trainer.call<{ run: TrainerRun }>('getRun', { id })).run;
  } finally {
    trainer.close();
  }
}

async function listRuns(): Promise<
  {
    id: string;
    lastAcc: number;
    incAcc: number;
    accuracies: number[];
    splitId: string;
    backend: string;
    device: string;
    lineage: { codeVersion: string } | null;
  }[]
> {
  const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
  try {
    return (await trainer.call<{ runs: Awaited<ReturnType<typeof listRuns>> }>('listRuns', {})).runs;
  } finally {
    trainer.close();
  }
}

/** Waits for the run page to show `status`; a timeout says what the page shows instead (and any run error). */
async function waitForStatus(status: string, timeout: number) {
  try {
    await page.locator(`[data-testid=run-status][data-status=${status}]`).waitFor({ timeout });
  } catch (error) {
    const shown = await page.getByTestId('run-status').first().getAttribute('data-status');
    const runError = await page.getByTestId('run-error').allTextContents();
    throw new Error(`the run shows ${shown} ${runError.join(' ')} (stack log: ${STACK_LOG})`, {
      cause: error,
    });
  }
}

describe('the dashboard against the real stack', () => {
  it('refuses a wrong password, then signs in with a signed HttpOnly, SameSite=Strict session cookie', async () => {
    await page.goto(dashboard.url);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await signIn(page, dashboard.url, 'not-the-password');
    expect(await page.getByTestId('sign-in-error').textContent()).toContain('Wrong user or password');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await browser.context.cookies()).toEqual([]);

    await signIn(page, dashboard.url);
    await page.waitForURL(`${dashboard.url}/`);
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: 'slca_session', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    await expect(page.getByTestId('runs-empty').isVisible()).resolves.toBe(true);
  });

  it('registers a backbone from a torch.save upload: the splitter’s digest, a refusal beside the file, then listed in New run', async () => {
    const moco = resolve(__dirname, '../../../libs/engine/test/fixtures/torch/vit-tiny-moco.pth.tar');
    const tiny = { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16 };
    const register = async (name: string, arch: object) => {
      await page.goto(`${dashboard.url}/backbones`);
      await page.fill('input[name=name]', name);
      await page.fill('input[name=arch]', JSON.stringify(arch));
      await page.setInputFiles('input[name=file]', moco);
      await page.click('[data-testid=register-backbone] button[type=submit]');
    };
    await register('tiny-moco', { ...tiny, dim: 16 });
    const refusal = await page.getByTestId('register-error-upload').textContent();
    expect(refusal).toMatch(/tensor '[^']+' has shape \[[\d,]+\], expected \[[\d,]+\]/);
    expect(await page.getByTestId('backbone-tiny-moco').count()).toBe(0);

    await register('tiny-moco', tiny);
    await page.getByTestId('register-done').waitFor();
    // The registry's record of it, as the splitter serves it (its digest is checked against the engine's own
    // conversion of the file in apps/splitter's backbone tests).
    const splitter = serviceClient('splitter', stack.address('splitter'), stack.credentials('cli'));
    const { backbone } = await splitter.call<{ backbone: { digest: string; sourceSha256: string } }>(
      'getBackbone',
      { name: 'tiny-moco' },
    );
    splitter.close();
    expect(backbone.sourceSha256).toBe(createHash('sha256').update(readFileSync(moco)).digest('hex'));
    const expected = backbone.digest;
    await page.getByTestId('backbone-tiny-moco').waitFor();
    expect(await page.getByTestId('backbone-digest-tiny-moco').getAttribute('title')).toBe(expected);
    expect(await page.getByTestId('backbone-tiny-moco').textContent()).toContain(
      'vit-tiny-moco.pth.tar (torch)',
    );
    await page.goto(`${dashboard.url}/runs/new`);
    expect(await page.locator('#backbone option').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('tiny-moco')]),
    );
  });

  it('New run: lists the catalogue and the registries, and shows each refusal of the trainer beside its input', async () => {
    const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
    const catalog = await trainer.call<{
      methods: { id: string; label: string }[];
      benchmarks: { id: string; methods: string[] }[];
    }>('getCatalog', {});
    trainer.close();
    await page.goto(`${dashboard.url}/runs/new`);
    const values = (select: string) =>
      page.locator(`${select} option`).evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(await values('#benchmark')).toEqual(catalog.benchmarks.map((b) => b.id));
    const embedded = catalog.benchmarks.find((b) => b.id === 'embedded');
    expect(await page.locator('#method option').allTextContents()).toEqual(
      embedded?.methods.map((m) => catalog.methods.find((c) => c.id === m)?.label),
    );
    // The splitter registers the embedded backbone when it starts; the form preselects it.
    expect(await page.inputValue('#backbone')).toBe('vit-emoji');
    await page.selectOption('#method', 'slca');
    expect(await page.getByTestId('configuration-id').textContent()).toBe(CONFIGURATION);

    // Nothing is checked in the browser: each message is the trainer's, beside the input its field names.
    const refused = async (values: Record<string, string>, field: string, text: RegExp) => {
      await fillNewRun({ method: 'slca', ...values });
      await page.getByTestId(`error-${field}`).waitFor();
      expect(await page.getByTestId(`error-${field}`).textContent()).toMatch(text);
      expect(await page.locator('.field-error').count()).toBe(1);
    };
    await refused({ runId: 'Bad Id' }, 'runId', /^The trainer refused it: "Bad Id" must match/);
    await refused({ seed: 'two' }, 'seed', /trainer refused it: .*expected number/);
    await refused({ tags: 'ok, !x' }, 'tags', /trainer refused it: "!x" must match/);
    await refused({ overrides: 'stage1.lr=-1' }, 'overrides', /trainer refused it: stage1\.lr: /);
    await refused({ overrides: 'stage1.lrr=1' }, 'overrides', /stage1\.lrr: .*unknown field/);
    // The form keeps what was typed.
    expect(await page.inputValue('#overrides')).toBe('stage1.lrr=1');
    expect(await listRuns()).toEqual([]);
  });

  it('previews the resolved configuration without storing it, then starts the same request', async () => {
    await fillNewRun(
      { method: 'slca', seed: '1993', runId: 'e2e-form', tags: 'e2e, short', overrides: OVERRIDES },
      { button: 'preview-run' },
    );
    // The first check of the embedded dataset imports it (tens of seconds here).
    await page.getByTestId('preview-json').waitFor({ timeout: 150_000 });
    const resolved = JSON.parse((await page.getByTestId('preview-json').textContent()) ?? '');
    expect(resolved).toMatchObject({
      schema: 'slca.experiment/v1',
      configuration: { id: CONFIGURATION, version: 1 },
      benchmark: 'embedded',
      dataset: 'split-emoji',
      backbone: 'vit-emoji',
      method: 'slca',
      seed: 1993,
      initClasses: 15,
      increment: 15,
      stage1: { epochs: 1 },
    });
    expect(await listRuns()).toEqual([]);
    expect(await page.inputValue('#overrides')).toBe(OVERRIDES);
    expect(await page.inputValue('#runId')).toBe('e2e-form');

    await page.click('[data-testid=start-run]');
    await page.waitForURL(`${dashboard.url}/runs/e2e-form`);
    const [run] = await listRuns();
    expect(JSON.parse((run as unknown as { configJson: string }).configJson)).toEqual(resolved);
  }, 240_000);

  it('follows the run live: task, epoch and step advance, the heatmap fills', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    await page.getByText('● live').waitFor({ timeout: 30_000 });

    // Progress arrives without any reload: the step counter takes several values on the same page.
    const steps = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (steps.size < 3 && Date.now() < deadline) {
      const step = (await page.getByTestId('progress-step').textContent()) ?? '';
      if (/^\d+ \/ \d+$/.test(step)) steps.add(step);
      await page.waitForTimeout(200);
    }
    expect(steps.size).toBeGreaterThanOrEqual(3);
    await page.locator('[data-testid=loss-chart-plot] canvas').first().waitFor();
    // Live system figures: the running img/s and the trainer process's memory now.
    await expect
      .poll(() => page.getByTestId('system-images-per-second').textContent(), { timeout: 30_000 })
      .toMatch(/^\d+\.\d$/);
    expect(await page.getByTestId('system-rss').textContent()).toMatch(/^\d+\.\d MiB$/);

    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="1"]').waitFor({ timeout: 180_000 });
    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="2"]').waitFor({ timeout: 180_000 });
    await waitForStatus('RUN_STATUS_SUCCEEDED', 60_000);

    const evaluator = serviceClient('evaluator', stack.address('evaluator'), stack.credentials('cli'));
    const { metrics } = await evaluator.call<{
      metrics: { accuracyMatrix: { values: number[] }[]; lastAcc: number };
    }>('getRunMetrics', { runId: 'e2e-form' });
    evaluator.close();
    for (const [i, row] of metrics.accuracyMatrix.entries())
      for (const [j, value] of row.values.entries())
        expect(Number(await page.getByTestId(`heatmap-cell-${i}-${j}`).getAttribute('data-value'))).toBe(
          value,
        );
    expect(await page.getByTestId('last-acc').textContent()).toBe(`${metrics.lastAcc.toFixed(2)} %`);
    expect(await page.getByTestId('forgetting').textContent()).toMatch(/^-?\d+\.\d\d pp$/);
    expect(await page.getByText('F = (1/(T−1))').count()).toBe(1);

    // Opened afresh, the finished run still draws its whole loss curve: the trainer recorded every step.
    await page.reload();
    await page.locator('[data-testid=loss-chart-plot] canvas').first().waitFor();
    expect(await page.getByTestId('loss-chart-data').locator('tbody tr').count()).toBeGreaterThan(10);
  }, 420_000);

  it('shows the value under the cursor, zooms by dragging, labels the log axis with real learning rates', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    await page.getByText('stream ended').waitFor();
    const run = await getRun('e2e-form');
    // A_t at the cursor: the trainer's A_t of the task under it.
    for (const task of [1, 2]) {
      await hoverAt('at-chart', task);
      await expect.poll(() => page.getByTestId('at-chart-legend-x').textContent()).toBe(String(task));
      expect(await page.getByTestId('at-chart-legend-0').textContent()).toBe(
        run.accuracies[task - 1].toFixed(2),
      );
    }

    // Dragging across the loss chart zooms its x axis; Reset zoom brings the whole run back.
    const plot = page.getByTestId('loss-chart-plot');
    const whole = [await plot.getAttribute('data-x-min'), await plot.getAttribute('data-x-max')];
    const reset = page.getByTestId('loss-chart-reset-zoom');
    expect(await reset.isDisabled()).toBe(true);
    const over = page.locator('[data-testid=loss-chart-plot] .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = await over.boundingBox();
    if (!box) throw new Error('the loss chart has no plot area');
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => reset.isDisabled()).toBe(false);
    const zoomed =
      Number(await plot.getAttribute('data-x-max')) - Number(await plot.getAttribute('data-x-min'));
    expect(zoomed).toBeCloseTo((Number(whole[1]) - Number(whole[0])) / 4, 1);
    await reset.click();
    await expect.poll(() => plot.getAttribute('data-x-min')).toBe(whole[0]);
    expect(await plot.getAttribute('data-x-max')).toBe(whole[1]);

    // The learning-rate axis is logarithmic and labelled with the rates themselves: the configuration's
    // head lr 0.01 and backbone lr 0.01 × 0.01 lie on the decades 1e-2 and 1e-4.
    const stage1 = (JSON.parse(run.configJson) as { stage1: { lr: number; backboneLrScale: number } }).stage1;
    expect([stage1.lr, stage1.backboneLrScale]).toEqual([0.01, 0.01]);
    expect(await page.getByTestId('lr-chart-plot').getAttribute('data-y-ticks')).toBe('1e-4 1e-3 1e-2');
    expect(await page.getByTestId('lr-chart-legend-0').textContent()).toBe('1e-2');
    expect(await page.getByTestId('lr-chart-legend-1').textContent()).toBe('1e-4');

    // The loss curve against other axes: optimizer steps, then seconds since the first step.
    await page.selectOption('[data-testid=loss-chart-x-axis]', 'step');
    await expect.poll(() => page.getByTestId('loss-chart').getAttribute('data-x-axis')).toBe('step');
    await page.selectOption('[data-testid=loss-chart-x-axis]', 'time');
    await expect.poll(() => page.getByTestId('loss-chart').getAttribute('data-x-axis')).toBe('time');
  });

  it('shows the system figures the trainer recorded for the finished run', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    const run = await getRun('e2e-form');
    const system = run.system;
    if (!system) throw new Error('the trainer recorded no system figures');
    expect(system.steps).toBeGreaterThan(0);
    expect(system.imagesPerSecond).toBeGreaterThan(0);
    expect(system.peakRssBytes).toBeGreaterThan(10 * 1024 ** 2);
    const text = (id: string) => page.getByTestId(id).textContent();
    expect(await text('system-images-per-second')).toBe(system.imagesPerSecond.toFixed(1));
    expect(await text('system-step-ms')).toBe(`${system.stepMs.toFixed(0)} ms`);
    expect(await text('system-peak-rss')).toBe(`${(system.peakRssBytes / 1024 ** 2).toFixed(1)} MiB`);
    expect(await text('system-backend')).toBe(run.backend);
    // The trainer's default device is auto: onnx where onnxruntime-node loads (as here), else wasm.
    expect(run.device).toMatch(/^(onnx|wasm)$/);
    expect(await text('system-device')).toBe(run.device);
    // Throughput × step time is the mean batch: at most the configuration's batch size.
    const { batchSize } = (JSON.parse(run.configJson) as { stage1: { batchSize: number } }).stage1;
    expect(system.imagesPerSecond * (system.stepMs / 1000)).toBeLessThanOrEqual(batchSize + 1e-6);
    expect(system.imagesPerSecond * (system.stepMs / 1000)).toBeGreaterThan(0);
    expect(await page.getByTestId('throughput-chart-data').locator('tbody tr').count()).toBeGreaterThan(5);
  });

  it('shows the run’s lineage: dataset and backbone with their digests, split, configuration, code, backend', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    const splitter = serviceClient('splitter', stack.address('splitter'), stack.credentials('cli'));
    const { dataset } = await splitter.call<{ dataset: { manifestDigest: string } }>('getDataset', {
      name: 'split-emoji',
    });
    const { backbone } = await splitter.call<{ backbone: { digest: string } }>('getBackbone', {
      name: 'vit-emoji',
    });
    splitter.close();
    const run = (await listRuns()).find((r) => r.id === 'e2e-form');
    const text = (id: string) => page.getByTestId(id).textContent();
    expect(await text('lineage-dataset')).toBe('split-emoji');
    expect(await page.getByTestId('lineage-dataset-digest').getAttribute('title')).toBe(
      dataset.manifestDigest,
    );
    expect(await text('lineage-dataset-digest')).toBe(`${dataset.manifestDigest.slice(0, 12)}…`);
    expect(await text('lineage-backbone')).toBe('vit-emoji');
    expect(await page.getByTestId('lineage-backbone-digest').getAttribute('title')).toBe(backbone.digest);
    expect(await text('lineage-configuration')).toBe(CONFIGURATION);
    expect(await text('lineage-configuration-version')).toBe('(version 1)');
    expect(await text('lineage-split')).toBe(run?.splitId);
    expect(await text('lineage-code-version')).toBe(run?.lineage?.codeVersion);
    expect(run?.lineage?.codeVersion).toMatch(/\S/);
    expect(await text('lineage-backend')).toBe(run?.backend);
    expect(run?.device).toMatch(/^(onnx|wasm)$/);
    expect(await text('lineage-device')).toBe(run?.device);
  });

  it('shows per-class accuracy, the confusion matrix of any task’s model, old vs new classes and stability/plasticity as @slca/metrics computes them from the evaluator’s predictions; exports the matrix as CSV', async () => {
    const evaluator = serviceClient('evaluator', stack.address('evaluator'), stack.credentials('cli'));
    const { metrics } = await evaluator.call<{
      metrics: {
        accuracyMatrix: { values: number[] }[];
        classesPerTask: number[];
        testImagesPerTask: number[];
        predictions: { task: number; labels: number[]; predicted: number[] }[];
      };
    }>('getRunMetrics', { runId: 'e2e-form' });
    evaluator.close();
    const sizes = metrics.classesPerTask;
    expect(sizes).toEqual([15, 15]);
    expect(metrics.predictions.map((p) => p.task)).toEqual([0, 1]);
    const predictions = metrics.predictions.map((p) => ({ ...p, predictions: p.predicted }));
    const matrix = [[metrics.accuracyMatrix[0].values[0], null], [...metrics.accuracyMatrix[1].values]];
    const cell = async (testId: string) => {
      const attribute = await page.getByTestId(testId).getAttribute('data-value');
      return attribute === null || attribute === '' ? null : Number(attribute);
    };

    await page.goto(`${dashboard.url}/runs/e2e-form`);
    // Per-class accuracy after each task: row t (after task t), column c (class c).
    const perClass = perClassAccuracyByTask(predictions, sizes);
    for (const [t, row] of perClass.entries())
      for (const [c, value] of row.entries())
        if (value === null)
          expect(await page.getByTestId(`per-class-heatmap-cell-${t}-${c}`).count()).toBe(0);
        else expect(await cell(`per-class-heatmap-cell-${t}-${c}`)).toBe(value);
    // The final model's confusion matrix is shown first; every non-zero count is a cell, zeros are not drawn.
    const checkConfusion = async (task: number) => {
      const confusion = taskConfusion(predictions[task], sizes);
      expect(await page.getByTestId('confusion-heatmap').getAttribute('data-rows')).toBe(
        String(confusion.length),
      );
      for (const [i, row] of confusion.entries())
        for (const [j, count] of row.entries())
          if (count > 0) expect(await cell(`confusion-heatmap-cell-${i}-${j}`)).toBe(count);
      const byTask = confusionByTask(confusion, sizes);
      for (const [i, row] of byTask.entries())
        for (const [j, count] of row.entries())
          expect(await cell(`task-confusion-heatmap-cell-${i}-${j}`)).toBe(count);
    };
    await checkConfusion(1);
    // The model after task 1: its own confusion matrix, over the 15 classes it has seen.
    await page.getByTestId('confusion-tasks').getByRole('link', { name: '1', exact: true }).click();
    await page.waitForURL(/confusion=0/);
    await page.locator('[data-testid=confusion-heatmap][data-rows="15"]').waitFor();
    await checkConfusion(0);

    // Old vs new classes and the stability/plasticity summary, from the matrix and the test images per task.
    const oldNew = oldNewAccuracy(matrix, metrics.testImagesPerTask);
    const rows = page.locator('[data-testid=old-new-table] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(1).locator('td').allTextContents()).toEqual([
      '2',
      (oldNew[1].old as number).toFixed(2),
      oldNew[1].new.toFixed(2),
      oldNew[1].all.toFixed(2),
      String(oldNew[1].oldImages),
      String(oldNew[1].newImages),
    ]);
    const summary = stabilityPlasticity(matrix, metrics.testImagesPerTask);
    expect(await page.getByTestId('plasticity').textContent()).toBe(`${summary.plasticity.toFixed(2)} %`);
    expect(await page.getByTestId('stability').textContent()).toBe(
      `${(summary.stability as number).toFixed(2)} %`,
    );

    // Every chart has its data as a table.
    expect(await page.getByTestId('accuracy-heatmap-data').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('at-chart-data').locator('tbody tr').count()).toBe(2);

    // The accuracy matrix downloads as CSV: the evaluator's numbers, every digit.
    const link = page.getByTestId('export-matrix').locator('a[data-format=csv]');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('e2e-form_matrix.csv');
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    expect(csv).toBe(
      ['after task,task 1,task 2', `1,${matrix[0][0]},`, `2,${matrix[1][0]},${matrix[1][1]}`, ''].join('\n'),
    );
    const tex = await page.request.get(`${dashboard.url}/api/runs/e2e-form/export/matrix?format=tex`);
    expect(tex.headers()['content-type']).toBe('application/x-tex; charset=utf-8');
    for (const row of tableTexts(accuracyMatrixTable(matrix)))
      expect(await tex.text()).toContain(`${row.join(' & ').replace('–', '--')} \\\\`);
    const whole = await page.request.get(`${dashboard.url}/api/runs/e2e-form/export/run?format=json`);
    expect(
      ((await whole.json()) as { metrics: { classesPerTask: number[] } }).metrics.classesPerTask,
    ).toEqual(sizes);
  });

  it('follows the system’s dark mode', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(246, 248, 250)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(15, 20, 25)');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('downloads an artifact whose bytes have the SHA-256 the trainer lists', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    const link = page.locator('[data-testid=artifacts] a[data-key$="/state.safetensors"]').first();
    const key = (await link.getAttribute('data-key')) ?? '';
    const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
    const { artifacts } = await trainer.call<{
      artifacts: { objects: { key: string; sha256: string; size: number }[] };
    }>('getRunArtifacts', { id: 'e2e-form' });
    trainer.close();
    const listed = artifacts.objects.find((o) => o.key === key);
    expect(listed).toBeDefined();

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const bytes = readFileSync((await download.path()) ?? '');
    expect(bytes.length).toBe(listed?.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(listed?.sha256);
  });

  it('starts a run like the first (its configuration, dataset, backbone and overrides) with another seed', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    await page.getByTestId('repeat-run').click();
    await page.waitForURL(`${dashboard.url}/runs/new?from=e2e-form`);
    expect(await page.getByTestId('configuration-id').textContent()).toBe(CONFIGURATION);
    expect(await page.inputValue('#dataset')).toBe('split-emoji');
    expect(await page.inputValue('#backbone')).toBe('vit-emoji');
    expect(await page.inputValue('#seed')).toBe('1993');
    expect(await page.inputValue('#overrides')).toBe(OVERRIDES);
    await fillNewRun({ seed: '1996', runId: 'e2e-seed-1996', tags: 'e2e' }, { path: '' });
    await page.waitForURL(`${dashboard.url}/runs/e2e-seed-1996`);
    await waitForStatus('RUN_STATUS_SUCCEEDED', 240_000);
  }, 300_000);

  it('lists both with their dataset and backbone, and compares them: A_t curves, the configuration diff, the paper-style table', async () => {
    await page.goto(dashboard.url);
    await page.getByTestId('runs-filter').fill('e2e');
    for (const id of ['e2e-form', 'e2e-seed-1996']) {
      const row = page.getByTestId(`run-row-${id}`);
      expect(await row.getByTestId('run-dataset').textContent()).toBe('split-emoji');
      expect(await row.getByTestId('run-backbone').textContent()).toBe('vit-emoji');
    }
    // With fewer than two runs selected, Compare looks and acts disabled.
    const compare = page.getByTestId('compare-selected');
    expect(await compare.getAttribute('aria-disabled')).toBe('true');
    expect(Number(await compare.evaluate((e) => getComputedStyle(e).opacity))).toBeLessThan(1);
    await page.getByLabel('select e2e-form').check();
    await page.getByLabel('select e2e-seed-1996').check();
    expect(await compare.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');
    await page.getByTestId('compare-selected').click();
    await page.waitForURL(/\/compare\?runs=/);

    // Both runs' A_t curves and loss curves on one chart each; their configuration's A_t over both seeds
    // with its spread at the cursor.
    for (const chart of ['compare-at-chart', 'compare-loss-chart'])
      for (const k of [0, 1]) expect(await page.getByTestId(`${chart}-legend-${k}`).count()).toBe(1);
    const seeds = (await listRuns()).filter((r) => r.id === 'e2e-form' || r.id === 'e2e-seed-1996');
    await hoverAt('compare-at-band-chart', 2);
    await expect.poll(() => page.getByTestId('compare-at-band-chart-legend-x').textContent()).toBe('2');
    const atTwo = meanStd(seeds.map((r) => r.accuracies[1]));
    expect(await page.getByTestId('compare-at-band-chart-legend-0').textContent()).toBe(
      `${atTwo.mean.toFixed(2)} ± ${atTwo.std.toFixed(2)} (n = 2)`,
    );
    const seedRow = page.locator('[data-testid=config-diff] tr', { hasText: /^seed/ });
    expect(await seedRow.textContent()).toBe('seed19931996');
    const ours = (await listRuns()).filter((r) => r.id === 'e2e-form' || r.id === 'e2e-seed-1996');
    expect(ours).toHaveLength(2);
    for (const table of ['selected-groups', 'paper-table-embedded']) {
      const group = page.locator(`[data-testid=${table}] tbody tr`);
      expect(await group.count()).toBe(1);
      expect(await group.getAttribute('data-configuration')).toBe(CONFIGURATION);
      const cell = (col: string) => group.locator(`[data-col=${col}]`).textContent();
      expect(await cell('method')).toBe('SLCA (initClasses=15, increment=15, stage1.epochs=1)');
      expect(await cell('lastAcc')).toBe(formatMeanStd(meanStd(ours.map((r) => r.lastAcc))));
      expect(await cell('incAcc')).toBe(formatMeanStd(meanStd(ours.map((r) => r.incAcc))));
      // The paper publishes nothing for the embedded benchmark: its columns are there, with "–".
      for (const col of ['lastAccPaper', 'lastAccDelta', 'incAccPaper', 'incAccDelta'])
        expect(await cell(col)).toBe('–');
      expect(await cell('seeds')).toBe('2 seeds');
    }
    // The paper-style table downloads as LaTeX with the cells the page shows.
    const tex = await page.request.get(
      `${dashboard.url}/api/compare/export?table=paper&benchmark=embedded&format=tex`,
    );
    expect(tex.headers()['content-disposition']).toBe('attachment; filename="paper-table_embedded.tex"');
    expect(await tex.text()).toContain(
      `${formatMeanStd(meanStd(ours.map((r) => r.lastAcc))).replace('±', '$\\pm$')} & -- & --`,
    );
    expect(await page.locator('[data-testid=paper-table-embedded] th').allTextContents()).toEqual([
      'Method',
      'Configuration',
      'Last-Acc (%)',
      'paper',
      'Δ',
      'Inc-Acc (%)',
      'paper',
      'Δ',
      'Seeds',
      'Runs',
    ]);
  });

  it('runs the CIFAR-100 release with the backbone registered from the browser: it finishes, shows its lineage, and the paper table puts the published numbers beside', async () => {
    // The release in the official binary format, a few images per class, imported as a user would.
    const splitter = serviceClient('splitter', stack.address('splitter'), stack.credentials('operator'));
    const { dataset } = await splitter.call<{ dataset: { manifestDigest: string } }>(
      'importBenchmarkDataset',
      { name: 'cifar-tiny', format: 'cifar100', path: writeCifar100Release(dir) },
    );
    const { backbone } = await splitter.call<{ backbone: { digest: string } }>('getBackbone', {
      name: 'tiny-moco',
    });
    splitter.close();
    const tiny = '{imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 16}';
    await fillNewRun({
      benchmark: 'cifar100',
      pretraining: 'in21k',
      method: 'slca',
      dataset: 'cifar-tiny',
      backbone: 'tiny-moco',
      seed: '1993',
      runId: 'e2e-cifar',
      tags: 'e2e-cifar',
      overrides: [
        `arch=${tiny}`,
        'initClasses=50',
        'increment=50',
        'stage1.epochs=1',
        'stage1.batchSize=32',
        'alignment.epochs=1',
        'alignment.samplesPerClass=8',
      ].join('\n'),
    });
    await page.waitForURL(`${dashboard.url}/runs/e2e-cifar`).catch(async (error: unknown) => {
      const said = await page.locator('.field-error, [role=alert]').allTextContents();
      throw new Error(`the form was not accepted: ${said.join(' | ')}`, { cause: error });
    });

    // The Runs page is live and its view is in the URL: opened on a query with a setting column while the
    // run trains, it follows the run to the end without a reload.
    await page.goto(
      `${dashboard.url}/?q=${encodeURIComponent('tag:e2e-cifar method:slca')}&cols=stage1.batchSize`,
    );
    const row = page.getByTestId('run-row-e2e-cifar');
    await row.waitFor();
    expect(await page.locator('[data-testid=runs-table] tbody tr').count()).toBe(1);
    expect(await row.getByTestId('setting-stage1.batchSize').textContent()).toBe('32');
    const statuses = new Set<string>();
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    const until = Date.now() + 300_000;
    while (!statuses.has('RUN_STATUS_SUCCEEDED') && Date.now() < until) {
      statuses.add((await row.getByTestId('run-row-status').getAttribute('data-status')) ?? '');
      await page.waitForTimeout(250);
    }
    expect([...statuses].some((st) => st === 'RUN_STATUS_QUEUED' || st === 'RUN_STATUS_RUNNING')).toBe(true);
    expect(statuses.has('RUN_STATUS_SUCCEEDED')).toBe(true);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loads);
    expect(await row.getByTestId('run-last-acc').textContent()).toMatch(/^\d+\.\d\d %$/);
    // A query the trainer cannot read: its message, and the URL keeps what was typed.
    await page.getByTestId('runs-filter').fill('colour:red');
    await page.getByTestId('runs-query-error').waitFor();
    expect(await page.getByTestId('runs-query-error').textContent()).toContain("unknown field 'colour'");
    await page.waitForURL(/[?&]q=colour%3Ared/);

    await page.goto(`${dashboard.url}/runs/e2e-cifar`);
    await waitForStatus('RUN_STATUS_SUCCEEDED', 60_000);
    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="2"]').waitFor();
    const text = (id: string) => page.getByTestId(id).textContent();
    expect(await text('lineage-dataset')).toBe('cifar-tiny');
    expect(await page.getByTestId('lineage-dataset-digest').getAttribute('title')).toBe(
      dataset.manifestDigest,
    );
    expect(await text('lineage-backbone')).toBe('tiny-moco');
    expect(await page.getByTestId('lineage-backbone-digest').getAttribute('title')).toBe(backbone.digest);
    expect(await text('lineage-configuration')).toBe('cifar100/in21k/slca@v3');

    // The compare page's table for CIFAR-100: our number, the paper's (from the trainer's catalogue) and
    // the difference, ours − paper.
    const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
    const catalog = await trainer.call<{
      configurations: {
        id: string;
        published: { lastAcc: number; lastAccStd: number; incAcc: number; incAccStd: number };
      }[];
    }>('getCatalog', {});
    trainer.close();
    const published = catalog.configurations.find((c) => c.id === 'cifar100/in21k/slca@v3')?.published;
    expect(published?.lastAcc).toBeGreaterThan(0);
    const run = (await listRuns()).find((r) => r.id === 'e2e-cifar');
    await page.goto(`${dashboard.url}/compare?runs=e2e-form,e2e-cifar`);
    const paperRow = page.locator('[data-testid=paper-table-cifar100] tbody tr');
    expect(await paperRow.count()).toBe(1);
    expect(await paperRow.getAttribute('data-configuration')).toBe('cifar100/in21k/slca@v3');
    const cell = (col: string) => paperRow.locator(`[data-col=${col}]`).textContent();
    const paper = (mean = 0, std = 0) => formatMeanStd({ mean, std, n: 0 });
    const delta = (ours = 0, theirs = 0) => {
      const d = (ours - theirs).toFixed(2);
      return d.startsWith('-') ? d : `+${d}`;
    };
    expect(await cell('lastAcc')).toBe(run?.lastAcc.toFixed(2));
    expect(await cell('lastAccPaper')).toBe(paper(published?.lastAcc, published?.lastAccStd));
    expect(await cell('lastAccDelta')).toBe(delta(run?.lastAcc, published?.lastAcc));
    expect(await cell('incAccPaper')).toBe(paper(published?.incAcc, published?.incAccStd));
    expect(await cell('incAccDelta')).toBe(delta(run?.incAcc, published?.incAcc));
    expect(await cell('seeds')).toBe('1 seed');
  }, 420_000);

  it('edits a run’s tags and notes, archives it out of the Runs page, and deletes it with every stored object after a confirmation', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-cifar`);
    await page.fill('#run-tags', 'e2e-cifar, tiny vit');
    await page.fill('#run-notes', 'A tiny ViT on 3 images per class:\nnot a paper number.');
    await page.click('[data-testid=save-run-details]');
    await page.getByTestId('run-details-saved').waitFor();
    const trainer = serviceClient('trainer', stack.address('trainer'), stack.credentials('cli'));
    const { run } = await trainer.call<{ run: { tags: string[]; notes: string; archived: boolean } }>(
      'getRun',
      {
        id: 'e2e-cifar',
      },
    );
    expect(run).toMatchObject({
      tags: ['e2e-cifar', 'tiny vit'],
      notes: 'A tiny ViT on 3 images per class:\nnot a paper number.',
      archived: false,
    });
    await page.reload();
    expect(await page.getByTestId('run-notes').textContent()).toContain('not a paper number.');
    // The run page's audit log: who started it, the trainer's own status changes, and this edit, last.
    const audit = await page
      .getByTestId('audit-entry')
      .evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
      );
    expect(audit[0]).toEqual([TEST_USER, 'start', 'queued']);
    expect(audit).toContainEqual(['trainer', 'status', 'succeeded']);
    expect(audit.at(-1)).toEqual([TEST_USER, 'update', 'tags e2e-cifar, tiny vit; notes']);
    // A tag the trainer refuses: its message beside the tags, nothing changed.
    await page.fill('#run-tags', 'ok, !bad');
    await page.click('[data-testid=save-run-details]');
    await page.getByTestId('run-details-error').waitFor();
    expect(await page.getByTestId('run-details-error').textContent()).toMatch(
      /tags\.tags\[1\]: "!bad" must match/,
    );
    expect(await page.getAttribute('#run-tags', 'aria-invalid')).toBe('true');

    // Archived: out of the Runs page, back with archived:yes.
    await page.reload();
    await page.check('[data-testid=run-archived]');
    await page.click('[data-testid=save-run-details]');
    await page.getByTestId('run-details-saved').waitFor();
    await page.goto(`${dashboard.url}/?q=e2e`);
    await page.getByTestId('run-row-e2e-form').waitFor();
    expect(await page.getByTestId('run-row-e2e-cifar').count()).toBe(0);
    await page.goto(`${dashboard.url}/?q=${encodeURIComponent('archived:yes')}`);
    await page.getByTestId('run-row-e2e-cifar').waitFor();
    expect(await page.locator('[data-testid=runs-table] tbody tr').count()).toBe(1);

    // Deleted after a confirmation that says how many objects go; nothing of it is left in the store.
    const { objects } = (
      await trainer.call<{ artifacts: { objects: { key: string }[] } }>('getRunArtifacts', {
        id: 'e2e-cifar',
      })
    ).artifacts;
    await page.goto(`${dashboard.url}/runs/e2e-cifar`);
    await page.click('[data-testid=delete-run]');
    expect(await page.getByTestId('delete-confirm').textContent()).toContain(
      `its ${objects.length} stored objects`,
    );
    await page.click('[data-testid=confirm-delete]');
    await page.waitForURL(`${dashboard.url}/`);
    const gone = await trainer.client.getRun({ id: 'e2e-cifar' }).then(
      () => 'still there',
      (e: { code?: number }) => e.code,
    );
    trainer.close();
    expect(gone).toBe(5); // NOT_FOUND
    const store = new MinioObjectStore(storeConfigFromEnv(stack.storeEnv));
    expect(await store.list('runs/e2e-cifar/')).toEqual([]);
    expect((await store.list('runs/e2e-form/')).length).toBeGreaterThan(0);
  }, 120_000);

  it('signs out: pages then redirect to sign-in and the API answers 401, even to a copy of the cookie', async () => {
    await page.goto(dashboard.url);
    const [copied] = await browser.context.cookies();
    expect(copied?.name).toBe('slca_session');
    const withCopy = { headers: { cookie: `slca_session=${copied.value}` } };
    const configUrl = `${dashboard.url}/api/runs/e2e-form/artifacts?key=${encodeURIComponent('runs/e2e-form/config.json')}`;
    expect((await fetch(configUrl, withCopy)).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${dashboard.url}/sign-in`);
    // The copy is correctly signed and unexpired, but its session was revoked server-side.
    const revoked = await fetch(configUrl, withCopy);
    expect(revoked.status).toBe(401);
    const pageWithCopy = await fetch(`${dashboard.url}/runs/e2e-form`, { ...withCopy, redirect: 'manual' });
    expect([303, 307]).toContain(pageWithCopy.status);
    expect(new URL(pageWithCopy.headers.get('location') ?? '', dashboard.url).pathname).toBe('/sign-in');
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    const events = await page.request.get(`${dashboard.url}/api/runs/e2e-form/events`);
    expect(events.status()).toBe(401);
    const download = await page.request.get(
      `${dashboard.url}/api/runs/e2e-form/artifacts?key=${encodeURIComponent('runs/e2e-form/config.json')}`,
    );
    expect(download.status()).toBe(401);
  });

  // Last: it locks the test user's account, and then the loopback address, for 15 minutes.
  it('throttles sign-in: of 20 wrong passwords the last 15 get 429 with Retry-After, then the right one too; a forged X-Forwarded-For does not escape the address budget', async () => {
    const attempt = (user: string, password: string, forwardedFor?: string, proto?: string) =>
      fetch(`${dashboard.url}/api/session`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
          ...(proto ? { 'x-forwarded-proto': proto } : {}),
        },
        body: JSON.stringify({ user, password }),
      });
    // A success first clears the account's count, whatever earlier tests spent on it. The loopback address
    // they all share has a budget of 50 failures, far more than the few wrong passwords they tried.
    // Served over TLS (here: by a proxy that says so) the cookie is Secure; over plain HTTP it cannot be.
    const overTls = await attempt(TEST_USER, TEST_PASSWORD, undefined, 'https');
    expect(overTls.status).toBe(204);
    expect(overTls.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    const plain = await attempt(TEST_USER, TEST_PASSWORD);
    expect(plain.status).toBe(204);
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await attempt(TEST_USER, `wrong-${i}`)).status);
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    const right = await attempt(TEST_USER, TEST_PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(right.headers.get('set-cookie')).toBeNull();
    // The form says so, with the wait, and sets no cookie.
    await signIn(page, dashboard.url);
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).toMatch(
      /Too many failed sign-ins\. Try again in 1[45] minutes\./,
    );
    expect(await browser.context.cookies()).toEqual([]);
    // A client spraying one guess per account, each with a new forged X-Forwarded-For (no proxy is trusted
    // here, so the header is dropped), is still one address: it has spent at least 5 of its 50 above, so
    // within 45 more it is locked, and stays locked.
    const spray: number[] = [];
    for (let i = 0; i < 46; i++)
      spray.push((await attempt(`sprayed-${i}`, 'x', `203.0.113.${i + 1}`)).status);
    const locked = spray.indexOf(429);
    expect(locked).toBeGreaterThanOrEqual(0);
    expect(spray.slice(0, locked).every((status) => status === 401)).toBe(true);
    expect(spray.slice(locked).every((status) => status === 429)).toBe(true);
  });
});
