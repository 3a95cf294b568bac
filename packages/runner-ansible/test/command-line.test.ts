/** ANSIBLE_EXTRA_ARGS is split as a shell splits words, with no shell: nothing is expanded or run. */
import { describe, expect, it } from 'vitest';
import { splitArguments } from '@docker-builder/runner-ansible';

describe('splitArguments', () => {
  it('splits on whitespace and groups with quotes and backslashes, as a shell does', () => {
    expect(splitArguments('  --private-key /keys/id_ed25519   -e @group_vars/prod.yml\n--vault-password-file=/run/secrets/vault ')).toEqual([
      '--private-key',
      '/keys/id_ed25519',
      '-e',
      '@group_vars/prod.yml',
      '--vault-password-file=/run/secrets/vault',
    ]);
    expect(splitArguments(`-e 'region=eu west' -e "{\\"a\\": 1}" --ssh-common-args='-o ProxyJump=bastion' a\\ b '' x""y`)).toEqual([
      '-e',
      'region=eu west',
      '-e',
      '{"a": 1}',
      "--ssh-common-args=-o ProxyJump=bastion",
      'a b',
      '',
      'xy',
    ]);
    expect(splitArguments(`'$HOME is literal; here' "back\\slash" one\\\ntwo`)).toEqual(['$HOME is literal; here', 'back\\slash', 'onetwo']);
    expect(splitArguments('')).toEqual([]);
  });

  it('refuses what a shell would expand or treat as syntax, and unterminated quotes', () => {
    expect(() => splitArguments('--private-key $HOME/.ssh/id')).toThrow('"$" at position 15: it means something to a shell, but no shell reads this value');
    expect(() => splitArguments('-e "x=$(id)"')).toThrow('"$" inside double quotes at position 7');
    expect(() => splitArguments('--private-key ~/.ssh/id')).toThrow('"~" at the start of a word at position 15');
    expect(() => splitArguments('-e @prod.yml # the production vars')).toThrow('"#" at the start of a word');
    expect(() => splitArguments('-e @prod.yml; rm -rf /')).toThrow('";" at position 13');
    expect(() => splitArguments("-e 'x=1")).toThrow("unterminated ' quote at position 4");
    expect(() => splitArguments('-e "x=1')).toThrow('unterminated " quote at position 4');
    expect(() => splitArguments('-e x\\')).toThrow('a backslash ends the value');
    // Where a shell would not expand them, they are plain characters.
    expect(splitArguments('--limit web~1 -e a#b')).toEqual(['--limit', 'web~1', '-e', 'a#b']);
  });
});
