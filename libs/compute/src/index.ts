// The kernels and the devices that run them: tfjs backends, the ViT forward pass and its prompts, the
// parameter layout, and the compute devices (in-thread, worker pool, onnxruntime) behind one interface.
// The science (@slca/engine) builds on this and never names a runtime itself.
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
  DEFAULT_NORM_EPS,
  parseArch,
  paramSpecs,
  paramCount,
  sizeOf,
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
export {
  promptSimilarities,
  promptTokens,
  promptShapes,
  selectPrompts,
  keyPull,
  keyPullTensor,
  PROMPT_KEYS,
  PROMPT_POOL,
  PROMPT_G,
  PROMPT_QUERIES,
  type PromptSpec,
  type PrefixTuningSpec,
  type PromptQueries,
} from './vit/prompts';
export { ParamLayout, sharedFloat32 } from './params';
export type { ComputeDevice } from './device/device';
export { LocalDevice } from './device/local-device';
export { WorkerPool } from './device/worker-pool';
export { OnnxDevice } from './device/onnx-device';
export { OnnxTraining } from './device/onnx-train';
export { spawnModuleWorker, type ModuleWorkerOptions } from './device/spawn-worker';
export {
  tensorsFrom,
  gradientsInto,
  featuresOf,
  HEAD_WEIGHT,
  HEAD_BIAS,
  type ModelSpec,
  type GradientBatch,
} from './device/model-step';
export {
  openComputeDevice,
  describeDevice,
  parseDeviceName,
  onnxAvailable,
  DEVICE_NAMES,
  DEVICE_REQUESTS,
  resolveDevice,
  type DeviceRequest,
  type DeviceName,
  type DeviceInfo,
} from './device/open-device';
