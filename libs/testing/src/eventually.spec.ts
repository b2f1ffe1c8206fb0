import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const probe = () => (++calls < 3 ? (calls === 1 ? undefined : false) : `ready after ${calls}`);
    await expect(eventually('three calls', probe, { intervalMs: 1 })).resolves.toBe('ready after 3');
  });

  it('treats a throwing probe as not yet, and names it and the last error on timeout', async () => {
    let calls = 0;
    const probe = async (): Promise<number | undefined> => {
      calls++;
      throw new Error(`refused ${calls}`);
    };
    const err = (await eventually('the service', probe, {
      timeoutMs: 30,
      intervalMs: 5,
      context: () => 'log tail',
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /^timed out after 30 ms waiting for the service \(last error: Error: refused \d+\)\nlog tail$/,
    );
    expect(calls).toBeGreaterThan(1);
  });
});
