import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A response in plain data: written straight to a Node socket (the hot paths) or turned into a
 * Response (Hono). The body is bytes, or a stream for what is made while it is sent (a bundle's ZIP).
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | Readable | null;
}

export function toResponse(r: Reply): Response {
  const body = r.body instanceof Readable ? (Readable.toWeb(r.body) as ReadableStream<Uint8Array>) : (r.body as Uint8Array<ArrayBuffer> | null);
  return new Response(body, { status: r.status, headers: r.headers });
}

/** Writes a reply to the socket: at once when it is ready (a cache hit), else when it settles. */
export function writeReply(res: ServerResponse, out: Reply | Promise<Reply>, onError: (e: unknown) => void): void {
  if (!(out instanceof Promise)) {
    res.writeHead(out.status, out.headers);
    if (out.body instanceof Readable) {
      // A stream that fails midway cannot change the status any more: the connection is cut, so the
      // client sees an incomplete transfer (Content-Length says how much was due) and can resume.
      pipeline(out.body, res).catch((e: unknown) => {
        if (!res.destroyed) onError(e);
        res.destroy();
      });
      return;
    }
    res.end(out.body);
    return;
  }
  out.then(
    (r) => writeReply(res, r, onError),
    (e: unknown) => {
      onError(e);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal error');
    },
  );
}
