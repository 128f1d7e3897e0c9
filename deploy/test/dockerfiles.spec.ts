import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY_ROOT } from './render';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped (no Docker engine here). */
function parseDockerfile(file: string): Instruction[] {
  const text = readFileSync(join(DEPLOY_ROOT, 'docker', file), 'utf8');
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  return lines
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const IMAGES = {
  'Dockerfile.splitter': { app: 'splitter', port: 50051 },
  'Dockerfile.trainer': { app: 'trainer', port: 50052 },
  'Dockerfile.stats-store': { app: 'stats-store', port: 50053 },
  'Dockerfile.evaluator': { app: 'evaluator', port: 50054 },
  'Dockerfile.trainer-gpu': { app: 'trainer', port: 50052 },
  'Dockerfile.dashboard': { app: 'dashboard', port: 3000 },
} as const;

describe.each(Object.entries(IMAGES))('%s', (file, { app, port }) => {
  const instructions = parseDockerfile(file);
  const stages = instructions.filter((i) => i.op === 'FROM');
  const last = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]));

  it('is multi-stage: an Nx build stage, and a runtime stage that copies only its output', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0].args).toMatch(/ AS build$/);
    const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci'))).toBe(true);
    expect(runs.some((r) => r.includes(`npx nx run @slca/${app}:build`))).toBe(true);
    const copies = last.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies.filter((c) => c.startsWith('--from=build')).length).toBeGreaterThan(0);
    expect(copies.some((c) => /\s\.\s+\.$/.test(` ${c}`))).toBe(false);
    if (app !== 'dashboard')
      expect(copies).toContain(`--from=build /workspace/dist/apps/${app} ./dist/apps/${app}`);
    else expect(copies).toContain('--from=build /workspace/apps/dashboard/.next ./apps/dashboard/.next');
  });

  it('runs as a non-root user with a health check on its plain-text health port (services: port + 100)', () => {
    const users = last.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    // Numeric, so the kubelet can check runAsNonRoot against it.
    expect(users[users.length - 1].args).toMatch(/^[1-9]\d*(:\d+)?$/);
    const health = last.filter((i) => i.op === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    // The gRPC port of a service speaks mutual TLS only; its health is served in plain text beside it.
    const healthPort = app === 'dashboard' ? port : port + 100;
    expect(health[0].args).toContain(`127.0.0.1:${healthPort}`);
    if (app !== 'dashboard')
      expect(last.some((i) => i.op === 'ENV' && i.args.includes(`SLCA_HEALTH_PORT=${healthPort}`))).toBe(
        true,
      );
    expect(last.some((i) => i.op === 'EXPOSE' && i.args === String(port))).toBe(true);
  });

  it('bakes no secret into the image', () => {
    for (const i of instructions.filter((x) => ['ENV', 'ARG', 'LABEL'].includes(x.op)))
      expect(i.args, `${i.op} ${i.args}`).not.toMatch(/SECRET|PASSWORD|ACCESS_KEY|TOKEN|MINIO_ROOT/i);
    for (const i of instructions.filter((x) => x.op === 'COPY' || x.op === 'ADD'))
      expect(i.args).not.toMatch(/\.env|\.pem|\.key|kubeconfig|secret/i);
  });
});

describe('Dockerfile.trainer-gpu', () => {
  const instructions = parseDockerfile('Dockerfile.trainer-gpu');

  it('runs on a CUDA runtime base with tfjs-node-gpu 4.22.0 installed at build time', () => {
    const args = instructions.filter((i) => i.op === 'ARG').map((i) => i.args);
    expect(args.some((a) => /^CUDA_IMAGE=nvidia\/cuda:[\w.-]+-cudnn\d*-runtime-/.test(a))).toBe(true);
    const from = instructions.filter((i) => i.op === 'FROM').map((i) => i.args);
    expect(from[from.length - 1]).toBe('${CUDA_IMAGE} AS runtime');
    const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(
      runs.some((r) => r.includes('npm install') && r.includes('@tensorflow/tfjs-node-gpu@4.22.0')),
    ).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps installed modules, build output, git metadata and local env files out of the build context', () => {
    const rules = readFileSync(join(DEPLOY_ROOT, '..', '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const rule of ['**/node_modules', 'dist', '.git', '**/.env', '**/.env.*', '**/.next'])
      expect(rules).toContain(rule);
  });
});
