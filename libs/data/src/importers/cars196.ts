import { FolderDatasetError, readFolderDataset } from '../folder-dataset';
import { ImageDecodeError } from '../images';
import type { DatasetManifest } from '../manifest';
import {
  countWarnings,
  DatasetImportError,
  firstLine,
  requireDirectory,
  type ImportedDataset,
  type ImportProgress,
} from './import-common';

export const CARS196_OFFICIAL = { classes: 196, train: 8_144, test: 8_041 };

export interface Cars196ImportOptions {
  name: string;
  onProgress?: ImportProgress;
}

/**
 * Imports Stanford Cars-196 from a `train/<class>/`, `test/<class>/` layout through
 * {@link readFolderDataset} (class id = sorted folder index). Its decode check runs at 8 px, enough for
 * libvips to read every image's whole stream (so truncation is caught) without holding 16,000 full
 * images in memory; the manifest then drops `imageSize`, since Cars images come in many sizes.
 */
export async function importCars196(root: string, options: Cars196ImportOptions): Promise<ImportedDataset> {
  requireDirectory(root, 'Cars-196 folder');
  options.onProgress?.(0, 1, 'checking images');
  let read: DatasetManifest;
  try {
    read = await readFolderDataset(root, options.name, {
      imageSize: 8,
      description:
        'Stanford Cars-196 from train/<class>/, test/<class>/ folders; label = sorted folder index',
    });
  } catch (error) {
    if (error instanceof ImageDecodeError) {
      const file = error.file.startsWith(root)
        ? error.file.slice(root.length).replace(/^[/\\]/, '')
        : error.file;
      throw new DatasetImportError(`cannot decode image ${file}: ${firstLine(error.cause)}`);
    }
    if (error instanceof FolderDatasetError) throw new DatasetImportError(error.message);
    throw error;
  }
  options.onProgress?.(1, 1, 'checking images');
  const { imageSize: _decodedAt, ...rest } = read;
  const manifest: DatasetManifest = {
    ...rest,
    credits: [
      'Stanford Cars: Krause et al., "3D Object Representations for Fine-Grained Categorization", 3dRR 2013',
    ],
  };
  return { manifest, root, warnings: countWarnings('Cars-196', manifest, CARS196_OFFICIAL) };
}
