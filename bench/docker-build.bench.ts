/**
 * Docker build benchmark (not a test): `pnpm bench:docker`.
 * 1. The same build, no cache, through DockerRunner and through the docker CLI (classic
 *    builder, DOCKER_BUILDKIT=0, same engine, same context), alternating, 5 rounds each.
 * 2. The runner's peak memory (RSS above its starting point) while sending a ~300 MB context,
 *    to show the context is streamed, not read into memory.
 * Starts its own dockerd.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { recordingContext, buildSpec } from '@docker-builder/core/testing';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { BASE_IMAGE, startDockerEngine } from '../test-support/docker-engine.js';

const ROUNDS = 5;
const engine = await startDockerEngine();
const root = mkdtempSync(path.join(os.tmpdir(), 'bench-ctx-'));
const small = path.join(root, 'small');
mkdirSync(small);
writeFileSync(path.join(small, 'app.txt'), 'x'.repeat(64 * 1024));
writeFileSync(
  path.join(small, 'Dockerfile'),
  `FROM ${BASE_IMAGE}\nCOPY app.txt /app.txt\nRUN for i in $(seq 1 20000); do echo $i; done > /numbers.txt\nRUN wc -l /numbers.txt\n`,
);
const big = path.join(root, 'big');
mkdirSync(big);
for (let i = 0; i < 30; i += 1) writeFileSync(path.join(big, `blob-${i}.bin`), randomBytes(10 * 1024 * 1024));
writeFileSync(path.join(big, 'Dockerfile'), `FROM ${BASE_IMAGE}\nRUN true\n`);

const runner = createDockerRunner({ docker: engine.docker, contextRoot: root });
const viaRunner = async () => {
  const started = process.hrtime.bigint();
  await runner.run(buildSpec({ service: 'bench', context: 'small', noCache: true, push: false }), recordingContext());
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const viaCli = () => {
  const started = process.hrtime.bigint();
  execFileSync('docker', ['build', '--no-cache', '-q', '-t', 'bench-cli:1', small], {
    env: { ...process.env, DOCKER_HOST: engine.host, DOCKER_BUILDKIT: '0' },
    stdio: 'ignore',
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
};

await viaRunner();
viaCli();
const runnerTimes: number[] = [];
const cliTimes: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  runnerTimes.push(await viaRunner());
  cliTimes.push(viaCli());
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

global.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
const sendStarted = process.hrtime.bigint();
await runner.run(buildSpec({ service: 'bench-big', context: 'big', push: false }), recordingContext());
const sendMs = Number(process.hrtime.bigint() - sendStarted) / 1e6;
clearInterval(sampler);

const version = await engine.docker.version();
const cliVersion = execFileSync('docker', ['--version'], { encoding: 'utf8' }).trim();
process.stdout.write(`Docker build benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, engine ${version.Version} (API ${version.ApiVersion}, vfs storage), ${cliVersion}

Same build, no cache (COPY + two RUN steps), ${ROUNDS} rounds alternating, milliseconds:

| path | median | all runs |
|---|---|---|
| DockerRunner (Engine API via dockerode) | ${median(runnerTimes).toFixed(0)} | ${runnerTimes.map((t) => t.toFixed(0)).join(', ')} |
| docker build, classic builder (DOCKER_BUILDKIT=0) | ${median(cliTimes).toFixed(0)} | ${cliTimes.map((t) => t.toFixed(0)).join(', ')} |
| ratio runner / CLI | ${(median(runnerTimes) / median(cliTimes)).toFixed(2)}× | |

Sending a 300 MiB context (30 random 10 MiB files) through DockerRunner: ${(sendMs / 1000).toFixed(1)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, ${((peak - before) / 2 ** 20).toFixed(0)} MiB above the ${(before / 2 ** 20).toFixed(0)} MiB before the build.
`);

rmSync(root, { recursive: true, force: true });
await engine.stop();
