import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorsFrom, paramSpecs, type VitArch, patchify, vitFeatures } from '@slca/compute';
import { backboneFromTimm, backboneLayout, backboneToTimm } from '../weights/vit-weights';

/*
 * Golden test: CLS features of a tiny ViT whose weights are given in timm's layout, against an independent
 * NumPy implementation of timm's forward pass (libs/engine/test/golden/vit_reference.py, which printed
 * EXPECTED). This pins the layout conversions (patch conv, [out,in] linears), attention, GELU and norms.
 */
const ARCH: VitArch = { imageSize: 8, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpDim: 16 };
const EXPECTED = [
  [1.263991, 0.339115, 0.696189, -1.097108, -1.406799, -0.37141, 0.031702, 0.818176],
  [1.265705, 0.344941, 0.647509, -1.123191, -1.400438, -0.377729, 0.074149, 0.837893],
];

function value(name: string, i: number): number {
  const codes = [...name].reduce((s, c) => s + c.charCodeAt(0), 0);
  return 0.3 * Math.sin(1.7 * i + 0.37 * name.length + 0.11 * codes);
}

function timmTensors(arch: VitArch) {
  return new Map(
    paramSpecs(arch).map((spec) => {
      const n = spec.timmShape.reduce((a, b) => a * b, 1);
      const isNormWeight = /norm\d?\.weight$/.test(spec.name);
      const data = Float32Array.from({ length: n }, (_, i) => (isNormWeight ? 1 : 0) + value(spec.name, i));
      return [spec.name, { shape: spec.timmShape, data }];
    }),
  );
}

function images(arch: VitArch, n = 2): Float32Array {
  return Float32Array.from(
    { length: n * arch.imageSize * arch.imageSize * 3 },
    (_, i) => 0.5 + 0.5 * Math.sin(0.31 * i),
  );
}

describe('ViT forward against the NumPy reference', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('produces timm-identical CLS features from timm-layout weights', () => {
    const timm = timmTensors(ARCH);
    const values = backboneFromTimm(timm, ARCH);
    const params = tensorsFrom(backboneLayout(ARCH), values);
    const x = tf.tensor3d(patchify(images(ARCH), 2, ARCH), [2, 4, 48]);
    const feats = vitFeatures(params, x, ARCH, { finalNormEps: 1e-6 }).arraySync();
    feats.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(EXPECTED[i][j], 4)));
    tf.dispose([x, ...Object.values(params)]);
  });

  it('converts back to the exact timm tensors', () => {
    const timm = timmTensors(ARCH);
    const back = backboneToTimm(backboneFromTimm(timm, ARCH), ARCH);
    for (const [name, t] of timm) {
      const got = back.get(name);
      expect(got?.shape).toEqual(t.shape);
      expect(Array.from(got?.data ?? [])).toEqual(Array.from(t.data));
    }
  });
});
