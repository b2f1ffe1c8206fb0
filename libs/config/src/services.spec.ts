import { describe, expect, it } from 'vitest';
import { grpcKey, httpKey, loadConfig, SERVICE_NAMES, SERVICES, serviceSpec, SETTINGS } from './index.js';

describe('SERVICES', () => {
  it('names the five services in start order, registry first', () => {
    expect(SERVICE_NAMES).toEqual(['registry', 'trainer', 'tuner', 'inference', 'monitor']);
  });

  it('gives every service its own ports and keys under its own AIMASS_<NAME>_ prefix', () => {
    const ports = SERVICES.flatMap((s) => [s.grpc.port, s.http.port]);
    expect(new Set(ports).size).toBe(ports.length);
    for (const s of SERVICES) {
      expect(s.grpc.key).toBe(`AIMASS_${s.name.toUpperCase()}_GRPC`);
      expect(s.http.key).toMatch(new RegExp(`^AIMASS_${s.name.toUpperCase()}_(METRICS_)?HTTP$`));
      expect(grpcKey(s.name)).toBe(s.grpc.key);
      expect(httpKey(s.name)).toBe(s.http.key);
    }
  });

  it('is where SETTINGS and the loaded config take each service address from', () => {
    const config = loadConfig({});
    for (const s of SERVICES) {
      const grpc = SETTINGS.find((x) => x.key === s.grpc.key);
      const http = SETTINGS.find((x) => x.key === s.http.key);
      expect(grpc?.default).toBe(`127.0.0.1:${s.grpc.port}`);
      expect(http?.default).toBe(`http://127.0.0.1:${s.http.port}`);
      expect(grpc?.description).toBe(s.grpc.about);
      expect(config.grpc[s.name]).toBe(grpc?.default);
      expect(config.http[s.name]).toBe(http?.default);
    }
    const moved = loadConfig({ AIMASS_INFERENCE_METRICS_HTTP: 'http://10.0.0.2:9102' });
    expect(moved.http.inference).toBe('http://10.0.0.2:9102');
  });

  it('refuses a name that is not a service', () => {
    expect(() => serviceSpec('gateway')).toThrow(/"gateway" is not a service of the mesh/);
  });
});
