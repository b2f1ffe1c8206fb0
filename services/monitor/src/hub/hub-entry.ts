import type { Principal } from '@aimass/auth';
import { allows } from '@aimass/auth';

/** The model tag that says who sees a model in the hub; absent means public. */
export const VISIBILITY_TAG = 'hub.visibility';
export const VISIBILITIES = ['public', 'team', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** One model in the hub's results: what its card says, and how people received it. */
export interface HubSummary {
  readonly name: string;
  readonly description: string;
  readonly owner: string;
  readonly family: string;
  readonly license: string;
  readonly intended_use: string;
  /** The card's tags. */
  readonly tags: readonly string[];
  readonly latest_version: number;
  readonly updated_at: string;
  readonly visibility: Visibility;
  readonly stars: number;
  readonly downloads: number;
}

export interface HubQuery {
  /** Words that must all appear in the name or the description (any case). */
  readonly q: string;
  readonly tag: string;
  readonly family: string;
  readonly license: string;
  readonly owner: string;
}

/** Whether a model matches every filter given (an empty filter matches all). */
export function matchesQuery(entry: HubSummary, query: HubQuery): boolean {
  const text = `${entry.name} ${entry.description}`.toLowerCase();
  const words = query.q.toLowerCase().split(/\s+/).filter(Boolean);
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return (
    words.every((w) => text.includes(w)) &&
    (query.tag === '' || entry.tags.some((t) => same(t, query.tag))) &&
    (query.family === '' || same(entry.family, query.family)) &&
    (query.license === '' || same(entry.license, query.license)) &&
    (query.owner === '' || same(entry.owner, query.owner))
  );
}

/** The model's visibility from its tags; an unknown value is treated as the strictest. */
export function visibilityOf(tags: Readonly<Record<string, string>>): Visibility {
  const value = tags[VISIBILITY_TAG];
  if (value === undefined || value === '') return 'public';
  return (VISIBILITIES as readonly string[]).includes(value) ? (value as Visibility) : 'private';
}

/**
 * Who sees a model: a public one everybody; a team one whoever holds `models:read` on it; a private
 * one only its owner. `principal` is undefined when authentication is off: then every model shows,
 * as every other console read does.
 */
export function canSee(
  model: { name: string; owner: string; tags: Readonly<Record<string, string>> },
  principal: Principal | undefined,
  authenticated: boolean,
): boolean {
  if (!authenticated) return true;
  const visibility = visibilityOf(model.tags);
  if (visibility === 'public') return true;
  if (principal === undefined) return false;
  if (visibility === 'team') return allows(principal.grants, 'models:read', model.name);
  return principal.subject === model.owner;
}
