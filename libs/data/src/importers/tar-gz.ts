import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DatasetImportError, firstLine } from './import-common';

export interface TarEntry {
  /** The member's path inside the archive. */
  name: string;
  data: Buffer;
}

const BLOCK = 512;

/**
 * The regular files of a `.tar.gz`, read whole into memory (CIFAR-100's archive is 161 MB unpacked).
 * Understands ustar names (prefix + name), GNU long names (`L`) and pax `path` records; other entry
 * types (folders, links) are skipped. A damaged header or a member running past the end is an error
 * naming the archive and the offset.
 */
export function readTarGz(path: string): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(readFileSync(path));
  } catch (error) {
    throw new DatasetImportError(`${path} is not a readable .tar.gz: ${firstLine(error)}`);
  }
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    let stored = 0;
    for (let i = 0; i < BLOCK; i++) stored += i >= 148 && i < 156 ? 0x20 : header[i];
    const checksum = parseInt(field(148, 8).trim(), 8);
    if (checksum !== stored)
      throw new DatasetImportError(`${path}: damaged tar header at byte ${offset} (checksum mismatch)`);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new DatasetImportError(`${path}: tar header at byte ${offset} has an invalid size`);
    const type = String.fromCharCode(header[156] || 0x30);
    const start = offset + BLOCK;
    if (start + size > tar.length)
      throw new DatasetImportError(
        `${path}: member at byte ${offset} claims ${size} bytes but the archive ends after ${tar.length - start}`,
      );
    const data = tar.subarray(start, start + size);
    const magic = field(257, 6);
    const prefix = magic.startsWith('ustar') ? field(345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === 'L') longName = data.toString('latin1').replace(/\0.*$/s, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
    else if (type === '0' || type === '7') entries.push({ name, data });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
