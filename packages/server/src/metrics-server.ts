/**
 * The worker's own small HTTP server, on METRICS_PORT: /metrics (its jobs, log lines, runners),
 * /healthz and /readyz, the same answers as the API server's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpsHandler } from './ops-routes.js';

export function startMetricsServer(options: { host: string; port: number; handler: OpsHandler }): Promise<{ server: Server; port: number; url: string }> {
  const server = createServer((req, res) => options.handler(req, res));
  // Scrapers keep connections open; they must not hold the worker's exit.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({ server, port, url: `http://${host}:${port}/metrics` });
    });
  });
}
