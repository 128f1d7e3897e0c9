import { stringify } from 'yaml';
import { configurationCatalog, configurationSpec, type ConfigurationEntry } from './catalog';
import { experimentJsonSchema } from './schema';

export const EXPERIMENT_SCHEMA_FILE = 'experiment.schema.json';

/** `slca-cifar100-in21k.yaml`, `slca-embedded.yaml`: method first, as the reference's `exps/` names them. */
export function goldenFileName(entry: Pick<ConfigurationEntry, 'benchmark' | 'backbone' | 'method'>): string {
  const where = entry.benchmark === 'embedded' ? 'embedded' : `${entry.benchmark}-${entry.backbone}`;
  return `${entry.method}-${where}.yaml`;
}

/**
 * The contents of `exps/`: one complete experiment file per catalogue configuration (seed 1993) and the
 * JSON Schema, all rendered from the engine's definitions, so the files cannot drift from the code
 * (`slca exps --check` and a test compare them).
 */
export function goldenFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of configurationCatalog()) {
    const spec = configurationSpec(entry.id);
    const published = entry.published
      ? `# published (${entry.published.source}): Last-Acc ${entry.published.approximate ? '≈ ' : ''}${entry.published.lastAcc}` +
        `${entry.published.incAcc === undefined ? '' : `, Inc-Acc ${entry.published.incAcc}`}\n`
      : '# published: none for this configuration\n';
    files.set(
      goldenFileName(entry),
      `# yaml-language-server: $schema=./${EXPERIMENT_SCHEMA_FILE}\n` +
        `# ${entry.id} — generated from libs/engine by \`npm run slca -- exps\`; do not edit.\n` +
        `# To change a setting, write your own file with \`extends: ${entry.id.split('@')[0]}\` and the fields you change,\n` +
        `# or run this one with --set (e.g. --set stage1.epochs=1).\n` +
        published +
        stringify(spec, { lineWidth: 0 }),
    );
  }
  files.set(EXPERIMENT_SCHEMA_FILE, `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
  return files;
}
