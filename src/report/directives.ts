/**
 * markdown-it syntax for report templates, after the CommonMark generic directives proposal
 * (talk.commonmark.org/t/generic-directives-plugins-syntax/444, as remark-directive implements it):
 *
 *   ::figure[Caption text]{plot=training_curves}      a leaf directive on its own line: one block placed here
 *   :::when{has=series}                               a container kept only when the condition holds
 *   ...markdown...
 *   :::
 *
 * The plugin only parses; what each directive renders is given by the caller (src/report/render.ts).
 */
import type { MarkdownIt, StateBlock } from 'markdown-it';

export interface Directive {
  name: string;
  /** The [label], e.g. a caption override. */
  label?: string;
  attrs: Record<string, string>;
  /** 1-based line in the template, for error messages. */
  line: number;
}

export interface DirectiveHandlers {
  /** HTML of a leaf directive. */
  render(directive: Directive): string;
  /** Whether a `:::name{...}` container's content is kept. */
  keep(directive: Directive): boolean;
}

const LEAF = /^::([a-z][\w-]*)(?:\[([^\]]*)\])?(?:\{([^}]*)\})?\s*$/;
const CONTAINER_OPEN = /^:::([a-z][\w-]*)(?:\[([^\]]*)\])?(?:\{([^}]*)\})?\s*$/;
const CONTAINER_CLOSE = /^:::\s*$/;
const ATTR = /([\w-]+)(?:=(?:"([^"]*)"|([^\s"]+)))?/g;

/**
 * `plot=roc_pr runs="a b" each` -> {plot: 'roc_pr', runs: 'a b', each: ''}.
 *
 * @example
 * parseAttrs('plot=roc_pr each'); // { plot: 'roc_pr', each: '' }
 */
export function parseAttrs(text: string | undefined): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const match of (text ?? '').matchAll(ATTR)) attrs[match[1]!] = match[2] ?? match[3] ?? '';
  return attrs;
}

function lineText(state: StateBlock, line: number): string {
  return state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]);
}

function directiveAt(match: RegExpMatchArray, line: number): Directive {
  return {
    name: match[1]!,
    ...(match[2] !== undefined ? { label: match[2] } : {}),
    attrs: parseAttrs(match[3]),
    line: line + 1,
  };
}

/**
 * The markdown-it plugin: `md.use(directives, handlers)`.
 *
 * @example
 * const md = new MarkdownIt({ html: true }).use(directives, { render: (d) => `<div>${d.name}</div>`, keep: () => true });
 */
export function directives(md: MarkdownIt, handlers: DirectiveHandlers): void {
  md.block.ruler.before(
    'fence',
    'percept_container',
    (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
      const open = lineText(state, startLine).match(CONTAINER_OPEN);
      if (open === null || state.sCount[startLine]! - state.blkIndent >= 4) return false;
      let depth = 1;
      let close = startLine + 1;
      for (; close < endLine; close++) {
        const text = lineText(state, close);
        if (CONTAINER_OPEN.test(text)) depth++;
        else if (CONTAINER_CLOSE.test(text) && --depth === 0) break;
      }
      if (silent) return true;
      if (handlers.keep(directiveAt(open, startLine))) {
        const oldMax = state.lineMax;
        state.lineMax = close;
        state.md.block.tokenize(state, startLine + 1, close);
        state.lineMax = oldMax;
      }
      state.line = Math.min(close + 1, endLine);
      return true;
    },
  );
  md.block.ruler.before(
    'fence',
    'percept_leaf',
    (state: StateBlock, startLine: number, _endLine: number, silent: boolean) => {
      const match = lineText(state, startLine).match(LEAF);
      if (match === null || state.sCount[startLine]! - state.blkIndent >= 4) return false;
      if (silent) return true;
      const token = state.push('percept_directive', '', 0);
      token.meta = { directive: directiveAt(match, startLine) };
      token.map = [startLine, startLine + 1];
      token.block = true;
      state.line = startLine + 1;
      return true;
    },
  );
  md.renderer.rules['percept_directive'] = (tokens, index) =>
    handlers.render((tokens[index]!.meta as { directive: Directive }).directive);
}
