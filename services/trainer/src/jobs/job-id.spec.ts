import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job-id.js';

describe('jobIdFor', () => {
  it('is a version 5 UUID', () => {
    expect(jobIdFor('request-1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('is the same for the same request and differs between requests', () => {
    expect(jobIdFor('request-1')).toBe(jobIdFor('request-1'));
    expect(jobIdFor('request-1')).not.toBe(jobIdFor('request-2'));
  });

  // Job ids already queued and stored were made from these names; they must never change. Python's
  // uuid.uuid5(UUID('6f1d2c64-f0a9-4b8e-9a3e-0d5bb7f4c2a1'), name) gives the same.
  it.each([
    ['', '0706c3c9-8968-5cc5-bf1b-285d3bf32b9a'],
    ['request-1', 'c4bfd6fa-2b88-5ee5-b7fd-52ed69a09ecc'],
    ['request-2', 'b7d9d888-51cc-5af3-a71a-2377e375bdcf'],
    ['request-9', '781a2a62-ac9c-5a4c-916f-1dd680a330e7'],
    ['0b6a3c1e-2f4d-4e8a-9c1b-7d5e3f2a1b0c', '19e04e29-2843-51ce-9f01-8795c6e5f4df'],
    ['ünïcødé ✓', '88e7632a-1687-5d62-a552-a5bcb402a386'],
    ['a'.repeat(300), 'd1a4b2b1-8a31-56c7-aa2e-afd6ad9c0fb4'],
    ['lone \uD800 surrogate', 'fd0e5d16-7fa0-5092-920a-fecc4c0ae568'],
  ])('gives request id #%# its fixed job id', (requestEventId, jobId) => {
    expect(jobIdFor(requestEventId)).toBe(jobId);
  });
});
