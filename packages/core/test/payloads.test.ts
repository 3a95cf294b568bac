import { describe, expect, it } from 'vitest';
import { CreateBuildPayload, CreateDeployPayload, ValidationError, parseOrThrow, parseImageReference, timestampTag } from '@docker-builder/core';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';

const issuesOf = (schema: typeof CreateBuildPayload | typeof CreateDeployPayload, input: unknown) => {
  try {
    parseOrThrow(schema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
};

describe('CreateDeployPayload', () => {
  it('accepts the seed payload exactly as the seed sent it', () => {
    expect(parseOrThrow(CreateDeployPayload, { mappings: SEED_MAPPINGS })).toEqual({ mappings: SEED_MAPPINGS });
  });

  it.each([
    ['img:{{ lookup("pipe","id") }}', 'template syntax'],
    ["img:{{ lookup('pipe','id') }}", 'template syntax'],
    ['img:{% for x in y %}', 'template syntax'],
    ['img:{# comment #}', 'template syntax'],
    ['img:\uFE5B\uFE5B lookup("pipe","id") \uFE5C\uFE5C', 'template syntax'],
    ['img:\uFF5B\uFF5B 7*7 \uFF5D\uFF5D', 'template syntax'],
    ['img:$(id)', 'shell substitution'],
    ['img:${HOME}', 'shell substitution'],
    ['img:`id`', 'backticks'],
    ['img:1\nhosts: all', 'line breaks'],
    ['--extra-vars=@/etc/passwd', 'must not start with "-"'],
    ['img:tag;rm -rf /', 'Docker image reference'],
    ['img:tag with space', 'Docker image reference'],
    ['img::tag', 'Docker image reference'],
    ['img:' + 'a'.repeat(129), 'Docker image reference'],
    ['r/' + 'a'.repeat(300) + ':1', 'Docker image reference'],
  ])('refuses the mapping value %j, naming the field', (value, reason) => {
    const issues = issuesOf(CreateDeployPayload, { mappings: { 'rag-service': value } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('mappings.rag-service');
    expect(issues[0]!.message).toContain(reason);
  });

  it.each([
    ['{{ 7*7 }}', 'template syntax'],
    ['svc{%x%}', 'template syntax'],
    ['-rf', 'must not start with "-"'],
    ['Rag-Service', 'service name'],
    ['rag service', 'service name'],
    ['rag/service', 'service name'],
  ])('refuses the service id %j as a key', (key, reason) => {
    const issues = issuesOf(CreateDeployPayload, { mappings: { [key]: 'img:1' } });
    expect(issues[0]!.message).toContain(reason);
    expect(issues[0]!.path).toContain('mappings');
  });

  it('refuses an empty mapping, a missing one, a non-object and unknown fields', () => {
    expect(issuesOf(CreateDeployPayload, { mappings: {} })[0]).toEqual({
      path: 'mappings',
      message: 'must map at least one service to an image',
    });
    expect(issuesOf(CreateDeployPayload, {})[0]).toEqual({ path: 'mappings', message: 'is required' });
    expect(issuesOf(CreateDeployPayload, { mappings: ['a'] })[0]!.path).toBe('mappings');
    expect(issuesOf(CreateDeployPayload, { mappings: { a: 'b:1' }, hosts: 'all' })[0]).toEqual({
      path: 'hosts',
      message: 'is not a known field',
    });
  });
});

describe('CreateBuildPayload', () => {
  it('fills in the defaults, with a UTC timestamp tag like the seed images', () => {
    const spec = parseOrThrow(CreateBuildPayload, { service: 'rag-service' });
    expect(spec).toMatchObject({
      service: 'rag-service',
      context: '.',
      dockerfile: 'Dockerfile',
      buildArgs: {},
      labels: {},
      noCache: false,
      pull: false,
      push: true,
    });
    expect(spec.tags).toHaveLength(1);
    expect(spec.tags[0]).toMatch(/^\d{8}-\d{6}$/);
  });

  it('accepts every option', () => {
    const input = {
      service: 'rag-service',
      context: 'services/rag',
      dockerfile: 'docker/Dockerfile.prod',
      image: 'us-central1-docker.pkg.dev/project/repo/rag-service',
      tags: ['20251025-111006', 'latest'],
      buildArgs: { NODE_VERSION: '20', GREETING: 'hello world: 100%' },
      target: 'runtime',
      labels: { 'org.opencontainers.image.source': 'https://git.example.com/rag' },
      platform: 'linux/amd64',
      noCache: true,
      pull: true,
      push: false,
    };
    expect(parseOrThrow(CreateBuildPayload, input)).toEqual(input);
    expect(parseOrThrow(CreateBuildPayload, { service: 'x', context: 'https://git.example.com/team/repo.git#main:services/rag' }).context).toBe(
      'https://git.example.com/team/repo.git#main:services/rag',
    );
    expect(parseOrThrow(CreateBuildPayload, { service: 'x', context: 'ssh://git@github.com/team/repo.git' }).context).toBe(
      'ssh://git@github.com/team/repo.git',
    );
  });

  it.each([
    [{ service: 'x', context: '../etc' }, 'context', '".."'],
    [{ service: 'x', context: '/etc' }, 'context', 'relative path'],
    [{ service: 'x', context: 'a/../../b' }, 'context', '".."'],
    [{ service: 'x', context: 'https://evil.example.com/$(id).git' }, 'context', 'shell substitution'],
    [{ service: 'x', context: 'ext::sh -c id' }, 'context', 'must not use the scp-like form'],
    [{ service: 'x', context: 'git@github.com:team/repo.git' }, 'context', 'must not use the scp-like form'],
    [{ service: 'x', labels: { a: 'csi\u009b31m' } }, 'labels.a', 'must not contain control characters'],
    [{ service: 'x', labels: { a: 'next\u0085line' } }, 'labels.a', 'must not contain control characters'],
    [{ service: 'x', buildArgs: { A: 'invoice\u202egnp.exe' } }, 'buildArgs.A', 'bidirectional text controls'],
    [{ service: 'x', buildArgs: { A: '\u2066isolated\u2069' } }, 'buildArgs.A', 'bidirectional text controls'],
    [{ service: 'x', labels: { a: 'mark\u200f' } }, 'labels.a', 'bidirectional text controls'],
    [{ service: 'x', secretBuildArgs: { NPM_TOKEN: '' } }, 'secretBuildArgs.NPM_TOKEN', 'must not be empty'],
    [{ service: 'x', secretBuildArgs: { 'BAD-NAME': 'v' } }, 'secretBuildArgs.BAD-NAME', 'key must be a build argument name'],
    [{ service: 'x', buildArgs: { NPM_TOKEN: 'a' }, secretBuildArgs: { NPM_TOKEN: 'b' } }, 'secretBuildArgs.NPM_TOKEN', 'is also a build argument'],
    [{ service: 'x', dockerfile: '--file=/etc/passwd' }, 'dockerfile', 'must not start with "-"'],
    [{ service: 'x', tags: ['-latest'] }, 'tags[0]', 'must not start with "-"'],
    [{ service: 'x', tags: ['a b'] }, 'tags[0]', 'Docker tag'],
    [{ service: 'x', tags: [] }, 'tags', 'at least one tag'],
    [{ service: 'x', tags: ['a', 'a'] }, 'tags', 'must not repeat'],
    [{ service: 'x', buildArgs: { 'BAD-NAME': '1' } }, 'buildArgs.BAD-NAME', 'key must be a build argument name'],
    [{ service: 'x', buildArgs: { A: '{{ 7*7 }}' } }, 'buildArgs.A', 'template syntax'],
    [{ service: 'x', labels: { a: '`id`' } }, 'labels.a', 'backticks'],
    [{ service: 'x', target: '--target' }, 'target', 'must not start with "-"'],
    [{ service: 'x', image: 'registry.example.com/app:tag' }, 'image', 'without a tag'],
    [{ service: 'x', platform: 'linux' }, 'platform', 'linux/amd64'],
    [{ service: 'x', noCache: 'yes' }, 'noCache', 'expected boolean'],
    [{ service: 7 }, 'service', 'expected string'],
    [{}, 'service', 'is required'],
  ])('refuses %j at %s', (input, path, reason) => {
    const issues = issuesOf(CreateBuildPayload, input);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toContain(reason);
  });
});

describe('text that reaches labels, build args and mappings', () => {
  it.each([
    ['\u0080', 'control characters'],
    ['\u009b', 'control characters'],
    ['\u009f', 'control characters'],
    ['\u061c', 'bidirectional'],
    ['\u200e', 'bidirectional'],
    ['\u202a', 'bidirectional'],
    ['\u202e', 'bidirectional'],
    ['\u2066', 'bidirectional'],
    ['\u2069', 'bidirectional'],
  ])('refuses %j wherever free text goes', (character, reason) => {
    for (const [schema, input, path] of [
      [CreateBuildPayload, { service: 'x', labels: { k: `a${character}b` } }, 'labels.k'],
      [CreateBuildPayload, { service: 'x', buildArgs: { K: `a${character}b` } }, 'buildArgs.K'],
      [CreateBuildPayload, { service: 'x', secretBuildArgs: { K: `a${character}b` } }, 'secretBuildArgs.K'],
      [CreateDeployPayload, { mappings: { svc: `img:1${character}` } }, 'mappings.svc'],
    ] as const) {
      const issues = issuesOf(schema, input);
      expect(issues[0]).toMatchObject({ path });
      expect(issues[0]!.message).toContain(reason);
    }
  });

  it('keeps accepting ordinary non-ASCII text: accents, CJK, emoji', () => {
    const labels = { 'org.opencontainers.image.title': 'Café — 日本語 🚀' };
    expect(parseOrThrow(CreateBuildPayload, { service: 'x', labels }).labels).toEqual(labels);
  });
});

describe('secret build arguments', () => {
  it('are accepted beside ordinary ones, and their values never appear in an error', () => {
    const spec = parseOrThrow(CreateBuildPayload, { service: 'x', buildArgs: { A: '1' }, secretBuildArgs: { NPM_TOKEN: 'npm_s3cr3t' } });
    expect(spec.secretBuildArgs).toEqual({ NPM_TOKEN: 'npm_s3cr3t' });
    expect(parseOrThrow(CreateBuildPayload, { service: 'x' }).secretBuildArgs).toBeUndefined();
    const issues = issuesOf(CreateBuildPayload, { service: 'x', secretBuildArgs: { NPM_TOKEN: 'npm_s3cr3t`id`' } });
    expect(issues).toEqual([{ path: 'secretBuildArgs.NPM_TOKEN', message: 'must not contain backticks' }]);
    expect(JSON.stringify(issues)).not.toContain('npm_s3cr3t');
  });
});

describe('image references', () => {
  it.each([
    ['us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006', null],
    ['us-central1-docker.pkg.dev/project/repo/rag-service:20251025-111006', {
      repository: 'us-central1-docker.pkg.dev/project/repo/rag-service',
      tag: '20251025-111006',
    }],
    ['rag-service', { repository: 'rag-service' }],
    ['localhost:5000/team/app:1.0', { repository: 'localhost:5000/team/app', tag: '1.0' }],
    ['[::1]:5000/app@sha256:' + 'a'.repeat(64), { repository: '[::1]:5000/app', digest: 'sha256:' + 'a'.repeat(64) }],
  ])('parses %s', (reference, expected) => {
    const parsed = parseImageReference(reference);
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toEqual(expected);
  });

  it('lets deploy mappings use uppercase placeholders, as the seed payload does', () => {
    expect(parseImageReference('us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006', { allowUppercasePath: true })).toEqual({
      repository: 'us-central1-docker.pkg.dev/PROJECT/REPO/rag-service',
      tag: '20251025-111006',
    });
  });

  it('formats the default tag as YYYYMMDD-HHMMSS in UTC', () => {
    expect(timestampTag(new Date('2025-10-25T11:10:06Z'))).toBe('20251025-111006');
  });
});
