/**
 * A TensorFlow GraphDef, serialized by hand (protobuf wire format) for `registerGraphFunction`
 * (src/native/graph_function.cc): the handful of messages a traced step needs (NodeDef, AttrValue, TensorShapeProto,
 * TensorProto), without a protobuf code generator. Field numbers are tensorflow/core/framework/*.proto's.
 */

/** TensorFlow's DataType enum values for the dtypes tfjs has. */
export const DT = { float32: 1, int32: 3, string: 7, complex64: 8, bool: 10 } as const;

/** One attribute value: the shapes tfjs-node's binding takes (src/kernels/native_op.ts's OpAttr). */
export type AttrValue =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number | number[] }
  | { kind: 'float'; value: number | number[] }
  | { kind: 'bool'; value: boolean | boolean[] }
  | { kind: 'type'; value: number | number[] }
  | { kind: 'shape'; value: number[] }
  | { kind: 'tensor'; value: ConstTensor };

/** A constant's value: raw little-endian element bytes, as TensorProto's tensor_content holds them. */
export interface ConstTensor {
  dtype: number;
  shape: number[];
  bytes: Uint8Array;
}

export interface NodeDef {
  name: string;
  op: string;
  /** "node", "node:index" or "^node" (a control input). */
  inputs: string[];
  attrs: Record<string, AttrValue>;
}

/**
 * Protobuf wire-format writer. Bytes are kept as parts, not one array of numbers: a traced function's constants can
 * hold a model's weights (hundreds of MB), which a per-byte JS array cannot hold, and nested messages are appended
 * without copying until `finish`.
 */
class Writer {
  private readonly parts: Uint8Array[] = [];
  /** Small writes (tags, varints) since the last part. */
  private pending: number[] = [];
  length = 0;

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }

  private push(byte: number): void {
    this.pending.push(byte);
    this.length++;
  }

  private append(part: Uint8Array): void {
    this.flush();
    this.parts.push(part);
    this.length += part.length;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.push(Number(v));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.append(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (writer: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    inner.flush();
    this.tag(field, 2).varint(inner.length);
    for (const part of inner.parts) this.append(part);
    return this;
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setFloat32(0, value, true);
    this.append(buffer);
    return this;
  }

  /** A packed repeated field of varints. */
  packed(field: number, values: readonly number[]): this {
    return this.message(field, (inner) => values.forEach((value) => inner.varint(value)));
  }

  finish(): Uint8Array {
    this.flush();
    return Buffer.concat(this.parts, this.length);
  }
}

function shapeProto(writer: Writer, shape: readonly number[]): void {
  for (const size of shape) writer.message(2, (dim) => dim.int(1, size));
}

function tensorProto(writer: Writer, tensor: ConstTensor): void {
  writer.int(1, tensor.dtype);
  writer.message(2, (shape) => shapeProto(shape, tensor.shape));
  if (tensor.bytes.length > 0) writer.bytes(4, tensor.bytes);
}

function attrProto(writer: Writer, attr: AttrValue): void {
  const list = Array.isArray(attr.value) && attr.kind !== 'shape';
  if (!list) {
    switch (attr.kind) {
      case 'string':
        writer.string(2, attr.value);
        return;
      case 'int':
        writer.int(3, attr.value as number);
        return;
      case 'float':
        writer.float(4, attr.value as number);
        return;
      case 'bool':
        writer.int(5, attr.value ? 1 : 0);
        return;
      case 'type':
        writer.int(6, attr.value as number);
        return;
      case 'shape':
        writer.message(7, (shape) => shapeProto(shape, attr.value));
        return;
      case 'tensor':
        writer.message(8, (tensor) => tensorProto(tensor, attr.value));
        return;
    }
  }
  // ListValue: i = 3, f = 4 (packed fixed32), b = 5, type = 6.
  writer.message(1, (inner) => {
    const values = attr.value as (number | boolean)[];
    if (values.length === 0) return;
    if (attr.kind === 'float') {
      const bytes = new Uint8Array(4 * values.length);
      values.forEach((value, i) => new DataView(bytes.buffer).setFloat32(4 * i, value as number, true));
      inner.bytes(4, bytes);
    } else {
      const field = { int: 3, bool: 5, type: 6 }[attr.kind as 'int' | 'bool' | 'type'];
      inner.packed(
        field,
        values.map((value) => Number(value)),
      );
    }
  });
}

/**
 * The serialized GraphDef of `nodes`.
 *
 * @example
 * const bytes = encodeGraphDef([{ name: 'x', op: 'Placeholder', inputs: [], attrs: { dtype: { kind: 'type', value: DT.float32 } } }]);
 */
export function encodeGraphDef(nodes: readonly NodeDef[]): Uint8Array {
  const graph = new Writer();
  for (const node of nodes) {
    graph.message(1, (writer) => {
      writer.string(1, node.name).string(2, node.op);
      for (const input of node.inputs) writer.string(3, input);
      for (const [key, value] of Object.entries(node.attrs)) {
        writer.message(5, (entry) => {
          entry.string(1, key);
          entry.message(2, (attr) => attrProto(attr, value));
        });
      }
    });
  }
  return graph.finish();
}
