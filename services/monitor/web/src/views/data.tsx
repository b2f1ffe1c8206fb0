import { api, ApiError, type FeatureReference } from '../api.js';
import { Chart } from '../chart.js';
import { num, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, type Route } from '../router.js';

/**
 * Data: per feature, the reference histogram stored with a model version. Drift scores and alerts
 * come from GET /api/drift/:model/:version when the monitor serves it (the drift work).
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

function VersionData({ model, version }: { model: string; version: string }) {
  const reference = useLoad(() => api.reference(model, version), [model, version]);
  const drift = useLoad(
    () =>
      api
        .drift(model, version)
        .catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err))),
    [model, version],
  );
  const r = reference.value;
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
      <div class="drift" data-testid="drift">
        {drift.value === null && (
          <p class="dim">
            No drift scores from this monitor yet (GET /api/drift/{model}/{version}).
          </p>
        )}
        {drift.value && (
          <>
            <Chart
              title="drift scores (PSI) over time"
              time
              lines={drift.value.features.map((f) => ({
                label: f.name,
                x: f.scores.map((s) => Date.parse(s.time)),
                y: f.scores.map((s) => s.psi ?? null),
              }))}
            />
            <ul class="alerts">
              {drift.value.alerts.map((a) => (
                <li>
                  <span class="badge failed">{a.kind}</span> {time(a.time)} {a.feature} {a.message}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <div class="features" data-testid="features">
        {r?.features.map((f) => (
          <Feature feature={f} />
        ))}
      </div>
    </section>
  );
}

function Feature({ feature: f }: { feature: FeatureReference }) {
  const { edges, counts } = f.histogram;
  const centres = counts.map((_, i) => ((edges[i] ?? 0) + (edges[i + 1] ?? edges[i] ?? 0)) / 2);
  return (
    <div class="feature" data-feature={f.name}>
      <Chart title={f.name} bars height={150} lines={[{ label: 'reference', x: centres, y: counts }]} />
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
      </dl>
    </div>
  );
}
