/*
 * A minimal writer of ONNX models (protobuf wire format, onnx.proto3 field numbers) for the graphs the
 * native device runs: float32 tensors, graph inputs and outputs with fixed shapes, nodes with int, float and
 * ints attributes. No dependency: the subset is small and fixed.
 */

class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array) {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint) {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number) {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array) {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string) {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, w: Writer) {
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export type Attribute = number | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
  domain?: string;
}

export interface OnnxValue {
  name: string;
  shape: number[];
  /** 'float32' (default) or 'int64'. */
  type?: 'float32' | 'int64';
}

export interface OnnxConstant {
  name: string;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  constants?: OnnxConstant[];
}

const FLOAT = 1;
const INT64 = 7;

function attribute(name: string, value: Attribute): Writer {
  const w = new Writer().string(1, name);
  if (typeof value === 'number') return w.int(3, value).int(20, 2); // INT
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    return w.int(20, 7); // INTS
  }
  return w.float(2, value.float).int(20, 1); // FLOAT
}

function valueInfo(v: OnnxValue): Writer {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, new Writer().int(1, d));
  const tensor = new Writer().int(1, v.type === 'int64' ? INT64 : FLOAT).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensor));
}

function tensor(c: OnnxConstant): Writer {
  const w = new Writer();
  for (const d of c.shape) w.int(1, d);
  w.int(2, c.data instanceof BigInt64Array ? INT64 : FLOAT).string(8, c.name);
  return w.bytes(9, new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
}

/** The serialised ModelProto (IR version 9, default opset 20) for onnxruntime's InferenceSession.create. */
export function encodeModel(g: OnnxGraph, opset = 20): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.string(1, x);
    for (const y of n.outputs) node.string(2, y);
    node.string(3, `n${i}`).string(4, n.op);
    for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, attribute(k, v));
    if (n.domain) node.string(7, n.domain);
    graph.message(1, node);
  });
  graph.string(2, 'slca');
  for (const c of g.constants ?? []) graph.message(5, tensor(c));
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  const model = new Writer().int(1, 9).string(2, 'slca-engine').message(7, graph);
  model.message(8, new Writer().string(1, '').int(2, opset));
  if (g.nodes.some((n) => n.domain === 'com.microsoft'))
    model.message(8, new Writer().string(1, 'com.microsoft').int(2, 1));
  return model.finish();
}
