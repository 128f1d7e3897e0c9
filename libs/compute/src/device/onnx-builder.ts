import type { OnnxConstant, OnnxGraph, OnnxNode, OnnxValue } from './onnx-model';

/**
 * Builds an ONNX graph node by node: every call appends one node and returns the name of its output (fresh
 * names `t0`, `t1`, …), constants get names `c0`, `c1`, …. The ViT graphs (onnx-vit.ts, onnx-vit-train.ts)
 * are written with it.
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly constants: OnnxConstant[] = [];
  private next = 0;

  private fresh(): string {
    return `t${this.next++}`;
  }

  op(type: string, inputs: string[], attributes?: OnnxNode['attributes'], domain?: string): string {
    return this.ops(type, inputs, 1, attributes, domain)[0];
  }

  /** A node with `outputs` outputs (LayerNormalization's mean and inverse deviation). */
  ops(
    type: string,
    inputs: string[],
    outputs: number,
    attributes?: OnnxNode['attributes'],
    domain?: string,
  ): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh());
    this.nodes.push({ op: type, inputs, outputs: names, attributes, ...(domain && { domain }) });
    return names;
  }

  /**
   * Makes `value` a graph output named `name`: the node that computes it writes it under that name (so a
   * pre-allocated output is written in place, no copy); an Identity node when `value` is a graph input.
   */
  output(value: string, name: string): void {
    const producer = this.nodes.find((n) => n.outputs.includes(value));
    if (!producer) {
      this.nodes.push({ op: 'Identity', inputs: [value], outputs: [name] });
      return;
    }
    producer.outputs = producer.outputs.map((o) => (o === value ? name : o));
    for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === value ? name : i));
  }

  private constant(shape: number[], data: Float32Array | BigInt64Array): string {
    const name = `c${this.constants.length}`;
    this.constants.push({ name, shape, data });
    return name;
  }

  ints(values: number[]): string {
    return this.constant([values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalarInt(value: number): string {
    return this.constant([], BigInt64Array.of(BigInt(value)));
  }

  scalar(value: number): string {
    return this.constant([], Float32Array.of(value));
  }

  /** The graph, with the given tensors as inputs and the constants where a node reads them. */
  graph(inputs: OnnxValue[], outputs: OnnxValue[]): OnnxGraph {
    const used = new Set(this.nodes.flatMap((n) => n.inputs));
    return {
      nodes: this.nodes,
      constants: this.constants.filter((c) => used.has(c.name)),
      inputs: inputs.filter((v) => used.has(v.name)),
      outputs,
    };
  }
}
