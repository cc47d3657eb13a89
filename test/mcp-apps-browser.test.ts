import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_ID, RESOURCE_MIME_TYPE } from '../src/mcp/apps/ui.js';
import { PNG_1PX } from './helpers.js';
import { restData, startServe, type ServeProcess } from './serve-process.js';

/**
 * The MCP Apps views in a real browser, against the built server as a user starts it. The host is
 * the ext-apps package's own AppBridge (bundled for the page with esbuild), in a harness page that
 * frames the view as hosts do: `<iframe sandbox="allow-scripts">` with the view's HTML and a CSP
 * built from its `_meta.ui.csp`, with Claude's frame rule (`frame-src 'self' blob: data:`) or the
 * extension's default for a view that declares no frameDomains (`frame-src 'none'`). The
 * harness's tools/call goes to the server's /mcp, as a 2026-07-28 request from a client that declared
 * the extension or as a 2025-era one (no capabilities), and refuses, as the extension requires of
 * hosts, a tool its tools/list did not offer the app. Checked: the page renders with its stylesheet
 * and image from the site, the diff, the phone width, the links, a rollback that changes the page on
 * the server, the overview's thumbnails, and the views on the model's tools where the host offers
 * no app-only tool. Each test makes its own page.
 * Screenshots go to $TEST_ARTIFACTS_DIR/mcp-apps (default .tmp/test-artifacts/mcp-apps).
 * Without /usr/bin/chromium the tests are skipped, saying so.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`[mcp-apps-browser] skipped: no browser at ${CHROMIUM}. Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);

const ARTIFACTS = path.resolve(process.env.TEST_ARTIFACTS_DIR ?? '.tmp/test-artifacts', 'mcp-apps');
const UI_CAPS = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };
/** Claude's frame rule, whatever frameDomains says; the extension's default without frameDomains is 'none'. */
const CLAUDE_FRAME_SRC = "'self' blob: data:";
const SPEC_FRAME_SRC = "'none'";
/** A preview link as pages_preview makes it: the page on the site's own address, signed, expiring. */
const previewLink = (site: string, slug: string, v: number): RegExp => new RegExp(`^${site.replace(/[.]/g, '\\.')}/_sitepub/preview/${slug.replace(/[.]/g, '\\.')}\\?v=${v}&exp=\\d+&sig=[\\w-]+$`);

/** The harness: frames a view with its CSP and connects the package's AppBridge to it. */
const HARNESS = String.raw`<!doctype html><html><head><meta charset="utf-8"><title>stub MCP Apps host</title>
<style>body{margin:0;font:14px system-ui}iframe#app{width:100%;height:1100px;border:0}</style></head><body></body></html>`;

const HARNESS_SCRIPT = String.raw`
window.modelContext = [];
window.openedLinks = [];
window.showView = async ({ html, csp, toolName, toolArgs, toolResult, frameSrc }) => {
  const sources = (csp.resourceDomains || []).join(' ');
  const policy = [
    "default-src 'none'",
    "script-src 'unsafe-inline' " + sources,
    "style-src 'unsafe-inline' " + sources,
    "img-src data: " + sources,
    "font-src " + sources,
    "media-src " + sources,
    "connect-src " + (csp.connectDomains || []).join(' '),
    "frame-src " + frameSrc,
    "base-uri " + ((csp.baseUriDomains || []).join(' ') || "'self'"),
  ].join('; ');
  const doc = html.replace(/<head>/i, '<head><meta http-equiv="Content-Security-Policy" content="' + policy.replace(/"/g, '&quot;') + '">');
  document.body.replaceChildren();
  const frame = document.createElement('iframe');
  frame.id = 'app';
  frame.setAttribute('sandbox', 'allow-scripts');
  document.body.append(frame);
  const bridge = new McpHost.AppBridge(null, { name: 'stub-host', version: '1' }, { openLinks: {}, serverTools: {}, updateModelContext: { text: {} } }, { hostContext: { theme: 'light', displayMode: 'inline' } });
  bridge.oncalltool = (params) => window.hostCallTool(params.name, params.arguments || {});
  bridge.onopenlink = async ({ url }) => { window.openedLinks.push(url); return {}; };
  bridge.onupdatemodelcontext = async (params) => { window.modelContext.push(params); return {}; };
  bridge.oninitialized = () => {
    bridge.sendToolInput({ arguments: toolArgs });
    bridge.sendToolResult(toolResult);
  };
  await bridge.connect(new McpHost.PostMessageTransport(frame.contentWindow, frame.contentWindow));
  frame.srcdoc = doc;
  window.bridge = bridge;
  window.shownTool = toolName;
};
`;

describe('the MCP Apps views in Chromium (built server, ext-apps AppBridge as host)', () => {
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let base = '';
  let token = '';
  let projectId = '';
  let siteUrl = '';
  let bridgeBundle = '';
  const cspViolations: string[] = [];

  const api = (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => restData({ base, projectId, token }, method, p, body);

  let rpcId = 0;
  /**
   * The host's requests: 2026-07-28 from a client that declared MCP Apps, or 2025-era over stateless
   * HTTP, whose requests carry no capabilities (the server then offers no app-only tool).
   */
  let era: '2026-07-28' | '2025-06-18' = '2026-07-28';
  async function rpc(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = params.name ?? params.uri;
    const modern = era === '2026-07-28';
    const envelope = { 'io.modelcontextprotocol/protocolVersion': era, 'io.modelcontextprotocol/clientCapabilities': UI_CAPS, 'io.modelcontextprotocol/clientInfo': { name: 'stub-host', version: '1' } };
    const r = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': era,
        ...(modern ? { 'mcp-method': method } : {}),
        ...(modern && typeof name === 'string' ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params: modern ? { ...params, _meta: envelope } : params }),
    });
    const body = (await r.json()) as { result?: Record<string, unknown>; error?: unknown };
    expect(body.error, JSON.stringify(body.error)).toBeUndefined();
    return body.result!;
  }

  /** What a host does for a tool call whose tool names a view: call it, read the view, show it with the result. */
  async function showToolResult(toolName: string, toolArgs: Record<string, unknown>, frameSrc = CLAUDE_FRAME_SRC): Promise<FrameLocator> {
    const tools = (await rpc('tools/list', {})).tools as Array<{ name: string; _meta?: { ui?: { resourceUri?: string } } }>;
    const uri = tools.find((t) => t.name === toolName)?._meta?.ui?.resourceUri;
    expect(uri, `${toolName} links a view`).toBeTruthy();
    const toolResult = await rpc('tools/call', { name: toolName, arguments: toolArgs });
    const read = (await rpc('resources/read', { uri: uri! })).contents as Array<{ mimeType: string; text: string; _meta: { ui: { csp: Record<string, string[]> } } }>;
    expect(read[0]!.mimeType).toBe(RESOURCE_MIME_TYPE);
    await page.setContent(HARNESS);
    await page.addScriptTag({ content: bridgeBundle });
    await page.addScriptTag({ content: HARNESS_SCRIPT });
    await page.evaluate((v) => (window as unknown as { showView(v: unknown): Promise<void> }).showView(v), { html: read[0]!.text, csp: read[0]!._meta.ui.csp, toolName, toolArgs, toolResult, frameSrc });
    return page.frameLocator('iframe#app');
  }

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const bundled = await build({
      stdin: { contents: "export { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';", resolveDir: process.cwd() },
      bundle: true,
      format: 'iife',
      globalName: 'McpHost',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    bridgeBundle = bundled.outputFiles[0]!.text;

    server = await startServe();
    base = server.url;
    ({ token, projectId } = server.firstRun());
    siteUrl = /Site:\s+(http:\/\/\S+?)\/?\s/.exec(server.output())![1]!;

    await api('POST', '/assets', { slug: 'css/site.css', content_text: 'h1{color:rgb(200, 30, 30);font-family:serif}' });
    await api('POST', '/assets', { slug: 'images/logo.png', content: PNG_1PX.toString('base64') });
    await api('POST', '/pages', { slug: 'about.html', content: '<!doctype html><html><head><link rel="stylesheet" href="/css/site.css"></head><body><h1>About us</h1></body></html>', meta: { title: 'About' } });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--host-resolver-rules=MAP *.localhost 127.0.0.1', '--no-first-run'],
      chromiumSandbox: process.getuid?.() !== 0,
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    // The host's side of the app's tools/call: the same /mcp, the same client; a tool that tools/list did
    // not offer the app is refused ("Host MUST reject tools/call requests from apps for tools that don't
    // include 'app'"), which the view sees as a JSON-RPC error.
    await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown>) => {
      const tools = (await rpc('tools/list', {})).tools as Array<{ name: string; _meta?: { ui?: { visibility?: string[] } } }>;
      const tool = tools.find((t) => t.name === name);
      if (!tool || !(tool._meta?.ui?.visibility ?? ['model', 'app']).includes('app')) throw new Error(`${name} is not offered to this app`);
      return rpc('tools/call', { name, arguments: args });
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page of its own for a test: v1 with the site's stylesheet and image, then v2 if `second`. */
  async function makePage(slug: string, heading: string, second?: string): Promise<void> {
    const html = (h: string): string => `<!doctype html><html><head><title>Bakery</title><link rel="stylesheet" href="/css/site.css"></head><body>\n<h1>${h}</h1>\n<img id="logo" src="/images/logo.png" alt="logo" width="40" height="40">\n<p>Open 7-18</p>\n</body></html>`;
    await api('POST', '/pages', { slug, content: html(heading), meta: { title: heading } });
    if (second !== undefined) await api('PUT', `/pages/${slug}`, { content: html(second) });
  }

  it.skipIf(!HAVE_CHROMIUM)('pages_patch: shows the page as served (site stylesheet and image), its version and its diff, at desktop and phone width', async () => {
    await makePage('patched.html', 'Fresh bread');
    const current = await api('GET', '/pages/patched.html?include_version=true');
    const app = await showToolResult('pages_patch', {
      slug: 'patched.html',
      base_version_hash: current.version_hash,
      patches: [{ operation: 'replace', find: '<h1>Fresh bread</h1>', replace: '<h1>Fresh bread daily</h1>' }],
    });
    const frame = app.frameLocator('#frame');
    await expect(frame.locator('h1').textContent()).resolves.toBe('Fresh bread daily');
    // As served: the head completed from the version's meta (its title wins over the stored <title>Bakery</title>).
    await expect(frame.locator('title').textContent()).resolves.toBe('Fresh bread');
    await expect.poll(() => app.locator('#version').textContent()).toBe('v2 · live');
    await expect.poll(() => app.locator('#summary').textContent()).toBe('Changes from v1: +1 −1');
    await expect.poll(() => app.locator('#diff .del').first().textContent()).toBe('-<h1>Fresh bread</h1>');
    await expect.poll(() => app.locator('#diff .add').first().textContent()).toBe('+<h1>Fresh bread daily</h1>');
    // The site's stylesheet and image load through the declared resourceDomains and the <base>.
    await expect.poll(() => frame.locator('h1').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(200, 30, 30)');
    await expect.poll(() => frame.locator('#logo').evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(1);
    // Scripts of the page never run in the preview: the frame is sandboxed without allow-scripts.
    await expect(app.locator('#frame').getAttribute('sandbox')).resolves.toBe('');
    await shot('page-preview-desktop');

    await app.locator('#phone').click();
    await expect.poll(() => app.locator('#frame').evaluate((el) => el.getBoundingClientRect().width)).toBe(390);
    await shot('page-preview-phone');
    await app.locator('#desktop').click();

    await app.locator('#live').click();
    await app.locator('#preview').click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { openedLinks: string[] }).openedLinks.length)).toBe(2);
    const [live, preview] = await page.evaluate(() => (window as unknown as { openedLinks: string[] }).openedLinks);
    expect(live).toBe(`${siteUrl}/patched.html`);
    expect(preview).toMatch(previewLink(siteUrl, 'patched.html', 2));
    // The preview link opens that version on the site, marked noindex, without signing in.
    const tab = await page.context().newPage();
    const opened = await tab.goto(preview!);
    expect(opened?.status()).toBe(200);
    await expect(tab.locator('h1').textContent()).resolves.toBe('Fresh bread daily');
    await expect(tab.locator('meta[name=robots]').getAttribute('content')).resolves.toMatch(/noindex/);
    await tab.close();
    expect(cspViolations).toEqual([]);
  });

  it.skipIf(!HAVE_CHROMIUM)('the roll-back button restores the version before on the server and tells the model', async () => {
    await makePage('rolled.html', 'Fresh bread', 'Stale bread');
    const app = await showToolResult('pages_get', { slug: 'rolled.html' });
    await expect.poll(() => app.locator('#rollback').textContent()).toBe('Roll back to v1');
    await app.locator('#rollback').click();
    await expect.poll(() => app.locator('#status').textContent()).toBe('Rolled back to v1: live as v3.');
    // The view reloaded the page: v3, the old heading, and the diff from v2.
    await expect.poll(() => app.locator('#version').textContent()).toBe('v3 · live');
    await expect.poll(() => app.frameLocator('#frame').locator('h1').textContent()).toBe('Fresh bread');
    await shot('page-preview-rolled-back');

    const versions = await api('GET', '/pages/rolled.html/versions');
    expect(versions.current_version).toBe(3);
    expect((versions.versions as Array<{ version: number; created_by: string }>)[0]).toMatchObject({ version: 3, created_by: 'rollback' });
    expect((await api('GET', '/pages/rolled.html')).content as string).toContain('<h1>Fresh bread</h1>');
    const told = await page.evaluate(() => (window as unknown as { modelContext: Array<{ content: Array<{ text: string }> }> }).modelContext);
    expect(told[0]!.content[0]!.text).toMatch(/rolled back page "rolled\.html" to version 1 .* now version 3/);
  });

  it.skipIf(!HAVE_CHROMIUM)("project_status: the overview shows the pages as cards with thumbnails (under the extension's default frame-src 'none')", async () => {
    const total = (await api('GET', '/pages')).total as number;
    const app = await showToolResult('project_status', {}, SPEC_FRAME_SRC);
    await expect.poll(() => app.locator('.card').count()).toBe(total);
    await expect.poll(() => app.locator('#count').textContent()).toBe(`${total} page${total === 1 ? '' : 's'}`);
    const about = app.locator('.card[data-slug="about.html"]');
    await expect(about.locator('strong').textContent()).resolves.toBe('About');
    await expect(about.locator('iframe').getAttribute('sandbox')).resolves.toBe('');
    const thumb = about.frameLocator('iframe');
    await expect(thumb.locator('h1').textContent()).resolves.toBe('About us');
    await expect.poll(() => thumb.locator('h1').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(200, 30, 30)');
    await about.locator('button').click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { openedLinks: string[] }).openedLinks)).toEqual([`${siteUrl}/about.html`]);
    await shot('site-overview');
    expect(cspViolations).toEqual([]);
  });

  it.skipIf(!HAVE_CHROMIUM)('a host offered no app-only tool (2025 era over stateless HTTP, as ChatGPT and claude.ai connect) shows the page, its diff and preview link, and rolls back, through the model tools', async () => {
    era = '2025-06-18';
    try {
      await makePage('fallback.html', 'Rye', 'Spelt');
      const app = await showToolResult('pages_get', { slug: 'fallback.html' }, SPEC_FRAME_SRC);
      await expect.poll(() => app.frameLocator('#frame').locator('h1').textContent()).toBe('Spelt');
      await expect.poll(() => app.locator('#version').textContent()).toBe('v2 · live');
      // The diff from pages_diff, the preview link from pages_preview.
      await expect.poll(() => app.locator('#summary').textContent()).toBe('Changes from v1: +1 −1');
      await expect.poll(() => app.locator('#diff .add').first().textContent()).toBe('+<h1>Spelt</h1>');
      await app.locator('#preview').click();
      await expect.poll(() => page.evaluate(() => (window as unknown as { openedLinks: string[] }).openedLinks)).toEqual([expect.stringMatching(previewLink(siteUrl, 'fallback.html', 2))]);
      await app.locator('#rollback').click();
      await expect.poll(() => app.locator('#status').textContent()).toBe('Rolled back to v1: live as v3.');
      await expect.poll(() => app.frameLocator('#frame').locator('h1').textContent()).toBe('Rye');
      expect((await api('GET', '/pages/fallback.html/versions')).current_version).toBe(3);
      await shot('page-preview-model-tools');

      const overview = await showToolResult('pages_list', {});
      await expect.poll(() => overview.locator('.card[data-slug="fallback.html"] strong').textContent()).toBe('Rye');
      await expect(overview.locator('.card[data-slug="fallback.html"]').frameLocator('iframe').locator('h1').textContent()).resolves.toBe('Rye');
      expect(cspViolations).toEqual([]);
    } finally {
      era = '2026-07-28';
    }
  });
});
