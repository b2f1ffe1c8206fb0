/** An alert as ListAlerts returns it. */
export interface AlertRecord {
  readonly id: string;
  readonly type: string;
  readonly model: string;
  readonly version: string;
  readonly time: string;
  readonly summary: string;
  readonly details_json: string;
}

/** The most recent alerts, newest first, bounded. */
export class AlertLog {
  private readonly records: AlertRecord[] = [];

  constructor(private readonly capacity = 10_000) {}

  add(record: AlertRecord): void {
    this.records.unshift(record);
    if (this.records.length > this.capacity) this.records.length = this.capacity;
  }

  list(model: string, limit: number): AlertRecord[] {
    return this.records.filter((r) => model === '' || r.model === model).slice(0, limit);
  }
}
