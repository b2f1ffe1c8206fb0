import { api, type AlertRecord, type FeatureLiveView, type FeatureReference } from '../api.js';
import { Chart, lineColor } from '../chart.js';
import { num, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';
import { href, type Route } from '../router.js';
import { AlertsPanel, SilencesPanel } from './alerts.js';

/**
 * Data: per feature, the reference histogram stored with a model version against the live one of
 * the latest drift window, the drift scores and the anomaly rate over time, with the version's
 * alerts marked on the same time axis (GET /api/console/data/:model/:version and …/live).
 */
export function DataView({ route }: { route: Route }) {
  const [model, version] = route.parts;
  return model && version ? <VersionData model={model} version={version} /> : <Picker />;
}

function Picker() {
  const models = useLoad(() => api.models(), []);
  return (
    <section class="panel">
      <h2>Data</h2>
      <p class="dim">Pick a model version with reference statistics.</p>
      <ul class="picker" data-testid="data-picker">
        {models.value?.models.map((m) => (
          <li>
            <strong>{m.name}</strong>{' '}
            {Array.from({ length: m.latest_version }, (_, i) => m.latest_version - i).map((v) => (
              <a class="pill" href={href('data', [m.name, String(v)])}>
                v{v}
              </a>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

const ALERT_COLOR = { 'monitor.alert.drift': '#c0392b', 'monitor.alert.anomaly': '#8e44ad' } as const;

function marksOf(alerts: readonly AlertRecord[], type?: string) {
  return alerts
    .filter((a) => type === undefined || a.type === type)
    .map((a) => ({
      x: Date.parse(a.time),
      color: ALERT_COLOR[a.type as keyof typeof ALERT_COLOR] ?? '#c0392b',
    }));
}

function VersionData({ model, version }: { model: string; version: string }) {
  const reference = useLoad(() => api.reference(model, version), [model, version]);
  const live = useLoad(() => api.live(model, version), [model, version]);
  useLive(
    (u) => {
      if (u.data.some((d) => d.model === model && d.version === version) || u.alerts.length > 0)
        live.reload();
    },
    [model, version, live.reload],
  );
  const r = reference.value;
  const l = live.value;
  const marks = marksOf(l?.alerts ?? []);
  return (
    <section class="panel">
      <p>
        <a href={href('data')}>← data</a>
      </p>
      <h2>
        {model} <span class="dim">v{version}</span>
      </h2>
      {reference.error && <p class="error">{reference.error}</p>}
      {r && (
        <p class="dim" data-testid="reference-summary">
          reference: {num(r.sample_count)} rows, {r.features.length} features, computed {time(r.computed_at)}
        </p>
      )}
      {live.error && <p class="error">{live.error}</p>}
      {l && (
        <p class="dim" data-testid="live-summary">
          live: <span data-testid="drift-windows">{l.drift_windows}</span> drift windows,{' '}
          <span data-testid="anomaly-windows">{l.anomaly_windows}</span> anomaly windows,{' '}
          <span data-testid="alert-count">{l.alerts.length}</span> alerts
          {l.features[0]?.live && (
            <>
              , latest window {num(l.features[0].live.rows)} rows, ended {time(l.features[0].live.window_end)}
            </>
          )}
        </p>
      )}
      {l && l.drift_windows === 0 && (
        <p class="dim">
          No drift window closed yet for this version (no traffic, or no reference statistics).
        </p>
      )}
      {l && l.drift_windows > 0 && (
        <div class="drift" data-testid="drift">
          <Chart
            title="drift: PSI per feature, alerts marked"
            time
            testId="psi-chart"
            marks={marks}
            lines={l.features.map((f) => ({ label: f.name, x: f.psi.x, y: f.psi.y }))}
          />
          <Chart
            title="drift: −log10 KS p-value per feature"
            time
            testId="ks-chart"
            marks={marks}
            lines={l.features.map((f) => ({
              label: f.name,
              x: f.ks_p_value.x,
              y: f.ks_p_value.y.map((p) => (p === null ? null : -Math.log10(Math.max(p, 1e-300)))),
            }))}
          />
        </div>
      )}
      {l && l.anomaly_windows > 0 && (
        <Chart
          title="anomaly rate: observed against expected, alerts marked"
          time
          testId="anomaly-chart"
          marks={marks}
          lines={[
            { label: 'observed', x: l.anomaly_observed_rate.x, y: l.anomaly_observed_rate.y },
            { label: 'expected', x: l.anomaly_expected_rate.x, y: l.anomaly_expected_rate.y, dash: true },
          ]}
        />
      )}
      {r && (
        <p class="dim legend">
          Bars: the reference (<span style={{ color: lineColor(0) }}>■</span>) and the latest live window (
          <span style={{ color: lineColor(1) }}>■</span>), as shares of their rows.
        </p>
      )}
      <div class="features" data-testid="features">
        {r?.features.map((f) => (
          <Feature key={f.name} feature={f} live={l?.features.find((x) => x.name === f.name)} />
        ))}
      </div>
      <AlertsPanel model={model} version={version} />
      <SilencesPanel model={model} version={version} />
    </section>
  );
}

function Feature({ feature: f, live }: { feature: FeatureReference; live?: FeatureLiveView }) {
  const { edges, counts } = f.histogram;
  const centres = counts.map((_, i) => ((edges[i] ?? 0) + (edges[i + 1] ?? edges[i] ?? 0)) / 2);
  const refTotal = counts.reduce((a, b) => a + b, 0) || 1;
  const lines = [{ label: 'reference', x: centres, y: counts.map((c) => c / refTotal) }];
  const h = live?.live;
  if (h && h.counts.length === counts.length)
    lines.push({ label: 'live', x: centres, y: h.counts.map((c) => c / (h.rows || 1)) });
  const last = <T,>(s: { y: readonly (T | null)[] } | undefined) => s?.y[s.y.length - 1] ?? null;
  return (
    <div class="feature" data-feature={f.name}>
      <Chart title={`${f.name}: share of rows per bin`} bars height={150} lines={lines} />
      <dl>
        <dt>count</dt>
        <dd data-testid="feature-count">{num(f.count)}</dd>
        <dt>mean</dt>
        <dd data-testid="feature-mean">{num(f.mean)}</dd>
        <dt>std</dt>
        <dd>{num(f.stddev)}</dd>
        <dt>min … max</dt>
        <dd>
          {num(f.min)} … {num(f.max)}
        </dd>
        {h && (
          <>
            <dt>live rows</dt>
            <dd data-testid="feature-live-rows">
              {num(h.rows)}
              {h.below + h.above > 0 && (
                <span class="dim">
                  {' '}
                  ({num(h.below)} below, {num(h.above)} above)
                </span>
              )}
            </dd>
            <dt>PSI</dt>
            <dd data-testid="feature-psi">{num(last(live?.psi))}</dd>
            <dt>KS p</dt>
            <dd data-testid="feature-ks">{num(last(live?.ks_p_value))}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
