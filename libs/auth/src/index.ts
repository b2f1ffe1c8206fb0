export {
  SCOPES,
  type Scope,
  type Grant,
  ScopeSyntaxError,
  parseGrant,
  grantsFromClaim,
  allows,
  allowsSome,
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
  MintError,
} from './local-issuer.js';
export {
  type AccessRule,
  type AccessRules,
  OPEN,
  scopeOn,
  scopePerMessage,
  CallAuthorization,
} from './call-authorization.js';
export {
  SERVICE_GRANTS,
  type LocalAuthority,
  localAuthority,
  mintWithKeyFile,
  mintServiceToken,
  STACK_SIGNING_KEY_ENTRY,
} from './local-authority.js';
