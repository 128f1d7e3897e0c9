import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import {
  buildEmojiPretrainPool,
  ClipartFolderError,
  DEBIAN_OPENCLIPART_DIR,
  decodeClipartFolder,
  decodeImages,
  resolveDatasetFile,
  type ClipartImages,
} from '@slca/data';
import {
  assetsDir,
  EMBEDDED_BACKBONE_FILE,
  EMBEDDED_RECIPE_FILE,
  EMOJI_CONTRASTIVE_RECIPE,
  EMOJI_PRETRAIN_RECIPE,
  EMOJI_PRETRAIN_VENDORS,
  EMOJI_PRETRAIN_TARGET,
  emojiIdentityLabels,
  loadBackbone,
  pretrainContrastive,
  probeBackbone,
  probeRawPixels,
  randomBackbone,
  saveBackbone,
  streamRng,
  type BackboneRecord,
  type ContrastiveConfig,
  type PretrainProgress,
} from '@slca/engine';
import { parseInteger, UsageError, writeJson } from '../io';
import { splitEmojiData } from './embedded-run';

export interface PretrainFlags {
  outDir?: string;
  install?: boolean;
  epochs?: string;
  contrastiveEpochs?: string;
  workers?: string;
  clipart?: string;
  stage1?: string;
}

/** Where stage 1's backbone is kept between runs unless --stage1 says otherwise. */
export const DEFAULT_STAGE1_FILE = join('results', 'pretrain', 'vit-emoji-contrastive.safetensors');

function progressBar(name: string): (p: PretrainProgress) => void {
  const bar = new SingleBar(
    {
      format: `${name} [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss} | ETA {eta_formatted}`,
      stream: process.stderr,
      etaBuffer: 30,
      noTTYOutput: true,
      notTTYSchedule: 15_000,
    },
    Presets.shades_classic,
  );
  let started = false;
  return (p) => {
    if (!started) {
      bar.start(p.epochs * p.steps, 0, { epoch: 1, epochs: p.epochs, loss: '-' });
      started = true;
    }
    bar.update(p.epoch * p.steps + p.step + 1, {
      epoch: p.epoch + 1,
      epochs: p.epochs,
      loss: p.loss.toFixed(3),
    });
    if (p.epoch === p.epochs - 1 && p.step === p.steps - 1) bar.stop();
  };
}

/**
 * Stage 1: contrastive pre-training on the emoji pool's images and the clip art. Its backbone is kept in
 * `file` with its recipe and data digests; a later run with the same recipe and data reuses it instead of
 * training again (stage 1 is most of the time).
 */
async function contrastiveStage(
  recipe: ContrastiveConfig,
  emoji: Float32Array,
  clipart: ClipartImages,
  file: string,
): Promise<{ backbone: Float32Array; wallSeconds: number }> {
  const digest = (data: Float32Array) =>
    createHash('sha256')
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest('hex');
  const key = {
    stage: 'contrastive',
    recipe: JSON.stringify(recipe),
    emojiSha256: digest(emoji),
    clipartSha256: clipart.sha256,
  };
  if (existsSync(file)) {
    try {
      const { values, metadata } = await loadBackbone(file, recipe.arch);
      if (Object.entries(key).every(([k, v]) => metadata[k] === v)) {
        process.stderr.write(`stage 1: reusing ${file} (same recipe and images)\n`);
        return { backbone: values, wallSeconds: Number(metadata.wallSeconds ?? 0) };
      }
      process.stderr.write(`stage 1: ${file} was made with another recipe or images; training again\n`);
    } catch (error) {
      process.stderr.write(`stage 1: cannot reuse ${file} (${(error as Error).message}); training again\n`);
    }
  }
  const images = new Float32Array(emoji.length + clipart.data.length);
  images.set(emoji, 0);
  images.set(clipart.data, emoji.length);
  const count = images.length / (recipe.arch.imageSize * recipe.arch.imageSize * 3);
  process.stderr.write(
    `stage 1: contrastive pre-training on ${count} unlabelled images (${count - clipart.count} emoji, ${clipart.count} clip art)\n`,
  );
  const result = await pretrainContrastive(recipe, { images, count }, progressBar('stage 1 (contrastive)'));
  mkdirSync(dirname(file), { recursive: true });
  await saveBackbone(file, result.backbone, recipe.arch, {
    ...key,
    wallSeconds: String(result.wallSeconds),
    format: 'timm',
  });
  return { backbone: result.backbone, wallSeconds: result.wallSeconds };
}

/**
 * Pre-trains the embedded backbone with the shipped two-stage recipe (contrastive on emoji + clip art, then
 * supervised contrastive on the emoji sub-categories outside Split Emoji), probes it on Split Emoji (NCM accuracy of
 * frozen features vs the same ViT at random init vs raw pixels), and writes the checkpoint and its record.
 */
export async function pretrainCommand(flags: PretrainFlags): Promise<void> {
  const recipe: ContrastiveConfig = structuredClone(EMOJI_PRETRAIN_RECIPE);
  const stage1: ContrastiveConfig = structuredClone(EMOJI_CONTRASTIVE_RECIPE);
  if (flags.epochs !== undefined) recipe.epochs = parseInteger(flags.epochs, '--epochs', 1);
  if (flags.contrastiveEpochs !== undefined)
    stage1.epochs = parseInteger(flags.contrastiveEpochs, '--contrastive-epochs', 1);
  if (flags.workers !== undefined) {
    recipe.compute.workers = parseInteger(flags.workers, '--workers', 0);
    stage1.compute.workers = recipe.compute.workers;
  }
  const outDir = flags.install ? assetsDir() : (flags.outDir ?? join('results', 'pretrain'));
  const clipartDir = flags.clipart ?? DEBIAN_OPENCLIPART_DIR;
  const stage1File = flags.stage1 ?? DEFAULT_STAGE1_FILE;
  // refuse before hours of training what could not be written afterwards
  if (existsSync(stage1File) && !statSync(stage1File).isFile())
    throw new UsageError(`--stage1 ${stage1File} exists and is not a file`);

  let clipart: ClipartImages;
  try {
    clipart = await decodeClipartFolder(clipartDir, stage1.arch.imageSize);
  } catch (error) {
    if (error instanceof ClipartFolderError)
      throw new UsageError(
        `${error.message}. The shipped recipe pre-trains on it; point --clipart at another folder of PNGs to use those instead.`,
      );
    throw error;
  }
  if (clipart.unreadable.length > 0)
    process.stderr.write(
      `clip art: skipped ${clipart.unreadable.length} file(s) that do not decode, e.g. ${clipart.unreadable[0].file} (${clipart.unreadable[0].reason})\n`,
    );

  const pool = buildEmojiPretrainPool({ vendors: EMOJI_PRETRAIN_VENDORS });
  const targets =
    EMOJI_PRETRAIN_TARGET === 'emoji'
      ? emojiIdentityLabels(pool.items.map((it) => it.file))
      : { labels: Int32Array.from(pool.items, (it) => it.label), classes: pool.classes.length };
  const decoded = await decodeImages(
    pool.items.map((it) => resolveDatasetFile(it.file)),
    { size: recipe.arch.imageSize },
  );

  const first = await contrastiveStage(stage1, decoded.data, clipart, stage1File);
  process.stderr.write(
    `stage 2: supervised contrastive pre-training on ${decoded.count} images of ${pool.classes.length} emoji sub-categories (${EMOJI_PRETRAIN_VENDORS.join(', ')}), ` +
      `${targets.classes} classes (${EMOJI_PRETRAIN_TARGET === 'emoji' ? 'one per emoji' : 'one per sub-category'})\n`,
  );
  const result = await pretrainContrastive(
    recipe,
    { images: decoded.data, labels: targets.labels, count: decoded.count },
    progressBar('stage 2 (supervised contrastive)'),
    first.backbone,
  );

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
    ncmAfterStage1: await probeBackbone(first.backbone, recipe.arch, downstream, recipe.normalize),
    protocol:
      'nearest-class-mean accuracy (%) on the Split Emoji test set (Twemoji), class means from its training set (Noto); cosine on L2-normalised features',
  };
  const file = join(outDir, EMBEDDED_BACKBONE_FILE);
  mkdirSync(outDir, { recursive: true });
  await saveBackbone(file, result.backbone, recipe.arch, {
    recipe: JSON.stringify({ contrastive: stage1, supervised: recipe }),
    format: 'timm',
  });
  const command = [
    'npm run slca -- pretrain',
    flags.install ? '--install' : '',
    flags.contrastiveEpochs ? `--contrastive-epochs ${flags.contrastiveEpochs}` : '',
    flags.epochs ? `--epochs ${flags.epochs}` : '',
    flags.clipart ? `--clipart ${flags.clipart}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const record: BackboneRecord = {
    file: EMBEDDED_BACKBONE_FILE,
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    arch: recipe.arch,
    command,
    recipe,
    contrastive: {
      recipe: stage1,
      data: {
        images: decoded.count + clipart.count,
        emojiImages: decoded.count,
        clipart: {
          source: 'Debian openclipart-png (Open Clip Art Library, public domain)',
          dir: clipartDir,
          images: clipart.count,
          unreadable: clipart.unreadable.map((u) => u.file),
          pixelsSha256: clipart.sha256,
        },
      },
      wallSeconds: first.wallSeconds,
    },
    data: {
      source:
        'emoji-datasource-google and emoji-datasource-twitter 16.0.0 (Noto Emoji, Apache-2.0; Twemoji, CC-BY 4.0)',
      vendors: EMOJI_PRETRAIN_VENDORS,
      subcategories: pool.classes.length,
      classes: targets.classes,
      target: EMOJI_PRETRAIN_TARGET,
      images: decoded.count,
      disjointFrom: 'Split Emoji classes (and the Flags and Component categories)',
    },
    probe,
    backend: result.backend.name,
    wallSeconds: result.wallSeconds + first.wallSeconds,
  };
  writeJson(join(outDir, EMBEDDED_RECIPE_FILE), record);
  process.stdout.write(
    `NCM on Split Emoji: pre-trained ${probe.ncmPretrained.toFixed(2)}%, random init ${probe.ncmRandomInit.toFixed(2)}%, raw pixels ${probe.ncmRawPixels.toFixed(2)}% (after stage 1 alone ${probe.ncmAfterStage1.toFixed(2)}%)\n` +
      `wrote ${file} (sha256 ${record.sha256}) and ${join(outDir, EMBEDDED_RECIPE_FILE)}\n`,
  );
}
