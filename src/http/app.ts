import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { SitepubError } from '../core/errors.js';
import { clientAddress } from './client-address.js';
import { trustOf, type AppDeps } from './context.js';
import { downloadReply, mountDownloads } from './downloads.js';
import { mountMcp } from './mcp.js';
import { mountOAuth } from './oauth/index.js';
import { openApiDocument } from './openapi.js';
import { mountOwnerPages } from './owners/index.js';
import { createRouter, pathOfUrl } from './pipeline.js';
import { writeReply } from './reply.js';
import { errorJson } from './respond.js';
import { mountRest } from './rest.js';
import { mountTlsAsk } from './site-domains.js';
import { mountUploads } from './uploads.js';
import { SiteCache, serveSite, siteReply } from './sites.js';

const DASHBOARD_UPLOAD = /^\/dashboard\/p\/[^/]+\/assets$/;

/**
 * The whole platform. One router (pipeline.ts) decides where each request goes, for both entry
 * points: `listener`, the Node request listener that production runs, answers sites and download
 * links (GET/HEAD) straight from the socket and hands everything else to Hono; `app`, the Hono
 * app, answers everything (tests use it through `app.request()`).
 */
export function createApp(input: AppDeps): { app: Hono; cache: SiteCache; listener: (req: IncomingMessage, res: ServerResponse) => void } {
  const deps: AppDeps = { ...input, trust: input.trust ?? trustOf(input.options) };
  const { core, options, logger } = deps;
  const cache = new SiteCache(core, options.crossInstance ?? core.db.dialect === 'postgres');
  const route = createRouter(core.urls.siteDomain, options.allowedHosts, core.domains);
  void core.domains.start();

  const platform = new Hono();
  platform.use('*', async (c, next) => {
    // Download links read at most a small form, and only after the token checks out (downloads.ts):
    // the platform's body limit would buffer up to its size first.
    if (c.req.path.startsWith('/d/')) return next();
    // The dashboard's upload form streams its file into storage, counted there against the file's limit (dashboard/upload-form.ts).
    if (c.req.method === 'POST' && DASHBOARD_UPLOAD.test(c.req.path)) return next();
    // An upload URL's body is a whole file, streamed into storage and counted there against the file's limit (uploads.ts).
    if (c.req.method === 'PUT' && c.req.path.startsWith('/upload/')) return next();
    return bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c2) =>
        errorJson(c2, new SitepubError('PAYLOAD_TOO_LARGE', `Request body over ${options.maxBodyBytes} bytes. Send large files with assets_create_upload_url (a one-time URL the file is PUT to, no base64), or use source_url.`)),
    })(c, next);
  });
  platform.get('/healthz', (c) => c.json({ ok: true }));
  mountTlsAsk(platform, core);
  platform.get('/openapi.json', (c) => c.json(openApiDocument(core.urls.publicUrl)));
  mountOwnerPages(platform, deps);
  mountOAuth(platform, deps);
  mountMcp(platform, deps);
  mountRest(platform, deps);
  mountDownloads(platform, deps);
  mountUploads(platform, deps);
  platform.notFound((c) => errorJson(c, new SitepubError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}`)));
  // The one place an HTTP route's failure becomes error JSON of docs/errors.md: routes throw.
  platform.onError((e, c) => {
    if (!(e instanceof SitepubError)) logger.error({ err: e, route: c.req.path }, 'request failed');
    return errorJson(c, e);
  });

  const app = new Hono();
  app.all('*', async (c) => {
    const r = route(c.req.header('host'), c.req.method, pathOfUrl(c.req.url));
    if (r.to === 'site') return serveSite(c, core, cache, r.subdomain, r.host);
    if (r.to === 'refused') {
      return c.json({ success: false, error: { code: 403, type: 'FORBIDDEN', message: `Host "${r.host}" is not served here. Set SITEPUB_PUBLIC_URL or SITEPUB_ALLOWED_HOSTS.` } }, 403);
    }
    return platform.fetch(c.req.raw, c.env);
  });

  const hono = getRequestListener(app.fetch);
  const failed = (e: unknown): void => logger.error({ err: e }, 'request failed');
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const r = route(req.headers.host, method, url);
    if (r.to === 'site') {
      const h = req.headers;
      const inm = h['if-none-match'];
      writeReply(res, siteReply(core, cache, r.subdomain, { method, url, ifNoneMatch: inm, acceptEncoding: h['accept-encoding'], referer: h.referer, host: r.host }), failed);
      return;
    }
    if (r.to === 'download') {
      const header = (n: string): string | undefined => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      const query = r.query === undefined ? undefined : new URLSearchParams(r.query);
      const ip = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trust);
      writeReply(res, downloadReply(deps, { method, token: r.token, ip, header, visitorId: query?.get('visitor_id') ?? header('x-visitor-id') }), failed);
      return;
    }
    void hono(req, res);
  };
  return { app, cache, listener };
}
