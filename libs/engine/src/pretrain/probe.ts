import { normalizeInPlace } from '@slca/data';
import { LocalDevice, type VitArch, patchify } from '@slca/compute';
import type { ExperimentData, ImageSet } from '../slca/experiment';
import { backboneLayout } from '../weights/vit-weights';
import { ncmAccuracy } from './ncm';

type Normalize = { mean: readonly number[]; std: readonly number[] };

function normalised(set: ImageSet, norm: Normalize): Float32Array {
  if (!('images' in set))
    throw new Error('the probe needs decoded images (loadManifestData), not a lazy source');
  return normalizeInPlace(set.images.slice(), norm.mean, norm.std);
}

/**
 * How well a frozen backbone's features separate the downstream classes: NCM accuracy on the test split
 * with class means from the training split (features after the backbone's own final norm).
 */
export async function probeBackbone(
  values: Float32Array,
  arch: VitArch,
  data: ExperimentData,
  norm: Normalize,
): Promise<number> {
  const device = new LocalDevice();
  await device.setModel(
    { arch, layout: backboneLayout(arch).toJSON(), finalNormEps: arch.normEps ?? 1e-6, trainBackbone: false },
    values,
  );
  const features = async (set: ImageSet) =>
    (
      await device.features([{ patches: patchify(normalised(set, norm), set.count, arch), count: set.count }])
    )[0];
  return ncmAccuracy(
    { features: await features(data.train), labels: data.train.labels },
    { features: await features(data.test), labels: data.test.labels },
    arch.dim,
  );
}

/** The same probe on normalised raw pixels: the floor a useful backbone must beat. */
export function probeRawPixels(data: ExperimentData, norm: Normalize): number {
  const dim = data.imageSize * data.imageSize * 3;
  return ncmAccuracy(
    { features: normalised(data.train, norm), labels: data.train.labels },
    { features: normalised(data.test, norm), labels: data.test.labels },
    dim,
  );
}
