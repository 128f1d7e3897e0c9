import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../test/run-cli';
import { staleGoldenFiles } from './commands/exps';

const dir = mkdtempSync(join(tmpdir(), 'slca-experiment-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = join(REPO_ROOT, 'libs/engine/test/fixtures/torch');
const TINY = '{"imageSize":8,"patchSize":4,"dim":8,"depth":1,"heads":2,"mlpDim":16}';

describe('exps/: the golden experiment files', () => {
  it('equal what the engine defines (one source), and a changed or foreign file is caught', () => {
    expect(staleGoldenFiles(join(REPO_ROOT, 'exps'))).toEqual([]);
    const copy = join(dir, 'exps');
    cpSync(join(REPO_ROOT, 'exps'), copy, { recursive: true });
    writeFileSync(join(copy, 'slca-cifar100-in21k.yaml'), 'extends: cifar100/in21k/slca\n');
    writeFileSync(join(copy, 'mine.yaml'), 'extends: cifar100/in21k/sl\n');
    expect(staleGoldenFiles(copy)).toEqual([
      'slca-cifar100-in21k.yaml',
      'mine.yaml (not a golden configuration)',
    ]);
    const check = runCli(['exps', '--check', '--dir', copy]);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('differs from the engine');
  });
});

describe('slca backbone register / list (the local registry)', () => {
  const registry = join(dir, 'registry');
  const register = (name: string, file: string, arch = TINY) =>
    runCli(['backbone', 'register', '--file', file, '--arch', arch, '--name', name, '--registry', registry]);

  it('registers a torch.save file and a safetensors file of the same weights with one digest', () => {
    const a = register('tiny-pt', join(FIXTURES, 'vit-tiny.pt'));
    expect(a.status, a.stderr).toBe(0);
    const b = register('tiny-st', join(FIXTURES, 'vit-tiny.safetensors'));
    expect(b.status, b.stderr).toBe(0);
    const list = runCli(['backbone', 'list', '--json', '--registry', registry]);
    const rows = JSON.parse(list.stdout) as { name: string; digest: string; sourceFormat: string }[];
    expect(rows.map((r) => [r.name, r.sourceFormat])).toEqual([
      ['tiny-pt', 'torch'],
      ['tiny-st', 'safetensors'],
    ]);
    expect(rows[0].digest).toBe(rows[1].digest);
    expect(existsSync(join(registry, 'backbones', 'tiny-pt', 'weights.safetensors'))).toBe(true);
  });

  it('refuses a file that does not fit, a malicious pickle and a bad name with exit 2, storing nothing', () => {
    const wide = register('wide', join(FIXTURES, 'vit-tiny.pt'), TINY.replace('"dim":8', '"dim":16'));
    expect(wide.status).toBe(2);
    expect(wide.stderr).toMatch(/tensor '[^']+' has shape \[[\d,]+\], expected \[[\d,]+\]/);
    const evil = register('evil', join(FIXTURES, 'malicious.pt'));
    expect(evil.status).toBe(2);
    expect(evil.stderr).toContain('refusing global');
    expect(register('Bad Name', join(FIXTURES, 'vit-tiny.pt')).status).toBe(2);
    expect(register('missing', join(dir, 'nope.pt')).status).toBe(2);
    for (const name of ['wide', 'evil', 'missing'])
      expect(existsSync(join(registry, 'backbones', name))).toBe(false);
  });
});

describe('slca run --config: a bad experiment is refused before anything runs (exit 2, the field named)', () => {
  const out = join(dir, 'never.json');
  const run = (yaml: string, ...extra: string[]) => {
    const file = join(dir, `exp-${Math.abs(yaml.length * 31 + extra.length)}.yaml`);
    writeFileSync(file, yaml);
    return runCli(['run', '--config', file, '--out', out, ...extra]);
  };

  it.each([
    [
      'extends: embedded/vit-emoji/slca\nstage1:\n  epochz: 1\n',
      [],
      'stage1.epochz: unknown field(s) epochz',
    ],
    ['extends: embedded/vit-emoji/slca\nstage1:\n  epochs: ten\n', [], 'stage1.epochs: '],
    ['extends: embedded/vit-emoji/slca\nseed: -1\n', [], 'seed: '],
    ['extends: embedded/vit-emoji/slca\n', ['--set', 'alignment.tau=0'], 'alignment.tau: '],
    ['extends: cifar100/in21k/slca\ndataset: not-imported\n', [], 'no dataset not-imported'],
    ['extends: embedded/vit-emoji/slca\ninitClasses: 40\n', [], 'fewer than the first task'],
    [
      'extends: embedded/vit-emoji/slca\nbackbone: unregistered\n',
      [],
      'backbone unregistered is not registered',
    ],
  ])('%j %j → %s', (yaml, extra, message) => {
    const r = run(yaml, ...(extra as string[]), '--registry', join(dir, 'empty-registry'));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('an inline JSON --config without --remote is pointed to --set', () => {
    const r = runCli(['run', '--config', '{"stage1":{"lr":1}}', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--set path=value');
  });
});
