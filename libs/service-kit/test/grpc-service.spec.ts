import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkHealth as checkHealthOver,
  createServiceClient,
  testCertificates,
  createLogger,
  INVALID_FIELD_METADATA_KEY,
  startGrpcService,
  type CallOptions,
  type ServiceClient,
  type GrpcService,
  type GrpcServiceOptions,
} from '../src/index';
import {
  ECHO_AUTHORISATION,
  ECHO_DEFINITION,
  ECHO_PACKAGE,
  ECHO_PROTO,
  ECHO_SERVICE,
  EchoModule,
  Probe,
  type EchoRequest,
} from './echo.module';

const certs = await testCertificates();
/** Health over the service's mutual-TLS port, as the cli identity. */
const checkHealth = (address: string, service = '') =>
  checkHealthOver(address, service, 2_000, certs.credentials('cli'));

const running: GrpcService[] = [];
type EchoClient = ServiceClient<typeof ECHO_DEFINITION>;
const clients: EchoClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(running.splice(0).map((s) => s.stop('test finished')));
});

async function startEcho(overrides: Partial<GrpcServiceOptions> = {}, probe = new Probe()) {
  const lines: string[] = [];
  const service = await startGrpcService({
    name: 'echo',
    module: EchoModule.with(probe),
    protoPath: ECHO_PROTO,
    package: ECHO_PACKAGE,
    port: 0,
    handleSignals: false,
    tls: certs.material('splitter'),
    authorisation: ECHO_AUTHORISATION,
    logger: createLogger({ service: 'echo', level: 'debug', write: (line) => lines.push(line) }),
    ...overrides,
  });
  running.push(service);
  return { service, probe, lines, client: clientFor(service.address) };
}

function clientFor(
  address: string,
  extra: { maxMessageBytes?: number; runId?: string; credentials?: ChannelCredentials } = {},
) {
  const client = createServiceClient(ECHO_DEFINITION, {
    address,
    deadlineMs: 5_000,
    credentials: certs.credentials('cli'),
    ...extra,
  });
  clients.push(client);
  return client;
}

const echo = (client: EchoClient, request: Partial<EchoRequest>, options: CallOptions = {}) =>
  client.echo(request, options);

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('startGrpcService', () => {
  it('answers on the port the OS picked and reports it', async () => {
    const { service, client } = await startEcho();
    expect(service.port).toBeGreaterThan(0);
    expect(service.address).toBe(`127.0.0.1:${service.port}`);
    await expect(echo(client, { text: 'hello' })).resolves.toMatchObject({ text: 'hello' });
    expect(await portIsClosed(service.port)).toBe(false);
  });

  it('refuses to start on a port that is taken', async () => {
    const { service } = await startEcho();
    await expect(startEcho({ port: service.port })).rejects.toThrow();
    expect(await checkHealth(service.address)).toBe('SERVING');
  });

  it('serves grpc.health.v1 on the same server, overall and per service', async () => {
    const { service } = await startEcho();
    expect(await checkHealth(service.address)).toBe('SERVING');
    expect(await checkHealth(service.address, ECHO_SERVICE)).toBe('SERVING');
    expect(service.health.serviceNames).toEqual(['', ECHO_SERVICE]);
    const unknown = await failure(checkHealth(service.address, 'slca.v1.Nope'));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });

  it('reports NOT_SERVING before draining, while beforeShutdown hooks run', async () => {
    const { service, probe } = await startEcho();
    service.beforeShutdown(async () => {
      probe.events.push(`hook saw ${await checkHealth(service.address)}`);
      probe.events.push(`hook saw ${await checkHealth(service.address, ECHO_SERVICE)} for Echo`);
    });
    await service.stop();
    // The provider's hook was registered first, through the SHUTDOWN_HOOKS token.
    expect(probe.events).toEqual([
      'provider hook ran',
      'hook saw NOT_SERVING',
      'hook saw NOT_SERVING for Echo',
    ]);
    expect(service.health.status).toBe('NOT_SERVING');
    expect(await portIsClosed(service.port)).toBe(true);
  });

  it('turns NOT_SERVING when a dependency check fails, and SERVING again when it recovers', async () => {
    let storeUp = true;
    const { service } = await startEcho({
      dependencies: [
        {
          name: 'object-store',
          timeoutMs: 500,
          check: () => {
            if (!storeUp) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
          },
        },
      ],
      dependencyCheckIntervalMs: 0,
    });
    expect(await checkHealth(service.address)).toBe('SERVING');
    storeUp = false;
    const results = await service.health.checkDependencies();
    expect(results).toMatchObject([
      { name: 'object-store', ok: false, problem: expect.stringContaining('ECONNREFUSED') },
    ]);
    expect(await checkHealth(service.address)).toBe('NOT_SERVING');
    expect(await checkHealth(service.address, ECHO_SERVICE)).toBe('NOT_SERVING');
    storeUp = true;
    await service.health.checkDependencies();
    expect(await checkHealth(service.address)).toBe('SERVING');
  });

  it('counts a dependency check that outlives its timeout as down, and aborts it', async () => {
    let aborted = false;
    const started = Date.now();
    const { service } = await startEcho({
      dependencies: [
        {
          name: 'hung-peer',
          timeoutMs: 150,
          check: (signal) =>
            new Promise(() => {
              signal.addEventListener('abort', () => (aborted = true));
            }),
        },
      ],
      dependencyCheckIntervalMs: 0,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(service.health.lastResults[0]).toMatchObject({ ok: false, problem: 'timed out after 150 ms' });
    expect(aborted).toBe(true);
    expect(await checkHealth(service.address)).toBe('NOT_SERVING');
  });

  it('re-checks dependencies periodically', async () => {
    let up = true;
    const { service } = await startEcho({
      dependencies: [
        { name: 'flaky', timeoutMs: 100, check: () => (up ? undefined : Promise.reject(new Error('down'))) },
      ],
      dependencyCheckIntervalMs: 30,
    });
    expect(service.health.status).toBe('SERVING');
    up = false;
    await until(() => service.health.status === 'NOT_SERVING');
    up = true;
    await until(() => service.health.status === 'SERVING');
  });

  it('lets an in-flight call finish on stop, runs the hooks, then closes the port', async () => {
    const { service, probe, client } = await startEcho({ drainTimeoutMs: 5_000 });
    service.beforeShutdown(() => probe.events.push('checkpoint written'));
    const inFlight = client.slow({ delayMs: 600, tag: 'a' });
    await until(() => probe.events.includes('slow a started'));
    const stopping = service.stop();
    await stopping;
    probe.events.push('stop resolved');
    await expect(inFlight).resolves.toMatchObject({ text: 'a' });
    expect(probe.events).toEqual([
      'slow a started',
      'provider hook ran',
      'checkpoint written',
      'slow a finished',
      'stop resolved',
    ]);
    expect(await portIsClosed(service.port)).toBe(true);
    await expect(service.stopped).resolves.toBeUndefined();
  });

  it('cuts calls that outlive the drain deadline', async () => {
    const { service, probe, client } = await startEcho({ drainTimeoutMs: 200 });
    const inFlight = failure(client.slow({ delayMs: 4_000, tag: 'b' }));
    await until(() => probe.events.includes('slow b started'));
    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((await inFlight).code).not.toBe(status.OK);
    expect(await portIsClosed(service.port)).toBe(true);
  });

  it('carries messages above 4 MiB up to the configured cap, and refuses larger ones', async () => {
    const { service, client } = await startEcho({ maxMessageBytes: 16 * 1024 * 1024 });
    const sixMiB = Buffer.alloc(6 * 1024 * 1024, 7);
    await expect(echo(client, { text: 'big', payload: sixMiB })).resolves.toMatchObject({
      payloadBytes: sixMiB.length,
    });
    const generous = clientFor(service.address, { maxMessageBytes: 64 * 1024 * 1024 });
    const tooBig = await failure(echo(generous, { payload: Buffer.alloc(17 * 1024 * 1024) }));
    expect(tooBig.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

describe('GrpcClient', () => {
  it('fails a call slower than its deadline with DEADLINE_EXCEEDED', async () => {
    const { client } = await startEcho();
    const started = Date.now();
    const error = await failure(client.slow({ delayMs: 3_000, tag: 'c' }, { deadlineMs: 200 }));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('applies the client default deadline when a call names none', async () => {
    const { service } = await startEcho();
    const hasty = createServiceClient(ECHO_DEFINITION, {
      address: service.address,
      deadlineMs: 150,
      credentials: certs.credentials('cli'),
    });
    clients.push(hasty);
    expect((await failure(hasty.slow({ delayMs: 3_000, tag: 'd' }))).code).toBe(status.DEADLINE_EXCEEDED);
  });

  /** A port that was just bound and released: nothing listens there until the test starts a server. */
  async function releasedPort(): Promise<number> {
    const { service } = await startEcho();
    await service.stop();
    running.splice(running.indexOf(service), 1);
    return service.port;
  }

  it('retries an idempotent call on UNAVAILABLE until the server comes up', async () => {
    const port = await releasedPort();
    const client = clientFor(`127.0.0.1:${port}`);
    const attempts: (number | undefined)[] = [];
    let serverStarting: Promise<unknown> | undefined;
    const reply = await echo(
      client,
      { text: 'eventually' },
      {
        idempotent: true,
        retry: { maxAttempts: 10 },
        onAttempt: (_n: number, error?: ServiceError) => {
          attempts.push(error?.code);
          serverStarting ??= startEcho({ port });
        },
      },
    );
    await serverStarting;
    expect(reply.text).toBe('eventually');
    expect(attempts[0]).toBe(status.UNAVAILABLE);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.at(-1)).toBeUndefined();
  });

  it('does not retry a call that is not marked idempotent', async () => {
    const port = await releasedPort();
    const client = clientFor(`127.0.0.1:${port}`);
    const attempts: (number | undefined)[] = [];
    let serverStarting: Promise<unknown> | undefined;
    const error = await failure(
      echo(
        client,
        { text: 'once' },
        {
          onAttempt: (_n: number, e?: ServiceError) => {
            attempts.push(e?.code);
            serverStarting ??= startEcho({ port });
          },
        },
      ),
    );
    await serverStarting;
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(attempts).toEqual([status.UNAVAILABLE]);
  });

  it('does not retry an idempotent call on a status other than UNAVAILABLE', async () => {
    const { client } = await startEcho();
    const attempts: (number | undefined)[] = [];
    const error = await failure(
      client.fail(
        { kind: 'not_found' },
        { idempotent: true, onAttempt: (_n: number, e?: ServiceError) => attempts.push(e?.code) },
      ),
    );
    expect(error.code).toBe(status.NOT_FOUND);
    expect(attempts).toEqual([status.NOT_FOUND]);
  });

  it('retries by default what the .proto marks idempotent (Fail: NO_SIDE_EFFECTS), unless the call opts out', async () => {
    const { client } = await startEcho();
    const attempts: (number | undefined)[] = [];
    const onAttempt = (_n: number, e?: ServiceError) => attempts.push(e?.code);
    const retry = { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 };
    expect((await failure(client.fail({ kind: 'unavailable' }, { retry, onAttempt }))).code).toBe(
      status.UNAVAILABLE,
    );
    expect(attempts).toEqual([status.UNAVAILABLE, status.UNAVAILABLE, status.UNAVAILABLE]);
    attempts.length = 0;
    await failure(client.fail({ kind: 'unavailable' }, { retry, onAttempt, idempotent: false }));
    expect(attempts).toEqual([status.UNAVAILABLE]);
  });

  it('sends the run id in x-run-id; the handler and its log lines see it', async () => {
    const { service, client, lines } = await startEcho();
    const reply = await echo(client, { text: 'r' }, { runId: 'run-42' });
    expect(reply).toMatchObject({ runId: 'run-42', loggedRunId: 'run-42' });
    const handled = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'echo handled');
    expect(handled).toEqual([
      expect.objectContaining({
        service: 'echo',
        level: 'info',
        runId: 'run-42',
        method: `/${ECHO_SERVICE}/Echo`,
      }),
    ]);
    const byDefault = clientFor(service.address, { runId: 'run-default' });
    expect((await echo(byDefault, { text: 'r' })).runId).toBe('run-default');
    expect((await echo(client, { text: 'r' })).runId).toBe('');
  });

  it('streams server messages as an async iterator', async () => {
    const { client } = await startEcho();
    const seen: number[] = [];
    for await (const { n } of client.count({ to: 5, intervalMs: 5 })) seen.push(n);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('cancels the server stream when the consumer leaves the loop', async () => {
    const { client, probe } = await startEcho();
    const seen: number[] = [];
    for await (const { n } of client.count({ to: 10_000, intervalMs: 10 })) {
      seen.push(n);
      if (n === 3) break;
    }
    await until(() => probe.streamsFinalized === 1);
    const emittedAtCancel = probe.emitted;
    await sleep(100);
    expect(probe.emitted).toBe(emittedAtCancel);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('cancels a server stream through an AbortSignal', async () => {
    const { client, probe } = await startEcho();
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await failure(
      (async () => {
        for await (const { n } of client.count(
          { to: 10_000, intervalMs: 10 },
          { signal: controller.signal },
        )) {
          seen.push(n);
          if (n === 2) controller.abort();
        }
      })(),
    );
    expect(error.code).toBe(status.CANCELLED);
    await until(() => probe.streamsFinalized === 1);
    expect(seen.length).toBeLessThan(5);
  });
});

describe('client streams', () => {
  it('writes every request of an iterable and resolves with the answer', async () => {
    const { client } = await startEcho();
    const chunks = Array.from({ length: 5 }, (_, i) => ({ chunk: new Uint8Array(1024 * 1024).fill(i) }));
    await expect(client.collect(chunks)).resolves.toEqual({ chunks: 5, bytes: 5 * 1024 * 1024 });
    await expect(client.collect([])).resolves.toEqual({ chunks: 0, bytes: 0 });
  });

  it('stops reading the source once the server has refused the stream', async () => {
    const { client } = await startEcho();
    let produced = 0;
    async function* many() {
      for (; produced < 1_000; produced++) yield { chunk: new Uint8Array(256 * 1024), failAfter: 2 };
    }
    const error = await failure(client.collect(many()));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('chunk: more than 2 chunks');
    // Backpressure and the early answer keep the producer far from the end of its 256 MiB.
    expect(produced).toBeLessThan(1_000);
  });
});

describe('errors over the wire', () => {
  const cases: [kind: string, code: status, details: string][] = [
    ['invalid_argument', status.INVALID_ARGUMENT, 'learningRate: must be positive'],
    ['not_found', status.NOT_FOUND, 'run r-1 does not exist'],
    ['already_exists', status.ALREADY_EXISTS, 'dataset d-1 is already registered'],
    ['failed_precondition', status.FAILED_PRECONDITION, 'run r-1 has not finished'],
    ['data_loss', status.DATA_LOSS, 'digest mismatch for stats/3.bin'],
    ['unavailable', status.UNAVAILABLE, 'object store unreachable'],
    ['library', status.DATA_LOSS, 'checksum mismatch in learningRate'],
    ['library_invalid', status.INVALID_ARGUMENT, 'learningRate: empty class'],
    ['unexpected', status.INTERNAL, 'internal error'],
  ];

  it.each(cases)('%s arrives as status %i with its details', async (kind, code, details) => {
    const { client } = await startEcho();
    const error = await failure(client.fail({ kind, field: 'learningRate' }));
    expect({ code: error.code, details: error.details }).toEqual({ code, details });
  });

  it('names the invalid field in a trailer too', async () => {
    const { client } = await startEcho();
    const error = await failure(client.fail({ kind: 'invalid_argument', field: 'seed' }));
    expect(error.metadata.get(INVALID_FIELD_METADATA_KEY)).toEqual(['seed']);
  });

  it('logs an unexpected error server-side instead of sending its text', async () => {
    const { client, lines } = await startEcho();
    const error = await failure(client.fail({ kind: 'unexpected', field: 'hunter2' }));
    expect(error.details).not.toContain('hunter2');
    expect(lines.some((l) => l.includes('secret-bearing internal failure: hunter2'))).toBe(true);
  });

  it('passes metadata set by the caller through unchanged', async () => {
    const { client } = await startEcho();
    const metadata = new Metadata();
    metadata.set('x-run-id', 'from-metadata');
    expect((await echo(client, { text: 'm' }, { metadata, runId: 'ignored' })).runId).toBe('from-metadata');
  });
});
