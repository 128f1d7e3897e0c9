import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mat5Error, matScalar, matString, readMat5, type MatValue } from './mat5';

/** Written by scripts/make-mat5-fixtures.py with scipy.io.savemat; the values below are what it wrote. */
const CORPUS = join(__dirname, '../../test/importers/mat5');
const read = (file: string) => readMat5(readFileSync(join(CORPUS, 'ok', file)));

const numeric = (cls: string, dims: number[], data: number[], logical = false) => ({
  kind: 'numeric',
  class: cls,
  logical,
  dims,
  data: Float64Array.from(data),
});
const char = (...rows: string[]) => ({
  kind: 'char',
  dims: [rows.length, rows[0]?.length ?? 0],
  rows,
});

const ANNOTATIONS: [number, number, number, number, number, string][] = [
  [39, 116, 569, 375, 14, '00001.jpg'],
  [36, 116, 868, 587, 3, '00002.jpg'],
  [85, 109, 601, 381, 91, '00003.jpg'],
];

describe('readMat5 on scipy.io.savemat files', () => {
  for (const suffix of ['', '-compressed']) {
    it(`numeric${suffix}.mat: every numeric class, logical, empty and 3-D, column-major`, () => {
      const { header, variables } = read(`numeric${suffix}.mat`);
      expect(header).toBe(
        'MATLAB 5.0 MAT-file, written by libs/data/scripts/make-mat5-fixtures.py (scipy.io.savemat)',
      );
      expect(Object.fromEntries(variables)).toEqual({
        m: numeric('double', [2, 3], [1.5, 4, -2, 0.1, 3, Infinity]),
        f: numeric('single', [1, 2], [0.25, -1.5]),
        i8: numeric('int8', [1, 3], [-128, 0, 127]),
        u8: numeric('uint8', [2, 2], [0, 7, 255, 8]),
        i16: numeric('int16', [1, 2], [-32768, 32767]),
        u16: numeric('uint16', [1, 1], [65535]),
        i32: numeric('int32', [1, 2], [-2147483648, 2147483647]),
        u32: numeric('uint32', [1, 1], [4294967295]),
        i64: numeric('int64', [1, 2], [-(2 ** 53), 2 ** 53]),
        u64: numeric('uint64', [1, 2], [0, 2 ** 53]),
        t: numeric('uint8', [1, 3], [1, 0, 1], true),
        e: numeric('double', [0, 3], []),
        // numpy arange(24).reshape(2, 3, 4): element (i, j, k) = 12i + 4j + k, stored i fastest
        x3: numeric(
          'double',
          [2, 3, 4],
          [0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23],
        ),
      });
    });

    it(`text${suffix}.mat: UTF-8 chars, a 2-row char matrix, '' and cells (nested)`, () => {
      const { variables } = read(`text${suffix}.mat`);
      expect(Object.fromEntries(variables)).toEqual({
        s: char('SLCA'),
        u: char('Citroën C-Élysée'),
        m: char('abc', 'def'),
        e: char(),
        class_names: {
          kind: 'cell',
          dims: [1, 3],
          items: [
            char('AM General Hummer SUV 2000'),
            char('Acura RL Sedan 2012'),
            char('Volvo XC90 SUV 2007'),
          ],
        },
        nested: {
          kind: 'cell',
          dims: [1, 3],
          items: [
            numeric('double', [1, 2], [1, 2]),
            char('two'),
            { kind: 'cell', dims: [1, 1], items: [char('a')] },
          ],
        },
      });
    });

    it(`struct${suffix}.mat: struct arrays shaped like the Cars-196 devkit's annotations, and a scalar struct`, () => {
      const { variables } = read(`struct${suffix}.mat`);
      const fields = ['bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2', 'class', 'fname'];
      const expected = (classes: string[]) => ({
        kind: 'struct',
        dims: [1, 3],
        fieldNames: fields,
        fields: Object.fromEntries(
          fields.map((field, f) => [
            field,
            ANNOTATIONS.map((row) =>
              f === 5 ? char(row[5]) : numeric(classes[f], [1, 1], [row[f] as number]),
            ),
          ]),
        ),
      });
      expect(variables.get('annotations')).toEqual(expected(['uint8', 'uint8', 'uint16', 'uint16', 'uint8']));
      expect(variables.get('annotations_double')).toEqual(expected(Array(5).fill('double')));
      expect(variables.get('meta')).toEqual({
        kind: 'struct',
        dims: [1, 1],
        fieldNames: ['name', 'count'],
        fields: { name: [char('cars')], count: [numeric('double', [1, 1], [196])] },
      });
    });
  }

  it('matlab-style.mat: doubles stored as uint8/int16 in small data elements, UTF-16 chars, compressed cell', () => {
    // Assembled byte by byte by the script and checked there with scipy.io.loadmat.
    const { variables } = read('matlab-style.mat');
    expect(Object.fromEntries(variables)).toEqual({
      cls: numeric('double', [1, 3], [1, 2, 255]),
      big: numeric('double', [2, 1], [-300, 300]),
      names: { kind: 'cell', dims: [1, 2], items: [char('Audi A5 Coupe 2012'), char('Škoda Octavia 2012')] },
    });
  });

  it('matString and matScalar take the one string / number out of a value, else undefined', () => {
    const { variables } = read('text.mat');
    expect(matString(variables.get('s'))).toBe('SLCA');
    expect(matString(variables.get('e'))).toBe('');
    expect(matString(variables.get('m'))).toBeUndefined();
    expect(matString(variables.get('class_names'))).toBeUndefined();
    const meta = read('struct.mat').variables.get('meta') as Extract<MatValue, { kind: 'struct' }>;
    expect(matScalar(meta.fields.count[0])).toBe(196);
    expect(matScalar(meta.fields.name[0])).toBeUndefined();
    expect(matScalar(variables.get('nested'))).toBeUndefined();
  });
});

describe('readMat5 on the not-ok corpus', () => {
  const expected = JSON.parse(readFileSync(join(CORPUS, 'not-ok', 'expected-errors.json'), 'utf8')) as Record<
    string,
    string
  >;

  it('has an expected error for every file of the corpus', () => {
    const files = readdirSync(join(CORPUS, 'not-ok')).filter((f) => f.endsWith('.mat'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, message] of Object.entries(expected)) {
    it(`refuses not-ok/${file}: ${message}`, () => {
      const bytes = readFileSync(join(CORPUS, 'not-ok', file));
      expect(() => readMat5(bytes)).toThrow(Mat5Error);
      expect(() => readMat5(bytes)).toThrow(message);
    });
  }

  it('reads a file at a non-zero offset of a shared buffer (Node pools small reads)', () => {
    const file = readFileSync(join(CORPUS, 'ok', 'numeric.mat'));
    const shared = Buffer.concat([Buffer.alloc(3, 0xee), file]);
    expect(readMat5(shared.subarray(3)).variables.get('u8')).toEqual(
      numeric('uint8', [2, 2], [0, 7, 255, 8]),
    );
  });
});
