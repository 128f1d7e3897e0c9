import { Controller, Inject } from '@nestjs/common';
import { validateSegment } from '@slca/artifacts';
import {
  SplitterServiceControllerMethods,
  type CreateSplitRequest,
  type GetBackboneRequest,
  type GetBackboneResponse,
  type ListBackbonesResponse,
  type RegisterBackboneRequest,
  type RegisterBackboneResponse,
  type CreateSplitResponse,
  type GetDatasetRequest,
  type GetDatasetResponse,
  type GetSplitRequest,
  type GetSplitResponse,
  type ImportBenchmarkDatasetRequest,
  type ImportBenchmarkDatasetResponse,
  type ImportEmbeddedDatasetRequest,
  type ImportEmbeddedDatasetResponse,
  type ImportFolderDatasetRequest,
  type ImportFolderDatasetResponse,
  type ListDatasetsResponse,
  type SplitterServiceController,
} from '@slca/contracts';
import { IMPORT_FORMATS, splitId, type ImportFormat } from '@slca/data';
import { invalidArgument } from '@slca/service-kit';
import { BackbonesService } from '../backbones/backbones.service';
import { ServerPaths } from './server-paths';
import { EMBEDDED_DATASET_NAME, SplitterService } from './splitter.service';

/** Largest image side a folder import may ask for; beyond it one image alone is hundreds of MB as floats. */
export const MAX_IMAGE_SIZE = 1024;

/** A dataset name or split id as the object layout accepts it; INVALID_ARGUMENT naming the proto field. */
function segment(field: string, value: string): string {
  try {
    return validateSegment(field, value);
  } catch (error) {
    throw invalidArgument(field, (error as { reason?: string }).reason ?? (error as Error).message);
  }
}

function positive(field: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value <= 0 || value > max)
    throw invalidArgument(field, `must be an integer in [1, ${max}], got ${value}`);
  return value;
}

function importFormat(value: string): ImportFormat {
  if (!(IMPORT_FORMATS as readonly string[]).includes(value))
    throw invalidArgument('format', `must be one of ${IMPORT_FORMATS.join(', ')}, got '${value}'`);
  return value as ImportFormat;
}

/** Validates every field, then hands over to the service; nothing is stored for a refused request. */
@Controller()
@SplitterServiceControllerMethods()
export class SplitterController implements SplitterServiceController {
  constructor(
    @Inject(SplitterService) private readonly splitter: SplitterService,
    @Inject(BackbonesService) private readonly backbones: BackbonesService,
    @Inject(ServerPaths) private readonly paths: ServerPaths,
  ) {}

  async importEmbeddedDataset(request: ImportEmbeddedDatasetRequest): Promise<ImportEmbeddedDatasetResponse> {
    const name = segment('name', request.name === '' ? EMBEDDED_DATASET_NAME : request.name);
    return { dataset: await this.splitter.importEmbedded(name) };
  }

  async importFolderDataset(request: ImportFolderDatasetRequest): Promise<ImportFolderDatasetResponse> {
    const name = segment('name', request.name);
    const path = await this.paths.check('path', request.path);
    const imageSize = positive('image_size', request.imageSize, MAX_IMAGE_SIZE);
    return { dataset: await this.splitter.importFolder(name, path, imageSize) };
  }

  async importBenchmarkDataset(
    request: ImportBenchmarkDatasetRequest,
  ): Promise<ImportBenchmarkDatasetResponse> {
    const name = segment('name', request.name);
    const format = importFormat(request.format);
    const path = await this.paths.check('path', request.path);
    return this.splitter.importBenchmark(name, format, path);
  }

  async getDataset(request: GetDatasetRequest): Promise<GetDatasetResponse> {
    return { dataset: await this.splitter.getDataset(segment('name', request.name)) };
  }

  async listDatasets(): Promise<ListDatasetsResponse> {
    return { datasets: await this.splitter.listDatasets() };
  }

  async createSplit(request: CreateSplitRequest): Promise<CreateSplitResponse> {
    const dataset = segment('dataset', request.dataset);
    const initClasses = positive('init_classes', request.initClasses);
    const increment = positive('increment', request.increment);
    const id = splitId(dataset, request.seed, initClasses, increment);
    try {
      validateSegment('splitId', id);
    } catch {
      throw invalidArgument('dataset', `name too long: the split id ${id} exceeds 63 characters`);
    }
    const manifest = await this.splitter.datasetManifest(dataset);
    const classes = manifest.classes.length;
    if (initClasses > classes)
      throw invalidArgument('init_classes', `${initClasses} exceeds the ${classes} classes of ${dataset}`);
    if (increment > classes)
      throw invalidArgument('increment', `${increment} exceeds the ${classes} classes of ${dataset}`);
    return { split: await this.splitter.createSplit(manifest, request.seed, initClasses, increment) };
  }

  async getSplit(request: GetSplitRequest): Promise<GetSplitResponse> {
    return { split: await this.splitter.getSplit(segment('id', request.id)) };
  }

  async registerBackbone(request: RegisterBackboneRequest): Promise<RegisterBackboneResponse> {
    const name = segment('name', request.name);
    if (request.arch === '') throw invalidArgument('arch', 'is required (a preset such as vit-b16, or JSON)');
    if (request.upload) {
      if (request.path !== '') throw invalidArgument('path', 'give either path or upload, not both');
      return { backbone: await this.backbones.registerUpload(name, request.arch, request.upload) };
    }
    const path = await this.paths.check('path', request.path);
    return { backbone: await this.backbones.register(name, request.arch, path) };
  }

  async getBackbone(request: GetBackboneRequest): Promise<GetBackboneResponse> {
    return { backbone: await this.backbones.get(segment('name', request.name)) };
  }

  async listBackbones(): Promise<ListBackbonesResponse> {
    return { backbones: await this.backbones.list() };
  }
}
