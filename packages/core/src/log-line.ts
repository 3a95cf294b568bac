/**
 * What a log line may hold once stored: text only. Runners hand us whatever a process
 * printed; we split it into lines, keep what a terminal would show after a carriage return,
 * drop NUL bytes, replace broken UTF-16, and cut a runaway line visibly.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function toLogLines(text: string, maxLineLength: number): string[] {
  const lines = text.split(/\r?\n/);
  // A trailing newline ends a line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => sanitizeLine(line, maxLineLength));
}

function sanitizeLine(raw: string, maxLineLength: number): string {
  const lastReturn = raw.lastIndexOf('\r');
  let line = lastReturn >= 0 ? raw.slice(lastReturn + 1) : raw;
  // eslint-disable-next-line no-control-regex -- NUL is exactly what this removes
  line = line.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\uFFFD');
  if (line.length > maxLineLength) {
    const dropped = line.length - maxLineLength;
    line = `${line.slice(0, maxLineLength)} … [line truncated: ${dropped} more characters]`;
  }
  return line;
}
