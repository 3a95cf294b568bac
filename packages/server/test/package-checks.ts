/**
 * What a publishable package must carry so a stranger's `npm install` gets a usable, documented,
 * licensed package: each check returns the problems it found, in words that say what to fix.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Manifest, PackedPackage } from './workspace-packages.js';

export const REPOSITORY = 'https://github.com/docker-builder/docker-builder';
/** Every Node 20. */
export const NODE_20 = '>=20.0.0';
/** Where `require` loads ES modules by default: a CommonJS build that requires an ESM-only dependency needs it. */
export const NODE_REQUIRE_ESM = '^20.19.0 || >=22.12.0';
export const SOURCE_CONDITION = '@docker-builder/source';

export interface PackageFacts {
  dir: string;
  manifest: Manifest;
  readme: string | null;
  license: string | null;
  rootLicense: string;
  packed: PackedPackage;
  /** The CommonJS build fails where require cannot load ES modules; null when there is no CommonJS build. */
  requireNeedsEsm: boolean | null;
  /** engines.node of each @docker-builder dependency. */
  dependencyEngines: Record<string, string | undefined>;
}

type Check = (facts: PackageFacts) => string[];

const problem = (ok: boolean, message: string) => (ok ? [] : [message]);

export const licensed: Check = ({ manifest, license, rootLicense, packed }) => [
  ...problem(manifest.license === 'MIT', `"license" is ${String(manifest.license)}, not MIT`),
  ...problem(/^MIT License\n\nCopyright \(c\) 2026 Docker Builder contributors\n/.test(rootLicense), 'the root LICENSE is not the MIT licence of "Docker Builder contributors", 2026'),
  ...problem(license === rootLicense, 'LICENSE is missing from the package directory or differs from the root one: copy the root LICENSE there'),
  ...problem(packed.files.includes('LICENSE'), 'the tarball has no LICENSE'),
];

export const documented: Check = ({ manifest, readme, packed }) => {
  if (readme === null) return ['README.md is missing: write one (what it is, install, a minimal example, links)'];
  const sections = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
  const install = readme.split(/^## /m).find((section) => section.startsWith('Install\n')) ?? '';
  const command = install.split('\n').find((line) => line.startsWith('npm install')) ?? '';
  const peers = Object.keys((manifest.peerDependencies as Record<string, string> | undefined) ?? {}).filter(
    (peer) => !(manifest.peerDependenciesMeta as Record<string, { optional?: boolean }> | undefined)?.[peer]?.optional,
  );
  const words = command.split(/\s+/);
  return [
    ...problem(sections[0] === 'Install' && sections[1] === 'Example', `the README must start with "## Install" then "## Example"; its sections are: ${sections.join(', ')}`),
    ...problem(words.includes(manifest.name), `the Install section has no \`npm install ${manifest.name}\` line`),
    ...peers.filter((peer) => !words.includes(peer)).map((peer) => `the install command does not name the peer dependency ${peer}`),
    ...problem(/^## Example\n[\s\S]*?```(ts|bash)\n/m.test(readme), 'the Example section has no ```ts or ```bash block'),
    ...problem(readme.includes(`${REPOSITORY}#readme`) && readme.includes(`${REPOSITORY}/blob/main/ARCHITECTURE.md`), 'the README does not link the root README and ARCHITECTURE.md on GitHub'),
    ...problem(packed.files.includes('README.md'), 'the tarball has no README.md'),
  ];
};

export const findable: Check = ({ dir, manifest }) => [
  ...problem(
    isDeepStrictEqual(manifest.repository, { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${dir}` }),
    `"repository" must be { "type": "git", "url": "git+${REPOSITORY}.git", "directory": "packages/${dir}" }`,
  ),
  ...problem(manifest.homepage === `${REPOSITORY}/tree/main/packages/${dir}#readme`, `"homepage" must be ${REPOSITORY}/tree/main/packages/${dir}#readme`),
  ...problem(isDeepStrictEqual(manifest.bugs, { url: `${REPOSITORY}/issues` }), `"bugs" must be { "url": "${REPOSITORY}/issues" }`),
  ...problem(
    Array.isArray(manifest.keywords) && manifest.keywords.includes('docker-builder') && manifest.keywords.length > 1,
    '"keywords" must hold "docker-builder" and words for what the package does',
  ),
  ...problem(typeof manifest.author === 'string' && manifest.author.length > 0, '"author" is missing'),
];

/** engines.node must be true: narrowed where the CommonJS build, or a dependency of ours, needs require(esm). */
export const trueEngines: Check = ({ manifest, requireNeedsEsm, dependencyEngines }) => {
  const narrowDeps = Object.entries(dependencyEngines).filter(([, range]) => range === NODE_REQUIRE_ESM).map(([name]) => name);
  const expected = requireNeedsEsm || narrowDeps.length > 0 ? NODE_REQUIRE_ESM : NODE_20;
  const why = requireNeedsEsm ? 'its CommonJS build requires an ES module' : narrowDeps.length ? `it depends on ${narrowDeps.join(', ')}` : 'it runs on every Node 20';
  const actual = (manifest.engines as { node?: string } | undefined)?.node;
  return problem(actual === expected, `engines.node is "${String(actual)}" but must be "${expected}": ${why}`);
};

export const shipsItsFiles: Check = ({ manifest, packed }) => {
  const files = (manifest.files as string[] | undefined) ?? [];
  const scripts = (manifest.scripts as Record<string, string> | undefined) ?? {};
  const entries = entryPoints(packed.manifest).filter((file) => !packed.files.includes(file));
  return [
    ...['dist', 'LICENSE', 'README.md', 'CHANGELOG.md'].filter((file) => !files.includes(file)).map((file) => `"files" does not include ${file}`),
    ...problem(Boolean(scripts.build) && scripts.prepack === 'pnpm run build', '"scripts.prepack" must be "pnpm run build", so that packing an unbuilt tree builds it'),
    ...entries.map((file) => `the tarball lacks ${file}, which its package.json points at (built? pnpm build)`),
  ];
};

export const publishable: Check = ({ manifest, packed }) => {
  const config = (manifest.publishConfig as Record<string, unknown> | undefined) ?? {};
  // What resolves imports and commands; scripts may name the condition, they do not run from a tarball.
  const { exports, imports, main, module, types, bin } = packed.manifest;
  const text = JSON.stringify({ exports, imports, main, module, types, bin });
  return [
    ...problem(config.access === 'public' && config.provenance === true, '"publishConfig" must have "access": "public" and "provenance": true'),
    ...problem(!text.includes(SOURCE_CONDITION) && !text.includes('./src/'), `the packed package.json resolves through the ${SOURCE_CONDITION} condition or src/, which is not shipped: leave it out of publishConfig`),
    // publishConfig.exports is a copy: it must follow every change to "exports".
    ...problem(
      isDeepStrictEqual(packed.manifest.exports, withoutSourceCondition(manifest.exports)),
      `the packed "exports" differ from "exports" without the ${SOURCE_CONDITION} condition: update publishConfig.exports`,
    ),
  ];
};

/** Files a host serves to browsers carry no source maps, nor point at any. */
export const noPublicSourceMaps = (packed: PackedPackage, readFile: (file: string) => string): string[] => [
  ...packed.files.filter((file) => file.endsWith('.map')).map((file) => `the tarball ships the source map ${file}`),
  ...packed.files
    .filter((file) => /\.(js|css)$/.test(file) && /sourceMappingURL=/.test(readFile(file)))
    .map((file) => `${file} points at a source map`),
];

export const CHECKS: Check[] = [licensed, documented, findable, trueEngines, shipsItsFiles, publishable];

export function withoutSourceCondition(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== SOURCE_CONDITION).map(([key, inner]) => [key, withoutSourceCondition(inner)]));
}

/** Every file the manifest points at: exports' targets, main, module, types and bins. */
function entryPoints(manifest: Manifest): string[] {
  const leaves = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(leaves) : [];
  const bin = typeof manifest.bin === 'string' ? [manifest.bin] : leaves(manifest.bin);
  return [...leaves(manifest.exports), ...[manifest.main, manifest.module, manifest.types].flatMap(leaves), ...bin].map((file) => file.replace(/^\.\//, ''));
}
