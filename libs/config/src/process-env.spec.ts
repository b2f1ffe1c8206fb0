import { describe, expect, it } from 'vitest';
import { SERVICE_PROCESS_ENV, withServiceProcessEnv } from './process-env.js';

describe('withServiceProcessEnv', () => {
  it('adds the malloc arena limit and the young-generation size', () => {
    expect(withServiceProcessEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', ...SERVICE_PROCESS_ENV });
  });

  it("extends an operator's NODE_OPTIONS and keeps their own settings", () => {
    expect(withServiceProcessEnv({ NODE_OPTIONS: '--enable-source-maps', MALLOC_ARENA_MAX: '4' })).toEqual({
      NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=16',
      MALLOC_ARENA_MAX: '4',
    });
    expect(withServiceProcessEnv({ NODE_OPTIONS: '--max-semi-space-size=64' }).NODE_OPTIONS).toBe(
      '--max-semi-space-size=64',
    );
  });

  it('drops unset entries', () => {
    expect(withServiceProcessEnv({ A: undefined })).toEqual(SERVICE_PROCESS_ENV);
  });
});
