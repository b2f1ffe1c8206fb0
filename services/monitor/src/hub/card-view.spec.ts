import { describe, expect, it } from 'vitest';
import { cardView, renderMarkdown } from './card-view.js';

describe('renderMarkdown', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['<img src="x" onerror="alert(1)">', '&lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;'],
    ['<iframe src="https://example.invalid"></iframe>', '&lt;iframe'],
  ])('shows HTML in markdown as text: %s', (markdown, escaped) => {
    const html = renderMarkdown(markdown);
    expect(html).toContain(escaped);
    expect(html).not.toMatch(/<(script|img|iframe)\b/);
  });

  it.each(['javascript:alert(1)', 'vbscript:msgbox(1)', 'data:text/html;base64,PHNjcmlwdD4='])(
    'makes no link of a %s URL',
    (url) => {
      expect(renderMarkdown(`[click](${url})`)).not.toContain('<a ');
    },
  );

  it('renders ordinary markdown: headings, emphasis, tables, safe links', () => {
    const html = renderMarkdown(
      '## Data\n\n**four** features\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n[docs](https://example.org)',
    );
    expect(html).toContain('<h2>Data</h2>');
    expect(html).toContain('<strong>four</strong>');
    expect(html).toContain('<td>1</td>');
    expect(html).toContain('<a href="https://example.org">docs</a>');
  });
});

describe('cardView', () => {
  it('reads the metadata and the first line of the intended use', () => {
    const card = cardView(
      '---\nlicense: MIT\ntags: [fraud, tabular]\nintended_use: |\n\n  Score card payments.\n  Not for loans.\n---\nBody <script>x</script>\n',
    );
    expect(card).toMatchObject({
      license: 'MIT',
      intended_use: 'Score card payments.',
      tags: ['fraud', 'tabular'],
    });
    expect(card.body).toBe('Body <script>x</script>\n');
  });

  it('shows a card that does not validate as markdown without metadata, not as an error', () => {
    const card = cardView('---\nlicense: [not, a, string]\n---\n# Old card\n');
    expect(card).toMatchObject({ license: '', intended_use: '', tags: [], metadata: {} });
    expect(card.body).toContain('# Old card');
  });

  it('reads an empty card as empty', () => {
    expect(cardView('')).toMatchObject({ body: '', license: '', tags: [] });
  });
});
