import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { SitepubError } from '../core/errors.js';
import { mountAccount } from './account.js';
import type { AppDeps } from './context.js';
import { downloadReply, mountDownloads } from './downloads.js';
import { mountMcp } from './mcp.js';
import { openApiDocument } from './openapi.js';
import { errorJson, humanPage } from './respond.js';
import { mountRest } from './rest.js';
import { SiteCache, serveSite, siteReply, type SiteReply } from './sites.js';

function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/**
 * The whole platform as one fetch handler. The Host header picks the side: `{sub}.{siteDomain}`
 * is a published site (and nothing else: no API, no MCP, no private files); the platform hosts
 * serve MCP, REST and download links. Any other Host is refused (DNS rebinding).
 */
export function createApp(deps: AppDeps): { app: Hono; cache: SiteCache; listener: (req: IncomingMessage, res: ServerResponse) => void } {
  const { core, options } = deps;
  const cache = new SiteCache(core, options.crossInstance ?? core.db.dialect === 'postgres');
  const siteSuffix = `.${core.urls.siteDomain}`;

  const platform = new Hono();
  const limitBody = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: (c) => errorJson(c, new SitepubError('PAYLOAD_TOO_LARGE', `Request body over ${options.maxBodyBytes} bytes. Use source_url for large files.`)),
  });
  // Not for download links: this limit buffers a chunked body before any route runs, and /d/ reads
  // a few bytes of form itself, only after checking the token (downloads.ts).
  platform.use('*', (c, next) => (c.req.path.startsWith('/d/') ? next() : limitBody(c, next)));
  platform.get('/healthz', (c) => c.json({ ok: true }));
  platform.get('/openapi.json', (c) => c.json(openApiDocument(core.urls.publicUrl)));
  platform.get('/', (c) =>
    c.html(
      humanPage(
        'sitepub is running',
        `<p>MCP endpoint: <code>${core.urls.publicUrl}/mcp</code> (Bearer token). REST: <code>/papi/project/{id}/...</code>.</p><p>Sites are served at <code>http://{subdomain}.${core.urls.siteDomain}</code>.</p>`,
      ),
    ),
  );
  mountMcp(platform, deps);
  mountAccount(platform, deps);
  mountRest(platform, deps);
  mountDownloads(platform, deps);
  platform.notFound((c) => errorJson(c, new SitepubError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}`)));
  platform.onError((e, c) => {
    deps.logger.error({ err: e }, 'unhandled error');
    return errorJson(c, e);
  });

  const app = new Hono();
  app.all('*', async (c) => {
    const host = hostnameOf(c.req.header('host'));
    if (host.endsWith(siteSuffix)) {
      const sub = host.slice(0, -siteSuffix.length);
      if (sub && !sub.includes('.')) return serveSite(c, core, cache, sub);
    }
    if (!options.allowedHosts.has(host)) {
      return c.json({ success: false, error: { code: 403, type: 'FORBIDDEN', message: `Host "${host}" is not served here. Set SITEPUB_PUBLIC_URL or SITEPUB_ALLOWED_HOSTS.` } }, 403);
    }
    return platform.fetch(c.req.raw, c.env);
  });

  // Node entry: site requests are answered straight from the cache to the socket (no Request or
  // Response objects on the hot path); everything else goes through Hono.
  const hono = getRequestListener(app.fetch);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const host = hostnameOf(req.headers.host);
    const sub = host.endsWith(siteSuffix) ? host.slice(0, -siteSuffix.length) : '';
    if (!sub || sub.includes('.')) {
      const url = req.url ?? '/';
      // Download links (GET/HEAD) also skip the router: the same handler Hono uses for POST and tests.
      if (url.startsWith('/d/') && (req.method === 'GET' || req.method === 'HEAD') && options.allowedHosts.has(host)) {
        serveDownload(req, res, url);
        return;
      }
      void hono(req, res);
      return;
    }
    const inm = req.headers['if-none-match'];
    send(res, siteReply(core, cache, sub, req.method ?? 'GET', req.url ?? '/', typeof inm === 'string' ? inm : undefined));
  };
  /** Writes a reply to the socket: at once when it is ready (a cache hit), else when it settles. */
  const send = (res: ServerResponse, out: SiteReply | Promise<SiteReply>): void => {
    if (!(out instanceof Promise)) {
      res.writeHead(out.status, out.headers);
      res.end(out.body);
      return;
    }
    out.then(
      (r) => send(res, r),
      (e: unknown) => {
        deps.logger.error({ err: e }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal error');
      },
    );
  };
  const serveDownload = (req: IncomingMessage, res: ServerResponse, url: string): void => {
    const q = url.indexOf('?');
    const token = url.slice(3, q < 0 ? undefined : q); // tokens are base64url: nothing to decode
    const query = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1));
    const xff = options.trustProxy ? req.headers['x-forwarded-for'] : undefined;
    const ip = (typeof xff === 'string' ? xff.split(',')[0]!.trim() : undefined) || req.socket.remoteAddress || null;
    const header = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    send(res, downloadReply(deps, { method: req.method!, token, ip, header, visitorId: query?.get('visitor_id') ?? header('x-visitor-id') }));
  };
  return { app, cache, listener };
}
