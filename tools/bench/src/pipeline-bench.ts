import {
  decodeResizeCenterCrop,
  decodeSourceImages,
  Mt19937,
  scaleTransforms,
  transformBatch,
  type ImageBytes,
} from '@slca/data';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { TransformPool, PAPER_SETUP, paperTestTransform, type PaperBenchmark } from '@slca/engine';

/** One source kind through the paper's input pipeline, per image, in the calling thread. */
export interface PipelineMeasurement {
  /** e.g. "CIFAR-100 (32×32 PNG)". */
  source: string;
  benchmark: PaperBenchmark;
  images: number;
  /** Training view: sharp decode at source size + `transformBatch` (docs/method.md §5.2 pipeline). */
  trainImagesPerSecond: number;
  /** The same training view with the transforms on `PipelineReport.transformWorkers` worker threads. */
  trainPooledImagesPerSecond: number;
  /** Evaluation view: decode + Resize → CenterCrop (`decodeResizeCenterCrop`). */
  evalImagesPerSecond: number;
}

export interface PipelineReport {
  size: number;
  /** Worker threads of the pooled training view (`TransformPool`). */
  transformWorkers: number;
  runs: PipelineMeasurement[];
}

/** A smooth synthetic picture with some texture, encoded like the real data (PNG for CIFAR, JPEG else). */
async function syntheticImage(
  width: number,
  height: number,
  seed: number,
  format: 'png' | 'jpeg',
): Promise<Uint8Array> {
  const rng = new Mt19937(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        raw[(y * width + x) * 3 + c] = Math.round(
          127 + 80 * Math.sin((x + 7 * c) / 9 + seed) * Math.cos(y / 13) + 40 * rng.randomSample(),
        );
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

const SOURCES: {
  source: string;
  benchmark: PaperBenchmark;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
}[] = [
  { source: 'CIFAR-100 (32×32 PNG)', benchmark: 'cifar100', width: 32, height: 32, format: 'png' },
  { source: 'ImageNet-R (500×375 JPEG)', benchmark: 'imagenet-r', width: 500, height: 375, format: 'jpeg' },
  { source: 'CUB / Cars (500×375 JPEG)', benchmark: 'cub200', width: 500, height: 375, format: 'jpeg' },
];

/**
 * Input-pipeline throughput at the ViT-B/16 size (224 px): how many images per second the calling thread
 * turns into training and evaluation batches, per benchmark kind, and the training view again with the
 * transforms on worker threads (`TransformPool`). On a GPU node this is the figure to set against the
 * accelerator's img/s; the decode runs on libvips' threads, the transforms in JavaScript.
 */
export async function benchInputPipeline(
  options: { images?: number; repeats?: number; size?: number; transformWorkers?: number } = {},
): Promise<PipelineReport> {
  const n = options.images ?? 32;
  const repeats = options.repeats ?? 3;
  const size = options.size ?? 224;
  const transformWorkers = options.transformWorkers ?? Math.min(8, availableParallelism());
  const runs: PipelineMeasurement[] = [];
  const pool = await TransformPool.create(transformWorkers);
  try {
    for (const s of SOURCES) {
      const inputs: ImageBytes[] = await Promise.all(
        Array.from({ length: n }, async (_, i) => ({
          name: `${i}.${s.format}`,
          bytes: await syntheticImage(s.width, s.height, i, s.format),
        })),
      );
      const steps = scaleTransforms(PAPER_SETUP[s.benchmark].train, size);
      const evalView = paperTestTransform(s.benchmark, size);
      const rng = new Mt19937(0);
      const best = async (work: () => Promise<unknown>) => {
        const times: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const t = performance.now();
          await work();
          times.push((performance.now() - t) / 1000);
        }
        times.sort((a, b) => a - b);
        return n / times[Math.floor(times.length / 2)];
      };
      const trainImagesPerSecond = await best(async () =>
        transformBatch(await decodeSourceImages(inputs), steps, rng, size),
      );
      const trainPooledImagesPerSecond = await best(async () =>
        pool.transformBatch(await decodeSourceImages(inputs), steps, rng, size, { transfer: true }),
      );
      const evalImagesPerSecond = await best(() => decodeResizeCenterCrop(inputs, evalView));
      runs.push({
        source: s.source,
        benchmark: s.benchmark,
        images: n,
        trainImagesPerSecond,
        trainPooledImagesPerSecond,
        evalImagesPerSecond,
      });
    }
  } finally {
    await pool.close();
  }
  return { size, transformWorkers, runs };
}
