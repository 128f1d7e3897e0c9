import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImages } from './images';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem, type DatasetManifest } from './manifest';

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** A folder that is not a usable dataset; the message names the folder, class or file. */
export class FolderDatasetError extends Error {
  override name = 'FolderDatasetError';
}

export interface FolderDatasetOptions {
  /** Side length the images are checked to decode at (every image is decoded once on import). */
  imageSize: number;
  description?: string;
}

/**
 * Reads a dataset laid out as `<root>/train/<class>/*.png|jpg` and `<root>/test/<class>/…`: class ids are the
 * class folders in sorted order, the test split must have the same classes, no class may be empty, and
 * every image must decode. Returns a manifest (files relative to root, with SHA-256); the same files
 * always give the same manifest.
 */
export async function readFolderDataset(
  root: string,
  name: string,
  options: FolderDatasetOptions,
): Promise<DatasetManifest> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new FolderDatasetError(`dataset folder ${root} does not exist`);
  const classesOf = (split: string): string[] => {
    const dir = join(root, split);
    if (!existsSync(dir)) throw new FolderDatasetError(`dataset folder ${root} has no ${split}/ folder`);
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  };
  const classes = classesOf('train');
  if (classes.length === 0) throw new FolderDatasetError(`${join(root, 'train')} has no class folders`);
  const testClasses = classesOf('test');
  const missing = classes.find((c) => !testClasses.includes(c));
  const extra = testClasses.find((c) => !classes.includes(c));
  if (missing) throw new FolderDatasetError(`class ${missing} has no folder in ${join(root, 'test')}`);
  if (extra) throw new FolderDatasetError(`class ${extra} is in test/ but not in train/`);

  const items = (split: 'train' | 'test'): DatasetItem[] =>
    classes.flatMap((cls, label) => {
      const files = readdirSync(join(root, split, cls))
        .filter((f) => IMAGE_FILE.test(f))
        .sort();
      if (files.length === 0) throw new FolderDatasetError(`class ${cls} has no ${split} images`);
      return files.map((f) => {
        const file = `${split}/${cls}/${f}`;
        const sha256 = createHash('sha256')
          .update(readFileSync(join(root, file)))
          .digest('hex');
        return { file, label, sha256 };
      });
    });
  const train = items('train');
  const test = items('test');
  // Decoding every image now refuses a corrupt or truncated file before anything is stored.
  await decodeImages(
    [...train, ...test].map((it) => join(root, it.file)),
    { size: options.imageSize },
  );
  return parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name,
      ...(options.description ? { description: options.description } : {}),
      imageSize: options.imageSize,
      classes: classes.map((c, id) => ({ id, name: c })),
      train,
      test,
    },
    root,
  );
}
