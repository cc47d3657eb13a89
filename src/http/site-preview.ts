import type { Core } from '../core/core.js';
import { SitepubError } from '../core/errors.js';
import type { Project } from '../core/projects.js';
import { renderHead } from '../core/sites/head.js';
import type { Reply } from './reply.js';
import { escapeHtml } from './respond.js';

const enc = new TextEncoder();
const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'private, no-store',
  'X-Robots-Tag': 'noindex, nofollow',
};

function page(status: number, title: string, text: string): Reply {
  const body = enc.encode(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
  );
  return { status, headers: { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.byteLength) }, body };
}

/**
 * `/_sitepub/preview/{slug}?v=&exp=&sig=` on a site: one version of one page as the site would
 * serve it (the head from that version's meta and seo), with robots noindex, a `<base>` so the
 * page's relative links resolve as at its real address, and no caching. A link that is not signed
 * for this site, page and version is 404; an expired one is 410 with what to do.
 */
export async function previewReply(core: Core, project: Project, slug: string, query: string, method: string): Promise<Reply> {
  const check = await core.sites.previews.check(project.id, slug, new URLSearchParams(query), Math.floor(core.clock.now().getTime() / 1000));
  if (check.state === 'invalid') return page(404, 'No such preview', 'This preview link is not valid for this site. Ask for a new one.');
  if (check.state === 'expired') return page(410, 'Preview expired', 'This preview link has expired. Ask the assistant for a new one (pages_preview).');
  let v;
  try {
    v = await core.sites.versionForPreview(project, slug, check.version);
  } catch (e) {
    if (e instanceof SitepubError && e.type === 'NOT_FOUND') return page(404, 'Page gone', 'This page or version no longer exists.');
    throw e;
  }
  const dir = slug.includes('/') ? slug.slice(0, slug.lastIndexOf('/') + 1) : '';
  const served = renderHead(v.content, v.meta, v.seo, project.url, { forceNoindex: true, baseHref: `/${dir.split('/').map(encodeURIComponent).join('/')}` });
  const body = enc.encode(served.html);
  return { status: 200, headers: { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.byteLength) }, body: method === 'HEAD' ? null : body };
}
