import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  ManifestError,
  manifestDigest,
  parseManifest,
  type DatasetManifest,
} from './manifest';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

function tinyManifest(): DatasetManifest {
  return {
    schema: 'slca.dataset/v1',
    name: 'tiny',
    classes: [
      { id: 1, name: 'b' },
      { id: 0, name: 'a' },
    ],
    train: [
      { file: 'x/a.png', label: 0, sha256: sha('a') },
      { file: 'x/b.png', label: 1, sha256: sha('b') },
    ],
    test: [
      { file: 'y/a.png', label: 0, sha256: sha('ta') },
      { file: 'y/b.png', label: 1, sha256: sha('tb') },
    ],
  };
}

describe('parseManifest', () => {
  it('accepts ids in any listing order and returns an equal, independent copy', () => {
    const input = tinyManifest();
    const parsed = parseManifest(input);
    expect(parsed).toEqual(input);
    parsed.train[0].label = 1;
    expect(input.train[0].label).toBe(0);
  });

  it('formats the message as source: location: reason', () => {
    const classes = Array.from({ length: 30 }, (_, id) => ({ id, name: `c${id}` }));
    const items = (split: string) =>
      classes.map(({ id }) => ({ file: `${split}/${id}.png`, label: id, sha256: sha(`${split}${id}`) }));
    const train = items('train');
    train[12] = { ...train[12], label: 31 };
    const json = { schema: 'slca.dataset/v1', name: 'split-emoji', classes, train, test: items('test') };
    expect(() => parseManifest(json, 'split-emoji.json')).toThrow(
      new ManifestError('train[12].label', '31 is out of range (30 classes)', 'split-emoji.json'),
    );
    try {
      parseManifest(json, 'split-emoji.json');
    } catch (error) {
      expect((error as Error).message).toBe(
        'split-emoji.json: train[12].label: 31 is out of range (30 classes)',
      );
      expect(error).toMatchObject({
        name: 'ManifestError',
        location: 'train[12].label',
        source: 'split-emoji.json',
      });
    }
  });

  it('omits the source when none is given', () => {
    expect(() => parseManifest({ ...tinyManifest(), name: '  ' })).toThrow(
      /^name: expected a non-empty string, got " {2}"$/,
    );
  });
});

describe('canonicalJson and manifestDigest', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'q' }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":"q","z":null}]},"b":1}',
    );
  });

  it('orders keys by code unit, not locale', () => {
    // 'B' (0x42) sorts before 'a' (0x61); a locale collation would put 'a' first.
    expect(canonicalJson({ a: 1, B: 2 })).toBe('{"B":2,"a":1}');
  });

  it('refuses values with no JSON form', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN has no JSON form/);
  });

  it('is the sha256 of the canonical JSON', () => {
    const manifest = tinyManifest();
    expect(manifestDigest(manifest)).toBe(sha(canonicalJson(manifest)));
    expect(manifestDigest(manifest)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any content changes', () => {
    const base = manifestDigest(tinyManifest());
    const relabelled = tinyManifest();
    relabelled.test[1].sha256 = sha('other');
    expect(manifestDigest(relabelled)).not.toBe(base);
    const described = { ...tinyManifest(), description: 'x' };
    expect(manifestDigest(described)).not.toBe(base);
  });
});
