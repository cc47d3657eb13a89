import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeEnv, PDF_MIN, type TestEnv } from './helpers.js';

type Gen = { token: string; token_id: string; download_url: string };

/** Nothing lost: deleting a file that links sell is refused with the count, or (force) revokes them in the same transaction. */
describe.each(DIALECTS)('assets_delete and the links that sell the file (%s)', (dialect) => {
  let env: TestEnv;
  let client: Awaited<ReturnType<typeof connect>>;
  beforeAll(async () => {
    env = await makeEnv({ dialect });
    client = await connect(env.core);
    for (const slug of ['files/a.pdf', 'files/b.pdf', 'files/c.pdf']) await env.core.assets.upload(env.project, { slug, content: b64(PDF_MIN), private: true });
  });
  afterAll(() => env.close());

  const stats = async () => (await call<{ active_tokens: number; revoked_tokens: number }>(client, 'file-downloads_get_stats', {})).data;

  it('refuses while active links (alone or in a bundle) sell the file; used-up and revoked links do not count', async () => {
    const single = (await call<Gen>(client, 'file-downloads_generate_token', { asset_url: '/files/a.pdf', max_uses: 1 })).data;
    const bundle = (await call<Gen>(client, 'file-downloads_generate_token', { asset_urls: ['/files/b.pdf', '/files/a.pdf'], max_uses: 3 })).data;
    const refused = await call(client, 'assets_delete', { slug: 'files/a.pdf' });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'force', active_links: 2 });
    expect(refused.error.message).toContain('force: true');
    expect(refused.error.message).toContain('assets_upload');
    expect((await env.core.assets.get(env.project, 'files/a.pdf')).slug).toBe('files/a.pdf');

    await call(client, 'file-downloads_revoke_token', { token_id: bundle.token_id });
    await call(client, 'file-downloads_verify_token', { token: single.token });
    // The one link left is used up, the bundle revoked: nothing active, the delete goes through.
    expect((await call(client, 'assets_delete', { slug: 'files/a.pdf' })).ok).toBe(true);
  });

  it('force deletes and revokes the active links in one transaction; the counters stay exact', async () => {
    const before = await stats();
    const l1 = (await call<Gen>(client, 'file-downloads_generate_token', { asset_url: '/files/c.pdf', max_uses: 2 })).data;
    const l2 = (await call<Gen>(client, 'file-downloads_generate_token', { asset_urls: ['/files/b.pdf', '/files/c.pdf'] })).data;
    const r = await call(client, 'assets_delete', { slug: 'files/c.pdf', force: true });
    expect(r.ok).toBe(true);
    for (const l of [l1, l2]) {
      const v = await call(client, 'file-downloads_verify_token', { token: l.token });
      expect(v.error.type).toBe('TOKEN_REVOKED');
    }
    const after = await stats();
    expect(after.revoked_tokens).toBe(before.revoked_tokens + 2);
    expect(after.active_tokens).toBe(before.active_tokens);
    // b.pdf stays, and a link to it alone still works.
    const l3 = (await call<Gen>(client, 'file-downloads_generate_token', { asset_url: '/files/b.pdf' })).data;
    expect((await call(client, 'file-downloads_verify_token', { token: l3.token })).ok).toBe(true);
  });
});
