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

  it('follows a .git file to its git directory and the refs it shares (a worktree)', () => {
    const repo = mkdtempSync(join(tmpdir(), 'slca-git-'));
    const worktreeGit = join(repo, '.git', 'worktrees', 'wt');
    mkdirSync(join(worktreeGit), { recursive: true });
    mkdirSync(join(repo, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(repo, '.git', 'refs', 'heads', 'main'), `${'a'.repeat(40)}\n`);
    writeFileSync(join(repo, '.git', 'refs', 'heads', 'topic'), `${'b'.repeat(40)}\n`);
    writeFileSync(join(worktreeGit, 'HEAD'), 'ref: refs/heads/topic\n');
    writeFileSync(join(worktreeGit, 'commondir'), '../..\n');
    const tree = join(mkdtempSync(join(tmpdir(), 'slca-wt-')), 'wt');
    mkdirSync(join(tree, 'apps'), { recursive: true });
    writeFileSync(join(tree, '.git'), `gitdir: ${worktreeGit}\n`);
    expect(codeVersion({}, join(tree, 'apps'))).toBe('b'.repeat(40));
    // A detached worktree's HEAD is the commit itself; packed refs are read from the shared directory.
    writeFileSync(join(worktreeGit, 'HEAD'), `${'c'.repeat(40)}\n`);
    expect(codeVersion({}, tree)).toBe('c'.repeat(40));
    writeFileSync(join(worktreeGit, 'HEAD'), 'ref: refs/heads/packed\n');
    writeFileSync(join(repo, '.git', 'packed-refs'), `${'d'.repeat(40)} refs/heads/packed\n`);
    expect(codeVersion({}, tree)).toBe('d'.repeat(40));
  });
});
