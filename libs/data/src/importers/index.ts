export {
  IMPORT_FORMATS,
  DatasetImportError,
  hashAndCheckImages,
  type ImportFormat,
  type ImportProgress,
  type ImportedDataset,
  type OfficialCounts,
} from './import-common';
export { encodePngRgb } from './png-encode';
export { readTarGz, type TarEntry } from './tar-gz';
export {
  CIFAR100_OFFICIAL,
  CIFAR100_RECORD_BYTES,
  importCifar100,
  parseCifar100Records,
  parseCifar100LabelNames,
  type CifarRecord,
  type Cifar100ImportOptions,
} from './cifar100';
export {
  IMAGENET_R_OFFICIAL,
  IMAGENET_R_SPLIT_SEED,
  importImagenetR,
  imagenetRTestMask,
  type ImagenetRImportOptions,
} from './imagenet-r';
export { CUB200_OFFICIAL, importCub200, type Cub200ImportOptions } from './cub200';
export { CARS196_OFFICIAL, importCars196, type Cars196ImportOptions } from './cars196';
export { importDataset, formatConvertsImages, type ImportDatasetOptions } from './import-dataset';
