import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// Readers for the deploy files, used by deploy.spec.ts. Docker and kubectl cannot run in CI, so these
// parse just enough of each format to check that every name and path a file mentions exists.

/** Thrown when a deploy file cannot be read as the format it claims to be. */
export class DeployFileError extends Error {
  override readonly name = 'DeployFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One YAML document; `<<` merge keys are resolved the way Docker Compose resolves them. */
export function readYaml(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'), { merge: true, uniqueKeys: true });
  } catch (cause) {
    throw new DeployFileError(`${path} is not valid YAML`, { cause });
  }
}

/** Every document of a multi-document YAML file (Kubernetes manifests). */
export function readYamlDocs(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { merge: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  const bad = docs.flatMap((d) => d.errors);
  if (bad.length > 0)
    throw new DeployFileError(`${path} is not valid YAML: ${bad[0]!.message}`, { cause: bad });
  return docs.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

export type Address = { readonly host: string; readonly port: number };

/**
 * The host:port pairs a setting value points at: a URL (`http://minio:9000`), a bare `host:port`,
 * or a comma-separated list of either (AIMASS_NATS_URL). Values without an explicit port are not
 * addresses (log levels, bucket names, credentials).
 */
export function addressesIn(value: string): Address[] {
  const out: Address[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part.includes('://')) {
      const url = new URL(part);
      if (url.port !== '') out.push({ host: url.hostname, port: Number(url.port) });
      continue;
    }
    const m = /^([^\s:/]+):(\d{1,5})$/.exec(part);
    if (m) out.push({ host: m[1]!, port: Number(m[2]) });
  }
  return out;
}

/** Hosts of every URL inside free text (a shell command line, for instance). */
export function urlHostsIn(text: string): string[] {
  return [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^/:\s"'@]+)/gi)].map((m) => m[1]!);
}

export type PublishedPort = { readonly hostIp: string; readonly published: number; readonly target: number };

/** Compose `ports:` entries, short (`"127.0.0.1:8080:80"`, `"8080:80"`) or long syntax. */
export function publishedPorts(ports: unknown): PublishedPort[] {
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new DeployFileError('ports must be a list');
  return ports.map((p: unknown) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as { target: number; published?: number | string; host_ip?: string };
      return {
        hostIp: o.host_ip ?? '0.0.0.0',
        published: Number(o.published ?? o.target),
        target: Number(o.target),
      };
    }
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : target;
    const hostIp = parts.length === 3 ? parts[0]! : '0.0.0.0';
    if (!Number.isInteger(target) || !Number.isInteger(published)) {
      throw new DeployFileError(`cannot read port mapping ${JSON.stringify(p)} (ranges are not used here)`);
    }
    return { hostIp, published, target };
  });
}

export type Instruction = { readonly keyword: string; readonly args: string; readonly stage: number };

/** Dockerfile instructions with line continuations joined; `stage` counts FROM lines from 0. */
export function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let stage = -1;
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    const kw = keyword!.toUpperCase();
    if (kw === 'FROM') stage += 1;
    return { keyword: kw, args: rest.join(' '), stage };
  });
}

/** Source paths of a COPY/ADD instruction (flags and the destination removed). */
export function copySources(args: string): { sources: string[]; dest: string; from?: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { sources: paths.slice(0, -1), dest: paths.at(-1)!, ...(from !== undefined ? { from } : {}) };
}

/** Repo paths a COPY source names: itself, or every top-level match of a `*` pattern. */
export function expandSource(root: string, source: string): string[] {
  if (!source.includes('*')) return existsSync(join(root, source)) ? [source] : [];
  if (source.includes('/'))
    throw new DeployFileError(`globs below the top level are not supported: ${source}`);
  const re = new RegExp(`^${source.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return readdirSync(root).filter((f) => re.test(f));
}

/** Whether a .dockerignore pattern list excludes `path` (enough of the syntax for this repo). */
export function dockerIgnores(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const re = pattern
      .split('/')
      .map((seg) =>
        seg === '**' ? '(?:.*/)?' : `${seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`,
      )
      .join('');
    // A pattern that matches a directory excludes everything below it.
    if (new RegExp(`^${re}`).test(`${path}/`)) ignored = !negate;
  }
  return ignored;
}

export function dockerIgnorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
