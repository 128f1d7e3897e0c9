import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Runs the real CLI in a child process, as `npm run slca -- …` does. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts'), ...args],
    {
      cwd: options.cwd ?? REPO_ROOT,
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 300_000,
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
