import type { oip, Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { describe, expect, it } from 'vitest';
import { decodeInferRequest } from './request-decoder.js';

const signature: Signature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2] },
    { name: 'ids', datatype: 'INT64', shape: [-1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
};

function request(overrides: Partial<oip.ModelInferRequest__Output>): oip.ModelInferRequest__Output {
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    outputs: [],
    raw_input_contents: [],
    inputs: [
      { name: 'x', datatype: 'FP32', shape: ['1', '2'], parameters: {}, contents: null },
      { name: 'ids', datatype: 'INT64', shape: ['1'], parameters: {}, contents: null },
    ],
    ...overrides,
  } as oip.ModelInferRequest__Output;
}

const raw = [Buffer.from(new Float32Array([1, 2]).buffer), Buffer.from(new BigInt64Array([7n]).buffer)];
const input = (i: number, o: object) => ({ ...request({}).inputs[i]!, ...o });

describe('decodeInferRequest', () => {
  it('decodes raw contents into typed tensors', () => {
    const req = decodeInferRequest(request({ raw_input_contents: raw }), signature, Infinity);
    expect(Array.from(req.inputs[0]!.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(req.inputs[1]!.data as BigInt64Array)).toEqual([7n]);
  });

  it('decodes typed contents, keeping int64 exact', () => {
    const req = decodeInferRequest(
      request({
        inputs: [
          input(0, { contents: { fp32_contents: [1, 2] } }),
          input(1, { contents: { int64_contents: ['9007199254740993'] } }),
        ] as never,
      }),
      signature,
      Infinity,
    );
    expect(Array.from(req.inputs[1]!.data as BigInt64Array)).toEqual([9007199254740993n]);
  });

  it.each([
    ['no inputs', { inputs: [] }, 'no inputs; the model expects x (FP32 [-1, 2]), ids (INT64 [-1])'],
    [
      'raw count mismatch',
      { raw_input_contents: [raw[0]!] },
      'raw_input_contents has 1 entries but there are 2 inputs',
    ],
    [
      'unknown input',
      { inputs: [input(0, { name: 'z' }), input(1, {})], raw_input_contents: raw },
      'unknown input "z"',
    ],
    [
      'duplicate input',
      { inputs: [input(0, {}), input(0, {})], raw_input_contents: [raw[0]!, raw[0]!] },
      'input "x" is given twice',
    ],
    ['missing input', { inputs: [input(0, {})], raw_input_contents: [raw[0]!] }, 'missing input "ids"'],
    [
      'wrong datatype',
      { inputs: [input(0, { datatype: 'FP16' }), input(1, {})], raw_input_contents: raw },
      "datatype FP16 does not match the model's FP32",
    ],
    [
      'not a datatype',
      { inputs: [input(0, { datatype: 'float' }), input(1, {})], raw_input_contents: raw },
      '"float" is not an OIP v2 datatype',
    ],
    [
      'wrong rank',
      { inputs: [input(0, { shape: ['2'] }), input(1, {})], raw_input_contents: raw },
      'shape [2] does not match',
    ],
    [
      'wrong fixed dim',
      { inputs: [input(0, { shape: ['1', '3'] }), input(1, {})], raw_input_contents: raw },
      'shape [1, 3] does not match',
    ],
    [
      'negative dim',
      { inputs: [input(0, { shape: ['-1', '2'] }), input(1, {})], raw_input_contents: raw },
      'dimension -1',
    ],
    [
      'huge dims',
      { inputs: [input(0, { shape: ['9007199254740993', '2'] }), input(1, {})], raw_input_contents: raw },
      'input "x"',
    ],
    [
      'batch size 0',
      { inputs: [input(0, { shape: ['0', '2'] }), input(1, {})], raw_input_contents: raw },
      'has no elements',
    ],
    ['raw byte length', { raw_input_contents: [Buffer.alloc(7), raw[1]!] }, 'raw content has 7 bytes'],
    [
      'raw and typed both',
      { inputs: [input(0, { contents: { fp32_contents: [1, 2] } }), input(1, {})], raw_input_contents: raw },
      'both raw_input_contents and typed contents',
    ],
    [
      'typed count',
      {
        inputs: [
          input(0, { contents: { fp32_contents: [1] } }),
          input(1, { contents: { int64_contents: ['1'] } }),
        ],
      },
      'fp32_contents has 1 values but the shape needs 2',
    ],
    [
      'typed wrong field',
      {
        inputs: [
          input(0, { contents: { int_contents: [1, 2] } }),
          input(1, { contents: { int64_contents: ['1'] } }),
        ],
      },
      'carried in fp32_contents, but int_contents was set',
    ],
    ['no data at all', { inputs: [input(0, {}), input(1, {})] }, 'carries no data'],
    [
      'unknown output',
      { raw_input_contents: raw, outputs: [{ name: 'q', parameters: {} }] },
      'unknown requested output "q"',
    ],
    [
      'output twice',
      {
        raw_input_contents: raw,
        outputs: [
          { name: 'y', parameters: {} },
          { name: 'y', parameters: {} },
        ],
      },
      'requested twice',
    ],
  ])('refuses %s', (_what, overrides, message) => {
    const run = () =>
      decodeInferRequest(request(overrides as Partial<oip.ModelInferRequest__Output>), signature, Infinity);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(message);
  });
});
