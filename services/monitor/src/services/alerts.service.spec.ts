import type { Envelope, EventData } from '@aimass/contracts';
import { InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { alertId } from '../alerts/alert-record.js';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { AlertHistoryRepository } from '../repositories/alert-history.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { AlertsService } from './alerts.service.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

const NOW = new Date('2025-01-01T12:00:00.000Z');

function anomaly(windowEnd: string, model = 'fraud', version = '2'): EventData<'monitor.alert.anomaly'> {
  const start = new Date(Date.parse(windowEnd) - 10_000).toISOString();
  return {
    alert_id: alertId('monitor.alert.anomaly', model, version, start, windowEnd),
    model,
    version,
    detector: 'fraud-gmm@3',
    detector_threshold: 7.25,
    window_start: start,
    window_end: windowEnd,
    scored_rows: 1000,
    anomalous_rows: 200,
    observed_rate: 0.2,
    expected_rate: 0.01,
    p_value: 1e-30,
    significance: 0.01,
  };
}

function setup(stored: Envelope[] = []) {
  const published: { type: string; data: unknown }[] = [];
  const events = strictMock<AlertEventsRepository>(
    {
      anomaly: vi.fn(async (data) => void published.push({ type: 'monitor.alert.anomaly', data })),
      acknowledged: vi.fn(async (data) => void published.push({ type: 'monitor.alert.acknowledged', data })),
      silenced: vi.fn(async (data) => void published.push({ type: 'monitor.silence.created', data })),
    },
    'AlertEventsRepository',
  );
  const history = strictMock<AlertHistoryRepository>(
    {
      read: async function* () {
        yield* stored;
      },
    },
    'AlertHistoryRepository',
  );
  const metrics = strictMock<MetricsRepository>({ recordAlert: vi.fn() }, 'MetricsRepository');
  const service = new AlertsService(history, events, metrics, new ConsoleUpdatesService());
  const raise = (a: EventData<'monitor.alert.anomaly'>) =>
    service.raise('monitor.alert.anomaly', a, (x) => events.anomaly(x));
  return { service, published, raise };
}

/** What AIMASS_EVENTS would hold after `published`, as the history reads it back. */
function envelopes(published: { type: string; data: unknown }[]): Envelope[] {
  return published.map((p, i) => ({
    id: `e${i}`,
    type: p.type,
    source: 'monitor',
    subject: 'x',
    time: NOW.toISOString(),
    data: p.data,
  })) as unknown as Envelope[];
}

describe('AlertsService: acknowledge and silence', () => {
  it('acknowledges an alert: published with its context, shown by ListAlerts', async () => {
    const { service, published, raise } = setup();
    const a = anomaly('2025-01-01T11:00:00.000Z');
    await raise(a);
    const acked = await service.acknowledge({ id: a.alert_id, by: 'ana', note: 'looking' }, NOW);
    expect(acked).toMatchObject({
      id: a.alert_id,
      acknowledged: true,
      acknowledged_by: 'ana',
      acknowledged_note: 'looking',
    });
    expect(published[1]).toEqual({
      type: 'monitor.alert.acknowledged',
      data: {
        alert_id: a.alert_id,
        model: 'fraud',
        version: '2',
        alert_type: 'monitor.alert.anomaly',
        by: 'ana',
        note: 'looking',
        at: NOW.toISOString(),
      },
    });
    expect(service.listAlerts({}).alerts[0]).toMatchObject({
      acknowledged: true,
      acknowledged_at: NOW.toISOString(),
    });
  });

  it('lists but does not publish an alert whose window a silence covers; other models and later windows are published', async () => {
    const { service, published, raise } = setup();
    const silence = await service.silence(
      { model: 'fraud', duration_seconds: 3600, reason: 'retraining', by: 'ana' },
      NOW,
    );
    expect(silence).toMatchObject({
      model: 'fraud',
      version: '',
      type: '',
      active: true,
      ends_at: '2025-01-01T13:00:00.000Z',
    });
    await raise(anomaly('2025-01-01T12:30:00.000Z'));
    await raise(anomaly('2025-01-01T12:30:00.000Z', 'churn'));
    await raise(anomaly('2025-01-01T13:30:00.000Z'));
    expect(published.map((p) => p.type)).toEqual([
      'monitor.silence.created',
      'monitor.alert.anomaly',
      'monitor.alert.anomaly',
    ]);
    expect(published.slice(1).map((p) => (p.data as { window_end: string; model: string }).model)).toEqual([
      'churn',
      'fraud',
    ]);
    const listed = service.listAlerts({}).alerts;
    expect(listed).toHaveLength(3);
    expect(listed.map((a) => [a.model, a.time, a.silenced, a.silence_id])).toEqual([
      ['fraud', '2025-01-01T13:30:00.000Z', false, ''],
      ['churn', '2025-01-01T12:30:00.000Z', false, ''],
      ['fraud', '2025-01-01T12:30:00.000Z', true, silence.id],
    ]);
    expect(service.listSilences({}, NOW).silences.map((s) => s.id)).toEqual([silence.id]);
    // After it ends it is listed only when asked for expired ones.
    const later = new Date('2025-01-01T14:00:00.000Z');
    expect(service.listSilences({}, later).silences).toEqual([]);
    expect(service.listSilences({ include_expired: true }, later).silences).toMatchObject([
      { id: silence.id, active: false },
    ]);
  });

  it('a silence of one version and one type leaves the others alone', async () => {
    const { service, published, raise } = setup();
    await service.silence(
      {
        model: 'fraud',
        version: '3',
        type: 'monitor.alert.anomaly',
        duration_seconds: 3600,
        reason: 'r',
        by: 'b',
      },
      NOW,
    );
    await raise(anomaly('2025-01-01T12:30:00.000Z', 'fraud', '2'));
    await raise(anomaly('2025-01-01T12:30:00.000Z', 'fraud', '3'));
    expect(published.filter((p) => p.type === 'monitor.alert.anomaly')).toHaveLength(1);
  });

  it('after a restart: alerts, acknowledgements and silences come back from the stored events, and the replay keeps a silenced alert off NATS', async () => {
    const first = setup();
    const shown = anomaly('2025-01-01T11:00:00.000Z');
    const silenced = anomaly('2025-01-01T12:30:00.000Z');
    await first.raise(shown);
    await first.service.acknowledge({ id: shown.alert_id, by: 'ana' }, NOW);
    await first.service.silence({ model: 'fraud', duration_seconds: 3600, reason: 'r', by: 'b' }, NOW);
    await first.raise(silenced);
    await first.service.acknowledge({ id: silenced.alert_id, by: 'bo', note: 'known' }, NOW);

    const second = setup(envelopes(first.published));
    expect(await second.service.restore()).toBe(1);
    expect(second.service.listAlerts({}).alerts).toMatchObject([
      { id: shown.alert_id, acknowledged: true, acknowledged_by: 'ana' },
    ]);
    expect(second.service.listSilences({}, NOW).silences).toHaveLength(1);
    // The replayed stream closes both windows again: the first was raised before, the second is
    // silenced (by its window's time, though the clock may be past the silence by now).
    await second.raise(shown);
    await second.raise(silenced);
    expect(second.published).toEqual([]);
    expect(second.service.listAlerts({}).alerts).toMatchObject([
      {
        id: silenced.alert_id,
        silenced: true,
        acknowledged: true,
        acknowledged_by: 'bo',
        acknowledged_note: 'known',
      },
      { id: shown.alert_id, silenced: false },
    ]);
  });

  it('refuses to acknowledge an alert it does not know with NOT_FOUND', async () => {
    const { service } = setup();
    await expect(service.acknowledge({ id: 'nope', by: 'ana' })).rejects.toThrow(NotFoundError);
    await expect(service.acknowledge({ id: 'nope', by: 'ana' })).rejects.toThrow('no alert with id nope');
  });

  it.each([
    [{ by: 'ana' }, 'id'],
    [{ id: 'x', by: '' }, 'by'],
    [{ id: 'x', by: ' ' }, 'by'],
    [{ id: 'x', by: 'ana', note: 'n'.repeat(2001) }, 'note'],
  ])('refuses AcknowledgeAlert %j naming %s', async (request, field) => {
    const { service } = setup();
    const err = await service.acknowledge(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(field);
  });

  const ok = { model: 'fraud', duration_seconds: 60, reason: 'r', by: 'b' };
  it.each([
    [{ ...ok, duration_seconds: 0 }, 'duration_seconds must be more than 0'],
    [{ ...ok, duration_seconds: -5 }, 'duration_seconds must be more than 0'],
    [{ ...ok, duration_seconds: 31 * 24 * 3600 }, 'duration_seconds is at most'],
    [{ ...ok, duration_seconds: 1.5 }, 'duration_seconds must be a whole number'],
    [{ ...ok, duration_seconds: undefined }, 'duration_seconds'],
    [{ ...ok, model: '' }, 'model is required'],
    [{ ...ok, version: 'v2' }, 'version must be a version number'],
    [{ ...ok, type: 'monitor.alert.latency' }, 'type must be'],
    [{ ...ok, reason: '' }, 'reason is required'],
    [{ ...ok, by: '' }, 'by is required'],
  ])('refuses SilenceAlerts %j: %s', async (request, message) => {
    const { service, published } = setup();
    const err = await service.silence(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(message);
    expect(published).toEqual([]);
  });
});
