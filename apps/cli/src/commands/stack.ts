import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunStatus } from '@slca/contracts';
import { trainerClient } from '@slca/service-kit';
import { DEFAULT_PORTS, Stack } from '@slca/stack';
import { checkWritable, parseInteger, writeJson } from '../io';
import { cliCredentials } from './credentials';
import { DEFAULT_TRAINER, followRun, remoteRun, type RemoteRunResult } from './remote';

export interface StackFlags {
  run: boolean;
  keep?: boolean;
  method: string;
  seed: string;
  epochs?: string;
  dataDir: string;
  out: string;
  exit?: boolean;
}

function table(r: RemoteRunResult): string {
  const rows = r.accuracies.map((a, t) => `| ${t + 1} | ${a.toFixed(2)} |`);
  return [
    `| task | A_t (%) |`,
    `|---:|---:|`,
    ...rows,
    '',
    `Last-Acc ${r.lastAcc.toFixed(2)}  Inc-Acc ${r.incAcc.toFixed(2)}  forgetting ${r.forgetting.toFixed(2)}  BWT ${r.bwt.toFixed(2)}`,
  ].join('\n');
}

/**
 * `npm start`: the object store and the four services on 127.0.0.1 (default ports), then the embedded
 * default SLCA run submitted to the trainer and followed to its table. The run id is fixed by method and
 * seed, so starting again continues an interrupted run (or shows the finished one). Ctrl-C stops
 * everything cleanly: the trainer checkpoints first.
 */
export async function stackCommand(flags: StackFlags): Promise<void> {
  const seed = parseInteger(flags.seed, '--seed', 0);
  const epochs = flags.epochs === undefined ? undefined : parseInteger(flags.epochs, '--epochs', 1);
  if (flags.run) checkWritable(flags.out, '--out');
  const dataDir = resolve(flags.dataDir);
  mkdirSync(dataDir, { recursive: true });
  process.stderr.write(`starting the local stack (data in ${dataDir}) …\n`);
  const credentials = {
    user: process.env.SLCA_DASHBOARD_USER || 'researcher',
    password: process.env.SLCA_DASHBOARD_PASSWORD || randomBytes(9).toString('base64url'),
    sessionSecret: randomBytes(32).toString('hex'),
  };
  const stack = await Stack.start({
    dataDir,
    ports: DEFAULT_PORTS,
    s3Port: 9000,
    dashboard: { ...credentials, port: 3000 },
    // A process that dies is started again (with backoff); say so, as `kubectl get pods` would show it.
    onSupervisor: (message) => process.stderr.write(`stack: ${message}\n`),
  });
  // Everything a tool needs to reach this stack (addresses, keys), readable by this user only.
  const envFile = join(dataDir, 'stack.env');
  writeFileSync(
    envFile,
    Object.entries({
      ...stack.storeEnv,
      SLCA_SPLITTER_ADDRESS: stack.address('splitter'),
      SLCA_TRAINER_ADDRESS: stack.address('trainer'),
      SLCA_STATS_STORE_ADDRESS: stack.address('stats-store'),
      SLCA_EVALUATOR_ADDRESS: stack.address('evaluator'),
      // Where the CLI (`slca watch`, `run --remote`) finds the stack's certificates in tls/.
      SLCA_STACK_DIR: dataDir,
    })
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const stopping = new AbortController();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stack.stop());
  const onSignal = () => {
    process.stderr.write('\nstopping the stack (the trainer checkpoints its run first) …\n');
    stopping.abort();
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stderr.write(
    [
      `object store  ${stack.s3.endpoint}`,
      ...[...stack.services.values()].map((s) => `${s.name.padEnd(13)} ${s.address}`),
      stack.dashboard
        ? `dashboard     ${stack.dashboard.url}  (sign in as ${credentials.user} / ${credentials.password})`
        : 'dashboard     not built: npx nx run @slca/dashboard:build, then start again',
      `addresses and keys: ${envFile}`,
      `certificates (mutual TLS; the CLI finds them here): ${join(dataDir, 'tls')}`,
      '',
    ].join('\n'),
  );
  try {
    if (flags.run) {
      const runId = `embedded-${flags.method}-seed${seed}${epochs ? `-e${epochs}` : ''}`;
      process.stderr.write(
        `run ${runId}: follow it from another terminal with  npm run slca -- watch ${runId}\n`,
      );
      const result = await remoteRun({
        trainer: stack.address('trainer'),
        evaluator: stack.address('evaluator'),
        splitter: stack.address('splitter'),
        runId,
        method: flags.method,
        seed,
        epochs,
        signal: stopping.signal,
        credentials: stack.credentials('cli'),
      });
      writeJson(flags.out, result);
      process.stdout.write(
        `\n${flags.method} seed ${seed} through the services\n${table(result)}\nwrote ${flags.out}\n`,
      );
    }
    // Interactive: stay up so the dashboard stays readable; scripted (no terminal): exit after the run.
    if (!flags.run || flags.keep || (process.stdin.isTTY && !flags.exit)) {
      process.stderr.write('the stack is up; Ctrl-C stops it\n');
      await new Promise<void>((done) => stopping.signal.addEventListener('abort', () => done()));
    }
  } finally {
    if (!stopping.signal.aborted) await stop();
  }
}

export async function watchCommand(runId: string, flags: { trainer: string; json?: boolean }): Promise<void> {
  const address = flags.trainer ?? DEFAULT_TRAINER;
  const trainer = trainerClient({ address, credentials: cliCredentials('cli') });
  try {
    process.stderr.write(`watching run ${runId} on the trainer at ${address}\n`);
    const run = await followRun(trainer, runId, runId, undefined, address);
    // A run that ended other than succeeded (failed, cancelled) is a failure of the command: exit code 1.
    if (run.status !== RunStatus.RUN_STATUS_SUCCEEDED) process.exitCode = 1;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}; A_t ${run.accuracies.map((a) => a.toFixed(2)).join(', ')}\n`,
    );
  } finally {
    trainer.close();
  }
}
