/**
 * A/B of the frozen-backbone backward (ForwardOptions.frozenBackbone): L2P's training step on the embedded
 * ViT (batch 16, 5 of 10 prompts of 5 tokens, prompt-mean read-out; forward and the prompts' gradient) with
 * the ViT's linear layers held constant against the same step through the trainable layers, which also
 * compute every weight gradient. Rounds alternate, so load on the machine hits both alike.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/src/frozen-backbone-ab.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { Mt19937 } from '@slca/data';
import { backboneLayout, randomBackbone } from '@slca/engine';
import {
  initBackend,
  numPatches,
  patchInputDim,
  promptTokens,
  tensorsFrom,
  VIT_PRESETS,
  vitFeatures,
} from '@slca/compute';

const STEPS = 10;
const ROUNDS = 4;
const BATCH = 16;

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  const arch = VIT_PRESETS['vit-emoji'];
  const params = tensorsFrom(backboneLayout(arch), randomBackbone(arch, new Mt19937(1)));
  const x = tf.randomUniform([BATCH, numPatches(arch), patchInputDim(arch)], -1, 1, 'float32', 2);
  const pool = tf.variable(tf.randomUniform([10, 5, arch.dim], -1, 1, 'float32', 3));
  const index = Int32Array.from({ length: BATCH * 5 }, (_, i) => i % 5);
  const step = (frozenBackbone: boolean) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const tokens = promptTokens(pool, index, BATCH);
        const feats = vitFeatures(params, x, arch, {
          frozenBackbone,
          prompt: { tokens, readout: 'prompt-mean' },
        });
        return tf.sum(feats) as tf.Scalar;
      });
      grads[pool.name].dataSync();
    });
  const imagesPerSecond = (frozen: boolean) => {
    const start = performance.now();
    for (let i = 0; i < STEPS; i++) step(frozen);
    return (STEPS * BATCH) / ((performance.now() - start) / 1000);
  };
  step(true);
  step(false);
  console.log(`L2P step on ${backend.name}, vit-emoji, batch ${BATCH}, one thread (img/s):`);
  for (let r = 0; r < ROUNDS; r++) {
    const frozen = imagesPerSecond(true);
    const trained = imagesPerSecond(false);
    console.log(
      `  round ${r + 1}: frozen ${frozen.toFixed(1)}, through trainable layers ${trained.toFixed(1)}`,
    );
  }
}

void main();
