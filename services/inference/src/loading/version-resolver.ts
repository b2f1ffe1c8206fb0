import { DeadlineExceededError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { Logger } from '@nestjs/common';
import type { RegistryRepository } from '../repositories/registry.repository.js';
import type { ServableVersion } from '../types.js';

/** Alias and default selectors are re-resolved this often; registry alias events also invalidate. */
const MOVING_SELECTOR_TTL_MS = 1000;
const PINNED_SELECTOR_TTL_MS = 60_000;

/** The alias an empty selector means when it is set. */
export const DEFAULT_ALIAS = 'production';

/**
 * Which version a model name plus selector (a version number, an alias, or empty) means. Answers
 * come from the registry and are cached; a moving selector (alias or empty) can be held on a
 * version while a hot swap loads its successor, or after the successor failed to load.
 */
export class VersionResolver {
  private readonly logger = new Logger(VersionResolver.name);
  private readonly resolutions = new Map<string, { version: ServableVersion; expires: number }>();
  /** Selector keys whose expired resolution is being refreshed in the background. */
  private readonly refreshing = new Set<string>();
  /**
   * Per model + moving selector: the version it keeps meaning while a hot swap loads its successor,
   * or after the successor failed to load, until the model's next alias event.
   */
  private readonly held = new Map<string, ServableVersion>();
  /** Per model + moving selector: the last version it was served from. */
  private readonly lastGood = new Map<string, ServableVersion>();
  /** Bumped by every invalidate(model); a resolution that straddles a bump is not cached. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly registry: RegistryRepository) {}

  async resolve(model: string, selector: string): Promise<ServableVersion> {
    if (!model) throw new InvalidArgumentError('model name is empty');
    return this.known(model, selector) ?? this.ask(model, selector);
  }

  /** What the registry says `selector` means now, bypassing (and not filling) the cache. */
  lookup(model: string, selector: string): Promise<ServableVersion> {
    return this.registry.resolve(model, selector);
  }

  /**
   * What the selector means without asking the registry, if known: the held version during a hot
   * swap, else the cached resolution. An expired resolution is still answered while one
   * background request refreshes it, so no request waits for the registry once per TTL (alias
   * events invalidate at once anyway; the TTL only bounds how long a missed event can last).
   */
  known(model: string, selector: string): ServableVersion | undefined {
    const key = selectorKey(model, selector);
    if (!isPinned(selector)) {
      const held = this.held.get(key);
      if (held) return held;
    }
    const cached = this.resolutions.get(key);
    if (!cached) return undefined;
    if (cached.expires <= Date.now()) this.refresh(model, selector, cached);
    return cached.version;
  }

  /** Forgets how selectors of `model` resolved (an alias moved); holds stay. */
  invalidate(model: string): void {
    this.generations.set(model, (this.generations.get(model) ?? 0) + 1);
    for (const key of this.resolutions.keys())
      if (key.startsWith(`${model}\u0000`)) this.resolutions.delete(key);
  }

  /** Records that `selector` was served from `version`; pinned selectors need no memory of it. */
  served(model: string, selector: string, version: ServableVersion): void {
    if (isPinned(selector)) return;
    const key = selectorKey(model, selector);
    if (this.lastGood.get(key) !== version) this.lastGood.set(key, version);
  }

  /** The version a moving selector was last served from; undefined for pinned selectors. */
  previous(model: string, selector: string): ServableVersion | undefined {
    return isPinned(selector) ? undefined : this.lastGood.get(selectorKey(model, selector));
  }

  /** Makes the moving `selectors` of `model` mean `version` until released or the next alias event. */
  hold(model: string, selectors: readonly string[], version: ServableVersion): void {
    for (const sel of selectors) this.held.set(selectorKey(model, sel), version);
  }

  release(model: string, selectors: readonly string[]): void {
    for (const sel of selectors) this.held.delete(selectorKey(model, sel));
  }

  /** Drops every hold on `model` (its aliases moved). */
  releaseAll(model: string): void {
    for (const key of this.held.keys()) if (key.startsWith(`${model}\u0000`)) this.held.delete(key);
  }

  private refresh(
    model: string,
    selector: string,
    stale: { version: ServableVersion; expires: number },
  ): void {
    const key = selectorKey(model, selector);
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    this.ask(model, selector)
      .catch((err: unknown) => {
        if (this.resolutions.get(key) === stale) {
          if (err instanceof UnavailableError || err instanceof DeadlineExceededError) {
            // The registry (or NATS) did not answer: nothing says the selector means something
            // else, so keep serving the known version and try again later. Serving must not wait
            // on the control plane.
            stale.expires = Date.now() + MOVING_SELECTOR_TTL_MS;
          } else {
            // The registry answered that the selector no longer resolves (alias deleted, model
            // gone): forget it, so the next request asks and gets the registry's error itself.
            this.resolutions.delete(key);
          }
        }
        this.logger.warn({ err, model, selector }, 'refreshing a cached version resolution failed');
      })
      .finally(() => this.refreshing.delete(key));
  }

  /** Asks the registry what the selector means and caches the answer. */
  private async ask(model: string, selector: string): Promise<ServableVersion> {
    const pinned = isPinned(selector);
    const key = selectorKey(model, selector);
    for (;;) {
      const generation = this.generations.get(model) ?? 0;
      const version = await this.registry.resolve(model, selector);
      // An alias moved while the registry answered: the answer may predate the move, so ask again
      // rather than cache (and perhaps reload) the version being swapped out.
      if ((this.generations.get(model) ?? 0) !== generation && !pinned) continue;
      this.resolutions.set(key, {
        version,
        expires: Date.now() + (pinned ? PINNED_SELECTOR_TTL_MS : MOVING_SELECTOR_TTL_MS),
      });
      return version;
    }
  }
}

function isPinned(selector: string): boolean {
  return /^[0-9]+$/.test(selector);
}

function selectorKey(model: string, selector: string): string {
  return `${model}\u0000${selector}`;
}
