/**
 * Install size benchmark (not a test): `pnpm bench:install-size`.
 * Packs every publishable package as publishing would (packed/support/pack.ts), then installs
 * the common sets with plain npm into fresh projects outside the workspace, our packages from
 * the tarballs and the rest from the npm registry, and measures each project's node_modules:
 * bytes of its files and the packages in it, beside express alone (the baseline) measured the
 * same way in the same run. The goal (issue 12): the minimal embed adds under 10 MB to express.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFreshProject, lockedPackages, packageNameOf } from '../packed/support/fresh-project.js';
import { buildAndPackAll } from '../packed/support/pack.js';

const GOAL_BYTES = 10 * 1000 * 1000;
const EXPRESS = 'express@5';
const MINIMAL = ['core', 'store-memory', 'http-express'];

const root = await mkdtemp(path.join(os.tmpdir(), 'bench-install-size-'));
const packed = await buildAndPackAll(path.join(root, 'tarballs'));
const tarball = (short: string) => {
  const pkg = packed.find((p) => p.short === short);
  if (!pkg) throw new Error(`No publishable package packages/${short}.`);
  return pkg.tarball;
};
/** The server with the tarballs of the packages of ours it depends on (from the registry once published). */
const serverSet = packed.map((p) => p.tarball);

const sets: { label: string; specs: string[] }[] = [
  { label: `(a) express alone (${EXPRESS}), the baseline`, specs: [EXPRESS] },
  { label: '(b) minimal embed: core + store-memory + http-express + express', specs: [...MINIMAL.map(tarball), EXPRESS] },
  { label: '(c) (b) + store-redis', specs: [...[...MINIMAL, 'store-redis'].map(tarball), EXPRESS] },
  { label: '(d) (c) + runner-docker + runner-ansible', specs: [...[...MINIMAL, 'store-redis', 'runner-docker', 'runner-ansible'].map(tarball), EXPRESS] },
  { label: '(e) the server (`@docker-builder/server`, all of its dependencies)', specs: serverSet },
];

interface Measured {
  bytes: number;
  packages: number;
  /** Bytes by top-level package, nested copies counted with the package that holds them. */
  byPackage: Map<string, number>;
}

async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesIn(full);
    else total += (await lstat(full)).size;
  }
  return total;
}

async function measure(specs: string[], label: string): Promise<Measured> {
  const dir = await createFreshProject(label, specs, root);
  const modules = path.join(dir, 'node_modules');
  const installed = [...lockedPackages(dir).keys()].filter((key) => existsSync(path.join(dir, key)));
  const byPackage = new Map<string, number>();
  for (const key of installed.filter((k) => k.split('node_modules/').length === 2)) byPackage.set(packageNameOf(key), await bytesIn(path.join(dir, key)));
  return { bytes: await bytesIn(modules), packages: installed.length, byPackage };
}

const results: Measured[] = [];
for (const [i, set] of sets.entries()) results.push(await measure(set.specs, `set-${i}`));
const baseline = results[0]!;

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const rows = sets.map((set, i) => {
  const r = results[i]!;
  const over = i === 0 ? '—' : `+${mb(r.bytes - baseline.bytes)} MB, +${r.packages - baseline.packages}`;
  return `| ${set.label} | ${mb(r.bytes)} MB | ${r.packages} | ${over} |`;
});
const embed = results[1]!;
const added = embed.bytes - baseline.bytes;
const largest = [...embed.byPackage.entries()]
  .filter(([name]) => !baseline.byPackage.has(name))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 8)
  .map(([name, bytes]) => `${name} ${mb(bytes)} MB`);

process.stdout.write(`Install size benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()}

node_modules after \`npm install\` in a fresh project (bytes of the files, 1 MB = 10^6 bytes; packages installed):

| set | node_modules | packages | over express alone |
|---|---|---|---|
${rows.join('\n')}

Goal: the minimal embed adds under ${mb(GOAL_BYTES)} MB to express: ${added < GOAL_BYTES ? 'met' : 'NOT met'} (+${mb(added)} MB).
Largest packages the minimal embed adds: ${largest.join(', ')}.
`);

await rm(root, { recursive: true, force: true });
