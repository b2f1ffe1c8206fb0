import { describe, expect, it } from 'vitest';
import { DenseForwardError, denseForward } from './dense-forward.js';
import type { DenseActivation, DenseNetworkSpec } from './dense-spec.js';

// One 2 -> 2 layer, worked by hand: for input [1, 2] the pre-activations are
// [1*1 + 2*3 + 0.5, 1*(-2) + 2*(-4) + 0] = [7.5, -10].
function oneLayer(activation: DenseActivation, alpha?: number): DenseNetworkSpec {
  return {
    inputName: 'x',
    outputName: 'y',
    inputDim: 2,
    batch: 'dynamic',
    layers: [{ weights: Float32Array.of(1, -2, 3, -4), bias: Float32Array.of(0.5, 0), activation, alpha }],
  };
}

describe('denseForward', () => {
  it.each<[DenseActivation, number | undefined, number[]]>([
    ['linear', undefined, [7.5, -10]],
    ['relu', undefined, [7.5, 0]],
    ['leaky_relu', undefined, [7.5, Math.fround(0.01) * -10]],
    ['leaky_relu', 0.25, [7.5, -2.5]],
    ['sigmoid', undefined, [1 / (1 + Math.exp(-7.5)), 1 / (1 + Math.exp(10))]],
    ['tanh', undefined, [Math.tanh(7.5), Math.tanh(-10)]],
    ['softmax', undefined, [1 / (1 + Math.exp(-17.5)), Math.exp(-17.5) / (1 + Math.exp(-17.5))]],
  ])('%s (alpha %s) gives the hand-computed row', (activation, alpha, expected) => {
    const out = denseForward(oneLayer(activation, alpha), Float32Array.of(1, 2), 1);
    expect(Array.from(out)).toEqual(expected.map(Math.fround));
  });

  it('processes every row of a batch independently and chains layers', () => {
    const spec: DenseNetworkSpec = {
      ...oneLayer('relu'),
      layers: [
        ...oneLayer('relu').layers,
        { weights: Float32Array.of(2, 1), bias: Float32Array.of(-1), activation: 'linear' },
      ],
    };
    // Row 1: relu([7.5, -10]) = [7.5, 0] -> 15 - 1 = 14. Row 2 (input [-1, 0]): [-0.5, 2] -> [0, 2] -> 1.
    expect(Array.from(denseForward(spec, Float32Array.of(1, 2, -1, 0), 2))).toEqual([14, 1]);
  });

  it('rejects input whose length does not match batch x inputDim', () => {
    expect(() => denseForward(oneLayer('relu'), new Float32Array(3), 2)).toThrow(DenseForwardError);
    expect(() => denseForward(oneLayer('relu'), new Float32Array(3), 2)).toThrow(
      /input has 3 values but batch 2 x inputDim 2 needs 4/,
    );
  });

  it('rejects a bad spec with the same wording as the exporter', () => {
    const bad = { ...oneLayer('relu'), inputDim: 3 };
    expect(() => denseForward(bad, new Float32Array(3), 1)).toThrow(
      /invalid dense network: layer 0: weights has 4 values but 3 inputs/,
    );
  });
});
