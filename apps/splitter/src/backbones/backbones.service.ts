import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  backbonePrefix,
  backboneRecord,
  getBackbone,
  isArtifactError,
  listBackbones,
  parseBackboneUploadKey,
  putBackbone,
  type ObjectStore,
  type StoredBackbone,
} from '@slca/artifacts';
import type { Backbone, ObjectRef } from '@slca/contracts';
import { EMBEDDED_ARCH, EMBEDDED_BACKBONE_NAME, embeddedBackbonePath, prepareBackbone } from '@slca/engine';
import { parseArch, type VitArch } from '@slca/compute';
import { invalidArgument, notFound } from '@slca/service-kit';
import { OBJECT_STORE } from '../object-store';
import { artifactRef } from '../splitter/artifact-ref';

/** Largest weights file read (ViT-L checkpoints with optimizer state are ~3.5 GB; ViT-B/16 is 0.35–1 GB). */
export const MAX_WEIGHTS_BYTES = 4 * 1024 ** 3;

/** Errors of a weights file that are the caller's: the file is not a backbone of that architecture. */
const FILE_ERRORS = new Set(['WeightsError', 'SafetensorsError', 'TorchCheckpointError']);

/** The backbone registry: weights checked against their architecture, stored once, listed. */
@Injectable()
export class BackbonesService implements OnApplicationBootstrap {
  /** Registrations under way by name: a retried call joins the running one. */
  private readonly registering = new Map<string, Promise<StoredBackbone>>();

  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}

  /**
   * Registers the embedded backbone when the service starts, so every stack has it. A store that is not up
   * yet is no failure: the first GetBackbone of it registers it then.
   */
  onApplicationBootstrap(): void {
    this.registerEmbedded().catch(() => undefined);
  }

  async register(name: string, archInput: string, path: string): Promise<Backbone> {
    const arch = this.arch(archInput);
    return this.message(await this.once(name, () => this.registerFile(name, arch, path)));
  }

  private arch(input: string): VitArch {
    try {
      return parseArch(input);
    } catch (error) {
      throw invalidArgument('arch', (error as Error).message);
    }
  }

  /**
   * Registers weights a caller put in the object store (`uploads/backbones/<uploadId>/<file>`): the bytes
   * must have the size and SHA-256 the request names. The upload is removed afterwards, accepted or not.
   */
  async registerUpload(name: string, archInput: string, upload: ObjectRef): Promise<Backbone> {
    const arch = this.arch(archInput);
    let file: string;
    try {
      file = parseBackboneUploadKey(upload.key).file;
    } catch (error) {
      throw invalidArgument('upload.key', (error as { reason?: string }).reason ?? (error as Error).message);
    }
    return this.message(
      await this.once(name, async () => {
        try {
          return await this.registerUploaded(name, arch, upload, file);
        } finally {
          await this.store.remove(upload.key).catch(() => undefined);
        }
      }),
    );
  }

  /** The embedded default's backbone, registered from the shipped asset (the stack does it at start). */
  async registerEmbedded(): Promise<Backbone> {
    return this.message(
      await this.once(EMBEDDED_BACKBONE_NAME, () =>
        this.registerFile(EMBEDDED_BACKBONE_NAME, { ...EMBEDDED_ARCH }, embeddedBackbonePath()),
      ),
    );
  }

  async get(name: string): Promise<Backbone> {
    try {
      return this.message(await getBackbone(this.store, name));
    } catch (error) {
      if (name === EMBEDDED_BACKBONE_NAME && isArtifactError(error) && error.code === 'not_found')
        return this.registerEmbedded();
      throw error;
    }
  }

  async list(): Promise<Backbone[]> {
    const names = await listBackbones(this.store);
    return Promise.all(names.map(async (name) => this.message(await getBackbone(this.store, name))));
  }

  private once(name: string, work: () => Promise<StoredBackbone>): Promise<StoredBackbone> {
    let running = this.registering.get(name);
    if (!running) {
      running = work().finally(() => this.registering.delete(name));
      this.registering.set(name, running);
    }
    return running;
  }

  private async registerFile(name: string, arch: VitArch, path: string): Promise<StoredBackbone> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw invalidArgument('path', `${path} is not a readable file`);
    if (info.size > MAX_WEIGHTS_BYTES)
      throw invalidArgument(
        'path',
        `${path} is ${info.size} bytes, above the ${MAX_WEIGHTS_BYTES}-byte limit`,
      );
    return this.storeWeights(name, arch, new Uint8Array(await readFile(path)), path, 'path');
  }

  /** Checks and converts the weights (a refusal names `field`), then stores them under `name`. */
  private storeWeights(name: string, arch: VitArch, bytes: Uint8Array, source: string, field: string) {
    let prepared;
    try {
      prepared = prepareBackbone(bytes, arch, source);
    } catch (error) {
      if (FILE_ERRORS.has((error as Error).name)) throw invalidArgument(field, (error as Error).message);
      throw error;
    }
    return putBackbone(this.store, backboneRecord(name, arch, prepared, source), prepared.weights);
  }

  private async registerUploaded(
    name: string,
    arch: VitArch,
    upload: ObjectRef,
    file: string,
  ): Promise<StoredBackbone> {
    if (upload.size > MAX_WEIGHTS_BYTES)
      throw invalidArgument(
        'upload.size',
        `${upload.size} bytes is above the ${MAX_WEIGHTS_BYTES}-byte limit`,
      );
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await this.store.get(upload.key));
    } catch (error) {
      if (isArtifactError(error) && error.code === 'not_found')
        throw notFound(`no upload ${upload.key} in the object store`);
      throw error;
    }
    if (bytes.length !== upload.size)
      throw invalidArgument(
        'upload.size',
        `the upload has ${bytes.length} bytes, the request says ${upload.size}`,
      );
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== upload.sha256)
      throw invalidArgument(
        'upload.sha256',
        `the upload has SHA-256 ${digest}, the request says ${upload.sha256}`,
      );
    return this.storeWeights(name, arch, bytes, file, 'upload');
  }

  private async message(stored: StoredBackbone): Promise<Backbone> {
    const { record } = stored;
    return {
      name: record.name,
      archName: record.archName,
      archJson: JSON.stringify(record.arch),
      digest: record.digest,
      size: record.size,
      tensors: record.tensors,
      sourceFile: record.source.file,
      sourceFormat: record.source.format,
      sourceSha256: record.source.sha256,
      dropped: record.dropped,
      registeredAtMs: Date.parse(record.registeredAt),
      artifact: await artifactRef(this.store, backbonePrefix(record.name), stored.artifact),
    };
  }
}
