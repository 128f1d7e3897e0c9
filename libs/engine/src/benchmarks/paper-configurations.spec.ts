import { taskSizes } from '@slca/data';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../slca/config';
import { VIT_PRESETS } from '@slca/compute';
import {
  PAPER_BACKBONES,
  PAPER_BENCHMARKS,
  PAPER_CONFIG_VERSION,
  PAPER_METHODS,
  PAPER_SETUP,
  paperConfig,
  paperConfigurations,
} from './paper';

/** The docs/method.md §8 table, typed out again by hand: [init/increment, IN21K epochs, milestones, τ]. */
const TABLE_8 = {
  cifar100: { inc: [10, 10], in21k: [20, [18]], tau: 0.1 },
  'imagenet-r': { inc: [20, 20], in21k: [50, [40]], tau: 0.1 },
  cub200: { inc: [20, 20], in21k: [50, [40]], tau: 0.1 },
  cars196: { inc: [20, 20], in21k: [50, [40]], tau: 0.05 },
} as const;

describe('paper configurations (docs/method.md §8)', () => {
  it('has one versioned row per benchmark × pre-training × method, with unique ids', () => {
    const rows = paperConfigurations();
    expect(rows).toHaveLength(4 * 2 * 9);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows[0].id).toBe(`cifar100/in21k/seqft@v${PAPER_CONFIG_VERSION}`);
  });

  for (const benchmark of PAPER_BENCHMARKS) {
    it(`${benchmark}: tasks, epochs, milestones, τ and the stage-1 / alignment optimisers match the table`, () => {
      const spec = TABLE_8[benchmark];
      for (const backbone of PAPER_BACKBONES) {
        const cfg = paperConfig(benchmark, backbone, 'slca', 1993);
        validateConfig(cfg);
        expect([cfg.initClasses, cfg.increment]).toEqual(spec.inc);
        const [epochs, milestones] = backbone === 'in21k' ? spec.in21k : [90, [80]];
        expect(cfg.stage1).toMatchObject({
          epochs,
          milestones,
          gamma: 0.1,
          batchSize: 128,
          momentum: 0.9,
          weightDecay: 5e-4,
        });
        expect(cfg.stage1.lr).toBe(0.01);
        expect(cfg.stage1.lr * cfg.stage1.backboneLrScale).toBeCloseTo(1e-4, 12);
        expect(cfg.stage1.freshFinalNorm).toBe(true);
        expect(cfg.alignment).toMatchObject({
          tau: spec.tau,
          epochs: 5,
          lr: 0.01,
          momentum: 0.9,
          weightDecay: 5e-4,
          samplesPerClass: 256,
          batchSize: 256,
          logitNorm: true,
          meanShrink: true,
        });
        expect(cfg.covarianceRidge).toBe(1e-4);
        expect(cfg.restoreHeadsAfterEval).toBe(true);
        expect(cfg.arch).toEqual({
          imageSize: 224,
          patchSize: 16,
          dim: 768,
          depth: 12,
          heads: 12,
          mlpDim: 3072,
        });
      }
    });
  }

  it('task sizes follow §3.3: 10×10, 10×20, 10×20, 9×20+16', () => {
    const sizes = PAPER_BENCHMARKS.map((b) => {
      const s = PAPER_SETUP[b];
      return taskSizes(s.classes, s.initClasses, s.increment);
    });
    expect(sizes[0]).toEqual(Array(10).fill(10));
    expect(sizes[1]).toEqual(Array(10).fill(20));
    expect(sizes[2]).toEqual(Array(10).fill(20));
    expect(sizes[3]).toEqual([...Array(9).fill(20), 16]);
  });

  it('normalises CIFAR-100 with its own statistics and the rest with ImageNet’s (§5.3)', () => {
    expect(paperConfig('cifar100', 'in21k', 'slca', 1).normalize).toEqual({
      mean: [0.5071, 0.4867, 0.4408],
      std: [0.2675, 0.2565, 0.2761],
    });
    for (const b of ['imagenet-r', 'cub200', 'cars196'] as const)
      expect(paperConfig(b, 'mocov3', 'sl', 1).normalize).toEqual({
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      });
  });

  it('states the §5.2 transform pipelines (bicubic; RandomResizedCrop scale (0.08, 1), ratio (3/4, 4/3))', () => {
    expect(PAPER_SETUP.cifar100.train).toEqual([
      { op: 'random-resized-crop', size: 224, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
      { op: 'hflip', p: 0.5 },
      { op: 'brightness-jitter', brightness: 63 / 255 },
    ]);
    expect(PAPER_SETUP['imagenet-r'].train.map((s) => s.op)).toEqual(['random-resized-crop', 'hflip']);
    for (const b of ['cub200', 'cars196'] as const)
      expect(PAPER_SETUP[b].train).toEqual([
        { op: 'resize', size: [300, 300] },
        { op: 'random-crop', size: 224 },
        { op: 'hflip', p: 0.5 },
      ]);
    for (const b of PAPER_BENCHMARKS)
      expect(PAPER_SETUP[b].test).toEqual([
        { op: 'resize', size: 256 },
        { op: 'center-crop', size: 224 },
      ]);
  });

  it('augments stage 1 with the benchmark pipeline, scaled to the backbone it runs with', () => {
    expect(paperConfig('cifar100', 'in21k', 'slca', 1).stage1.augment).toEqual({
      transforms: PAPER_SETUP.cifar100.train,
    });
    // A 32 px test backbone sees the same geometry: 300 → 43, 224 → 32.
    const small = paperConfig('cub200', 'in21k', 'sl', 1, {}, { ...VIT_PRESETS['vit-b16'], imageSize: 32 });
    expect(small.arch.imageSize).toBe(32);
    expect(small.stage1.augment).toEqual({
      transforms: [
        { op: 'resize', size: [43, 43] },
        { op: 'random-crop', size: 32 },
        { op: 'hflip', p: 0.5 },
      ],
    });
  });

  it('derives the variants: Seq FT at lr 0.01 everywhere, Slow Learner and Joint without alignment', () => {
    const seqft = paperConfig('cars196', 'in21k', 'seqft', 1996);
    expect(seqft.stage1.backboneLrScale).toBe(1);
    expect(seqft.alignment).toBeNull();
    const sl = paperConfig('cars196', 'in21k', 'sl', 1996);
    expect(sl.stage1.backboneLrScale).toBe(0.01);
    expect(sl.alignment).toBeNull();
    const joint = paperConfig('cars196', 'in21k', 'joint', 1996);
    expect(joint).toMatchObject({ method: 'joint', alignment: null, seed: 1996 });
    expect(joint.stage1.epochs).toBe(50);
    for (const m of PAPER_METHODS) validateConfig(paperConfig('cub200', 'mocov3', m, 1997));
  });

  it('names the published §13 numbers, and none where the table has "–" or for MoCo v3', () => {
    const published = (id: string) => paperConfigurations().find((r) => r.id === `${id}@v3`)?.published;
    expect(published('cifar100/in21k/slca')).toMatchObject({
      lastAcc: 91.53,
      lastAccStd: 0.28,
      incAcc: 94.09,
      incAccStd: 0.87,
    });
    expect(published('imagenet-r/in21k/slca')).toMatchObject({ lastAcc: 77.0, incAcc: 81.17 });
    expect(published('cub200/in21k/slca')).toMatchObject({ lastAcc: 84.71, incAcc: 90.94 });
    expect(published('cars196/in21k/slca')).toMatchObject({
      lastAcc: 67.73,
      lastAccStd: 0.85,
      incAcc: 76.93,
    });
    expect(published('cifar100/in21k/sl')).toMatchObject({ lastAcc: 88.86, incAcc: 92.01 });
    expect(published('imagenet-r/in21k/sl')).toMatchObject({ lastAcc: 71.8, incAcc: 76.84 });
    expect(published('cifar100/in21k/seqft')).toMatchObject({ lastAcc: 41.8, approximate: true });
    expect(published('cars196/in21k/seqft')).toMatchObject({ lastAcc: 27.6, approximate: true });
    expect(published('cifar100/in21k/joint')?.lastAcc).toBe(93.22);
    expect(published('imagenet-r/in21k/joint')?.lastAcc).toBe(79.6);
    expect(published('cars196/in21k/joint')?.lastAcc).toBe(80.31);
    expect(published('cifar100/in21k/slcapp')).toMatchObject({
      lastAcc: 91.46,
      lastAccStd: 0.18,
      incAcc: 94.2,
      incAccStd: 0.71,
    });
    expect(published('imagenet-r/in21k/slcapp')).toMatchObject({ lastAcc: 78.09, incAcc: 82.95 });
    expect(published('cub200/in21k/slcapp')).toMatchObject({ lastAcc: 86.59, incAcc: 91.63 });
    expect(published('cars196/in21k/slcapp')).toMatchObject({ lastAcc: 73.97, incAcc: 79.49 });
    // L2P under SLCA's protocol (the SLCA paper's table, ViT-B/16 IN21K).
    expect(published('cifar100/in21k/l2p')).toMatchObject({
      lastAcc: 82.76,
      lastAccStd: 1.17,
      incAcc: 88.48,
      incAccStd: 0.83,
    });
    expect(published('imagenet-r/in21k/l2p')).toMatchObject({ lastAcc: 66.49, incAcc: 72.83 });
    expect(published('cub200/in21k/l2p')).toMatchObject({ lastAcc: 62.21, incAcc: 73.83 });
    expect(published('cars196/in21k/l2p')).toMatchObject({
      lastAcc: 38.18,
      lastAccStd: 2.33,
      incAcc: 51.79,
      incAccStd: 4.19,
    });
    // DualPrompt likewise.
    expect(published('cifar100/in21k/dualprompt')).toMatchObject({
      lastAcc: 85.56,
      lastAccStd: 0.33,
      incAcc: 90.33,
      incAccStd: 0.33,
    });
    expect(published('imagenet-r/in21k/dualprompt')).toMatchObject({ lastAcc: 68.5, incAcc: 72.59 });
    expect(published('cub200/in21k/dualprompt')).toMatchObject({ lastAcc: 66.0, incAcc: 77.92 });
    expect(published('cars196/in21k/dualprompt')).toMatchObject({
      lastAcc: 40.14,
      lastAccStd: 2.36,
      incAcc: 56.74,
      incAccStd: 1.78,
    });
    expect(published('cub200/in21k/sl')).toBeNull();
    expect(published('cub200/in21k/joint')).toBeNull();
    expect(published('cars196/in21k/sl')).toBeNull();
    expect(paperConfigurations().filter((r) => r.backbone === 'mocov3' && r.published !== null)).toEqual([]);
  });

  // GengDavid/SLCA exps/slcapp/slcapp_<b>_lora[_mocov3].json, typed out again by hand:
  // [epochs, milestones, weight_decay (absent: the module's 5e-4), sce_a, sce_b, ca_with_logit_norm].
  const SLCAPP_JSON = {
    cifar100: { in21k: [20, [18]], mocov3: [90, [60, 80]], wd: 5e-4, sce: [1, 0.1], tau: 0.1 },
    'imagenet-r': { in21k: [50, [40]], mocov3: [90, [60, 80]], wd: 0, sce: [0.5, 0.5], tau: 0.1 },
    cub200: { in21k: [50, [40]], mocov3: [90, [60, 80]], wd: 5e-4, sce: [1, 0.1], tau: 0.1 },
    cars196: { in21k: [50, [40]], mocov3: [90, [60, 80]], wd: 0, sce: [0.5, 0.5], tau: 0.05 },
  } as const;

  it('SLCA++ rows take the reference configs’ values and slca_pp.py’s learning rates', () => {
    for (const benchmark of PAPER_BENCHMARKS)
      for (const backbone of PAPER_BACKBONES) {
        const ref = SLCAPP_JSON[benchmark];
        const [epochs, milestones] = ref[backbone];
        const cfg = paperConfig(benchmark, backbone, 'slcapp', 1993);
        validateConfig(cfg);
        expect(cfg.stage1).toMatchObject({
          epochs,
          milestones,
          batchSize: 128,
          weightDecay: ref.wd,
          lr: 0.01,
        });
        // lrate 0.01, bcb_lrscale 0.1: norms/biases/CLS (and LoRA after task 0) at 1e-3, LoRA 5e-3 at task 0.
        expect(cfg.stage1.lr * cfg.stage1.backboneLrScale).toBeCloseTo(1e-3, 12);
        expect(cfg.stage1.lr * (cfg.slcapp?.firstTaskLoraLrScale ?? 0)).toBeCloseTo(5e-3, 12);
        // eta_min = lrate · bcb_lrscale · 0.1^len(milestones).
        expect(cfg.slcapp?.minLr).toBeCloseTo(0.01 * 0.1 * 0.1 ** milestones.length, 15);
        expect(cfg.slcapp).toMatchObject({
          loraRank: 4,
          loraScale: 0.8,
          sceA: ref.sce[0],
          sceB: ref.sce[1],
          featureScaleMu: 0.02,
          featureScaleSpread: 0.02,
        });
        expect(cfg.alignment).toMatchObject({
          tau: ref.tau,
          epochs: 5,
          lr: 0.01,
          weightDecay: ref.wd,
          samplesPerClass: 256,
          logitNorm: true,
          meanShrink: false,
        });
      }
  });

  // LAMDA-PILOT exps/l2p.json, typed out again by hand: tuned_epoch 5, batch_size 16, init_lr 0.001875,
  // optimizer adam, scheduler constant, size 10, length 5, top_k 5, batchwise_prompt, head_type prompt,
  // pull_constraint_coeff 0.1, initializer uniform; the backbone frozen with its own final norm; the query
  // from original_model(input) on each training batch (the references' training loops: per step).
  it('L2P rows: the reference configuration', () => {
    for (const benchmark of PAPER_BENCHMARKS)
      for (const backbone of PAPER_BACKBONES) {
        const cfg = paperConfig(benchmark, backbone, 'l2p', 1993);
        validateConfig(cfg);
        expect(cfg.stage1).toMatchObject({ epochs: 5, batchSize: 16, freshFinalNorm: false });
        expect(cfg.stage1.augment).toEqual({ transforms: PAPER_SETUP[benchmark].train });
        expect(cfg.alignment).toBeNull();
        expect(cfg.l2p).toEqual({
          poolSize: 10,
          promptLength: 5,
          topK: 5,
          keyLossWeight: 0.1,
          batchwisePrompt: true,
          readout: 'prompt-mean',
          lr: 0.001875,
          initRange: 1,
          queries: 'per-step',
        });
      }
  });

  // LAMDA-PILOT exps/dualprompt.json, typed out again by hand: tuned_epoch 5, batch_size 24, init_lr 0.001,
  // adam, constant; g_prompt_length 5 at layers [0, 1], e_prompt_layer_idx [2, 3, 4], prefix tuning for
  // both, size 10, length 5, top_k 1, use_prompt_mask, shared_prompt_pool, batchwise_prompt, head_type
  // token, pull_constraint_coeff 0.1, initializer uniform; the query per training batch, as L2P's.
  it('DualPrompt rows: the reference configuration', () => {
    for (const benchmark of PAPER_BENCHMARKS)
      for (const backbone of PAPER_BACKBONES) {
        const cfg = paperConfig(benchmark, backbone, 'dualprompt', 1993);
        validateConfig(cfg);
        expect(cfg.stage1).toMatchObject({ epochs: 5, batchSize: 24, freshFinalNorm: false });
        expect(cfg.alignment).toBeNull();
        expect(cfg.dualprompt).toEqual({
          gLayers: [0, 1],
          gLength: 5,
          eLayers: [2, 3, 4],
          poolSize: 10,
          eLength: 5,
          topK: 1,
          keyLossWeight: 0.1,
          promptMask: true,
          sharedPromptPool: true,
          batchwisePrompt: true,
          lr: 0.001,
          initRange: 1,
          queries: 'per-step',
        });
      }
  });
});
