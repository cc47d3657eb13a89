import { createServer as netServer } from 'node:net';
import { createServer, type Server } from 'node:http';
import { allowedHostsOf, allowedOriginsOf, type Settings } from './config.js';
import type { Core } from './core/core.js';
import { createApp } from './http/app.js';
import { DEFAULT_MAX_BODY } from './http/context.js';
import { UPLOAD_REQUEST_TIMEOUT_MS } from './http/uploads.js';
import type { ToolFilter } from '../tools/index.js';
import type { Logger } from './log.js';
import { createMcpHttpHandler } from './mcp/http.js';

export interface RunningServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the HTTP platform. Port 0 picks a free port first, so URLs are known before listening. */
export async function startHttp(core: Core, settings: Settings, logger: Logger, mcpFilter?: ToolFilter, crossInstance?: boolean): Promise<RunningServer> {
  const port = settings.port === 0 ? await freePort(settings.host) : settings.port;
  const { listener, cache } = createApp({
    core,
    logger,
    mcp: createMcpHttpHandler(core, { filter: mcpFilter, logger, maxBodyBytes: DEFAULT_MAX_BODY }),
    options: {
      allowedHosts: allowedHostsOf(settings),
      allowedOrigins: allowedOriginsOf(settings, port),
      trustProxy: settings.trustProxy,
      maxBodyBytes: DEFAULT_MAX_BODY,
      ...(crossInstance !== undefined ? { crossInstance } : {}),
    },
  });
  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: UPLOAD_REQUEST_TIMEOUT_MS }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, settings.host, () => resolve());
  });
  // Every serving process sends queued webhook events; the loops share the work by leases.
  const deliverer = core.downloads.deliverer({ log: (msg, fields) => logger.warn(fields, msg) });
  deliverer.start();
  return {
    port,
    url: `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        cache.close();
        server.close(() => void deliverer.stop().then(resolve, resolve));
        server.closeAllConnections();
      }),
  };
}
