/** What the hub keeps per model in NATS KV (`counts.<model>`). */
export interface HubCounts {
  /** Who starred the model (token subjects, or the names people gave with authentication off). */
  readonly starred_by: readonly string[];
  /** Downloads per version number. */
  readonly downloads: Readonly<Record<string, number>>;
}

export const NO_COUNTS: HubCounts = { starred_by: [], downloads: {} };

/** One post of a model's discussion (`posts.<model>.<id>`); ids sort by time. */
export interface PostRecord {
  readonly id: string;
  readonly model: string;
  readonly author: string;
  readonly time: string;
  /** Markdown as written. */
  readonly text: string;
}

/** A post as the console shows it: its markdown rendered (safely) on the server. */
export interface PostView extends PostRecord {
  readonly html: string;
}

export function totalDownloads(counts: HubCounts): number {
  return Object.values(counts.downloads).reduce((n, d) => n + d, 0);
}
