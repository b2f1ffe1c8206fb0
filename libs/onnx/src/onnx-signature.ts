import { type Datatype, onnx, onnxElemTypeToDatatype } from '@aimass/tensors';
import { OnnxSignatureError } from './onnx-errors.js';

// The registry reads a model's signature from the uploaded file itself, so these bytes come from
// outside: every path here must end in a signature or an OnnxSignatureError, never another throw.

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** One entry per dimension; -1 marks a dynamic (symbolic or unknown) dimension. */
  shape: number[];
}

export interface OnnxSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Version of the default (ai.onnx) operator set; 0 when the model imports only custom domains. */
  opset: number;
  producer: string;
}

/** The oldest IR version onnxruntime loads; anything lower is not a model we can serve. */
const MIN_IR_VERSION = 3;

type Int64 = number | { toNumber(): number } | null | undefined;

export function readOnnxSignature(bytes: Uint8Array): OnnxSignature {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (graph === null || graph === undefined) {
    throw notOnnx('the model has no graph');
  }
  const initializerNames = new Set<string>();
  for (const tensor of graph.initializer ?? []) if (tensor.name) initializerNames.add(tensor.name);
  for (const sparse of graph.sparseInitializer ?? [])
    if (sparse.values?.name) initializerNames.add(sparse.values.name);
  // Since IR 4 initializers may also be listed as graph inputs (as overridable defaults); a caller
  // never has to feed them, so they are not part of the signature.
  const inputs = (graph.input ?? [])
    .filter((v) => !initializerNames.has(v.name ?? ''))
    .map((v) => tensorSpec(v, 'input'));
  const outputs = (graph.output ?? []).map((v) => tensorSpec(v, 'output'));
  if (outputs.length === 0) throw notOnnx('the graph declares no outputs');

  const defaultDomain = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    inputs,
    outputs,
    opset: defaultDomain ? int64(defaultDomain.version, 'opset version') : 0,
    producer: model.producerName ?? '',
  };
}

function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  if (!(bytes instanceof Uint8Array)) throw notOnnx('expected the model file as bytes');
  if (bytes.length === 0) throw notOnnx('the file is empty');
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw notOnnx(
      `the bytes do not parse as an ONNX ModelProto (${describe(err)}); the file may be truncated`,
      err,
    );
  }
  // Protobuf decoding is lenient: arbitrary bytes often parse as a message of unknown fields. The
  // fields every ONNX writer sets tell a model from noise.
  const irVersion = int64(model.irVersion, 'ir_version');
  if (irVersion < MIN_IR_VERSION) {
    throw notOnnx(`ir_version is ${irVersion}, expected ${MIN_IR_VERSION} or later`);
  }
  if (model.opsetImport.length === 0) throw notOnnx('the model imports no operator set');
  return model;
}

function tensorSpec(info: onnx.IValueInfoProto, role: 'input' | 'output'): TensorSpec {
  const name = info.name ?? '';
  const label = `${role} '${name}'`;
  if (name.length === 0) throw new OnnxSignatureError(`the model has an ${role} without a name`);
  const type = info.type;
  const tensor = type?.tensorType;
  if (!tensor) {
    throw new OnnxSignatureError(
      `${label} is ${describeNonTensor(type)}; only dense tensor inputs and outputs can be served`,
    );
  }
  const elemType = tensor.elemType ?? 0;
  const datatype = onnxElemTypeToDatatype(elemType);
  if (datatype === undefined) {
    const known = onnx.TensorProto.DataType[elemType] as string | undefined;
    throw new OnnxSignatureError(
      `${label} has element type ${known ?? elemType}, which has no Open Inference Protocol datatype`,
    );
  }
  if (!tensor.shape) {
    throw new OnnxSignatureError(`${label} has no shape (unknown rank); the model must declare the rank`);
  }
  const shape = (tensor.shape.dim ?? []).map((dim, axis) => {
    // Decoded messages inherit a default of 0 for unset fields; only an own dim_value was written.
    if (!Object.hasOwn(dim, 'dimValue') || dim.dimValue === null || dim.dimValue === undefined) return -1;
    const size = int64(dim.dimValue, `${label} dimension ${axis}`);
    if (size < 0)
      throw new OnnxSignatureError(`${label} dimension ${axis} is ${size}; sizes cannot be negative`);
    return size;
  });
  return { name, datatype, shape };
}

function describeNonTensor(type: onnx.ITypeProto | null | undefined): string {
  if (type?.sequenceType) return 'a sequence';
  if (type?.mapType) return 'a map';
  if (type?.optionalType) return 'an optional';
  if (type?.sparseTensorType) return 'a sparse tensor';
  return 'untyped';
}

function int64(value: Int64, what: string): number {
  const n = value === null || value === undefined ? 0 : typeof value === 'number' ? value : value.toNumber();
  if (!Number.isSafeInteger(n))
    throw new OnnxSignatureError(`${what} is ${n}, outside the safe integer range`);
  return n;
}

function notOnnx(reason: string, cause?: unknown): OnnxSignatureError {
  return new OnnxSignatureError(`not an ONNX model: ${reason}`, { cause });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
