import { useEffect, useState } from 'preact/hooks';
import { api, type TrainerNodeView } from '../api.js';
import { ago, ms } from '../format.js';
import { useInterval, useLoad } from '../hooks.js';
import { useLive } from '../live.js';

/** Mesh: each service's health (polled), each trainer node's pool and load (live from heartbeats). */
export function MeshView() {
  const mesh = useLoad(() => api.mesh(), []);
  useInterval(mesh.reload, 5_000);
  const [nodes, setNodes] = useState<TrainerNodeView[]>([]);
  useEffect(() => mesh.value && setNodes(mesh.value.nodes), [mesh.value]);
  useLive((update) => {
    if (update.nodes.length === 0) return;
    setNodes((previous) => {
      const byId = new Map(previous.map((n) => [n.node_id, n]));
      for (const n of update.nodes) byId.set(n.node_id, n);
      return [...byId.values()].sort(
        (a, b) => a.pool.localeCompare(b.pool) || a.node_id.localeCompare(b.node_id),
      );
    });
  }, []);
  const [, tick] = useState(0);
  useInterval(() => tick((t) => t + 1), 1_000);

  return (
    <>
      <section class="panel">
        <h2>Services</h2>
        {mesh.error && <p class="error">{mesh.error}</p>}
        <table class="grid" data-testid="services">
          <thead>
            <tr>
              <th>service</th>
              <th>health</th>
              <th>gRPC</th>
              <th>HTTP</th>
              <th class="num">answered in</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {mesh.value?.services.map((s) => (
              <tr data-service={s.service}>
                <td>{s.service}</td>
                <td>
                  <span
                    class={`badge ${s.status === 'SERVING' ? 'succeeded' : 'failed'}`}
                    data-testid="service-status"
                  >
                    {s.status}
                  </span>
                </td>
                <td class="mono">{s.grpc}</td>
                <td class="mono">{s.http}</td>
                <td class="num">{ms(s.latency_ms)}</td>
                <td class="dim">{s.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Trainer nodes</h2>
        {nodes.length === 0 && <p class="dim">No trainer node has beaten since the monitor started.</p>}
        <table class="grid" data-testid="nodes">
          <thead>
            <tr>
              <th>node</th>
              <th>pool</th>
              <th>backend</th>
              <th class="num">jobs</th>
              <th>load</th>
              <th>heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr data-node={n.node_id}>
                <td class="mono">{n.node_id}</td>
                <td>{n.pool}</td>
                <td>
                  {n.backend}
                  {n.adapter && <span class="dim"> {n.adapter}</span>}
                </td>
                <td class="num" data-testid="node-jobs">
                  {n.active_jobs}/{n.concurrency}
                </td>
                <td>
                  <span class="meter">
                    <span style={{ width: `${Math.min(100, n.load * 100)}%` }} />
                  </span>{' '}
                  {Math.round(n.load * 100)}%
                </td>
                <td>
                  <span class={`badge ${n.stale ? 'failed' : 'succeeded'}`}>
                    {n.stale ? 'stale' : 'beating'}
                  </span>{' '}
                  <span class="dim">{ago(n.last_beat)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
