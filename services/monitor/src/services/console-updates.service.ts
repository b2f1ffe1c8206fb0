import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { AlertRecord } from '../alerts/alert-log.js';
import type { SilenceRecord } from '../alerts/silences.js';
import type { ConsoleUpdate, HubCountsUpdate } from '../console/console-update.js';
import type { PostView } from '../hub/hub-records.js';
import type { PredictionPoint } from '../console/prediction-series.js';
import type { EpochUpdate, RunSummary } from '../console/training-runs.js';
import type { TrainerNodeView } from '../console/trainer-nodes.js';

const FLUSH_MS = 250;

/**
 * The live feed of open consoles: the console services report changes here; every FLUSH_MS, what
 * changed goes out as one ConsoleUpdate to every subscriber (the SSE endpoint).
 */
@Injectable()
export class ConsoleUpdatesService implements OnModuleDestroy {
  private readonly updates = new Subject<ConsoleUpdate>();
  private epochs: EpochUpdate[] = [];
  private runs = new Map<string, RunSummary>();
  private predictions: ConsoleUpdate['predictions'][number][] = [];
  private nodes = new Map<string, TrainerNodeView>();
  private alerts = new Map<string, AlertRecord>();
  private silences: SilenceRecord[] = [];
  private data = new Map<string, { model: string; version: string }>();
  private studies = new Set<string>();
  private posts: PostView[] = [];
  private hub = new Map<string, HubCountsUpdate>();
  private timer: NodeJS.Timeout | undefined;

  epoch(update: EpochUpdate): void {
    this.epochs.push(update);
    this.schedule();
  }

  run(summary: RunSummary): void {
    this.runs.set(summary.job_id, summary);
    this.schedule();
  }

  prediction(model: string, version: string, point: PredictionPoint): void {
    this.predictions.push({ model, version, point });
    this.schedule();
  }

  node(node: TrainerNodeView): void {
    this.nodes.set(node.node_id, node);
    this.schedule();
  }

  alert(record: AlertRecord): void {
    this.alerts.set(record.id, record);
    this.schedule();
  }

  silence(record: SilenceRecord): void {
    this.silences.push(record);
    this.schedule();
  }

  dataWindow(model: string, version: string): void {
    this.data.set(JSON.stringify([model, version]), { model, version });
    this.schedule();
  }

  study(studyId: string): void {
    this.studies.add(studyId);
    this.schedule();
  }

  post(view: PostView): void {
    this.posts.push(view);
    this.schedule();
  }

  hubCounts(update: HubCountsUpdate): void {
    this.hub.set(update.model, update);
    this.schedule();
  }

  /** Every update from now on; nothing is kept for late subscribers (they read the API first). */
  stream(): Observable<ConsoleUpdate> {
    return this.updates.asObservable();
  }

  onModuleDestroy(): void {
    clearTimeout(this.timer);
    this.updates.complete();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const update: ConsoleUpdate = {
      epochs: this.epochs,
      runs: [...this.runs.values()],
      predictions: this.predictions,
      nodes: [...this.nodes.values()],
      alerts: [...this.alerts.values()],
      silences: this.silences,
      data: [...this.data.values()],
      studies: [...this.studies],
      posts: this.posts,
      hub: [...this.hub.values()],
    };
    this.epochs = [];
    this.runs = new Map();
    this.predictions = [];
    this.nodes = new Map();
    this.alerts = new Map();
    this.silences = [];
    this.data = new Map();
    this.studies = new Set();
    this.posts = [];
    this.hub = new Map();
    if (this.updates.observed) this.updates.next(update);
  }
}
