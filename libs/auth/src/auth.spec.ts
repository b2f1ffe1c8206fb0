import { PermissionDeniedError, UnauthenticatedError } from '@aimass/errors';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallAuthorization, OPEN, scopeOn, scopePerMessage } from './call-authorization.js';
import { generateSigningKey, mintToken, type LocalSigningKey } from './local-issuer.js';
import { allows, grantsFromClaim, parseGrant, ScopeSyntaxError } from './scopes.js';
import { TokenVerifier } from './token-verifier.js';

const PUSH = 'aimass.registry.v1.RegistryService/PushVersion';
const LIST = 'aimass.registry.v1.RegistryService/ListModels';
const HEALTH = 'grpc.health.v1.Health/Check';
const RULES = { [PUSH]: scopeOn('models:write', 'name'), [LIST]: scopeOn('models:read'), [HEALTH]: OPEN };

let key: LocalSigningKey;
let other: LocalSigningKey;
beforeAll(async () => {
  key = await generateSigningKey();
  other = await generateSigningKey();
});
afterEach(() => vi.useRealTimers());

const verifier = () => new TokenVerifier({ jwks: key.jwks, issuer: 'aimass-local', audience: 'aimass' });
const bearer = async (scopes: string[], signer = key, ttlSeconds = 600) =>
  `Bearer ${await mintToken(signer.privateJwk, { subject: 'ci-bot', scopes, ttl: ttlSeconds })}`;

describe('grants', () => {
  it.each([
    ['infer', 'infer', '*'],
    ['infer:fraud-*', 'infer', 'fraud-*'],
    ['models:read', 'models:read', '*'],
    ['models:read:fraud-*', 'models:read', 'fraud-*'],
    ['aliases:write:team/a*', 'aliases:write', 'team/a*'],
  ])('%s reads as scope %s on %s', (text, scope, models) => {
    expect(parseGrant(text)).toMatchObject({ scope, models });
  });

  it.each(['model:read', 'infer:', 'write', ''])('refuses %j', (text) => {
    expect(() => parseGrant(text)).toThrow(ScopeSyntaxError);
  });

  it('matches model globs and lets admin do everything', () => {
    const grants = grantsFromClaim('openid infer:fraud-* models:read');
    expect(grants.map((g) => g.scope)).toEqual(['infer', 'models:read']);
    expect(allows(grants, 'infer', 'fraud-v2')).toBe(true);
    expect(allows(grants, 'infer', 'churn')).toBe(false);
    expect(allows(grants, 'models:read', 'churn')).toBe(true);
    expect(allows(grants, 'models:write', 'fraud-v2')).toBe(false);
    expect(allows(grantsFromClaim(['admin']), 'aliases:write', 'x')).toBe(true);
  });

  it('lets tune read studies, and studies:read only read them', () => {
    expect(allows(grantsFromClaim('tune'), 'studies:read')).toBe(true);
    expect(allows(grantsFromClaim('studies:read'), 'studies:read')).toBe(true);
    expect(allows(grantsFromClaim('studies:read'), 'tune')).toBe(false);
    expect(allows(grantsFromClaim('models:read'), 'studies:read')).toBe(false);
  });
});

describe('CallAuthorization', () => {
  const auth = () => new CallAuthorization(RULES, verifier());

  it('lets the right scope through and names the caller', async () => {
    const principal = await auth().authorize(PUSH, await bearer(['models:write:fraud-*']), {
      name: 'fraud-v2',
    });
    expect(principal.subject).toBe('ci-bot');
    expect(principal.tokenId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['no token', async () => undefined, /missing bearer token.*aimass auth token/],
    ['not a bearer header', async () => 'Basic abc', /must read "Bearer <token>"/],
    ['garbage', async () => 'Bearer not.a.jwt', /not a well-formed signed JWT/],
    ['a foreign signature', async () => bearer(['admin'], other), /not in the issuer keys/],
  ])('%s → UNAUTHENTICATED', async (_name, header, message) => {
    const err = await auth()
      .authorize(PUSH, await header(), { name: 'fraud-v2' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect((err as Error).message).toMatch(message);
  });

  it('a token whose kid matches but signature does not → UNAUTHENTICATED', async () => {
    const forged = await mintToken(
      { ...other.privateJwk, kid: key.privateJwk.kid! },
      {
        subject: 'mallory',
        scopes: ['admin'],
        ttl: 60,
      },
    );
    await expect(auth().authorize(PUSH, `Bearer ${forged}`, { name: 'x' })).rejects.toThrow(
      /signature does not verify/,
    );
  });

  it('an expired token → UNAUTHENTICATED saying when it expired', async () => {
    const header = await bearer(['admin'], key, 60);
    vi.useFakeTimers({ now: Date.now() + 120_000 });
    await expect(auth().authorize(PUSH, header, { name: 'x' })).rejects.toThrow(/token expired at 20\d\d-/);
  });

  it('a cached token still expires', async () => {
    const a = auth();
    const header = await bearer(['admin'], key, 60);
    await a.authorize(PUSH, header, { name: 'x' });
    vi.useFakeTimers({ now: Date.now() + 120_000 });
    await expect(a.authorize(PUSH, header, { name: 'x' })).rejects.toThrow(UnauthenticatedError);
  });

  it('another model, or another scope → PERMISSION_DENIED naming the scope needed', async () => {
    const header = await bearer(['models:write:fraud-*', 'infer']);
    await expect(auth().authorize(PUSH, header, { name: 'churn' })).rejects.toThrow(
      new PermissionDeniedError(
        'ci-bot may not call PushVersion: it needs the scope models:write:churn (the token grants models:write:fraud-* infer)',
      ),
    );
    await expect(auth().authorize(LIST, header, {})).rejects.toThrow(/needs the scope models:read \(/);
  });

  it('a call naming no model needs the scope on every model; a per-message stream opens on any', async () => {
    const header = await bearer(['models:read:fraud-*', 'models:write:fraud-*']);
    await expect(auth().authorize(LIST, header, {})).rejects.toThrow(/needs the scope models:read \(/);
    const streams = new CallAuthorization({ [PUSH]: scopePerMessage('models:write') }, verifier());
    await expect(streams.authorize(PUSH, header, undefined)).resolves.toMatchObject({ subject: 'ci-bot' });
    await expect(streams.authorize(PUSH, await bearer(['infer']), undefined)).rejects.toThrow(
      /needs the scope models:write \(on some model\)/,
    );
  });

  it('open methods need no token; a method without a rule is closed', async () => {
    await expect(auth().authorize(HEALTH, undefined, {})).resolves.toMatchObject({ subject: 'anonymous' });
    await expect(
      auth().authorize('aimass.registry.v1.RegistryService/Nuke', await bearer(['admin']), {}),
    ).rejects.toThrow(/has no authorization rule; it is closed/);
  });

  it('with authentication off every ruled call passes as anonymous', async () => {
    const off = new CallAuthorization(RULES, undefined);
    await expect(off.authorize(PUSH, undefined, { name: 'x' })).resolves.toMatchObject({
      subject: 'anonymous',
    });
  });

  it('refuses to mint a scope it does not know', async () => {
    await expect(
      mintToken(key.privateJwk, { subject: 's', scopes: ['infer', 'deploy'], ttl: 60 }),
    ).rejects.toThrow(/unknown scope "deploy"/);
  });
});
