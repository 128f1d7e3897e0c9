import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activeBackend, BackendError, initBackend } from './backend';

/*
 * One process, one backend: this file runs in its own forked process (vitest pool 'forks'), so the order
 * below is the order a real process goes through.
 */
describe('backend selection', () => {
  it('fails loudly when the requested native backend is not installed, without starting another', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(BackendError);
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /tfjs-node-gpu or @tensorflow\/tfjs-node is not installed/,
    );
    expect(() => activeBackend()).toThrow(/initBackend\(\) has not been called/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(initBackend('webgl' as 'wasm')).rejects.toThrow("unknown backend 'webgl'");
  });

  it('auto picks wasm here (no native bindings), with SIMD and without threads, and reports it', async () => {
    const handlers = () => ({
      unhandledRejection: process.listeners('unhandledRejection'),
      uncaughtException: process.listeners('uncaughtException'),
    });
    const before = handlers();
    const info = await initBackend('auto');
    // The wasm glue's handlers that rethrow every stray rejection (and so end the process) are gone: the
    // process keeps exactly the fault handlers it had.
    expect(handlers()).toEqual(before);
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(false);
    expect(tf.getBackend()).toBe('wasm');
    expect(activeBackend()).toBe(info);
  });

  it('refuses a different backend once one is running', async () => {
    await expect(initBackend('cpu')).rejects.toThrow("backend 'cpu' requested but 'wasm' is already running");
    await expect(initBackend('wasm')).resolves.toMatchObject({ name: 'wasm' });
  });
});
