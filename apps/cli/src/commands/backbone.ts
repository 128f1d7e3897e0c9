import { isAbsolute, resolve } from 'node:path';
import { FileObjectStore, getBackbone, listBackbones, type BackboneRecord } from '@slca/artifacts';
import { backboneNameProblem } from '@slca/engine';
import { splitterClient } from '@slca/service-kit';
import { parseArchFlag, registerLocalBackbone } from '../experiments';
import { UsageError } from '../io';
import { RemoteError } from './remote';
import { cliCredentials } from './credentials';

export interface BackboneRegisterFlags {
  file: string;
  arch: string;
  name: string;
  registry: string;
  remote?: boolean;
  splitter: string;
}

/** A ViT-B/16 file is read, converted and stored in one call: allow it the time that takes. */
const REGISTER_DEADLINE_MS = 10 * 60_000;

interface Row {
  name: string;
  archName: string;
  arch: string;
  digest: string;
  sourceFile: string;
  sourceFormat: string;
  dropped: string[];
}

function printRows(rows: Row[]): void {
  for (const r of rows)
    process.stdout.write(
      `${r.name}  ${r.archName === 'custom' ? r.arch : r.archName}  sha256 ${r.digest.slice(0, 16)}…  from ${r.sourceFile} (${r.sourceFormat})` +
        `${r.dropped.length ? `, ${r.dropped.length} tensors dropped` : ''}\n`,
    );
}

const rowOf = (r: BackboneRecord): Row => ({
  name: r.name,
  archName: r.archName,
  arch: JSON.stringify(r.arch),
  digest: r.digest,
  sourceFile: r.source.file,
  sourceFormat: r.source.format,
  dropped: r.dropped,
});

export async function backboneRegisterCommand(flags: BackboneRegisterFlags): Promise<void> {
  const problem = backboneNameProblem(flags.name);
  if (problem) throw new UsageError(`--name ${problem}`);
  if (flags.remote) {
    if (flags.arch.trim() === '') throw new UsageError('--arch is required');
    // A path on the splitter's host: only the operator's certificate may ask for that.
    const splitter = splitterClient({ address: flags.splitter, credentials: cliCredentials('operator') });
    try {
      const path = isAbsolute(flags.file) ? flags.file : resolve(flags.file);
      const { backbone } = await splitter
        .registerBackbone({ name: flags.name, arch: flags.arch, path }, { deadlineMs: REGISTER_DEADLINE_MS })
        .catch((error: unknown) => {
          throw new RemoteError(error);
        });
      if (!backbone) throw new Error('the splitter answered RegisterBackbone without a backbone');
      process.stdout.write(`registered with the splitter at ${flags.splitter}: `);
      printRows([{ ...backbone, arch: backbone.archJson }]);
    } finally {
      splitter.close();
    }
    return;
  }
  const arch = parseArchFlag(flags.arch);
  const stored = await registerLocalBackbone(flags.name, arch, flags.file, flags.registry);
  process.stdout.write(`registered in ${resolve(flags.registry, 'backbones', flags.name)}: `);
  printRows([rowOf(stored.record)]);
}

export interface BackboneListFlags {
  registry: string;
  remote?: boolean;
  splitter: string;
  json?: boolean;
}

export async function backboneListCommand(flags: BackboneListFlags): Promise<void> {
  let rows: Row[];
  if (flags.remote) {
    const splitter = splitterClient({ address: flags.splitter, credentials: cliCredentials('cli') });
    try {
      const { backbones } = await splitter.listBackbones({}).catch((error: unknown) => {
        throw new RemoteError(error);
      });
      rows = backbones.map((b) => ({ ...b, arch: b.archJson }));
    } finally {
      splitter.close();
    }
  } else {
    const store = new FileObjectStore(flags.registry);
    rows = await Promise.all(
      (await listBackbones(store)).map(async (n) => rowOf((await getBackbone(store, n)).record)),
    );
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write('no backbones registered\n');
  else printRows(rows);
}
