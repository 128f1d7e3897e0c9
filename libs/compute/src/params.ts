import { sizeOf } from './vit/arch';

export interface TensorSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Where each named tensor lives in one flat float32 buffer. */
export class ParamLayout {
  readonly slots: readonly TensorSlot[];
  readonly total: number;
  private readonly byName: Map<string, TensorSlot>;

  constructor(entries: readonly { name: string; shape: readonly number[] }[]) {
    let offset = 0;
    this.slots = entries.map(({ name, shape }) => {
      const size = sizeOf(shape);
      const slot = { name, shape: [...shape], offset, size };
      offset += size;
      return slot;
    });
    this.total = offset;
    this.byName = new Map(this.slots.map((s) => [s.name, s]));
    if (this.byName.size !== this.slots.length) throw new Error('ParamLayout: duplicate tensor name');
  }

  slot(name: string): TensorSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`ParamLayout: no tensor named '${name}'`);
    return s;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  view(values: Float32Array, name: string): Float32Array {
    const s = this.slot(name);
    return values.subarray(s.offset, s.offset + s.size);
  }

  /** Plain JSON form, to hand the layout to a worker thread. */
  toJSON(): { name: string; shape: number[] }[] {
    return this.slots.map(({ name, shape }) => ({ name, shape }));
  }
}

/**
 * A float32 buffer that worker threads can read without copies: the master copy of the trainable
 * parameters during a task. Falls back to a plain buffer where SharedArrayBuffer is unavailable.
 */
export function sharedFloat32(length: number): Float32Array {
  const Shared = globalThis.SharedArrayBuffer;
  return Shared ? new Float32Array(new Shared(length * 4)) : new Float32Array(length);
}
