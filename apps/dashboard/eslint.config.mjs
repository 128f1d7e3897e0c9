import baseConfig from '../../eslint.config.mjs';

/*
 * The browser tests start the real local stack (@slca/stack, a `type:tool` project). Only they may import
 * it: the same boundary rule as the workspace's, with `type:tool` added for the dashboard's test files.
 */
const [level, boundaries] = baseConfig.find((entry) => entry.rules?.['@nx/enforce-module-boundaries']).rules[
  '@nx/enforce-module-boundaries'
];
const testBoundaries = {
  ...boundaries,
  depConstraints: boundaries.depConstraints.map((constraint) =>
    constraint.sourceTag === 'scope:dashboard'
      ? { ...constraint, onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:tool'] }
      : constraint,
  ),
};

export default [
  ...baseConfig,
  { ignores: ['.next/**', 'next-env.d.ts'] },
  {
    // The entry points of service-kit and contracts load NestJS; the dashboard takes their Nest-free ones.
    files: ['src/**/*.ts', 'src/**/*.tsx', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@slca/service-kit',
              message: 'It loads NestJS: import the clients from @slca/service-kit/client.',
            },
            {
              name: '@slca/contracts',
              allowTypeImports: true,
              message:
                'Its runtime entry loads NestJS: import types only, or values from @slca/contracts/grpc.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
          message: 'Render text through React (it escapes); never inject HTML.',
        },
      ],
    },
  },
  { files: ['test/**/*.ts'], rules: { '@nx/enforce-module-boundaries': [level, testBoundaries] } },
];
