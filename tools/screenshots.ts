/*
 * Refreshes docs/screenshots/: starts the local stack and the built dashboard, runs three short runs of the
 * embedded benchmark through the New-run form, and captures every page at 1280 px.
 *
 *   npm run screenshots        (builds the dashboard first)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Stack } from '@slca/stack';
import type { Page } from 'playwright-core';
import { dashboardEnv, launchBrowser, signIn, startDashboard } from '../apps/dashboard/test/harness';

const OUT = resolve(__dirname, '..', 'docs', 'screenshots');
const OVERRIDES = ['initClasses=6', 'increment=6', 'stage1.epochs=1'].join('\n');
const RUNS = [
  { runId: 'slca-1993', method: 'slca', seed: '1993' },
  { runId: 'slca-1996', method: 'slca', seed: '1996' },
  { runId: 'seqft-1993', method: 'seqft', seed: '1993' },
];

async function shot(page: Page, name: string) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

async function startRun(page: Page, url: string, run: (typeof RUNS)[number]) {
  await page.goto(`${url}/runs/new`);
  await page.fill('#runId', run.runId);
  await page.selectOption('#method', run.method);
  await page.fill('#seed', run.seed);
  await page.fill('#tags', 'screenshots');
  await page.fill('#overrides', OVERRIDES);
  await page.click('[data-testid=start-run]');
  await page.waitForURL(`${url}/runs/${run.runId}`);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'slca-screenshots-'));
  const stack = await Stack.start({ dataDir: dir, env: { SLCA_TRAINER_WORKERS: '2' } });
  const dashboard = await startDashboard(dashboardEnv(stack));
  const browser = await launchBrowser({ width: 1280, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/sign-in`);
    await shot(page, 'sign-in');
    await signIn(page, dashboard.url);
    await page.waitForURL(`${dashboard.url}/`);

    await page.goto(`${dashboard.url}/runs/new`);
    await page.fill('#overrides', OVERRIDES);
    await page.click('[data-testid=preview-run]');
    await page.getByTestId('preview-json').waitFor();
    await shot(page, 'new-run');

    for (const run of RUNS.slice(1)) await startRun(page, dashboard.url, run);
    await startRun(page, dashboard.url, RUNS[0]);
    // The first run's page while it trains its later tasks: live progress, loss and lr curves, a partial heatmap.
    await page.goto(`${dashboard.url}/runs/${RUNS[0].runId}`);
    await page.locator('[data-testid=accuracy-heatmap][data-filled-rows="2"]').waitFor({ timeout: 900_000 });
    await page.waitForTimeout(4_000);
    await shot(page, 'run-detail-live');
    await page
      .locator('[data-testid=run-status][data-status=RUN_STATUS_SUCCEEDED]')
      .waitFor({ timeout: 900_000 });
    await page.waitForTimeout(2_000);
    await shot(page, 'run-detail');

    await page.goto(dashboard.url);
    await shot(page, 'runs');
    await page.goto(`${dashboard.url}/compare?runs=${RUNS.map((r) => r.runId).join(',')}`);
    await shot(page, 'compare');
    await page.goto(`${dashboard.url}/datasets`);
    await shot(page, 'datasets');
  } finally {
    await browser.close();
    await dashboard.stop();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
