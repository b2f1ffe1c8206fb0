export {
  ModelCardError,
  ModelCardMetadataSchema,
  parseModelCard,
  type ModelCard,
  type ModelCardMetadata,
} from './model-card.js';
export { renderModelCard } from './render.js';
