// Container health probe for every aimass service image: GET <service HTTP base URL>/healthz.
// Runs inside the service's own container (Dockerfile HEALTHCHECK, compose healthcheck), so it needs
// nothing but Node: no workspace package is loaded, and a slow or stuck service costs one timeout.
import { pathToFileURL } from 'node:url';

// Default HTTP base URL per service. These mirror the defaults in libs/config/src/settings.ts;
// deploy/deploy.spec.ts fails if the two drift apart.
export const DEFAULT_HTTP = {
  registry: 'http://127.0.0.1:8091',
  trainer: 'http://127.0.0.1:8092',
  tuner: 'http://127.0.0.1:8093',
  inference: 'http://127.0.0.1:8002',
  monitor: 'http://127.0.0.1:8090',
};

/** The env key holding a service's HTTP base URL (same rule as httpKey() in libs/config). */
export function httpKeyOf(service) {
  return service === 'inference' ? 'AIMASS_INFERENCE_METRICS_HTTP' : `AIMASS_${service.toUpperCase()}_HTTP`;
}

/**
 * The URL to probe. A service configured to listen on a wildcard address (0.0.0.0 or [::]) is
 * reached over loopback, because the probe runs next to it.
 */
export function healthUrl(service, env) {
  if (!(service in DEFAULT_HTTP)) {
    throw new Error(
      `SERVICE must be one of ${Object.keys(DEFAULT_HTTP).join(', ')}; got ${JSON.stringify(service)}`,
    );
  }
  const url = new URL(env[httpKeyOf(service)] || DEFAULT_HTTP[service]);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/healthz`;
  return url.toString();
}

async function main() {
  const url = healthUrl(process.env.SERVICE ?? '', process.env);
  const res = await fetch(url, {
    signal: AbortSignal.timeout(Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 2500)),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`unhealthy: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
