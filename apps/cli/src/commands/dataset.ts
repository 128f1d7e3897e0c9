import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import {
  DatasetImportError,
  formatConvertsImages,
  IMPORT_FORMATS,
  importDataset,
  manifestDigest,
  type ImportFormat,
  type ImportProgress,
} from '@slca/data';
import { DATASET_NAME } from '@slca/engine';
import {
  IMPORTED_DATASET_SCHEMA,
  listImportedDatasets,
  loadImportedDataset,
  MANIFEST_FILE,
  RECORD_FILE,
  type ImportedDatasetRecord,
} from '../datasets';
import { UsageError } from '../io';

export interface DatasetImportFlags {
  format: string;
  path: string;
  name: string;
  out?: string;
  datasetsDir: string;
}

/** A bar on stderr per phase ("checking images", "writing PNGs"); a line every 15 s when not a terminal. */
function progressBar(): { onProgress: ImportProgress; stop: () => void } {
  let bar: SingleBar | undefined;
  let phase = '';
  return {
    onProgress: (done, total, nextPhase) => {
      if (nextPhase !== phase) {
        bar?.stop();
        phase = nextPhase;
        bar = new SingleBar(
          {
            format: `${phase} [{bar}] {value}/{total} | ETA {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
            noTTYOutput: true,
            notTTYSchedule: 15_000,
          },
          Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar?.setTotal(total);
      bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Imports a benchmark's files into `<out>` (default `datasets/<name>`): the manifest, the record saying
 * where its files are, and for CIFAR-100 the converted PNGs. Everything is written into a temporary
 * sibling folder that is renamed into place only when complete, so a failed import leaves nothing.
 */
export async function datasetImportCommand(flags: DatasetImportFlags): Promise<void> {
  if (!(IMPORT_FORMATS as readonly string[]).includes(flags.format))
    throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}, got '${flags.format}'`);
  const format = flags.format as ImportFormat;
  if (!DATASET_NAME.test(flags.name))
    throw new UsageError(
      `--name must match ${DATASET_NAME.source} (lower-case: it names the dataset in the object store too), got '${flags.name}'`,
    );
  const source = resolve(flags.path);
  if (!existsSync(source)) throw new UsageError(`--path ${flags.path} does not exist`);
  const target = resolve(flags.out ?? join(flags.datasetsDir, flags.name));
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new UsageError(
      `${target} already exists and is not empty; remove it or choose another --name / --out`,
    );
  mkdirSync(dirname(target), { recursive: true });
  const staging = `${target}.importing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  const progress = progressBar();
  try {
    const imported = await importDataset(format, source, {
      name: flags.name,
      outDir: staging,
      onProgress: progress.onProgress,
    });
    progress.stop();
    const { manifest, warnings } = imported;
    const record: ImportedDatasetRecord = {
      schema: IMPORTED_DATASET_SCHEMA,
      name: flags.name,
      format,
      source,
      root: formatConvertsImages(format) ? '.' : imported.root,
      manifestDigest: manifestDigest(manifest),
      classes: manifest.classes.length,
      train: manifest.train.length,
      test: manifest.test.length,
      warnings,
    };
    writeFileSync(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(staging, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    if (existsSync(target)) rmSync(target, { recursive: true }); // empty, checked above
    renameSync(staging, target);
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(
      `imported ${format} as ${flags.name}: ${record.classes} classes, ${record.train} train / ${record.test} test images\n` +
        `  ${relative(process.cwd(), target) || '.'}/${MANIFEST_FILE} (manifest sha256 ${record.manifestDigest})\n`,
    );
  } catch (error) {
    progress.stop();
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof DatasetImportError)
      throw new UsageError(`${flags.format} ${flags.path}: ${error.message}`);
    throw error;
  }
}

export function datasetListCommand(flags: { datasetsDir: string; json?: boolean }): void {
  const names = listImportedDatasets(flags.datasetsDir);
  if (flags.json) {
    const datasets = names.map((name) => {
      const { record } = loadImportedDataset(name, flags.datasetsDir);
      return {
        name,
        format: record.format,
        classes: record.classes,
        train: record.train,
        test: record.test,
        manifestDigest: record.manifestDigest,
      };
    });
    process.stdout.write(`${JSON.stringify({ datasets }, null, 2)}\n`);
    return;
  }
  if (names.length === 0) {
    process.stdout.write(`no datasets in ${flags.datasetsDir}/ (import one with: slca dataset import)\n`);
    return;
  }
  const rows = names.map((name) => {
    const { record } = loadImportedDataset(name, flags.datasetsDir);
    return [
      name,
      record.format,
      String(record.classes),
      String(record.train),
      String(record.test),
      record.manifestDigest.slice(0, 12),
    ];
  });
  process.stdout.write(table(['name', 'format', 'classes', 'train', 'test', 'manifest'], rows));
}

export function datasetShowCommand(name: string, flags: { datasetsDir: string; json?: boolean }): void {
  const { dir, record, manifest } = loadImportedDataset(name, flags.datasetsDir);
  const counts = (items: { label: number }[]) => {
    const out = new Array<number>(manifest.classes.length).fill(0);
    for (const it of items) out[it.label]++;
    return out;
  };
  const train = counts(manifest.train);
  const test = counts(manifest.test);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ...record, dir, classCounts: manifest.classes.map((c) => ({ ...c, train: train[c.id], test: test[c.id] })) }, null, 2)}\n`,
    );
    return;
  }
  const header =
    `${record.name} (${record.format}): ${record.classes} classes, ${record.train} train / ${record.test} test images\n` +
    `folder: ${dir}\nsource: ${record.source}\nmanifest sha256: ${record.manifestDigest}\n` +
    (manifest.description ? `${manifest.description}\n` : '') +
    record.warnings.map((w) => `warning: ${w}\n`).join('') +
    '\n';
  const rows = manifest.classes.map((c) => [String(c.id), c.name, String(train[c.id]), String(test[c.id])]);
  process.stdout.write(header + table(['id', 'class', 'train', 'test'], rows));
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^\d+$/.test(r[i])));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
