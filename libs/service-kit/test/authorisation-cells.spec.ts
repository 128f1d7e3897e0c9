import * as grpc from '@grpc/grpc-js';
import { SERVICE_DEFINITIONS } from '@slca/contracts/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTHORISATION,
  authorisationInterceptor,
  createLogger,
  createServiceClient,
  IDENTITIES,
  methodPath,
  serverCredentials,
  testCertificates,
  type Identity,
  type ServiceDefinition,
} from '../src/index';

/*
 * Every cell of the authorisation table, over real mutual TLS on loopback: each identity's certificate
 * calls each method of each platform service (the cells come from the generated service definitions and
 * the table, never from a list written here). The server is a bare grpc-js server with the interceptor
 * and credentials the services use and handlers that answer an empty message, so an allowed call is OK
 * and a refused one PERMISSION_DENIED naming the identity and the method.
 */

const certs = await testCertificates();
const denials: Record<string, unknown>[] = [];
let server: grpc.Server;
let address: string;

type AnyDefinition = ServiceDefinition & {
  methods: Record<
    string,
    ServiceDefinition['methods'][string] & {
      requestType: { decode(b: Uint8Array): unknown };
      responseType: { encode(m: unknown): { finish(): Uint8Array }; fromPartial(o: object): unknown };
    }
  >;
};
const definitions = Object.values(SERVICE_DEFINITIONS) as unknown as AnyDefinition[];

/** The grpc-js form of a generated definition, with handlers that answer the empty response. */
function serviceOf(definition: AnyDefinition) {
  const service: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    const empty = () => method.responseType.fromPartial({});
    service[key] = {
      path: methodPath(definition, key),
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: () => Buffer.alloc(0),
      requestDeserialize: (bytes: Buffer) => method.requestType.decode(bytes),
      responseSerialize: (message: unknown) => Buffer.from(method.responseType.encode(message).finish()),
      responseDeserialize: () => undefined,
    };
    handlers[key] = method.responseStream
      ? (call: grpc.ServerWritableStream<unknown, unknown>) => call.end()
      : (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, empty());
  }
  return { service, handlers };
}

beforeAll(async () => {
  const logger = createLogger({
    service: 'cells',
    level: 'warn',
    write: (line) => denials.push(JSON.parse(line) as Record<string, unknown>),
  });
  server = new grpc.Server({ interceptors: [authorisationInterceptor(logger)] });
  for (const definition of definitions) {
    const { service, handlers } = serviceOf(definition);
    server.addService(service, handlers);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(certs.material('splitter')), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => server.forceShutdown());

/** The status a call of `key` with `request` ends with, as `identity`. */
async function statusOf(
  identity: Identity,
  definition: AnyDefinition,
  key: string,
  request: object = {},
): Promise<{ code: grpc.status; details: string }> {
  const client = createServiceClient(definition, {
    address,
    deadlineMs: 5_000,
    credentials: certs.credentials(identity),
    retry: { maxAttempts: 1 },
  }) as unknown as Record<string, (r: object) => unknown> & { close(): void };
  try {
    const result = client[key](request);
    if (definition.methods[key].responseStream) {
      for await (const _ of result as AsyncIterable<unknown>) void _;
    } else await result;
    return { code: grpc.status.OK, details: '' };
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: e.code, details: e.details };
  } finally {
    client.close();
  }
}

const cells = definitions.flatMap((definition) =>
  Object.keys(definition.methods).flatMap((key) =>
    IDENTITIES.map((identity) => ({ definition, key, identity, path: methodPath(definition, key) })),
  ),
);

describe('the authorisation table', () => {
  it('has a rule for every RPC of every service, and no rule for an RPC that does not exist', () => {
    const paths = definitions.flatMap((d) => Object.keys(d.methods).map((key) => methodPath(d, key)));
    expect(paths.filter((path) => !AUTHORISATION.has(path))).toEqual([]);
    expect([...AUTHORISATION.keys()].filter((path) => !paths.includes(path))).toEqual([]);
    expect(paths.length).toBe(26);
  });

  it('keeps the spirit: only runners write statistics and request evaluations; only the operator reads server paths', () => {
    const callers = (path: string) => [...(AUTHORISATION.get(path)?.callers ?? [])].sort();
    expect(callers('/slca.v1.StatisticsService/PutClassStatistics')).toEqual(['job', 'trainer']);
    expect(callers('/slca.v1.StatisticsService/SampleFeatures')).toEqual(['job', 'trainer']);
    expect(callers('/slca.v1.EvaluatorService/EvaluateCheckpoint')).toEqual(['job', 'trainer']);
    expect(callers('/slca.v1.SplitterService/ImportFolderDataset')).toEqual(['operator']);
    expect(callers('/slca.v1.SplitterService/ImportBenchmarkDataset')).toEqual(['operator']);
    expect(callers('/slca.v1.TrainerService/CancelRun')).toEqual(['cli', 'dashboard']);
    expect(callers('/slca.v1.TrainerService/StartRun')).toEqual(['cli', 'dashboard']);
  });

  it.each(cells.map((c) => [c.identity, c.path, c] as const))('%s → %s', async (_i, _p, cell) => {
    const allowed = (AUTHORISATION.get(cell.path)?.callers as readonly string[]).includes(cell.identity);
    const { code, details } = await statusOf(cell.identity, cell.definition, cell.key);
    if (allowed) {
      expect(code).toBe(grpc.status.OK);
    } else {
      expect(code).toBe(grpc.status.PERMISSION_DENIED);
      expect(details).toBe(`identity ${cell.identity} may not call ${cell.path.slice(1)}`);
      expect(denials).toContainEqual(
        expect.objectContaining({ msg: 'permission denied', identity: cell.identity, method: cell.path }),
      );
    }
  });

  it.each(IDENTITIES.map((identity) => [identity]))(
    'RegisterBackbone with a path on the splitter host as %s: only the operator',
    async (identity) => {
      const splitter = SERVICE_DEFINITIONS.splitter as unknown as AnyDefinition;
      const { code, details } = await statusOf(identity, splitter, 'registerBackbone', {
        name: 'b',
        arch: 'vit-emoji',
        path: '/etc/passwd',
      });
      if (identity === 'operator') expect(code).toBe(grpc.status.OK);
      else {
        expect(code).toBe(grpc.status.PERMISSION_DENIED);
        expect(details).toContain(
          `identity ${identity} may not call slca.v1.SplitterService/RegisterBackbone`,
        );
        // Nothing about the path is echoed back: the refusal comes before anything reads it.
        expect(details).not.toContain('/etc/passwd');
      }
    },
  );

  it('lets the dashboard register an upload (no path)', async () => {
    const splitter = SERVICE_DEFINITIONS.splitter as unknown as AnyDefinition;
    const { code } = await statusOf('dashboard', splitter, 'registerBackbone', {
      name: 'b',
      arch: 'vit-emoji',
      upload: { key: 'uploads/backbones/u/w.safetensors', size: 1, sha256: 'ab' },
    });
    expect(code).toBe(grpc.status.OK);
  });
});
