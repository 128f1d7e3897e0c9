import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/run-cli';
import { buildProgram } from './main';

/** Every `npm run slca -- …` / `npx slca …` line of the README's code blocks, without comments and `[…]` hints. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => /^(npm run slca -- |npx slca )/.test(line))
    .map((line) => line.replace(/^(npm run slca -- |npx slca )/, '').replace(/\s*\[[^\]]*\]/g, ''));
}

/** The CLI with every action replaced by a recorder: parsing checks commands, flags and required options. */
function dryProgram(): { program: Command; ran: string[] } {
  const program = buildProgram();
  const ran: string[] = [];
  const visit = (cmd: Command, path: string[]) => {
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    for (const sub of cmd.commands) {
      const here = [...path, sub.name()];
      if (sub.commands.length === 0) sub.action(() => void ran.push(here.join(' ')));
      visit(sub, here);
    }
  };
  visit(program, []);
  return { program, ran };
}

describe('the README’s CLI examples', () => {
  const commands = readmeCommands();

  it('are found (the README shows the CLI)', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands).toContain('run --config exps/slca-cifar100-in21k.yaml --remote --out r.json');
  });

  it('would catch an unknown flag or a missing required option', async () => {
    await expect(
      dryProgram().program.parseAsync(['node', 'slca', 'run', '--bogus', '--out', 'x']),
    ).rejects.toThrow(/unknown option/);
    await expect(
      dryProgram().program.parseAsync(['node', 'slca', 'backbone', 'register', '--file', 'f']),
    ).rejects.toThrow(/required option/);
  });

  for (const line of commands)
    it(`parses: slca ${line}`, async () => {
      const { program, ran } = dryProgram();
      const args = line.split(/\s+/);
      await program.parseAsync(['node', 'slca', ...args]);
      expect(ran).toHaveLength(1);
      // Files of the repository an example names exist (the user's own files are theirs to bring).
      const config = args.indexOf('--config');
      if (config >= 0 && args[config + 1].startsWith('exps/'))
        expect(existsSync(join(REPO_ROOT, args[config + 1])), args[config + 1]).toBe(true);
    });
});
