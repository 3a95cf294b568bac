/** The README's own code, read from its sections, so the packed tests run what it shows. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE } from './workspace.js';

export interface CodeBlock {
  lang: string;
  code: string;
}

const README = path.join(WORKSPACE, 'README.md');

export function readmeText(): string {
  return readFileSync(README, 'utf8');
}

/** The text under a heading (any level), up to the next heading of the same or a higher level. */
export function readmeSection(title: string): string {
  const lines = readmeText().split('\n');
  let level = 0;
  let inFence = false;
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6}) (.*)$/.exec(line);
    if (level === 0) {
      if (heading && heading[2]!.trim() === title) level = heading[1]!.length;
      continue;
    }
    if (heading && heading[1]!.length <= level) break;
    out.push(line);
  }
  if (level === 0) throw new Error(`README.md has no section "${title}": the packed tests run its code; update them with the README.`);
  return out.join('\n');
}

export function codeBlocks(text: string): CodeBlock[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, code: match[2]! }));
}

export interface CurlStep {
  method: string;
  /** The path and query the README's curl asks for (`/api/build/…`). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the README shows curl printing, trimmed. */
  output: string;
}

/**
 * The `$ curl …` commands of a console block with what the README shows each one printing.
 * Only the flags the README uses are understood (-X, -H, -d, -sS, -N); anything else is an
 * error, so a new flag gets a look instead of being silently ignored.
 */
export function curlSession(code: string): CurlStep[] {
  const steps: CurlStep[] = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (!lines[i]!.startsWith('$ ')) continue;
    let command = lines[i]!.slice(2);
    while (command.endsWith('\\')) command = `${command.slice(0, -1)} ${lines[(i += 1)]!.trim()}`;
    const output: string[] = [];
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) output.push(lines[(i += 1)]!);
    steps.push({ ...parseCurl(command), output: output.join('\n').trim() });
  }
  return steps;
}

function parseCurl(command: string): Omit<CurlStep, 'output'> {
  const words = shellWords(command.split(' | ')[0]!);
  if (words[0] !== 'curl') throw new Error(`Not a curl command: ${command}`);
  const step: Omit<CurlStep, 'output'> = { method: 'GET', path: '', headers: {} };
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === '-X') step.method = words[(i += 1)]!;
    else if (word === '-H') {
      const [name, ...value] = words[(i += 1)]!.split(':');
      step.headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-d') {
      step.body = words[(i += 1)]!;
      if (step.method === 'GET') step.method = 'POST';
    } else if (word === '-sS' || word === '-N') continue;
    else if (/^https?:\/\//.test(word)) step.path = new URL(word).pathname + new URL(word).search;
    else throw new Error(`The packed tests do not understand curl's ${word} in: ${command}`);
  }
  return step;
}

/** Words as a POSIX shell splits them: '…' literal, "…" with \ escapes. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === ' ') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i += 1; text[i] !== '"'; i += 1) word += text[i] === '\\' ? text[(i += 1)] : text[i];
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}
