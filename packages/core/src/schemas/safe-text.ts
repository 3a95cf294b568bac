/**
 * The rule for free text that reaches a runner: anything a Jinja template, a shell or a
 * command-line option parser would interpret, and control characters a terminal or a text
 * renderer would act on, are rejected, never escaped. Checked on the
 * raw string and on its NFKC form, so compatibility look-alikes (`﹛﹛`, `＄（`) fail too.
 */

interface Hazard {
  pattern: RegExp;
  reason: string;
}

const HAZARDS: Hazard[] = [
  // C0, DEL and C1 (U+0080–U+009F: a terminal may read U+009B as CSI, the start of an escape).
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  { pattern: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, reason: 'must not contain control characters' },
  // Bidirectional controls (Trojan Source, CVE-2021-42574): U+202E makes `gnp.exe` display as
  // `exe.png`, so a label or build argument would read differently from what it holds.
  {
    pattern: /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/,
    reason: 'must not contain bidirectional text controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)',
  },
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
