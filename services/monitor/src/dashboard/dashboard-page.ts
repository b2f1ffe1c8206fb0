import type { ModelVersionStats } from '../predictions/model-version-stats.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Model names and versions come from whoever publishes summaries; nothing of theirs reaches the page unescaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const ms = (value: number) => value.toFixed(2);

/** The whole dashboard: one table, reloaded by the browser every 2 s. */
export function renderDashboardPage(stats: readonly ModelVersionStats[]): string {
  const rows = stats.length
    ? stats
        .map((s) =>
          [
            s.model,
            s.version,
            String(s.requests),
            String(s.failures),
            ms(s.latency_mean_ms),
            ms(s.latency_p50_ms),
            ms(s.latency_p99_ms),
            s.last_seen,
          ]
            .map((cell) => `<td>${escapeHtml(cell)}</td>`)
            .join(''),
        )
        .map((cells) => `<tr>${cells}</tr>`)
        .join('\n')
    : '<tr><td colspan="8">No predictions seen yet.</td></tr>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<title>aimass monitor</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #ddd; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
</style>
</head>
<body>
<h1>aimass monitor</h1>
<table>
<thead><tr><th>model</th><th>version</th><th>requests</th><th>failures</th><th>mean ms</th><th>p50 ms</th><th>p99 ms</th><th>last seen</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p><a href="/api/models">JSON</a> · <a href="/metrics">Prometheus</a></p>
</body>
</html>
`;
}
