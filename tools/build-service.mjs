// Bundles one gRPC service into dist/apps/<app>: main.js plus the .proto files it loads at run time
// (proto/, found through SLCA_PROTO_ROOT or beside the bundle). Services that run the engine also get the
// compute worker (@slca/compute), the alignment-draw worker (worker threads load a file) and the engine's
// assets, as the CLI bundle does. Packages stay external and resolve from node_modules: the tfjs wasm
// binaries ship inside @tensorflow/tfjs-backend-wasm, sharp carries native code, the emoji packages carry
// the embedded dataset's images, and Nest loads optional transports with require() calls a bundler cannot
// follow.
//
// usage: node tools/build-service.mjs <app>
import { build } from 'esbuild';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Services whose code calls into @slca/engine (tensors, backbones — the splitter registers them —, the compute worker). */
const ENGINE_SERVICES = new Set(['splitter', 'trainer', 'stats-store', 'evaluator']);

const app = process.argv[2];
if (!app || !/^[a-z][a-z0-9-]*$/.test(app)) {
  console.error('usage: node tools/build-service.mjs <app>');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = `apps/${app}/src/main.ts`;
if (!existsSync(join(root, entry))) {
  console.error(`no service at ${entry}`);
  process.exit(2);
}
const usesEngine = ENGINE_SERVICES.has(app);
const outdir = join(root, 'dist/apps', app);
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    main: entry,
    ...(usesEngine
      ? {
          'compute-worker': 'libs/compute/src/device/worker.ts',
          'alignment-draw-worker': 'libs/engine/src/slca/alignment-draw-worker.ts',
        }
      : {}),
  },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Carries experimentalDecorators (Nest) and the @slca/* paths, which are bundled.
  tsconfig: 'tsconfig.base.json',
  packages: 'external',
  logLevel: 'warning',
});
cpSync(join(root, 'libs/contracts/proto'), join(outdir, 'proto'), { recursive: true });
if (usesEngine) cpSync(join(root, 'libs/engine/assets'), join(outdir, 'assets'), { recursive: true });
console.log(`built ${outdir}`);
