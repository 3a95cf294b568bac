/** Log lines without their colour codes, for assertions on what a person would read. */
// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what this removes
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(line: string): string {
  return line.replace(ANSI, '');
}
