/**
 * The MCP Apps views and their app-only tools (src/mcp/apps/, tools/apps.ts), below the protocol:
 * the extension's names as the package exports them, the tools' input schemas for every model
 * dialect, what the tools answer over a real core, and the view resources' MIME type and CSP.
 * Over a real MCP client and in a browser: test/mcp-apps-wire.test.ts, test/mcp-apps-browser.test.ts.
 */
import * as extApps from '@modelcontextprotocol/ext-apps/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR, type Actor } from '../src/core/projects.js';
import { APP_TOOL_LISTING, appResources, readAppResource, runAppTool, toolUiMeta, VIEW_OF_TOOL } from '../src/mcp/apps/catalog.js';
import { EXTENSION_ID, PAGE_PREVIEW_URI, RESOURCE_MIME_TYPE, SITE_OVERVIEW_URI, uiCapability } from '../src/mcp/apps/ui.js';
import { APP_TOOLS_BY_NAME, APPS_PAGE_PREVIEW, APPS_PAGE_ROLLBACK, APPS_SITE_OVERVIEW, appTools } from '../tools/apps.js';
import { ALL_TOOLS } from '../tools/index.js';
import { jsonSchemaOf } from '../tools/json-schema.js';
import { makeEnv, rejection, type TestEnv } from './helpers.js';
import { geminiProblems, openAiProblems } from './dialect-rules.js';

const caller = (env: TestEnv, actor: Actor = LOCAL_ACTOR) => ({ core: env.core, actor, client: 'test' });
const run = (env: TestEnv, name: string, args: Record<string, unknown>, actor?: Actor) => runAppTool(APP_TOOLS_BY_NAME.get(name)!, args, caller(env, actor));

describe('the MCP Apps names', () => {
  it('are the ones @modelcontextprotocol/ext-apps exports', () => {
    expect(EXTENSION_ID).toBe(extApps.EXTENSION_ID);
    expect(RESOURCE_MIME_TYPE).toBe(extApps.RESOURCE_MIME_TYPE);
    expect(toolUiMeta('pages_get')).toHaveProperty([extApps.RESOURCE_URI_META_KEY], PAGE_PREVIEW_URI);
  });

  it('a client renders the views only if it declared the extension (with the app MIME type, when it lists types)', () => {
    expect(uiCapability(undefined)).toBeUndefined();
    expect(uiCapability({})).toBeUndefined();
    const declared = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } } as never;
    expect(uiCapability(declared)).toEqual(extApps.getUiCapability(declared));
    expect(uiCapability({ extensions: { [EXTENSION_ID]: {} } } as never)).toEqual({});
    expect(uiCapability({ extensions: { [EXTENSION_ID]: { mimeTypes: ['text/html+skybridge'] } } } as never)).toBeUndefined();
  });

  it('links the page tools to the page preview and the site tools to the overview, and only tools that exist', () => {
    const names = new Set(ALL_TOOLS.map((t) => t.name));
    for (const tool of VIEW_OF_TOOL.keys()) expect(names.has(tool), tool).toBe(true);
    expect([...VIEW_OF_TOOL].filter(([, v]) => v === PAGE_PREVIEW_URI).map(([k]) => k).sort()).toEqual(['pages_create', 'pages_get', 'pages_patch', 'pages_rollback', 'pages_update']);
    expect([...VIEW_OF_TOOL].filter(([, v]) => v === SITE_OVERVIEW_URI).map(([k]) => k).sort()).toEqual(['pages_list', 'project_status']);
    expect(toolUiMeta('assets_list')).toBeUndefined();
  });
});

describe.each(appTools.map((t) => [t.name, t] as const))('app-only tool %s', (name, tool) => {
  const schema = jsonSchemaOf(tool.input, 'input');
  it('has an input schema every model dialect accepts (as test/schema-dialects.test.ts checks the others)', () => {
    expect(geminiProblems(schema)).toEqual([]);
    expect(openAiProblems(schema, false)).toEqual([]);
  });
  it('is listed for the app only, and its name is no model tool of the server', () => {
    expect(APP_TOOL_LISTING.find((t) => t.name === name)?._meta).toEqual({ ui: { visibility: ['app'] } });
    expect(ALL_TOOLS.some((t) => t.name === name)).toBe(false);
  });
});

describe('the view resources', () => {
  let env: TestEnv;
  beforeEach(async () => (env = await makeEnv()));
  afterEach(() => env.close());

  it.each([PAGE_PREVIEW_URI, SITE_OVERVIEW_URI])('%s is HTML of the app profile, allowed to load from every site and the platform', async (uri) => {
    const read = (await readAppResource(uri, caller(env)))!;
    const item = read.contents[0]! as unknown as { mimeType: string; text: string; _meta: { ui: { csp: Record<string, string[]>; prefersBorder: boolean } } };
    expect(item.mimeType).toBe('text/html;profile=mcp-app');
    expect(item._meta.ui.csp).toEqual({ resourceDomains: ['http://*.localhost:8787', 'http://127.0.0.1:8787'], baseUriDomains: ['http://*.localhost:8787', 'http://127.0.0.1:8787'] });
    expect(item._meta.ui.prefersBorder).toBe(true);
    expect(item.text).toMatch(/^<!doctype html>/);
    expect(item.text).toContain("'ui/initialize'");
    // No script or style from anywhere: the app's CSP allows none outside resourceDomains.
    expect(item.text).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/i);
    expect(appResources(env.core.urls).find((r) => r.uri === uri)).toMatchObject({ mimeType: RESOURCE_MIME_TYPE, _meta: item._meta });
  });

  it("a site on a domain of its own is allowed too, once the caller's project is known", async () => {
    const own = { ...caller(env), core: { urls: env.core.urls, projects: { authorize: async () => ({ url: 'https://bakery.example' }) } } } as never;
    const read = (await readAppResource(PAGE_PREVIEW_URI, own))!;
    expect((read.contents[0]!._meta as { ui: { csp: { resourceDomains: string[] } } }).ui.csp.resourceDomains).toEqual(['http://*.localhost:8787', 'http://127.0.0.1:8787', 'https://bakery.example']);
  });

  it('an unknown ui:// URI is no view', async () => {
    await expect(readAppResource('ui://sitepub/nothing', caller(env))).resolves.toBeUndefined();
  });
});

describe('the app-only tools over a real core', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv();
    await env.core.pages.create(env.project, { slug: 'index.html', content: '<!doctype html><html><head><title>Home</title></head><body><h1>Fresh bread</h1>\n<p>Open 7-18</p>\n</body></html>', meta: { title: 'Home' } });
    await env.core.pages.update(env.project, { slug: 'index.html', content: '<!doctype html><html><head><title>Home</title></head><body><h1>Fresh bread daily</h1>\n<p>Open 7-18</p>\n</body></html>' });
  });
  afterEach(() => env.close());

  it('apps_page_preview: the live version as served, the URLs and the diff against the version before', async () => {
    const { data } = await run(env, APPS_PAGE_PREVIEW, { slug: 'index.html' });
    expect(data).toMatchObject({ slug: 'index.html', title: 'Home', version: 2, current_version: 2, previous_version: 1, added_lines: 1, removed_lines: 1, diff_truncated: false });
    expect(data.content).toContain('Fresh bread daily');
    expect(data.url).toBe('http://bakery.localhost:8787/');
    expect(data.base_url).toBe(data.url);
    // The link pages_preview makes: this version on the site's own address, signed, for 24 hours.
    expect(data.preview_url).toMatch(/^http:\/\/bakery\.localhost:8787\/_sitepub\/preview\/index\.html\?v=2&exp=\d+&sig=[\w-]+$/);
    expect(data.preview_expires_at).toBe('2026-03-02T12:00:00.000Z');
    expect(data.diff).toMatch(/^--- index\.html v1\n\+\+\+ index\.html v2\n@@ -1,3 \+1,3 @@\n-.*<h1>Fresh bread<\/h1>\n\+.*<h1>Fresh bread daily<\/h1>\n <p>Open 7-18<\/p>$/m);
  });

  it("apps_page_preview shows the HTML as the site serves it: the head completed from that version's meta and seo", async () => {
    await env.core.pages.update(env.project, { slug: 'index.html', content: '<!doctype html><html><head></head><body><h1>Rye</h1></body></html>', meta: { title: 'Rye', language: 'de' }, seo: { description: 'Rye bread' } });
    const { data } = await run(env, APPS_PAGE_PREVIEW, { slug: 'index.html' });
    expect(data.content).toContain('<html lang="de">');
    expect(data.content).toContain('<title>Rye</title>');
    expect(data.content).toContain('<meta name="description" content="Rye bread">');
    expect(data).toMatchObject({ title: 'Rye', version: 3, previous_version: 2 });
    // The diff is of the stored HTML, as pages_diff's.
    expect(data.diff).not.toContain('Rye bread');
  });

  it('apps_page_preview of a first version has no diff; an unknown version is NOT_FOUND', async () => {
    const { data } = await run(env, APPS_PAGE_PREVIEW, { slug: 'index.html', version: 1 });
    expect(data).toMatchObject({ version: 1, current_version: 2, previous_version: null, diff: null, added_lines: 0 });
    expect((await rejection(run(env, APPS_PAGE_PREVIEW, { slug: 'index.html', version: 9 }))).type).toBe('NOT_FOUND');
  });

  it('apps_page_rollback restores the version before as a new one, only from the version the view showed', async () => {
    const stale = await rejection(run(env, APPS_PAGE_ROLLBACK, { slug: 'index.html', target_version: 1, expected_current_version: 1 }));
    expect(stale.type).toBe('VERSION_CONFLICT');
    expect(stale.details).toMatchObject({ current_version: 2 });
    const { data } = await run(env, APPS_PAGE_ROLLBACK, { slug: 'index.html', target_version: 1, expected_current_version: 2 });
    expect(data).toMatchObject({ slug: 'index.html', rolled_back_to: 1, new_version: 3 });
    expect((await env.core.pages.get(env.project, 'index.html')).content).toContain('<h1>Fresh bread</h1>');
  });

  it('apps_page_rollback needs write access; the previews do not', async () => {
    const reader: Actor = { ...LOCAL_ACTOR, scope: 'read' };
    expect((await rejection(run(env, APPS_PAGE_ROLLBACK, { slug: 'index.html', target_version: 1, expected_current_version: 2 }, reader))).type).toBe('FORBIDDEN');
    await expect(run(env, APPS_PAGE_PREVIEW, { slug: 'index.html' }, reader)).resolves.toBeTruthy();
    await expect(run(env, APPS_SITE_OVERVIEW, {}, reader)).resolves.toBeTruthy();
  });

  it('apps_site_overview: the site and its pages with thumbnail HTML, cut at its bound', async () => {
    await env.core.pages.create(env.project, { slug: 'about.html', content: `<h1>About</h1>${'x'.repeat(70_000)}` });
    const { data } = await run(env, APPS_SITE_OVERVIEW, {});
    expect(data).toMatchObject({ project_id: env.project.id, name: 'Bakery', url: 'http://bakery.localhost:8787', total: 2 });
    const pages = data.pages as Array<{ slug: string; thumbnail_html: string; url: string }>;
    expect(pages.map((p) => p.slug)).toEqual(['about.html', 'index.html']);
    expect(pages[0]!.thumbnail_html.length).toBe(65_536);
    expect(pages[1]!.thumbnail_html).toContain('Fresh bread daily');
  });

  it('refuses unknown arguments as every tool does', async () => {
    const e = await rejection(run(env, APPS_PAGE_PREVIEW, { slug: 'index.html', html: 'x' }));
    expect(e.type).toBe('VALIDATION_ERROR');
    expect(e.message).toMatch(/^Invalid arguments for apps_page_preview: Unknown argument "html"/);
  });
});
