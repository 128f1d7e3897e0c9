import { inflateSync } from 'node:zlib';

/**
 * A reader for MATLAB Level-5 MAT-files (what MATLAB's `save -v6`/`-v7` and scipy.io.savemat write), for
 * the annotation files that some dataset releases ship: numeric arrays (real), char arrays, cell arrays
 * and struct arrays, compressed or not, little-endian. Not supported, each refused with a message saying
 * so: big-endian files, v7.3 files (HDF5), complex, sparse and object arrays.
 *
 * Arrays keep MATLAB's column-major order: element (i, j, k) of dims [I, J, K] is at i + I·(j + J·k).
 */

export type MatNumericClass =
  'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

export interface MatNumeric {
  kind: 'numeric';
  class: MatNumericClass;
  /** MATLAB's `logical` (stored as uint8). */
  logical: boolean;
  dims: number[];
  /** Every value as a double; 64-bit integers beyond ±2^53 are refused rather than rounded. */
  data: Float64Array;
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  /** One string per row (a 1×N char array is one row; 0×0 is none). */
  rows: string[];
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  items: MatValue[];
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  /** In the file's order. */
  fieldNames: string[];
  /** Per field, one value per struct element. */
  fields: Record<string, MatValue[]>;
}

export type MatValue = MatNumeric | MatChar | MatCell | MatStruct;

export interface MatFile {
  /** The header's descriptive text, trailing spaces and NULs removed. */
  header: string;
  variables: Map<string, MatValue>;
}

/** A MAT-file this reader cannot read; the message names the byte offset and, once known, the variable. */
export class Mat5Error extends Error {
  override name = 'Mat5Error';
}

const HEADER_BYTES = 128;
const MAT5_TEXT = 'MATLAB 5.0 MAT-file';

const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const MI_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(MI).map(([name, type]) => [type, `mi${name}`]),
);

/** Byte size of the numeric data types. */
const MI_SIZES: Record<number, number> = {
  [MI.INT8]: 1,
  [MI.UINT8]: 1,
  [MI.INT16]: 2,
  [MI.UINT16]: 2,
  [MI.INT32]: 4,
  [MI.UINT32]: 4,
  [MI.SINGLE]: 4,
  [MI.DOUBLE]: 8,
  [MI.INT64]: 8,
  [MI.UINT64]: 8,
};

const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;
const MX_NUMERIC: Record<number, MatNumericClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const MX_UNSUPPORTED: Record<number, string> = {
  3: 'object',
  5: 'sparse',
  16: 'function handle',
  17: 'opaque',
};

const FLAG_COMPLEX = 0x800;
const FLAG_LOGICAL = 0x200;

const miName = (type: number) => MI_NAMES[type] ?? `unknown data type ${type}`;

/** A run of bytes holding data elements: the file, or the data inflated from one miCOMPRESSED element. */
interface Region {
  bytes: Uint8Array;
  view: DataView;
  /** Says where `offset` is, for messages. */
  at(offset: number): string;
  /** What the region is, for "runs past the end of …". */
  what: string;
}

/** Where a parse is: the region, and the variable path (MATLAB notation, 1-based) once its name is known. */
interface Place {
  region: Region;
  path: string;
}

function fail(place: Place, offset: number, problem: string): never {
  throw new Mat5Error(`${place.region.at(offset)} (${place.path}): ${problem}`);
}

interface Element {
  type: number;
  /** Offset of the tag. */
  offset: number;
  dataStart: number;
  size: number;
  /** Where the next element's tag starts (after padding to 8 bytes, except after miCOMPRESSED). */
  next: number;
}

/** Reads the tag of the element at `offset`, which must end by `end` (the end of the enclosing element). */
function readElement(place: Place, offset: number, end: number, container: string): Element {
  const { view } = place.region;
  if (end - offset < 8)
    fail(place, offset, `truncated data element tag (${end - offset} of 8 bytes left in ${container})`);
  const first = view.getUint32(offset, true);
  if (first >>> 16 !== 0) {
    // Small data element: type and size share the first 4 bytes, the data is the next 4.
    const type = first & 0xffff;
    const size = first >>> 16;
    if (size > 4)
      fail(place, offset, `small data element of ${miName(type)} claims ${size} bytes (at most 4)`);
    return { type, offset, dataStart: offset + 4, size, next: offset + 8 };
  }
  const size = view.getUint32(offset + 4, true);
  const dataStart = offset + 8;
  if (size > end - dataStart)
    fail(
      place,
      offset,
      `${miName(first)} element of ${size} bytes runs past the end of ${container}: ${end - dataStart} bytes left`,
    );
  const padded = first === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: first, offset, dataStart, size, next: Math.min(end, dataStart + padded) };
}

/** Reads a tag that must be one of `types`. */
function expectElement(
  place: Place,
  offset: number,
  end: number,
  container: string,
  what: string,
  types: readonly number[],
): Element {
  const element = readElement(place, offset, end, container);
  if (!types.includes(element.type))
    fail(place, offset, `${what}: expected ${types.map(miName).join(' or ')}, got ${miName(element.type)}`);
  return element;
}

function int32s(place: Place, element: Element, what: string): number[] {
  if (element.size % 4 !== 0)
    fail(place, element.offset, `${what}: ${element.size} bytes is not a whole number of int32`);
  return Array.from({ length: element.size / 4 }, (_, i) =>
    place.region.view.getInt32(element.dataStart + 4 * i, true),
  );
}

function latin1(bytes: Uint8Array, start: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[start + i]);
  return text;
}

/** The numeric values of a data element, converted to doubles. */
function numbers(place: Place, element: Element, what: string): Float64Array {
  const size = MI_SIZES[element.type];
  if (!MI_NAMES[element.type]) fail(place, element.offset, `${what}: unknown data type ${element.type}`);
  if (size === undefined)
    fail(place, element.offset, `${what}: ${miName(element.type)} is not a numeric data type`);
  if (element.size % size !== 0)
    fail(
      place,
      element.offset,
      `${what}: ${element.size} bytes is not a whole number of ${miName(element.type)}`,
    );
  const { view } = place.region;
  const out = new Float64Array(element.size / size);
  const at = element.dataStart;
  for (let i = 0; i < out.length; i++) {
    const o = at + i * size;
    switch (element.type) {
      case MI.INT8:
        out[i] = view.getInt8(o);
        break;
      case MI.UINT8:
        out[i] = view.getUint8(o);
        break;
      case MI.INT16:
        out[i] = view.getInt16(o, true);
        break;
      case MI.UINT16:
        out[i] = view.getUint16(o, true);
        break;
      case MI.INT32:
        out[i] = view.getInt32(o, true);
        break;
      case MI.UINT32:
        out[i] = view.getUint32(o, true);
        break;
      case MI.SINGLE:
        out[i] = view.getFloat32(o, true);
        break;
      case MI.DOUBLE:
        out[i] = view.getFloat64(o, true);
        break;
      default: {
        const big = element.type === MI.INT64 ? view.getBigInt64(o, true) : view.getBigUint64(o, true);
        out[i] = Number(big);
        if (BigInt(out[i]) !== big)
          fail(
            place,
            o,
            `${what}: value ${big} of element ${i + 1} is not exactly representable as a double`,
          );
      }
    }
  }
  return out;
}

/** Characters of a char array's data element, one string per character (UTF-16 unit or code point). */
function characters(place: Place, element: Element): string[] {
  const { bytes, view } = place.region;
  const { type, dataStart, size } = element;
  switch (type) {
    case MI.UTF8:
      try {
        return Array.from(
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(dataStart, dataStart + size)),
        );
      } catch {
        return fail(place, element.offset, 'char data is not valid UTF-8');
      }
    case MI.INT8:
    case MI.UINT8:
      return Array.from(latin1(bytes, dataStart, size));
    case MI.UINT16:
    case MI.UTF16:
      if (size % 2 !== 0)
        fail(place, element.offset, `char data of ${size} bytes is not a whole number of UTF-16 units`);
      return Array.from({ length: size / 2 }, (_, i) =>
        String.fromCharCode(view.getUint16(dataStart + 2 * i, true)),
      );
    case MI.UTF32:
      if (size % 4 !== 0)
        fail(place, element.offset, `char data of ${size} bytes is not a whole number of UTF-32 units`);
      return Array.from({ length: size / 4 }, (_, i) => {
        const code = view.getUint32(dataStart + 4 * i, true);
        if (code > 0x10ffff)
          fail(place, dataStart + 4 * i, `char data holds ${code}, which is not a code point`);
        return String.fromCodePoint(code);
      });
    default:
      return fail(place, element.offset, `char data: ${miName(type)} is not a character encoding`);
  }
}

/** The array flags, dimensions and name that open every non-empty miMATRIX body. */
interface ArrayHeader {
  flags: number;
  dims: number[];
  /** Offset of the dimensions element, for messages about them. */
  dimsAt: number;
  name: string;
  /** Where the array's data elements start. */
  next: number;
}

function readArrayHeader(place: Place, start: number, end: number, container: string): ArrayHeader {
  const flags = expectElement(place, start, end, container, 'array flags', [MI.UINT32]);
  if (flags.size !== 8) fail(place, start, `array flags: expected 8 bytes, got ${flags.size}`);
  const dimsElement = expectElement(place, flags.next, end, container, 'dimensions', [MI.INT32]);
  const dims = int32s(place, dimsElement, 'dimensions');
  if (dims.length < 2 || dims.some((d) => d < 0))
    fail(place, dimsElement.offset, `dimensions [${dims.join(', ')}]: expected at least 2, none negative`);
  const name = expectElement(place, dimsElement.next, end, container, 'array name', [MI.INT8, MI.UINT8]);
  return {
    flags: place.region.view.getUint32(flags.dataStart, true),
    dims,
    dimsAt: dimsElement.offset,
    name: latin1(place.region.bytes, name.dataStart, name.size),
    next: name.next,
  };
}

/**
 * Parses the body (`start`..`end`) of an miMATRIX element. For a top-level variable (`topLevel`), the
 * messages name it once its name is read; below, `place.path` already says where the value is.
 */
function parseMatrix(
  place: Place,
  start: number,
  end: number,
  topLevel: boolean,
): { name: string; value: MatValue } {
  // MATLAB writes an empty array inside a cell or struct as an miMATRIX with no body.
  if (start === end)
    return {
      name: '',
      value: { kind: 'numeric', class: 'double', logical: false, dims: [0, 0], data: new Float64Array(0) },
    };
  const container = `its miMATRIX (byte ${end})`;
  const header = readArrayHeader(place, start, end, container);
  return {
    name: header.name,
    value: parseArray(
      topLevel ? { ...place, path: `variable '${header.name}'` } : place,
      start,
      end,
      header,
      container,
    ),
  };
}

function parseArray(
  here: Place,
  start: number,
  end: number,
  header: ArrayHeader,
  container: string,
): MatValue {
  const { flags: word, dims } = header;
  const mxClass = word & 0xff;
  const numel = dims.reduce((a, b) => a * b, 1);
  let offset = header.next;
  const unsupported = MX_UNSUPPORTED[mxClass];
  if (unsupported) fail(here, start, `${unsupported} arrays (class ${mxClass}) are not supported`);

  const numericClass = MX_NUMERIC[mxClass];
  if (numericClass) {
    if (word & FLAG_COMPLEX) fail(here, start, `complex ${numericClass} arrays are not supported`);
    if (numel === 0 && offset >= end)
      return { kind: 'numeric', class: numericClass, logical: false, dims, data: new Float64Array(0) };
    const real = readElement(here, offset, end, container);
    const data = numbers(here, real, 'real part');
    if (data.length !== numel)
      fail(
        here,
        real.offset,
        `real part holds ${data.length} values, dimensions [${dims.join(', ')}] need ${numel}`,
      );
    return { kind: 'numeric', class: numericClass, logical: (word & FLAG_LOGICAL) !== 0, dims, data };
  }

  if (mxClass === MX_CHAR) {
    if (dims.length !== 2)
      fail(here, header.dimsAt, `char arrays of ${dims.length} dimensions are not supported`);
    if (numel === 0 && offset >= end) return { kind: 'char', dims, rows: dims[0] === 0 ? [] : [''] };
    const element = readElement(here, offset, end, container);
    const chars = characters(here, element);
    if (chars.length !== numel)
      fail(
        here,
        element.offset,
        `char data holds ${chars.length} characters, dimensions [${dims.join(', ')}] need ${numel}`,
      );
    const [rowCount, columns] = dims;
    const rows = Array.from({ length: rowCount }, (_, r) =>
      Array.from({ length: columns }, (_, c) => chars[r + c * rowCount]).join(''),
    );
    return { kind: 'char', dims, rows };
  }

  if (mxClass === MX_CELL) {
    if (numel > (end - offset) / 8)
      fail(here, offset, `${numel} cells cannot fit in the ${end - offset} bytes left of the miMATRIX`);
    const items: MatValue[] = [];
    for (let i = 0; i < numel; i++) {
      const item: Place = { region: here.region, path: `${here.path}{${i + 1}}` };
      const element = expectElement(item, offset, end, container, `cell ${i + 1}`, [MI.MATRIX]);
      items.push(parseMatrix(item, element.dataStart, element.dataStart + element.size, false).value);
      offset = element.next;
    }
    return { kind: 'cell', dims, items };
  }

  if (mxClass === MX_STRUCT) {
    const lengthElement = expectElement(here, offset, end, container, 'field name length', [MI.INT32]);
    const [nameLength] = int32s(here, lengthElement, 'field name length');
    if (lengthElement.size !== 4 || nameLength < 1)
      fail(here, lengthElement.offset, 'field name length: expected one positive int32');
    const namesElement = expectElement(here, lengthElement.next, end, container, 'field names', [
      MI.INT8,
      MI.UINT8,
    ]);
    if (namesElement.size % nameLength !== 0)
      fail(
        here,
        namesElement.offset,
        `field names: ${namesElement.size} bytes is not a multiple of ${nameLength}`,
      );
    const fieldNames = Array.from({ length: namesElement.size / nameLength }, (_, f) =>
      latin1(here.region.bytes, namesElement.dataStart + f * nameLength, nameLength).replace(/\0.*$/s, ''),
    );
    fieldNames.forEach((field, f) => {
      if (field === '') fail(here, namesElement.offset, `field ${f + 1} has an empty name`);
      if (fieldNames.indexOf(field) !== f) fail(here, namesElement.offset, `field '${field}' is named twice`);
    });
    offset = namesElement.next;
    if (numel * fieldNames.length > (end - offset) / 8)
      fail(
        here,
        offset,
        `${numel}×${fieldNames.length} field values cannot fit in the ${end - offset} bytes left`,
      );
    const fields: Record<string, MatValue[]> = Object.fromEntries(fieldNames.map((field) => [field, []]));
    for (let i = 0; i < numel; i++) {
      for (const field of fieldNames) {
        const value: Place = { region: here.region, path: `${here.path}(${i + 1}).${field}` };
        const element = expectElement(value, offset, end, container, `field '${field}'`, [MI.MATRIX]);
        fields[field].push(
          parseMatrix(value, element.dataStart, element.dataStart + element.size, false).value,
        );
        offset = element.next;
      }
    }
    return { kind: 'struct', dims, fieldNames, fields };
  }

  return fail(here, start, `unknown array class ${mxClass}`);
}

/**
 * For a top-level miMATRIX that runs past the end of the file: the error, naming the variable instead of
 * its number when the name is among the bytes that are there.
 */
function nameVariable(error: unknown, place: Place, offset: number): unknown {
  const { bytes, view } = place.region;
  if (
    !(error instanceof Mat5Error) ||
    bytes.length - offset < 8 ||
    view.getUint32(offset, true) !== MI.MATRIX
  )
    return error;
  try {
    const { name } = readArrayHeader(place, offset + 8, bytes.length, place.region.what);
    return new Mat5Error(error.message.replace(`(${place.path})`, `(variable '${name}')`));
  } catch {
    return error;
  }
}

/** Reads the top-level elements of a region into `variables`. */
function parseVariables(region: Region, start: number, variables: Map<string, MatValue>): void {
  let offset = start;
  while (offset < region.bytes.length) {
    const place: Place = { region, path: `variable #${variables.size + 1}` };
    let element: Element;
    try {
      element = readElement(place, offset, region.bytes.length, region.what);
    } catch (error) {
      throw nameVariable(error, place, offset);
    }
    const body = { start: element.dataStart, end: element.dataStart + element.size };
    if (element.type === MI.MATRIX) {
      const { name, value } = parseMatrix(place, body.start, body.end, true);
      if (variables.has(name)) fail(place, offset, `variable '${name}' appears twice`);
      variables.set(name, value);
    } else if (element.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(region.bytes.subarray(body.start, body.end));
      } catch (error) {
        fail(
          place,
          offset,
          `miCOMPRESSED element of ${element.size} bytes does not inflate: ${(error as Error).message}`,
        );
      }
      const compressedAt = region.at(offset);
      parseVariables(
        {
          bytes: inflated,
          view: new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength),
          at: (o) => `byte ${o} of the data inflated from the miCOMPRESSED element at ${compressedAt}`,
          what: `the data inflated from the miCOMPRESSED element at ${compressedAt}`,
        },
        0,
        variables,
      );
    } else if (MI_NAMES[element.type]) {
      fail(place, offset, `${miName(element.type)} element at top level (expected miMATRIX or miCOMPRESSED)`);
    } else {
      fail(place, offset, `unknown data type ${element.type}`);
    }
    offset = element.next;
  }
}

/**
 * Reads a Level-5 MAT-file. Throws {@link Mat5Error} for anything it cannot read — truncation, an unknown
 * data type or array class, an element that runs past the end of its container, a corrupt zlib stream,
 * an unsupported variant — naming the byte offset and the variable (e.g. `variable 'annotations'(3).fname`).
 */
export function readMat5(bytes: Uint8Array): MatFile {
  const file: Region = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    at: (o) => `byte ${o}`,
    what: 'the file',
  };
  if (bytes.length < HEADER_BYTES)
    throw new Mat5Error(
      `byte 0 (header): a MAT-file starts with a 128-byte header, this file has ${bytes.length} bytes`,
    );
  const text = latin1(bytes, 0, 116);
  if (text.startsWith('MATLAB 7.3 MAT-file'))
    throw new Mat5Error(
      'byte 0 (header): this is a MATLAB 7.3 MAT-file (HDF5), which this reader does not support; save it with -v7',
    );
  if (!text.startsWith(MAT5_TEXT))
    throw new Mat5Error(
      `byte 0 (header): expected the text to start with '${MAT5_TEXT}', found ${JSON.stringify(text.slice(0, MAT5_TEXT.length))}`,
    );
  const endian = latin1(bytes, 126, 2);
  if (endian === 'MI')
    throw new Mat5Error("byte 126 (header): big-endian MAT-file ('MI'), which this reader does not support");
  if (endian !== 'IM')
    throw new Mat5Error(
      `byte 126 (header): endian indicator is ${JSON.stringify(endian)}, expected 'IM' or 'MI'`,
    );
  const version = file.view.getUint16(124, true);
  if (version !== 0x0100)
    throw new Mat5Error(
      `byte 124 (header): version 0x${version.toString(16).padStart(4, '0')}, expected 0x0100`,
    );
  const variables = new Map<string, MatValue>();
  parseVariables(file, HEADER_BYTES, variables);
  return { header: text.replace(/[\s\0]+$/, ''), variables };
}

/** The string of a char array of at most one row (0×0 is ''), else undefined. */
export function matString(value: MatValue | undefined): string | undefined {
  if (value?.kind !== 'char' || value.rows.length > 1) return undefined;
  return value.rows[0] ?? '';
}

/** The number of a numeric array with exactly one element, else undefined. */
export function matScalar(value: MatValue | undefined): number | undefined {
  return value?.kind === 'numeric' && value.data.length === 1 ? value.data[0] : undefined;
}
