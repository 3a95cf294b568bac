/**
 * The rule for free text that reaches a runner: anything a Jinja template, a shell or a
 * command-line option parser would interpret is rejected, never escaped. Checked on the
 * raw string and on its NFKC form, so compatibility look-alikes (`﹛﹛`, `＄（`) fail too.
 */

interface Hazard {
  pattern: RegExp;
  reason: string;
}

const HAZARDS: Hazard[] = [
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  { pattern: /[\u0000-\u0008\u000b-\u001f\u007f]/, reason: 'must not contain control characters' },
  { pattern: /[\r\n\u2028\u2029]/, reason: 'must not contain line breaks' },
  { pattern: /\{\{|\{%|\{#|\}\}|%\}|#\}/, reason: 'must not contain template syntax ({{, {%, {#)' },
  { pattern: /\$[({]/, reason: 'must not contain shell substitution ($( or ${)' },
  { pattern: /`/, reason: 'must not contain backticks' },
];

/** Returns why `value` is unsafe, or null when it is safe. */
export function unsafeTextReason(value: string, options: { allowLeadingDash?: boolean } = {}): string | null {
  for (const form of new Set([value, value.normalize('NFKC')])) {
    for (const hazard of HAZARDS) {
      if (hazard.pattern.test(form)) return hazard.reason;
    }
    if (!options.allowLeadingDash && /^\s*-/.test(form)) {
      return 'must not start with "-" (it would be read as an option)';
    }
  }
  return null;
}
