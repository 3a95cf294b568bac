/**
 * Git contexts the engine would clone from inside its own network: every notation of an
 * address that names that network is refused, whatever hosts the server allows.
 */
import { describe, expect, it } from 'vitest';
import { CreateBuildPayload, ValidationError, isGitUrl, parseGitUrl, parseOrThrow } from '@docker-builder/core';

const refusal = (context: string) => {
  try {
    parseOrThrow(CreateBuildPayload, { service: 'x', context });
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
};

const IP = 'not by an IP address';

describe('git URLs', () => {
  it.each([
    // Cloud metadata and the engine's own host, in every notation a URL parser or inet_aton accepts.
    ['https://169.254.169.254/latest/meta-data.git', IP],
    ['https://169.254.169.254./latest.git', 'must not end its host name with a dot'],
    ['https://127.0.0.1/repo.git', IP],
    ['https://127.0.0.1:2375/repo.git', IP],
    ['https://127.1/repo.git', IP],
    ['https://2130706433/repo.git', IP],
    ['https://0x7f000001/repo.git', IP],
    ['https://0X7F000001/repo.git', IP],
    ['https://0177.0.0.1/repo.git', IP],
    ['https://0x7f.0.0.1/repo.git', IP],
    ['https://017700000001/repo.git', IP],
    ['https://10.0.0.8/repo.git', IP],
    ['https://192.168.1.1/repo.git', IP],
    ['https://172.17.0.1:2375/repo.git', IP],
    ['https://[::1]/repo.git', IP],
    ['https://[::1]:2375/repo.git', IP],
    ['https://[::ffff:127.0.0.1]/repo.git', IP],
    ['https://[::ffff:a9fe:a9fe]/repo.git', IP],
    ['https://[fe80::1%25eth0]/repo.git', IP],
    ['https://localhost/repo.git', 'must not name this machine'],
    ['https://LOCALHOST:2375/repo.git', 'must not name this machine'],
    ['https://docker.localhost/repo.git', 'must not name this machine'],
    ['https://ip6-localhost/repo.git', 'must not name this machine'],
    // Credentials and hosts hidden behind them.
    ['https://user:token@github.com/team/repo.git', 'must not carry credentials'],
    ['https://token@github.com/team/repo.git', 'must not carry credentials'],
    ['https://github.com@169.254.169.254/repo.git', 'must not carry credentials'],
    ['https://github.com%40169.254.169.254/repo.git', IP],
    ['https://github.com%40evil.example/repo.git', 'must have a host name'],
    ['ssh://git:password@github.com/team/repo.git', 'must not carry credentials'],
    // The scp-like forms git reads as ssh.
    ['git@github.com:team/repo.git', 'scp-like'],
    ['user@169.254.169.254:repo.git', 'scp-like'],
    ['github.com:team/repo.git', 'scp-like'],
    ['127.0.0.1:repo.git', 'scp-like'],
    // Other schemes: plain http, git's own protocol, local files, transports that run commands.
    ['http://github.com/team/repo.git', 'must be an https:// git URL'],
    ['git://github.com/team/repo.git', 'must be an https:// git URL'],
    ['file:///etc/repo.git', 'must be an https:// git URL'],
    ['ftp://github.com/repo.git', 'must be an https:// git URL'],
    ['ext::sh -c touch% /tmp/pwned', 'scp-like'],
    // What the engine would download instead of cloning, and other paths.
    ['https://github.com/team/repo', 'ending in .git'],
    ['https://github.com/team/context.tar.gz', 'ending in .git'],
    ['https://github.com/team/repo.git?ref=main', 'query string'],
    ['https://github.com/team/../../repo.git', '".."'],
    ['https://github.com', 'ending in .git'],
    ['https://gіthub.com/team/repo.git', 'host name'],
    // Refs and subdirectories that an option parser or a path could misread.
    ['https://github.com/team/repo.git#--upload-pack=touch', 'ref'],
    ['https://github.com/team/repo.git#-x', 'ref'],
    ['https://github.com/team/repo.git#main:../../etc', 'subdirectory'],
    ['https://github.com/team/repo.git#main:/etc', 'subdirectory'],
    // Template, shell and control characters, as everywhere.
    ['https://github.com/team/$(id).git', 'shell substitution'],
    ['https://github.com/team/repo.git#main\u202e', 'bidirectional'],
  ])('refuses %s, naming the context', (context, reason) => {
    const issues = refusal(context);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('context');
    expect(issues[0]!.message).toContain(reason);
  });

  it.each([
    ['https://github.com/team/repo.git', { scheme: 'https', user: null, host: 'github.com', port: null, path: 'team/repo.git', ref: null, subdirectory: null }],
    ['https://GitHub.com:443/team/repo.git#main', { host: 'github.com', port: 443, ref: 'main' }],
    ['https://git.example.com:8443/team/sub/repo.git#v1.2.3:services/rag', { port: 8443, path: 'team/sub/repo.git', ref: 'v1.2.3', subdirectory: 'services/rag' }],
    ['https://git.example.com/repo.git#:services/rag', { ref: null, subdirectory: 'services/rag' }],
    ['https://0x7f.example.com/repo.git', { host: '0x7f.example.com' }],
    ['ssh://git@github.com/team/repo.git', { scheme: 'ssh', user: 'git', host: 'github.com' }],
  ])('accepts %s', (context, expected) => {
    expect(refusal(context)).toEqual([]);
    const parsed = parseGitUrl(context);
    expect(parsed.ok && parsed.url).toMatchObject(expected);
  });

  it('tells git URLs from directories', () => {
    for (const url of ['https://h/r.git', 'ssh://h/r.git', 'git@h:r.git', 'h:r', 'file:///x']) expect(isGitUrl(url)).toBe(true);
    for (const dir of ['.', 'services/rag', 'github.com/team/repo', 'a@b']) expect(isGitUrl(dir)).toBe(false);
  });
});
