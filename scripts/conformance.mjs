#!/usr/bin/env node
// `npm run conformance`: both lines of the official MCP conformance suite against a live
// `sitepub serve`: 0.1.x for the 2025 revisions (initialize) and 0.2.x for 2026-07-28 (stateless,
// server/discover). Each line has its baseline of expected failures, each with its reason.
// The suites need Node >= 22; this machine's Node may be 20. So neither is in package.json (an
// `npm install` on Node 20 would warn EBADENGINE): a Node 22 binary (the npm registry's platform
// package node-<platform>-<arch>) and each suite are installed into .cache/, on first use only.
// The suites cannot send an Authorization header, so a loopback proxy adds the Bearer token.
//
// Then the 0.2.x suite's `authorization` scenarios run against sitepub's OAuth authorization server
// (metadata endpoint, authorization code grant): this script registers a client (DCR) with the
// suite's callback URL and plays the browser: it signs in with the first start's one-time link and
// approves the consent page, exactly as a person would.
//
//   npm run conformance                       both lines, then the authorization scenarios
//   npm run conformance -- 2025 [suite args]  one line (2025, 2026 or auth), extra arguments to the suite
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = path.join(root, '.cache', 'node22');
const pkg = `node-${process.platform}-${process.arch}`;
const node22 = path.join(cacheDir, 'node_modules', pkg, 'bin', 'node');

/** The two lines: the pinned suite version, its baseline, and the arguments that select its scenarios. */
const LINES = {
  2025: { version: '0.1.16', baseline: 'conformance-baseline.yml', args: [] },
  2026: { version: '0.2.0-alpha.12', baseline: 'conformance-baseline-2026.yml', args: ['--requirements', '2026-07-28'] },
};
/** The authorization-server scenarios come with the 0.2.x line. */
const AUTH_VERSION = LINES[2026].version;
const only = process.argv[2] in LINES || process.argv[2] === 'auth' ? process.argv[2] : undefined;
const extra = process.argv.slice(only ? 3 : 2);

/** Installs `spec` into .cache/<dir> once (outside the project's node_modules and lock file). */
function cached(dir, spec, probe) {
  const prefix = path.join(root, '.cache', dir);
  if (existsSync(path.join(prefix, probe))) return path.join(prefix, probe);
  mkdirSync(prefix, { recursive: true });
  console.error(`conformance: fetching ${spec} from the npm registry into .cache/${dir}...`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--engine-strict=false', '--loglevel=error', '--prefix', prefix, spec], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(path.join(prefix, probe))) {
    console.error(`conformance: could not install ${spec}`);
    process.exit(1);
  }
  return path.join(prefix, probe);
}

if (!existsSync(node22)) cached('node22', `${pkg}@22`, path.join('node_modules', pkg, 'bin', 'node'));
const suites = Object.fromEntries(
  Object.entries(LINES)
    .filter(([k]) => !only || k === only || (only === 'auth' && k === '2026'))
    .map(([k, l]) => [k, cached(`conformance-${l.version}`, `@modelcontextprotocol/conformance@${l.version}`, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')]),
);

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

const started = Date.now();
let status = 0;
for (const [name, entry] of Object.entries(suites)) {
  if (only === 'auth') break;
  const line = LINES[name];
  console.error(`\nconformance: ${name} line, @modelcontextprotocol/conformance ${line.version}, baseline ${line.baseline}`);
  const args = [entry, 'server', '--url', `http://127.0.0.1:${proxyPort}/mcp`, '--expected-failures', path.join(root, line.baseline), ...(extra.includes('--scenario') ? [] : line.args), ...extra];
  // Async spawn: the proxy lives in this process and must keep serving while the suite runs.
  const code = await new Promise((resolve) => {
    const suite = spawn(node22, args, { stdio: 'inherit', env: { ...process.env, PATH: `${path.dirname(node22)}:${process.env.PATH}` } });
    suite.on('exit', (c) => resolve(c ?? 1));
  });
  console.error(`conformance: ${name} line exited with ${code}`);
  if (code !== 0) status = code;
}
if (!only || only === 'auth') {
  const code = await authorizationScenarios(suites[2026]);
  console.error(`conformance: authorization scenarios exited with ${code}`);
  if (code !== 0) status = code;
}
console.error(`conformance: finished in ${((Date.now() - started) / 1000).toFixed(1)} s with exit code ${status}`);

proxy.close();
server.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(status);

/**
 * `conformance authorization`: the suite asks for a client id and prints an authorization URL for a
 * person to open; its callback server waits on http://127.0.0.1:<port>/callback. The person is
 * played here, over plain HTTP: a session from the one-time sign-in link, the consent page, Allow.
 */
async function authorizationScenarios(entry) {
  const base = `http://127.0.0.1:${port}`;
  const callbackPort = await new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
  });
  const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
  const meta = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
  const reg = await fetch(meta.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], application_type: 'native' }),
  });
  const client = await reg.json();
  if (reg.status !== 201) throw new Error(`conformance: client registration failed: ${reg.status} ${JSON.stringify(client)}`);

  // Sign in as the first start's owner.
  const link = /(http:\/\/\S+\/login\/link\/spl_[A-Za-z0-9_-]+)/.exec(out)?.[1];
  if (!link) throw new Error('conformance: the first start printed no sign-in link');
  const signedIn = await fetch(link, { redirect: 'manual' });
  const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('sitepub_session='))?.split(';')[0];
  if (!cookie) throw new Error(`conformance: the sign-in link gave no session (${signedIn.status})`);

  console.error(`\nconformance: authorization scenarios, @modelcontextprotocol/conformance ${AUTH_VERSION}, client ${client.client_id}`);
  const args = [entry, 'authorization', '--url', base, '--client-id', client.client_id, '--resource', `${base}/mcp`, '--port', String(callbackPort), ...(only === 'auth' ? extra : [])];
  const suite = spawn(node22, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PATH: `${path.dirname(node22)}:${process.env.PATH}` } });
  const exited = new Promise((resolve) => suite.on('exit', (c) => resolve(c ?? 1)));
  let printed = '';
  let approved = false;
  suite.stdout.on('data', (d) => {
    process.stdout.write(d);
    printed += d.toString();
    const url = new RegExp(`${meta.authorization_endpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\?\\S+`).exec(printed)?.[0];
    if (url && !approved) {
      approved = true;
      approve(url, cookie).catch((e) => {
        console.error(`conformance: approving the consent page failed: ${e.message}`);
        suite.kill('SIGTERM');
      });
    }
  });
  return exited;
}

/** The browser: opens the authorization URL signed in, and submits the consent form with Allow. */
async function approve(url, cookie) {
  const page = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html.slice(0, 200)}`);
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.set(m[1], decode(m[2]));
  const project = /<option value="([^"]+)"/.exec(html)?.[1];
  if (project) form.set('project_id', project);
  form.set('decision', 'approve');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const answer = await fetch(new URL(decode(action), url), { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form, redirect: 'manual' });
  const location = answer.headers.get('location');
  if (answer.status < 300 || answer.status > 303 || !location) throw new Error(`consent answered ${answer.status} without a redirect`);
  await fetch(location);
}

function decode(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
