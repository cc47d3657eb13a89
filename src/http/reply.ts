import type { ServerResponse } from 'node:http';

/** A response in plain data: written straight to a Node socket (the hot paths) or turned into a Response (Hono). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

export function toResponse(r: Reply): Response {
  return new Response(r.body as Uint8Array<ArrayBuffer> | null, { status: r.status, headers: r.headers });
}

/** Writes a reply to the socket: at once when it is ready (a cache hit), else when it settles. */
export function writeReply(res: ServerResponse, out: Reply | Promise<Reply>, onError: (e: unknown) => void): void {
  if (!(out instanceof Promise)) {
    res.writeHead(out.status, out.headers);
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
