import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { generateSigningKey, mintToken } from './local-issuer.js';

/**
 * The grants each service's own token carries for the calls it makes to the others (the trainer
 * registers versions and moves aliases; the tuner submits jobs and aliases the best trial's
 * version; the monitor reads models and studies for the console). Nothing more: a compromised
 * monitor cannot push a model or drive a study.
 */
export const SERVICE_GRANTS: Readonly<Record<string, readonly string[]>> = {
  registry: [],
  trainer: ['models:read', 'models:write', 'aliases:write'],
  tuner: ['train', 'models:read', 'aliases:write', 'tune'],
  inference: ['models:read'],
  monitor: ['models:read', 'studies:read'],
};

/** The stack.env entry naming the embedded issuer's private key, for the CLI and `scripts/stack add` to mint with. */
export const STACK_SIGNING_KEY_ENTRY = 'AIMASS_STACK_SIGNING_KEY';

export interface LocalAuthority {
  /** Public keys, for the services' AIMASS_AUTH_JWKS. */
  readonly jwksFile: string;
  /** The private key (mode 0600), for whoever may mint: the CLI of this machine's user. */
  readonly signingKeyFile: string;
  mint(subject: string, scopes: readonly string[], ttlSeconds?: number): Promise<string>;
}

const DAY = 24 * 3600;

/**
 * The embedded default's issuer, kept in `dir` (<state>/auth): the key pair is made on first use
 * and reused after, so tokens minted for one run of the stack stay valid across restarts.
 */
export async function localAuthority(dir: string): Promise<LocalAuthority> {
  const jwksFile = path.join(dir, 'jwks.json');
  const signingKeyFile = path.join(dir, 'signing-key.json');
  let privateJwk: JWK;
  if (fs.existsSync(signingKeyFile) && fs.existsSync(jwksFile)) {
    privateJwk = JSON.parse(fs.readFileSync(signingKeyFile, 'utf8')) as JWK;
  } else {
    const key = await generateSigningKey();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(signingKeyFile, JSON.stringify(key.privateJwk), { mode: 0o600 });
    fs.writeFileSync(jwksFile, JSON.stringify(key.jwks, null, 2));
    privateJwk = key.privateJwk;
  }
  return {
    jwksFile,
    signingKeyFile,
    mint: (subject, scopes, ttlSeconds = DAY) => mintToken(privateJwk, { subject, scopes, ttl: ttlSeconds }),
  };
}

/** Mints with a signing key file written by localAuthority (the CLI, `scripts/stack add`). */
export async function mintWithKeyFile(
  signingKeyFile: string,
  subject: string,
  scopes: readonly string[],
  ttlSeconds: number,
): Promise<string> {
  const privateJwk = JSON.parse(fs.readFileSync(signingKeyFile, 'utf8')) as JWK;
  return mintToken(privateJwk, { subject, scopes, ttl: ttlSeconds });
}

/** A service's own token, for its AIMASS_AUTH_TOKEN: its SERVICE_GRANTS, valid for 30 days. */
export function mintServiceToken(authority: LocalAuthority, service: string): Promise<string> | undefined {
  const grants = SERVICE_GRANTS[service];
  if (grants === undefined || grants.length === 0) return undefined;
  return authority.mint(`service:${service}`, grants, 30 * DAY);
}
