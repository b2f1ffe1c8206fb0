import { describe, expect, it } from 'vitest';
import { pickTfjsBackend, type TfjsBackendCandidate, type TfjsEngine } from './backend-picker.js';

/** An engine that starts the backends named in `starts` and records what was asked of it. */
function engine(starts: string[]): TfjsEngine & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    setBackend: async (name) => {
      calls.push(`set ${name}`);
      return starts.includes(name);
    },
    ready: async () => {
      calls.push('ready');
    },
  };
}

const ok = (name: string): TfjsBackendCandidate<string> => ({
  name,
  tfjsName: name,
  prepare: async () => `${name} facts`,
});
const broken = (name: string, why: string): TfjsBackendCandidate<string> => ({
  name,
  tfjsName: name,
  prepare: async () => {
    throw new Error(`${why}\nstack detail`);
  },
});

describe('pickTfjsBackend', () => {
  it('keeps the first candidate that prepares and starts, and says why it passed over the others', async () => {
    const tf = engine(['wasm', 'cpu']);
    const unavailable: string[] = [];
    const choice = await pickTfjsBackend(
      tf,
      [broken('webgpu', 'no adapter'), ok('gpu'), ok('wasm'), ok('cpu')],
      {
        onUnavailable: (name, reason) => unavailable.push(`${name}=${reason}`),
      },
    );
    expect(choice.picked).toEqual({ name: 'wasm', facts: 'wasm facts' });
    expect(choice.passedOver).toEqual(['webgpu: no adapter', 'gpu: tfjs could not start its gpu backend']);
    expect(unavailable).toEqual(['webgpu=no adapter', 'gpu=tfjs could not start its gpu backend']);
    expect(tf.calls).toEqual(['set gpu', 'set wasm', 'ready']);
  });

  it('lets the caller refuse a started backend by throwing from accept', async () => {
    const refusal = new Error('cpu is not a GPU');
    await expect(
      pickTfjsBackend(engine(['cpu']), [ok('cpu')], {
        accept: () => {
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
  });

  it('picks nothing when no candidate starts', async () => {
    const choice = await pickTfjsBackend(engine([]), [broken('wasm', 'no wasm'), ok('cpu')]);
    expect(choice).toEqual({
      picked: undefined,
      passedOver: ['wasm: no wasm', 'cpu: tfjs could not start its cpu backend'],
    });
  });
});
