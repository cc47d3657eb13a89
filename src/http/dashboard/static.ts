import { createHash } from 'node:crypto';
import type { DashApp } from './context.js';
import { DASHBOARD_JS } from './script.js';
import { DASHBOARD_CSS } from './style.js';

interface StaticFile {
  body: string;
  type: string;
  etag: string;
}

const file = (body: string, type: string): StaticFile => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });

const FILES: Readonly<Record<string, StaticFile>> = {
  'dashboard.css': file(DASHBOARD_CSS, 'text/css; charset=utf-8'),
  'dashboard.js': file(DASHBOARD_JS, 'text/javascript; charset=utf-8'),
};

/** The URL of a static file, with its content hash so a new release is fetched at once. */
export function staticUrl(name: keyof typeof FILES): string {
  return `/dashboard/static/${name}?v=${FILES[name]!.etag.slice(1, 9)}`;
}

/** `GET /dashboard/static/{name}`: the stylesheet and the script, public and cacheable (no secrets in them). */
export function mountStatic(app: DashApp): void {
  app.get('/static/:name', (c) => {
    const f = FILES[c.req.param('name')];
    if (!f) return c.text('Not found', 404);
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('ETag', f.etag);
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304);
    c.header('Content-Type', f.type);
    return c.body(f.body);
  });
}
