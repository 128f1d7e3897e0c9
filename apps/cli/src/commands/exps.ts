import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenFiles } from '@slca/engine';
import { writeFileAtomic } from '../io';

/** The files of `dir` that differ from the engine's definitions (missing, changed, or not generated). */
export function staleGoldenFiles(dir: string): string[] {
  const files = goldenFiles();
  const stale = [...files].filter(([name, text]) => {
    const path = join(dir, name);
    return !existsSync(path) || readFileSync(path, 'utf8') !== text;
  });
  const extra = existsSync(dir)
    ? readdirSync(dir).filter(
        (name) => (name.endsWith('.yaml') || name.endsWith('.json')) && !files.has(name),
      )
    : [];
  return [...stale.map(([name]) => name), ...extra.map((name) => `${name} (not a golden configuration)`)];
}

export function expsCommand(flags: { dir: string; check?: boolean }): void {
  if (flags.check) {
    const stale = staleGoldenFiles(flags.dir);
    if (stale.length > 0) {
      process.stderr.write(
        `slca: ${flags.dir}/ differs from the engine's definitions: ${stale.join(', ')}\n(run: npm run slca -- exps)\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${flags.dir}/ matches the engine's definitions (${goldenFiles().size} files)\n`);
    return;
  }
  mkdirSync(flags.dir, { recursive: true });
  for (const [name, text] of goldenFiles()) writeFileAtomic(join(flags.dir, name), text);
  process.stdout.write(`wrote ${goldenFiles().size} files to ${flags.dir}/\n`);
}
