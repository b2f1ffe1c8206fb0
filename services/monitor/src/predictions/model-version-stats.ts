/** What the monitor observed about one model version (the JSON and gRPC answers share it). */
export interface ModelVersionStats {
  readonly model: string;
  readonly version: string;
  readonly requests: number;
  readonly failures: number;
  readonly latency_mean_ms: number;
  readonly latency_p50_ms: number;
  readonly latency_p99_ms: number;
  /** window_end of the latest summary that mentioned this version. */
  readonly last_seen: string;
}
