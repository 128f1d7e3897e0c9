export {
  initBackend,
  activeBackend,
  BackendError,
  BACKEND_REQUESTS,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
} from './backend';
export { matmul, linear, layerNorm, gelu, crossEntropy } from './ops';
export {
  VIT_PRESETS,
  parseArch,
  paramSpecs,
  paramCount,
  forwardMacs,
  numPatches,
  numTokens,
  patchInputDim,
  ArchError,
  type VitArch,
  type VitPreset,
  type ParamSpec,
} from './vit/arch';
export { vitFeatures, patchify, type BackboneTensors } from './vit/forward';
export { ParamLayout, sharedFloat32 } from './train/params';
export { Sgd, multiStepLr, cosineLr, type ParamGroup } from './train/sgd';
export type { ComputeDevice } from './compute/device';
export { LocalDevice } from './compute/local-device';
export { WorkerPool } from './compute/worker-pool';
export {
  tensorsFrom,
  gradientsInto,
  featuresOf,
  HEAD_WEIGHT,
  HEAD_BIAS,
  type ModelSpec,
  type GradientBatch,
} from './compute/model-step';
export {
  readSafetensors,
  writeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  SafetensorsError,
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
  shardRanges,
  ExperimentError,
  type ExperimentData,
  type ExperimentResult,
  type ImageSet,
  type ProgressEvent,
  type TaskRecord,
} from './slca/experiment';
export {
  embeddedConfig,
  embeddedBackbonePath,
  assetsDir,
  EMBEDDED_ARCH,
  EMBEDDED_BACKBONE_FILE,
  IMAGENET_NORMALIZE,
} from './benchmarks/embedded';
export { loadManifestData } from './benchmarks/manifest-data';
