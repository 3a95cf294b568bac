/**
 * The server's concurrency groups from its settings: CONCURRENCY_RULES (limits and policies by
 * group name), BUILD_CONCURRENCY, DEPLOY_ENVIRONMENTS and CONCURRENCY_GROUPS. Checked at start,
 * naming the part at fault; the server and every worker build the same options from them.
 */
import { CreateDeployPayload, MAX_GROUP_NAME, type BuilderOptions, type FieldIssue, type GroupPolicy, type GroupRule } from '@docker-builder/core';

/** Every build, every deploy: a job joins its kind's group when a rule names it (BUILD_CONCURRENCY names `builds`). */
const KIND_GROUPS = { builds: 'build', deploys: 'deploy' } as const;
const POLICIES: readonly GroupPolicy[] = ['queue', 'supersede'];
const FORMS = 'pattern=limit, pattern=policy or pattern=limit:policy, e.g. deploy:*=supersede,builds=3,environment:production=1:queue';
/** Group names are service ids, image repositories and environment names: lowercase, so a pattern is too. */
const PATTERN = /^[a-z0-9._:/@*-]+$/;

export interface ConcurrencySettings {
  CONCURRENCY_RULES: GroupRule[];
  BUILD_CONCURRENCY?: number | undefined;
  DEPLOY_ENVIRONMENTS: string[];
  CONCURRENCY_GROUPS: boolean;
}

/** One entry of CONCURRENCY_RULES, or why it is not one. */
export function parseConcurrencyRule(entry: string): GroupRule | string {
  const equals = entry.indexOf('=');
  if (equals < 0 || entry.indexOf('=', equals + 1) >= 0) return `"${entry}" is not a rule: write ${FORMS}`;
  const match = entry.slice(0, equals).trim();
  const value = entry.slice(equals + 1).trim();
  if (!PATTERN.test(match) || match.length > MAX_GROUP_NAME) {
    return `"${match}" in "${entry}" is not a group pattern: lowercase letters, digits and . _ - : / @, with * for any characters`;
  }
  const parts = value.split(':');
  if (parts.length > 2) return `"${value}" in "${entry}" is not a limit or a policy: write ${FORMS}`;
  // One part: a limit if it looks like a number at all (so "-1" is a bad limit, not a bad policy).
  const [limitText, policyText] = parts.length === 2 ? parts : /^[-+.\d]/.test(value) ? [value] : [undefined, value];
  const rule: GroupRule = { match };
  if (limitText !== undefined) {
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || !Number.isSafeInteger(limit) || limit < 1) return `"${limitText}" in "${entry}": the limit must be a whole number, at least 1`;
    rule.limit = limit;
  }
  if (policyText !== undefined) {
    if (!(POLICIES as readonly string[]).includes(policyText)) return `"${policyText}" in "${entry}": the policy must be ${POLICIES.join(' or ')}`;
    rule.policy = policyText as GroupPolicy;
  }
  return rule;
}

/** Why a DEPLOY_ENVIRONMENTS name is not one a deploy could send, or null: the payload's own check. */
export function environmentNameProblem(name: string): string | null {
  const result = CreateDeployPayload.shape.environment.safeParse(name);
  return result.success ? null : `"${name}" ${result.error.issues[0]?.message ?? 'is not a valid name'}`;
}

/**
 * What the settings say together that each cannot alone: a rule no group of this server could
 * match (a typo, an environment not allowed, default groups turned off), or `builds` given twice.
 */
export function concurrencyProblems(settings: ConcurrencySettings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const exact = ['builds', 'deploys', ...settings.DEPLOY_ENVIRONMENTS.map((name) => `environment:${name}`)];
  const prefixes = settings.CONCURRENCY_GROUPS ? ['deploy:', 'build:'] : [];
  for (const { match } of settings.CONCURRENCY_RULES) {
    if (match === 'builds' && settings.BUILD_CONCURRENCY !== undefined) {
      issues.push({ path: 'CONCURRENCY_RULES', message: `"${match}" is BUILD_CONCURRENCY's group: set its limit in one place, not both` });
      continue;
    }
    const literal = match.split('*')[0]!;
    const wildcard = match.includes('*');
    const possible =
      exact.some((name) => globMatches(match, name)) ||
      prefixes.some((prefix) => (wildcard ? literal.startsWith(prefix) || prefix.startsWith(literal) : match.startsWith(prefix) && match.length > prefix.length));
    if (possible) continue;
    const hint = match.startsWith('environment:')
      ? 'add the environment to DEPLOY_ENVIRONMENTS'
      : /^(deploy|build):/.test(match) && !settings.CONCURRENCY_GROUPS
        ? 'CONCURRENCY_GROUPS=off leaves jobs without deploy: and build: groups'
        : 'the groups are deploy:<service>, build:<image repository>, environment:<name> (DEPLOY_ENVIRONMENTS), builds and deploys';
    issues.push({ path: 'CONCURRENCY_RULES', message: `"${match}" matches no group of this server: ${hint}` });
  }
  return issues;
}

/** The builder's `groups` option: the same on the server and every worker. */
export function concurrencyOptions(settings: ConcurrencySettings): Pick<BuilderOptions, 'groups'> {
  // BUILD_CONCURRENCY first: the first rule that matches a group sets its limit.
  const rules: GroupRule[] = [...(settings.BUILD_CONCURRENCY !== undefined ? [{ match: 'builds', limit: settings.BUILD_CONCURRENCY }] : []), ...settings.CONCURRENCY_RULES];
  const kindGroups = Object.entries(KIND_GROUPS).filter(([name]) => rules.some((rule) => rule.match === name));
  return {
    groups: {
      defaultGroups: settings.CONCURRENCY_GROUPS,
      environments: settings.DEPLOY_ENVIRONMENTS,
      rules,
      ...(kindGroups.length > 0 ? { groups: (job) => kindGroups.filter(([, kind]) => kind === job.kind).map(([name]) => name) } : {}),
    },
  };
}

function globMatches(pattern: string, name: string): boolean {
  const expression = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${expression}$`).test(name);
}
