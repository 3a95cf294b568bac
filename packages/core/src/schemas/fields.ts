/**
 * Reusable zod field schemas. Each message says what the field must look like, so the
 * error a user sees (`mappings.rag-service: must be ...`) tells them how to fix it.
 */
import { z } from 'zod';
import {
  MAX_REPOSITORY_LENGTH,
  REPOSITORY_PATTERN,
  SERVICE_ID_PATTERN,
  TAG_PATTERN,
  parseImageReference,
} from './docker-reference.js';
import { isGitUrl, parseGitUrl } from './git-url.js';
import { unsafeTextReason } from './safe-text.js';

/** Free text that will reach a runner; see safe-text.ts for what is refused. */
export function safeText(maxLength: number) {
  return z
    .string()
    .max(maxLength, { error: `must be at most ${maxLength} characters` })
    .superRefine((value, ctx) => {
      const reason = unsafeTextReason(value);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    });
}

/** Runs the hazard check first, so `{{ x }}` is reported as template syntax, not as a bad name. */
function grammarText(pattern: RegExp, maxLength: number, description: string) {
  return z.string().superRefine((value, ctx) => {
    const reason = unsafeTextReason(value);
    if (reason) {
      ctx.addIssue({ code: 'custom', message: reason });
    } else if (value.length > maxLength) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${maxLength} characters` });
    } else if (!pattern.test(value)) {
      ctx.addIssue({ code: 'custom', message: description });
    }
  });
}

export const serviceId = grammarText(
  SERVICE_ID_PATTERN,
  128,
  'must be a service name: lowercase letters and digits, separated by ".", "_", "__" or "-" (e.g. "rag-service")',
);

export const imageRepository = grammarText(
  REPOSITORY_PATTERN,
  MAX_REPOSITORY_LENGTH,
  'must be an image repository without a tag, e.g. "registry.example.com/team/rag-service"',
);

export const imageTag = grammarText(
  TAG_PATTERN,
  128,
  'must be a Docker tag: letters, digits, "_", "." and "-", starting with a letter, digit or "_" (at most 128 characters)',
);

/** An image to deploy; see docker-reference.ts for why uppercase paths pass here. */
export const deployImageReference = z.string().superRefine((value, ctx) => {
  const reason = unsafeTextReason(value);
  if (reason) {
    ctx.addIssue({ code: 'custom', message: reason });
  } else if (!parseImageReference(value, { allowUppercasePath: true })) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a Docker image reference such as "registry.example.com/team/rag-service:20251025-111006"',
    });
  }
});

const RELATIVE_PATH = /^[A-Za-z0-9._@+][A-Za-z0-9._@+-]*(?:\/[A-Za-z0-9._@+][A-Za-z0-9._@+-]*)*\/?$/;

/** A path inside a root: relative, no `..` segment. Symlink escapes are the runner's to refuse. */
export function relativePath(example: string) {
  return z.string().superRefine((value, ctx) => {
    const reason = unsafeTextReason(value);
    if (reason) {
      ctx.addIssue({ code: 'custom', message: reason });
    } else if (value.length > 1024) {
      ctx.addIssue({ code: 'custom', message: 'must be at most 1024 characters' });
    } else if (value.startsWith('/')) {
      ctx.addIssue({ code: 'custom', message: `must be a relative path (e.g. "${example}"), not an absolute one` });
    } else if (value.split('/').includes('..')) {
      ctx.addIssue({ code: 'custom', message: 'must not contain ".." (paths stay inside their root)' });
    } else if (!RELATIVE_PATH.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a relative path of letters, digits, ".", "_", "-", "@", "+" and "/" (e.g. "${example}")`,
      });
    }
  });
}

/**
 * A build context: a directory relative to the runner's context root, or a git URL
 * (`https://host/repo.git#ref:subdir`) that passes the rules in git-url.ts.
 */
export const buildContext = z.string().superRefine((value, ctx) => {
  if (!isGitUrl(value)) {
    const result = relativePath('services/rag').safeParse(value);
    for (const issue of result.error?.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message });
    return;
  }
  const reason = unsafeTextReason(value);
  const parsed = reason ? null : parseGitUrl(value);
  if (reason || (parsed && !parsed.ok)) {
    ctx.addIssue({ code: 'custom', message: reason ?? (parsed as { reason: string }).reason });
  }
});

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const buildArgName = grammarText(ENV_NAME, 128, 'must be a build argument name: letters, digits and "_", not starting with a digit');
export const labelKey = grammarText(
  /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/,
  255,
  'must be a label key such as "org.opencontainers.image.source"',
);
export const stageName = grammarText(
  /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  128,
  'must be a build stage name: letters, digits, "_", "." and "-"',
);
export const platform = grammarText(
  /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/,
  64,
  'must be a platform such as "linux/amd64" or "linux/arm64/v8"',
);
