/**
 * The build every published package shares: ESM + CJS + .d.ts for Node 20. No source maps: they
 * would point at src/, which is not published, and weigh more than the code they map.
 */
import type { Options } from 'tsup';

export function packageBuild(entry: Record<string, string>, extra: Options = {}): Options {
  return { entry, format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: false, target: 'node20', ...extra };
}
