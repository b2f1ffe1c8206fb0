import type { Principal } from '@aimass/auth';
import { isTarFormat, parseInput, type registryv1 } from '@aimass/contracts';
import { NotFoundError } from '@aimass/errors';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  HubModelSchema,
  HubQuerySchema,
  HubVersionSchema,
  PostSchema,
  StarSchema,
  TryRequestSchema,
} from '../dtos/hub.dto.js';
import { cardView, renderMarkdown } from '../hub/card-view.js';
import { canSee, matchesQuery, visibilityOf, type HubSummary } from '../hub/hub-entry.js';
import { NO_COUNTS, totalDownloads, type HubCounts, type PostView } from '../hub/hub-records.js';
import { fromInferResponse, toInferRequest } from '../hub/try-request.js';
import { HubStoreRepository } from '../repositories/hub-store.repository.js';
import { InferenceClientRepository } from '../repositories/inference-client.repository.js';
import { RegistryCatalogRepository } from '../repositories/registry-catalog.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

/** Who is asking: their principal when they sent a token, and whether authentication is on. */
export interface Viewer {
  readonly principal: Principal | undefined;
  readonly authenticated: boolean;
}

/** A version's artifact on its way to a browser. */
export interface ArtifactDownload {
  readonly filename: string;
  readonly size_bytes: number;
  readonly sha256: string;
  readonly chunks: AsyncIterable<Buffer>;
}

/**
 * The hub: models found by text, tag, family, license and owner, each with its card rendered, its
 * versions to download and try, its stars and its discussion. Stars, download counts and posts live
 * in the hub's KV bucket; models, cards and artifacts come from the registry; predictions from
 * inference, made with the visitor's own token.
 */
@Injectable()
export class HubService implements OnModuleInit {
  private readonly logger = new Logger(HubService.name);

  constructor(
    private readonly registry: RegistryCatalogRepository,
    private readonly store: HubStoreRepository,
    private readonly inference: InferenceClientRepository,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  /**
   * Open consoles hear of stored posts and counts from the bucket itself, whichever monitor wrote
   * them. The live feed has no viewer (it is one stream for every console), so only public models'
   * changes go out on it; a team or private model's page shows them when it is read again.
   */
  onModuleInit(): void {
    this.store
      .follow({
        post: (post) => void this.ifPublic(post.model, () => this.updates.post(postView(post))),
        counts: (model, counts) =>
          void this.ifPublic(model, () =>
            this.updates.hubCounts({
              model,
              stars: counts.starred_by.length,
              downloads: totalDownloads(counts),
              version_downloads: counts.downloads,
            }),
          ),
      })
      .catch((err: unknown) =>
        this.logger.warn(
          `the hub's live updates are off: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
  }

  async search(query: unknown, viewer: Viewer): Promise<{ models: HubSummary[] }> {
    const filters = parseInput(HubQuerySchema, query, 'hub query');
    const [models, counts] = await Promise.all([this.registry.listModels(), this.store.allCounts()]);
    const visible = models.filter((m) => canSee(m, viewer.principal, viewer.authenticated));
    const found = visible
      .map((m) => summary(m, counts.get(m.name) ?? NO_COUNTS))
      .filter((s) => matchesQuery(s, filters));
    return { models: found.sort((a, b) => b.stars - a.stars || a.name.localeCompare(b.name)) };
  }

  /** The model page: card, versions with lineage and signature, counts, discussion. */
  async page(name: string, viewer: Viewer) {
    const model = await this.visibleModel(name, viewer);
    const [versions, counts, posts] = await Promise.all([
      this.registry.listVersions(model.name),
      this.store.counts(model.name),
      this.store.posts(model.name),
    ]);
    const card = cardView(model.model_card);
    const viewerName = viewer.principal?.subject;
    return {
      ...summary(model, counts),
      tags: model.tags,
      card_tags: card.tags,
      aliases: model.aliases,
      framework: model.framework,
      created_at: model.created_at,
      metadata: card.metadata,
      card_html: card.body.trim() === '' ? '' : renderMarkdown(card.body),
      has_card: model.model_card.trim() !== '',
      starred: viewerName !== undefined && counts.starred_by.includes(viewerName),
      versions: versions
        .sort((a, b) => b.version - a.version)
        .map((v) => ({
          version: v.version,
          state: v.state,
          format: v.format,
          size_bytes: Number(v.size_bytes),
          sha256: v.sha256,
          aliases: v.aliases,
          created_at: v.created_at,
          tags: v.tags,
          lineage: v.lineage,
          signature: v.signature,
          downloads: counts.downloads[String(v.version)] ?? 0,
        })),
      posts: posts.map(postView),
    };
  }

  async star(request: unknown, viewer: Viewer): Promise<{ model: string; stars: number; starred: boolean }> {
    const { model, starred, by } = parseInput(StarSchema, request, 'star');
    await this.visibleModel(model, viewer);
    const who = actor(viewer, by);
    const counts = await this.store.updateCounts(model, (c) => ({
      ...c,
      starred_by: starred
        ? c.starred_by.includes(who)
          ? c.starred_by
          : [...c.starred_by, who]
        : c.starred_by.filter((s) => s !== who),
    }));
    return { model, stars: counts.starred_by.length, starred: counts.starred_by.includes(who) };
  }

  async post(request: unknown, viewer: Viewer): Promise<PostView> {
    const { model, text, by } = parseInput(PostSchema, request, 'post');
    await this.visibleModel(model, viewer);
    const now = new Date();
    // Ids sort by time: milliseconds in base 36 (fixed width until 2059), then a random tail.
    const id = `${now.getTime().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
    const post = { id, model, author: actor(viewer, by), time: now.toISOString(), text };
    await this.store.addPost(post);
    return postView(post);
  }

  /** The artifact streamed from the registry; the download counts once every byte has gone out. */
  async download(params: unknown, viewer: Viewer): Promise<ArtifactDownload> {
    const { model, version } = parseInput(HubVersionSchema, params, 'download');
    await this.visibleModel(model, viewer);
    const record = await this.registry.getVersion(model, version);
    const stream = this.registry.downloadVersion(model, version);
    const counted = async function* (this: HubService): AsyncIterable<Buffer> {
      for await (const message of stream) if (message.chunk.length > 0) yield message.chunk;
      await this.store.updateCounts(model, (c) => ({
        ...c,
        downloads: { ...c.downloads, [version]: (c.downloads[version] ?? 0) + 1 },
      }));
    }.call(this);
    return {
      filename: `${model}-v${record.version}.${isTarFormat(record.format) ? 'tar' : 'onnx'}`,
      size_bytes: Number(record.size_bytes),
      sha256: record.sha256,
      chunks: counted,
    };
  }

  /** One prediction through inference's ModelInfer, with the visitor's token (`authorization`). */
  async tryIt(request: unknown, viewer: Viewer, authorization: string | undefined) {
    const { model, version, inputs } = parseInput(TryRequestSchema, request, 'try request');
    await this.visibleModel(model, viewer);
    const response = await this.inference.modelInfer(toInferRequest(model, version, inputs), authorization);
    return fromInferResponse(response);
  }

  private async ifPublic(model: string, announce: () => void): Promise<void> {
    try {
      if (visibilityOf((await this.registry.getModel(model)).tags) === 'public') announce();
    } catch (err) {
      this.logger.warn(
        `not announcing a hub change of ${model}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** The model, or NOT_FOUND when it does not exist or is not for this viewer (no probing). */
  private async visibleModel(name: string, viewer: Viewer): Promise<registryv1.Model__Output> {
    const { model } = parseInput(HubModelSchema, { model: name }, 'model');
    const found = await this.registry.getModel(model);
    if (!canSee(found, viewer.principal, viewer.authenticated))
      throw new NotFoundError(`no model "${model}" in the hub for you`);
    return found;
  }
}

function summary(m: registryv1.Model__Output, counts: HubCounts): HubSummary {
  const card = cardView(m.model_card);
  const family =
    m.tags['aimass.family'] ??
    card.tags.find((t) => FAMILIES.includes(t)) ??
    m.framework.replace(/^aimass-/, '');
  return {
    name: m.name,
    description: m.description,
    owner: m.owner,
    family,
    license: card.license,
    intended_use: card.intended_use,
    tags: card.tags,
    latest_version: m.latest_version,
    updated_at: m.updated_at,
    visibility: visibilityOf(m.tags),
    stars: counts.starred_by.length,
    downloads: totalDownloads(counts),
  };
}

/** The platform's model families, as cards generated by the trainer tag them. */
const FAMILIES = ['ae', 'vae', 'gan', 'gmm'];

function postView(post: PostView | Omit<PostView, 'html'>): PostView {
  return { ...post, html: renderMarkdown(post.text) };
}

/** With authentication on, the token's subject; with it off, the name given, else anonymous. */
function actor(viewer: Viewer, by: string): string {
  if (viewer.authenticated && viewer.principal !== undefined) return viewer.principal.subject;
  return by === '' ? 'anonymous' : by;
}
