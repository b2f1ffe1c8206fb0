import { useMemo, useState } from 'preact/hooks';
import { api, type VersionSeries } from '../api.js';
import { Chart, type Line } from '../chart.js';
import { bytes, ms, num, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';
import { href, type Route } from '../router.js';

/** Models: the registry's models; one model's card, versions, lineage and serving over time. */
export function ModelsView({ route }: { route: Route }) {
  const name = route.parts[0];
  return name ? <ModelDetailView name={name} /> : <ModelList />;
}

function ModelList() {
  const models = useLoad(() => api.models(), []);
  useLive((update) => update.predictions.length > 0 && models.reload(), []);
  return (
    <section class="panel">
      <h2>Models</h2>
      {models.error && <p class="error">{models.error}</p>}
      <table class="grid" data-testid="models">
        <thead>
          <tr>
            <th>model</th>
            <th>description</th>
            <th class="num">latest</th>
            <th>aliases</th>
            <th class="num">requests</th>
            <th class="num">failures</th>
            <th>updated</th>
          </tr>
        </thead>
        <tbody>
          {models.value?.models.map((m) => (
            <tr data-model={m.name}>
              <td>
                <a href={href('models', [m.name])}>{m.name}</a>
              </td>
              <td class="dim">{m.description}</td>
              <td class="num">{m.latest_version}</td>
              <td>
                {Object.entries(m.aliases).map(([a, v]) => (
                  <span class="pill">
                    {a} → {v}
                  </span>
                ))}
              </td>
              <td class="num" data-testid="model-requests">
                {num(m.requests)}
              </td>
              <td class="num">{num(m.failures)}</td>
              <td>{time(m.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {models.value?.models.length === 0 && <p class="dim">No models in the registry yet.</p>}
    </section>
  );
}

function ModelDetailView({ name }: { name: string }) {
  const model = useLoad(() => api.model(name), [name]);
  const series = useLoad(() => api.modelSeries(name), [name]);
  const [live, setLive] = useState<VersionSeries[] | undefined>(undefined);
  const versions = live ?? series.value?.versions ?? [];
  useLive(
    (update) => {
      const mine = update.predictions.filter((p) => p.model === name);
      if (mine.length === 0) return;
      model.reload();
      setLive((previous) => {
        const next = (previous ?? series.value?.versions ?? []).map((v) => ({
          ...v,
          series: { ...v.series },
        }));
        for (const { version, point } of mine) {
          let entry = next.find((v) => v.version === version);
          if (!entry) {
            const empty = { x: [], y: [] };
            entry = {
              model: name,
              version,
              series: {
                requests: empty,
                failures: empty,
                throughput: empty,
                latency_p50_ms: empty,
                latency_p99_ms: empty,
                batch_size: empty,
              },
            };
            next.push(entry);
          }
          const s = entry.series as Record<string, { x: readonly number[]; y: readonly (number | null)[] }>;
          for (const field of Object.keys(s)) {
            const value = point[field as keyof typeof point];
            s[field] = { x: [...s[field]!.x, point.t], y: [...s[field]!.y, value] };
          }
        }
        return next;
      });
    },
    [name, series.value],
  );

  const charts = useMemo(() => {
    const lines = (field: keyof VersionSeries['series'], suffix = '', dash = false): Line[] =>
      versions.map((v) => ({
        label: `v${v.version}${suffix}`,
        x: v.series[field].x,
        y: v.series[field].y,
        dash,
      }));
    return {
      latency: [...lines('latency_p50_ms', ' p50'), ...lines('latency_p99_ms', ' p99', true)],
      throughput: lines('throughput'),
      failures: lines('failures'),
      batch: lines('batch_size'),
    };
  }, [versions]);

  const m = model.value;
  return (
    <section class="panel">
      <p>
        <a href={href('models')}>← all models</a>
      </p>
      <h2 data-testid="model-name">{name}</h2>
      {model.error && <p class="error">{model.error}</p>}
      {m && (
        <>
          <p class="dim">{m.description}</p>
          <div class="tags">
            {Object.entries(m.tags).map(([k, v]) => (
              <span class="pill">
                {k}={v}
              </span>
            ))}
          </div>
          <table class="grid" data-testid="versions">
            <thead>
              <tr>
                <th>version</th>
                <th>state</th>
                <th>aliases</th>
                <th>created</th>
                <th class="num">size</th>
                <th class="num">requests</th>
                <th class="num">failures</th>
                <th class="num">p50</th>
                <th class="num">p99</th>
                <th>lineage</th>
                <th>traces</th>
              </tr>
            </thead>
            <tbody>
              {m.versions.map((v) => (
                <tr data-version={v.version}>
                  <td class="num">{v.version}</td>
                  <td>
                    <span class={`badge ${v.state.toLowerCase()}`}>{v.state}</span>
                  </td>
                  <td>
                    {v.aliases.map((a) => (
                      <span class="pill">{a}</span>
                    ))}
                  </td>
                  <td>{time(v.created_at)}</td>
                  <td class="num">{bytes(v.size_bytes)}</td>
                  <td class="num" data-testid="version-requests">
                    {num(v.stats?.requests ?? 0)}
                  </td>
                  <td class="num" data-testid="version-failures">
                    {num(v.stats?.failures ?? 0)}
                  </td>
                  <td class="num">{ms(v.stats?.latency_p50_ms)}</td>
                  <td class="num">{ms(v.stats?.latency_p99_ms)}</td>
                  <td class="lineage">
                    {v.lineage?.source_job_id && (
                      <a href={href('training', [], { runs: v.lineage.source_job_id })} class="mono">
                        job {v.lineage.source_job_id}
                      </a>
                    )}
                    {v.lineage?.parent_version ? <span> from v{v.lineage.parent_version}</span> : null}
                    {v.lineage?.dataset_digest && (
                      <span class="dim mono"> data {v.lineage.dataset_digest.slice(0, 12)}</span>
                    )}
                    {v.has_reference_statistics && (
                      <a href={href('data', [name, String(v.version)])}> reference</a>
                    )}
                  </td>
                  <td>
                    {v.traces_url && (
                      <a href={v.traces_url} target="_blank" rel="noreferrer" data-testid="traces-link">
                        Jaeger ↗
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="charts four">
            <Chart
              title="latency (ms), p50 solid, p99 dashed"
              lines={charts.latency}
              time
              testId="chart-latency"
            />
            <Chart title="throughput (requests/s)" lines={charts.throughput} time testId="chart-throughput" />
            <Chart title="failures per window" lines={charts.failures} time testId="chart-failures" />
            <Chart
              title="mean batch size (rows per execution)"
              lines={charts.batch}
              time
              testId="chart-batch-size"
            />
          </div>
          <p class="dim" data-testid="batch-latest">
            {latestBatch(versions)}
          </p>
          <h3>
            Model card <a href={href('hub', [name])}>rendered in the Hub →</a>
          </h3>
          {m.model_card ? <pre class="card">{m.model_card}</pre> : <p class="dim">No model card.</p>}
        </>
      )}
    </section>
  );
}

/** "latest mean batch size: v2 8, v1 4" from each version's last window that ran an execution. */
function latestBatch(versions: readonly VersionSeries[]): string {
  const latest = versions.flatMap((v) => {
    const y = v.series.batch_size.y.findLast((b) => b !== null);
    return y === undefined || y === null ? [] : [`v${v.version} ${num(y)}`];
  });
  return latest.length === 0 ? 'no executions yet' : `latest mean batch size: ${latest.join(', ')}`;
}
