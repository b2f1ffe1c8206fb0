import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from '@aimass/tensors';
import { describe, expect, it } from 'vitest';
import { exportDenseNetwork } from './dense/dense-network.js';
import { OnnxSignatureError } from './onnx-errors.js';
import { readOnnxSignature, type OnnxSignature } from './onnx-signature.js';
import { MAX_SIGNATURE_BYTES, OnnxSignatureScanner } from './onnx-signature-scanner.js';
import { SeededRandom } from '@aimass/random';
import { randomDenseNetwork } from './dense/random-dense-network.js';

const E = onnx.TensorProto.DataType;
const TESTDATA = '/usr/share/libonnx-testdata/data';

type Outcome = { signature: OnnxSignature } | { error: string };

function whole(bytes: Uint8Array): Outcome {
  try {
    return { signature: readOnnxSignature(bytes) };
  } catch (err) {
    if (err instanceof OnnxSignatureError) return { error: err.message };
    throw err;
  }
}

/** What the scanner holds for the signature so far: the memory bound these tests check. */
const retainedBytes = (scanner: OnnxSignatureScanner): number => scanner['retained'];

/** Feeds `bytes` in pieces whose sizes come from `sizes` (cycled). */
function scanned(
  bytes: Uint8Array,
  sizes: readonly number[] = [bytes.length || 1],
): Outcome & { retained: number } {
  const scanner = new OnnxSignatureScanner();
  try {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      scanner.push(bytes.subarray(at, at + n));
      at += n;
    }
    return { signature: scanner.finish(), retained: retainedBytes(scanner) };
  } catch (err) {
    if (err instanceof OnnxSignatureError) return { error: err.message, retained: retainedBytes(scanner) };
    throw err;
  }
}

function expectSameAsWhole(bytes: Uint8Array, sizes?: readonly number[], label = ''): void {
  const expected = whole(bytes);
  const { retained: _retained, ...actual } = scanned(bytes, sizes);
  if ('signature' in expected) expect(actual, label).toEqual(expected);
  else
    expect(actual, `${label}: refused whole (${expected.error}) but the scanner accepted it`).toHaveProperty(
      'error',
    );
}

function valueInfo(
  name: string,
  elemType: number,
  dims: onnx.TensorShapeProto.IDimension[],
): onnx.IValueInfoProto {
  return {
    name,
    docString: 'described at length '.repeat(20),
    type: { tensorType: { elemType, shape: { dim: dims } } },
  };
}

describe('OnnxSignatureScanner agrees with readOnnxSignature', () => {
  it('on the ONNX project test models (libonnx-testdata), fed whole, byte by byte and in uneven pieces', () => {
    if (!existsSync(TESTDATA))
      throw new Error(
        `${TESTDATA} is missing: run scripts/bootstrap (it installs the Debian package libonnx-testdata)`,
      );
    const files = readdirSync(TESTDATA, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.onnx'),
    );
    expect(files.length).toBeGreaterThan(500);
    let accepted = 0;
    for (const [i, file] of files.entries()) {
      const bytes = readFileSync(path.join(TESTDATA, file));
      expectSameAsWhole(bytes, undefined, file);
      expectSameAsWhole(bytes, i % 10 === 0 ? [1] : [3, 17, 64], file);
      if ('signature' in whole(bytes)) accepted++;
    }
    expect(accepted).toBeGreaterThan(files.length / 2);
  });

  it('on exported dense networks of many shapes, holding only a small part of a large model', () => {
    const rng = new SeededRandom(7);
    const next = (): number => rng.next();
    for (let i = 0; i < 40; i++) {
      const spec = randomDenseNetwork({
        inputDim: 1 + Math.floor(next() * 60),
        hidden: Array.from({ length: Math.floor(next() * 3) }, () => 1 + Math.floor(next() * 40)),
        outputDim: 1 + Math.floor(next() * 30),
        seed: i,
        activation: i % 2 ? 'relu' : 'tanh',
      });
      const bytes = exportDenseNetwork(spec);
      expectSameAsWhole(bytes, [1 + Math.floor(next() * 100), 1 + Math.floor(next() * 5000)], `network ${i}`);
    }
    const large = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 1024, hidden: [1024], outputDim: 512, seed: 9, activation: 'relu' }),
    );
    const result = scanned(large, [65_536]);
    expect(result).toMatchObject({ signature: readOnnxSignature(large) });
    expect(large.length).toBeGreaterThan(6_000_000);
    expect(result.retained).toBeLessThan(4096);
  });

  it('on hand-written models with sparse initializers, tensor attributes, metadata and a replaced graph', () => {
    const y = valueInfo('y', E.FLOAT, [{ dimValue: 2 }]);
    const graph: onnx.IGraphProto = {
      name: 'g',
      docString: 'x'.repeat(5000),
      node: [
        {
          opType: 'Constant',
          output: ['c'],
          attribute: [
            { name: 'value', t: { dims: [1000], dataType: E.FLOAT, floatData: new Array(1000).fill(1.5) } },
          ],
        },
        { opType: 'Add', input: ['a', 'w'], output: ['y'] },
      ],
      input: [
        valueInfo('a', E.FLOAT, [{ dimParam: 'batch' }, { dimValue: 2 }]),
        valueInfo('w', E.FLOAT, [{ dimValue: 2 }]),
        valueInfo('s', E.FLOAT, [{ dimValue: 4 }]),
      ],
      output: [y],
      valueInfo: [valueInfo('c', E.FLOAT, [{ dimValue: 1000 }])],
      initializer: [
        { name: 'w', dims: [2], dataType: E.FLOAT, rawData: new Uint8Array(8).fill(3), docString: 'weights' },
      ],
      sparseInitializer: [
        {
          dims: [4],
          values: { name: 's', dims: [1], dataType: E.FLOAT, floatData: [2] },
          indices: { dims: [1], dataType: E.INT64, int64Data: [1] },
        },
      ],
    };
    const base: onnx.IModelProto = {
      irVersion: 9,
      producerName: 'hand',
      producerVersion: '1.0',
      domain: 'org.example',
      docString: 'a model card\n'.repeat(100),
      opsetImport: [
        { domain: 'ai.onnx.ml', version: 3 },
        { domain: '', version: 19 },
      ],
      metadataProps: [{ key: 'k', value: 'v' }],
      graph,
    };
    const bytes = onnx.ModelProto.encode(base).finish();
    const signature = readOnnxSignature(bytes);
    expect(signature.inputs.map((i) => i.name)).toEqual(['a']);
    expect(signature.opset).toBe(19);
    for (const sizes of [[1], [2, 3], [100], [bytes.length]]) expectSameAsWhole(bytes, sizes);

    // A second graph field replaces the first when decoding; the scanner keeps that order.
    const other = onnx.ModelProto.encode({
      graph: { ...graph, output: [valueInfo('z', E.INT32, [])] },
    }).finish();
    const twice = Buffer.concat([bytes, other]);
    expect(readOnnxSignature(twice).outputs[0]?.name).toBe('z');
    expectSameAsWhole(twice, [5]);
  });
});

describe('OnnxSignatureScanner refuses what readOnnxSignature refuses', () => {
  const model = exportDenseNetwork(
    randomDenseNetwork({ inputDim: 8, hidden: [6], outputDim: 4, seed: 4, activation: 'sigmoid' }),
  );

  it.each<[string, Uint8Array, RegExp]>([
    ['empty', new Uint8Array(), /^not an ONNX model: the file is empty$/],
    [
      'JSON text',
      new TextEncoder().encode('{"inputs":[{"name":"x","shape":[1,3]}]}'),
      /^not an ONNX model: /,
    ],
    [
      'plain text',
      new TextEncoder().encode('hello, this is a README, not a model\n'),
      /^not an ONNX model: /,
    ],
    ['a zip header', Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00), /^not an ONNX model: /],
    ['a single zero byte', Uint8Array.of(0), /^not an ONNX model: .*the file ends inside a field at byte 1/],
    ['an end-group tag', Uint8Array.of(0x1c), /^not an ONNX model: .*wire type 4 at byte 1/],
    ['deeply nested protobuf groups', new Uint8Array(200_000).fill(0x7b), /^not an ONNX model: /],
    [
      'a varint of eleven bytes',
      Uint8Array.of(0x08, ...new Array(11).fill(0xff)),
      /^not an ONNX model: .*varint runs over 10 bytes/,
    ],
    [
      'unknown fields only',
      Uint8Array.of(0x18 + 0, 0x05),
      /^not an ONNX model: ir_version is 0, expected 3 or later$/,
    ],
  ])('%s', (_label, bytes, message) => {
    expect(whole(bytes)).toHaveProperty('error');
    for (const sizes of [[bytes.length || 1], [1]]) {
      const result = scanned(bytes, sizes);
      expect(result).toHaveProperty('error');
      expect((result as { error: string }).error).toMatch(message);
    }
  });

  it('a model cut short at any of many points', () => {
    for (let cut = 1; cut < model.length; cut += 3) {
      const bytes = model.subarray(0, cut);
      const expected = whole(bytes);
      const actual = scanned(bytes, [5]);
      expect(actual, `cut at ${cut}`).toHaveProperty('error');
      expect((actual as { error: string }).error, `cut at ${cut}`).toMatch(/^not an ONNX model: /);
      expect(expected, `cut at ${cut}`).toHaveProperty('error');
    }
  });

  it('a thousand buffers of seeded random bytes, and models with random bytes flipped', () => {
    const rng = new SeededRandom(2024);
    const next = (): number => rng.next();
    for (let i = 0; i < 1000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 600) }, () => Math.floor(next() * 256));
      expectSameAsWhole(bytes, [1 + Math.floor(next() * 50)], `buffer ${i}`);
      expect(scanned(bytes), `buffer ${i}`).toHaveProperty('error');
    }
  });

  it('a damaged model: never a signature other than the whole decode gives', () => {
    // The scanner checks the framing of every field but not the inside of nodes and tensors it
    // skips, and the whole decoder tolerates some damage there that the scanner's framing check
    // does not (and the reverse). Either may refuse where the other accepts; what must never happen
    // is two different signatures.
    const rng = new SeededRandom(99);
    const next = (): number => rng.next();
    let refusedByBoth = 0;
    let acceptedByBoth = 0;
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from(model);
      for (let k = 0; k < 3; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      const expected = whole(bytes);
      const { retained: _retained, ...actual } = scanned(bytes, [1 + Math.floor(next() * 300)]);
      if ('signature' in expected && 'signature' in actual) {
        expect(actual, `damaged ${i}`).toEqual(expected);
        acceptedByBoth++;
      } else if ('error' in actual) {
        expect(actual.error, `damaged ${i}`).toMatch(
          /^not an ONNX model: |has element type|is untyped|no shape|dimension|without a name/,
        );
        if ('error' in expected) refusedByBoth++;
      }
    }
    expect(refusedByBoth).toBeGreaterThan(50);
    expect(acceptedByBoth).toBeGreaterThan(50);
  });

  it('signature fields larger than the bound, without holding more than the bound', () => {
    const huge = valueInfo('a', E.FLOAT, [{ dimValue: 1 }]);
    huge.docString = 'd'.repeat(MAX_SIGNATURE_BYTES + 10);
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 17 }],
      graph: { input: [huge], output: [valueInfo('y', E.FLOAT, [])] },
    }).finish();
    const scanner = new OnnxSignatureScanner();
    let failure: unknown;
    try {
      for (let at = 0; at < bytes.length; at += 1 << 20) scanner.push(bytes.subarray(at, at + (1 << 20)));
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(OnnxSignatureError);
    expect((failure as Error).message).toMatch(/take more than 16777216 bytes/);
    expect(retainedBytes(scanner)).toBeLessThan(MAX_SIGNATURE_BYTES + 2 * (1 << 20));
  });
});
