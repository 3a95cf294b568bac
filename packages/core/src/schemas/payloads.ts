/**
 * The payloads users submit. The parsed output of each schema is the job's spec: exactly
 * what a runner receives, with defaults filled in.
 */
import { z } from 'zod';
import {
  buildArgName,
  buildContext,
  deployImageReference,
  imageRepository,
  imageTag,
  labelKey,
  platform,
  relativePath,
  safeText,
  serviceId,
  stageName,
} from './fields.js';
import type { StoredBuildSpec, StoredDeploySpec } from './stored-spec.js';
import { timestampTag } from './timestamp-tag.js';

export const MAX_MAPPINGS = 200;

export const CreateBuildPayload = z
  .strictObject({
    service: serviceId.describe('The service the image is for; also the default image name.'),
    context: buildContext
      .default('.')
      .describe('A directory relative to the server\'s context root, or a git URL ("https://host/repo.git#ref:subdir").'),
    dockerfile: relativePath('Dockerfile').default('Dockerfile').describe('The Dockerfile, relative to the context.'),
    image: imageRepository
      .optional()
      .describe('The image repository without a tag; by default the server\'s registry prefix and the service name.'),
    tags: z
      .array(imageTag)
      .min(1, { error: 'must hold at least one tag' })
      .max(20, { error: 'must hold at most 20 tags' })
      .refine((tags) => new Set(tags).size === tags.length, { error: 'must not repeat a tag' })
      .default(() => [timestampTag()])
      .describe('Tags to apply (and push). Default: one UTC timestamp tag, YYYYMMDD-HHMMSS.'),
    buildArgs: z
      .record(buildArgName, safeText(4096))
      .refine((args) => Object.keys(args).length <= 100, { error: 'must hold at most 100 build arguments' })
      .default({})
      .describe('Build arguments (ARG values).'),
    secretBuildArgs: z
      .record(buildArgName, safeText(4096).min(1, { error: 'must not be empty' }))
      .refine((args) => Object.keys(args).length <= 20, { error: 'must hold at most 20 secret build arguments' })
      .optional()
      .describe(
        'Build arguments whose values are secrets (an NPM_TOKEN): sealed with the server\'s key before the job is stored, ' +
          'never returned or logged (a job shows only a sealed value), handed to the build as ARG values. ' +
          'An ARG value used by a RUN step stays in the image\'s history: use it in a stage that is not pushed.',
      ),
    target: stageName.optional().describe('The stage of a multi-stage Dockerfile to build.'),
    labels: z
      .record(labelKey, safeText(1024))
      .refine((labels) => Object.keys(labels).length <= 100, { error: 'must hold at most 100 labels' })
      .default({})
      .describe('Labels to set on the image.'),
    platform: platform.optional().describe('Target platform, e.g. "linux/amd64".'),
    noCache: z.boolean().default(false).describe('Build without the layer cache.'),
    pull: z.boolean().default(false).describe('Always pull newer versions of base images.'),
    push: z.boolean().default(true).describe('Push every tag to the registry after the build.'),
  })
  .superRefine((payload, ctx) => {
    // One name, one value: the engine would take either, and which one is not ours to guess.
    for (const name of Object.keys(payload.secretBuildArgs ?? {})) {
      if (Object.hasOwn(payload.buildArgs, name)) {
        ctx.addIssue({ code: 'custom', path: ['secretBuildArgs', name], message: 'is also a build argument: give each name once, secret or not' });
      }
    }
  })
  .describe('A request to build (and push) one image.');

export const CreateDeployPayload = z
  .strictObject({
    mappings: z
      .record(serviceId, deployImageReference)
      .refine((mappings) => Object.keys(mappings).length > 0, { error: 'must map at least one service to an image' })
      .refine((mappings) => Object.keys(mappings).length <= MAX_MAPPINGS, {
        error: `must map at most ${MAX_MAPPINGS} services`,
      })
      .describe('Service id → image reference, e.g. {"rag-service": "registry/repo/rag-service:20251025-111006"}.'),
    environment: serviceId
      .optional()
      .describe(
        'Where the deploy goes, e.g. "production": deploys to one environment run one at a time. Only the names the server allows (DEPLOY_ENVIRONMENTS).',
      ),
  })
  .describe('A request to deploy images to services, handed to the playbook as `mappings`.');

export type CreateBuildPayload = z.input<typeof CreateBuildPayload>;
export type CreateDeployPayload = z.input<typeof CreateDeployPayload>;
/**
 * A build job's spec: the build payload with every default filled in, and, for a context
 * uploaded with the request, the server-made id of the upload (never taken from a payload).
 * `secretBuildArgs` holds plaintext only between parsing and the build runner's `validate`,
 * which seals each value in place before the builder stores the spec; a build runner that
 * accepts secret build arguments must do the same (the Docker runner does). The type is the
 * stored-spec schema's, so the OpenAPI document cannot describe a spec other than this one.
 */
export type BuildSpec = z.output<typeof StoredBuildSpec>;
/** A deploy job's spec. */
export type DeploySpec = z.output<typeof StoredDeploySpec>;
