import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { buildEmojiPretrainPool, decodeImages, resolveDatasetFile } from '@slca/data';
import {
  assetsDir,
  EMBEDDED_BACKBONE_FILE,
  EMBEDDED_RECIPE_FILE,
  EMOJI_PRETRAIN_RECIPE,
  EMOJI_PRETRAIN_VENDORS,
  EMOJI_PRETRAIN_TARGET,
  emojiIdentityLabels,
  pretrainSupervised,
  probeBackbone,
  probeRawPixels,
  randomBackbone,
  saveBackbone,
  streamRng,
  type BackboneRecord,
  type PretrainConfig,
} from '@slca/engine';
import { parseInteger, writeJson } from '../io';
import { splitEmojiData } from './embedded-run';

export interface PretrainFlags {
  outDir?: string;
  install?: boolean;
  epochs?: string;
  workers?: string;
}

/**
 * Pre-trains the embedded backbone with the shipped recipe, probes it on Split Emoji (NCM accuracy of
 * frozen features vs the same ViT at random init vs raw pixels), and writes the checkpoint and its record.
 */
export async function pretrainCommand(flags: PretrainFlags): Promise<void> {
  const recipe: PretrainConfig = structuredClone(EMOJI_PRETRAIN_RECIPE);
  if (flags.epochs !== undefined) recipe.epochs = parseInteger(flags.epochs, '--epochs', 1);
  if (flags.workers !== undefined) recipe.compute.workers = parseInteger(flags.workers, '--workers', 0);
  const outDir = flags.install ? assetsDir() : (flags.outDir ?? join('results', 'pretrain'));

  const pool = buildEmojiPretrainPool({ vendors: EMOJI_PRETRAIN_VENDORS });
  const targets =
    EMOJI_PRETRAIN_TARGET === 'emoji'
      ? emojiIdentityLabels(pool.items.map((it) => it.file))
      : { labels: Int32Array.from(pool.items, (it) => it.label), classes: pool.classes.length };
  const decoded = await decodeImages(
    pool.items.map((it) => resolveDatasetFile(it.file)),
    { size: recipe.arch.imageSize },
  );
  process.stderr.write(
    `pre-training on ${decoded.count} images of ${pool.classes.length} emoji sub-categories (${EMOJI_PRETRAIN_VENDORS.join(', ')}), ` +
      `${targets.classes} classes (${EMOJI_PRETRAIN_TARGET === 'emoji' ? 'one per emoji' : 'one per sub-category'})\n`,
  );
  const bar = new SingleBar(
    {
      format: 'pretrain [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss} | ETA {eta_formatted}',
      stream: process.stderr,
      etaBuffer: 30,
      noTTYOutput: true,
      notTTYSchedule: 15_000,
    },
    Presets.shades_classic,
  );
  let started = false;
  const result = await pretrainSupervised(
    recipe,
    {
      images: decoded.data,
      labels: targets.labels,
      count: decoded.count,
      classes: targets.classes,
    },
    (p) => {
      if (!started) {
        bar.start(p.epochs * p.steps, 0, { epoch: 1, epochs: p.epochs, loss: '-' });
        started = true;
      }
      bar.update(p.epoch * p.steps + p.step + 1, {
        epoch: p.epoch + 1,
        epochs: p.epochs,
        loss: p.loss.toFixed(3),
      });
    },
  );
  bar.stop();

  const downstream = await splitEmojiData();
  const probe = {
    ncmPretrained: await probeBackbone(result.backbone, recipe.arch, downstream, recipe.normalize),
    ncmRandomInit: await probeBackbone(
      randomBackbone(recipe.arch, streamRng(recipe.seed, 'pretrain-init')),
      recipe.arch,
      downstream,
      recipe.normalize,
    ),
    ncmRawPixels: probeRawPixels(downstream, recipe.normalize),
    protocol:
      'nearest-class-mean accuracy (%) on the Split Emoji test set (Twemoji), class means from its training set (Noto); cosine on L2-normalised features',
  };
  const file = join(outDir, EMBEDDED_BACKBONE_FILE);
  await saveBackbone(file, result.backbone, recipe.arch, { recipe: JSON.stringify(recipe), format: 'timm' });
  const record: BackboneRecord = {
    file: EMBEDDED_BACKBONE_FILE,
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    arch: recipe.arch,
    command: `npm run slca -- pretrain${flags.install ? ' --install' : ''}${flags.epochs ? ` --epochs ${flags.epochs}` : ''}`,
    recipe,
    data: {
      source: 'emoji-datasource-google 16.0.0 (Noto Emoji, Apache-2.0)',
      vendors: EMOJI_PRETRAIN_VENDORS,
      subcategories: pool.classes.length,
      classes: targets.classes,
      target: EMOJI_PRETRAIN_TARGET,
      images: decoded.count,
      disjointFrom: 'Split Emoji classes (and the Flags and Component categories)',
    },
    probe,
    backend: result.backend.name,
    wallSeconds: result.wallSeconds,
  };
  writeJson(join(outDir, EMBEDDED_RECIPE_FILE), record);
  process.stdout.write(
    `NCM on Split Emoji: pre-trained ${probe.ncmPretrained.toFixed(2)}%, random init ${probe.ncmRandomInit.toFixed(2)}%, raw pixels ${probe.ncmRawPixels.toFixed(2)}%\n` +
      `wrote ${file} (sha256 ${record.sha256}) and ${join(outDir, EMBEDDED_RECIPE_FILE)}\n`,
  );
}
