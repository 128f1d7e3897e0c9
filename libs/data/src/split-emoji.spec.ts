import { basename } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { resolveDatasetFile, verifyManifestFiles } from './dataset-files';
import { manifestDigest } from './manifest';
import { buildSplitEmojiManifest, loadSplitEmojiManifest, splitEmojiClassNames } from './split-emoji';

// Per-class image counts (identical for train and test), read off emoji-datasource 16.0.0's
// emoji.json: emoji with both has_img_google and has_img_twitter, grouped by category/subcategory.
const EXPECTED_CLASSES: [string, number][] = [
  ['Activities/event', 21],
  ['Activities/game', 24],
  ['Activities/sport', 27],
  ['Animals & Nature/animal-bird', 22],
  ['Animals & Nature/animal-mammal', 66],
  ['Food & Drink/drink', 20],
  ['Food & Drink/food-fruit', 20],
  ['Food & Drink/food-prepared', 34],
  ['Objects/clothing', 47],
  ['Objects/household', 25],
  ['Objects/office', 23],
  ['Objects/tool', 27],
  ['People & Body/family', 37],
  ['People & Body/person', 28],
  ['People & Body/person-activity', 57],
  ['People & Body/person-fantasy', 32],
  ['People & Body/person-gesture', 30],
  ['People & Body/person-role', 82],
  ['People & Body/person-sport', 43],
  ['Smileys & Emotion/face-concerned', 26],
  ['Smileys & Emotion/heart', 25],
  ['Symbols/alphanum', 39],
  ['Symbols/arrow', 21],
  ['Symbols/av-symbol', 25],
  ['Symbols/geometric', 34],
  ['Symbols/other-symbol', 22],
  ['Travel & Places/place-building', 27],
  ['Travel & Places/sky & weather', 47],
  ['Travel & Places/time', 31],
  ['Travel & Places/transport-ground', 50],
];

describe('Split Emoji manifest', () => {
  const manifest = loadSplitEmojiManifest();

  it('has the 30 classes, ids in sorted-name order', () => {
    expect(manifest.classes).toEqual(EXPECTED_CLASSES.map(([name], id) => ({ id, name })));
    expect(splitEmojiClassNames()).toEqual(EXPECTED_CLASSES.map(([name]) => name));
    expect(manifest.classes.map((c) => c.name)).not.toContain('Flags/country-flag');
  });

  it('has the expected number of train and test images per class', () => {
    for (const split of [manifest.train, manifest.test]) {
      const counts = new Array<number>(30).fill(0);
      for (const item of split) counts[item.label]++;
      expect(counts).toEqual(EXPECTED_CLASSES.map(([, n]) => n));
      expect(split.length).toBe(1012);
    }
    expect(Math.min(...EXPECTED_CLASSES.map(([, n]) => n))).toBeGreaterThanOrEqual(20);
  });

  it('trains on Google renders and tests on Twitter renders of the same emoji', () => {
    expect(manifest.train.every((t) => t.file.startsWith('emoji-datasource-google/img/google/64/'))).toBe(
      true,
    );
    expect(manifest.test.every((t) => t.file.startsWith('emoji-datasource-twitter/img/twitter/64/'))).toBe(
      true,
    );
    manifest.train.forEach((item, i) => {
      expect(basename(manifest.test[i].file)).toBe(basename(item.file));
      expect(manifest.test[i].label).toBe(item.label);
      expect(manifest.test[i].sha256).not.toBe(item.sha256);
    });
  });

  it('is pinned: the committed asset has this digest', () => {
    // Changing the benchmark (new emoji package, new rule) must be a deliberate, visible edit here.
    expect(manifestDigest(manifest)).toBe('43dc360a5df5cc72821cfeb80b967d3447a1fe2d1351db25dfa0c4bbac311fba');
  });

  it('matches a fresh build from the installed packages (the asset is not stale)', () => {
    expect(buildSplitEmojiManifest()).toEqual(manifest);
  });

  it('verifies every digest against the installed images', () => {
    expect(() => loadSplitEmojiManifest({ verifyDigests: true })).not.toThrow();
  });

  it('names the file whose bytes do not match', () => {
    const tampered = structuredClone(manifest);
    tampered.test[7].sha256 = '0'.repeat(64);
    expect(() => verifyManifestFiles(tampered)).toThrow(`${tampered.test[7].file}: sha256 mismatch`);
  });

  it('lists 64×64 PNGs, as imageSize says', async () => {
    expect(manifest.imageSize).toBe(64);
    for (const item of [manifest.train[0], manifest.test[0], manifest.train[1011], manifest.test[1011]]) {
      const meta = await sharp(resolveDatasetFile(item.file)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    }
  });

  it('carries the licence credits', () => {
    const credits = (manifest.credits ?? []).join('\n');
    expect(credits).toMatch(/Noto Emoji.*Apache License 2\.0/);
    expect(credits).toMatch(/Twemoji.*CC-BY 4\.0.*creativecommons\.org\/licenses\/by\/4\.0.*resized/);
    expect(credits).toMatch(/emoji-datasource.*MIT/);
  });
});
