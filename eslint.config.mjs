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

/** The tensor runtimes that only @slca/compute loads. */
const runtimes = ['onnxruntime-node', '@tensorflow/tfjs-backend-*'];

/** Libraries below the services must not pull in a UI or a tensor runtime. */
const bannedInTransport = ['next', 'react', 'react-dom', '@tensorflow/*'];

/** Who may import whom (tags in each project's package.json). */
const depConstraints = [
  { sourceTag: 'layer:data', onlyDependOnLibsWithTags: [], bannedExternalImports: bannedInScience },
  {
    sourceTag: 'layer:metrics',
    onlyDependOnLibsWithTags: [],
    bannedExternalImports: bannedInScience,
  },
  // The kernels and devices: tensors and runtimes, no science.
  {
    sourceTag: 'layer:compute',
    onlyDependOnLibsWithTags: ['layer:data'],
    bannedExternalImports: bannedInScience,
  },
  // The science runs on whatever device @slca/compute opens, so it never names a runtime itself.
  {
    sourceTag: 'layer:engine',
    onlyDependOnLibsWithTags: ['layer:data', 'layer:metrics', 'layer:compute'],
    bannedExternalImports: [...bannedInScience, ...runtimes],
  },
  // Wire format only: generated code and the .proto files, no storage, no tensors.
  {
    sourceTag: 'layer:contracts',
    onlyDependOnLibsWithTags: [],
    bannedExternalImports: [...bannedInTransport, '@nestjs/core', 'minio', '@aws-sdk/*'],
  },
  {
    sourceTag: 'layer:artifacts',
    onlyDependOnLibsWithTags: ['layer:data'],
    bannedExternalImports: [...bannedInTransport, '@nestjs/*', '@grpc/*'],
  },
  {
    sourceTag: 'layer:service-kit',
    onlyDependOnLibsWithTags: ['layer:contracts'],
    bannedExternalImports: [...bannedInTransport, 'minio', '@aws-sdk/*'],
  },
  // A service validates, calls a library, stores and answers.
  {
    sourceTag: 'type:service',
    onlyDependOnLibsWithTags: [
      'layer:data',
      'layer:metrics',
      'layer:compute',
      'layer:engine',
      'layer:contracts',
      'layer:artifacts',
      'layer:service-kit',
    ],
    bannedExternalImports: ['next', 'react', 'react-dom'],
  },
  // Developer tools (the local stack and its end-to-end tests) drive everything.
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: [
      'layer:data',
      'layer:metrics',
      'layer:compute',
      'layer:engine',
      'layer:contracts',
      'layer:artifacts',
      'layer:service-kit',
    ],
  },
  // The bench harness times the engine and its devices: science, compute and data only, no services or storage.
  {
    sourceTag: 'scope:bench',
    onlyDependOnLibsWithTags: ['layer:data', 'layer:metrics', 'layer:compute', 'layer:engine'],
  },
  // The dashboard reads the contracts, the metrics' formulas and the object layout, and calls the services
  // through the generated clients (`@slca/service-kit/client`); no Nest (see the import rule below).
  {
    sourceTag: 'scope:dashboard',
    onlyDependOnLibsWithTags: ['layer:contracts', 'layer:metrics', 'layer:artifacts', 'layer:service-kit'],
    bannedExternalImports: ['@nestjs/*'],
  },
  {
    sourceTag: 'scope:cli',
    onlyDependOnLibsWithTags: [
      'type:tool',
      'layer:data',
      'layer:metrics',
      'layer:compute',
      'layer:engine',
      'layer:contracts',
      'layer:artifacts',
      'layer:service-kit',
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/out-tsc', 'results/**', '.slca-stack/**'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints,
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
    // A service's tests may start the local stack's processes (tools/stack); its sources may not.
    files: ['**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: depConstraints.map((c) =>
            c.sourceTag === 'type:service'
              ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:tool'] }
              : c,
          ),
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
