import * as tf from '@tensorflow/tfjs';

/**
 * Adam whose update is three GPU dispatches per variable on the WebGPU backend, instead of the
 * fourteen element-wise ops tfjs's own Adam issues (about 110 of a dense AE step's 190 kernels).
 * On WebGPU a step is bound by dispatching kernels from the host, not by the GPU, so the dispatch
 * count is the cost. The arithmetic, the moment variables, the iteration counter and the weights a
 * checkpoint holds are tfjs's, so a checkpoint moves between backends unchanged; on any other
 * backend the update is tfjs's own.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999);
  }

  override applyGradients(gradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const backend = tf.backend() as Partial<WebGpuProgramRunner>;
    if (tf.getBackend() !== 'webgpu' || typeof backend.runWebGPUProgram !== 'function') {
      super.applyGradients(gradients);
      return;
    }
    const runner = backend as WebGpuProgramRunner;
    const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
    // tfjs keeps beta^t in device scalars; the host knows t, so the corrections become uniforms.
    const t = this.iterations + 1;
    const firstCorrection = 1 / (1 - this.beta1 ** t);
    const secondCorrection = 1 / (1 - this.beta2 ** t);
    const moments = this as unknown as AdamSlots;
    tf.tidy(() => {
      names.forEach((name, i) => {
        const gradient = Array.isArray(gradients) ? gradients[i]?.tensor : gradients[name];
        if (gradient == null) return;
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        moments.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        moments.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const m = moments.accumulatedFirstMoment[i].variable;
        const v = moments.accumulatedSecondMoment[i].variable;
        const size = value.size;
        const newM = run(runner, MOMENT, [m, gradient], [this.beta1, 1 - this.beta1], size);
        const newV = run(runner, SECOND_MOMENT, [v, gradient], [this.beta2, 1 - this.beta2], size);
        const newValue = run(
          runner,
          UPDATE,
          [value, newM, newV],
          [this.learningRate, firstCorrection, secondCorrection, this.epsilon],
          size,
        );
        m.assign(newM.reshape(m.shape));
        v.assign(newV.reshape(v.shape));
        value.assign(newValue.reshape(value.shape));
      });
      // Kept in step so tfjs's own update (and its getWeights/setWeights) stay consistent with ours.
      moments.accBeta1.assign(tf.scalar(this.beta1 ** (t + 1)));
      moments.accBeta2.assign(tf.scalar(this.beta2 ** (t + 1)));
    });
    this.incrementIterations();
  }
}

interface AdamSlots {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable }>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable }>;
}

interface WebGpuProgramRunner {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: Array<{ type: 'float32'; data: number[] }>,
  ): tf.TensorInfo;
}

interface ElementwiseKernel {
  readonly key: string;
  readonly inputs: readonly string[];
  readonly uniforms: readonly string[];
  /** WGSL that sets `r` from `A[index]`, `B[index]`, ... and the uniforms. */
  readonly body: string;
}

const MOMENT: ElementwiseKernel = {
  key: 'aimass_adam_m',
  inputs: ['A', 'B'],
  uniforms: ['beta', 'oneMinusBeta'],
  body: 'let r = uniforms.beta * A[index] + uniforms.oneMinusBeta * B[index];',
};
const SECOND_MOMENT: ElementwiseKernel = {
  key: 'aimass_adam_v',
  inputs: ['A', 'B'],
  uniforms: ['beta', 'oneMinusBeta'],
  body: 'let g = B[index]; let r = uniforms.beta * A[index] + uniforms.oneMinusBeta * (g * g);',
};
// w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps): tfjs's Adam, term for term.
const UPDATE: ElementwiseKernel = {
  key: 'aimass_adam_w',
  inputs: ['A', 'B', 'C'],
  uniforms: ['lr', 'firstCorrection', 'secondCorrection', 'epsilon'],
  body: 'let r = A[index] - uniforms.lr * ((B[index] * uniforms.firstCorrection) / (sqrt(C[index] * uniforms.secondCorrection) + uniforms.epsilon));',
};

const WORKGROUP = 256;

/** One flat element-wise program over `size` float32 elements, in tfjs-webgpu's program shape. */
function run(
  runner: WebGpuProgramRunner,
  kernel: ElementwiseKernel,
  inputs: tf.Tensor[],
  uniforms: number[],
  size: number,
): tf.Tensor {
  const program = {
    variableNames: [...kernel.inputs],
    outputShape: [size],
    shaderKey: kernel.key,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: kernel.uniforms.map((u) => `${u} : f32,`).join(' '),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${kernel.body}
          setOutputAtIndex(index, r);
        }
      }`,
  };
  const flat = inputs.map((t) => (t.rank === 1 ? t : t.reshape([size])));
  const info = runner.runWebGPUProgram(
    program,
    flat,
    'float32',
    uniforms.map((u) => ({ type: 'float32', data: [u] })),
  );
  return tf.engine().makeTensorFromTensorInfo(info);
}
