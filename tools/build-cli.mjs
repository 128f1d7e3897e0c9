// Bundles the CLI into dist/apps/cli: main.js, the compute, transform and alignment-draw workers (separate entries, since
// worker threads load a file), and the engine's assets. Native and data-carrying packages stay external (node_modules).
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/apps/cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'apps/cli/src/main.ts',
    'compute-worker': 'libs/compute/src/device/worker.ts',
    'transform-worker': 'libs/engine/src/pipeline/transform-worker.ts',
    'alignment-draw-worker': 'libs/engine/src/slca/alignment-draw-worker.ts',
  },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  external: [
    '@tensorflow/*',
    'sharp',
    'emoji-datasource-google',
    'emoji-datasource-twitter',
    'tsx',
    'tsx/*',
    'commander',
    'cli-progress',
    // The gRPC and storage stack is loaded from node_modules (Nest resolves optional packages at run time).
    '@nestjs/*',
    '@grpc/*',
    'grpc-health-check',
    'rxjs',
    'reflect-metadata',
    'minio',
    '@20minutes/s3rver',
  ],
  logLevel: 'warning',
});
cpSync(join(root, 'libs/engine/assets'), join(outdir, 'assets'), { recursive: true });
// `bench --compare pytorch` runs the PyTorch side from beside the bundle.
cpSync(join(root, 'tools/bench/pytorch_bench.py'), join(outdir, 'pytorch_bench.py'));
console.log(`built ${outdir}`);
