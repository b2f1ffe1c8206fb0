import type { Command } from 'commander';
import fs from 'node:fs';
import type { CliContext } from '../cli-context.js';
import { CliError, unreadable } from '../errors.js';

export interface AuthTokenArgs {
  readonly subject: string;
  readonly scope: readonly string[];
  readonly ttl: string;
  /** The private JWK to sign with; the running stack's key when absent. */
  readonly key?: string | undefined;
}

/**
 * Mints a bearer token with the embedded issuer's key and prints it on stdout (for a CI secret, a
 * teammate, or `AIMASS_AUTH_TOKEN=... pnpm aimass ...`). Scopes: models:read, models:write,
 * aliases:write, infer, train, tune, admin, each optionally `:MODEL-GLOB`.
 */
export async function authToken(args: AuthTokenArgs, ctx: CliContext): Promise<string> {
  const keyFile = args.key ?? ctx.signingKeyFile();
  if (!keyFile)
    throw new CliError(
      'no signing key: start the stack with authentication (scripts/stack up) or name a private JWK with --key FILE',
    );
  let privateJwk: unknown;
  try {
    privateJwk = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  } catch (err) {
    throw unreadable(`signing key ${keyFile}`, err);
  }
  const { mintToken, MintError, ScopeSyntaxError } = await import('@aimass/auth');
  const ttl = /^\d+$/.test(args.ttl) ? Number(args.ttl) : args.ttl;
  try {
    const token = await mintToken(privateJwk as Parameters<typeof mintToken>[0], {
      subject: args.subject,
      scopes: args.scope,
      ttl,
    });
    ctx.io.stdout.write(`${token}\n`);
    return token;
  } catch (err) {
    if (err instanceof MintError || err instanceof ScopeSyntaxError) throw new CliError(err.message);
    throw err;
  }
}

export function registerAuthCommands(program: Command, ctx: CliContext): void {
  const auth = program.command('auth').description('bearer tokens for the services');
  auth
    .command('token')
    .description("mint a token with the local stack's key; prints it")
    .requiredOption('--subject <NAME>', 'who the token is for (audit records name it)')
    .requiredOption(
      '--scope <SCOPE...>',
      'models:read, models:write, aliases:write, infer, train, tune or admin, each optionally :MODEL-GLOB (e.g. infer:fraud-*)',
    )
    .option('--ttl <SPAN>', 'lifetime: seconds or a span such as 90m, 12h, 30d', '12h')
    .option('--key <FILE>', "private JWK to sign with (default: the running stack's)")
    .action(async (opts: { subject: string; scope: string[]; ttl: string; key?: string }) => {
      await authToken(opts, ctx);
    });
}
