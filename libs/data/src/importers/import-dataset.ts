import { importCars196 } from './cars196';
import { importCifar100 } from './cifar100';
import { importCub200 } from './cub200';
import { importImagenetR } from './imagenet-r';
import type { ImportedDataset, ImportFormat, ImportProgress } from './import-common';

export interface ImportDatasetOptions {
  name: string;
  /** Where converted images go (CIFAR-100 only; the other formats refer to their source files). */
  outDir: string;
  onProgress?: ImportProgress;
}

/** Whether a format writes converted images to `outDir` (else the manifest points into the source). */
export function formatConvertsImages(format: ImportFormat): boolean {
  return format === 'cifar100';
}

export function importDataset(
  format: ImportFormat,
  path: string,
  options: ImportDatasetOptions,
): Promise<ImportedDataset> {
  switch (format) {
    case 'cifar100':
      return importCifar100(path, options);
    case 'imagenet-r':
      return importImagenetR(path, options);
    case 'cub200':
      return importCub200(path, options);
    case 'cars196':
      return importCars196(path, options);
  }
}
