import { NATS_PERMISSIONS, NATS_USERS, type NatsUser } from '@aimass/contracts';
import { createUser, fromSeed } from '@nats-io/nkeys';
import fs from 'node:fs';
import path from 'node:path';

/** Every user of the mesh's nats-server: the services, `client`, and `operator` (no limits). */
export type NatsAccountUser = NatsUser | 'operator';

/** The NATS identities of a local mesh: one nkey per user, and the server configuration. */
export interface NatsAccounts {
  /** nats-server configuration: the users' public keys with their permissions. */
  readonly configFile: string;
  /** The file holding a user's nkey seed (what AIMASS_NATS_CREDENTIALS names). */
  credentials(user: NatsAccountUser): string;
}

/**
 * Creates (once; later calls reuse them, so restarts keep their identities) an nkey per user in
 * `dir`, seed files readable by the owner only, and a nats-server configuration granting each
 * user NATS_PERMISSIONS (libs/contracts). `operator` has no limits: it is for the person who runs
 * the stack and for tests that look at the streams directly.
 */
export function natsAccounts(dir: string): NatsAccounts {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const credentials = (user: NatsAccountUser) => path.join(dir, `${user}.nk`);
  const users = [...NATS_USERS, 'operator' as const].map((user) => {
    const file = credentials(user);
    if (!fs.existsSync(file)) {
      const seed = new TextDecoder().decode(createUser().getSeed());
      fs.writeFileSync(file, `${seed}\n`, { mode: 0o600 });
    }
    const publicKey = fromSeed(new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim())).getPublicKey();
    if (user === 'operator') return { nkey: publicKey };
    const p = NATS_PERMISSIONS[user];
    return {
      nkey: publicKey,
      permissions: {
        publish: { allow: p.publish },
        subscribe: { allow: p.subscribe },
        ...(p.allowResponses ? { allow_responses: true } : {}),
      },
    };
  });
  const configFile = path.join(dir, 'nats-server.conf');
  // The configuration format reads JSON; quoted strings keep `$JS...` from being taken as variables.
  fs.writeFileSync(configFile, `authorization: ${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  return { configFile, credentials };
}
