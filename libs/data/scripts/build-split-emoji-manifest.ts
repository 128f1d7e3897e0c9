/**
 * Regenerates libs/data/assets/split-emoji.manifest.json from the installed emoji packages.
 * Run after upgrading emoji-datasource-*: `npx tsx libs/data/scripts/build-split-emoji-manifest.ts`.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { buildSplitEmojiManifest, manifestDigest, SPLIT_EMOJI_MANIFEST_PATH } from '../src/index';

const manifest = buildSplitEmojiManifest();
writeFileSync(SPLIT_EMOJI_MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `wrote ${relative(process.cwd(), SPLIT_EMOJI_MANIFEST_PATH)}: ${manifest.classes.length} classes, ` +
    `${manifest.train.length} train / ${manifest.test.length} test images, digest ${manifestDigest(manifest)}`,
);
