import { testCertificates } from '@slca/stack';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  launchBrowser,
  signIn,
  startDashboard,
  TEST_PASSWORD,
  TEST_SESSION_SECRET,
  TEST_USER,
  type Dashboard,
} from './harness';

/*
 * The built dashboard with nothing behind it: a bad environment stops it at start with every problem named,
 * and a trainer that does not answer is an error state on the page, not a crash.
 */
const stopped: Dashboard[] = [];
afterAll(async () => {
  for (const d of stopped) await d.stop();
});

async function unusedAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

describe('the dashboard without its services', () => {
  it('refuses to start on a bad environment, naming each variable', async () => {
    const error = await startDashboard({
      SLCA_TRAINER_ADDRESS: 'nowhere',
      SLCA_DASHBOARD_PASSWORD: 'short',
    }).then(
      (d) => {
        stopped.push(d);
        return undefined;
      },
      (e: Error) => e,
    );
    expect(error?.message).toContain('the dashboard exited (2)');
    for (const variable of [
      'SLCA_TRAINER_ADDRESS: expected host:port, got "nowhere"',
      'SLCA_EVALUATOR_ADDRESS: required',
      'SLCA_SPLITTER_ADDRESS: required',
      'SLCA_S3_ENDPOINT: required',
      'SLCA_S3_SECRET_KEY: required',
      'SLCA_DASHBOARD_USER: required when SLCA_DASHBOARD_PASSWORD is set',
      'SLCA_DASHBOARD_SESSION_SECRET: required',
      'SLCA_TLS_CA: is required',
      'SLCA_TLS_CERT: is required',
      'SLCA_TLS_KEY: is required',
    ])
      expect(error?.message).toContain(variable);
    expect(error?.message).not.toContain('short');
  });

  it('shows an error state when the trainer is unreachable', async () => {
    const dashboard = await startDashboard({
      SLCA_TRAINER_ADDRESS: await unusedAddress(),
      SLCA_EVALUATOR_ADDRESS: await unusedAddress(),
      SLCA_SPLITTER_ADDRESS: await unusedAddress(),
      SLCA_S3_ENDPOINT: `http://${await unusedAddress()}`,
      SLCA_S3_ACCESS_KEY: 'test-access',
      SLCA_S3_SECRET_KEY: 'test-secret-key',
      SLCA_DASHBOARD_USER: TEST_USER,
      SLCA_DASHBOARD_PASSWORD: TEST_PASSWORD,
      SLCA_DASHBOARD_SESSION_SECRET: TEST_SESSION_SECRET,
      ...(await testCertificates()).env('dashboard'),
    });
    stopped.push(dashboard);
    const browser = await launchBrowser({ width: 420, height: 800 });
    try {
      const page = await browser.context.newPage();
      await signIn(page, dashboard.url);
      await page.waitForURL(`${dashboard.url}/`);
      const panel = page.getByTestId('error-panel');
      expect(await panel.textContent()).toMatch(
        /Could not load the runs\..*trainer at 127\.0\.0\.1:\d+ is unreachable/,
      );
      await page.goto(`${dashboard.url}/datasets`);
      expect(await page.getByTestId('error-panel').first().textContent()).toContain('unreachable');
      // The narrow window needs no horizontal scrolling for the page itself.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    } finally {
      await browser.close();
    }
  });
});
