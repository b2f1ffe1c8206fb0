import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { parseGrant } from './scopes.js';

/**
 * The embedded default's token issuer: one Ed25519 key pair that `scripts/stack` generates, whose
 * public half the services verify against (AIMASS_AUTH_JWKS) and whose private half the CLI signs
 * with (`aimass auth token`). With an external OIDC provider none of this is used.
 */
export const LOCAL_ISSUER = 'aimass-local';
export const DEFAULT_AUDIENCE = 'aimass';
const ALG = 'EdDSA';

export interface LocalSigningKey {
  /** The private JWK (with `kid`), kept by whoever mints tokens. */
  readonly privateJwk: JWK;
  /** The public key set the services verify against. */
  readonly jwks: JSONWebKeySet;
}

export async function generateSigningKey(): Promise<LocalSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
  const priv = { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
  return { privateJwk: priv, jwks: { keys: [pub] } };
}

export interface MintOptions {
  readonly subject: string;
  /** Grants as written in the `scope` claim: `infer:fraud-*`, `models:write`, `admin`. */
  readonly scopes: readonly string[];
  /** Lifetime: seconds, or a span such as `90m`, `12h`, `30d`. */
  readonly ttl: number | string;
  readonly issuer?: string;
  readonly audience?: string;
}

export class MintError extends Error {}

/** A signed token; refuses a scope aimass does not know, so a typo is caught when minting, not at the first call. */
export async function mintToken(privateJwk: JWK, options: MintOptions): Promise<string> {
  for (const s of options.scopes) parseGrant(s);
  if (options.scopes.length === 0) throw new MintError('a token needs at least one scope');
  if (typeof options.ttl === 'number' && (!Number.isFinite(options.ttl) || options.ttl <= 0))
    throw new MintError('the token lifetime must be a positive number of seconds');
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(privateJwk, ALG);
  const jwt = new SignJWT({ scope: options.scopes.join(' ') })
    .setProtectedHeader({ alg: ALG, ...(privateJwk.kid !== undefined && { kid: privateJwk.kid }) })
    .setSubject(options.subject)
    .setIssuer(options.issuer ?? LOCAL_ISSUER)
    .setAudience(options.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt(now)
    .setJti(randomUUID());
  try {
    // jose reads a span (`90m`, `12h`, `30d`) relative to now.
    jwt.setExpirationTime(typeof options.ttl === 'number' ? now + Math.floor(options.ttl) : options.ttl);
  } catch {
    throw new MintError(`lifetime "${options.ttl}": expected seconds or a span such as 90m, 12h, 30d`);
  }
  return jwt.sign(key);
}
