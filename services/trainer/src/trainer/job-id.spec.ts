import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job-id.js';

describe('jobIdFor', () => {
  it('is a version 5 UUID', () => {
    expect(jobIdFor('request-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is the same for the same request and differs between requests', () => {
    expect(jobIdFor('request-1')).toBe(jobIdFor('request-1'));
    expect(jobIdFor('request-1')).not.toBe(jobIdFor('request-2'));
  });
});
