import { useEffect, useState } from 'preact/hooks';

/** The console's place: `#/<view>/<part>/<part>?k=v`, so every view can be linked and reloaded. */
export interface Route {
  readonly view: string;
  readonly parts: readonly string[];
  readonly query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view = 'models', ...parts] = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  return { view, parts, query: new URLSearchParams(search) };
}

export function href(view: string, parts: readonly string[] = [], query?: Record<string, string>): string {
  const path = [view, ...parts.map(encodeURIComponent)].join('/');
  const search = query ? new URLSearchParams(query).toString() : '';
  return `#/${path}${search ? `?${search}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
