import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveDatasetFile } from './dataset-files';
import { buildEmojiPretrainPool } from './emoji-pretrain-pool';
import { loadSplitEmojiManifest } from './split-emoji';

describe('buildEmojiPretrainPool', () => {
  const downstream = loadSplitEmojiManifest();
  const google = buildEmojiPretrainPool();
  const both = buildEmojiPretrainPool({ vendors: ['google', 'twitter'] });

  it('has the expected size (emoji-datasource 16.0.0)', () => {
    expect([google.classes.length, google.items.length]).toEqual([65, 914]);
    expect([both.classes.length, both.items.length]).toEqual([65, 1828]);
    expect(both.classes).toEqual(google.classes);
  });

  it('shares no sub-category with Split Emoji', () => {
    const downstreamClasses = new Set(downstream.classes.map((c) => c.name));
    expect(both.classes.filter((c) => downstreamClasses.has(c))).toEqual([]);
  });

  it('shares no image file with Split Emoji', () => {
    const downstreamFiles = new Set([...downstream.train, ...downstream.test].map((t) => t.file));
    expect(both.items.filter((item) => downstreamFiles.has(item.file))).toEqual([]);
  });

  it('leaves out the Flags and Component categories', () => {
    expect(both.classes.filter((c) => c.startsWith('Flags/') || c.startsWith('Component/'))).toEqual([]);
  });

  it('labels by index in the sorted class list and gives every class an image', () => {
    expect([...google.classes].sort()).toEqual(google.classes);
    const counts = new Array<number>(google.classes.length).fill(0);
    for (const item of google.items) counts[item.label]++;
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(google.items.length);
  });

  it('includes skin-tone variations under their emoji’s sub-category', () => {
    // 👋 U+1F44B waving hand (People & Body/hand-fingers-open) and its five skin tones.
    const label = google.classes.indexOf('People & Body/hand-fingers-open');
    const waving = google.items.filter((item) => /\/1f44b(-1f3f[b-f])?\.png$/.test(item.file));
    expect(waving.map((item) => item.file)).toEqual(
      ['1f44b', '1f44b-1f3fb', '1f44b-1f3fc', '1f44b-1f3fd', '1f44b-1f3fe', '1f44b-1f3ff'].map(
        (name) => `emoji-datasource-google/img/google/64/${name}.png`,
      ),
    );
    expect(waving.every((item) => item.label === label)).toBe(true);
  });

  it('uses only the requested vendors, and every file exists', () => {
    expect(google.items.every((item) => item.file.startsWith('emoji-datasource-google/'))).toBe(true);
    expect(both.items.filter((item) => item.file.startsWith('emoji-datasource-twitter/'))).toHaveLength(914);
    expect(both.items.every((item) => existsSync(resolveDatasetFile(item.file)))).toBe(true);
  });

  it('rejects unknown, duplicate or no vendors', () => {
    expect(() => buildEmojiPretrainPool({ vendors: [] })).toThrow(/vendors must not be empty/);
    expect(() => buildEmojiPretrainPool({ vendors: ['apple' as 'google'] })).toThrow(
      /unknown vendor "apple"/,
    );
    expect(() => buildEmojiPretrainPool({ vendors: ['google', 'google'] })).toThrow(/twice/);
  });
});
