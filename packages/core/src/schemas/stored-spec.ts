/**
 * A job's spec as it is stored, and so as every API answer shows it: the payload's parsed output
 * with its defaults filled in, plus what the server adds. These describe what is returned (the
 * OpenAPI document's response side); payloads are parsed with payloads.ts, never with these.
 */
import { z } from 'zod';
import { CreateBuildPayload, CreateDeployPayload } from './payloads.js';

const { secretBuildArgs: _plaintext, ...buildFields } = CreateBuildPayload.shape;

export const StoredBuildSpec = z
  .object({
    ...buildFields,
    // A sealed value is longer than the secret it holds, so the payload's length limit does not apply.
    secretBuildArgs: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Secret build arguments, each value sealed by the build runner before the job was stored ' +
          '(the Docker runner\'s look like `sealed:v1:<key id>:…`); the value sent is never returned.',
      ),
    upload: z
      .string()
      .optional()
      .describe(
        'Set by the server for a build whose context was uploaded as a tar archive: the id of that upload. ' +
          'The archive is removed once the job has run, so such a job cannot be retried.',
      ),
  })
  .describe('A build job\'s spec: the payload with its defaults filled in.');

export const StoredDeploySpec = z.object(CreateDeployPayload.shape).describe('A deploy job\'s spec: the payload as sent.');
