import { parseModelCard, type ModelCardMetadata } from '@aimass/model-card';
import MarkdownIt from 'markdown-it';

/**
 * Markdown as the hub shows it: `html: false` makes any HTML in a card or a post plain text (a
 * `<script>` is shown, never run), and markdown-it's link check drops `javascript:` and `data:`
 * URLs. The result is inserted into the page as is, so this is the only place that makes HTML.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

export function renderMarkdown(text: string): string {
  return markdown.render(text);
}

/** A model card as the hub reads it: its metadata, its markdown body, and the fields search uses. */
export interface CardView {
  readonly metadata: ModelCardMetadata;
  readonly body: string;
  readonly license: string;
  /** The first non-empty line of intended_use. */
  readonly intended_use: string;
  readonly tags: readonly string[];
}

/**
 * Reads a stored card. The registry validates cards on every write, but one stored before cards
 * were validated may not parse: it is shown as markdown without metadata rather than hidden.
 */
export function cardView(text: string): CardView {
  let metadata: ModelCardMetadata = {};
  let body = text;
  try {
    ({ metadata, body } = parseModelCard(text));
  } catch {
    // Shown whole, front matter and all, as markdown.
  }
  return {
    metadata,
    body,
    license: metadata.license ?? '',
    intended_use:
      (metadata.intended_use ?? '')
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l !== '') ?? '',
    tags: metadata.tags ?? [],
  };
}
