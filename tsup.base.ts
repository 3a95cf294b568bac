/** The build every published package shares: ESM + CJS + .d.ts for Node 20. */
import type { Options } from 'tsup';

export function packageBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return { entry, format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'node20', ...extra };
}
