import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultCache } from '../src/mcp/result-cache.js';

describe('ResultCache', () => {
  it('keeps the most recently used entries within its size bound', () => {
    const c = new ResultCache<string>(100);
    c.set('a', 'A', 20);
    c.set('b', 'B', 20);
    c.set('c', 'C', 20);
    expect(c.get('a')).toBe('A'); // a is now the most recent
    c.set('d', 'D', 20);
    c.set('e', 'E', 20); // 100 in all: still fits
    expect(c.bytes).toBe(100);
    c.set('f', 'F', 20); // evicts the least recently used: b
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('A');
    expect(c.bytes).toBeLessThanOrEqual(100);
    c.set('a', 'A2', 10); // replacing adjusts the size
    expect(c.get('a')).toBe('A2');
    expect(c.bytes).toBe(90);
    c.set('huge', 'H', 60); // over a quarter of the bound: not kept
    expect(c.get('huge')).toBeUndefined();
    expect(c.size).toBe(5);
  });
});

// The built CLI over stdio, as a client runs it: results go through the result cache and must always
// show the page as it is now.
describe('pages_get over stdio', () => {
  let dir: string;
  let client: Client;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sitepub-wire-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['DATABASE_URL', 'SITEPUB_PROJECT', 'SITEPUB_DATA'].includes(k)) env[k] = v;
    client = new Client({ name: 'wire-test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.resolve('dist/sitepub.mjs'), 'mcp', '--data', dir], env, stderr: 'ignore' }));
  });
  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (args: Record<string, unknown>) => {
    const r = (await client.callTool({ name: 'pages_get', arguments: args })) as { isError?: boolean; structuredContent: Record<string, unknown>; content: Array<{ type: string; text?: string }> };
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(r.content[0]!.text!)).toEqual(r.structuredContent);
    return r.structuredContent;
  };

  it('answers the current content after every kind of change', async () => {
    const html = '<h1 class="t">"Fresh" bread \\ é</h1>';
    await client.callTool({ name: 'pages_create', arguments: { slug: 'bread.html', content: html, meta: { title: 'Bread' } } });
    expect(await get({ slug: 'bread.html' })).toMatchObject({ content: html, meta: { title: 'Bread' } });
    expect(await get({ slug: 'bread.html' })).toMatchObject({ content: html }); // served again from the cache
    const v1 = await get({ slug: 'bread.html', include_version: true });
    expect(v1).toMatchObject({ version: 1 });
    const patched = await client.callTool({ name: 'pages_patch', arguments: { slug: 'bread.html', base_version_hash: v1.version_hash, patches: [{ operation: 'replace', find: 'Fresh', replace: 'Warm' }] } });
    expect(patched.isError, JSON.stringify(patched.content)).toBeFalsy();
    expect((await get({ slug: 'bread.html' })).content).toBe(html.replace('Fresh', 'Warm'));
    expect(await get({ slug: 'bread.html', include_version: true })).toMatchObject({ version: 2 });
    await client.callTool({ name: 'pages_update', arguments: { slug: 'bread.html', content: html.replace('Fresh', 'Warm'), meta: { title: 'Loaves' } } });
    expect((await get({ slug: 'bread.html' })).meta).toEqual({ title: 'Loaves' });
    await client.callTool({ name: 'pages_rollback', arguments: { slug: 'bread.html', target_version: 1 } });
    expect(await get({ slug: 'bread.html' })).toMatchObject({ content: html, meta: { title: 'Bread' } });
    await client.callTool({ name: 'pages_delete', arguments: { slug: 'bread.html' } });
    const gone = (await client.callTool({ name: 'pages_get', arguments: { slug: 'bread.html' } })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(gone.isError).toBe(true);
    expect(JSON.parse(gone.content[0]!.text)).toMatchObject({ type: 'NOT_FOUND' });
    await client.callTool({ name: 'pages_create', arguments: { slug: 'bread.html', content: html } });
    expect(await get({ slug: 'bread.html' })).toMatchObject({ content: html, meta: {} });
  });
});
