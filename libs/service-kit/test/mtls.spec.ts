import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkHealth,
  createLogger,
  createServiceClient,
  startGrpcService,
  testCertificates,
  type GrpcService,
  type TlsMaterial,
} from '../src/index';
import {
  ECHO_AUTHORISATION,
  ECHO_DEFINITION,
  ECHO_PACKAGE,
  ECHO_PROTO,
  ECHO_SERVICE,
  EchoModule,
  Probe,
} from './echo.module';

/*
 * The transport side of a service: its port speaks mutual TLS only (a client without a certificate of the
 * platform's CA fails at the handshake, whatever it claims to be), its health port speaks plain text and
 * serves grpc.health.v1 alone, and a service without TLS material does not start.
 */

const certs = await testCertificates();
const foreign = await testCertificates('foreign');
const lines: Record<string, unknown>[] = [];
let service: GrpcService;

beforeAll(async () => {
  service = await startGrpcService({
    name: 'echo',
    module: EchoModule.with(new Probe()),
    protoPath: ECHO_PROTO,
    package: ECHO_PACKAGE,
    port: 0,
    healthPort: 0,
    handleSignals: false,
    tls: certs.material('splitter'),
    authorisation: ECHO_AUTHORISATION,
    logger: createLogger({
      service: 'echo',
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    }),
  });
});

afterAll(() => service.stop('test finished'));

async function echoAs(
  credentials: grpc.ChannelCredentials,
  request: object = { text: 'hi' },
  address?: string,
) {
  const client = createServiceClient(ECHO_DEFINITION, {
    address: address ?? service.address,
    deadlineMs: 3_000,
    credentials,
  });
  try {
    return { ok: await client.echo(request) };
  } catch (error) {
    return { error: error as grpc.ServiceError };
  } finally {
    client.close();
  }
}

describe('the service port', () => {
  it('answers a client holding a certificate of the platform CA', async () => {
    expect((await echoAs(certs.credentials('cli'))).ok).toMatchObject({ text: 'hi' });
    expect(await checkHealth(service.address, ECHO_SERVICE, 2_000, certs.credentials('dashboard'))).toBe(
      'SERVING',
    );
  });

  it('refuses a plain-text client at the handshake', async () => {
    const { error } = await echoAs(grpc.credentials.createInsecure());
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    await expect(checkHealth(service.address)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses a TLS client that presents no certificate', async () => {
    const { error } = await echoAs(grpc.credentials.createSsl(certs.material('cli').ca));
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a certificate of another CA, even one naming a known identity', async () => {
    const stranger: TlsMaterial = { ...foreign.material('cli'), ca: certs.material('cli').ca };
    const { error } = await echoAs(grpc.credentials.createSsl(stranger.ca, stranger.key, stranger.cert));
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    // ...and the client refuses a server whose certificate is not of the CA it trusts.
    const { error: untrusted } = await echoAs(foreign.credentials('cli'));
    expect(untrusted?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses, by the table, a known identity the method is not open to, naming both, and logs it', async () => {
    const { error } = await echoAs(certs.credentials('trainer'));
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error?.details).toBe(`identity trainer may not call ${ECHO_SERVICE}/Echo`);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'permission denied',
        identity: 'trainer',
        method: `/${ECHO_SERVICE}/Echo`,
      }),
    );
  });

  it('checks the request fields the table names (as Nest decodes them): dashboard may echo, not send a payload', async () => {
    const plain = await echoAs(certs.credentials('dashboard'), { text: 'x' });
    expect(plain.error?.details).toBeUndefined();
    expect(plain.ok).toMatchObject({ text: 'x' });
    const { error } = await echoAs(certs.credentials('dashboard'), {
      text: 'x',
      payload: Buffer.from('abc'),
    });
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error?.details).toContain(`identity dashboard may not call ${ECHO_SERVICE}/Echo with payload set`);
    expect((await echoAs(certs.credentials('cli'), { payload: Buffer.from('abc') })).ok).toMatchObject({
      payloadBytes: 3,
    });
  });
});

describe('the health port', () => {
  it('answers grpc.health.v1 in plain text, without a certificate', async () => {
    expect(service.healthAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(service.healthAddress).not.toBe(service.address);
    expect(await checkHealth(String(service.healthAddress))).toBe('SERVING');
    expect(await checkHealth(String(service.healthAddress), ECHO_SERVICE)).toBe('SERVING');
  });

  it('serves nothing else', async () => {
    const { error } = await echoAs(grpc.credentials.createInsecure(), { text: 'hi' }, service.healthAddress);
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('without TLS material', () => {
  it('the service does not start, and says what is missing', async () => {
    await expect(
      startGrpcService({
        name: 'echo',
        module: EchoModule.with(new Probe()),
        protoPath: ECHO_PROTO,
        package: ECHO_PACKAGE,
        port: 0,
        handleSignals: false,
        tls: undefined as unknown as TlsMaterial,
      }),
    ).rejects.toThrow(
      'echo: no TLS material (tls.ca, tls.cert, tls.key); gRPC is served over mutual TLS only',
    );
  });
});
