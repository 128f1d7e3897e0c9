import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_FILES, protoRoot } from '@slca/contracts';
import { serverCredentials, testCertificates } from '@slca/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/run-cli';
import { waitToReconnect } from './commands/reconnect';

const certs = await testCertificates();

/** A port nothing listens on (taken from the kernel, then let go). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const SUCCEEDED = { id: 'r-1', status: 'RUN_STATUS_SUCCEEDED', tasks: 2, tasksDone: 2, accuracies: [80, 70] };

/** A trainer that knows one finished run: enough for `watch` to follow it to its end. */
async function fakeTrainer(port: number, run: Record<string, unknown> = SUCCEEDED): Promise<grpc.Server> {
  const definition = protoLoader.loadSync(PROTO_FILES.trainer, {
    includeDirs: [protoRoot()],
    longs: Number,
    enums: String,
    defaults: true,
  });
  const proto = grpc.loadPackageDefinition(definition) as unknown as {
    slca: { v1: { TrainerService: { service: grpc.ServiceDefinition } } };
  };
  const server = new grpc.Server();
  server.addService(proto.slca.v1.TrainerService.service, {
    watchRun: (call: grpc.ServerWritableStream<{ id: string }, unknown>) => {
      call.write({ event: { runId: call.request.id, atMs: 1, state: run } });
      call.end();
    },
    getRun: (_call: unknown, done: grpc.sendUnaryData<unknown>) => done(null, { run }),
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, serverCredentials(certs.material('trainer')), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return server;
}

/** Runs the CLI as a user would (its own certificate), without blocking this process's fake trainer. */
function cliProcess(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      // The CLI's certificate (mutual TLS), as a user who was given one sets it.
      ...certs.env('cli'),
      FORCE_COLOR: '0',
      TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The CLI's exit code and output once it ends. */
async function cliResult(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = cliProcess(args);
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => cli.once('exit', (c) => done(c)));
  return { code, stdout, stderr };
}

const servers: grpc.Server[] = [];
afterAll(() => {
  for (const s of servers) s.forceShutdown();
});

describe('slca watch against a trainer that does not answer', () => {
  it('says so with a countdown, keeps trying, and follows the run once the trainer is there', async () => {
    const port = await freePort();
    const cli = cliProcess(['watch', 'r-1', '--trainer', `127.0.0.1:${port}`]);
    let stderr = '';
    let stdout = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => cli.once('exit', (code) => done(code)));
    // Two failed tries, each reported with the time to the next: it is trying, not hanging.
    await new Promise<void>((resolve, reject) => {
      cli.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if ((stderr.match(/trying again in \d+ s/g) ?? []).length >= 2) resolve();
      });
      void exited.then((code) => reject(new Error(`watch exited (${code}) early:\n${stderr}`)));
    });
    expect(stderr).toContain(`watching run r-1 on the trainer at 127.0.0.1:${port}`);
    expect(stderr).toMatch(
      new RegExp(
        `slca: the trainer at 127\\.0\\.0\\.1:${port} does not answer \\(UNAVAILABLE: .*\\); trying again in 1 s \\(try 1\\)`,
      ),
    );
    expect(stderr).toMatch(/trying again in 2 s \(try 2\)/);

    servers.push(await fakeTrainer(port));
    expect(await exited).toBe(0);
    expect(stdout).toBe('r-1: RUN_STATUS_SUCCEEDED; A_t 80.00, 70.00\n');
    expect(stderr).toContain(`slca: the trainer at 127.0.0.1:${port} answers again`);
  }, 120_000);
});

describe('slca watch --json and its exit code', () => {
  it('prints the run as it ended as JSON on stdout (progress on stderr) and exits 0 when it succeeded', async () => {
    const port = await freePort();
    servers.push(await fakeTrainer(port));
    const r = await cliResult(['watch', 'r-1', '--trainer', `127.0.0.1:${port}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(run).toMatchObject({ id: 'r-1', status: 'RUN_STATUS_SUCCEEDED', tasks: 2, accuracies: [80, 70] });
    expect(r.stderr).toContain(`watching run r-1 on the trainer at 127.0.0.1:${port}`);
  }, 60_000);

  it('exits 1 for a run that failed, saying why, with or without --json', async () => {
    const port = await freePort();
    const failed = {
      ...SUCCEEDED,
      status: 'RUN_STATUS_FAILED',
      error: 'task 1: loss is NaN',
      accuracies: [80],
    };
    servers.push(await fakeTrainer(port, failed));
    const plain = await cliResult(['watch', 'r-1', '--trainer', `127.0.0.1:${port}`]);
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stdout).toBe('r-1: RUN_STATUS_FAILED (task 1: loss is NaN); A_t 80.00\n');
    const json = await cliResult(['watch', 'r-1', '--trainer', `127.0.0.1:${port}`, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'RUN_STATUS_FAILED',
      error: 'task 1: loss is NaN',
    });
  }, 60_000);
});

describe('the countdown to the next try', () => {
  /** A stream that says it is a terminal and keeps what is written to it, write by write. */
  function terminal(isTTY: boolean) {
    const writes: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    }) as Writable & { isTTY: boolean };
    out.isTTY = isTTY;
    return { out: out as unknown as NodeJS.WriteStream, writes };
  }
  const error = Object.assign(new Error('connect ECONNREFUSED'), {
    code: grpc.status.UNAVAILABLE,
    details: 'No connection established',
  });

  it('on a terminal, rewrites one line every second down to the try, then clears it', async () => {
    const { out, writes } = terminal(true);
    await waitToReconnect({ what: 'the trainer at 127.0.0.1:1', error, attempt: 2, out });
    const line = (s: number) =>
      `\r\x1b[Kslca: the trainer at 127.0.0.1:1 does not answer (UNAVAILABLE: No connection established); ` +
      `trying again in ${s} s (try 2)`;
    expect(writes).toEqual([line(2), line(1), '\r\x1b[K']);
  });

  it('elsewhere, one line per try and no control characters', async () => {
    const { out, writes } = terminal(false);
    await waitToReconnect({ what: 'the trainer at 127.0.0.1:1', error, attempt: 1, out });
    expect(writes).toEqual([
      'slca: the trainer at 127.0.0.1:1 does not answer (UNAVAILABLE: No connection established); ' +
        'trying again in 1 s (try 1)\n',
    ]);
  });
});
