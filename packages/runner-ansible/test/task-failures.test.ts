/**
 * The job's error carries each failure's own message: a loop's failed items (ansible prints
 * no summary line for them), an unreachable loop's items (its summary says only "All items
 * completed"), also when -vvv indents the results over many lines; an ignored failure is not
 * the one reported.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recordingContext } from '@docker-builder/core/testing';
import { createAnsibleRunner, type AnsibleRunnerOptions } from '@docker-builder/runner-ansible';
import { createOutputReader } from '../src/ansible-output.js';
import { failureMessage } from '../src/failure-message.js';

const scripted = fileURLToPath(new URL('./playbooks/scripted.yml', import.meta.url));
const failWith = async (mappings: Record<string, string>, options: AnsibleRunnerOptions = {}) => {
  const error = await createAnsibleRunner({ playbook: scripted, ...options })
    .run({ mappings }, recordingContext())
    .then(() => null, (e: Error) => e);
  return error?.message;
};

const ITEMS_FAILED =
  'Task "Roll out each service" failed on localhost: item bad1: non-zero return code (rc 4): no such image: a:1; ' +
  'item bad2: non-zero return code (rc 4): no such image: c:2';

describe('the error of a failed deploy', () => {
  it('names each failed item of a loop with its own message', async () => {
    expect(await failWith({ bad1: 'a:1', good: 'b:1', bad2: 'c:2' })).toBe(ITEMS_FAILED);
  }, 60_000);

  it('reads results that -vvv (from the operator\'s extra arguments) spreads over many lines', async () => {
    expect(await failWith({ bad1: 'a:1', good: 'b:1', bad2: 'c:2' }, { extraArgs: ['-vvv'] })).toBe(ITEMS_FAILED);
  }, 60_000);

  it('skips a failure whose errors the playbook ignores', async () => {
    expect(await failWith({ optional: 'x:1', fail: 'x:1' })).toBe(
      'Task "Roll out rag-service" failed on localhost: non-zero return code (rc 3): image not found in registry',
    );
  }, 60_000);

  it('takes an unreachable loop\'s cause from its items, not "All items completed" (lines as ansible 2.14 printed them)', () => {
    const reader = createOutputReader(() => undefined);
    for (const line of [
      '\x1b[0;31mfailed: [deploy-host] (item={\'key\': \'web\', \'value\': \'img:1\'}) => {"ansible_loop_var": "item", "item": {"key": "web", "value": "img:1"}, "msg": "Failed to connect to the host via ssh: Host key verification failed.", "unreachable": true}\x1b[0m',
      '\x1b[1;31mfatal: [deploy-host]: UNREACHABLE! => {"changed": false, "msg": "All items completed", "results": [{"ansible_loop_var": "item", "item": {"key": "web", "value": "img:1"}, "msg": "Failed to connect to the host via ssh: Host key verification failed.", "unreachable": true}]}\x1b[0m',
    ]) {
      reader.read(line);
    }
    expect(failureMessage(reader, 4)).toMatch(
      /^Task "" failed on deploy-host: unreachable: Failed to connect to the host via ssh: Host key verification failed\. The host's SSH key .* ANSIBLE_HOST_KEY_CHECKING=False/,
    );
  });

  it('uses a loop summary\'s results when no item line came, and a label that holds ") => {"', () => {
    const reader = createOutputReader(() => undefined);
    reader.read('TASK [Roll out] ****');
    reader.read('fatal: [h1]: UNREACHABLE! => {"msg": "All items completed", "results": [{"item": "a", "msg": "Connection timed out", "unreachable": true}]}');
    reader.read('TASK [Migrate] ****');
    reader.read('failed: [h2] (item=x) => {y) => {"msg": "bad\\ninput", "failed": true, "rc": 1}');
    expect(reader.failures).toEqual([
      { task: 'Roll out', host: 'h1', item: 'a', unreachable: true, message: 'Connection timed out' },
      { task: 'Migrate', host: 'h2', item: 'x) => {y', unreachable: false, message: 'bad input (rc 1)' },
    ]);
    expect(failureMessage(reader, 4)).toBe('Task "Roll out" failed on h1: unreachable: Connection timed out (and 1 more failure)');
  });
});
