import contentDisposition from 'content-disposition';
import type { Context, Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import parseRange from 'range-parser';
import { isActiveContentType, servedDisposition } from '../core/download-disposition.js';
import { DownloadService, type Grant, type Payload } from '../core/downloads.js';
import { SitepubError } from '../core/errors.js';
import { clientIp } from './client-ip.js';
import type { AppDeps } from './context.js';
import { DOWNLOAD_SECURITY_HEADERS, confirmationPage, formTooLargePage, previewPage, refusalPage } from './download-pages.js';
import { toResponse, type Reply } from './reply.js';

/** Link unfurlers and prefetchers: they may look, never consume. A heuristic; confirmation pages are the real fix. */
const PREVIEW_BOTS =
  /slackbot|facebookexternalhit|facebot|twitterbot|linkedinbot|discordbot|telegrambot|whatsapp|skypeuripreview|googlebot|bingbot|applebot|embedly|pinterestbot|redditbot|mattermost|iframely|vkshare|bitlybot|teams/i;

/** The confirmation form carries one short field (visitor_id); anything much bigger is not our form. */
const FORM_MAX_BYTES = 4096;

/** One request to a download link, whatever carried it (Hono in tests and for POST, the raw Node socket for GET/HEAD). */
export interface DownloadRequest {
  method: string;
  token: string;
  ip: string | null;
  header(name: string): string | undefined;
  /** From `?visitor_id=`, the form of the confirmation page, or the X-Visitor-Id header. */
  visitorId: string | undefined;
}

function isPreview(r: DownloadRequest): boolean {
  const purpose = `${r.header('sec-purpose') ?? ''} ${r.header('purpose') ?? ''} ${r.header('x-moz') ?? ''} ${r.header('x-purpose') ?? ''}`;
  return PREVIEW_BOTS.test(r.header('user-agent') ?? '') || /prefetch|preview|prerender/i.test(purpose);
}

/**
 * What a GET answers with: the whole file, one byte range, or 416. The Range header counts only
 * when If-Range (if any) matches the file's ETag by strong comparison (RFC 9110 13.1.5); a date
 * never matches, as no Last-Modified is sent. Several ranges that do not merge into one get the
 * whole file.
 */
type Slice = 'full' | 'unsatisfiable' | { start: number; end: number };

function sliceOf(payload: Payload, range: string | undefined, ifRange: string | undefined): Slice {
  if (!range) return 'full';
  if (ifRange !== undefined && ifRange.trim() !== payload.etag) return 'full';
  const r = parseRange(payload.size, range, { combine: true });
  if (r === -1) return 'unsatisfiable';
  if (r === -2 || r.type !== 'bytes' || r.length !== 1) return 'full';
  return r[0]!;
}

/**
 * A continuation resumes a transfer: its answer leaves out the file's first byte. Anything that
 * starts at byte 0 (`bytes=0-`, a suffix or merged ranges covering the file, a failed If-Range)
 * is a fresh copy and costs a use. A 416 carries no bytes, so under a grant it is free too.
 */
const isResume = (s: Slice): boolean => s === 'unsatisfiable' || (s !== 'full' && s.start > 0);

/** The day of a time, for a stamp's {date}: a use's own day, so its continuations draw the same line. */
const dayOf = (iso: string): string => iso.slice(0, 10);

/** What the link sends for this grant (its file, stamped copy or bundle), read on the day of `atIso`. */
async function payloadOf(deps: AppDeps, g: Grant, atIso: string): Promise<Payload> {
  const payload = await deps.core.downloads.payload(g.token, dayOf(atIso));
  if (!payload) throw new SitepubError('NOT_FOUND', 'The file behind this link is no longer available.');
  return payload;
}

/**
 * The download link: HEAD and previews look without consuming; GET (or the confirmation page's
 * POST) consumes one use, or rides the Range grant of a download already counted.
 */
export async function downloadReply(deps: AppDeps, r: DownloadRequest): Promise<Reply> {
  const { core } = deps;
  const downloads = core.downloads;
  const limiter = core.limiter;
  const ua = r.header('user-agent') ?? null;
  const attempt = { ip: r.ip, visitorId: r.visitorId || null, userAgent: ua };
  const rlKey = guessKey(r.ip);
  // Only guesses count against an address: a token that is malformed or matches nothing. Real
  // tokens refused for an honest reason (expired, used up, revoked, wrong visitor, file missing)
  // never do, and a real token works from a blocked address: a blocked address gets 429 only in
  // place of "no such link".
  const countGuess = async (e: unknown): Promise<void> => {
    if (!(e instanceof SitepubError) || e.type !== 'TOKEN_INVALID') return;
    const blocked = limiter.blockedFor(rlKey);
    const wait = blocked > 0 ? blocked : await limiter.fail(rlKey);
    if (wait > 0) {
      if (blocked === 0) deps.logger.warn({ ip: r.ip, wait }, 'download link guessing: address blocked');
      throw new SitepubError('RATE_LIMITED', 'Too many failed attempts', { retry_after: wait });
    }
  };
  try {
    if (r.method === 'HEAD' || (r.method === 'GET' && isPreview(r))) {
      let g: Grant;
      try {
        g = await downloads.peek(r.token, attempt);
      } catch (e) {
        await countGuess(e);
        throw e;
      }
      await downloads.recordLook(g.token, r.method === 'HEAD' ? 'head' : 'preview', attempt);
      if (r.method === 'HEAD') return fileReply(g, await payloadOf(deps, g, core.clock.now().toISOString()), 'full', true);
      return previewPage();
    }
    const fp = DownloadService.fingerprint(r.ip, ua);
    const range = r.method === 'GET' ? r.header('range') : undefined;
    let grant: Grant | undefined;
    let payload: Payload | undefined;
    let slice: Slice = 'full';
    // Only a Range request can be a continuation: a plain GET goes straight to its one UPDATE.
    if (range) {
      const open = await downloads.openGrant(r.token, fp);
      if (open) {
        // The copy of the use this grant belongs to (a stamp dated that day).
        payload = await payloadOf(deps, open, open.token.last_used_at ?? core.clock.now().toISOString());
        slice = sliceOf(payload, range, r.header('if-range'));
        if (isResume(slice) && (await downloads.takeContinuation(open, fp, attempt))) grant = open;
        else if (open.token.stamp !== null) payload = undefined; // a new use: stamped with its own day
      }
    }
    if (!grant) {
      const consume = (stamped: boolean): Promise<Grant> =>
        downloads.consume(r.token, attempt, { grantFp: fp, direct: r.method === 'GET', serves: true, stamped }).catch(async (e: unknown) => {
          await countGuess(e);
          throw e;
        });
      grant = await consume(false);
      if (grant.confirmation_required) return confirmationPage(grant, attempt.visitorId);
      if (grant.stamp_required) {
        // Stamped before the use is taken: a PDF that cannot be stamped costs the buyer nothing.
        const at = core.clock.now().toISOString();
        try {
          payload = await payloadOf(deps, grant, at);
        } catch (e) {
          if (e instanceof SitepubError && e.type !== 'NOT_FOUND') await downloads.recordRefusal(grant.token, e.type, attempt);
          throw e;
        }
        grant = await consume(true);
        // Midnight passed between stamping and the use: stamp with the use's day, as its continuations will.
        if (grant.token.last_used_at && dayOf(grant.token.last_used_at) !== dayOf(at)) payload = undefined;
        else slice = sliceOf(payload, range, r.header('if-range'));
      }
    }
    // Same token, same file: a payload read for the grant above serves the consumed use too.
    if (!payload) {
      payload = await payloadOf(deps, grant, grant.token.last_used_at ?? core.clock.now().toISOString());
      slice = sliceOf(payload, range, r.header('if-range'));
    }
    return fileReply(grant, payload, slice, false);
  } catch (e) {
    if (!(e instanceof SitepubError)) deps.logger.error({ err: e }, 'download failed');
    return refusalPage(e, r.method);
  }
}

/** The failure counter of download-link guesses from one address. */
const guessKey = (ip: string | null): string => `link:${ip ?? 'unknown'}`;

/** Response headers of one file under one filename, built once (a download link is used again and again). */
const headerCache = new LRUCache<string, Readonly<Record<string, string>>>({ max: 1000 });

function fileHeaders(type: string, etag: string, filename: string, disposition: 'attachment' | 'inline'): Readonly<Record<string, string>> {
  const key = `${type}\u0000${etag}\u0000${filename}\u0000${disposition}`;
  let h = headerCache.get(key);
  if (h) return h;
  const built: Record<string, string> = {
    ...DOWNLOAD_SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Disposition': contentDisposition(filename, { type: servedDisposition(type, disposition) }),
    'Accept-Ranges': 'bytes',
    ETag: etag,
  };
  // Active content never renders on the platform's origin: attachment (above), and sandboxed should a browser render it anyway.
  if (isActiveContentType(type)) built['Content-Security-Policy'] = "default-src 'none'; sandbox";
  headerCache.set(key, (h = Object.freeze(built)));
  return h;
}

function fileReply(g: Grant, payload: Payload, slice: Slice, headOnly: boolean): Reply {
  const headers = { ...fileHeaders(payload.contentType, payload.etag, g.token.filename, g.token.disposition) };
  const size = payload.size;
  if (slice === 'unsatisfiable') return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` }, body: null };
  if (slice !== 'full') {
    const { start, end } = slice;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    headers['Content-Length'] = String(end - start + 1);
    return { status: 206, headers, body: headOnly ? null : payload.body(start, end) };
  }
  headers['Content-Length'] = String(size);
  return { status: 200, headers, body: headOnly || size === 0 ? null : payload.body(0, size - 1) };
}

/**
 * Whether a POST's body is worth reading: the token is well formed, known and usable (the visitor
 * aside: the form carries it). Otherwise the request is answered without its body, by
 * downloadReply, which refuses it (and counts it against the address if it was a guess).
 */
async function formWorthReading(deps: AppDeps, r: DownloadRequest): Promise<boolean> {
  try {
    await deps.core.downloads.peek(r.token, {}, { anyVisitor: true });
    return true;
  } catch {
    return false;
  }
}

/** The body, or undefined once it passes `cap` bytes: reading stops there and the rest is never taken in. */
async function readCapped(body: ReadableStream<Uint8Array>, cap: number): Promise<Uint8Array | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** visitor_id from the confirmation form (urlencoded, or multipart from other clients); 'too-large' past the cap. */
async function formVisitorId(req: Request): Promise<string | undefined | 'too-large'> {
  const type = req.headers.get('content-type') ?? '';
  const urlencoded = /^application\/x-www-form-urlencoded/i.test(type);
  if (!req.body || !(urlencoded || /^multipart\/form-data/i.test(type))) return undefined;
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > FORM_MAX_BYTES) return 'too-large';
  const bytes = await readCapped(req.body, FORM_MAX_BYTES);
  if (!bytes) return 'too-large';
  try {
    const v = urlencoded ? new URLSearchParams(Buffer.from(bytes).toString('utf8')).get('visitor_id') : (await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': type } }).formData()).get('visitor_id');
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Hono route (tests drive it with app.request; POST from the confirmation page comes here).
 * A POST body is read only after the token checks out, and only up to FORM_MAX_BYTES: an
 * unauthenticated request must not make the server take in megabytes (the platform's body limit
 * does not apply here, see app.ts).
 */
export function mountDownloads(app: Hono, deps: AppDeps): void {
  app.on(['GET', 'HEAD', 'POST'], '/d/:token', async (c: Context) => {
    const r: DownloadRequest = {
      method: c.req.method,
      token: c.req.param('token') ?? '',
      ip: clientIp(c, deps.trust),
      header: (n) => c.req.header(n),
      visitorId: c.req.query('visitor_id') ?? c.req.header('x-visitor-id'),
    };
    if (r.method === 'POST' && r.visitorId === undefined && (await formWorthReading(deps, r))) {
      const v = await formVisitorId(c.req.raw);
      if (v === 'too-large') return toResponse(formTooLargePage());
      r.visitorId = v;
    }
    return toResponse(await downloadReply(deps, r));
  });
}
