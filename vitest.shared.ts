import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type ViteUserConfig as UserConfig } from 'vitest/config';

/**
 * Maps the workspace's tsconfig `paths` to Vite aliases, so tests import libraries by their public name.
 * Each alias matches its whole specifier: `@slca/contracts` must not also rewrite `@slca/contracts/grpc`.
 */
function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const root = __dirname;
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const exact = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
  return Object.entries(base.compilerOptions.paths).map(([name, [target]]) => ({
    find: exact(name),
    replacement: resolve(root, target),
  }));
}

export function projectTestConfig(projectDir: string, overrides: UserConfig['test'] = {}): UserConfig {
  return defineConfig({
    root: projectDir,
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: 120_000,
      reporters: ['default'],
      ...overrides,
    },
  });
}
