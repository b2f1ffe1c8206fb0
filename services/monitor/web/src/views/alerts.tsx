import { useState } from 'preact/hooks';
import { api, TOKEN_KEY, type AlertRecord } from '../api.js';
import { time } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';

export const ACTOR_KEY = 'aimass.console.by';

/** Who acts, remembered in this browser (with authentication on the server takes the token's subject). */
export function useActor(): [string, (v: string) => void] {
  const [by, setBy] = useState(() => localStorage.getItem(ACTOR_KEY) ?? '');
  return [
    by,
    (v: string) => {
      localStorage.setItem(ACTOR_KEY, v);
      setBy(v);
    },
  ];
}

/** Alerts: every alert raised, with acknowledgements and silences, and the silences in force. */
export function AlertsView() {
  return (
    <section class="panel">
      <h2>Alerts</h2>
      <AlertsPanel />
      <SilencesPanel />
    </section>
  );
}

/** Alerts (of one model version, or all), each with its state and an Acknowledge button. */
export function AlertsPanel({ model = '', version }: { model?: string; version?: string }) {
  const alerts = useLoad(() => api.alerts(model, 500), [model]);
  useLive((u) => u.alerts.length > 0 && alerts.reload(), [alerts.reload]);
  const [by, setBy] = useActor();
  const list = (alerts.value?.alerts ?? []).filter((a) => version === undefined || a.version === version);
  return (
    <div class="alerts-panel" data-testid="alerts">
      <h3>Alerts</h3>
      <label class="actor">
        acting as{' '}
        <input
          data-testid="actor"
          value={by}
          placeholder="your name"
          onInput={(e) => setBy((e.target as HTMLInputElement).value)}
        />
      </label>
      <TokenField />
      {alerts.error && <p class="error">{alerts.error}</p>}
      {list.length === 0 && <p class="dim">No alerts.</p>}
      <ul class="alerts">
        {list.map((a) => (
          <AlertItem key={a.id} alert={a} by={by} onChange={alerts.reload} />
        ))}
      </ul>
    </div>
  );
}

/** The bearer token for acknowledging and silencing, when the monitor requires authentication. */
export function TokenField() {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  return (
    <label class="actor">
      {' '}
      token{' '}
      <input
        type="password"
        data-testid="token"
        value={token}
        placeholder="only with authentication on"
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          sessionStorage.setItem(TOKEN_KEY, v);
          setToken(v);
        }}
      />
    </label>
  );
}

function AlertItem({ alert: a, by, onChange }: { alert: AlertRecord; by: string; onChange: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const acknowledge = () =>
    api.acknowledge(a.id, by, note).then(
      () => (setError(undefined), onChange()),
      (err: Error) => setError(err.message),
    );
  return (
    <li data-alert={a.id} data-testid="alert">
      <span class={`badge ${a.type.endsWith('drift') ? 'failed' : 'running'}`}>
        {a.type.split('.').pop()}
      </span>{' '}
      {a.silenced && (
        <span class="badge cancelled" data-testid="alert-silenced" title={`silence ${a.silence_id}`}>
          silenced
        </span>
      )}{' '}
      <span class="dim">{time(a.time)}</span> {a.summary}
      <div class="alert-actions">
        {a.acknowledged ? (
          <span class="dim" data-testid="alert-acknowledged">
            acknowledged by {a.acknowledged_by} {time(a.acknowledged_at)}
            {a.acknowledged_note && `: ${a.acknowledged_note}`}
          </span>
        ) : (
          <>
            <input
              placeholder="note"
              data-testid="ack-note"
              value={note}
              onInput={(e) => setNote((e.target as HTMLInputElement).value)}
            />
            <button data-testid="ack" onClick={() => void acknowledge()}>
              Acknowledge
            </button>
          </>
        )}
        {error && <span class="error"> {error}</span>}
      </div>
    </li>
  );
}

/** The silences in force, and a form to silence a model's (or one version's) alerts. */
export function SilencesPanel({ model = '', version = '' }: { model?: string; version?: string }) {
  const silences = useLoad(() => api.silences(), []);
  useLive((u) => u.silences.length > 0 && silences.reload(), [silences.reload]);
  const [form, setForm] = useState({ model, version, type: '', minutes: '60', reason: '' });
  const [error, setError] = useState<string | undefined>();
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    api
      .silence({
        model: form.model,
        version: form.version,
        type: form.type,
        duration_seconds: Math.round(Number(form.minutes) * 60),
        reason: form.reason,
        // The actor field of the alerts panel beside it, as typed last.
        by: localStorage.getItem(ACTOR_KEY) ?? '',
      })
      .then(
        () => (setError(undefined), silences.reload()),
        (err: Error) => setError(err.message),
      );
  };
  const list = (silences.value?.silences ?? []).filter((s) => model === '' || s.model === model);
  return (
    <div class="silences" data-testid="silences">
      <h3>Silences</h3>
      <ul>
        {list.map((s) => (
          <li key={s.id} data-testid="silence" data-silence={s.id}>
            <strong>{s.model}</strong> {s.version ? `v${s.version}` : 'all versions'},{' '}
            {s.type || 'all alerts'} until {time(s.ends_at)}{' '}
            <span class="dim">
              by {s.by}: {s.reason}
            </span>
          </li>
        ))}
        {list.length === 0 && <li class="dim">No silence in force.</li>}
      </ul>
      <form class="silence-form" onSubmit={submit}>
        <input placeholder="model" value={form.model} onInput={set('model')} data-testid="silence-model" />
        <input placeholder="version (all)" value={form.version} onInput={set('version')} size={8} />
        <select value={form.type} onChange={set('type')}>
          <option value="">all alerts</option>
          <option value="monitor.alert.drift">drift</option>
          <option value="monitor.alert.anomaly">anomaly</option>
        </select>
        <input value={form.minutes} onInput={set('minutes')} size={6} data-testid="silence-minutes" /> min
        <input
          placeholder="reason"
          value={form.reason}
          onInput={set('reason')}
          data-testid="silence-reason"
        />
        <button type="submit" data-testid="silence-submit">
          Silence
        </button>
        {error && <span class="error"> {error}</span>}
      </form>
    </div>
  );
}
