import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMeanStd, meanStd } from '@slca/metrics';
import { Stack } from '@slca/stack';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardEnv, launchBrowser, signIn, startDashboard, type Browser, type Dashboard } from './harness';
import { serviceClient } from './services';

/*
 * The dashboard against the real local stack (s3rver + the four services as processes) and the built app
 * (`next start`), driven through Debian's Chromium. Two short runs of the embedded benchmark (2 tasks of
 * 15 classes, 1 epoch) are started from the New-run form and followed to the end.
 */
const OVERRIDES = '{"initClasses":15,"increment":15}';

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

async function fillNewRun(values: Record<string, string>) {
  await page.goto(`${dashboard.url}/runs/new`);
  for (const [field, value] of Object.entries(values)) {
    if (field === 'method') await page.selectOption('#method', value);
    else await page.fill(`#${field}`, value);
  }
  await page.click('[data-testid=start-run]');
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

  it('New run: shows validation messages next to bad fields, and the trainer’s INVALID_ARGUMENT field', async () => {
    await fillNewRun({ seed: '-1', epochs: 'two', overrides: '{bad', runId: 'Bad Id' });
    await page.getByTestId('error-seed').waitFor();
    expect(await page.getByTestId('error-seed').textContent()).toContain('whole number');
    expect(await page.getByTestId('error-epochs').textContent()).toContain('epochs');
    expect(await page.getByTestId('error-overrides').textContent()).toContain('Not valid JSON');
    expect(await page.getByTestId('error-runId').textContent()).toContain('Lower-case');

    // Well-formed to the form, refused by the trainer: its field lands next to the overrides.
    await fillNewRun({ seed: '1993', epochs: '1', overrides: '{"stage1":{"lr":-1}}', runId: 'e2e-refused' });
    await page.getByTestId('error-overrides').waitFor();
    expect(await page.getByTestId('error-overrides').textContent()).toMatch(
      /trainer refused it: .*stage1\.lr/,
    );
  });

  it('starts a run from the form and follows it live: task, epoch and step advance, the heatmap fills', async () => {
    await fillNewRun({
      runId: 'e2e-form',
      seed: '1993',
      epochs: '1',
      tags: 'e2e, short',
      overrides: OVERRIDES,
    });
    await page.waitForURL(`${dashboard.url}/runs/e2e-form`);
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
    expect(await page.locator('[data-testid=loss-chart] path').count()).toBeGreaterThan(0);

    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="1"]').waitFor({ timeout: 180_000 });
    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="2"]').waitFor({ timeout: 180_000 });
    await waitForStatus('RUN_STATUS_SUCCEEDED', 60_000);

    const evaluator = serviceClient('evaluator', stack.address('evaluator'));
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
    const d = await page.locator('[data-testid=loss-chart] path').first().getAttribute('d');
    expect((d ?? '').split(/[ML]/).filter((p) => p.trim() !== '').length).toBeGreaterThan(10);
  }, 420_000);

  it('downloads an artifact whose bytes have the SHA-256 the trainer lists', async () => {
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    const link = page.locator('[data-testid=artifacts] a[data-key$="/state.safetensors"]').first();
    const key = (await link.getAttribute('data-key')) ?? '';
    const trainer = serviceClient('trainer', stack.address('trainer'));
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

  it('compares two runs: A_t curves overlaid, the configuration diff, mean ± std over the seeds', async () => {
    await fillNewRun({
      runId: 'e2e-seed-1996',
      seed: '1996',
      epochs: '1',
      tags: 'e2e',
      overrides: OVERRIDES,
    });
    await page.waitForURL(`${dashboard.url}/runs/e2e-seed-1996`);
    await waitForStatus('RUN_STATUS_SUCCEEDED', 240_000);

    await page.goto(dashboard.url);
    await page.getByTestId('runs-filter').fill('e2e');
    await page.getByLabel('select e2e-form').check();
    await page.getByLabel('select e2e-seed-1996').check();
    await page.getByTestId('compare-selected').click();
    await page.waitForURL(/\/compare\?runs=/);

    expect(await page.locator('[data-testid=compare-at-chart] .series').count()).toBe(2);
    const seedRow = page.locator('[data-testid=config-diff] tr', { hasText: /^seed/ });
    expect(await seedRow.textContent()).toBe('seed19931996');
    const trainer = serviceClient('trainer', stack.address('trainer'));
    const { runs } = await trainer.call<{ runs: { id: string; lastAcc: number; incAcc: number }[] }>(
      'listRuns',
      {},
    );
    trainer.close();
    const ours = runs.filter((r) => r.id === 'e2e-form' || r.id === 'e2e-seed-1996');
    const group = page.locator('[data-testid=selected-groups] tbody tr');
    expect(await group.count()).toBe(1);
    const cells = await group.locator('td').allTextContents();
    expect(cells[0]).toBe('SLCA');
    expect(cells[2]).toBe(formatMeanStd(meanStd(ours.map((r) => r.lastAcc))));
    expect(cells[3]).toBe(formatMeanStd(meanStd(ours.map((r) => r.incAcc))));
    expect(cells[4]).toBe('2');
  }, 300_000);

  it('signs out: pages then redirect to sign-in and the API answers 401', async () => {
    await page.goto(dashboard.url);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${dashboard.url}/sign-in`);
    await page.goto(`${dashboard.url}/runs/e2e-form`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    const events = await page.request.get(`${dashboard.url}/api/runs/e2e-form/events`);
    expect(events.status()).toBe(401);
    const download = await page.request.get(
      `${dashboard.url}/api/runs/e2e-form/artifacts?key=${encodeURIComponent('runs/e2e-form/config.json')}`,
    );
    expect(download.status()).toBe(401);
  });
});
