import {
  EMOJI_VENDORS,
  emojiGroup,
  emojiImageFile,
  hasVendorImage,
  readEmojiCatalogue,
  sortedNames,
  type EmojiVendor,
} from './emoji-catalogue';
import { splitEmojiClassNames } from './split-emoji';

/**
 * Images for pre-training a small backbone before Split Emoji. Continual learning on a pre-trained
 * model only means something if pre-training never saw the downstream classes, so the pool takes
 * every sub-category that is not a Split Emoji class. Flags (country flags included) and Component
 * (bare skin-tone swatches, hair pieces) are left out: they are not pictures of things.
 */
export const EMOJI_PRETRAIN_EXCLUDED_CATEGORIES: readonly string[] = ['Flags', 'Component'];

export interface EmojiPretrainPoolOptions {
  /** Whose artwork to include; default `['google']`. */
  vendors?: readonly EmojiVendor[];
}

export interface EmojiPretrainItem {
  /** Package-relative path, as in dataset manifests. */
  file: string;
  label: number;
}

export interface EmojiPretrainPool {
  /** Sub-category names (`Category/subcategory`); label = index here. */
  classes: string[];
  items: EmojiPretrainItem[];
}

/**
 * Every emoji outside the downstream classes that a chosen vendor draws, skin-tone variations
 * included (they multiply the person and hand groups, which otherwise have few distinct images).
 * Items are ordered by label, then Unicode sort order, vendor, and variation key.
 */
export function buildEmojiPretrainPool(options: EmojiPretrainPoolOptions = {}): EmojiPretrainPool {
  const vendors = options.vendors ?? ['google'];
  if (vendors.length === 0) throw new RangeError('buildEmojiPretrainPool: vendors must not be empty');
  for (const vendor of vendors) {
    if (!EMOJI_VENDORS.includes(vendor)) {
      throw new RangeError(
        `buildEmojiPretrainPool: unknown vendor "${String(vendor)}" (known: ${EMOJI_VENDORS.join(', ')})`,
      );
    }
  }
  if (new Set(vendors).size !== vendors.length) {
    throw new RangeError(`buildEmojiPretrainPool: vendors lists a vendor twice (${vendors.join(', ')})`);
  }

  const downstream = new Set(splitEmojiClassNames());
  const byGroup = new Map<string, { sortOrder: number; file: string }[]>();
  for (const emoji of readEmojiCatalogue()) {
    const group = emojiGroup(emoji);
    if (EMOJI_PRETRAIN_EXCLUDED_CATEGORIES.includes(emoji.category) || downstream.has(group)) continue;
    const files: string[] = [];
    for (const vendor of vendors) {
      if (hasVendorImage(emoji, vendor)) files.push(emojiImageFile(vendor, emoji.image));
      const variations = emoji.skin_variations ?? {};
      for (const key of sortedNames(Object.keys(variations))) {
        if (hasVendorImage(variations[key], vendor))
          files.push(emojiImageFile(vendor, variations[key].image));
      }
    }
    if (files.length === 0) continue;
    if (!byGroup.has(group)) byGroup.set(group, []);
    byGroup.get(group)?.push(...files.map((file) => ({ sortOrder: emoji.sort_order, file })));
  }

  const classes = sortedNames(byGroup.keys());
  const items = classes.flatMap((group, label) =>
    // A stable sort keeps vendor and variation order within one emoji.
    [...(byGroup.get(group) ?? [])]
      .sort((a, b) => a.sortOrder - b.sortOrder)
      .map(({ file }) => ({ file, label })),
  );
  return { classes, items };
}
