#!/usr/bin/env node
// `npm run conformance`: the official MCP conformance suite against a live `sitepub serve`.
// The suite needs Node >= 22; this machine's Node may be 20, so a Node 22 binary is taken from the
// npm registry's platform package (node-<platform>-<arch>) into .cache/, on first use only.
// The suite cannot send an Authorization header, so a loopback proxy adds the Bearer token.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = path.join(root, '.cache', 'node22');
const pkg = `node-${process.platform}-${process.arch}`;
const node22 = path.join(cacheDir, 'node_modules', pkg, 'bin', 'node');

if (!existsSync(node22)) {
  mkdirSync(cacheDir, { recursive: true });
  console.error(`conformance: fetching Node 22 from the npm registry (${pkg}@22)...`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', cacheDir, `${pkg}@22`], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(node22)) {
    console.error('conformance: could not install Node 22');
    process.exit(1);
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-conformance-'));
const env = { ...process.env, SITEPUB_LOG_LEVEL: 'warn' };
for (const k of ['DATABASE_URL', 'PORT', 'HOST', 'SITEPUB_DATA', 'SITEPUB_PUBLIC_URL', 'SITEPUB_SITE_DOMAIN']) delete env[k];
const server = spawn(process.execPath, [path.join(root, 'dist/sitepub.mjs'), 'serve', '--port', '0', '--data', path.join(dir, 'data')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const port = await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`sitepub did not start:\n${out}`)), 30_000);
  const on = (d) => {
    out += d.toString();
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m) {
      clearTimeout(t);
      resolve(Number(m[1]));
    }
  };
  server.stdout.on('data', on);
  server.stderr.on('data', on);
});
const token = /Token:\s+(spp_\S+)/.exec(out)[1];

const proxy = createServer((req, res) => {
  const up = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } }, (r) => {
    if (process.env.CONFORMANCE_DEBUG) console.error('proxy', req.method, req.url, r.statusCode, req.headers.accept);
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const proxyPort = proxy.address().port;

const args = [path.join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'), 'server', '--url', `http://127.0.0.1:${proxyPort}/mcp`, '--expected-failures', path.join(root, 'conformance-baseline.yml'), ...process.argv.slice(2)];
const started = Date.now();
// Async spawn: the proxy lives in this process and must keep serving while the suite runs.
const status = await new Promise((resolve) => {
  const suite = spawn(node22, args, { stdio: 'inherit', env: { ...process.env, PATH: `${path.dirname(node22)}:${process.env.PATH}` } });
  suite.on('exit', (code) => resolve(code ?? 1));
});
console.error(`conformance: finished in ${((Date.now() - started) / 1000).toFixed(1)} s with exit code ${status}`);

proxy.close();
server.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(status);
