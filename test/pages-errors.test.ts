/**
 * Errors a model (or a REST client) can act on: a malformed base_version_hash is a VALIDATION_ERROR
 * that says where the hash comes from, a missing one names pages_get with include_version; a whole
 * download link passed as a token is understood; REST errors name routes, MCP errors name tools;
 * a protocol error reaches a 2025-era (v1 SDK) client with one "MCP error -32602" prefix, not two.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SitepubError } from '../src/core/errors.js';
import { downloadTokenOf } from '../src/core/token-input.js';
import { inRestWords, restError } from '../tools/rest-wording.js';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeApp, makeEnv, PDF_MIN, rejection, type TestEnv } from './helpers.js';

const TOKEN = `spd_${'A'.repeat(43)}_abcdefg`;

describe('downloadTokenOf', () => {
  it.each([
    [TOKEN, TOKEN],
    [`http://127.0.0.1:8787/d/${TOKEN}`, TOKEN],
    [`https://shop.example/d/${TOKEN}?utm=x#top`, TOKEN],
    [`/d/${TOKEN}`, TOKEN],
    [`  "<http://host/d/${TOKEN}/>"  `, TOKEN],
    ['spd_short', 'spd_short'], // not a token either way: the token check refuses it as before
  ])('%s', (input, token) => {
    expect(downloadTokenOf(input)).toBe(token);
  });

  it('explains a link that carries no token', () => {
    const e = (() => {
      try {
        downloadTokenOf('http://127.0.0.1:8787/d/spd_cut-off');
      } catch (err) {
        return err as SitepubError;
      }
      throw new Error('expected a refusal');
    })();
    expect(e.type).toBe('VALIDATION_ERROR');
    expect(e.details.field).toBe('token');
    expect(e.message).toMatch(/URL, not a download token.*after \/d\/.*spd_/);
  });
});

describe('REST wording', () => {
  it('names routes where the core names tools', () => {
    expect(inRestWords('Call pages_list to see the existing slugs.')).toBe('Call GET /papi/project/{project_id}/pages to see the existing slugs.');
    expect(inRestWords('Call pages_get with include_version=true')).toBe('Call GET /papi/project/{project_id}/pages/{slug} with include_version=true');
    expect(inRestWords('file-downloads_list_downloads shows tokens')).toMatch(/^GET \/iapi\/project\/\{project_id\}\/file-downloads\S* shows tokens$/);
    expect(inRestWords('my_pages_list_x and pages_lists stay')).toBe('my_pages_list_x and pages_lists stay');
  });

  it('keeps type, status and non-text details; leaves other errors alone', () => {
    const e = restError(new SitepubError('NOT_FOUND', 'Page "a" not found', { slug: 'a', hint: 'Call pages_list.', n: 1 })) as SitepubError;
    expect(e.toBody()).toEqual({ code: 404, type: 'NOT_FOUND', message: 'Page "a" not found', slug: 'a', hint: 'Call GET /papi/project/{project_id}/pages.', n: 1 });
    const plain = new Error('x');
    expect(restError(plain)).toBe(plain);
  });
});

describe.each(DIALECTS)('errors a caller acts on, on %s', (dialect) => {
  let env: TestEnv;
  let client: Client;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
    client = await connect(env.core);
    await env.core.pages.create(env.project, { slug: 'a.html', content: '<p>hi</p>' });
  });
  afterEach(() => env.close());

  it.each(['3', 'v1', '1', 'C400B2A2071F', 'c400b2a2071', `"c400b2a2071f"`, 'http://127.0.0.1:8787/s/x/a.html'])('a malformed base_version_hash %j is a VALIDATION_ERROR', async (hash) => {
    const patch = await rejection(env.core.pages.patch(env.project, { slug: 'a.html', base_version_hash: hash, patches: [{ operation: 'replace', find: 'hi', replace: 'ho' }] }));
    expect(patch.type).toBe('VALIDATION_ERROR');
    expect(patch.details).toEqual({ field: 'base_version_hash' });
    expect(patch.message).toContain('pages_get with include_version=true');
    const update = await rejection(env.core.pages.update(env.project, { slug: 'a.html', content: 'x', base_version_hash: hash }));
    expect(update.type).toBe('VALIDATION_ERROR');
    expect((await env.core.pages.get(env.project, 'a.html')).content).toBe('<p>hi</p>');
  });

  it('a well-formed hash of another version is still a VERSION_CONFLICT, the current one passes', async () => {
    const stale = await rejection(env.core.pages.patch(env.project, { slug: 'a.html', base_version_hash: 'deadbeef0000', patches: [{ operation: 'delete', find: 'hi' }] }));
    expect(stale.type).toBe('VERSION_CONFLICT');
    const { version_hash } = await env.core.pages.get(env.project, 'a.html', true);
    await expect(env.core.pages.patch(env.project, { slug: 'a.html', base_version_hash: version_hash!, patches: [{ operation: 'replace', find: 'hi', replace: 'ho' }] })).resolves.toMatchObject({ version: 2 });
  });

  it.each([
    ['missing', {}],
    ['empty', { base_version_hash: '' }],
  ])('pages_patch with the hash %s says to call pages_get with include_version', async (_what, hash) => {
    const r = await call(client, 'pages_patch', { slug: 'a.html', patches: [{ operation: 'replace', find: 'hi', replace: 'ho' }], ...hash });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'base_version_hash' });
    expect(r.error.message).toMatch(/^Invalid arguments for pages_patch: base_version_hash: required: call pages_get with include_version=true first and pass its version_hash here/);
  });

  it('file-downloads_revoke_token takes the whole download_url as token', async () => {
    await env.core.assets.upload(env.project, { slug: 'files/ebook.pdf', content: b64(PDF_MIN), private: true });
    const g = (await call<{ token: string; token_id: string; download_url: string }>(client, 'file-downloads_generate_token', { asset_url: '/files/ebook.pdf' })).data;
    const r = await call(client, 'file-downloads_revoke_token', { token: g.download_url });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.data).toMatchObject({ token_id: g.token_id, revoked: true });
    const bad = await call(client, 'file-downloads_revoke_token', { token: 'http://127.0.0.1:8787/d/' });
    expect(bad.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'token' });
  });

  it('REST errors name routes; the same error over MCP names tools', async () => {
    const { token } = await env.core.projects.issueToken({ projectId: env.project.id });
    const req = makeApp(env);
    const r = await req(`/papi/project/${env.project.id}/pages/nope.html`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
    const body = (await r.json()) as { error: { type: string; hint: string } };
    expect(body.error).toMatchObject({ type: 'NOT_FOUND', hint: 'Call GET /papi/project/{project_id}/pages to see the existing slugs.' });
    const patch = await req(`/papi/project/${env.project.id}/pages/a.html`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ base_version_hash: '2', patches: [{ operation: 'delete', find: 'hi' }] }),
    });
    expect(patch.status).toBe(422);
    const pb = (await patch.json()) as { error: { type: string; message: string } };
    expect(pb.error.type).toBe('VALIDATION_ERROR');
    expect(pb.error.message).toContain('Call GET /papi/project/{project_id}/pages/{slug} with include_version=true');
    expect(pb.error.message).not.toMatch(/pages_get/);
    const mcp = await call(client, 'pages_get', { slug: 'nope.html' });
    expect(mcp.error).toMatchObject({ type: 'NOT_FOUND', hint: 'Call pages_list to see the existing slugs.' });
  });
});

describe('protocol errors as a 2025-era client shows them', () => {
  let env: TestEnv;
  let client: Client;
  beforeEach(async () => {
    env = await makeEnv();
    client = await connect(env.core);
  });
  afterEach(() => env.close());

  const messageOf = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('carry one "MCP error -32602:" prefix (the client adds it; the server never does)', async () => {
    const messages = [
      await messageOf(client.callTool({ name: 'pages_gett', arguments: {} })),
      await messageOf(client.readResource({ uri: `sitepub://${env.project.id}/pages/nope.html` })),
      await messageOf(client.getPrompt({ name: 'nope' })),
      await messageOf(client.listResources({ cursor: 'abc' })),
    ];
    for (const m of messages) {
      expect(m).toMatch(/^MCP error -32602: /);
      expect(m.match(/MCP error/g), m).toHaveLength(1);
      expect(m).not.toMatch(/-32602.*-32602/);
    }
    expect(messages[0]).toMatch(/Unknown tool: pages_gett\. Did you mean pages_get\?/);
  });
});
