/**
 * A minimal ONNX model writer for the benchmarks: one node, its initializers, its graph inputs and
 * outputs, serialized as a ModelProto with a hand-written protobuf encoder (a few field types
 * only), so the peers onnxruntime-node and onnxruntime-web can run MatMul and MatMulNBits without
 * an onnx package. Field numbers are those of onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto.Tensor, TensorShapeProto).
 *
 * Not a general ONNX library: no subgraphs, no strings in tensors, int attributes only.
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;

/** A growable byte buffer with protobuf wire-format writers. */
class Pb {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private varint(v: number): void {
    // Values here are non-negative and below 2^53: split into 7-bit groups with arithmetic.
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.done());
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** An initializer: a named constant tensor stored as raw little-endian bytes. */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly raw: ArrayBufferView;
}

/** A graph input or output: name, element type and shape. */
export interface OnnxValue {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
}

/** A one-node model. */
export interface OnnxNodeModel {
  readonly opType: string;
  /** '' for the default domain, 'com.microsoft' for contrib ops such as MatMulNBits. */
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttrs?: Readonly<Record<string, number>>;
  readonly initializers: readonly OnnxTensor[];
  readonly graphInputs: readonly OnnxValue[];
  readonly graphOutputs: readonly OnnxValue[];
}

function valueInfo(v: OnnxValue): Pb {
  const shape = new Pb();
  for (const d of v.dims) shape.msg(1, new Pb().int(1, d));
  const tensorType = new Pb().int(1, v.dataType).msg(2, shape);
  return new Pb().str(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

function tensorProto(t: OnnxTensor): Pb {
  const p = new Pb();
  for (const d of t.dims) p.int(1, d);
  p.int(2, t.dataType).str(8, t.name);
  return p.bytes(9, new Uint8Array(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength));
}

/**
 * Serializes a one-node ONNX model (IR version 8, default opset 17, com.microsoft opset 1).
 * @example
 * const bytes = onnxModel({ opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'],
 *   initializers: [{ name: 'B', dataType: ONNX_FLOAT, dims: [k, n], raw: w }],
 *   graphInputs: [{ name: 'A', dataType: ONNX_FLOAT, dims: [m, k] }],
 *   graphOutputs: [{ name: 'Y', dataType: ONNX_FLOAT, dims: [m, n] }] });
 */
export function onnxModel(m: OnnxNodeModel): Uint8Array {
  const node = new Pb();
  for (const i of m.inputs) node.str(1, i);
  for (const o of m.outputs) node.str(2, o);
  node.str(3, `${m.opType}_0`).str(4, m.opType);
  for (const [name, v] of Object.entries(m.intAttrs ?? {})) {
    // AttributeProto: name = 1, i = 3, type = 20 (INT = 2).
    node.msg(5, new Pb().str(1, name).int(3, v).int(20, 2));
  }
  if (m.domain) node.str(7, m.domain);

  const graph = new Pb().msg(1, node).str(2, 'bench');
  for (const t of m.initializers) graph.msg(5, tensorProto(t));
  for (const v of m.graphInputs) graph.msg(11, valueInfo(v));
  for (const v of m.graphOutputs) graph.msg(12, valueInfo(v));

  const model = new Pb().int(1, 8).str(2, 'quantensor-bench').msg(7, graph);
  model.msg(8, new Pb().str(1, '').int(2, 17));
  model.msg(8, new Pb().str(1, 'com.microsoft').int(2, 1));
  return model.done();
}

/**
 * MatMulNBits' zero-point input from one code zero point per (column n, block): uint8
 * (N, ceil(blocks * bits / 8)), element j of row n at bit (j * bits) % 8 of its byte, low bits first
 * (onnxruntime contrib_ops/cpu/quantization/matmul_nbits.cc). The weight B (N, blocks,
 * blockSize * bits / 8) has the same bit order, which is our codes' row layout when blockSize * bits
 * is a multiple of 8, and the scales (N * blocks) f32 are our [rows, nGroups] scales as they are.
 * @example
 * const zp = packZeroPoints(zeros, 4096, 32, 4); // 4096 x 16 bytes
 */
export function packZeroPoints(zero: Uint8Array, N: number, blocks: number, bits: number): Uint8Array {
  const zRow = Math.ceil((blocks * bits) / 8);
  const out = new Uint8Array(N * zRow);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < blocks; j++) {
      const bit = n * zRow * 8 + j * bits;
      out[bit >> 3] |= zero[n * blocks + j] << (bit & 7);
    }
  }
  return out;
}
