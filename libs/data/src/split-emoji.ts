import { join } from 'node:path';
import { resolveDatasetFile, sha256File, verifyManifestFiles } from './dataset-files';
import {
  emojiGroup,
  emojiImageFile,
  hasVendorImage,
  readEmojiCatalogue,
  sortedNames,
  type EmojiRecord,
} from './emoji-catalogue';
import splitEmojiManifestJson from '../assets/split-emoji.manifest.json';
import { DATASET_MANIFEST_SCHEMA, parseManifest, type DatasetItem, type DatasetManifest } from './manifest';

/**
 * "Split Emoji": a small class-incremental benchmark that ships with the repository. Classes are
 * emoji sub-categories; the model trains on Google's Noto renders and is tested on Twitter's
 * Twemoji renders of the same emoji, so test accuracy measures recognition across an art-style
 * shift rather than memorisation of the training pixels.
 */
export const SPLIT_EMOJI_MIN_CLASS_SIZE = 20;
/** 259 near-identical rectangles that would dominate the benchmark and test flag trivia, not shape. */
export const SPLIT_EMOJI_EXCLUDED_GROUPS: readonly string[] = ['Flags/country-flag'];
export const SPLIT_EMOJI_MANIFEST_PATH = join(__dirname, '..', 'assets', 'split-emoji.manifest.json');

const TRAIN_VENDOR = 'google';
const TEST_VENDOR = 'twitter';

export const SPLIT_EMOJI_CREDITS: readonly string[] = [
  'Train images: Noto Emoji, Copyright Google Inc., Apache License 2.0 (https://github.com/googlefonts/noto-emoji), via emoji-datasource-google.',
  'Test images: Twemoji graphics, Copyright Twitter, Inc and other contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/), via emoji-datasource-twitter; resized and flattened onto a background when decoded.',
  'Emoji catalogue and 64-px PNGs: emoji-datasource by Cal Henderson (iamcal), MIT License (https://github.com/iamcal/emoji-data).',
];

/** Emoji drawn by both vendors, grouped by class name. */
function emojiByGroup(): Map<string, EmojiRecord[]> {
  const groups = new Map<string, EmojiRecord[]>();
  for (const emoji of readEmojiCatalogue()) {
    if (!hasVendorImage(emoji, TRAIN_VENDOR) || !hasVendorImage(emoji, TEST_VENDOR)) continue;
    const group = emojiGroup(emoji);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)?.push(emoji);
  }
  return groups;
}

/** The benchmark's class names in class-id order. */
export function splitEmojiClassNames(): string[] {
  const kept = [...emojiByGroup()]
    .filter(
      ([group, members]) =>
        members.length >= SPLIT_EMOJI_MIN_CLASS_SIZE && !SPLIT_EMOJI_EXCLUDED_GROUPS.includes(group),
    )
    .map(([group]) => group);
  return sortedNames(kept);
}

/** Builds the manifest from the installed emoji packages, hashing every image. */
export function buildSplitEmojiManifest(): DatasetManifest {
  const groups = emojiByGroup();
  const classNames = splitEmojiClassNames();
  const train: DatasetItem[] = [];
  const test: DatasetItem[] = [];
  classNames.forEach((className, label) => {
    const members = [...(groups.get(className) ?? [])].sort((a, b) => a.sort_order - b.sort_order);
    for (const emoji of members) {
      train.push(hashedItem(emojiImageFile(TRAIN_VENDOR, emoji.image), label));
      test.push(hashedItem(emojiImageFile(TEST_VENDOR, emoji.image), label));
    }
  });
  // Parsing our own output keeps the builder honest: the asset always satisfies the schema.
  return parseManifest(
    {
      schema: DATASET_MANIFEST_SCHEMA,
      name: 'split-emoji',
      description:
        `Emoji sub-categories with at least ${SPLIT_EMOJI_MIN_CLASS_SIZE} emoji drawn by both Google and Twitter ` +
        `(excluding ${SPLIT_EMOJI_EXCLUDED_GROUPS.join(', ')}); train: Google Noto 64-px PNGs, ` +
        'test: Twitter Twemoji 64-px PNGs of the same emoji. Class id = index of the class name in sorted order.',
      imageSize: 64,
      classes: classNames.map((name, id) => ({ id, name })),
      train,
      test,
      credits: [...SPLIT_EMOJI_CREDITS],
    },
    'split-emoji (built)',
  );
}

export interface LoadSplitEmojiOptions {
  /** Hash every listed image and compare with the manifest (≈2k files; a few hundred ms). */
  verifyDigests?: boolean;
}

/** Reads the committed manifest asset; with `verifyDigests`, also checks the installed images. */
export function loadSplitEmojiManifest(options: LoadSplitEmojiOptions = {}): DatasetManifest {
  // Imported rather than read by path, so bundled apps carry the manifest with them.
  const manifest = parseManifest(structuredClone(splitEmojiManifestJson), 'split-emoji.manifest.json');
  if (options.verifyDigests === true) verifyManifestFiles(manifest);
  return manifest;
}

function hashedItem(file: string, label: number): DatasetItem {
  return { file, label, sha256: sha256File(resolveDatasetFile(file)) };
}
