/** Text without its ANSI escape sequences (colours, cursor moves), for matching what a person reads. */
// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what this removes
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
