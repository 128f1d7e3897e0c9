import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './service-process';

export const DASHBOARD_DIR = join(REPO_ROOT, 'apps/dashboard');

/** Whether `next build` has produced the dashboard (the stack starts it only then). */
export function dashboardBuilt(): boolean {
  return existsSync(join(DASHBOARD_DIR, '.next', 'BUILD_ID'));
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port')),
      );
    });
  });
}

export interface DashboardProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

export interface DashboardCredentials {
  user: string;
  password: string;
  sessionSecret: string;
}

/** The environment the dashboard needs to reach a running stack. */
export function dashboardEnv(
  stack: {
    address(name: 'trainer' | 'evaluator' | 'splitter'): string;
    storeEnv: Record<string, string>;
    certificates: { env(identity: 'dashboard'): Record<string, string> };
  },
  credentials: DashboardCredentials,
): Record<string, string> {
  return {
    // The dashboard's server side calls the services over mutual TLS as identity `dashboard`.
    ...stack.certificates.env('dashboard'),
    SLCA_TRAINER_ADDRESS: stack.address('trainer'),
    SLCA_EVALUATOR_ADDRESS: stack.address('evaluator'),
    SLCA_SPLITTER_ADDRESS: stack.address('splitter'),
    ...stack.storeEnv,
    SLCA_DASHBOARD_USER: credentials.user,
    SLCA_DASHBOARD_PASSWORD: credentials.password,
    SLCA_DASHBOARD_SESSION_SECRET: credentials.sessionSecret,
  };
}

/** Starts the built dashboard (`next start`) on 127.0.0.1 (`port` 0: a free one); resolves when it answers. */
export async function startDashboard(
  env: Record<string, string>,
  options: { port?: number; timeoutMs?: number } = {},
): Promise<DashboardProcess> {
  const port = options.port || (await freePort());
  const timeoutMs = options.timeoutMs ?? 60_000;
  const next = require.resolve('next/dist/bin/next', { paths: [DASHBOARD_DIR] });
  const child = spawn(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: DASHBOARD_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? '?')),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = await Promise.race([exited, new Promise((done) => setTimeout(done, 250, undefined))]);
    if (ended !== undefined) throw new Error(`the dashboard exited (${ended}):\n${output.join('')}`);
    try {
      const response = await fetch(`${url}/sign-in`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the dashboard did not answer within ${timeoutMs} ms:\n${output.join('')}`);
    }
  }
  return {
    url,
    child,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
