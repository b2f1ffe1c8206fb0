import {
  decodeRaw,
  decodeTensorProto,
  elementCount,
  encodeRaw,
  isDatatype,
  type Datatype,
  type DecodedTensor,
} from '@aimass/tensors';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary, type InferResponse, type OipClient } from './oip-client.js';
import { pushModel } from './registry-push.js';
import { startServing, type ServingMesh } from './serving-mesh.js';

// Models nobody here wrote: the ONNX project's own test models, shipped by Debian's
// libonnx-testdata (scripts/bootstrap installs it), each with inputs and expected outputs as
// TensorProto files. They go through the registry and the OIP v2 service like any model.

const DATA = '/usr/share/libonnx-testdata/data';
const CASES = [
  // A convolution exported from PyTorch.
  'pytorch-operator/test_operator_conv',
  // Layer normalization written out as a graph of 20-odd primitive nodes.
  'node/test_layer_normalization_default_axis_expanded',
  // Strings (BYTES) parsed into floats.
  'node/test_cast_STRING_to_FLOAT',
  // Float data gathered by INT64 indices.
  'node/test_gather_0',
];

/** ONNX's own backend tests compare with rtol 1e-3, atol 1e-7; integers and strings must be equal. */
function expectClose(served: DecodedTensor, expected: DecodedTensor): void {
  expect(served.datatype).toBe(expected.datatype);
  expect(served.shape).toEqual(expected.shape);
  if (!expected.datatype.startsWith('FP')) {
    expect(encodeRaw(served.data).equals(encodeRaw(expected.data))).toBe(true);
    return;
  }
  const a = served.data as Float32Array;
  const b = expected.data as Float32Array;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]!)) expect(a[i], `element ${i}`).toBeNaN();
    else if (!Number.isFinite(b[i]!)) expect(a[i], `element ${i}`).toBe(b[i]);
    else expect(Math.abs(a[i]! - b[i]!), `element ${i}`).toBeLessThanOrEqual(1e-7 + 1e-3 * Math.abs(b[i]!));
  }
}

describe("serving the ONNX project's test models (libonnx-testdata)", () => {
  let serving: ServingMesh;
  let oip: OipClient;

  beforeAll(async () => {
    if (!existsSync(DATA))
      throw new Error(
        `${DATA} is missing: run scripts/bootstrap (it installs the Debian package libonnx-testdata)`,
      );
    serving = await startServing();
    oip = serving.oip;
  });

  afterAll(async () => {
    await serving?.stop();
  });

  it.each(CASES)('%s gives its expected outputs', async (path) => {
    const dir = join(DATA, path);
    const name = path.split('/').pop()!.replace(/_/g, '-').slice(0, 60);
    await pushModel(serving.registry, name, readFileSync(join(dir, 'model.onnx')));
    const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_'));
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      const files = readdirSync(join(dir, set)).sort();
      const read = (prefix: string) =>
        files
          .filter((f) => f.startsWith(prefix))
          .map((f) => decodeTensorProto(readFileSync(join(dir, set, f))));
      const inputs = read('input_');
      const expected = read('output_');
      const meta = await unary<{ inputs: { name: string }[]; outputs: { name: string }[] }>(
        oip,
        'ModelMetadata',
        { name, version: '' },
      );
      // Test-data tensors are positional; their names may be empty.
      const res = await unary<InferResponse>(oip, 'ModelInfer', {
        modelName: name,
        inputs: inputs.map((t, i) => ({ name: meta.inputs[i]!.name, datatype: t.datatype, shape: t.shape })),
        rawInputContents: inputs.map((t) => encodeRaw(t.data)),
      });
      expect(res.outputs.map((o) => o.name)).toEqual(meta.outputs.map((o) => o.name));
      expected.forEach((want, i) => {
        const out = res.outputs[i]!;
        const raw = res.rawOutputContents[i]!;
        expect(isDatatype(out.datatype)).toBe(true);
        const shape = out.shape.map((d) => Number(d.toString()));
        const datatype = out.datatype as Datatype;
        expectClose(
          { name: out.name, datatype, shape, data: decodeRaw(datatype, raw, elementCount(shape)) },
          want,
        );
      });
    }
  });
});
