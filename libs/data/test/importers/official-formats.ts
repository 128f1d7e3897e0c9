import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Writers for tiny files in the exact official formats, so the importers are tested on what the real
 * releases contain without shipping them.
 */

/** One CIFAR-100 binary record: coarse byte, fine byte, then the R, G and B planes (1024 bytes each). */
export function cifarRecord(
  coarse: number,
  fine: number,
  pixel: (x: number, y: number, c: number) => number,
) {
  const out = Buffer.alloc(3074);
  out[0] = coarse;
  out[1] = fine;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[2 + c * 1024 + y * 32 + x] = pixel(x, y, c);
  return out;
}

/** A record whose pixels are a known function of (record, x, y, channel). */
export const patternPixel = (seed: number) => (x: number, y: number, c: number) =>
  (seed * 31 + x * 7 + y * 3 + c * 85) % 256;

/** `perClass` records of each of the 100 fine labels, in label order (coarse = fine mod 20). */
export function cifarFile(perClass: number, salt: number): Buffer {
  const records: Buffer[] = [];
  for (let fine = 0; fine < 100; fine++)
    for (let k = 0; k < perClass; k++)
      records.push(cifarRecord(fine % 20, fine, patternPixel(salt + fine * 10 + k)));
  return Buffer.concat(records);
}

export const CIFAR_NAMES = Array.from({ length: 100 }, (_, i) => `fine-${String(i).padStart(2, '0')}`);

/** A ustar archive of the given files (mode 0644, mtime 0), gzipped. */
export function tarGz(files: Record<string, Uint8Array>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'latin1');
    header.write('0000644\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('00000000000\0', 136, 'latin1');
    header.write('        ', 148, 'latin1');
    header[156] = 0x30;
    header.write('ustar\0', 257, 'latin1');
    header.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export function jpeg(r: number, g: number, b: number, width = 12, height = 10): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toBuffer();
}

/** Writes `<root>/<path>` for every entry (creating folders); returns root. */
export async function writeTree(root: string, files: Record<string, string | Buffer | Promise<Buffer>>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), await content);
  }
  return root;
}
