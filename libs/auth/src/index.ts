export {
  SCOPES,
  type Scope,
  type Grant,
  ScopeSyntaxError,
  parseGrant,
  grantsFromClaim,
  allows,
  describeNeed,
} from './scopes.js';
export { type Principal, ANONYMOUS } from './principal.js';
export {
  TokenVerifier,
  type TokenVerifierOptions,
  MINT_HINT,
  verifierFromSettings,
} from './token-verifier.js';
export {
  LOCAL_ISSUER,
  DEFAULT_AUDIENCE,
  type LocalSigningKey,
  generateSigningKey,
  type MintOptions,
  mintToken,
} from './local-issuer.js';
export { type AccessRule, type AccessRules, OPEN, scopeOn, CallAuthorization } from './call-authorization.js';
