import { readFileSync } from 'node:fs';
import { UnauthenticatedError } from '@aimass/errors';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Principal } from './principal.js';
import { grantsFromClaim } from './scopes.js';

export interface TokenVerifierOptions {
  /** The issuer's public keys: a key set, or the URL an OIDC provider publishes them at (`jwks_uri`). */
  readonly jwks: JSONWebKeySet | URL;
  /** Required `iss`. */
  readonly issuer: string;
  /** Required `aud`. */
  readonly audience: string;
  /** Verified tokens kept so a client's repeated calls cost a map lookup (default 10,000). */
  readonly cacheSize?: number;
}

/** Asymmetric algorithms only: a verifier never holds a secret that could also mint tokens. */
const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256'];

export const MINT_HINT = 'mint one with: pnpm aimass auth token --subject NAME --scope SCOPE';

/**
 * Checks bearer JWTs (signature against the issuer's JWKS, expiry, issuer, audience) and turns them
 * into a Principal. A verified token is cached until it expires, so the hot path (every ModelInfer)
 * pays one map lookup per call instead of a signature check.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly cache = new Map<string, Principal>();
  private readonly cacheSize: number;

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys =
      options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** The principal of an `authorization` metadata value (`Bearer <jwt>`); UnauthenticatedError otherwise. */
  async verifyHeader(header: string | undefined): Promise<Principal> {
    if (header === undefined || header.length === 0)
      throw new UnauthenticatedError(
        `missing bearer token: send the metadata "authorization: Bearer <token>" (${MINT_HINT})`,
      );
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError('the authorization metadata must read "Bearer <token>"');
    return this.verify(match[1]!);
  }

  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.expiresAt === undefined || cached.expiresAt * 1000 > Date.now()) return cached;
      this.cache.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      throw new UnauthenticatedError(describeFailure(err, this.options));
    }
    const principal: Principal = {
      subject: payload.sub!,
      ...(payload.jti !== undefined && { tokenId: payload.jti }),
      grants: grantsFromClaim(payload['scope']),
      ...(payload.exp !== undefined && { expiresAt: payload.exp }),
    };
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, principal);
    return principal;
  }
}

function describeFailure(err: unknown, options: TokenVerifierOptions): string {
  if (err instanceof errors.JWTExpired) {
    const exp = err.payload.exp;
    return `token expired${exp !== undefined ? ` at ${new Date(exp * 1000).toISOString()}` : ''}; ${MINT_HINT}`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'token signature does not verify against the issuer keys (AIMASS_AUTH_JWKS)';
  if (err instanceof errors.JWKSNoMatchingKey)
    return 'token is signed by a key that is not in the issuer keys (AIMASS_AUTH_JWKS)';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return `token issuer must be "${options.issuer}" (AIMASS_AUTH_ISSUER)`;
    if (err.claim === 'aud')
      return `token audience must include "${options.audience}" (AIMASS_AUTH_AUDIENCE)`;
    return `token claim "${err.claim}" is invalid: ${err.reason}`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return `token algorithm is not accepted (use one of ${ALGORITHMS.join(', ')})`;
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid)
    return 'token is not a well-formed signed JWT';
  if (err instanceof errors.JOSEError) return `token refused: ${err.message}`;
  throw err;
}

/**
 * The verifier the settings ask for (AIMASS_AUTH_JWKS, _ISSUER, _AUDIENCE), or undefined when
 * `jwks` is empty (authentication off). A file is read once at start; an http(s) URL is fetched and
 * refreshed by jose as keys rotate.
 */
export function verifierFromSettings(settings: {
  readonly jwks: string;
  readonly issuer: string;
  readonly audience: string;
}): TokenVerifier | undefined {
  if (settings.jwks === '') return undefined;
  const base = { issuer: settings.issuer, audience: settings.audience };
  if (/^https?:\/\//.test(settings.jwks)) return new TokenVerifier({ ...base, jwks: new URL(settings.jwks) });
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(settings.jwks, 'utf8'));
  } catch (err) {
    throw new Error(`AIMASS_AUTH_JWKS ${settings.jwks}: ${(err as Error).message}`);
  }
  if (!Array.isArray((jwks as { keys?: unknown }).keys))
    throw new Error(`AIMASS_AUTH_JWKS ${settings.jwks}: not a JWKS (expected {"keys": [...]})`);
  return new TokenVerifier({ ...base, jwks: jwks as JSONWebKeySet });
}
