export * from './dataset.js';
export * from './npy.js';
export * from './parsers.js';
export * from './statistics.js';
export * from './ranking-metrics.js';
