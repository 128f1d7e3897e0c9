import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dashboardEnv as stackDashboardEnv } from '@slca/stack';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/*
 * What the browser tests and the screenshot script share: a built dashboard started as a child process
 * (`next start`), Debian's Chromium driven by playwright-core, and signing in.
 */

export const DASHBOARD_DIR = resolve(__dirname, '..');
export const TEST_USER = 'researcher';
export const TEST_PASSWORD = 'slow-learner-aligned';
export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789';

/** The flags ENVIRONMENT.md lists for Chromium on these machines. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const CHROMIUM_PATH = process.env.SLCA_CHROMIUM ?? '/usr/bin/chromium';

/** The environment for a running stack, signed in with the test user. */
export function dashboardEnv(stack: Parameters<typeof stackDashboardEnv>[0]): Record<string, string> {
  return stackDashboardEnv(stack, {
    user: TEST_USER,
    password: TEST_PASSWORD,
    sessionSecret: TEST_SESSION_SECRET,
  });
}

export { freePort, startDashboard, type DashboardProcess as Dashboard } from '@slca/stack';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile directory, removed on close. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'slca-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_FLAGS,
    viewport,
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(
  page: Page,
  url: string,
  password = TEST_PASSWORD,
  user = TEST_USER,
): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}
