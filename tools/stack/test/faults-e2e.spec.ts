import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MinioObjectStore, readTrainHistory, StoreConfig, type ObjectStore } from '@slca/artifacts';
import { RunStatus, type Run, type RunEvent } from '@slca/contracts';
import { checkHealth, evaluatorClient, trainerClient } from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, Stack, type StackProcess } from '../src/stack';

/*
 * Fault injection against the local stack: real processes on loopback (s3rver and the four services),
 * each SIGKILLed or SIGSTOPped (and SIGCONTed later) at seeded-random points of a run, several times per
 * run; the object store killed while a checkpoint is being written and during each phase of a task; the
 * evaluator down for a long stretch. Each time the run must end as an uninterrupted one did: the same
 * accuracy matrix bit for bit, the same committed objects under runs/<id>/ (nothing lost, nothing twice),
 * the same training history, no service dead of anything but the faults' signals, and no finished work
 * trained again.
 *
 * The points are drawn from SLCA_FAULT_SEED; a failure names the seed and every fault of its run, so it
 * can be replayed (SLCA_E2E_LOG=file also keeps every process's log and the faults among them).
 */
const SEED = Number(process.env.SLCA_FAULT_SEED ?? 20261203);

/**
 * How long the evaluator stays down in the long-outage test. The issue asks for 2 minutes; the suite
 * uses 70 s to keep `npm test` short: longer than the whole retry schedule that used to fail such a run
 * (5 + 15 + 45 s), and 14 times the gate's longest pause between tries (5 s), so the wait is in its steady
 * state. SLCA_FAULT_EVALUATOR_OUTAGE_MS=120000 runs the issue's 2 minutes.
 */
const EVALUATOR_OUTAGE_MS = Number(process.env.SLCA_FAULT_EVALUATOR_OUTAGE_MS ?? 70_000);

/** The stack e2e's short embedded run: 2 tasks of 15 classes, 1 epoch, a checkpoint every 4 steps. */
const OVERRIDES = '{"initClasses":15,"increment":15}';
const CHECKPOINT_EVERY = 4;
const request = (runId: string) => ({
  runId,
  benchmark: 'embedded',
  method: 'slca',
  seed: 1993,
  epochs: 1,
  checkpointEvery: 0,
  tags: ['faults'],
  configOverridesJson: OVERRIDES,
  experimentJson: '',
  set: [],
  validateOnly: false,
});

/** A small seeded generator (mulberry32): the same faults at the same points for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set([
  RunStatus.RUN_STATUS_SUCCEEDED,
  RunStatus.RUN_STATUS_FAILED,
  RunStatus.RUN_STATUS_CANCELLED,
]);

let dir: string;
let stack: Stack;
let store: ObjectStore;
const logs: string[] = [];
const supervisor: string[] = [];

/** Where s3rver keeps an object's bytes on disk (it writes them in place, not atomically). */
const objectFile = (key: string) => join(dir, 's3', 'slca', `${key}._S3rver_object`);
const folder = (key: string) => join(dir, 's3', 'slca', key);
const entries = (path: string) => (existsSync(path) ? readdirSync(path) : []);

/**
 * Follows a run through trainer restarts until it ends: every event, and where it is (the newest train
 * step and phase). A trainer that does not answer is tried again every 300 ms.
 */
class Follower {
  readonly events: RunEvent[] = [];
  /** The newest train step seen, counted from the run's first (see `stepIndex`). */
  position = -1;
  task = 0;
  phase = '';
  final?: Run;
  private readonly done: Promise<Run>;

  constructor(readonly id: string) {
    this.done = this.follow();
  }

  get states(): Run[] {
    return this.events.flatMap((e) => (e.state ? [e.state] : []));
  }

  ended(): Promise<Run> {
    return this.done;
  }

  /** Resolves once `predicate` holds (checked on every event and every 20 ms); rejects if the run ends first. */
  async until(predicate: () => boolean, what: string): Promise<void> {
    for (;;) {
      if (predicate()) return;
      if (this.final) throw new Error(`run ${this.id} ended (${this.final.status}) before ${what}`);
      await sleep(20);
    }
  }

  private async follow(): Promise<Run> {
    for (;;) {
      const client = trainerClient({
        address: stack.address('trainer'),
        deadlineMs: 600_000,
        credentials: stack.credentials('cli'),
      });
      try {
        for await (const { event } of client.watchRun({ id: this.id })) {
          if (!event) continue;
          this.events.push(event);
          if (event.train) {
            this.position = stepIndex(event.train.task, event.train.step);
            this.task = event.train.task;
            this.phase = 'train';
          }
          if (event.phase) this.phase = event.phase.phase;
          if (event.state && TERMINAL.has(event.state.status)) {
            this.final = event.state;
            return event.state;
          }
        }
      } catch {
        // The trainer went away (killed, stopped past a deadline): its successor continues the run.
      } finally {
        client.close();
      }
      await sleep(300);
    }
  }
}

/** A fault's record, for the test's log and its failure message. */
const injected: string[] = [];
function note(message: string): void {
  injected.push(message);
  logs.push(`fault: ${message}`);
  if (process.env.SLCA_E2E_LOG) appendFileSync(process.env.SLCA_E2E_LOG, `fault: ${message}\n`);
}

/** SIGKILL, as a crash or the OOM killer would, then wait until the supervisor has it running again. */
async function crash(name: StackProcess, where: string): Promise<void> {
  const exited = stack.exited(name);
  note(`SIGKILL ${name} ${where}`);
  stack.signal(name, 'SIGKILL');
  await exited;
  await stack.running(name);
  note(`${name} running again`);
}

/**
 * The object store SIGKILLed and kept down for `ms` (longer than its client's own retries, ~1.3 s, so the
 * services see the outage), then started again on its port with its data.
 */
async function storeOutage(ms: number, where: string): Promise<void> {
  note(`SIGKILL object-store ${where}; down for ${ms} ms`);
  await stack.kill('object-store', 'SIGKILL');
  await sleep(ms);
  await stack.startObjectStore();
  note('object-store started again');
}

/** SIGSTOP (a hung process, a paused VM), then SIGCONT after `ms`. */
async function freeze(name: StackProcess, ms: number, where: string): Promise<void> {
  note(`SIGSTOP ${name} for ${ms} ms ${where}`);
  stack.signal(name, 'SIGSTOP');
  await sleep(ms);
  stack.signal(name, 'SIGCONT');
}

/** The object store frozen until `follower`'s run reports a wait (at most 90 s), then thawed. */
async function hang(follower: Follower, drawn: number): Promise<void> {
  note(`SIGSTOP object-store at step ${follower.position} (drawn ${drawn}) until the run reports a wait`);
  const since = follower.states.length;
  stack.signal('object-store', 'SIGSTOP');
  try {
    const deadline = Date.now() + 90_000;
    await follower.until(
      () => follower.states.slice(since).some((s) => s.waitingFor) || Date.now() > deadline,
      'the wait for a hung store',
    );
    const waiting = follower.states.slice(since).find((s) => s.waitingFor);
    expect(waiting?.waitingFor, 'the run never said it waits for the hung store').toMatch(
      /^the (object store|statistics store|evaluator|splitter) at /,
    );
    const client = trainerClient({
      address: stack.address('trainer'),
      deadlineMs: 10_000,
      credentials: stack.credentials('cli'),
    });
    try {
      const { run } = await client.getRun({ id: follower.id });
      expect(run?.status).toBe(RunStatus.RUN_STATUS_RUNNING);
      expect(run?.waitingFor).toBe(waiting?.waitingFor);
      expect(run?.error).toBe('');
    } finally {
      client.close();
    }
    note(`the run waits for ${waiting?.waitingFor}`);
  } finally {
    stack.signal('object-store', 'SIGCONT');
  }
}

async function start(id: string): Promise<Follower> {
  injected.length = 0;
  const client = trainerClient({
    address: stack.address('trainer'),
    deadlineMs: 60_000,
    credentials: stack.credentials('cli'),
  });
  try {
    await client.startRun(request(id));
  } finally {
    client.close();
  }
  return new Follower(id);
}

async function metricsOf(runId: string) {
  const evaluator = evaluatorClient({
    address: stack.address('evaluator'),
    deadlineMs: 60_000,
    credentials: stack.credentials('cli'),
  });
  try {
    return (await evaluator.getRunMetrics({ runId })).metrics;
  } finally {
    evaluator.close();
  }
}

/**
 * The run's objects as the store holds them, keys relative to runs/<id>/, with their digests: committed
 * artifacts' files as their manifests record them (the trainer's GetRunArtifacts), everything else as
 * listed. A run's own objects (its record, its log, manifests with their commit times) are named only.
 */
/** A history point without what depends on the machine's timing (when the step ended, the memory then). */
function withoutClocks(point: Record<string, unknown>): Record<string, unknown> {
  const { atMs: _atMs, rssBytes: _rss, ...rest } = point;
  return rest;
}

/** The run's training history as the uninterrupted run's is compared: every point without its clock. */
async function historyOf(runId: string): Promise<string> {
  const history = await readTrainHistory(store, runId);
  return JSON.stringify(history, (key, value: unknown) =>
    key === 'atMs' || key === 'rssBytes' ? undefined : value,
  );
}

async function objectsOf(runId: string): Promise<{ committed: Map<string, string>; listed: string[] }> {
  const client = trainerClient({
    address: stack.address('trainer'),
    deadlineMs: 60_000,
    credentials: stack.credentials('cli'),
  });
  let artifacts;
  try {
    artifacts = (await client.getRunArtifacts({ id: runId })).artifacts;
  } finally {
    client.close();
  }
  const base = `runs/${runId}/`;
  // A checkpoint's state holds the run's timings too, so only its name is compared (its sequence number
  // too: a checkpoint written again after a fault would show as one more).
  const own = (key: string) =>
    key === 'run.json' ||
    key === 'config.json' ||
    key.startsWith('logs/') ||
    key.endsWith('manifest.json') ||
    key.startsWith('checkpoints/');
  const committed = new Map<string, string>();
  for (const o of artifacts?.objects ?? []) {
    const key = o.key.slice(base.length);
    // A history segment records each step's wall clock and memory: compared without those, bit for bit.
    const value = own(key)
      ? 'present'
      : key.startsWith('history/')
        ? createHash('sha256')
            .update(
              (await store.get(o.key))
                .toString('utf8')
                .split('\n')
                .filter(Boolean)
                .map((line) => JSON.stringify(withoutClocks(JSON.parse(line) as Record<string, unknown>)))
                .join('\n'),
            )
            .digest('hex')
        : o.sha256;
    committed.set(key, value);
  }
  const listed = (await store.list(base)).map((k) => k.slice(base.length)).sort();
  return { committed, listed };
}

interface Baseline {
  accuracies: number[];
  matrix: number[][];
  committed: Map<string, string>;
  listed: string[];
  history: string;
  /** Every train step of the run in order, as `task:step`. */
  steps: string[];
  /** Steps per task. */
  taskSteps: number[];
}
let baseline: Baseline;

/** A train step counted from the run's first, by the uninterrupted run's steps per task. */
function stepIndex(task: number, step: number): number {
  const before = baseline?.taskSteps.slice(0, task) ?? [];
  return before.reduce((a, b) => a + b, 0) + step;
}

/** Everything a faulted run must share with the uninterrupted one, and what no run may show. */
async function expectLikeUninterrupted(follower: Follower): Promise<Run> {
  const final = await follower.ended();
  const context = `\nseed ${SEED}; faults:\n${injected.join('\n')}`;
  expect(final.status, `${final.error}${context}`).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
  expect(final.error).toBe('');
  expect(final.waitingFor).toBe('');
  const metrics = await metricsOf(follower.id);
  expect(metrics?.accuracies, context).toEqual(baseline.accuracies);
  expect(
    metrics?.accuracyMatrix.map((r) => r.values),
    context,
  ).toEqual(baseline.matrix);
  expect(final.accuracies).toEqual(baseline.accuracies);
  // Nothing lost or written twice: the same committed objects with the same bytes, and no leftovers.
  const { committed, listed } = await objectsOf(follower.id);
  expect(Object.fromEntries(committed), context).toEqual(Object.fromEntries(baseline.committed));
  expect(listed, context).toEqual(baseline.listed);
  expect(await historyOf(follower.id)).toBe(baseline.history);
  // A running run shows no old error (GetRun used to keep the failure that had interrupted it).
  for (const state of follower.states)
    if (state.status === RunStatus.RUN_STATUS_RUNNING) expect(state.error, context).toBe('');
  expect(logs.filter((l) => l.includes('unhandled rejection'))).toEqual([]);
  return final;
}

/** The train steps seen, as `task:step`, in order. */
const trainSteps = (f: Follower) =>
  f.events.flatMap((e) => (e.train ? [`${e.train.task}:${e.train.step}`] : []));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slca-faults-'));
  stack = await Stack.start({
    dataDir: dir,
    env: {
      SLCA_CHECKPOINT_EVERY: String(CHECKPOINT_EVERY),
      SLCA_TRAINER_WORKERS: '2',
      // SIGUSR2 makes an unhandled rejection in a service (the last test).
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(__dirname, 'unhandled-rejection-probe.mjs')).href}`.trim(),
    },
    // Quick restarts, as a Deployment's first ones are; the pauses still double with each death.
    restartBackoff: { initialMs: 250, maxMs: 2_000, resetAfterMs: 10_000 },
    onSupervisor: (message) => {
      supervisor.push(message);
      logs.push(`supervisor: ${message}`);
    },
    onLog: (name, line) => {
      logs.push(`${name}: ${line}`);
      if (process.env.SLCA_E2E_LOG) appendFileSync(process.env.SLCA_E2E_LOG, `${name}: ${line}\n`);
    },
  });
  store = new MinioObjectStore(
    StoreConfig.from({
      endpoint: stack.s3.endpoint,
      accessKey: stack.s3.accessKey,
      secretKey: stack.s3.secretKey,
    }),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The service's health once it says SERVING, or its last answer after `withinMs`. */
async function servingWithin(name: (typeof SERVICES)[number], withinMs: number): Promise<string> {
  const until = Date.now() + withinMs;
  for (;;) {
    const health = await checkHealth(stack.address(name), '', 2_000, stack.credentials('cli')).catch(
      (error: Error) => `unreachable: ${error.message}`,
    );
    if (health === 'SERVING' || Date.now() > until) return health;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('faults during a run (seeded, SLCA_FAULT_SEED)', () => {
  it('an uninterrupted run: the reference every faulted run is compared with', async () => {
    const follower = await start('f-base');
    const final = await follower.ended();
    expect(final.status, final.error).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    const metrics = await metricsOf('f-base');
    const train = follower.events.flatMap((e) => (e.train ? [e.train] : []));
    const { committed, listed } = await objectsOf('f-base');
    baseline = {
      accuracies: metrics?.accuracies ?? [],
      matrix: metrics?.accuracyMatrix.map((r) => r.values) ?? [],
      committed,
      listed,
      history: await historyOf('f-base'),
      steps: trainSteps(follower),
      taskSteps: [0, 1].map((t) => train.find((e) => e.task === t)?.steps ?? 0),
    };
    expect(baseline.accuracies).toHaveLength(2);
    // Every step of every task seen once, in order: the stream is what the later runs are counted by.
    const expected = baseline.taskSteps.flatMap((n, t) => [...Array(n).keys()].map((s) => `${t}:${s}`));
    expect(baseline.steps).toEqual(expected);
    expect(expected.length).toBeGreaterThan(20);
    expect([...committed.keys()].some((k) => /^checkpoints\/\d{8}\/state\.safetensors$/.test(k))).toBe(true);
    expect([...committed.keys()].some((k) => /^stats\/\d{5}\/stats\.f64$/.test(k))).toBe(true);
    expect(listed.some((k) => k.includes('uploads/'))).toBe(false);
  }, 300_000);

  it('SIGKILL of every process at seeded-random steps, several per run: the run ends as the uninterrupted one', async () => {
    const rnd = random(SEED);
    const total = baseline.steps.length;
    const names: StackProcess[] = [
      'trainer',
      'evaluator',
      'stats-store',
      'splitter',
      'object-store',
      'object-store',
      'evaluator',
    ];
    // The splitter serves a run only while it is prepared (dataset, split, backbone): it dies then.
    const faults = names
      .map((name) => ({ name, at: name === 'splitter' ? -1 : 1 + Math.floor(rnd() * (total - 2)) }))
      .sort((a, b) => a.at - b.at);
    const deathsBefore = stack.deaths.length;
    const follower = await start('f-kill');
    let trainerKills = 0;
    for (const fault of faults) {
      await follower.until(() => follower.position >= fault.at, `step ${fault.at}`);
      if (fault.name === 'trainer') trainerKills += 1;
      await crash(fault.name, `at step ${follower.position} (drawn ${fault.at})`);
    }
    const final = await expectLikeUninterrupted(follower);
    // Each process died of its SIGKILL and nothing else; no restart failed to come up.
    const deaths = stack.deaths.slice(deathsBefore);
    expect(deaths.map((d) => d.name).sort()).toEqual(names.map((n) => n).sort());
    for (const d of deaths) expect(d.code).toBe(d.name === 'object-store' ? null : 'SIGKILL');
    // Only a trainer's death costs training, and only the steps since its latest checkpoint.
    expect(
      final.resumedCount,
      `resumed ${final.resumedCount} times after ${trainerKills} trainer kill(s); seed ${SEED}; faults:\n${injected.join('\n')}\n` +
        logs.filter((l) => l.startsWith('trainer: ') && /continuing|interrupted|resum/.test(l)).join('\n'),
    ).toBe(trainerKills);
    const steps = trainSteps(follower);
    expect([...new Set(steps)]).toEqual(baseline.steps);
    expect(steps.length).toBeLessThanOrEqual(total + trainerKills * CHECKPOINT_EVERY);
  }, 600_000);

  it('SIGSTOP (then SIGCONT) of every process at seeded-random steps: the run only pauses, and retrains nothing', async () => {
    const rnd = random(SEED + 1);
    const total = baseline.steps.length;
    const names: StackProcess[] = [
      'trainer',
      'evaluator',
      'stats-store',
      'splitter',
      'object-store',
      'object-store',
      'stats-store',
    ];
    // The splitter serves a run only while it is prepared: it hangs then.
    const faults = names
      .map((name) => ({
        name,
        at: name === 'splitter' ? -1 : 1 + Math.floor(rnd() * (total - 2)),
        ms: 1_000 + Math.floor(rnd() * 4_000),
      }))
      .sort((a, b) => a.at - b.at);
    // And once the store hung for longer than the trainer lets a store call go unanswered (15 s): frozen
    // until the run says what it waits for, which GetRun and the event stream show at once.
    const hangAt = 1 + Math.floor(rnd() * (total - 2));
    const deathsBefore = stack.deaths.length;
    const follower = await start('f-stop');
    let hung = false;
    for (const fault of faults) {
      await follower.until(() => follower.position >= fault.at, `step ${fault.at}`);
      if (!hung && follower.position >= hangAt) {
        hung = true;
        await hang(follower, hangAt);
      }
      await freeze(fault.name, fault.ms, `at step ${follower.position} (drawn ${fault.at})`);
    }
    if (!hung) await hang(follower, hangAt);
    const final = await expectLikeUninterrupted(follower);
    expect(stack.deaths.slice(deathsBefore)).toEqual([]);
    expect(final.resumedCount).toBe(0);
    expect(trainSteps(follower)).toEqual(baseline.steps);
  }, 600_000);

  it('the object store killed during a checkpoint write and during each phase (training, statistics, alignment, evaluation)', async () => {
    const id = 'f-store';
    const runDir = `runs/${id}/`;
    const rnd = random(SEED + 2);
    const down = () => 2_000 + Math.floor(rnd() * 3_000);
    const deathsBefore = stack.deaths.length;
    const follower = await start(id);
    const hit: string[] = [];

    // Training: a step of the first task.
    await follower.until(() => follower.phase === 'train' && follower.position >= 1, 'training');
    await storeOutage(down(), `while training (step ${follower.position})`);
    hit.push('training');

    // A checkpoint half written: its state object on disk, its manifest (the commit) not yet. The store
    // is frozen first, so what is on disk is what it holds when it dies.
    const checkpoints = folder(`${runDir}checkpoints`);
    const committed = new Set(entries(checkpoints));
    for (;;) {
      await follower.until(
        () =>
          entries(checkpoints).some(
            (seq) =>
              !committed.has(seq) &&
              existsSync(objectFile(`${runDir}checkpoints/${seq}/state.safetensors`)) &&
              !existsSync(objectFile(`${runDir}checkpoints/${seq}/manifest.json`)),
          ),
        'a checkpoint write',
      );
      stack.signal('object-store', 'SIGSTOP');
      const writing = entries(checkpoints).find(
        (seq) => !committed.has(seq) && !existsSync(objectFile(`${runDir}checkpoints/${seq}/manifest.json`)),
      );
      if (writing) {
        await storeOutage(down(), `while checkpoint ${writing} is written (state on disk, no manifest)`);
        hit.push('checkpoint write');
        break;
      }
      // The commit landed between the look and the freeze: wait for the next checkpoint.
      stack.signal('object-store', 'SIGCONT');
      for (const seq of entries(checkpoints)) committed.add(seq);
    }

    // Statistics: the first class's statistics of a task uploaded, the rest still to come.
    const stats = folder(`${runDir}stats`);
    const uploads = folder(`${runDir}uploads`);
    const statsBefore = entries(stats).length;
    await follower.until(
      () => entries(uploads).length > 0 || entries(stats).length > statsBefore,
      'the statistics phase',
    );
    await storeOutage(down(), `while statistics are written (${entries(stats).length} classes committed)`);
    hit.push('statistics');

    // Evaluation: the task's model committed, so its evaluation has been asked for.
    const models = folder(`${runDir}models`);
    await follower.until(
      () => entries(models).some((t) => existsSync(objectFile(`${runDir}models/${t}/manifest.json`))),
      'the first evaluation',
    );
    await storeOutage(down(), 'while the first task is evaluated');
    hit.push('evaluation');

    // Alignment: from the second task on, on features sampled from the statistics.
    await follower.until(() => follower.phase === 'align', 'the alignment');
    await storeOutage(down(), `while aligning (task ${follower.task + 1})`);
    hit.push('alignment');

    const final = await expectLikeUninterrupted(follower);
    expect(hit).toEqual(['training', 'checkpoint write', 'statistics', 'evaluation', 'alignment']);
    // Taken down on purpose, so the supervisor restarted nothing; no service died.
    expect(stack.deaths.slice(deathsBefore)).toEqual([]);
    // The trainer's calls waited for the store (the outages outlasted the store client's own retries).
    expect(
      logs.some((l) => l.includes('"runId":"f-store"') && l.includes('waiting for the object store')),
    ).toBe(true);
    // The trainer waited out each outage: it never died, never started the run again.
    expect(final.resumedCount).toBe(0);
    expect(trainSteps(follower)).toEqual(baseline.steps);
  }, 600_000);

  it(`the evaluator down for ${EVALUATOR_OUTAGE_MS / 1000} s: the run waits at the evaluation, says so, and retrains nothing`, async () => {
    const id = 'f-outage';
    const follower = await start(id);
    await follower.until(() => follower.position >= 1, 'training');
    const port = stack.address('evaluator').split(':').at(-1) as string;
    note(`evaluator down for ${EVALUATOR_OUTAGE_MS} ms from step ${follower.position}`);
    const down = Date.now();
    expect(await stack.kill('evaluator', 'SIGKILL')).toBe('SIGKILL');
    await follower.until(() => !!follower.states.at(-1)?.waitingFor, 'the wait for the evaluator');
    // GetRun says why it is paused, and shows no error while it waits.
    const client = trainerClient({
      address: stack.address('trainer'),
      deadlineMs: 60_000,
      credentials: stack.credentials('cli'),
    });
    try {
      const { run } = await client.getRun({ id });
      expect(run?.status).toBe(RunStatus.RUN_STATUS_RUNNING);
      expect(run?.waitingFor).toBe(`the evaluator at 127.0.0.1:${port}`);
      expect(run?.error).toBe('');
    } finally {
      client.close();
    }
    await sleep(Math.max(0, EVALUATOR_OUTAGE_MS - (Date.now() - down)));
    // Still waiting, still running, after the whole outage.
    expect(follower.final).toBeUndefined();
    expect(follower.states.at(-1)?.waitingFor).toBe(`the evaluator at 127.0.0.1:${port}`);
    await stack.startService('evaluator', { SLCA_EVALUATOR_PORT: port });
    note('evaluator back');
    const final = await expectLikeUninterrupted(follower);
    expect(final.resumedCount).toBe(0);
    expect(follower.states.every((s) => s.status !== RunStatus.RUN_STATUS_INTERRUPTED)).toBe(true);
    expect(trainSteps(follower)).toEqual(baseline.steps);
  }, 600_000);

  it('an unhandled rejection (a bug) is logged and the service goes on serving; none came from the faults above', async () => {
    expect(logs.filter((l) => l.includes('unhandled rejection'))).toEqual([]);
    const deathsBefore = stack.deaths.length;
    for (const name of SERVICES) {
      const seen = logs.length;
      stack.signal(name, 'SIGUSR2');
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (logs.slice(seen).some((l) => l.startsWith(`${name}: `) && l.includes('unhandled rejection'))) {
            clearInterval(timer);
            resolve();
          }
        }, 50);
        void stack.exited(name).then((code) => {
          clearInterval(timer);
          reject(new Error(`${name} exited (${code}) on an unhandled rejection`));
        });
      });
      const line = logs
        .slice(seen)
        .find((l) => l.startsWith(`${name}: `) && l.includes('unhandled rejection'));
      expect(line).toContain('the fault suite’s probe');
      // Still up and answering; SERVING once its dependency checks pass (on a loaded machine one may time
      // out for a moment: that is health doing its job, so wait for the next check rather than fail).
      const health = await servingWithin(name, 20_000);
      expect(
        health,
        `${name} after the probe:\n${logs
          .filter((l) => l.startsWith(`${name}: `))
          .slice(-8)
          .join('\n')}`,
      ).toBe('SERVING');
    }
    expect(stack.deaths.slice(deathsBefore)).toEqual([]);
  }, 120_000);
});
