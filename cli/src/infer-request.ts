import fs from 'node:fs';
import { z } from 'zod';
import type { oip } from '@aimass/contracts';
import { InputFileError, unreadable } from './errors.js';
import {
  TensorJsonError,
  decodeContents,
  decodeTensor,
  encodeTensor,
  type JsonTensor,
} from './tensor-codec.js';

/** The `predict --input` file; element rules per datatype are in tensor-codec.ts. */
export const InferInputFileSchema = z.strictObject({
  inputs: z
    .array(
      z.strictObject({
        name: z.string().min(1, 'input name is empty'),
        datatype: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        data: z.array(z.unknown()),
      }),
    )
    .min(1, 'at least one input is needed'),
  outputs: z.array(z.string().min(1)).optional(),
});
export type InferInputFile = z.infer<typeof InferInputFileSchema>;

export const INPUT_FILE_HELP = `
Input file (--input FILE.json):
  {
    "inputs": [
      {"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [0.1, 0.2, 0.3, 0.4]}
    ],
    "outputs": ["output"]
  }
  datatype  an OIP v2 datatype: BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64,
            FP16, FP32, FP64, BYTES
  data      flat in row-major order, or nested exactly as the shape ([[0.1, 0.2, 0.3, 0.4]])
            BOOL: true/false; INT64/UINT64: numbers or decimal strings (for values beyond 2^53);
            FP16: raw half-float bit patterns (0..65535); BYTES: strings (UTF-8)
  outputs   optional; the output names to return (default: all)

Output (--output json): {"model_name", "model_version", "outputs": [{"name", "datatype", "shape", "data"}]}
  with data flat in row-major order, in the same element forms as above.
`;

/** Reads and validates the input file; every problem names the file and where in it. */
export function readInferInputFile(file: string): InferInputFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = InferInputFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`,
    );
    throw new InputFileError(
      `${file} is not a predict input file: ${problems.join('; ')} (see aimass predict --help)`,
    );
  }
  return parsed.data;
}

/** An OIP v2 ModelInferRequest carrying every input as raw contents (OIP: all raw or none). */
export function buildInferRequest(
  model: string,
  version: string,
  input: InferInputFile,
): oip.ModelInferRequest {
  const encoded = input.inputs.map((tensor) => encodeTensor(tensor));
  return {
    model_name: model,
    model_version: version,
    inputs: encoded.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
    outputs: (input.outputs ?? []).map((name) => ({ name })),
    raw_input_contents: encoded.map((t) => t.raw),
  };
}

export interface InferResult {
  readonly model_name: string;
  readonly model_version: string;
  readonly outputs: readonly JsonTensor[];
}

/** Decodes each output from raw_output_contents when present, else from its typed contents. */
export function decodeInferResponse(response: oip.ModelInferResponse__Output): InferResult {
  const raw = response.raw_output_contents;
  if (raw.length > 0 && raw.length !== response.outputs.length) {
    throw new TensorJsonError(
      `the server sent ${raw.length} raw output contents for ${response.outputs.length} outputs`,
    );
  }
  const outputs = response.outputs.map((out, i) => {
    const bytes = raw[i];
    if (bytes) return decodeTensor(out, bytes);
    return decodeContents(out, out.contents ?? emptyContents());
  });
  return { model_name: response.model_name, model_version: response.model_version, outputs };
}

function emptyContents(): oip.InferTensorContents__Output {
  return {
    bool_contents: [],
    int_contents: [],
    int64_contents: [],
    uint_contents: [],
    uint64_contents: [],
    fp32_contents: [],
    fp64_contents: [],
    bytes_contents: [],
  };
}
