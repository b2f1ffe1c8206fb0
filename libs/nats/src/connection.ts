import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import { natsInboxPrefix } from '@aimass/contracts';
import { InvalidArgumentError, UnavailableError } from '@aimass/errors';

/** Who a connection authenticates as. */
export interface NatsIdentity {
  /** A file holding an nkey seed (`SU...`) or a `.creds` file (user JWT and seed); empty: none. */
  readonly credentials?: string;
  /**
   * The NATS user's name: its replies come to `_INBOX_<user>.*` (natsInboxPrefix), the only inboxes
   * its permissions let it subscribe to. Absent: the default `_INBOX` prefix.
   */
  readonly user?: string;
}

/**
 * Opens a NATS connection that keeps reconnecting for as long as the process lives. The caller
 * owns the connection and must `drain()` it at shutdown.
 */
export async function connectNats(
  servers: string,
  name: string,
  identity: NatsIdentity = {},
): Promise<NatsConnection> {
  const authenticator = identity.credentials ? readCredentials(identity.credentials) : undefined;
  try {
    return await connect({
      servers: servers.split(',').map((s) => s.trim()),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(authenticator ? { authenticator } : {}),
      ...(identity.user ? { inboxPrefix: natsInboxPrefix(identity.user) } : {}),
    });
  } catch (cause) {
    throw new UnavailableError(`cannot connect to NATS at ${servers}: ${String(cause)}`, { cause });
  }
}

/** An nkey seed file (one `SU...` line) or a decorated `.creds` file, read once at connect. */
function readCredentials(file: string): Authenticator {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new InvalidArgumentError(`cannot read NATS credentials ${file}: ${String(cause)}`, { cause });
  }
  if (text.includes('-----BEGIN NATS USER JWT-----'))
    return credsAuthenticator(new TextEncoder().encode(text));
  const seed = text.trim();
  if (!/^SU[A-Z2-7]{56}$/.test(seed))
    throw new InvalidArgumentError(
      `NATS credentials ${file} hold neither a user nkey seed (SU...) nor a .creds file (user JWT and seed)`,
    );
  return nkeyAuthenticator(new TextEncoder().encode(seed));
}

export type { NatsConnection };
