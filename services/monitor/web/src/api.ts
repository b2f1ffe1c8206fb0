// The console's view of the monitor's JSON API (controllers/console.http.controller.ts). The shapes
// are the server's own types, imported as types only.
import type { AlertRecord } from '../../src/alerts/alert-log.js';
import type { SilenceRecord } from '../../src/alerts/silences.js';
import type { ConsoleUpdate, HubCountsUpdate } from '../../src/console/console-update.js';
import type { PredictionPoint, VersionSeries } from '../../src/console/prediction-series.js';
import type { RunCurve, RunDetail, RunSummary } from '../../src/console/training-runs.js';
import type { TrainerNodeView } from '../../src/console/trainer-nodes.js';
import type { ServiceProbe } from '../../src/repositories/mesh-health.repository.js';
import type { FeatureLiveView } from '../../src/drift/data-history.js';
import type { FeatureReference, VersionLive } from '../../src/services/data-console.service.js';
import type { ModelRow, VersionRow } from '../../src/services/models-console.service.js';
import type { HubSummary } from '../../src/hub/hub-entry.js';
import type { PostView } from '../../src/hub/hub-records.js';
import type { JsonTensor } from '../../src/hub/try-request.js';
import type { HubService } from '../../src/services/hub.service.js';
import type {
  ImportanceView,
  ParallelAxis,
  ParallelLine,
  StudyDetail,
  StudyRow,
} from '../../src/console/study-view.js';

export type HubPage = Awaited<ReturnType<HubService['page']>>;
export type HubVersion = HubPage['versions'][number];

export type {
  AlertRecord,
  HubSummary,
  JsonTensor,
  PostView,
  ConsoleUpdate,
  HubCountsUpdate,
  FeatureLiveView,
  FeatureReference,
  ImportanceView,
  ModelRow,
  ParallelAxis,
  ParallelLine,
  PredictionPoint,
  RunCurve,
  RunDetail,
  RunSummary,
  ServiceProbe,
  SilenceRecord,
  StudyDetail,
  StudyRow,
  TrainerNodeView,
  VersionLive,
  VersionRow,
  VersionSeries,
};

export interface ModelDetail {
  name: string;
  description: string;
  model_card: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  versions: VersionRow[];
}

export interface ReferenceStatistics {
  model: string;
  version: string;
  sample_count: number;
  computed_at: string;
  features: FeatureReference[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(response.status, body.error ?? `${path} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

/** Where the console keeps the bearer token its writes send, for this tab only (sessionStorage). */
export const TOKEN_KEY = 'aimass.console.token';

/** The Authorization header of the token field, when one is set. */
export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A write: with authentication on, the monitor wants a token with models:write on the model. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return getJson<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify(body),
  });
}

const hubPath = (model: string) => `/api/console/hub/${encodeURIComponent(model)}`;

export const api = {
  models: () => getJson<{ models: ModelRow[] }>('/api/console/models'),
  model: (name: string) => getJson<ModelDetail>(`/api/console/models/${encodeURIComponent(name)}`),
  modelSeries: (name: string, points = 600) =>
    getJson<{ versions: VersionSeries[] }>(
      `/api/console/models/${encodeURIComponent(name)}/series?points=${points}`,
    ),
  runs: () => getJson<{ runs: RunSummary[] }>('/api/console/training/runs'),
  run: (job: string) => getJson<RunDetail>(`/api/console/training/runs/${encodeURIComponent(job)}`),
  curves: (jobs: readonly string[], points = 400) =>
    getJson<{ runs: { job_id: string; curves: RunCurve[] }[] }>(
      `/api/console/training/curves?jobs=${jobs.map(encodeURIComponent).join(',')}&points=${points}`,
    ),
  reference: (model: string, version: string) =>
    getJson<ReferenceStatistics>(
      `/api/console/data/${encodeURIComponent(model)}/${encodeURIComponent(version)}`,
    ),
  live: (model: string, version: string, points = 600) =>
    getJson<VersionLive>(
      `/api/console/data/${encodeURIComponent(model)}/${encodeURIComponent(version)}/live?points=${points}`,
    ),
  alerts: (model = '', limit = 200) =>
    getJson<{ alerts: AlertRecord[] }>(
      `/api/console/alerts?model=${encodeURIComponent(model)}&limit=${limit}`,
    ),
  acknowledge: (id: string, by: string, note: string) =>
    postJson<AlertRecord>(`/api/console/alerts/${encodeURIComponent(id)}/acknowledge`, { by, note }),
  silences: (includeExpired = false) =>
    getJson<{ silences: SilenceRecord[] }>(`/api/console/silences?include_expired=${includeExpired}`),
  silence: (request: {
    model: string;
    version: string;
    type: string;
    duration_seconds: number;
    reason: string;
    by: string;
  }) => postJson<SilenceRecord>('/api/console/silences', request),
  studies: () => getJson<{ studies: StudyRow[] }>('/api/console/studies'),
  study: (id: string, points = 600) =>
    getJson<StudyDetail>(`/api/console/studies/${encodeURIComponent(id)}?points=${points}`),
  hub: (query: Record<string, string>) =>
    getJson<{ models: HubSummary[] }>(`/api/console/hub?${new URLSearchParams(query).toString()}`, {
      headers: authHeaders(),
    }),
  hubPage: (model: string) => getJson<HubPage>(hubPath(model), { headers: authHeaders() }),
  downloadUrl: (model: string, version: number) => `${hubPath(model)}/versions/${version}/download`,
  star: (model: string, starred: boolean, by: string) =>
    postJson<{ model: string; stars: number; starred: boolean }>(`${hubPath(model)}/star`, { starred, by }),
  post: (model: string, text: string, by: string) =>
    postJson<PostView>(`${hubPath(model)}/posts`, { text, by }),
  tryIt: (model: string, version: string, inputs: JsonTensor[]) =>
    postJson<{ model_name: string; model_version: string; outputs: JsonTensor[] }>(`${hubPath(model)}/try`, {
      version,
      inputs,
    }),
  mesh: () => getJson<{ services: ServiceProbe[]; nodes: TrainerNodeView[] }>('/api/console/mesh'),
};
