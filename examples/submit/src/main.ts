/**
 * Submit a job and follow its log:
 *
 *   pnpm --filter @docker-builder/example-submit start deploy '{"mappings":{"rag-service":"registry/rag-service:1"}}'
 *   pnpm --filter @docker-builder/example-submit start build '{"service":"rag-service","context":"services/rag"}'
 *
 * DOCKER_BUILDER_API (default http://127.0.0.1:8000/api) and DOCKER_BUILDER_TOKEN configure it.
 * Exits 0 when the job ends `done`, 1 when it ends otherwise, 2 when it was refused.
 */
import { ApiError, submitAndFollow } from './follow-job.js';

const [kind, payloadText] = process.argv.slice(2);
if ((kind !== 'build' && kind !== 'deploy') || !payloadText) {
  console.error('usage: submit <build|deploy> <json payload>');
  process.exit(2);
}

let payload: unknown;
try {
  payload = JSON.parse(payloadText);
} catch {
  console.error('the payload is not valid JSON');
  process.exit(2);
}

try {
  const result = await submitAndFollow({
    api: process.env.DOCKER_BUILDER_API ?? 'http://127.0.0.1:8000/api',
    token: process.env.DOCKER_BUILDER_TOKEN,
    kind,
    payload,
    onLine: (line) => process.stdout.write(`${line}\n`),
  });
  console.error(`job ${result.id} ended ${result.state}${result.error ? `: ${result.error}` : ''}`);
  process.exit(result.state === 'done' ? 0 : 1);
} catch (error) {
  console.error(error instanceof ApiError ? `refused: ${error.message}` : String(error));
  process.exit(2);
}
