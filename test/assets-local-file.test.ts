import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadLocalFile } from '../src/core/asset-local-upload.js';
import { openLocalFile, rootFolders, type LocalFileAccess } from '../src/core/local-files.js';
import { call, connect, makeApp, makeEnv, PDF_MIN, rejection, type TestEnv } from './helpers.js';
import { DIALECTS } from './dialects.js';
import { CLI, cliEnv } from './serve-process.js';

/** A private MP4 of `size` random bytes after a real ftyp box (checked by content like any upload). */
function mp4(size: number): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(4), Buffer.from('isom', 'latin1')]);
  return Buffer.concat([ftyp, Buffer.alloc(64), randomBytes(size)]);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// Folders: allowed/ (given), allowedish/ (shares a prefix, not allowed), outside/ (elsewhere).
const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sitepub-local-')));
const allowed = path.join(base, 'allowed');
const prefixTwin = path.join(base, 'allowedish');
const outside = path.join(base, 'outside');
for (const d of [allowed, prefixTwin, outside, path.join(allowed, 'sub')]) mkdirSync(d, { recursive: true });
const VIDEO = mp4(3 * 1024 * 1024);
writeFileSync(path.join(allowed, 'sub', 'course.mp4'), VIDEO);
writeFileSync(path.join(allowed, 'book.pdf'), PDF_MIN);
writeFileSync(path.join(outside, 'secret.pdf'), PDF_MIN);
writeFileSync(path.join(prefixTwin, 'twin.pdf'), PDF_MIN);
symlinkSync(path.join(outside, 'secret.pdf'), path.join(allowed, 'escape.pdf')); // inside, pointing out
symlinkSync(path.join(allowed, 'book.pdf'), path.join(outside, 'way-in.pdf')); // outside, pointing in
symlinkSync(outside, path.join(allowed, 'linked-folder')); // a folder inside that is a link to outside
execFileSync('mkfifo', [path.join(allowed, 'pipe.mp4')]);
const access: LocalFileAccess = { folders: async () => [allowed] };

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('openLocalFile: only regular files inside the allowed folders, symlinks resolved first', () => {
  it('opens a file inside, and one reached through a symlink that resolves inside', async () => {
    for (const p of [path.join(allowed, 'sub', 'course.mp4'), path.join(outside, 'way-in.pdf')]) {
      const f = await openLocalFile(access, p);
      expect(f.realPath.startsWith(allowed + path.sep)).toBe(true);
      await f.handle.close();
    }
  });

  it('refuses anything outside with FORBIDDEN, whether or not it exists, and never over HTTP', async () => {
    for (const p of [path.join(outside, 'secret.pdf'), path.join(outside, 'missing.pdf'), path.join(allowed, 'escape.pdf'), path.join(prefixTwin, 'twin.pdf'), path.join(allowed, '..', 'outside', 'secret.pdf'), '/etc/passwd']) {
      const e = await rejection(openLocalFile(access, p));
      expect(e.type, p).toBe('FORBIDDEN');
      expect(e.message).toContain('--allow-dir');
    }
    const http = await rejection(openLocalFile(undefined, path.join(allowed, 'book.pdf')));
    expect(http.type).toBe('FORBIDDEN');
    expect(http.message).toContain('assets_create_upload_url');
    const none = await rejection(openLocalFile({ folders: async () => [] }, path.join(allowed, 'book.pdf')));
    expect(none.type).toBe('FORBIDDEN');
    expect(none.message).toContain('No folder is open');
  });

  it('tells nothing about files outside through a symlinked folder inside (FORBIDDEN whether or not they exist)', async () => {
    for (const name of ['secret.pdf', 'no-such.pdf']) {
      const e = await rejection(openLocalFile(access, path.join(allowed, 'linked-folder', name)));
      expect(e.type, name).toBe('FORBIDDEN');
    }
  });

  it('refuses a FIFO at once (VALIDATION_ERROR) instead of waiting for a writer', async () => {
    const outcome = await Promise.race([
      openLocalFile(access, path.join(allowed, 'pipe.mp4')).then(
        () => 'opened',
        (e: { type?: string }) => e.type ?? 'error',
      ),
      new Promise((r) => setTimeout(() => r('hung'), 3000)),
    ]);
    expect(outcome).toBe('VALIDATION_ERROR');
  });

  it('says NOT_FOUND inside the folders, and VALIDATION_ERROR for a relative path or a folder', async () => {
    expect((await rejection(openLocalFile(access, path.join(allowed, 'nope.pdf')))).type).toBe('NOT_FOUND');
    expect((await rejection(openLocalFile(access, 'book.pdf'))).type).toBe('VALIDATION_ERROR');
    expect((await rejection(openLocalFile(access, path.join(allowed, 'sub')))).type).toBe('VALIDATION_ERROR');
  });

  it('reads MCP roots as folders (file: URIs only)', () => {
    expect(rootFolders([{ uri: pathToFileURL(allowed).href }, { uri: 'https://example.com/x' }, { uri: 'not a url' }])).toEqual([allowed]);
  });
});

describe.each(DIALECTS)('assets_upload with file_path on %s', (dialect) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv({ dialect });
  });
  afterAll(() => env.close());

  it('streams a private file in from disk, byte for byte, and refuses a second source', async () => {
    const info = await uploadLocalFile(env.core.assets, env.project, { slug: 'course/video.mp4', private: true, file_path: path.join(allowed, 'sub', 'course.mp4') }, access);
    expect(info).toMatchObject({ slug: 'course/video.mp4', private: true, size_bytes: VIDEO.length, sha256: sha(VIDEO), content_type: 'video/mp4' });
    const both = await rejection(uploadLocalFile(env.core.assets, env.project, { slug: 'b.pdf', content: 'JVBERi0=', file_path: path.join(allowed, 'book.pdf') }, access));
    expect(both.type).toBe('VALIDATION_ERROR');
    expect(both.message).toContain('exactly one of');
  });

  it('applies the upload rules: a sellable type must be private, and nothing is stored on refusal', async () => {
    const pub = await rejection(uploadLocalFile(env.core.assets, env.project, { slug: 'public.mp4', file_path: path.join(allowed, 'sub', 'course.mp4') }, access));
    expect(pub.type).toBe('UNSUPPORTED_MEDIA_TYPE');
    const mismatch = await rejection(uploadLocalFile(env.core.assets, env.project, { slug: 'book.png', file_path: path.join(allowed, 'book.pdf') }, access));
    expect(mismatch.type).toBe('UNSUPPORTED_MEDIA_TYPE');
    const list = await env.core.assets.list(env.project);
    expect(list.assets.map((a) => a.slug).sort()).toEqual(['course/video.mp4']);
  });

  it('is FORBIDDEN through an MCP session without local files and through REST', async () => {
    const client = await connect(env.core);
    const r = await call(client, 'assets_upload', { slug: 'book.pdf', file_path: path.join(allowed, 'book.pdf') });
    expect(r.ok).toBe(false);
    expect(r.error.type).toBe('FORBIDDEN');
    await client.close();
    const request = makeApp(env);
    const token = (await env.core.projects.issueToken({ projectId: env.project.id })).token;
    const res = await request(`/papi/project/${env.project.id}/assets`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ slug: 'book.pdf', file_path: path.join(allowed, 'book.pdf') }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('FORBIDDEN');
  });
});

describe('sitepub mcp: file_path over stdio with --allow-dir and MCP roots (built CLI, v1 client)', () => {
  async function stdioClient(args: string[], roots?: string[]): Promise<Client> {
    const data = mkdtempSync(path.join(tmpdir(), 'sitepub-local-data-'));
    const client = new Client({ name: 'local-files-test', version: '1' }, roots ? { capabilities: { roots: { listChanged: false } } } : {});
    if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: path.basename(r) })) }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--data', data, ...args], env: cliEnv(), stderr: 'pipe' }));
    return client;
  }

  it('reads files inside --allow-dir only', async () => {
    const client = await stdioClient(['--allow-dir', allowed]);
    try {
      const ok = await call(client, 'assets_upload', { slug: 'downloads/book.pdf', private: true, file_path: path.join(allowed, 'book.pdf') });
      expect(ok.ok).toBe(true);
      expect(ok.data).toMatchObject({ slug: 'downloads/book.pdf', private: true, size_bytes: PDF_MIN.length });
      const no = await call(client, 'assets_upload', { slug: 'secret.pdf', file_path: path.join(outside, 'secret.pdf') });
      expect(no.error.type).toBe('FORBIDDEN');
    } finally {
      await client.close();
    }
  });

  it('reads files inside the client MCP roots, asked at the call', async () => {
    const client = await stdioClient([], [path.join(allowed, 'sub')]);
    try {
      const ok = await call(client, 'assets_upload', { slug: 'course.mp4', private: true, file_path: path.join(allowed, 'sub', 'course.mp4') });
      expect(ok.ok).toBe(true);
      expect(ok.data).toMatchObject({ size_bytes: VIDEO.length, sha256: sha(VIDEO) });
      const no = await call(client, 'assets_upload', { slug: 'book.pdf', file_path: path.join(allowed, 'book.pdf') });
      expect(no.error.type).toBe('FORBIDDEN');
    } finally {
      await client.close();
    }
  });

  it('refuses a missing --allow-dir folder at start (exit 2)', async () => {
    const client = new Client({ name: 'x', version: '1' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--data', mkdtempSync(path.join(tmpdir(), 'sitepub-local-data-')), '--allow-dir', path.join(base, 'no-such')], env: cliEnv(), stderr: 'pipe' });
    await expect(client.connect(transport)).rejects.toThrow();
  });
});
