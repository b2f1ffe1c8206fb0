import { describe, expect, it } from 'vitest';
import { coveredBy } from './mesh-transport.js';

describe('coveredBy', () => {
  it.each([
    ['aimass.predictions.>', 'aimass.predictions.>', true],
    ['aimass.predictions.inference', 'aimass.predictions.>', true],
    ['aimass.events.registry.alias.moved', 'aimass.events.>', true],
    ['aimass.events.*.alias.moved', 'aimass.events.>', true],
    ['aimass.jobs.train.cpu', 'aimass.jobs.>', true],
    ['aimass.events', 'aimass.events.>', false],
    ['aimass.audit.registry', 'aimass.events.>', false],
    ['aimass.jobs.train.cpu', 'aimass.jobs.train.*', true],
    ['aimass.jobs.train.>', 'aimass.jobs.train.*', false],
    ['aimass.jobs.train.cpu.x', 'aimass.jobs.train.*', false],
  ])('%s within %s: %s', (pattern, filter, expected) => {
    expect(coveredBy(pattern, filter)).toBe(expected);
  });
});
