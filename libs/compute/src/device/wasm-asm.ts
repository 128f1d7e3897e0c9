/*
 * A tiny WebAssembly assembler: just enough of the binary format (MVP + fixed-width SIMD) to emit the
 * engine's own compute kernels at run time, without a toolchain. Functions are built from straight-line
 * emit calls; structured control flow is emitted through helpers that keep block nesting explicit.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A local variable (or parameter) of a function under construction. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** Body builder of one function. Every method appends instructions; values flow on the wasm stack. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly extra: ValType[] = [];
  readonly params: Local[];

  constructor(
    readonly exportName: string,
    readonly paramTypes: readonly ValType[],
    readonly resultTypes: readonly ValType[] = [],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: ValType): Local {
    this.extra.push(type);
    return { index: this.paramTypes.length + this.extra.length - 1, type };
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }

  get(l: Local): this {
    return this.op(0x20, ...uleb(l.index));
  }
  set(l: Local): this {
    return this.op(0x21, ...uleb(l.index));
  }
  tee(l: Local): this {
    return this.op(0x22, ...uleb(l.index));
  }
  i32(n: number): this {
    return this.op(0x41, ...sleb(n));
  }
  f32(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return this.op(0x43, ...b);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  f32Load(offset = 0): this {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.op(0x38, 2, ...uleb(offset));
  }
  v128Load(offset = 0): this {
    return this.simd(0x00, 0, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, 0, ...uleb(offset));
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4ExtractLane(lane: number): this {
    return this.simd(0x1f, lane);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }

  /** local += delta (i32 locals). */
  addTo(l: Local, delta: Local | number): this {
    this.get(l);
    if (typeof delta === 'number') this.i32(delta);
    else this.get(delta);
    return this.i32Add().set(l);
  }

  /**
   * while (cond()) { body(); } — `cond` pushes one i32. `br 1` inside body's top level exits the loop,
   * `br 0` re-tests the condition.
   */
  whileLoop(cond: () => void, body: () => void): this {
    this.op(0x02, 0x40); // block
    this.op(0x03, 0x40); // loop
    cond();
    this.op(0x45); // i32.eqz
    this.op(0x0d, 1); // br_if 1 (leave the block)
    body();
    this.op(0x0c, 0); // br 0 (back to the loop head)
    this.op(0x0b, 0x0b); // end loop, end block
    return this;
  }

  encodeType(): number[] {
    return [0x60, ...vec(this.paramTypes.map((t) => [t])), ...vec(this.resultTypes.map((t) => [t]))];
  }

  encodeBody(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.extra.length;) {
      let n = 1;
      while (i + n < this.extra.length && this.extra[i + n] === this.extra[i]) n++;
      groups.push([...uleb(n), this.extra[i]]);
      i += n;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** A module whose functions work on one imported memory (env.memory). */
export function assembleModule(functions: readonly FunctionBuilder[]): Uint8Array {
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(functions.map((f) => f.encodeType()))),
    // import "env" "memory": memory with min 1 page, no maximum (matches any non-shared memory)
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.encodeBody()))),
  ];
  return new Uint8Array(bytes);
}
