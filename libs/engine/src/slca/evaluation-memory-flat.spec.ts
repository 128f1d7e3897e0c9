import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TINY_ARCH, tinyConfig, tinyDataset } from '../../test/tiny-experiment';
import { initBackend, LocalDevice } from '@slca/compute';
import { backboneLayout, randomBackbone } from '../weights/vit-weights';
import { evaluateSeenClasses, extractFeatures } from './evaluate';
import { runExperiment, streamRng } from './experiment';
import { newHead } from './heads';

const normalize = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

describe('feature extraction and evaluation keep tf.memory() flat across tasks (no leaked tensors)', () => {
  it('over a whole 3-task SLCA run: the same tensor count after every task’s evaluation, none left at the end', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const atStatistics: number[] = [];
    const atEvaluate: number[] = [];
    await runExperiment(tinyConfig('slca'), tinyDataset(), randomBackbone(TINY_ARCH, streamRng(1, 'mem')), {
      onProgress: (e) => {
        if (e.phase === 'statistics') atStatistics.push(tf.memory().numTensors);
        if (e.phase === 'evaluate') atEvaluate.push(tf.memory().numTensors);
      },
    });
    expect(atEvaluate).toHaveLength(3);
    expect(new Set(atEvaluate).size).toBe(1);
    expect(new Set(atStatistics).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeated feature extraction and evaluation with a growing set of heads leave the count unchanged', async () => {
    await initBackend('wasm');
    const data = tinyDataset();
    const device = new LocalDevice();
    const backbone = randomBackbone(TINY_ARCH, streamRng(2, 'mem'));
    const layout = backboneLayout(TINY_ARCH);
    await device.setModel(
      { arch: TINY_ARCH, layout: layout.toJSON(), finalNormEps: 1e-6, trainBackbone: false },
      backbone.slice(),
    );
    const options = { arch: TINY_ARCH, normalize, featureChunk: 8 };
    const rows = [...Array(data.train.count).keys()];
    await extractFeatures(device, data.train, rows, options);
    const settled = tf.memory().numTensors;
    const counts: number[] = [];
    const rng = streamRng(3, 'heads');
    const heads = [];
    for (let task = 0; task < 3; task++) {
      await extractFeatures(device, data.train, rows, options);
      counts.push(tf.memory().numTensors);
      heads.push(newHead(TINY_ARCH.dim, 2, rng));
      await evaluateSeenClasses({
        ...options,
        device,
        backbone,
        finalNormEps: 1e-6,
        heads,
        test: data.test,
        testLabels: data.test.labels,
        sizes: [2, 2, 2],
        task,
      });
      counts.push(tf.memory().numTensors);
    }
    await device.close();
    expect(counts.every((c) => c === settled)).toBe(true);
  });
});
