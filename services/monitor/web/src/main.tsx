import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { useLiveState } from './live.js';
import { href, useRoute } from './router.js';
import { AlertsView } from './views/alerts.js';
import { DataView } from './views/data.js';
import { HubView } from './views/hub.js';
import { MeshView } from './views/mesh.js';
import { ModelsView } from './views/models.js';
import { StudiesView } from './views/studies.js';
import { TrainingView } from './views/training.js';

const VIEWS = [
  { id: 'models', label: 'Models' },
  { id: 'hub', label: 'Hub' },
  { id: 'training', label: 'Training' },
  { id: 'studies', label: 'Studies' },
  { id: 'data', label: 'Data' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'mesh', label: 'Mesh' },
] as const;

function App() {
  const route = useRoute();
  const live = useLiveState();
  return (
    <>
      <header class="top">
        <span class="brand">
          aimass <span class="dim">console</span>
        </span>
        <nav>
          {VIEWS.map((v) => (
            <a href={href(v.id)} class={route.view === v.id ? 'active' : ''} data-testid={`nav-${v.id}`}>
              {v.label}
            </a>
          ))}
        </nav>
        <span class={`live ${live ? 'on' : 'off'}`} data-testid="live" title="server-sent events">
          {live ? 'live' : 'reconnecting'}
        </span>
      </header>
      <main>
        {route.view === 'hub' ? (
          <HubView route={route} />
        ) : route.view === 'training' ? (
          <TrainingView route={route} />
        ) : route.view === 'studies' ? (
          <StudiesView route={route} />
        ) : route.view === 'data' ? (
          <DataView route={route} />
        ) : route.view === 'alerts' ? (
          <AlertsView />
        ) : route.view === 'mesh' ? (
          <MeshView />
        ) : (
          <ModelsView route={route} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
