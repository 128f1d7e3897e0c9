import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/** Libraries that hold the science may not reach for frameworks, transports or storage. */
const bannedInScience = [
  '@nestjs/*',
  '@grpc/*',
  'minio',
  '@aws-sdk/*',
  'next',
  'react',
  'react-dom',
  '@kubernetes/*',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/out-tsc', 'results/**'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'layer:data', onlyDependOnLibsWithTags: [], bannedExternalImports: bannedInScience },
            {
              sourceTag: 'layer:metrics',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: bannedInScience,
            },
            {
              sourceTag: 'layer:engine',
              onlyDependOnLibsWithTags: ['layer:data', 'layer:metrics'],
              bannedExternalImports: bannedInScience,
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['layer:data', 'layer:metrics', 'layer:engine'],
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use a seeded generator (@slca/data Mt19937) so runs are reproducible.',
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Project configuration files import the workspace's shared configuration by path.
    files: ['**/vitest.config.ts', '**/eslint.config.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
