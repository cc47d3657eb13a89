import contentDisposition from 'content-disposition';
import type { Context, Hono } from 'hono';
import parseRange from 'range-parser';
import { DownloadService, humanReason, type Grant } from '../core/downloads.js';
import { SitepubError, toErrorBody } from '../core/errors.js';
import { clientIp } from './client-ip.js';
import type { AppDeps } from './context.js';
import { escapeHtml, humanPage } from './respond.js';

/** Link unfurlers and prefetchers: they may look, never consume. A heuristic; confirmation pages are the real fix. */
const PREVIEW_BOTS =
  /slackbot|facebookexternalhit|facebot|twitterbot|linkedinbot|discordbot|telegrambot|whatsapp|skypeuripreview|googlebot|bingbot|applebot|embedly|pinterestbot|redditbot|mattermost|iframely|vkshare|bitlybot|teams/i;

function isPreview(c: Context): boolean {
  const ua = c.req.header('user-agent') ?? '';
  const purpose = `${c.req.header('sec-purpose') ?? ''} ${c.req.header('purpose') ?? ''} ${c.req.header('x-moz') ?? ''} ${c.req.header('x-purpose') ?? ''}`;
  return PREVIEW_BOTS.test(ua) || /prefetch|preview|prerender/i.test(purpose);
}

/** Types that could run script if rendered from the platform origin: always attachment and sandboxed. */
const ACTIVE = /^(text\/html|image\/svg|application\/xml|text\/xml|text\/javascript|application\/json)/;

const SECURITY_HEADERS = {
  'Cache-Control': 'private, no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
  'Referrer-Policy': 'no-referrer',
};

function page(status: number, title: string, html: string, extra: Record<string, string> = {}): Response {
  return new Response(humanPage(title, html), {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", ...extra },
  });
}

function refusal(e: unknown, method: string): Response {
  const body = toErrorBody(e);
  if (body.type === 'RATE_LIMITED') {
    return page(429, 'Too many attempts', '<p>Too many failed attempts from your network. Please wait a moment and try again.</p>', { 'Retry-After': String(body.retry_after ?? 60) });
  }
  if (typeof body.redirect_url === 'string' && method !== 'HEAD') {
    return new Response(null, { status: 302, headers: { Location: body.redirect_url, ...SECURITY_HEADERS } });
  }
  if (body.type === 'INTERNAL') return page(500, 'Something went wrong', '<p>The download could not be started. Please try again later.</p>');
  const title = body.type === 'TOKEN_INVALID' || body.type === 'NOT_FOUND' ? 'Link not found' : 'Link not available';
  const text = body.type === 'NOT_FOUND' ? 'The file behind this link is no longer available.' : humanReason(body.type);
  return page(body.code === 404 ? 404 : 403, title, `<p>${escapeHtml(text)}</p><p class="muted">If you bought this file, ask the seller for a new link.</p>`);
}

export function mountDownloads(app: Hono, deps: AppDeps): void {
  const { core, options } = deps;
  const limiter = core.limiter;
  const downloads = core.downloads;

  const handle = async (c: Context): Promise<Response> => {
    const token = c.req.param('token') ?? '';
    const method = c.req.method;
    const ip = clientIp(c, options.trustProxy);
    const ua = c.req.header('user-agent') ?? null;
    const form = method === 'POST' ? await c.req.parseBody().catch(() => ({}) as Record<string, unknown>) : {};
    const visitorRaw = c.req.query('visitor_id') ?? c.req.header('x-visitor-id') ?? (typeof form.visitor_id === 'string' ? form.visitor_id : undefined);
    const attempt = { ip, visitorId: visitorRaw || null, userAgent: ua };
    const rlKey = `link:${ip ?? 'unknown'}`;
    try {
      const wait = limiter.blockedFor(rlKey);
      if (wait > 0) throw new SitepubError('RATE_LIMITED', 'Too many failed attempts', { retry_after: wait });

      if (method === 'HEAD' || (method === 'GET' && isPreview(c))) {
        const g = await downloads.peek(token, attempt);
        await downloads.record(g.token.project_id, g.token.id, g.token.asset_slug, method === 'HEAD' ? 'head' : 'preview', attempt);
        if (method === 'HEAD') return await serveFile(g, null, true);
        return page(200, 'A file download link', '<p>Open this link in a browser to download the file.</p>');
      }
      // A download: GET (direct links) or POST (after the confirmation page).
      const fp = DownloadService.fingerprint(ip, ua);
      const rangeHeader = method === 'GET' ? c.req.header('range') : undefined;
      let grant: Grant | undefined;
      if (rangeHeader) grant = await downloads.continuation(token, fp);
      if (grant) await downloads.record(grant.token.project_id, grant.token.id, grant.token.asset_slug, 'range', attempt);
      else {
        try {
          grant = await downloads.consume(token, attempt, { grantFp: fp, direct: method === 'GET' });
        } catch (e) {
          await countFailure(e);
          throw e;
        }
      }
      if (grant.confirmation_required) return confirmationPage(grant, attempt.visitorId);
      return await serveFile(grant, rangeHeader ?? null, false);
    } catch (e) {
      return refusal(e, method);
    }

    async function countFailure(e: unknown): Promise<void> {
      if (e instanceof SitepubError && e.type.startsWith('TOKEN_')) {
        const wait = await limiter.fail(rlKey);
        if (wait > 0) {
          deps.logger.warn({ ip, wait }, 'download link rate limit reached');
          throw new SitepubError('RATE_LIMITED', 'Too many failed attempts', { retry_after: wait });
        }
      }
    }
  };

  function confirmationPage(g: Grant, visitorId: string | null): Response {
    const hidden = visitorId ? `<input type="hidden" name="visitor_id" value="${escapeHtml(visitorId)}">` : '';
    const left = g.remaining_uses === null ? '' : `Downloads left: ${g.remaining_uses}. `;
    const until = g.token.expires_at ? `Valid until ${escapeHtml(g.token.expires_at.replace('T', ' ').slice(0, 16))} UTC.` : '';
    return page(
      200,
      'Your download',
      `<p>${escapeHtml(g.token.filename)}</p><form method="post">${hidden}<button type="submit">Download</button></form><p class="muted">${left}${until}</p>`,
    );
  }

  async function serveFile(g: Grant, rangeHeader: string | null, headOnly: boolean): Promise<Response> {
    const asset = await core.assets.content(g.token.project_id, g.token.asset_slug);
    if (!asset) throw new SitepubError('NOT_FOUND', 'The file behind this link is no longer available.');
    const type = asset.row.content_type;
    const active = ACTIVE.test(type);
    const disposition = active ? 'attachment' : g.token.disposition;
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Disposition': contentDisposition(g.token.filename, { type: disposition }),
      'Accept-Ranges': 'bytes',
      ETag: `"a-${asset.row.sha256.slice(0, 24)}"`,
    };
    if (active) headers['Content-Security-Policy'] = "default-src 'none'; sandbox";
    const size = asset.data.byteLength;
    if (rangeHeader) {
      const r = parseRange(size, rangeHeader, { combine: true });
      if (r === -1) return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
      if (r !== -2 && r.type === 'bytes' && r.length === 1) {
        const { start, end } = r[0]!;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
        headers['Content-Length'] = String(end - start + 1);
        return new Response(headOnly ? null : (asset.data.subarray(start, end + 1) as Uint8Array<ArrayBuffer>), { status: 206, headers });
      }
    }
    headers['Content-Length'] = String(size);
    return new Response(headOnly ? null : (asset.data as Uint8Array<ArrayBuffer>), { status: 200, headers });
  }

  app.on(['GET', 'HEAD', 'POST'], '/d/:token', handle);
}
