import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_KINDS } from '../src/core/asset-types.js';
import { isActiveContentType } from '../src/core/download-disposition.js';
import { b64, call, connect, listenOnLoopback, makeApp, makeEnv, PDF_MIN, PNG_1PX, type LoopbackServer, type TestEnv } from './helpers.js';

// A download link is served from the platform's own origin. A file that a browser would render
// with script (HTML, SVG, XML, JavaScript, JSON) must never open there, whatever the token asked:
// it is always an attachment, under a CSP that sandboxes it should a browser render it anyway.
// Passive types (PDF, PNG) asked inline stay inline.

const SANDBOX = "default-src 'none'; sandbox";

/** Active files, each carrying script where its format allows. */
const ACTIVE: ReadonlyArray<{ slug: string; type: string; body: string }> = [
  { slug: 'files/page.html', type: 'text/html; charset=utf-8', body: '<!doctype html><h1>Hi</h1><script>alert(document.cookie)</script>' },
  { slug: 'files/logo.svg', type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>' },
  { slug: 'files/feed.xml', type: 'application/xml; charset=utf-8', body: '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>' },
  { slug: 'files/app.js', type: 'text/javascript; charset=utf-8', body: 'alert(document.cookie);' },
  { slug: 'files/data.json', type: 'application/json; charset=utf-8', body: '{"html":"<script>alert(1)</script>"}' },
];

const PASSIVE: ReadonlyArray<{ slug: string; type: string; bytes: Uint8Array }> = [
  { slug: 'files/book.pdf', type: 'application/pdf', bytes: PDF_MIN },
  { slug: 'files/photo.png', type: 'image/png', bytes: PNG_1PX },
];

type Gen = { token: string; download_url: string; content_disposition: 'attachment' | 'inline' };

describe('Content-Disposition of download links', () => {
  let env: TestEnv;
  let client: Client;
  let server: LoopbackServer | undefined;
  let port = 0;
  let hono: ReturnType<typeof makeApp>;

  beforeAll(async () => {
    env = await makeEnv();
    for (const f of ACTIVE) await env.core.assets.upload(env.project, { slug: f.slug, content: b64(f.body), private: true });
    for (const f of PASSIVE) await env.core.assets.upload(env.project, { slug: f.slug, content: b64(f.bytes), private: true });
    client = await connect(env.core);
    hono = makeApp(env);
    // The production listener on a real socket: GET and HEAD of /d/ are answered from the socket, POST by Hono.
    server = await listenOnLoopback(env.core);
    port = server.port;
  });
  afterAll(async () => {
    await server?.close();
    await client?.close();
    await env?.close();
  });

  /** A token made through the MCP tool, as an assistant makes it: the whole answer. */
  const generated = async (slug: string, args: Record<string, unknown> = {}): Promise<Gen> => {
    const r = await call<Gen>(client, 'file-downloads_generate_token', { asset_url: `/${slug}`, max_uses: 0, ...args });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    return r.data;
  };
  const generate = async (slug: string, args: Record<string, unknown> = {}): Promise<string> => (await generated(slug, args)).token;
  const overSocket = (token: string, init: RequestInit = {}): Promise<Response> => fetch(`http://127.0.0.1:${port}/d/${token}`, init);

  const expectForcedAttachment = (r: Response, type: string, filename: string): void => {
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
    expect(r.headers.get('content-security-policy')).toBe(SANDBOX);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  };

  describe.each(ACTIVE)('$slug asked inline', ({ slug, type, body }) => {
    const filename = slug.slice(slug.lastIndexOf('/') + 1);

    it('GET and HEAD over the socket: attachment, sandboxed, the bytes unchanged', async () => {
      const token = await generate(slug, { content_disposition: 'inline' });
      const head = await overSocket(token, { method: 'HEAD' });
      expectForcedAttachment(head, type, filename);
      const got = await overSocket(token);
      expectForcedAttachment(got, type, filename);
      expect(await got.text()).toBe(body);
    });

    it('a Range request (206): attachment and sandboxed too', async () => {
      const token = await generate(slug, { content_disposition: 'inline' });
      const r = await overSocket(token, { headers: { range: 'bytes=0-3' } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(r.headers.get('content-security-policy')).toBe(SANDBOX);
      expect(await r.text()).toBe(body.slice(0, 4));
    });

    it('the confirmation form (POST, answered by Hono): attachment and sandboxed', async () => {
      const token = await generate(slug, { content_disposition: 'inline', require_confirmation: true });
      const page = await overSocket(token);
      expect(await page.text()).toContain('<form method="post">');
      expectForcedAttachment(await overSocket(token, { method: 'POST' }), type, filename);
    });

    it('through app.request() as well', async () => {
      const token = await generate(slug, { content_disposition: 'inline' });
      expectForcedAttachment(await hono(`/d/${token}`), type, filename);
    });

    it('the generate answer says attachment, as the link serves it', async () => {
      const g = await generated(slug, { content_disposition: 'inline' });
      expect(g.content_disposition).toBe('attachment');
      expect((await overSocket(g.token)).headers.get('content-disposition')).toMatch(/^attachment;/);
    });

    it('a harmless filename does not make it inline', async () => {
      const token = await generate(slug, { content_disposition: 'inline', filename: 'harmless.pdf' });
      expectForcedAttachment(await overSocket(token), type, 'harmless.pdf');
    });
  });

  describe.each(PASSIVE)('$slug', ({ slug, type, bytes }) => {
    const filename = slug.slice(slug.lastIndexOf('/') + 1);

    it('the generate answer says what was asked, as the link serves it', async () => {
      for (const asked of ['inline', 'attachment'] as const) {
        const g = await generated(slug, { content_disposition: asked });
        expect(g.content_disposition).toBe(asked);
        expect((await overSocket(g.token)).headers.get('content-disposition')).toBe(`${asked}; filename="${filename}"`);
      }
      expect((await generated(slug)).content_disposition).toBe('attachment');
    });

    it('asked inline stays inline, without the sandbox', async () => {
      const token = await generate(slug, { content_disposition: 'inline' });
      for (const r of [await overSocket(token, { method: 'HEAD' }), await overSocket(token), await hono(`/d/${token}`)]) {
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe(type);
        expect(r.headers.get('content-disposition')).toBe(`inline; filename="${filename}"`);
        expect(r.headers.get('content-security-policy')).toBeNull();
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      }
      expect(Buffer.from(await (await overSocket(token)).arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    });

    it('asked as attachment (or by default) is an attachment, also right after an inline link to the same file', async () => {
      const inline = await generate(slug, { content_disposition: 'inline' });
      const asked = await generate(slug, { content_disposition: 'attachment' });
      const byDefault = await generate(slug);
      expect((await overSocket(inline)).headers.get('content-disposition')).toMatch(/^inline;/);
      expect((await overSocket(asked)).headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
      expect((await overSocket(byDefault)).headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
      expect((await overSocket(inline)).headers.get('content-disposition')).toMatch(/^inline;/);
    });
  });
});

describe('the list of active content types', () => {
  it('names exactly the uploadable kinds a browser could run script from', () => {
    const active = Object.values(ASSET_KINDS).filter((k) => isActiveContentType(k.contentType)).map((k) => k.ext);
    expect(active.sort()).toEqual(['html', 'js', 'json', 'svg', 'xml']);
  });

  it('covers every active fixture above, and no passive one', () => {
    for (const f of ACTIVE) expect(isActiveContentType(f.type), f.type).toBe(true);
    for (const f of PASSIVE) expect(isActiveContentType(f.type), f.type).toBe(false);
  });
});
