import type { AlertRecord } from '../alerts/alert-log.js';
import type { SilenceRecord } from '../alerts/silences.js';
import type { PostView } from '../hub/hub-records.js';
import type { PredictionPoint } from './prediction-series.js';
import type { EpochUpdate, RunSummary } from './training-runs.js';
import type { TrainerNodeView } from './trainer-nodes.js';

/**
 * What one server-sent event tells open consoles: everything that changed since the previous one
 * (changes are gathered for a short interval, so a burst of events is one message, not thousands).
 */
export interface ConsoleUpdate {
  readonly epochs: readonly EpochUpdate[];
  /** Runs whose summary changed (state, epoch, result). */
  readonly runs: readonly RunSummary[];
  readonly predictions: readonly { model: string; version: string; point: PredictionPoint }[];
  readonly nodes: readonly TrainerNodeView[];
  /** Alerts raised, or acknowledged, since the previous update. */
  readonly alerts: readonly AlertRecord[];
  readonly silences: readonly SilenceRecord[];
  /** Versions whose drift or anomaly windows closed (the Data view reads them again). */
  readonly data: readonly { model: string; version: string }[];
  /** Studies whose trials changed (the Studies view reads them again). */
  readonly studies: readonly string[];
  /** Posts added to models' discussions. */
  readonly posts: readonly PostView[];
  /** Models whose stars or downloads changed, with the new totals. */
  readonly hub: readonly HubCountsUpdate[];
}

export interface HubCountsUpdate {
  readonly model: string;
  readonly stars: number;
  readonly downloads: number;
  /** Downloads per version number, so a model page's version rows follow too. */
  readonly version_downloads: Readonly<Record<string, number>>;
}
