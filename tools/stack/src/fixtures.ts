import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * Tiny releases of the paper's benchmarks in their official formats, written by tests: what a user
 * brings, at a few images per class, so that import → split → train → evaluate runs in seconds.
 */

/** A CIFAR-100 record set (1 coarse byte, 1 fine byte, R, G, B planes of 32×32); colours depend on label and k. */
export function cifar100Records(perClass: number, salt: number): Buffer {
  const records: Buffer[] = [];
  for (let fine = 0; fine < 100; fine++)
    for (let k = 0; k < perClass; k++) {
      const r = Buffer.alloc(3074);
      r[0] = fine % 20;
      r[1] = fine;
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 1024; p++)
          r[2 + c * 1024 + p] = ((fine * (37 + c * 11) + (p % 32) * (c + 1) + salt + k * 3) * 7) % 256;
      records.push(r);
    }
  return Buffer.concat(records);
}

/** `<dir>/cifar-100-binary/{train,test}.bin`; returns the release folder. */
export function writeCifar100Release(dir: string, perClass = { train: 2, test: 1 }): string {
  const root = join(dir, 'cifar-100-binary');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'train.bin'), cifar100Records(perClass.train, 0));
  writeFileSync(join(root, 'test.bin'), cifar100Records(perClass.test, 5));
  return root;
}

/** A JPEG whose gradient depends on (class, index): classes differ, and the images are not flat. */
async function gradientJpeg(c: number, i: number, width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      pixels[o] = (c * 60 + x * 5 + i * 7) % 256;
      pixels[o + 1] = (c * 35 + y * 6) % 256;
      pixels[o + 2] = (200 - c * 40 + (x + y) * 2 + i) % 256;
    }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * `<dir>/CUB_200_2011` as the official release lays it out (classes.txt, images.txt,
 * image_class_labels.txt, train_test_split.txt, images/<class>/<file>.jpg), with `classes` classes of
 * `train` + `test` JPEGs each at 40 × 30 and 30 × 40; returns the release folder.
 */
export async function writeCub200Release(dir: string, classes = 4, train = 3, test = 2): Promise<string> {
  const root = join(dir, 'CUB_200_2011');
  const lines = {
    classes: [] as string[],
    images: [] as string[],
    labels: [] as string[],
    split: [] as string[],
  };
  let id = 0;
  for (let c = 0; c < classes; c++) {
    const name = `${String(c + 1).padStart(3, '0')}.Bird_${c + 1}`;
    lines.classes.push(`${c + 1} ${name}`);
    mkdirSync(join(root, 'images', name), { recursive: true });
    for (let i = 0; i < train + test; i++) {
      id++;
      const file = `${name}/bird_${c}_${i}.jpg`;
      const [w, h] = i % 2 ? [30, 40] : [40, 30];
      writeFileSync(join(root, 'images', file), await gradientJpeg(c, i, w, h));
      lines.images.push(`${id} ${file}`);
      lines.labels.push(`${id} ${c + 1}`);
      lines.split.push(`${id} ${i < train ? 1 : 0}`);
    }
  }
  writeFileSync(join(root, 'classes.txt'), `${lines.classes.join('\n')}\n`);
  writeFileSync(join(root, 'images.txt'), `${lines.images.join('\n')}\n`);
  writeFileSync(join(root, 'image_class_labels.txt'), `${lines.labels.join('\n')}\n`);
  writeFileSync(join(root, 'train_test_split.txt'), `${lines.split.join('\n')}\n`);
  return root;
}
