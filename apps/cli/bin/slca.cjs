#!/usr/bin/env node
// `npx slca …` (npm links this file into node_modules/.bin): runs the CLI from its TypeScript sources with
// tsx, exactly as `npm run slca -- …` does, in the caller's working directory.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
if (!existsSync(join(root, 'libs/contracts/src/generated/slca/v1/common.ts'))) {
  process.stderr.write(
    'slca: the gRPC code is not generated yet; run `npm ci` (or `npm run prepare`) in ' + root + ' first\n',
  );
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    require.resolve('tsx/cli'),
    '--tsconfig',
    join(root, 'tsconfig.base.json'),
    join(root, 'apps/cli/src/main.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
if (result.error) {
  process.stderr.write(`slca: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? (result.signal ? 128 : 1));
