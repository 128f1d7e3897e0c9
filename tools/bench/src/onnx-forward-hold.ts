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
import { initBackend, openComputeDevice, sharedFloat32 } from '@slca/compute';
import { vitB16Step } from './vit-b16-step';

const CHUNK = 64;
const MODES = ['train', 'features', 'held', 'reopened'] as const;
type Mode = (typeof MODES)[number];

const peakRss = () => process.resourceUsage().maxRSS * 1024;

async function child(mode: Mode): Promise<void> {
  await initBackend('wasm');
  const { train, read, total, values, per, random, shards: drawShards } = vitB16Step();
  let { device } = await openComputeDevice('onnx', 2, 'wasm');
  let afterFeatures = 0;
  if (mode !== 'train') {
    await device.setModel(read, values);
    const chunks = Array.from({ length: 2 }, () => ({ patches: random(CHUNK * per), count: CHUNK }));
    await device.features(chunks);
    afterFeatures = peakRss();
    if (mode === 'reopened') {
      await device.close();
      ({ device } = await openComputeDevice('onnx', 2, 'wasm'));
    }
  }
  const shards = drawShards();
  await device.setModel(train, values);
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
if (at >= 0) {
  const mode = process.argv[at + 1] as Mode;
  if (!MODES.includes(mode)) {
    console.error(`onnx-forward-hold: --child takes one of ${MODES.join(', ')}, got '${mode}'`);
    process.exit(2);
  }
  void child(mode);
} else main();
