/**
 * A parser of the Prometheus text exposition format (version 0.0.4), strict enough that a
 * malformed line fails the test instead of being skipped: what a scraper would refuse, we refuse.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Metric family → its TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample with this name whose labels include `labels`; throws when there is not exactly one. */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const fail = (why: string) => new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!meta) continue; // any other comment
      if (meta[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(meta[3]!)) throw fail('unknown type');
        types.set(meta[2]!, meta[3]!);
      } else help.set(meta[2]!, meta[3]!);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw fail('no metric name');
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = LABEL_NAME.exec(rest)?.[0];
        if (!label || rest[label.length] !== '=' || rest[label.length + 1] !== '"') throw fail('bad label');
        rest = rest.slice(label.length + 2);
        let value = '';
        for (;;) {
          const char = rest[0];
          if (char === undefined) throw fail('unterminated label value');
          rest = rest.slice(1);
          if (char === '"') break;
          if (char === '\\') {
            const escaped = rest[0];
            rest = rest.slice(1);
            if (escaped === 'n') value += '\n';
            else if (escaped === '\\' || escaped === '"') value += escaped;
            else throw fail('bad escape');
          } else value += char;
        }
        if (label in labels) throw fail(`label ${label} twice`);
        labels[label] = value;
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw fail('expected , or }');
      }
      rest = rest.slice(1);
    }
    const fields = /^ (\S+)( -?\d+)?$/.exec(rest);
    if (!fields) throw fail('bad value');
    const value = parseFloatLikeGo(fields[1]!);
    if (value === null) throw fail('value is not a number');
    samples.push({ name, labels, value });
  }
  return {
    types,
    help,
    samples,
    value(name, wanted = {}) {
      const found = samples.filter((sample) => sample.name === name && Object.entries(wanted).every(([key, value]) => sample.labels[key] === value));
      if (found.length !== 1) throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(wanted)}`);
      return found[0]!.value;
    },
  };
}

/** Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan"). */
function parseFloatLikeGo(text: string): number | null {
  if (/^nan$/i.test(text)) return NaN;
  const infinity = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}
