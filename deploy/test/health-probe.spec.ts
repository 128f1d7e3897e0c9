import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_ROOT } from './render';

const PROBE = join(DEPLOY_ROOT, 'docker/grpc-health-probe.mjs');
/** Runs the probe as its own process; asynchronously, since the server under test lives in this one. */
function probe(address: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, address, '', '2000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

describe('the images’ gRPC health probe (deploy/docker/grpc-health-probe.mjs)', () => {
  const server = new Server();
  const health = new HealthImplementation({ '': 'SERVING' });
  let address = '';

  beforeAll(async () => {
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('exits 0 for a SERVING server', async () => {
    const run = await probe(address);
    expect(run.stdout).toContain('SERVING');
    expect(run.status).toBe(0);
  });

  it('exits 1 for NOT_SERVING (a draining or unhealthy server)', async () => {
    health.setStatus('', 'NOT_SERVING');
    const run = await probe(address);
    health.setStatus('', 'SERVING');
    expect(run.stdout).toContain('NOT_SERVING');
    expect(run.status).toBe(1);
  });

  it('exits 1 when nothing listens', async () => {
    const run = await probe('127.0.0.1:1');
    expect(run.stdout).toContain('error');
    expect(run.status).toBe(1);
  });
});
