// Types for healthcheck.mjs, which stays plain JavaScript because it runs as-is inside the images.
export declare const DEFAULT_HTTP: Readonly<
  Record<'registry' | 'trainer' | 'tuner' | 'inference' | 'monitor', string>
>;
export declare function httpKeyOf(service: string): string;
export declare function healthUrl(service: string, env: Readonly<Record<string, string | undefined>>): string;
