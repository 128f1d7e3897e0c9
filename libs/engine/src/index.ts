export { Sgd, multiStepLr, cosineLr, type ParamGroup } from './train/sgd';
export {
  batchGradient,
  gatherImages,
  readRows,
  trainingRows,
  shardRanges,
  type BatchOptions,
  type DecodedImageSet,
  type LazyImages,
  type TrainAugment,
  type StepProgress,
} from './train/batch-gradient';
export {
  readSafetensors,
  writeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  SafetensorsError,
  MAX_HEADER_BYTES,
  type NamedTensor,
  type SafetensorsContents,
  type TensorToWrite,
  type TensorsToWrite,
  type SafetensorsDtype,
  type SafetensorsFloatDtype,
} from './weights/safetensors';
export {
  backboneLayout,
  backboneFromTimm,
  backboneToTimm,
  loadBackbone,
  saveBackbone,
  randomBackbone,
  WeightsError,
} from './weights/vit-weights';
export {
  loadBackboneFile,
  backboneFromBytes,
  backboneFromTorch,
  weightsFormat,
  type LoadedBackbone,
  type WeightsFormat,
} from './weights/vit-weights';
export {
  readTorchStateDict,
  timmTensorsFromTorch,
  torchStateDictRefs,
  torchToTimmName,
  isTorchCheckpoint,
  STATE_DICT_KEYS,
  type TimmTensorsFromTorch,
  type TorchStateDictRefs,
} from './weights/torch-checkpoint';
export {
  readTorchArchive,
  decodeTensor,
  unpickle,
  readZipDirectory,
  zipEntryData,
  isZipArchive,
  isLegacyTorchFile,
  ALLOWED_GLOBALS,
  TorchCheckpointError,
  TorchTensorRef,
  TorchStorageRef,
  PickleDict,
  PickleTuple,
  PickleGlobal,
  type PickleValue,
  type TorchArchive,
  type TorchDtype,
  type ZipEntry,
} from './weights/torch-pickle';
export { classStatistics, cholesky, StatisticsError, type ClassStatistics } from './slca/statistics';
export { logitNormalize } from './slca/logit-norm';
export {
  alignClassifier,
  sampleClass,
  meanShrinkFactor,
  DEFAULT_ALIGNMENT,
  type AlignmentOptions,
} from './slca/alignment';
export { newHead, concatHeads, splitHeads, cloneHeads, type Head } from './slca/heads';
export {
  METHODS,
  METHOD_LABELS,
  applyMethod,
  validateConfig,
  ConfigError,
  type Method,
  type ExperimentConfig,
  type Stage1Options,
} from './slca/config';
export {
  runExperiment,
  streamRng,
  ExperimentError,
  type ExperimentData,
  type ExperimentResult,
  type ImageSet,
  ExperimentStopped,
  type ProgressEvent,
  type TaskRecord,
  type ExperimentState,
  type ExperimentOptions,
  type CheckpointReason,
  type TaskEvaluator,
} from './slca/experiment';
export {
  evaluateSeenClasses,
  extractFeatures,
  type TaskEvaluation,
  type SeenClassesEvaluation,
  type SeenClassesInput,
  type FeatureOptions,
} from './slca/evaluate';
export {
  MemoryStatistics,
  encodeClassStatistics,
  decodeClassStatistics,
  type StatisticsSink,
} from './slca/statistics-sink';
export {
  encodeExperimentState,
  decodeExperimentState,
  encodeEvalModel,
  decodeEvalModel,
  evalModelMismatch,
  CheckpointError,
  type EvalModel,
} from './slca/checkpoint';
export {
  embeddedConfig,
  embeddedBackbonePath,
  embeddedRecordPath,
  loadEmbeddedBackbone,
  assetsDir,
  EMBEDDED_ARCH,
  EMBEDDED_BACKBONE_FILE,
  EMBEDDED_RECIPE_FILE,
  IMAGENET_NORMALIZE,
  type BackboneRecord,
} from './benchmarks/embedded';
export {
  pretrainSupervised,
  warmupCosineLr,
  type PretrainConfig,
  type PretrainResult,
  type PretrainProgress,
} from './pretrain/supervised';
export { pretrainContrastive, type ContrastiveConfig } from './pretrain/contrastive';
export { ncmAccuracy } from './pretrain/ncm';
export { probeBackbone, probeRawPixels } from './pretrain/probe';
export {
  EMOJI_CONTRASTIVE_RECIPE,
  EMOJI_PRETRAIN_RECIPE,
  EMOJI_PRETRAIN_VENDORS,
  EMOJI_PRETRAIN_TARGET,
  emojiIdentityLabels,
  type EmojiPretrainTarget,
} from './pretrain/emoji-recipe';
export { AdamW, DEFAULT_ADAMW, type AdamWOptions } from './train/adamw';
export { loadManifestData, loadManifestSource, type ManifestFileSource } from './benchmarks/manifest-data';
export { TransformPool } from './pipeline/transform-pool';
export { runDevice } from './methods/run-device';
export {
  PAPER_CONFIG_VERSION,
  PAPER_SEEDS,
  PAPER_BENCHMARKS,
  PAPER_BACKBONES,
  PAPER_METHODS,
  PAPER_SETUP,
  PUBLISHED,
  paperConfig,
  paperConfigurations,
  paperConfigurationId,
  type PaperBenchmark,
  type PaperBackbone,
  type PaperMethod,
  type PaperBenchmarkSetup,
  type PaperConfiguration,
  type PublishedNumber,
  type TransformStep,
} from './benchmarks/paper';
export { paperTestTransform } from './benchmarks/paper';
export { type ManifestImageDecoder } from './benchmarks/manifest-data';
export {
  EXPERIMENT_SCHEMA,
  experimentSpecSchema,
  experimentConfigSchema,
  experimentJsonSchema,
  configOf,
  type ExperimentSpec,
} from './experiment/schema';
export {
  RUN_ID,
  TAG,
  DATASET_NAME,
  BACKBONE_NAME,
  BENCHMARK_IDS,
  runIdProblem,
  tagProblem,
  backboneNameProblem,
  type BenchmarkId,
} from './experiment/names';
export {
  METHOD_CATALOG,
  BENCHMARK_CATALOG,
  EMBEDDED_CONFIG_VERSION,
  EMBEDDED_BACKBONE_NAME,
  EMBEDDED_DATASET_NAME,
  DEFAULT_SEED,
  configurationCatalog,
  configurationId,
  configurationSpec,
  findConfiguration,
  CatalogError,
  type MethodEntry,
  type BenchmarkEntry,
  type ConfigurationEntry,
} from './experiment/catalog';
export {
  resolveExperiment,
  resolveExperimentText,
  parseExperimentText,
  applySettings,
  formatPath,
  ExperimentSpecError,
  type SpecIssue,
  type ResolveOptions,
} from './experiment/resolve';
export { goldenFiles, goldenFileName, EXPERIMENT_SCHEMA_FILE } from './experiment/golden-files';
export { prepareBackbone, archName, type PreparedBackbone } from './weights/prepare-backbone';
export { loadExperimentData, checkDatasetFits, DatasetFitError } from './experiment/experiment-data';
// The bench harness (tools/bench) times the engine's pieces as the runner installs them.
export { emptyMethodState } from './methods/method';
export { METHOD_REGISTRY } from './methods/registry';
export { stage1ModelSpec } from './methods/stage1';
export { Adam } from './train/adam';
export { featureMapOf } from './methods/registry';
export type { FeatureMap } from './methods/method';
