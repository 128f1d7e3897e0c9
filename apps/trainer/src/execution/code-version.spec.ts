import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeVersion } from './code-version';

describe('codeVersion', () => {
  it('is the checkout’s commit, as git itself reports it', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
    expect(codeVersion({}, __dirname)).toBe(head);
  });

  it('prefers SLCA_CODE_VERSION, reads packed refs, and says unknown outside a checkout', () => {
    expect(codeVersion({ SLCA_CODE_VERSION: 'abc123' }, __dirname)).toBe('abc123');
    const dir = mkdtempSync(join(tmpdir(), 'slca-git-'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs\n${'e'.repeat(40)} refs/heads/main\n`);
    expect(codeVersion({}, dir)).toBe('e'.repeat(40));
    const outside = mkdtempSync(join(tmpdir(), 'slca-nogit-'));
    expect(codeVersion({}, outside)).toBe('unknown');
  });
});
