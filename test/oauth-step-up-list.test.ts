import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/core/projects.js';
import { call, connect, makeEnv, type TestEnv } from './helpers.js';

/**
 * Step-up (MCP 2025-11-25): a client holding a read-only OAuth grant must be able to see that write
 * tools exist, call one, be told which scope it needs, and ask the owner again. An API token's scope
 * is fixed (nobody can widen it by asking), so a read-only token's list keeps leaving them out.
 */
describe('tools/list for read-only credentials', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv();
  });
  afterAll(() => env.close());

  it('a read-only OAuth grant lists the write tools, and calling one names the scope it needs', async () => {
    const actor: Actor = { kind: 'project', projectId: env.project.id, scope: 'read', tokenId: 'grt_test', oauth: true };
    const client = await connect(env.core, { actor });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('pages_create');
    expect(names).toContain('pages_get');
    const r = await call(client, 'pages_create', { slug: 'index.html', content: '<h1>x</h1>' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ type: 'FORBIDDEN', required_scope: 'sitepub:write' });
    expect((await env.core.pages.list(env.project)).total).toBe(0);
  });

  it('a read-only API token lists only the read-only tools', async () => {
    const actor: Actor = { kind: 'project', projectId: env.project.id, scope: 'read', tokenId: 'tok_test' };
    const client = await connect(env.core, { actor });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('pages_create');
    expect(names).toContain('pages_get');
  });
});
