import MarkdownIt from 'markdown-it';

/**
 * The runnable parts of a tutorial, in order. Fenced `bash`/`sh` and `python` blocks run; any other
 * fence is prose unless an HTML comment `<!-- file: NAME -->` right before it says to write it to
 * NAME first. `<!-- expect: REGEX -->` right after a block is a regular expression (multiline) its
 * standard output must match.
 */
export type TutorialStep =
  | {
      readonly kind: 'run';
      readonly language: 'bash' | 'python';
      readonly code: string;
      readonly line: number;
      readonly expect?: RegExp;
    }
  | { readonly kind: 'file'; readonly name: string; readonly content: string; readonly line: number };

const DIRECTIVE = /^<!--\s*(file|expect):\s*(.*?)\s*-->\s*$/;

export function tutorialSteps(markdown: string): TutorialStep[] {
  // html: comments are tokens of their own (the directives); nothing here renders HTML.
  const tokens = new MarkdownIt({ html: true }).parse(markdown, {});
  const steps: TutorialStep[] = [];
  let pendingFile: string | undefined;
  for (const token of tokens) {
    if (token.type === 'html_block') {
      const match = DIRECTIVE.exec(token.content.trim());
      if (!match) continue;
      const [, directive, value] = match as unknown as [string, 'file' | 'expect', string];
      if (directive === 'file') pendingFile = value;
      else {
        const last = steps.at(-1);
        if (last?.kind !== 'run')
          throw new Error(`line ${token.map![0] + 1}: an expect comment must follow a bash or python block`);
        steps[steps.length - 1] = { ...last, expect: new RegExp(value, 'm') };
      }
      continue;
    }
    if (token.type !== 'fence') continue;
    const line = token.map![0] + 1;
    const language = token.info.trim().split(/\s+/)[0] ?? '';
    if (pendingFile !== undefined) {
      steps.push({ kind: 'file', name: pendingFile, content: token.content, line });
      pendingFile = undefined;
    } else if (language === 'bash' || language === 'sh') {
      steps.push({ kind: 'run', language: 'bash', code: token.content, line });
    } else if (language === 'python') {
      steps.push({ kind: 'run', language: 'python', code: token.content, line });
    }
  }
  if (pendingFile !== undefined)
    throw new Error(`a file comment (${pendingFile}) has no code block after it`);
  return steps;
}
