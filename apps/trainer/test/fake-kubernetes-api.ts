import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Job } from '@kubernetes/client-node';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/**
 * A stand-in for the Kubernetes API server (no cluster exists on these machines): speaks the three Job
 * endpoints the executor uses (create, read, delete) with Kubernetes' status codes and Status bodies, and
 * records every call. The test plays the Job controller by setting a Job's status.
 */
export class FakeKubernetesApi {
  readonly jobs = new Map<string, V1Job>();
  readonly calls: RecordedCall[] = [];
  /** Answer the next N reads with 503, as an API server that is briefly away. */
  failReads = 0;
  /** Answer reads only after this many milliseconds, as a loaded API server (or test machine) does. */
  readDelayMs = 0;
  private readonly server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Plays the Job controller: marks a Job as ended. */
  finish(name: string, type: 'Complete' | 'Failed', reason = '', message = ''): void {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no Job ${name}`);
    job.status = {
      ...job.status,
      conditions: [{ type, status: 'True', reason, message, lastTransitionTime: new Date() } as never],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.calls.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body });

    const collection = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/.exec(url.pathname);
    const item = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/.exec(url.pathname);
    if (collection && req.method === 'POST') {
      const job = body as V1Job;
      const name = job.metadata?.name ?? '';
      if (this.jobs.has(name))
        return this.status(res, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`);
      const stored: V1Job = {
        ...job,
        metadata: {
          ...job.metadata,
          namespace: collection[1],
          uid: randomUUID(),
          creationTimestamp: new Date(),
        },
        status: {},
      };
      this.jobs.set(name, stored);
      return this.json(res, 201, stored);
    }
    if (item && req.method === 'GET') {
      if (this.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.readDelayMs));
      if (this.failReads > 0) {
        this.failReads -= 1;
        return this.status(
          res,
          503,
          'ServiceUnavailable',
          'the server is currently unable to handle the request',
        );
      }
      const job = this.jobs.get(item[2]);
      return job
        ? this.json(res, 200, job)
        : this.status(res, 404, 'NotFound', `jobs.batch "${item[2]}" not found`);
    }
    if (item && req.method === 'DELETE') {
      if (!this.jobs.delete(item[2]))
        return this.status(res, 404, 'NotFound', `jobs.batch "${item[2]}" not found`);
      return this.status(res, 200, '', '', 'Success');
    }
    return this.status(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);
  }

  private json(res: ServerResponse, code: number, value: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  }

  private status(
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    status = 'Failure',
  ): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status, message, reason, code });
  }
}
