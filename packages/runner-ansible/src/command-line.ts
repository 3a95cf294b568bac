/**
 * Splits an operator's setting such as `ANSIBLE_EXTRA_ARGS` into arguments as a POSIX shell
 * splits words, with no shell: whitespace separates, quotes and backslashes group and escape.
 * Nothing is expanded, so what a shell would expand (`$VAR`, `$(...)`, a leading `~`) or treat
 * as syntax (`;`, `|`, `&`, `<`, `>`, parentheses, a `#` comment) is refused rather than taken
 * literally behind the operator's back: quote it, or write the value out.
 */

const SHELL_SYNTAX = new Set(['$', '`', ';', '|', '&', '<', '>', '(', ')']);

export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  const refuse = (i: number, what: string): never => {
    throw new Error(`${what} at position ${i + 1}: it means something to a shell, but no shell reads this value; quote it (single quotes keep everything) or write the value out`);
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' quote at position ${i + 1}`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j += 1) {
        if (text[j] === '$' || text[j] === '`') refuse(j, `"${text[j]}" inside double quotes`);
        // In double quotes a backslash escapes only these (POSIX); elsewhere it is itself.
        if (text[j] === '\\' && '"\\$`'.includes(text[j + 1] ?? '')) j += 1;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unterminated " quote at position ${i + 1}`);
      i = j;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new Error('a backslash ends the value: it escapes nothing');
      // A backslash before a newline joins the lines, as in a shell.
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i += 1;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
    } else {
      if (SHELL_SYNTAX.has(c)) refuse(i, `"${c}"`);
      if (!inWord && (c === '~' || c === '#')) refuse(i, `"${c}" at the start of a word`);
      word += c;
      inWord = true;
    }
  }
  if (inWord) args.push(word);
  return args;
}
