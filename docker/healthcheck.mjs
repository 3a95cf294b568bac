// The image's HEALTHCHECK: exits 0 when this container's docker-builder answers GET /healthz.
// `serve` is asked on its PORT; a `worker` on its METRICS_PORT when it has one, and otherwise
// counts as healthy while its process runs (a worker without METRICS_PORT serves no HTTP).
// The check runs as a separate process with the container's environment, so it reads the same
// HOST, PORT, METRICS_HOST and METRICS_PORT the service did.
import { readdirSync, readFileSync } from 'node:fs';

/** The command (serve, worker) of the docker-builder process in this container, or null. */
function runningCommand() {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended while we looked
    }
    const script = argv.findIndex((arg) => /(^|\/)(dist\/cli\.js|docker-builder(\.js)?)$/.test(arg));
    if (script >= 0 && /(^|\/)node$/.test(argv[0] ?? '')) return argv[script + 1] ?? 'serve';
  }
  return null;
}

/** Where the service listens, as seen from inside the container (a wildcard is loopback here). */
function local(host) {
  if (!host || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function exit(code, message) {
  process.stdout.write(`${message}\n`);
  process.exit(code);
}

const command = runningCommand();
if (command === null) exit(1, 'docker-builder is not running');

let url;
if (command === 'serve') {
  const port = process.env.PORT ?? '8000';
  if (port === '0') exit(0, 'serve runs on a port chosen at start (PORT=0): only its process was checked');
  url = `http://${local(process.env.HOST)}:${port}/healthz`;
} else if (command === 'worker') {
  const port = process.env.METRICS_PORT;
  if (!port || port === '0') exit(0, 'worker without METRICS_PORT: its process runs');
  url = `http://${local(process.env.METRICS_HOST)}:${port}/healthz`;
} else {
  exit(0, `docker-builder ${command}: its process runs`);
}

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  exit(response.ok ? 0 : 1, `${url}: ${response.status}`);
} catch (error) {
  exit(1, `${url}: ${error.cause?.message ?? error.message}`);
}
