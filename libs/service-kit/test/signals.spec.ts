import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { createServiceClient, testCertificates } from '../src/index';
import { ECHO_DEFINITION } from './echo.module';

const workspace = join(__dirname, '../../..');
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

it('on SIGTERM: NOT_SERVING, hook, in-flight call completes, exit 0', async () => {
  const certs = await testCertificates();
  const server = spawn(
    join(workspace, 'node_modules/.bin/tsx'),
    ['--tsconfig', join(__dirname, '../tsconfig.spec.json'), join(__dirname, 'fixtures/serve-echo.ts')],
    {
      cwd: workspace,
      env: { ...process.env, ...certs.env('splitter') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child = server;
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  const records: { msg: string; address?: string; health?: string }[] = [];
  const waiters: { msg: string; resolve: (record: (typeof records)[number]) => void }[] = [];
  createInterface({ input: server.stdout }).on('line', (line) => {
    const record = JSON.parse(line) as (typeof records)[number];
    records.push(record);
    for (const w of waiters.filter((w) => w.msg === record.msg)) w.resolve(record);
  });
  const logged = (msg: string) =>
    new Promise<(typeof records)[number]>((resolve) => {
      const seen = records.find((r) => r.msg === msg);
      if (seen) resolve(seen);
      else waiters.push({ msg, resolve });
    });

  const { address } = await logged('listening');
  expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  const client = createServiceClient(ECHO_DEFINITION, {
    address: String(address),
    deadlineMs: 10_000,
    credentials: certs.credentials('cli'),
  });
  const inFlight = client.slow({ delayMs: 800, tag: 'last' });
  await logged('slow call started');
  const signalled = Date.now();
  server.kill('SIGTERM');

  await expect(inFlight).resolves.toEqual(expect.objectContaining({ text: 'last' }));
  expect(await exited).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(5_000);
  client.close();
  const order = records.map((r) => (r.msg === 'health changed' ? `health ${r.health}` : r.msg));
  const after = order.slice(order.indexOf('stopping'));
  expect(after.filter((m) => m !== 'call finished')).toEqual([
    'stopping',
    'health NOT_SERVING',
    'checkpoint written',
    'drained',
    'stopped',
  ]);
});
