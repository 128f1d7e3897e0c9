/**
 * What the onnx device's forward sessions cost a ViT-B/16 run's memory. A run reads features (after a
 * task, for the class statistics and the evaluation) and then trains the next task. OnnxForward releases a
 * large graph's sessions when the training model is installed (their arena would be held through the
 * training steps otherwise); this measures what that saves. Each mode runs in a fresh child process (peak
 * RSS is per process):
 *
 * - `train`: ViT-B/16 training steps at batch 8 in 2 shards on 2 workers, nothing else (the bench's step);
 * - `features`: features of 2 chunks of 64 images (compute.featureChunk's default; one chunk per worker),
 *   then the same training steps on the same device, as a run does;
 * - `held`: the same, with the forward sessions kept through the training (SLCA_ONNX_KEEP_FORWARD=1);
 * - `reopened`: the same features, then the device closed and a new one opened for the training steps (no
 *   forward session can be held).
 *
 * Prints each mode's peak RSS after the features and after the training.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/src/onnx-forward-hold.ts [rounds]
 */
import { execFileSync } from 'node:child_process';
import { randomBackbone } from '@slca/engine';
import {
  HEAD_BIAS,
  HEAD_WEIGHT,
  initBackend,
  numPatches,
  openComputeDevice,
  paramSpecs,
  patchInputDim,
  sharedFloat32,
  VIT_PRESETS,
} from '@slca/compute';
import { Mt19937 } from '@slca/data';

const BATCH = 8;
const SHARDS = 2;
const CLASSES = 10;
const CHUNK = 64;
const MODES = ['train', 'features', 'held', 'reopened'] as const;
type Mode = (typeof MODES)[number];

const peakRss = () => process.resourceUsage().maxRSS * 1024;

async function child(mode: Mode): Promise<void> {
  const arch = { ...VIT_PRESETS['vit-b16'] };
  await initBackend('wasm');
  const backbone = paramSpecs(arch).map((s) => ({ name: s.name, shape: s.shape }));
  const layout = [
    ...backbone,
    { name: HEAD_WEIGHT, shape: [arch.dim, CLASSES] },
    { name: HEAD_BIAS, shape: [CLASSES] },
  ];
  const total = layout.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const values = sharedFloat32(total);
  values.set(randomBackbone(arch, new Mt19937(1)));
  const rng = new Mt19937(2);
  const per = numPatches(arch) * patchInputDim(arch);
  const random = (n: number) => Float32Array.from({ length: n }, () => 2 * rng.randomSample() - 1);
  let { device } = await openComputeDevice('onnx', 2, 'wasm');
  let afterFeatures = 0;
  if (mode !== 'train') {
    await device.setModel({ arch, layout: backbone, finalNormEps: 1e-6, trainBackbone: false }, values);
    const chunks = Array.from({ length: 2 }, () => ({ patches: random(CHUNK * per), count: CHUNK }));
    await device.features(chunks);
    afterFeatures = peakRss();
    if (mode === 'reopened') {
      await device.close();
      ({ device } = await openComputeDevice('onnx', 2, 'wasm'));
    }
  }
  const shards = Array.from({ length: SHARDS }, () => ({
    count: BATCH / SHARDS,
    patches: random((BATCH / SHARDS) * per),
    labels: Int32Array.from({ length: BATCH / SHARDS }, () => rng.randomInterval(CLASSES - 1)),
  }));
  await device.setModel({ arch, layout, finalNormEps: 1e-6, trainBackbone: true }, values);
  const sum = sharedFloat32(total);
  for (let k = 0; k < 3; k++) await device.gradientsAndSum(shards, [0.5, 0.5], sum);
  await device.close();
  console.log(JSON.stringify({ afterFeatures, afterTraining: peakRss() }));
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`onnx-forward-hold: rounds must be an integer ≥ 1, got '${process.argv[2]}'`);
    process.exit(2);
  }
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
  console.log('mode       peak RSS after features  after training');
  for (let r = 0; r < rounds; r++)
    for (const mode of MODES) {
      const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1], '--child', mode], {
        env: { ...process.env, SLCA_ONNX_KEEP_FORWARD: mode === 'held' ? '1' : '' },
        encoding: 'utf8',
      });
      const { afterFeatures, afterTraining } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
      console.log(
        `${mode.padEnd(10)} ${(afterFeatures ? gb(afterFeatures) : '—').padStart(23)}  ${gb(afterTraining).padStart(14)}`,
      );
    }
}

const at = process.argv.indexOf('--child');
if (at >= 0) void child(process.argv[at + 1] as Mode);
else main();
