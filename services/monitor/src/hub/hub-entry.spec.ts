import { parseGrant, type Principal } from '@aimass/auth';
import { describe, expect, it } from 'vitest';
import { canSee, matchesQuery, visibilityOf, type HubQuery, type HubSummary } from './hub-entry.js';

const ENTRY: HubSummary = {
  name: 'fraud-gmm',
  description: 'Card payment scores',
  owner: 'team-risk',
  family: 'gmm',
  license: 'Apache-2.0',
  intended_use: '',
  tags: ['fraud', 'Tabular'],
  latest_version: 2,
  updated_at: '',
  visibility: 'public',
  stars: 0,
  downloads: 0,
};
const ALL: HubQuery = { q: '', tag: '', family: '', license: '', owner: '' };

describe('matchesQuery', () => {
  it.each<[Partial<HubQuery>, boolean]>([
    [{}, true],
    [{ q: 'fraud' }, true],
    [{ q: 'PAYMENT card' }, true],
    [{ q: 'payment loans' }, false],
    [{ tag: 'tabular' }, true],
    [{ tag: 'tab' }, false],
    [{ family: 'GMM' }, true],
    [{ family: 'ae' }, false],
    [{ license: 'apache-2.0' }, true],
    [{ license: 'MIT' }, false],
    [{ owner: 'team-risk' }, true],
    [{ owner: 'team-ml' }, false],
    [{ tag: 'fraud', license: 'MIT' }, false],
  ])('%j matches: %s', (query, expected) => {
    expect(matchesQuery(ENTRY, { ...ALL, ...query })).toBe(expected);
  });
});

describe('visibility', () => {
  const principal = (subject: string, grants: string[]): Principal => ({
    subject,
    grants: grants.map(parseGrant),
  });
  const model = (visibility?: string) => ({
    name: 'fraud-gmm',
    owner: 'alice',
    tags: (visibility === undefined ? {} : { 'hub.visibility': visibility }) as Record<string, string>,
  });

  it.each([
    [undefined, 'public'],
    ['public', 'public'],
    ['team', 'team'],
    ['private', 'private'],
    ['secret', 'private'],
  ])('reads tag %s as %s', (tag, expected) => {
    expect(visibilityOf(model(tag).tags)).toBe(expected);
  });

  it.each<[string, Principal | undefined, boolean]>([
    ['public', undefined, true],
    ['team', undefined, false],
    ['team', principal('bob', ['models:read:fraud-*']), true],
    ['team', principal('bob', ['models:read:other']), false],
    ['private', principal('bob', ['models:read']), false],
    ['private', principal('alice', []), true],
    ['unknown', principal('bob', ['models:read']), false],
  ])('with authentication on, a %s model is shown to %o: %s', (tag, who, expected) => {
    expect(canSee(model(tag), who, true)).toBe(expected);
  });

  it('shows every model with authentication off', () => {
    expect(canSee(model('private'), undefined, false)).toBe(true);
  });
});
