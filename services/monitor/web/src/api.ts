// The console's view of the monitor's JSON API (controllers/console.http.controller.ts). The shapes
// are the server's own types, imported as types only.
import type { ConsoleUpdate } from '../../src/console/console-update.js';
import type { PredictionPoint, VersionSeries } from '../../src/console/prediction-series.js';
import type { RunCurve, RunDetail, RunSummary } from '../../src/console/training-runs.js';
import type { TrainerNodeView } from '../../src/console/trainer-nodes.js';
import type { ServiceProbe } from '../../src/repositories/mesh-health.repository.js';
import type { FeatureReference } from '../../src/services/data-console.service.js';
import type { ModelRow, VersionRow } from '../../src/services/models-console.service.js';

export type {
  ConsoleUpdate,
  FeatureReference,
  ModelRow,
  PredictionPoint,
  RunCurve,
  RunDetail,
  RunSummary,
  ServiceProbe,
  TrainerNodeView,
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

/** What the drift work serves per model version (GET /api/drift/:model/:version), when it exists. */
export interface DriftReport {
  features: { name: string; scores: { time: string; psi?: number; ks?: number; wasserstein?: number }[] }[];
  alerts: { time: string; kind: string; feature?: string; message: string }[];
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

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(response.status, body.error ?? `${path} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

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
  drift: (model: string, version: string) =>
    getJson<DriftReport>(`/api/drift/${encodeURIComponent(model)}/${encodeURIComponent(version)}`),
  mesh: () => getJson<{ services: ServiceProbe[]; nodes: TrainerNodeView[] }>('/api/console/mesh'),
};
