import { describe, expect, it } from 'vitest';
import { createPruner, createSampler, prunerSpecSchema, samplerSpecSchema } from './factories.js';

describe('sampler and pruner specs', () => {
  it.each([
    [{ type: 'random', seed: 1 }, 'random'],
    [{ type: 'grid' }, 'grid'],
    [{ type: 'tpe', seed: 3, constantLiar: true }, 'tpe'],
    [{ type: 'gp', seed: 3 }, 'gp'],
  ])('builds %j', (spec, name) => {
    expect(createSampler(samplerSpecSchema.parse(spec)).name).toBe(name);
  });

  it.each([
    [{ type: 'none' }, 'none'],
    [{ type: 'median', nWarmupSteps: 2 }, 'median'],
    [{ type: 'asha', minResource: 1, reductionFactor: 3 }, 'asha'],
    [{ type: 'hyperband', maxResource: 27 }, 'hyperband'],
  ])('builds %j', (spec, name) => {
    expect(createPruner(prunerSpecSchema.parse(spec)).name).toBe(name);
  });

  it('refuses an unknown sampler or pruner, naming the field', () => {
    const sampler = samplerSpecSchema.safeParse({ type: 'cmaes' });
    expect(sampler.success).toBe(false);
    expect(sampler.error!.issues[0]!.path).toEqual(['type']);
    const pruner = prunerSpecSchema.safeParse({ type: 'asha', reductionFactor: 1 });
    expect(pruner.error!.issues[0]!.path).toEqual(['reductionFactor']);
  });
});
