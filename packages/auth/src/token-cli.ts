/**
 * docker-builder-token: manages AUTH_TOKENS_FILE.
 *
 *   docker-builder-token create --file tokens.json --sub ci@example.com --role write [--name "CI"] [--description "..."]
 *   docker-builder-token list   --file tokens.json
 *   docker-builder-token revoke --file tokens.json --id 1a2b3c4d5e6f
 *
 * `create` prints the token once, on stdout; only its SHA-256 is written to the file. A running
 * server picks the change up within a second (or on SIGHUP).
 */
import { parseArgs } from 'node:util';
import { JobUserSchema, ROLES, isRole } from '@docker-builder/core';
import { issueToken } from './api-token.js';
import { readTokenFile, writeTokenFile } from './token-file.js';

const USAGE = `usage:
  docker-builder-token create --file FILE --sub SUB --role ${ROLES.join('|')} [--name NAME] [--description TEXT]
  docker-builder-token list   --file FILE
  docker-builder-token revoke --file FILE --id ID`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      file: { type: 'string' },
      sub: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      id: { type: 'string' },
    },
    strict: true,
  });
  if (!values.file) return fail('--file is required (the AUTH_TOKENS_FILE of your server)');
  const tokens = await readTokenFile(values.file);

  if (command === 'create') {
    if (!values.sub) return fail('--sub is required: who the token acts as (it reaches deploys as DEPLOY_USER_SUB)');
    if (!isRole(values.role)) return fail(`--role must be one of ${ROLES.join(', ')}`);
    const user = JobUserSchema.safeParse({ sub: values.sub, name: values.name });
    if (!user.success) return fail(`--sub or --name is not acceptable: ${user.error.issues[0]?.message ?? 'invalid'}`);
    const issued = issueToken();
    tokens.push({
      id: issued.id,
      sub: user.data.sub,
      ...(user.data.name ? { name: user.data.name } : {}),
      role: values.role,
      sha256: issued.sha256,
      createdAt: new Date().toISOString(),
      ...(values.description ? { description: values.description } : {}),
    });
    await writeTokenFile(values.file, tokens);
    process.stderr.write(`token ${issued.id} for ${user.data.sub} (${values.role}) added to ${values.file}; it is shown once:\n`);
    process.stdout.write(`${issued.token}\n`);
    return 0;
  }
  if (command === 'list') {
    for (const entry of tokens) process.stdout.write(`${entry.id}  ${entry.role.padEnd(5)}  ${entry.sub}${entry.createdAt ? `  ${entry.createdAt}` : ''}${entry.description ? `  ${entry.description}` : ''}\n`);
    return 0;
  }
  if (command === 'revoke') {
    const kept = tokens.filter((entry) => entry.id !== values.id);
    if (kept.length === tokens.length) return fail(`no token with id ${values.id ?? '(none given)'} in ${values.file}`);
    await writeTokenFile(values.file, kept);
    process.stderr.write(`token ${values.id} revoked\n`);
    return 0;
  }
  return fail(command ? `unknown command "${command}"` : 'a command is required');
}

function fail(message: string): number {
  process.stderr.write(`docker-builder-token: ${message}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`docker-builder-token: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
