/** An alert as ListAlerts returns it. */
export interface AlertRecord {
  readonly id: string;
  readonly type: string;
  readonly model: string;
  readonly version: string;
  readonly time: string;
  readonly summary: string;
  readonly details_json: string;
  readonly acknowledged: boolean;
  readonly acknowledged_by: string;
  readonly acknowledged_at: string;
  readonly acknowledged_note: string;
  /** Raised while a silence covered it: listed, not published on NATS. */
  readonly silenced: boolean;
  readonly silence_id: string;
}

/** The most recent alerts, newest first, bounded. */
export class AlertLog {
  private readonly records: AlertRecord[] = [];
  /** Every id ever added, also those the capacity dropped from the list. */
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** Adds the alert unless one with its id is there already; false when it was. */
  add(record: AlertRecord): boolean {
    if (this.ids.has(record.id)) return false;
    this.ids.add(record.id);
    this.records.unshift(record);
    if (this.records.length > this.capacity) this.records.length = this.capacity;
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get(id: string): AlertRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** Replaces the listed record of the same id (its acknowledgement changed). */
  update(record: AlertRecord): void {
    const i = this.records.findIndex((r) => r.id === record.id);
    if (i >= 0) this.records[i] = record;
  }

  list(model: string, limit: number): AlertRecord[] {
    return this.records.filter((r) => model === '' || r.model === model).slice(0, limit);
  }
}
