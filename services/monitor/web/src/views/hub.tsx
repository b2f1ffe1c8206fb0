import { useState } from 'preact/hooks';
import { api, type HubSummary } from '../api.js';
import { num } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';
import { href, type Route } from '../router.js';
import { HubModelPage } from './hub-model.js';

const FILTERS = ['q', 'tag', 'family', 'license', 'owner'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** Hub: models found by text, tag, family, license and owner; one model's page. */
export function HubView({ route }: { route: Route }) {
  const name = route.parts[0];
  return name ? <HubModelPage name={name} /> : <HubSearch route={route} />;
}

function HubSearch({ route }: { route: Route }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, route.query.get(f) ?? ''])) as Filters;
  const key = JSON.stringify(filters);
  const results = useLoad(() => api.hub(filters), [key]);
  const all = useLoad(() => api.hub({}), []);
  useLive((u) => u.hub.length > 0 && results.reload(), [results.reload]);
  const [form, setForm] = useState(filters);
  const submit = (e: Event) => {
    e.preventDefault();
    const query = Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim() !== ''));
    location.hash = href('hub', [], query);
  };
  const options = (pick: (m: HubSummary) => readonly string[]) =>
    [...new Set((all.value?.models ?? []).flatMap(pick).filter((v) => v !== ''))].sort();
  const field = (f: keyof Filters, placeholder: string, list?: string[]) => (
    <label class="filter">
      <span class="dim">{f === 'q' ? 'search' : f}</span>
      <input
        data-testid={`hub-${f}`}
        value={form[f]}
        placeholder={placeholder}
        list={list ? `hub-${f}-options` : undefined}
        onInput={(e) => setForm({ ...form, [f]: (e.target as HTMLInputElement).value })}
      />
      {list && (
        <datalist id={`hub-${f}-options`}>
          {list.map((v) => (
            <option value={v} />
          ))}
        </datalist>
      )}
    </label>
  );
  const models = results.value?.models;
  return (
    <section class="panel">
      <h2>Hub</h2>
      <form class="hub-search" onSubmit={submit}>
        {field('q', 'name or description')}
        {field(
          'tag',
          'any tag',
          options((m) => m.tags),
        )}
        {field(
          'family',
          'ae, vae, gan, gmm…',
          options((m) => [m.family]),
        )}
        {field(
          'license',
          'e.g. MIT',
          options((m) => [m.license]),
        )}
        {field(
          'owner',
          'team or person',
          options((m) => [m.owner]),
        )}
        <button type="submit" data-testid="hub-search">
          Search
        </button>
        {FILTERS.some((f) => filters[f] !== '') && (
          <a
            href={href('hub')}
            onClick={() => setForm({ q: '', tag: '', family: '', license: '', owner: '' })}
          >
            clear
          </a>
        )}
      </form>
      {results.error && <p class="error">{results.error}</p>}
      {models && (
        <p class="dim" data-testid="hub-count">
          {models.length === 1 ? '1 model' : `${models.length} models`}
        </p>
      )}
      <ul class="hub-results" data-testid="hub-results">
        {models?.map((m) => (
          <li class="hub-result" data-model={m.name} key={m.name}>
            <div class="hub-result-head">
              <a href={href('hub', [m.name])} class="hub-name">
                {m.name}
              </a>
              <span class="dim">by {m.owner || '–'}</span>
              {m.visibility !== 'public' && <span class="badge archived">{m.visibility}</span>}
              <span class="hub-counts">
                <span title="stars" data-testid="result-stars">
                  ★ {num(m.stars)}
                </span>
                <span title="downloads" data-testid="result-downloads">
                  ⤓ {num(m.downloads)}
                </span>
              </span>
            </div>
            {m.description && <p class="hub-description">{m.description}</p>}
            {m.intended_use && <p class="dim hub-use">{m.intended_use}</p>}
            <div>
              {m.license && (
                <span class="pill license" data-testid="result-license">
                  {m.license}
                </span>
              )}
              {m.family && <span class="pill family">{m.family}</span>}
              {m.tags.map((t) => (
                <a class="pill" href={href('hub', [], { tag: t })}>
                  {t}
                </a>
              ))}
              <span class="dim"> · v{m.latest_version}</span>
            </div>
          </li>
        ))}
      </ul>
      {models?.length === 0 && <p class="dim">No model matches.</p>}
    </section>
  );
}
