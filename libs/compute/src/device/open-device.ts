import type { BackendName } from '../backend';
import type { ComputeDevice } from './device';
import { LocalDevice } from './local-device';
import { OnnxDevice } from './onnx-device';
import { loadOnnxRuntime } from './onnx-forward';
import { WorkerPool } from './worker-pool';

/**
 * Compute devices by configuration name (`--device`):
 * - `wasm`: everything on the tfjs backend (wasm in these images): the portable device, always available.
 * - `onnx`: forward passes (feature extraction, class statistics, evaluation) and training passes (forward,
 *   loss, hand-written backward: onnx-vit-train.ts) on onnxruntime-node's native CPU kernels; only the
 *   contrastive pre-training objective still trains on the tfjs backend. Needs onnxruntime-node.
 */
export const DEVICE_NAMES = ['wasm', 'onnx'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** What a result records about the device that produced it. */
export interface DeviceInfo {
  name: DeviceName;
  /** Worker threads (0 = the calling thread). */
  workers: number;
  /** Where the forward and the training passes run. */
  forward: string;
  gradients: string;
}

/** What a configuration may ask for: a device, or `auto` (onnx where onnxruntime-node loads, else wasm). */
export const DEVICE_REQUESTS = ['wasm', 'onnx', 'auto'] as const;
export type DeviceRequest = (typeof DEVICE_REQUESTS)[number];

/** The device a request names; `auto` takes the native one where it can run and falls back to wasm. */
export function resolveDevice(request: DeviceRequest): DeviceName {
  if (request !== 'auto') return request;
  return onnxAvailable().ok ? 'onnx' : 'wasm';
}

export function parseDeviceName(value: string, field = 'device'): DeviceName {
  if (!(DEVICE_NAMES as readonly string[]).includes(value))
    throw new Error(`${field} must be one of ${DEVICE_NAMES.join(', ')}, got '${value}'`);
  return value as DeviceName;
}

/** Whether the `onnx` device can run here; the reason when not. */
export function onnxAvailable(): { ok: true } | { ok: false; reason: string } {
  const loaded = loadOnnxRuntime();
  return 'error' in loaded ? { ok: false, reason: loaded.error } : { ok: true };
}

const ONNX_CPU = 'onnxruntime-node (CPU EP)';

/** What a result records for the named device (see DeviceInfo). */
export function describeDevice(name: DeviceName, workers: number, backend: BackendName): DeviceInfo {
  const tfjs = `tfjs-${backend}`;
  if (name === 'wasm') return { name, workers, forward: tfjs, gradients: tfjs };
  return {
    name,
    workers,
    forward: ONNX_CPU,
    gradients: `${ONNX_CPU}; ${tfjs} for the contrastive objective`,
  };
}

/** Opens the named device with `workers` threads (0 = the calling thread) on the running tfjs backend. */
export async function openComputeDevice(
  name: DeviceName,
  workers: number,
  backend: BackendName,
): Promise<{ device: ComputeDevice; info: DeviceInfo }> {
  parseDeviceName(name);
  const info = describeDevice(name, workers, backend);
  if (name === 'wasm') {
    const device = workers > 0 ? await WorkerPool.create(workers, backend) : new LocalDevice();
    return { device, info };
  }
  const available = onnxAvailable();
  if (!available.ok)
    throw new Error(`device 'onnx': onnxruntime-node is not usable here (${available.reason})`);
  const device =
    workers > 0
      ? await WorkerPool.create(workers, backend, { forward: 'onnx' })
      : new OnnxDevice(new LocalDevice());
  return { device, info };
}
