import { stringify } from 'yaml';
import type { ModelCard } from './model-card.js';

/** The card as markdown with its metadata as YAML front matter (what parseModelCard reads back). */
export function renderModelCard(card: ModelCard): string {
  const keys = Object.keys(card.metadata).filter(
    (k) => card.metadata[k as keyof typeof card.metadata] !== undefined,
  );
  if (keys.length === 0) return card.body;
  const yaml = stringify(card.metadata, { lineWidth: 0 }).trimEnd();
  return `---\n${yaml}\n---\n${card.body}`;
}
