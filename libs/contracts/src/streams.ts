import { subjects } from './subjects.js';

/** JetStream streams and KV buckets of the mesh. Provisioning is idempotent (libs/nats). */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'limits' | 'workqueue';
  /** Seconds; 0 keeps forever. */
  readonly maxAgeSeconds: number;
  /** Window in which a repeated Nats-Msg-Id is dropped. */
  readonly duplicateWindowSeconds: number;
}

export const STREAMS = {
  events: {
    name: 'AIMASS_EVENTS',
    subjects: [subjects.allEvents],
    retention: 'limits',
    maxAgeSeconds: 30 * 86400,
    duplicateWindowSeconds: 120,
  },
  jobs: {
    name: 'AIMASS_JOBS',
    subjects: [subjects.allJobs],
    retention: 'workqueue',
    maxAgeSeconds: 0,
    duplicateWindowSeconds: 120,
  },
  audit: {
    name: 'AIMASS_AUDIT',
    subjects: [subjects.allAudit],
    retention: 'limits',
    maxAgeSeconds: 0,
    duplicateWindowSeconds: 120,
  },
  predictions: {
    name: 'AIMASS_PREDICTIONS',
    subjects: [subjects.allPredictions],
    retention: 'limits',
    maxAgeSeconds: 86400,
    duplicateWindowSeconds: 120,
  },
} as const satisfies Record<string, StreamSpec>;

/**
 * The durable pull consumer a trainer pool's nodes share on AIMASS_JOBS. Autoscalers watch its
 * pending count (deploy/k8s: KEDA's nats-jetstream scaler), so the name is part of the layout.
 */
export function trainerPoolConsumer(pool: string): string {
  return `trainer-${pool}`;
}

export const KV_BUCKETS = {
  /** Registry metadata: models, versions, aliases. Written only by the registry, with CAS. */
  registry: { name: 'aimass_registry', history: 5 },
  /** Trainer job records (`jobs.<job_id>`): state, epoch, result. Written by trainer nodes with CAS. */
  trainerJobs: { name: 'aimass_trainer_jobs', history: 5 },
  /** Tuner studies (`studies.<study_id>`, trials inside): written by the tuner with CAS. */
  tunerStudies: { name: 'aimass_tuner_studies', history: 5 },
  /** The console's hub: stars and download counts (`counts.<model>`), discussion posts
   * (`posts.<model>.<id>`). Written only by the monitor, counts with CAS. */
  hub: { name: 'aimass_hub', history: 1 },
} as const;
