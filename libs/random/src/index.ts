export { mulberry32 } from './prng.js';
export { SeededRandom } from './seeded-random.js';
