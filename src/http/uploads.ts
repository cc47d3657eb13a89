import type { Context, Hono } from 'hono';
import { SitepubError } from '../core/errors.js';
import { clientIp } from './client-ip.js';
import type { AppDeps } from './context.js';
import { errorJson } from './respond.js';

/**
 * How long one request may take to arrive, body included (Node's `requestTimeout`, 5 minutes by
 * default): an upload URL's body is a whole file, 500 MB takes about 35 minutes at 2 Mbit/s. Headers
 * still have Node's 60 s, and every other body is capped at 8 MB.
 */
export const UPLOAD_REQUEST_TIMEOUT_MS = 60 * 60_000;

/** The PUT path of upload URLs (src/core/upload-urls.ts uploadPath). */
export const UPLOAD_ROUTE = '/upload/:token';

/** The request body as the core reads it; a transfer cut off midway is the caller's to retry, said in the contract's words. */
async function* bodyOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  try {
    for await (const piece of body) yield piece;
  } catch {
    throw new SitepubError('VALIDATION_ERROR', 'The upload was cut off before the end of the file. Nothing was stored; run the same command again (the URL works until it expires).');
  }
}

/** Content-Length when the client sent a usable one (curl -T does); undefined for a chunked body. */
function declaredLength(c: Context): number | undefined {
  const v = c.req.header('content-length');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Upload URLs: `PUT /upload/{token}` with the file's raw bytes as the body, no other credential.
 * The body streams into storage as it arrives (the platform's body limit does not apply here, see
 * app.ts); the answer is the REST envelope, 201 with the stored asset's metadata or the contract's
 * error JSON. A refusal may come before the body is all sent (a wrong type shows in its first
 * bytes): the answer then closes the connection, so the client stops sending. Malformed and unknown
 * tokens count against the client address, as guesses at download links do.
 */
export function mountUploads(app: Hono, deps: AppDeps): void {
  app.put(UPLOAD_ROUTE, async (c) => {
    const { core } = deps;
    const key = `upload:${clientIp(c, deps.trust) ?? 'unknown'}`;
    try {
      const asset = await core.uploads.receive(c.req.param('token') ?? '', bodyOf(c.req.raw.body), declaredLength(c));
      return c.json({ success: true, data: asset }, 201);
    } catch (e) {
      let out = e;
      if (e instanceof SitepubError && e.type === 'TOKEN_INVALID') {
        const blocked = core.limiter.blockedFor(key);
        const wait = blocked > 0 ? blocked : await core.limiter.fail(key);
        if (wait > 0) out = new SitepubError('RATE_LIMITED', 'Too many failed attempts', { retry_after: wait });
      }
      if (!(out instanceof SitepubError)) deps.logger.error({ err: out }, 'upload failed');
      const res = errorJson(c, out);
      res.headers.set('Connection', 'close');
      return res;
    }
  });
  // A browser or another method: say how the URL is used (nothing is taken or stored).
  app.on(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'], UPLOAD_ROUTE, (c) => {
    const url = `${deps.core.urls.publicUrl}${new URL(c.req.url).pathname}`;
    const res = errorJson(c, new SitepubError('VALIDATION_ERROR', `This upload URL takes the file by PUT, for example: curl -T FILE '${url}' (replace FILE with the file's path).`, { method: 'PUT' }, 405));
    res.headers.set('Allow', 'PUT');
    return res;
  });
}
