import { describe, expect, it } from 'vitest';
import { VIT_PRESETS } from '../vit/arch';
import { explainWasmAbort } from './model-step';

describe('a wasm abort becomes an error that says what to change', () => {
  // What tfjs-wasm throws when an allocation fails (its emscripten glue: abort("") with no assertions).
  // (`WebAssembly` is a runtime global of Node that the project's type libraries do not declare.)
  const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } })
    .WebAssembly;
  const abort = () => new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');

  it('names the pass, the shard and the model, and the setting to change', () => {
    const e = explainWasmAbort(abort(), VIT_PRESETS['vit-b16'], 8, 'training') as Error;
    expect(e.message).toContain(
      'the wasm backend aborted during a training pass over 8 image(s) of a 224 px ViT (dim 768, depth 12)',
    );
    expect(e.message).toContain('compute.shards; ViT-B/16 needs one image per shard on wasm');
    expect(e.message).toContain('(Aborted(). Build with -sASSERTIONS for more info.)');
    expect(e.cause).toBeInstanceOf(RuntimeError);
    const f = explainWasmAbort(abort(), VIT_PRESETS['vit-b16'], 128, 'forward') as Error;
    expect(f.message).toContain('compute.featureChunk');
  });

  it('leaves every other error as it is', () => {
    const other = new Error('training diverged');
    expect(explainWasmAbort(other, VIT_PRESETS['vit-b16'], 8, 'training')).toBe(other);
    expect(explainWasmAbort('Aborted()', VIT_PRESETS['vit-b16'], 8, 'training')).toBe('Aborted()');
  });
});
