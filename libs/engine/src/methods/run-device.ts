import { type BackendName, resolveDevice, type DeviceName } from '@slca/compute';
import type { ExperimentConfig } from '../slca/config';
import { methodDefinition } from './registry';

/**
 * The device a run uses: its configuration's `compute.device` (`auto` when absent). `auto` takes onnx only
 * where it can run the whole experiment: onnxruntime-node loads, the tfjs backend is wasm (a native
 * TensorFlow backend, e.g. tfjs-node-gpu, stays the faster place for everything), and the method accepts
 * the onnx device (the prompted methods do not); else wasm.
 */
export function runDevice(config: ExperimentConfig, backend: BackendName): DeviceName {
  const request = config.compute.device ?? 'auto';
  if (request !== 'auto') return request;
  if (backend !== 'wasm') return 'wasm';
  const onOnnx = { ...config, compute: { ...config.compute, device: 'onnx' as const } };
  const refused = methodDefinition(config.method)
    .issues(onOnnx)
    .some((i) => i.path === 'compute.device');
  return refused ? 'wasm' : resolveDevice('auto');
}
