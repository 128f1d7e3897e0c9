import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

let cached: string | undefined;

/**
 * The code a run ran: `SLCA_CODE_VERSION` (images set it when they are built), else the commit of the git
 * checkout the process runs in (read from `.git`, no git binary needed), else `unknown`.
 */
export function codeVersion(env: NodeJS.ProcessEnv = process.env, from = process.cwd()): string {
  if (env.SLCA_CODE_VERSION) return env.SLCA_CODE_VERSION;
  if (cached !== undefined && from === process.cwd()) return cached;
  const found = gitCommit(from) ?? 'unknown';
  if (from === process.cwd()) cached = found;
  return found;
}

/**
 * The git directory of the checkout at `dir`: `.git` itself, or where a `.git` file points (`gitdir: …`, as
 * a worktree or a submodule has it), with the directory its refs are shared in (a worktree's `commondir`).
 */
function gitDirs(dir: string): { git: string; common: string } | undefined {
  const dotGit = join(dir, '.git');
  if (!existsSync(dotGit)) return undefined;
  let git = dotGit;
  if (statSync(dotGit).isFile()) {
    const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (!pointer) return undefined;
    git = resolve(dir, pointer);
  }
  if (!existsSync(join(git, 'HEAD'))) return undefined;
  const commonFile = join(git, 'commondir');
  const common = existsSync(commonFile) ? resolve(git, readFileSync(commonFile, 'utf8').trim()) : git;
  return { git, common };
}

function gitCommit(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const dirs = gitDirs(dir);
    if (dirs) {
      try {
        const head = readFileSync(join(dirs.git, 'HEAD'), 'utf8').trim();
        if (/^[0-9a-f]{40}$/.test(head)) return head;
        const ref = /^ref: (.+)$/.exec(head)?.[1];
        if (!ref) return undefined;
        for (const root of new Set([dirs.git, dirs.common]))
          if (existsSync(join(root, ref))) return readFileSync(join(root, ref), 'utf8').trim();
        const packed = join(dirs.common, 'packed-refs');
        return (existsSync(packed) ? readFileSync(packed, 'utf8') : '')
          .split('\n')
          .map((line) => line.split(' '))
          .find(([, name]) => name === ref)?.[0];
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
