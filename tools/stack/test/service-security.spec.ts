import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  AUTHORISATION,
  checkHealth,
  createServiceClient,
  IDENTITIES,
  methodPath,
  testCertificates,
  type Identity,
  type ServiceDefinition,
} from '@slca/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERVICE_CONTRACTS,
  spawnService,
  startObjectStore,
  startServiceUnderTest,
  type ObjectStoreFixture,
  type ServiceApp,
  type ServiceUnderTest,
} from '../src/service-process';

/*
 * The four services as their own processes, as a user would reach them on loopback:
 * - every service port refuses, at the handshake, a plain-text client, a TLS client without a certificate,
 *   and a certificate of another CA (even one that names a known identity);
 * - every plain-text health port answers grpc.health.v1 without a certificate and serves nothing else;
 * - every cell of the authorisation table that the table refuses is PERMISSION_DENIED by the real process
 *   (naming identity and method, and logged), and every allowed read (the .proto's NO_SIDE_EFFECTS
 *   methods) is answered with something else. Allowed writes are left to the table's cell test
 *   (libs/service-kit/test/authorisation-cells.spec.ts): an empty request to them could start real work.
 */

const APPS = Object.keys(SERVICE_CONTRACTS) as ServiceApp[];
const certs = await testCertificates();
const foreign = await testCertificates('foreign');
let store: ObjectStoreFixture;
const services = new Map<ServiceApp, ServiceUnderTest>();

beforeAll(async () => {
  store = await startObjectStore('slca-security');
  for (const app of APPS) services.set(app, await startServiceUnderTest(app, store, 10_000));
}, 240_000);

afterAll(async () => {
  for (const service of services.values()) await service.stop();
  await store?.close();
}, 60_000);

const service = (app: ServiceApp) => services.get(app) as ServiceUnderTest;
const definitionOf = (app: ServiceApp) => SERVICE_CONTRACTS[app].definition as unknown as ServiceDefinition;

/** The status one unary or server-streaming call ends with. */
async function statusOf(
  address: string,
  definition: ServiceDefinition,
  key: string,
  credentials: grpc.ChannelCredentials,
  request: object = {},
): Promise<{ code: grpc.status; details: string }> {
  const client = createServiceClient(definition, {
    address,
    deadlineMs: 10_000,
    streamDeadlineMs: 2_000,
    credentials,
    retry: { maxAttempts: 1 },
  }) as unknown as Record<string, (r: object) => unknown> & { close(): void };
  try {
    const result = client[key](request);
    if (definition.methods[key].responseStream) {
      for await (const _ of result as AsyncIterable<unknown>) break;
    } else await result;
    return { code: grpc.status.OK, details: '' };
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: e.code, details: e.details };
  } finally {
    client.close();
  }
}

/** A read every service has: the first NO_SIDE_EFFECTS method. */
const aRead = (app: ServiceApp) =>
  Object.entries(definitionOf(app).methods).find(
    ([, m]) => m.options.idempotencyLevel === 'NO_SIDE_EFFECTS' && !m.responseStream,
  )?.[0] as string;

describe.each(APPS.map((app) => [app]))('the %s port', (app) => {
  it('answers a certificate of the platform CA', async () => {
    expect(await checkHealth(service(app).address, '', 5_000, certs.credentials('cli'))).toBe('SERVING');
  });

  it('refuses plain text, a TLS client without a certificate, and another CA, at the handshake', async () => {
    const cli = certs.material('cli');
    const stranger = foreign.material('trainer');
    const clients: [string, grpc.ChannelCredentials][] = [
      ['plain text', grpc.credentials.createInsecure()],
      ['no certificate', grpc.credentials.createSsl(cli.ca)],
      ['another CA, named trainer', grpc.credentials.createSsl(cli.ca, stranger.key, stranger.cert)],
    ];
    for (const [what, credentials] of clients) {
      const { code } = await statusOf(service(app).address, definitionOf(app), aRead(app), credentials);
      expect(code, what).toBe(grpc.status.UNAVAILABLE);
    }
  });

  it('has a plain-text health port that answers without a certificate and serves nothing else', async () => {
    const { healthAddress } = service(app);
    expect(healthAddress).not.toBe(service(app).address);
    expect(await checkHealth(healthAddress)).toBe('SERVING');
    expect(await checkHealth(healthAddress, definitionOf(app).fullName)).toBe('SERVING');
    const { code } = await statusOf(
      healthAddress,
      definitionOf(app),
      aRead(app),
      grpc.credentials.createInsecure(),
    );
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
  });

  const cells = Object.keys(definitionOf(app).methods).flatMap((key) =>
    IDENTITIES.map((identity) => ({ key, identity, path: methodPath(definitionOf(app), key) })),
  );
  const allowed = (c: { identity: Identity; path: string }) =>
    (AUTHORISATION.get(c.path)?.callers ?? []).includes(c.identity);

  it('refuses every cell the table denies, naming identity and method, and logs each', async () => {
    const denied = cells.filter((c) => !allowed(c));
    expect(denied.length).toBeGreaterThan(0);
    for (const cell of denied) {
      const { code, details } = await statusOf(
        service(app).address,
        definitionOf(app),
        cell.key,
        certs.credentials(cell.identity),
      );
      expect(code, `${cell.identity} → ${cell.path}`).toBe(grpc.status.PERMISSION_DENIED);
      expect(details).toBe(`identity ${cell.identity} may not call ${cell.path.slice(1)}`);
    }
    // The process's log lines arrive through its stdout pipe: give the last ones a moment.
    const loggedAll = () =>
      denied.every((cell) =>
        service(app).lines.some(
          (l) => l.msg === 'permission denied' && l.identity === cell.identity && l.method === cell.path,
        ),
      );
    for (let waited = 0; !loggedAll() && waited < 5_000; waited += 50) await sleep(50);
    const logged = service(app).lines.filter((l) => l.msg === 'permission denied');
    for (const cell of denied)
      expect(logged).toContainEqual(expect.objectContaining({ identity: cell.identity, method: cell.path }));
  }, 120_000);

  it('answers every allowed read with something other than PERMISSION_DENIED', async () => {
    const reads = cells.filter(
      (c) => allowed(c) && definitionOf(app).methods[c.key].options.idempotencyLevel === 'NO_SIDE_EFFECTS',
    );
    expect(reads.length).toBeGreaterThan(0);
    for (const cell of reads) {
      const { code, details } = await statusOf(
        service(app).address,
        definitionOf(app),
        cell.key,
        certs.credentials(cell.identity),
      );
      expect(code, `${cell.identity} → ${cell.path}: ${details}`).not.toBe(grpc.status.PERMISSION_DENIED);
      expect(code, `${cell.identity} → ${cell.path}: ${details}`).not.toBe(grpc.status.UNAVAILABLE);
    }
  }, 120_000);
});

describe('requests that reach the host of the splitter', () => {
  it('a folder import or a backbone path from anyone but the operator is refused before anything is read', async () => {
    const splitter = service('splitter');
    const definition = definitionOf('splitter');
    for (const identity of ['dashboard', 'cli', 'trainer'] as const) {
      const folder = await statusOf(
        splitter.address,
        definition,
        'importFolderDataset',
        certs.credentials(identity),
        {
          name: 'x',
          path: '/root',
        },
      );
      expect(folder.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(folder.details).not.toContain('/root');
    }
    // The dashboard may register an upload, not a path (the check reads the request as the server decodes it).
    const path = await statusOf(
      splitter.address,
      definition,
      'registerBackbone',
      certs.credentials('dashboard'),
      {
        name: 'b',
        arch: 'vit-emoji',
        path: '/etc/passwd',
      },
    );
    expect(path.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(path.details).toBe(
      'identity dashboard may not call slca.v1.SplitterService/RegisterBackbone with path set (only operator may)',
    );
    const upload = await statusOf(
      splitter.address,
      definition,
      'registerBackbone',
      certs.credentials('dashboard'),
      {
        name: 'b',
        arch: 'vit-emoji',
        upload: { key: 'uploads/backbones/none/w.safetensors', size: 1, sha256: '0'.repeat(64) },
      },
    );
    expect(upload.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('a service without TLS material', () => {
  it('does not start, and names every variable that is missing', async () => {
    const started = spawnService('splitter', {
      env: { SLCA_SPLITTER_PORT: '0', SLCA_TLS_CA: certs.files('splitter').ca, ...store.env },
    });
    await expect(started).rejects.toThrow(/exited \(1\) before listening/);
    const message = await started.catch((error: Error) => error.message);
    expect(message).toContain('SLCA_TLS_CERT: is required');
    expect(message).toContain('SLCA_TLS_KEY: is required');
    expect(message).not.toContain('SLCA_TLS_CA: is required');
  }, 60_000);
});
