/**
 * Deploy benchmark (not a test): the seed's payload and example playbook, through
 * AnsibleRunner and through ansible-playbook run directly (same playbook, same variables,
 * same flags), alternating, 5 rounds each.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_MAPPINGS, deploySpec, recordingContext } from '@docker-builder/core/testing';
import { createAnsibleRunner } from '@docker-builder/runner-ansible';

const ROUNDS = 5;
const playbook = fileURLToPath(new URL('../packages/server/deploy/playbook.yml', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ansible-'));
const varsFile = path.join(dir, 'vars.json');
writeFileSync(varsFile, JSON.stringify({ mappings: SEED_MAPPINGS }));

const runner = createAnsibleRunner({ playbook });
const viaRunner = async () => {
  const started = process.hrtime.bigint();
  await runner.run(deploySpec(), recordingContext());
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const direct = () => {
  const started = process.hrtime.bigint();
  execFileSync('ansible-playbook', [playbook, '-i', 'localhost,', '--connection', 'local', '--extra-vars', `@${varsFile}`], {
    stdio: 'ignore',
    env: { ...process.env, PYTHONUNBUFFERED: '1', ANSIBLE_FORCE_COLOR: '1' },
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
};

await viaRunner();
direct();
const runnerTimes: number[] = [];
const directTimes: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  runnerTimes.push(await viaRunner());
  directTimes.push(direct());
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const version = execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0];
process.stdout.write(`Ansible deploy benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${version}

The seed's payload and example playbook (3 mappings, PROGRESS 1..100), ${ROUNDS} rounds alternating, milliseconds:

| path | median | all runs |
|---|---|---|
| AnsibleRunner (vars file with !unsafe, output streamed and parsed) | ${median(runnerTimes).toFixed(0)} | ${runnerTimes.map((t) => t.toFixed(0)).join(', ')} |
| ansible-playbook run directly (--extra-vars @vars.json) | ${median(directTimes).toFixed(0)} | ${directTimes.map((t) => t.toFixed(0)).join(', ')} |
| ratio runner / direct | ${(median(runnerTimes) / median(directTimes)).toFixed(2)}× | |
`);
rmSync(dir, { recursive: true, force: true });
