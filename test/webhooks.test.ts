import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, WebhookDeliverer } from '../src/core/webhooks/delivery.js';
import { verifySignature } from '../src/core/webhooks/signature.js';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeApp, makeEnv, PDF_MIN, rejection, type TestEnv } from './helpers.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback receiver answering each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const outbox = async (env: TestEnv) => env.core.db.kysely.selectFrom('webhook_outbox').selectAll().orderBy('created_at').orderBy('event').execute();

describe.each(DIALECTS)('webhooks on %s', (dialect) => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  beforeEach(async () => {
    env = await makeEnv({ dialect, fetchPolicy: { allowAddresses: ['127.0.0.1'] } });
    req = makeApp(env);
    await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: b64(PDF_MIN), private: true });
  });
  afterEach(() => env.close());

  it('without a webhook, downloads and refusals queue nothing', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf' });
    expect((await req(`/d/${g.token}`)).status).toBe(200);
    expect((await req(`/d/${g.token}`)).status).toBe(403);
    expect(await outbox(env)).toEqual([]);
  });

  it('queues events in the transaction of the use or refusal, signs and delivers them, lists deliveries', async () => {
    const rx = await receiver();
    try {
      const client = await connect(env.core);
      const set = await call<{ secret: string; events: string[] }>(client, 'webhooks_set', { url: rx.url, events: ['token.exhausted', 'download.completed', 'download.refused'] });
      expect(set.data.secret).toMatch(/^whsec_/);
      expect(set.data.events).toEqual(['download.completed', 'download.refused', 'token.exhausted']);
      const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 1, metadata: { order_id: '1042' } });
      expect((await req(`/d/${g.token}`)).status).toBe(200);
      expect((await req(`/d/${g.token}`)).status).toBe(403);
      const rows = await outbox(env);
      expect(rows.map((r) => r.event).sort()).toEqual(['download.completed', 'download.refused', 'token.exhausted']);
      const refused = JSON.parse(rows.find((r) => r.event === 'download.refused')!.payload) as { data: Record<string, unknown> };
      expect(refused.data).toMatchObject({ token_id: g.token_id, outcome: 'TOKEN_EXHAUSTED', metadata: { order_id: '1042' }, remaining_uses: 0 });

      const d = env.core.downloads.deliverer();
      expect(await d.runOnce()).toBe(3);
      expect(rx.got).toHaveLength(3);
      const now = Math.floor(env.clock.now().getTime() / 1000);
      for (const r of rx.got) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(verifySignature(set.data.secret, String(r.headers['sitepub-signature']), r.body, now)).toBe(true);
        expect(verifySignature('whsec_other', String(r.headers['sitepub-signature']), r.body, now)).toBe(false);
        const body = JSON.parse(r.body) as { id: string; type: string; project_id: string };
        expect(body.project_id).toBe(env.project.id);
        expect(r.headers['sitepub-delivery']).toBe(body.id);
      }
      expect(await d.runOnce()).toBe(0); // delivered once
      const listed = await call<{ webhook: Record<string, unknown>; deliveries: Array<Record<string, unknown>>; total: number }>(client, 'webhooks_list_deliveries', {});
      expect(listed.data.webhook).toMatchObject({ url: rx.url, secret_prefix: set.data.secret.slice(0, 10) });
      expect(JSON.stringify(listed.data)).not.toContain(set.data.secret);
      expect(listed.data.total).toBe(3);
      expect(listed.data.deliveries.every((x) => x.status === 'delivered' && x.attempts === 1 && x.last_status === 200)).toBe(true);
      // Setting again keeps the secret, unless rotated.
      expect((await call<{ secret: string }>(client, 'webhooks_set', { url: rx.url, events: ['download.completed'] })).data.secret).toBe(set.data.secret);
      expect((await call<{ secret: string }>(client, 'webhooks_set', { url: rx.url, events: ['download.completed'], rotate_secret: true })).data.secret).not.toBe(set.data.secret);
      expect((await call(client, 'webhooks_set', { url: 'ftp://x', events: ['download.completed'] })).error).toMatchObject({ type: 'VALIDATION_ERROR', field: 'url' });
      expect((await call(client, 'webhooks_set', { url: rx.url, events: ['sale'] })).error).toMatchObject({ type: 'VALIDATION_ERROR' });
      await client.close();
    } finally {
      await rx.close();
    }
  });

  it('retries with backoff until the receiver answers 2xx, then gives up after the last attempt', async () => {
    const rx = await receiver([500, 503]);
    try {
      await env.core.downloads.webhooks.set(env.project, { url: rx.url, events: ['download.completed'] });
      const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 0 });
      await env.core.downloads.verify(env.project, { token: g.token });
      const d = env.core.downloads.deliverer();
      expect(await d.runOnce()).toBe(1);
      let [row] = await outbox(env);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: 500, next_at: '2026-03-01T12:00:10.000Z' });
      expect(await d.runOnce()).toBe(0); // not due yet
      env.clock.advance(10_000);
      expect(await d.runOnce()).toBe(1);
      [row] = await outbox(env);
      expect(row).toMatchObject({ status: 'pending', attempts: 2, last_status: 503, next_at: '2026-03-01T12:01:10.000Z' });
      env.clock.advance(60_000);
      await d.runOnce();
      [row] = await outbox(env);
      expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_status: 200 });
      expect(new Set(rx.got.map((r) => r.body)).size).toBe(1); // the same body every time

      // A receiver that never answers 2xx: failed after MAX_ATTEMPTS.
      const rx2 = await receiver(Array(20).fill(500));
      await env.core.downloads.webhooks.set(env.project, { url: rx2.url, events: ['download.completed'] });
      await env.core.downloads.verify(env.project, { token: g.token });
      for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
        await d.runOnce();
        env.clock.advance(13 * 3_600_000);
      }
      const last = (await outbox(env)).find((r) => r.status !== 'delivered')!;
      expect(last).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, last_status: 500 });
      await rx2.close();
    } finally {
      await rx.close();
    }
  });

  it('deliveries go through the SSRF-safe fetch: a private address is never called', async () => {
    const strict = await makeEnv({ dialect });
    try {
      const rx = await receiver();
      await strict.core.assets.upload(strict.project, { slug: 'f.pdf', content: b64(PDF_MIN), private: true });
      await strict.core.downloads.webhooks.set(strict.project, { url: rx.url, events: ['download.completed'] });
      const g = await strict.core.downloads.generate(strict.project, { asset_url: '/f.pdf' });
      await strict.core.downloads.verify(strict.project, { token: g.token });
      await strict.core.downloads.deliverer().runOnce();
      expect(rx.got).toHaveLength(0);
      const [row] = await outbox(strict);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
      expect(row!.last_error).toMatch(/webhook url .* was refused/);
      await rx.close();
    } finally {
      await strict.close();
    }
  });

  it('two delivery loops never send one event twice (leases)', async () => {
    const rx = await receiver();
    try {
      await env.core.downloads.webhooks.set(env.project, { url: rx.url, events: ['download.completed'] });
      const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 0 });
      for (let i = 0; i < 25; i++) await env.core.downloads.verify(env.project, { token: g.token });
      const a = env.core.downloads.deliverer();
      const b = env.core.downloads.deliverer();
      let n = 0;
      for (;;) {
        const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
        n += x + y;
        if (x + y === 0) break;
      }
      expect(n).toBe(25);
      expect(rx.got).toHaveLength(25);
      expect(new Set(rx.got.map((r) => (JSON.parse(r.body) as { id: string }).id)).size).toBe(25);
    } finally {
      await rx.close();
    }
  });

  it('the started loop delivers an event queued in its process at once; webhooks_delete stops events', async () => {
    const rx = await receiver();
    const d: WebhookDeliverer = env.core.downloads.deliverer({ pollMs: 60_000 });
    d.start();
    try {
      await env.core.downloads.webhooks.set(env.project, { url: rx.url, events: ['download.completed'] });
      const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 0 });
      await env.core.downloads.verify(env.project, { token: g.token });
      for (let i = 0; i < 100 && rx.got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(rx.got).toHaveLength(1);
      expect(await env.core.downloads.webhooks.delete(env.project)).toEqual({ deleted: true });
      await env.core.downloads.verify(env.project, { token: g.token });
      expect((await outbox(env)).length).toBe(1);
      expect((await rejection(env.core.downloads.webhooks.set(env.project, { url: 'https://user:pw@example.com/', events: ['download.completed'] }))).type).toBe('VALIDATION_ERROR');
    } finally {
      await d.stop();
      await rx.close();
    }
  });
});
