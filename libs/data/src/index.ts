export { Mt19937, type Mt19937State } from './random/mt19937';
export { correctlyRoundedLog } from './random/correctly-rounded-log';
export { classOrder, remapLabels } from './class-order';
export { taskSizes, taskBoundaries, taskOfClass, type TaskRange } from './tasks';
export {
  DATASET_MANIFEST_SCHEMA,
  ManifestError,
  parseManifest,
  readManifestFile,
  manifestDigest,
  canonicalJson,
  type DatasetManifest,
  type DatasetClass,
  type DatasetItem,
} from './manifest';
export { DatasetFileError, resolveDatasetFile, sha256File, verifyManifestFiles } from './dataset-files';
export { EMOJI_VENDORS, type EmojiVendor } from './emoji-catalogue';
export {
  SPLIT_EMOJI_MIN_CLASS_SIZE,
  SPLIT_EMOJI_EXCLUDED_GROUPS,
  SPLIT_EMOJI_MANIFEST_PATH,
  SPLIT_EMOJI_CREDITS,
  splitEmojiClassNames,
  buildSplitEmojiManifest,
  loadSplitEmojiManifest,
  type LoadSplitEmojiOptions,
} from './split-emoji';
export {
  EMOJI_PRETRAIN_EXCLUDED_CATEGORIES,
  buildEmojiPretrainPool,
  type EmojiPretrainPool,
  type EmojiPretrainPoolOptions,
  type EmojiPretrainItem,
} from './emoji-pretrain-pool';
export {
  IMAGENET_MEAN,
  IMAGENET_STD,
  CIFAR100_MEAN,
  CIFAR100_STD,
  ImageDecodeError,
  type ImageBytes,
  decodeImages,
  normalizeInPlace,
  type DecodeImagesOptions,
  type DecodedImages,
} from './images';
export { flipShiftAugment, type FlipShiftOptions } from './augment';
export { cropColourAugment, hueSaturationMatrix, type CropColourOptions } from './augment-crop-colour';
export { buildSplit, splitId, SPLIT_SCHEMA, type DatasetSplit, type SplitTask } from './split';
export { readFolderDataset, FolderDatasetError, type FolderDatasetOptions } from './folder-dataset';
export {
  IMPORT_FORMATS,
  DatasetImportError,
  hashAndCheckImages,
  encodePngRgb,
  readTarGz,
  CIFAR100_OFFICIAL,
  CIFAR100_RECORD_BYTES,
  importCifar100,
  parseCifar100Records,
  parseCifar100LabelNames,
  IMAGENET_R_OFFICIAL,
  IMAGENET_R_SPLIT_SEED,
  importImagenetR,
  imagenetRTestMask,
  CUB200_OFFICIAL,
  importCub200,
  CARS196_OFFICIAL,
  importCars196,
  importDataset,
  formatConvertsImages,
  type ImportFormat,
  type ImportProgress,
  type ImportedDataset,
  type OfficialCounts,
  type TarEntry,
  type CifarRecord,
  type Cifar100ImportOptions,
  type ImagenetRImportOptions,
  type Cub200ImportOptions,
  type Cars196ImportOptions,
  type ImportDatasetOptions,
} from './importers';
export {
  rgbImage,
  TransformError,
  roundHalfEven,
  resizeShorterSize,
  centerCropBox,
  randomCropBox,
  randomResizedCropBox,
  resizeBicubic,
  crop,
  hflip,
  adjustBrightness,
  normalizeImage,
  applyTransforms,
  pipelineOutput,
  planTransforms,
  runPlan,
  scaleTransforms,
  transformBatch,
  decodeResizeCenterCrop,
  decodeSourceImages,
  type RgbImage,
  type CropBox,
  type TransformStep,
  type PlannedOp,
  type EvalDecodeOptions,
} from './transforms';
export {
  ClipartFolderError,
  DEBIAN_OPENCLIPART_DIR,
  decodeClipartFolder,
  type ClipartImages,
} from './clipart';
