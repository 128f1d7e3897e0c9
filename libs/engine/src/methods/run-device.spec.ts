import { describe, expect, it } from 'vitest';
import { embeddedConfig } from '../benchmarks/embedded';
import type { DeviceRequest } from '@slca/compute';
import type { Method } from './registry';
import { runDevice } from './run-device';

const config = (method: Method, device?: DeviceRequest) => {
  const cfg = embeddedConfig(method, 1);
  return { ...cfg, compute: { ...cfg.compute, device } };
};

describe('the device a run uses', () => {
  it('is the configured one, auto when absent', () => {
    expect(runDevice(config('slca'), 'wasm')).toBe('onnx');
    expect(runDevice(config('l2p'), 'wasm')).toBe('wasm');
    expect(runDevice(config('slca', 'wasm'), 'wasm')).toBe('wasm');
    expect(runDevice(config('slca', 'onnx'), 'wasm')).toBe('onnx');
  });

  it('auto: onnx where onnxruntime-node loads (as here) for a method that runs there', () => {
    expect(runDevice(config('slca', 'auto'), 'wasm')).toBe('onnx');
    expect(runDevice(config('slcapp', 'auto'), 'wasm')).toBe('onnx');
  });

  it('auto: wasm for the prompted methods, which the onnx device refuses, and beside a native tfjs backend', () => {
    expect(runDevice(config('l2p', 'auto'), 'wasm')).toBe('wasm');
    expect(runDevice(config('dualprompt', 'auto'), 'wasm')).toBe('wasm');
    expect(runDevice(config('slca', 'auto'), 'tensorflow')).toBe('wasm');
  });
});
