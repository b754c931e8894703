/**
 * NumPy `.npy` files, per the format spec (numpy/lib/format.py, "NPY format"): versions 1.0, 2.0 and 3.0,
 * little and big endian, bool/int/uint/float dtypes and unicode strings (AffectNet's own annotation files hold
 * numbers as `<U` strings, e.g. `array('1', dtype='<U1')`). Object arrays and structured dtypes are refused.
 */
import { readFile } from 'node:fs/promises';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** A malformed or unsupported `.npy` file; the message is the reason a reader reports. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export interface NpyArray {
  /** The header's `descr`, e.g. `<f8`, `>i4`, `<U8`. */
  dtype: string;
  shape: number[];
  /** Elements in C order (strings for `U` dtypes; 64-bit integers beyond 2^53 lose precision). */
  values: number[] | string[];
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string): Header {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(
      `npy header is not a dict with descr, fortran_order and shape (structured dtypes are unsupported): ${text.trim()}`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => Number(part.replace(/L$/, '')));
  if (shape.some((dim) => !Number.isInteger(dim) || dim < 0))
    throw new NpyError(`npy shape (${shapeText}) is not a tuple of sizes`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

function readElements(body: Buffer, descr: string, count: number): number[] | string[] {
  const match = /^([<>|=])([biufU])(\d+)$/.exec(descr);
  if (match === null) throw new NpyError(`npy dtype '${descr}' is unsupported (numbers or unicode strings expected)`);
  const [, order, kind, sizeText] = match as unknown as [string, string, string, string];
  const size = Number(sizeText);
  const little = order !== '>';
  const itemBytes = kind === 'U' ? size * 4 : size;
  if (body.length < count * itemBytes)
    throw new NpyError(`npy data is truncated: ${body.length} bytes for ${count} × ${descr}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: (number | string)[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * itemBytes;
    out.push(readElement(view, at, kind, size, little));
  }
  return out as number[] | string[];
}

function readElement(view: DataView, at: number, kind: string, size: number, little: boolean): number | string {
  switch (`${kind}${size}`) {
    case 'b1':
      return view.getUint8(at) === 0 ? 0 : 1;
    case 'u1':
      return view.getUint8(at);
    case 'i1':
      return view.getInt8(at);
    case 'u2':
      return view.getUint16(at, little);
    case 'i2':
      return view.getInt16(at, little);
    case 'u4':
      return view.getUint32(at, little);
    case 'i4':
      return view.getInt32(at, little);
    case 'u8':
      return Number(view.getBigUint64(at, little));
    case 'i8':
      return Number(view.getBigInt64(at, little));
    case 'f2':
      return float16(view.getUint16(at, little));
    case 'f4':
      return view.getFloat32(at, little);
    case 'f8':
      return view.getFloat64(at, little);
  }
  if (kind === 'U') {
    let text = '';
    for (let c = 0; c < size; c++) {
      const code = view.getUint32(at + c * 4, little);
      if (code === 0) break;
      text += String.fromCodePoint(code);
    }
    return text;
  }
  throw new NpyError(`npy dtype ${kind}${size} is unsupported`);
}

/** IEEE 754 half precision to a number. */
function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Parses the bytes of a `.npy` file; throws `NpyError` with the reason when it is not one.
 *
 * @example
 * parseNpy(readFileSync('annotations/0_exp.npy')); // { dtype: '<i8', shape: [], values: [1] }
 */
export function parseNpy(bytes: Buffer): NpyArray {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC))
    throw new NpyError(bytes.length === 0 ? 'empty file' : 'not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new NpyError(`npy version ${major}.${bytes[7]} is unsupported (1.0 to 3.0)`);
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart + headerLength) throw new NpyError('npy header is truncated');
  const header = parseHeader(bytes.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLength));
  const count = header.shape.reduce((product, dim) => product * dim, 1);
  const values = readElements(bytes.subarray(headerStart + headerLength), header.descr, count);
  if (header.fortranOrder && header.shape.length > 1)
    throw new NpyError('npy fortran_order arrays of rank > 1 are unsupported');
  return { dtype: header.descr, shape: header.shape, values };
}

/**
 * The one number a scalar or 1-element `.npy` file holds (numeric strings, as AffectNet writes them, are parsed).
 * Throws `NpyError` for anything else: several elements, non-numeric text, NaN.
 *
 * @example
 * await readNpyNumber('annotations/0_val.npy'); // 0.785714
 */
export async function readNpyNumber(file: string): Promise<number> {
  const array = parseNpy(await readFile(file));
  if (array.values.length !== 1) throw new NpyError(`expected one value, found shape (${array.shape.join(', ')})`);
  const raw = array.values[0]!;
  const value = typeof raw === 'string' ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
  if (Number.isNaN(value)) throw new NpyError(typeof raw === 'string' ? `'${raw}' is not a number` : 'value is NaN');
  return value;
}

/** dtypes `encodeNpy` writes. */
export type NpyWriteDtype = '<i8' | '<i4' | '<f8' | '<f4' | '|u1';

/**
 * A version 1.0 `.npy` file holding `values` with `shape` (`[]` for a scalar), as `numpy.save` writes it.
 *
 * @example
 * writeFileSync('0_exp.npy', encodeNpy([1], '<i8', []));
 */
export function encodeNpy(values: ArrayLike<number>, dtype: NpyWriteDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The spec pads the header with spaces and a newline so the data starts on a 64-byte boundary.
  const total = MAGIC.length + 4 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const size = Number(dtype.slice(2));
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (dtype === '<i8') body.writeBigInt64LE(BigInt(Math.round(value)), i * 8);
    else if (dtype === '<i4') body.writeInt32LE(Math.round(value), i * 4);
    else if (dtype === '<f8') body.writeDoubleLE(value, i * 8);
    else if (dtype === '<f4') body.writeFloatLE(value, i * 4);
    else body.writeUInt8(value, i);
  }
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}
