/**
 * docker-builder: the standalone service.
 *
 *   docker-builder serve     the API server, web UI and docs (the embedded default without REDIS_URL)
 *   docker-builder worker    a worker taking jobs from Redis (REDIS_URL)
 *
 * Both read their settings from the environment (see the README's configuration table).
 */
const USAGE = `usage: docker-builder <serve|worker>

  serve    the API server (http://HOST:PORT, API under /api, UI at /, /healthz, /readyz, /metrics)
  worker   a worker that takes jobs from Redis; needs REDIS_URL

Settings come from the environment: see the README's configuration table.`;

// A module: the commands are loaded only when chosen (a worker never loads the web server).
export {};

const command = process.argv[2];
if (command === 'serve') await import('./serve.js');
else if (command === 'worker') await import('./worker.js');
else {
  process.stderr.write(`${command && command !== '--help' && command !== '-h' ? `docker-builder: unknown command "${command}"\n` : ''}${USAGE}\n`);
  process.exit(command === '--help' || command === '-h' ? 0 : 2);
}
