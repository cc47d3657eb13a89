import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, startServe, type ServeProcess } from './serve-process.js';

/** These run the built CLI (the global setup builds it when stale), as a new user would after `npm install`. */
function cli(args: string[], dataDir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--data', dataDir], { encoding: 'utf8', env: cliEnv() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function get(port: number, host: string, p: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: p, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('CLI commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-cli-'));
    expect(cli(['migrate'], dir).status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a data folder without a database instead of making an empty one (a mistyped --data)', () => {
    const typo = path.join(dir, 'dat');
    for (const args of [['token', 'create', '--project', 'prj_x'], ['export'], ['project', 'list'], ['owner', 'login-link', '--email', 'a@b.c']]) {
      const r = cli(args, typo);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('No sitepub database in');
      expect(r.stderr).toContain('sitepub migrate --data DIR');
    }
    expect(existsSync(typo)).toBe(false);
  });

  it('has help for every command', () => {
    const h = cli(['--help'], dir);
    expect(h.status).toBe(0);
    for (const c of ['serve', 'mcp', 'project create', 'token create']) expect(h.stdout).toContain(c);
    for (const c of [['serve'], ['mcp'], ['project', 'create'], ['project', 'list'], ['project', 'quota'], ['token', 'create'], ['token', 'revoke']]) {
      const r = cli([...c, '--help'], dir);
      expect(r.status, c.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: sitepub');
    }
    const bad = cli(['frobnicate'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Unknown command');
  });

  it('creates projects and tokens, lists and revokes them', () => {
    const r = cli(['project', 'create', '--name', 'Bäckerei Müller', '--json'], dir);
    expect(r.status, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { project_id: string; domain: string; url: string; token: string };
    expect(p.domain).toBe('backerei-muller.localhost');
    expect(p.url).toBe('http://backerei-muller.localhost:8787');
    expect(p.token).toMatch(/^spp_/);
    const dupe = cli(['project', 'create', '--name', 'x', '--subdomain', 'backerei-muller'], dir);
    expect(dupe.status).toBe(1);
    expect(dupe.stderr).toContain('ALREADY_EXISTS');
    const list = JSON.parse(cli(['project', 'list', '--json'], dir).stdout) as Array<{ project_id: string }>;
    expect(list.map((x) => x.project_id)).toContain(p.project_id);
    const t = JSON.parse(cli(['token', 'create', '--project', p.project_id, '--json'], dir).stdout) as { token: string; token_id: string };
    expect(t.token).toMatch(/^spp_/);
    const rv = cli(['token', 'revoke', t.token_id], dir);
    expect(rv.stdout).toContain(`Revoked ${t.token_id}`);
    const tl = cli(['token', 'list', '--json'], dir);
    expect(tl.stdout).not.toContain(t.token);
  });

  it('creates owners (password from stdin, stored hashed) and one-time sign-in links', () => {
    const made = spawnSync(process.execPath, [CLI, 'owner', 'create', '--email', 'Ana@Example.com', '--password-stdin', '--json', '--data', dir], { encoding: 'utf8', env: cliEnv(), input: 'a long password\n' });
    expect(made.status, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ email: 'ana@example.com', owner_id: expect.stringMatching(/^own_/) });
    const short = spawnSync(process.execPath, [CLI, 'owner', 'create', '--email', 'b@example.com', '--password-stdin', '--data', dir], { encoding: 'utf8', env: cliEnv(), input: 'short' });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('VALIDATION_ERROR');
    const link = cli(['owner', 'login-link', '--email', 'ana@example.com', '--json'], dir);
    expect(link.status, link.stderr).toBe(0);
    const l = JSON.parse(link.stdout) as { url: string; expires_at: string };
    expect(l.url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/login\/link\/spl_/);
    expect(Date.parse(l.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    const none = cli(['owner', 'login-link', '--email', 'ghost@example.com'], dir);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('NOT_FOUND');
    expect(cli(['owner', 'create', '--help'], dir).stdout).toContain('--password-stdin');
  });

  it('shows and sets a project storage quota', () => {
    const p = JSON.parse(cli(['project', 'create', '--name', 'Quota shop', '--json'], dir).stdout) as { project_id: string };
    const shown = (args: string[]) => JSON.parse(cli(['project', 'quota', '--project', p.project_id, ...args, '--json'], dir).stdout) as { used_bytes: number; quota_bytes: number };
    expect(shown([])).toEqual({ project_id: p.project_id, used_bytes: 0, quota_bytes: 1024 * 1024 * 1024 });
    expect(shown(['--mb', '5']).quota_bytes).toBe(5 * 1024 * 1024);
    expect(shown(['--mb', '0']).quota_bytes).toBe(0);
    expect(shown(['--default']).quota_bytes).toBe(1024 * 1024 * 1024);
    const bad = cli(['project', 'quota', '--project', p.project_id, '--mb', 'lots'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--mb');
  });

  it('refuses an option its command does not take, naming it and the help to read', async () => {
    const refused: Array<[string[], string, string]> = [
      [['serve', '--prot', '8080'], '--prot', 'sitepub serve --help'],
      [['serve', '--name', 'x'], '--name', 'sitepub serve --help'],
      [['mcp', '--workers', '2'], '--workers', 'sitepub mcp --help'],
      [['project', 'list', '--workers', '2'], '--workers', 'sitepub project list --help'],
      [['project', 'create', '--name', 'x', '--nmae', 'y'], '--nmae', 'sitepub project create --help'],
      [['token', 'create', '--account', '--port', '1'], '--port', 'sitepub token create --help'],
      [['token', 'revoke', 'tok_x', '--json'], '--json', 'sitepub token revoke --help'],
      [['migrate', '--out', 'x'], '--out', 'sitepub migrate --help'],
      [['export', '--in', 'x'], '--in', 'sitepub export --help'],
      [['serve', '--port'], '--port', 'sitepub serve --help'],
      [['project', 'list', 'extra'], 'extra', 'sitepub project list --help'],
    ];
    for (const [args, named, help] of refused) {
      const r = cli(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(named);
      expect(r.stderr, args.join(' ')).toContain(`"${help}"`);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    // A flag of another command says which command takes it.
    expect(cli(['project', 'list', '--workers', '2'], dir).stderr).toContain('(it is for: serve)');
    // Values are still parsed: a free port, and options before the command words.
    const server = await startServe({ args: ['--port', '0', '--workers', '1', '--read-only'] });
    try {
      expect(server.port).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    const listed = spawnSync(process.execPath, [CLI, '--data', dir, 'project', 'list', '--json'], { encoding: 'utf8', env: cliEnv() });
    expect(listed.status, listed.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
  });
});

describe('sitepub serve (built CLI, real sockets)', () => {
  let server: ServeProcess;
  let port = 0;
  let token = '';
  let output = '';
  beforeAll(async () => {
    server = await startServe();
    ({ port } = server);
    output = server.output();
    ({ token } = server.firstRun());
  });
  afterAll(() => server?.stop());

  it('prints a token and a ready-to-paste client config on first start', () => {
    expect(output).toContain('"mcpServers"');
    expect(output).toContain(`"Authorization": "Bearer ${token}"`);
    expect(output).toContain('http://mysite.localhost:');
  });

  it('prints a one-time sign-in link that signs a browser in to the platform', async () => {
    const url = /(http:\/\/\S+\/login\/link\/spl_[A-Za-z0-9_-]+)/.exec(output)?.[1];
    expect(url, output).toBeDefined();
    const r = await fetch(url!.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${port}`), { redirect: 'manual' });
    expect(r.status).toBe(302);
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('sitepub_session='))!.split(';')[0]!;
    const home = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
    const html = await home.text();
    expect(html).toContain('owner@localhost');
    expect(html).toContain('http://mysite.localhost:');
  });

  it('an MCP client edits the site over Streamable HTTP and a browser sees it at once', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(34);
    const created = await client.callTool({ name: 'pages_create', arguments: { slug: 'index.html', content: '<h1>Fresh bread</h1>' } });
    expect(created.isError).toBeFalsy();
    const page = await get(port, `mysite.localhost:${port}`, '/');
    expect(page.status).toBe(200);
    expect(page.body).toBe('<h1>Fresh bread</h1>');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    await client.close();

    // A download link over a real socket (the raw Node path): HEAD does not consume, GET does, once.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
    const c2 = new Client({ name: 'e2e', version: '1' });
    await c2.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    await c2.callTool({ name: 'assets_upload', arguments: { slug: 'files/book.pdf', content: pdf.toString('base64'), private: true } });
    const gen = (await c2.callTool({ name: 'file-downloads_generate_token', arguments: { asset_url: '/files/book.pdf', filename: 'Rezepte – 2026.pdf' } })).structuredContent as { download_url: string };
    await c2.close();
    const head = await fetch(gen.download_url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const dl = await fetch(gen.download_url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toContain("filename*=UTF-8''Rezepte%20%E2%80%93%202026.pdf");
    expect(Buffer.from(await dl.arrayBuffer()).equals(pdf)).toBe(true);
    expect((await fetch(gen.download_url)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${port}/d/spd_nope`)).status).toBe(404);

    const bad = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: 'Bearer spp_wrong' } } });
    await expect(new Client({ name: 'e2e', version: '1' }).connect(bad)).rejects.toThrow();
  });
});

describe('newcomer traps', () => {
  it('a start on a busy port says what to do and keeps the first token for the start that works', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-busy-'));
    try {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--port', String(busy), '--data', dir], { encoding: 'utf8', env: cliEnv(), timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`Port ${busy} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('--port');
      expect(r.stdout).not.toContain('Token:');
      // The next start, on a free port, is the first start: it shows the token and the sign-in link.
      const ok = await startServe({ dataDir: dir });
      try {
        expect(ok.firstRun().token).toMatch(/^spp_/);
        expect(ok.output()).toContain('/login/link/spl_');
      } finally {
        await ok.stop();
      }
      // A later start shows no token, and says how to get one.
      const again = await startServe({ dataDir: dir });
      try {
        expect(again.output()).not.toContain('Token:');
        expect(again.output()).toMatch(/sitepub token create --project prj_/);
        expect(again.output()).toContain('sitepub owner login-link --email owner@localhost');

        // `sitepub mcp` on the same folder answers with the URLs of that running server, not :8787.
        const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--data', dir], env: cliEnv(), stderr: 'pipe' });
        const client = new Client({ name: 'e2e', version: '1' });
        await client.connect(transport);
        try {
          const st = await client.callTool({ name: 'project_status', arguments: {} });
          expect((st.structuredContent as { url: string }).url).toBe(`http://mysite.localhost:${again.port}`);
        } finally {
          await client.close();
        }
      } finally {
        await again.stop();
      }
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns at start when a test-only SSRF exception is set', async () => {
    const s = await startServe({ env: { SITEPUB_FETCH_ALLOW_ADDRESSES: '127.0.0.1' } });
    try {
      expect(s.output()).toContain('WARNING: SITEPUB_FETCH_ALLOW_ADDRESSES is set (127.0.0.1)');
    } finally {
      await s.stop();
    }
  });
});

describe('sitepub mcp (stdio, built CLI)', () => {
  it('serves the tools over stdio with logs on stderr only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-stdio-'));
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--data', dir], env: cliEnv(), stderr: 'pipe' });
    const client = new Client({ name: 'e2e', version: '1' });
    try {
      await client.connect(transport);
      expect(client.getInstructions()).toContain('pages_patch');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('file-downloads_generate_token');
      const st = await client.callTool({ name: 'project_status', arguments: {} });
      expect(st.structuredContent).toMatchObject({ domain: 'mysite.localhost', status: 'empty' });
      const c = await client.callTool({ name: 'pages_create', arguments: { slug: 'about.html', content: '<p>hi</p>' } });
      expect(c.structuredContent).toMatchObject({ slug: 'about.html', version: 1 });
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
