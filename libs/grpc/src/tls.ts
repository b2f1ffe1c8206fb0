import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

/** PEM file paths (AIMASS_TLS_*): `ca` empty means plaintext. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new Error(`cannot read ${what} ${file}: ${String(cause)}`, { cause });
  }
}

/** What a client dials with: TLS verifying the server against the CA, or plaintext without one. */
export function channelCredentials(tls: TlsFiles | undefined): ChannelCredentials {
  return tls?.ca ? credentials.createSsl(read(tls.ca, 'AIMASS_TLS_CA')) : credentials.createInsecure();
}

/**
 * What a service's gRPC server listens with: its certificate when TLS is on (callers prove who
 * they are with bearer tokens, not client certificates), plaintext otherwise. TLS on without a
 * certificate is a configuration error, refused at start.
 */
export function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tls?.ca) return ServerCredentials.createInsecure();
  if (!tls.cert || !tls.key)
    throw new Error('AIMASS_TLS_CA is set, so this service needs AIMASS_TLS_CERT and AIMASS_TLS_KEY too');
  return ServerCredentials.createSsl(
    null,
    [{ cert_chain: read(tls.cert, 'AIMASS_TLS_CERT'), private_key: read(tls.key, 'AIMASS_TLS_KEY') }],
    false,
  );
}
