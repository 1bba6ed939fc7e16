// The HTTP endpoint Prometheus scrapes while a run is going (docs/profiling.md, "Live metrics for
// Prometheus and Grafana"): GET /metrics answers in OpenMetrics when the scraper asks for it (Prometheus
// does), else in Prometheus text 0.0.4. It listens only where it is told (the adapters default to
// loopback), fails before the script starts when it cannot, and closes every connection when stopped.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsServerError } from './errors';
import type { LiveMetrics } from './live-metrics';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

function why(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use; pick another --metrics-port, or stop what listens there`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `${where}: no interface of this machine has that address`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve`;
    default:
      return `${where}: ${err.message}`;
  }
}

export class MetricsServer {
  /** The run's metrics; null for the moments between listening and the run folder's creation. */
  private metrics: LiveMetrics | null = null;
  private constructor(private readonly server: http.Server, readonly url: string) {}

  serve(metrics: LiveMetrics): void {
    this.metrics = metrics;
  }

  static start(host: string, port: number): Promise<MetricsServer> {
    let self: MetricsServer | null = null;
    const server = http.createServer((req, res) => {
      const route = (req.url ?? '').split('?')[0];
      const metrics = self?.metrics ?? null;
      if (route !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD') || metrics === null) {
        const status = route !== '/metrics' ? 404 : metrics === null ? 503 : 405;
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(status === 503 ? 'the run is starting\n' : 'see /metrics\n');
        return;
      }
      const registry = (req.headers.accept ?? '').includes('application/openmetrics-text') ? metrics.openMetrics : metrics.prometheus;
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${err.message}\n`),
      );
    });
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsServerError(why(err, where))));
      server.listen({ host, port, exclusive: true }, () => {
        const bound = server.address() as AddressInfo;
        const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
        // A scrape that fails after this is Prometheus's to report (target down), not the run's.
        server.on('error', () => undefined);
        self = new MetricsServer(server, `http://${shown}:${bound.port}/metrics`);
        resolve(self);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops listening and ends open (keep-alive) scrape connections, so no port stays open after the run. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
