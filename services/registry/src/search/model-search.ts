import { InvalidArgumentError } from '@aimass/errors';
import { createHash } from 'node:crypto';
import type { ModelRecord } from '../records/records.js';

/** The fields models can be ordered by; `order_by` names one, with a leading '-' for descending. */
export const ORDER_KEYS = ['name', 'created_at', 'updated_at'] as const;
export type OrderKey = (typeof ORDER_KEYS)[number];

/** A validated ListModels request (dtos/ checks it): empty strings filter nothing. */
export interface ModelQuery {
  readonly name_prefix: string;
  readonly page_token: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly framework: string;
  readonly owner: string;
  readonly order_by: string;
}

export interface ModelPage {
  readonly models: ModelRecord[];
  readonly next_page_token: string;
  readonly total_size: number;
}

/**
 * Filters, orders and pages models. Pages are keyset pages: the token holds the sort key and name of
 * the last model returned, so models created or removed between calls never shift a page, and it
 * holds a digest of the filters, so a token is refused with a query it was not issued for.
 */
export function searchModels(all: readonly ModelRecord[], query: ModelQuery, pageSize: number): ModelPage {
  const descending = query.order_by.startsWith('-');
  const key = query.order_by.replace(/^-/, '') as OrderKey;
  const filter = filterDigest(query);
  const compare = (a: ModelRecord, b: ModelRecord) => {
    const order = compareKeys([a[key], a.name], [b[key], b.name]);
    return descending ? -order : order;
  };
  const matching = all.filter((m) => matches(m, query)).sort(compare);
  let start = 0;
  if (query.page_token) {
    const after = decodePageToken(query.page_token, filter, query.order_by);
    const cursor = { [key]: after.key, name: after.name } as unknown as ModelRecord;
    start = matching.findIndex((m) => compare(m, cursor) > 0);
    if (start < 0) start = matching.length;
  }
  const models = matching.slice(start, start + pageSize);
  const last = models.at(-1);
  const next =
    last && start + pageSize < matching.length
      ? encodePageToken({ filter, order: query.order_by, key: last[key], name: last.name })
      : '';
  return { models, next_page_token: next, total_size: matching.length };
}

function matches(m: ModelRecord, q: ModelQuery): boolean {
  if (!m.name.startsWith(q.name_prefix)) return false;
  if (q.framework && m.framework !== q.framework) return false;
  if (q.owner && m.owner !== q.owner) return false;
  return Object.entries(q.tags).every(([k, v]) => m.tags[k] === v);
}

function compareKeys(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function filterDigest(q: ModelQuery): string {
  const tags = Object.entries(q.tags).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256')
    .update(JSON.stringify([q.name_prefix, q.framework, q.owner, tags]))
    .digest('base64url')
    .slice(0, 12);
}

interface PageCursor {
  readonly filter: string;
  readonly order: string;
  readonly key: string;
  readonly name: string;
}

function encodePageToken(c: PageCursor): string {
  return Buffer.from(JSON.stringify([c.filter, c.order, c.key, c.name])).toString('base64url');
}

function decodePageToken(token: string, filter: string, order: string): PageCursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) {
    throw new InvalidArgumentError(
      'page_token is not one this registry issued; start again without a page_token',
    );
  }
  const [f, o, key, name] = parts as string[];
  if (f !== filter || o !== order) {
    throw new InvalidArgumentError(
      'page_token was issued for other filters or another order_by; send the same query as the first page, or start again without it',
    );
  }
  return { filter: f, order: o, key: key!, name: name! };
}
