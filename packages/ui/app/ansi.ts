/** ANSI colour codes (SGR) in a log line → styled segments. Anything else is dropped. */

export interface Segment {
  text: string;
  className: string;
}

// eslint-disable-next-line no-control-regex -- escape sequences are what this reads
const SEQUENCE = /\u001b\[([0-9;]*)([A-Za-z])/g;

/** The line as a person reads it: what ansiSegments' texts add up to, for searching and measuring. */
export function plainText(line: string): string {
  return line.includes('\u001b') ? line.replace(SEQUENCE, '') : line;
}

export function ansiSegments(line: string): Segment[] {
  const segments: Segment[] = [];
  let fg = '';
  let bg = '';
  let bold = false;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    segments.push({ text, className: [fg && `fg-${fg}`, bg && `bg-${bg}`, bold && 'bold'].filter(Boolean).join(' ') });
  };
  for (const match of line.matchAll(SEQUENCE)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] !== 'm') continue;
    for (const code of (match[1] || '0').split(';').map(Number)) {
      if (code === 0) [fg, bg, bold] = ['', '', false];
      else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) fg = String(code);
      else if (code === 39) fg = '';
      else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) bg = String(code);
      else if (code === 49) bg = '';
    }
  }
  push(line.slice(last));
  return segments;
}
