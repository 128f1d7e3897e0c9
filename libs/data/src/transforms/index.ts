export { rgbImage, TransformError, type RgbImage } from './image';
export {
  roundHalfEven,
  resizeShorterSize,
  centerCropBox,
  randomCropBox,
  randomResizedCropBox,
  type CropBox,
} from './geometry';
export { resizeBicubic } from './resize';
export { crop, hflip, adjustBrightness, normalizeImage } from './ops';
export {
  applyTransforms,
  pipelineOutput,
  planTransforms,
  runPlan,
  scaleTransforms,
  transformBatch,
  type PlannedOp,
  type TransformStep,
} from './pipeline';
export { decodeResizeCenterCrop, decodeSourceImages, type EvalDecodeOptions } from './decode';
