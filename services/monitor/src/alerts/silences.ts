import type { EventData } from '@aimass/contracts';

export type SilenceEvent = EventData<'monitor.silence.created'>;

/** A silence as ListSilences and the console show it. */
export interface SilenceRecord {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly type: string;
  readonly starts_at: string;
  readonly ends_at: string;
  readonly reason: string;
  readonly by: string;
  readonly active: boolean;
}

/**
 * The silences created so far. Whether one covers an alert is decided by the alert's window end, not
 * by the clock: the monitor replays the prediction stream at start, and an alert that a silence kept
 * off NATS then must stay off after the silence expired.
 */
export class Silences {
  private readonly silences: SilenceEvent[] = [];

  add(silence: SilenceEvent): boolean {
    if (this.silences.some((s) => s.silence_id === silence.silence_id)) return false;
    this.silences.unshift(silence);
    return true;
  }

  /** The silence in force at `time` for this alert, the one ending last when several are. */
  covering(type: string, model: string, version: string, time: string): SilenceEvent | undefined {
    const at = Date.parse(time);
    let found: SilenceEvent | undefined;
    for (const s of this.silences) {
      if (s.model !== model || (s.version !== '' && s.version !== version)) continue;
      if (s.alert_type !== '' && s.alert_type !== type) continue;
      if (at < Date.parse(s.starts_at) || at >= Date.parse(s.ends_at)) continue;
      if (!found || Date.parse(s.ends_at) > Date.parse(found.ends_at)) found = s;
    }
    return found;
  }

  list(model: string, includeExpired: boolean, now: Date): SilenceRecord[] {
    const t = now.getTime();
    return this.silences
      .filter((s) => model === '' || s.model === model)
      .map((s) => ({
        id: s.silence_id,
        model: s.model,
        version: s.version,
        type: s.alert_type,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        reason: s.reason,
        by: s.by,
        active: Date.parse(s.starts_at) <= t && t < Date.parse(s.ends_at),
      }))
      .filter((s) => includeExpired || s.active);
  }
}
