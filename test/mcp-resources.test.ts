import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectTools } from '../tools/index.js';
import { b64, call, connect, makeEnv, PNG_1PX, type TestEnv } from './helpers.js';

describe('pages and assets as MCP resources', () => {
  let env: TestEnv;
  let client: Client;
  beforeAll(async () => {
    env = await makeEnv();
    client = await connect(env.core, { actor: { kind: 'project', projectId: env.project.id, scope: 'write', tokenId: null } });
  });
  afterAll(() => env.close());

  it('results that create or list pages and assets carry resource links', async () => {
    const r = await call(client, 'pages_create', { slug: 'blog/hello world.html'.replace(' ', '-'), content: '<h1>Hi</h1>', meta: { title: 'Hello' } });
    const links = (r.raw.content as Array<{ type: string; uri?: string; name?: string; title?: string; mimeType?: string }>).filter((c) => c.type === 'resource_link');
    expect(links).toEqual([{ type: 'resource_link', uri: `sitepub://${env.project.id}/pages/blog/hello-world.html`, name: 'blog/hello-world.html', title: 'Hello', mimeType: 'text/html' }]);
    const up = await call(client, 'assets_upload', { slug: 'img/logo.png', content: b64(PNG_1PX) });
    expect((up.raw.content as Array<{ type: string; uri?: string }>).find((c) => c.type === 'resource_link')?.uri).toBe(`sitepub://${env.project.id}/assets/img/logo.png`);
    const list = await call(client, 'pages_list');
    expect((list.raw.content as Array<{ type: string }>).filter((c) => c.type === 'resource_link')).toHaveLength(1);
  });

  it('lists templates and resources, and reads pages (text) and assets (blob)', async () => {
    await call(client, 'assets_upload', { slug: 'css/site.css', content_text: 'body{}' });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['sitepub://{project_id}/pages/{slug}', 'sitepub://{project_id}/assets/{slug}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.name)).toEqual(['blog/hello-world.html', 'css/site.css', 'img/logo.png']);
    const page = await client.readResource({ uri: `sitepub://${env.project.id}/pages/blog/hello-world.html` });
    expect(page.contents[0]).toMatchObject({ mimeType: 'text/html', text: '<h1>Hi</h1>' });
    const png = await client.readResource({ uri: `sitepub://${env.project.id}/assets/img/logo.png` });
    expect(Buffer.from((png.contents[0] as { blob: string }).blob, 'base64').equals(PNG_1PX)).toBe(true);
    const css = await client.readResource({ uri: `sitepub://${env.project.id}/assets/css/site.css` });
    expect(css.contents[0]).toMatchObject({ text: 'body{}' });
  });

  it('refuses unknown resources and other projects', async () => {
    await expect(client.readResource({ uri: `sitepub://${env.project.id}/pages/nope.html` })).rejects.toThrow(/not found/i);
    const other = await env.core.projects.create({ name: 'Other', subdomain: 'other' });
    await expect(client.readResource({ uri: `sitepub://${other.id}/pages/index.html` })).rejects.toThrow(/UNAUTHORIZED/);
    await expect(client.readResource({ uri: 'http://example.com/x' })).rejects.toThrow(/Not a sitepub resource/);
  });
});

describe('toolsets and read-only mode', () => {
  it('registers only the chosen toolsets (project status always)', () => {
    expect(selectTools({ toolsets: ['pages'] }).map((t) => t.toolset).every((s) => s === 'pages' || s === 'project')).toBe(true);
    expect(selectTools({ toolsets: ['downloads'] }).map((t) => t.name)).toEqual([
      'project_status',
      'file-downloads_generate_token',
      'file-downloads_verify_token',
      'file-downloads_list_downloads',
      'file-downloads_revoke_token',
      'file-downloads_get_stats',
      'file-downloads_update_token',
      'file-downloads_list_attempts',
      'webhooks_set',
      'webhooks_delete',
      'webhooks_list_deliveries',
    ]);
    const ro = selectTools({ readOnly: true });
    expect(ro.map((t) => t.name)).toEqual(['project_status', 'pages_list', 'pages_get', 'pages_versions', 'pages_diff', 'pages_preview', 'assets_list', 'assets_get', 'file-downloads_list_downloads', 'file-downloads_get_stats', 'file-downloads_list_attempts', 'webhooks_list_deliveries', 'site_stats', 'site_check', 'domains_list']);
  });

  it('a read-only token cannot write even by calling a hidden tool name: FORBIDDEN names the scope', async () => {
    const env = await makeEnv();
    try {
      const ro = await connect(env.core, { actor: { kind: 'project', projectId: env.project.id, scope: 'read', tokenId: null } });
      const refused = await call(ro, 'pages_create', { slug: 'a.html', content: 'x' });
      expect(refused.error).toMatchObject({ code: 403, type: 'FORBIDDEN', required_scope: 'sitepub:write' });
      expect(refused.error.message).toMatch(/read-only.*sitepub:write/);
      expect((await env.core.pages.list(env.project, 10, 0)).total).toBe(0);
      // A toolset the server was started without is FORBIDDEN too; a name no tool has is the protocol's unknown tool.
      const pagesOnly = await connect(env.core, { filter: { toolsets: ['pages'] } });
      expect((await call(pagesOnly, 'assets_list')).error).toMatchObject({ type: 'FORBIDDEN', toolset: 'assets' });
      await expect(pagesOnly.callTool({ name: 'pages_gett', arguments: {} })).rejects.toThrow(/Unknown tool: pages_gett\. Did you mean pages_get/);
      // The core check holds even if a write tool were exposed to a read-only actor.
      await expect(env.core.projects.authorize({ kind: 'project', projectId: env.project.id, scope: 'read', tokenId: null }, undefined, undefined, true)).rejects.toMatchObject({ type: 'FORBIDDEN' });
      const rw = await connect(env.core, { actor: { kind: 'project', projectId: env.project.id, scope: 'read', tokenId: null }, filter: { readOnly: false } });
      expect((await rw.listTools()).tools.every((t) => t.annotations?.readOnlyHint)).toBe(true);
    } finally {
      await env.close();
    }
  });
});

describe('prompts, completion and logging', () => {
  it('offers workflow prompts, completes slugs, accepts a log level', async () => {
    const env = await makeEnv();
    try {
      const client = await connect(env.core);
      await env.core.pages.create(env.project, { slug: 'about.html', content: 'x' });
      await env.core.pages.create(env.project, { slug: 'blog/a.html', content: 'x' });
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['build_site', 'edit_page', 'sell_file']);
      const p = await client.getPrompt({ name: 'edit_page', arguments: { slug: 'about.html', change: 'add opening hours' } });
      expect((p.messages[0]!.content as { text: string }).text).toContain('pages_patch');
      await expect(client.getPrompt({ name: 'edit_page', arguments: { slug: 'about.html' } })).rejects.toThrow(/change/);
      const c = await client.complete({ ref: { type: 'ref/resource', uri: 'sitepub://{project_id}/pages/{slug}' }, argument: { name: 'slug', value: 'b' } });
      expect(c.completion.values).toEqual(['blog/a.html']);
      await expect(client.setLoggingLevel('warning')).resolves.toBeDefined();
    } finally {
      await env.close();
    }
  });
});
