import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import cliPackage from '../package.json';
import { runCli } from '../test/run-cli';
import { serviceAddress } from './commands/remote';
import { outForMethod } from './commands/run';

describe('exit codes', () => {
  it('--version prints the package version and exits 0; --help exits 0 and names the environment', () => {
    const v = runCli(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(cliPackage.version);
    const h = runCli(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('SLCA_TRAINER_ADDRESS');
    expect(h.stdout).toContain('Exit codes: 0 done; 1 a failure');
  });

  it('the parser’s own errors are usage errors: exit 2, with its message', () => {
    const cases: [string[], RegExp][] = [
      [['run', '--out', 'x.json', '--bogus'], /unknown option '--bogus'/],
      [['run', '--method', 'slca'], /required option '--out <file>' not specified/],
      [['run', '--backend', 'nope', '--out', 'x.json'], /argument 'nope' is invalid/],
      [['no-such-command'], /unknown command 'no-such-command'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it('run --method with a list checks every method before running any (exit 2 naming the bad one)', () => {
    const out = join(tmpdir(), `never-written-${process.pid}.json`);
    const r = runCli(['run', '--method', 'slca,ewc', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--method: unknown value 'ewc'/);
    expect(r.stderr).not.toContain('task 1/10');
    expect(existsSync(outForMethod(out, 'slca'))).toBe(false);
    const twice = runCli(['run', '--method', 'sl,slca,sl', '--out', out]);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("--method: 'sl' is listed twice");
    const id = runCli(['run', '--method', 'sl,slca', '--remote', '--run-id', 'r1', '--out', out]);
    expect(id.status).toBe(2);
    expect(id.stderr).toContain('--run-id names one run; with 2 methods let the trainer name them');
  });
});

describe('where the services are', () => {
  it('the environment first, then the running local stack’s address file, then the default port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slca-stack-dir-'));
    expect(serviceAddress('trainer', { SLCA_STACK_DIR: dir })).toBe('127.0.0.1:50052');
    writeFileSync(
      join(dir, 'stack.env'),
      'SLCA_S3_ENDPOINT=http://127.0.0.1:9000\nSLCA_TRAINER_ADDRESS=127.0.0.1:61052\n',
    );
    expect(serviceAddress('trainer', { SLCA_STACK_DIR: dir })).toBe('127.0.0.1:61052');
    expect(serviceAddress('evaluator', { SLCA_STACK_DIR: dir })).toBe('127.0.0.1:50054');
    expect(
      serviceAddress('trainer', { SLCA_STACK_DIR: dir, SLCA_TRAINER_ADDRESS: 'trainer.slca:50052' }),
    ).toBe('trainer.slca:50052');
  });
});
