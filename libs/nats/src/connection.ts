import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError } from '@aimass/errors';

/**
 * Opens a NATS connection that keeps reconnecting for as long as the process lives. The caller
 * owns the connection and must `drain()` it at shutdown.
 */
export async function connectNats(servers: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: servers.split(',').map((s) => s.trim()),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (cause) {
    throw new UnavailableError(`cannot connect to NATS at ${servers}: ${String(cause)}`, { cause });
  }
}

export type { NatsConnection };
