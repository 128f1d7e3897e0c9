import { readFileSync } from 'node:fs';
import { resolveDatasetFile } from './dataset-files';

/** Emoji artwork sets installed as npm packages (emoji-datasource-<vendor>). */
export type EmojiVendor = 'google' | 'twitter';
export const EMOJI_VENDORS: readonly EmojiVendor[] = ['google', 'twitter'];

interface VendorFlags {
  has_img_google?: boolean;
  has_img_twitter?: boolean;
}

export interface EmojiSkinVariation extends VendorFlags {
  image: string;
}

/** The fields of an emoji-datasource `emoji.json` record this library relies on. */
export interface EmojiRecord extends VendorFlags {
  name: string | null;
  image: string;
  category: string;
  subcategory: string;
  sort_order: number;
  skin_variations?: Record<string, EmojiSkinVariation>;
}

const CATALOGUE_PACKAGE = 'emoji-datasource-google';
let catalogue: readonly EmojiRecord[] | undefined;

/** The emoji list shipped with emoji-datasource (every vendor package ships the same one). */
export function readEmojiCatalogue(): readonly EmojiRecord[] {
  catalogue ??= JSON.parse(
    readFileSync(resolveDatasetFile(`${CATALOGUE_PACKAGE}/emoji.json`), 'utf8'),
  ) as EmojiRecord[];
  return catalogue;
}

/** The class name of an emoji: its Unicode category and sub-category, e.g. `Smileys & Emotion/heart`. */
export function emojiGroup(emoji: Pick<EmojiRecord, 'category' | 'subcategory'>): string {
  return `${emoji.category}/${emoji.subcategory}`;
}

export function hasVendorImage(emoji: VendorFlags, vendor: EmojiVendor): boolean {
  return emoji[`has_img_${vendor}`] === true;
}

/** Package-relative path of a vendor's 64-px PNG, the form manifests store. */
export function emojiImageFile(vendor: EmojiVendor, image: string): string {
  return `emoji-datasource-${vendor}/img/${vendor}/64/${image}`;
}

/** Sorted by UTF-16 code units, so class ids never depend on the machine's locale. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
