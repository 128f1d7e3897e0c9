import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { putRunRecord, getRunRecord } from '@slca/artifacts';
import { PROTO_FILES, protoRoot, RunStatus } from '@slca/contracts';
import {
  actingUserMetadata,
  startGrpcService,
  testCertificates,
  trainerClient,
  type ActingUser,
  type ClientIdentity,
  type GrpcService,
  type TrainerClient,
} from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Peers } from '../src/execution/peers';
import { RunManager } from '../src/runs/run-manager';
import type { RunRecord } from '../src/runs/run-record';
import { RunsModule } from '../src/runs/runs.module';
import { FlakyStore, queuedRecord, recordingLogger } from './run-fakes';

/*
 * Run owners through the trainer's real gRPC server: mutual TLS, the authorisation interceptor, Nest's
 * controller and the RunManager over a memory store. The dashboard's certificate names the user and role
 * it acts for in the call's metadata; any other identity (the CLI) acts as itself, whatever it sends.
 */

const certs = await testCertificates();
const store = new FlakyStore();
const { logger, lines } = recordingLogger();
let service: GrpcService;
const clients: TrainerClient[] = [];

const record = (id: string, owner?: string): RunRecord =>
  queuedRecord(id, {
    configJson: JSON.stringify({ method: 'slca', seed: 1 }),
    createdAtMs: Date.UTC(2026, 0, 2),
    ...(owner ? { owner } : {}),
  });

function client(identity: ClientIdentity): TrainerClient {
  const c = trainerClient({
    address: service.address,
    credentials: certs.credentials(identity),
    retry: { maxAttempts: 1 },
  });
  clients.push(c);
  return c;
}

const as = (user: string, role: ActingUser['role']) => ({ metadata: actingUserMetadata({ user, role }) });

/** The call's failure: its gRPC code and details. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('expected the call to be refused');
}

beforeAll(async () => {
  for (const [id, owner] of [
    ['run-ada', 'ada'],
    ['run-bob', 'bob'],
    ['run-old', undefined],
  ] as const)
    await putRunRecord(store, id, record(id, owner));
  const manager = new RunManager({
    store,
    peers: {} as Peers,
    logger,
    workers: 1,
    checkpointEvery: 10,
    concurrency: 1,
    executor: { kind: 'fake', execute: () => Promise.reject(new Error('no run is started here')) },
  });
  service = await startGrpcService({
    name: 'trainer',
    module: RunsModule.with(manager),
    protoPath: PROTO_FILES.trainer,
    includeDirs: [protoRoot()],
    port: 0,
    tls: certs.material('trainer'),
    logger,
    handleSignals: false,
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await service?.stop('test over');
});

describe('run owners through the trainer', () => {
  it('refuses StartRun to a viewer, naming the user', async () => {
    const denied = await refusal(
      client('dashboard').startRun({ benchmark: 'embedded' }, as('vera', 'viewer')),
    );
    expect(denied).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: 'vera is a viewer and may not start runs',
    });
  });

  it('refuses a non-owner researcher’s cancel, naming user and run, and leaves the run as it was', async () => {
    const denied = await refusal(client('dashboard').cancelRun({ id: 'run-ada' }, as('bob', 'researcher')));
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(denied.details).toBe(
      "bob may not cancel run run-ada: it is ada's run (only its owner or an admin may)",
    );
    expect((await getRunRecord<RunRecord>(store, 'run-ada'))?.status).toBe(RunStatus.RUN_STATUS_QUEUED);
    // The trainer's log has the refusal: who, what, which run.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'permission denied',
        user: 'bob',
        role: 'researcher',
        action: 'cancel',
        runId: 'run-ada',
      }),
    );
    // Nor resume, update or delete it; and a viewer changes no run at all.
    for (const call of [
      client('dashboard').updateRun({ id: 'run-ada', notes: 'mine now' }, as('bob', 'researcher')),
      client('dashboard').deleteRun({ id: 'run-ada' }, as('bob', 'researcher')),
      client('dashboard').resumeRun({ id: 'run-ada' }, as('bob', 'researcher')),
    ])
      expect((await refusal(call)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await refusal(client('dashboard').cancelRun({ id: 'run-ada' }, as('vera', 'viewer')))).toEqual({
      code: grpc.status.PERMISSION_DENIED,
      details: 'vera is a viewer and may not cancel run run-ada',
    });
    // A run from before owners were kept is an admin's only.
    expect(
      (await refusal(client('dashboard').cancelRun({ id: 'run-old' }, as('ada', 'researcher')))).details,
    ).toBe('ada may not cancel run run-old: it is a run without an owner (only its owner or an admin may)');
  });

  it('lets the owner change its run, and an admin cancel it; the audit log says who', async () => {
    const dashboard = client('dashboard');
    await dashboard.updateRun({ id: 'run-ada', notes: 'first try' }, as('ada', 'researcher'));
    const cancelled = (await dashboard.cancelRun({ id: 'run-ada' }, as('root', 'admin'))).run;
    expect(cancelled?.status).toBe(RunStatus.RUN_STATUS_CANCELLED);
    expect(cancelled?.ownedBy).toBe('ada');
    const run = (await dashboard.getRun({ id: 'run-ada' })).run;
    expect(run?.auditLog.map(({ who, action, detail }) => [who, action, detail])).toEqual([
      // The record was written before audit logs were kept: its status as found comes first.
      ['trainer', 'status', 'queued (when the log began)'],
      ['ada', 'update', 'notes'],
      ['root', 'cancel', 'cancelled'],
    ]);
    // Stored with the record, and left out of ListRuns.
    const stored = await getRunRecord<RunRecord>(store, 'run-ada');
    expect(stored?.audit?.map((e) => e.who)).toEqual(['trainer', 'ada', 'root']);
    const listed = (await dashboard.listRuns({ query: '' })).runs.find((r) => r.id === 'run-ada');
    expect(listed?.ownedBy).toBe('ada');
    expect(listed?.auditLog).toEqual([]);
  });

  it('believes a user in the metadata only from the dashboard: the CLI acts as itself', async () => {
    const cancelled = (await client('cli').cancelRun({ id: 'run-bob' }, as('vera', 'viewer'))).run;
    expect(cancelled?.status).toBe(RunStatus.RUN_STATUS_CANCELLED);
    expect(cancelled?.auditLog.at(-1)).toMatchObject({ who: 'cli', action: 'cancel' });
    // The dashboard must say whom it acts for.
    const anonymous = await refusal(client('dashboard').resumeRun({ id: 'run-bob' }));
    expect(anonymous.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(anonymous.details).toMatch(/the dashboard must name the user it acts for/);
  });
});
