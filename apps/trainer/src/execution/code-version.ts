import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

function gitCommit(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const git = join(dir, '.git');
    if (existsSync(join(git, 'HEAD'))) {
      try {
        const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
        if (/^[0-9a-f]{40}$/.test(head)) return head;
        const ref = /^ref: (.+)$/.exec(head)?.[1];
        if (!ref) return undefined;
        if (existsSync(join(git, ref))) return readFileSync(join(git, ref), 'utf8').trim();
        const packed = existsSync(join(git, 'packed-refs'))
          ? readFileSync(join(git, 'packed-refs'), 'utf8')
          : '';
        return packed
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
