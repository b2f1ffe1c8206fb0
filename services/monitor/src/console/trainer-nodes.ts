import type { EventData } from '@aimass/contracts';

/** A trainer node as the Mesh view shows it: its latest beat and when it came. */
export interface TrainerNodeView {
  readonly node_id: string;
  readonly pool: string;
  readonly backend: string;
  readonly adapter: string;
  readonly active_jobs: number;
  readonly concurrency: number;
  readonly load: number;
  readonly last_beat: string;
  /** No beat for STALE_AFTER_MS: the node is gone or stuck. */
  readonly stale: boolean;
}

/** Trainer nodes beat every few seconds; three missed beats make a node stale. */
export const STALE_AFTER_MS = 15_000;

/** The trainer nodes seen beating, by id. */
export class TrainerNodes {
  private readonly nodes = new Map<string, { beat: EventData<'trainer.node.heartbeat'>; at: string }>();

  beat(beat: EventData<'trainer.node.heartbeat'>, time: string): TrainerNodeView {
    this.nodes.set(beat.node_id, { beat, at: time });
    return view(beat, time, Date.now());
  }

  list(now = Date.now()): TrainerNodeView[] {
    return [...this.nodes.values()]
      .map(({ beat, at }) => view(beat, at, now))
      .sort((a, b) => a.pool.localeCompare(b.pool) || a.node_id.localeCompare(b.node_id));
  }
}

function view(beat: EventData<'trainer.node.heartbeat'>, at: string, now: number): TrainerNodeView {
  return {
    node_id: beat.node_id,
    pool: beat.pool,
    backend: beat.backend,
    adapter: beat.adapter ?? '',
    active_jobs: beat.active_jobs,
    concurrency: beat.concurrency,
    load: beat.load,
    last_beat: at,
    stale: now - Date.parse(at) > STALE_AFTER_MS,
  };
}
