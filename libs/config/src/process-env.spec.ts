import { describe, expect, it } from 'vitest';
import { SERVICE_PROCESS_ENV, withServiceProcessEnv } from './process-env.js';

describe('withServiceProcessEnv', () => {
  it('adds the young-generation size', () => {
    expect(withServiceProcessEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', ...SERVICE_PROCESS_ENV });
  });

  it("extends an operator's NODE_OPTIONS and keeps their own semi-space size", () => {
    expect(withServiceProcessEnv({ NODE_OPTIONS: '--enable-source-maps' })).toEqual({
      NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=16',
    });
    expect(withServiceProcessEnv({ NODE_OPTIONS: '--max-semi-space-size=64' }).NODE_OPTIONS).toBe(
      '--max-semi-space-size=64',
    );
  });

  it('drops unset entries', () => {
    expect(withServiceProcessEnv({ A: undefined })).toEqual(SERVICE_PROCESS_ENV);
  });
});
