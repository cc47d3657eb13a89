import { inflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryNames, zipSize, zipStream, type ZipEntry } from '../src/core/download-bundle.js';
import { stampPdf } from '../src/core/download-stamp.js';
import { rebuildTokenCounters } from '../src/db/migrations/0006-token-state-counters.js';
import { DIALECTS } from './dialects.js';
import { b64, call, connect, makeApp, makeEnv, PDF_MIN, PNG_1PX, rejection, type TestEnv } from './helpers.js';

/** A real two-page PDF (pdf-lib can open it), made once. */
const PDF_REAL = Buffer.from(
  await (async () => {
    const d = await PDFDocument.create();
    d.addPage([300, 400]).drawText('Chapter one', { x: 20, y: 300 });
    d.addPage([595, 842]);
    return d.save();
  })(),
);

/** The files of a ZIP, read from its central directory (stored entries only, as sitepub writes them). */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    expect(zip.readUInt16LE(at + 10)).toBe(0); // stored
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.set(name, zip.subarray(data, data + size));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Whether the PDF draws `text` (pdf-lib writes standard-font text as hex strings in Flate streams). */
function drawsText(pdf: Buffer, text: string): boolean {
  const hex = Buffer.from(text, 'latin1').toString('hex').toUpperCase();
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const stop = raw.indexOf('endstream', start);
    let body: string;
    try {
      body = inflateSync(pdf.subarray(start, stop)).toString('latin1');
    } catch {
      body = raw.slice(start, stop);
    }
    if (body.toUpperCase().includes(hex)) return true;
  }
  return false;
}

const count = async (env: TestEnv, table: 'download_events' | 'webhook_outbox', where: Record<string, string> = {}): Promise<number> => {
  let q = env.core.db.kysely.selectFrom(table as 'download_events').select((eb) => eb.fn.countAll<number>().as('n'));
  for (const [k, v] of Object.entries(where)) q = q.where(k as 'outcome', '=', v);
  return Number((await q.executeTakeFirstOrThrow()).n);
};
const useCount = async (env: TestEnv, id: string): Promise<number> =>
  Number((await env.core.db.kysely.selectFrom('download_tokens').select('use_count').where('id', '=', id).executeTakeFirstOrThrow()).use_count);

describe('the bundle ZIP', () => {
  const entries = (files: Array<[string, Buffer]>): ZipEntry[] => files.map(([name, b]) => ({ name, size: b.length, read: async () => b }));
  const collect = async (s: NodeJS.ReadableStream): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('has the size zipSize says, the same bytes every time (any time zone), and any window of them', async () => {
    const files: Array<[string, Buffer]> = [
      ['ebook.pdf', PDF_REAL],
      ['Ünïcode café.txt', Buffer.from('hello')],
      ['empty.txt', Buffer.alloc(0)],
      ['big.bin', Buffer.alloc(200_000, 7)],
    ];
    const whole = await collect(zipStream(entries(files), '2026-03-01T12:34:56.000Z'));
    expect(whole.length).toBe(zipSize(entries(files)));
    expect([...unzip(whole)].map(([n, b]) => [n, b.length])).toEqual(files.map(([n, b]) => [n, b.length]));
    expect(unzip(whole).get('big.bin')!.equals(files[3]![1])).toBe(true);
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect((await collect(zipStream(entries(files), '2026-03-01T12:34:56.000Z'))).equals(whole)).toBe(true);
    } finally {
      process.env.TZ = tz;
    }
    for (const [s, e] of [
      [0, 10],
      [100, 100_000],
      [whole.length - 30, whole.length - 1],
      [5, whole.length - 1],
    ] as const) {
      expect((await collect(zipStream(entries(files), '2026-03-01T12:34:56.000Z', s, e))).equals(whole.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
    }
  });

  it('names each file by its own name, by its path where two share one', () => {
    expect(entryNames(['files/a.pdf', 'b.pdf', 'x/a.pdf'])).toEqual(['files/a.pdf', 'b.pdf', 'x/a.pdf']);
    expect(entryNames(['files/a.pdf', 'b.pdf'])).toEqual(['a.pdf', 'b.pdf']);
  });

  it('a file that cannot be read ends the stream with an error', async () => {
    const bad: ZipEntry[] = [...entries([['a.txt', Buffer.from('a')]]), { name: 'b.txt', size: 3, read: async () => Promise.reject(new Error('gone')) }];
    await expect(collect(zipStream(bad, '2026-03-01T00:00:00.000Z'))).rejects.toThrow();
  });
});

describe('PDF stamping', () => {
  it('draws the line on every page, searchable, deterministically; refuses what it cannot open', async () => {
    const a = await stampPdf(PDF_REAL, 'Licensed to ana@example.com, order 1042', 'f.pdf');
    expect(drawsText(a, 'Licensed to ana@example.com, order 1042')).toBe(true);
    expect((await PDFDocument.load(a)).getPageCount()).toBe(2);
    expect((await stampPdf(PDF_REAL, 'Licensed to ana@example.com, order 1042', 'f.pdf')).equals(a)).toBe(true);
    // Characters Helvetica cannot write become "?", rather than failing a download.
    expect(drawsText(await stampPdf(PDF_REAL, 'für 名前', 'f.pdf'), 'f\u00fcr ??')).toBe(true);
    await expect(stampPdf(Buffer.from('%PDF-1.4 not really'), 'x', 'f.pdf')).rejects.toMatchObject({ type: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe.each(DIALECTS)('seller links on %s', (dialect) => {
  let env: TestEnv;
  let req: ReturnType<typeof makeApp>;
  beforeEach(async () => {
    env = await makeEnv({ dialect });
    req = makeApp(env);
    await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: b64(PDF_REAL), private: true });
    await env.core.assets.upload(env.project, { slug: 'files/cover.png', content: b64(PNG_1PX), private: true });
    await env.core.assets.upload(env.project, { slug: 'extras/notes.txt', content_text: 'Thanks for buying!', private: true });
  });
  afterEach(() => env.close());

  it('a bundle: one link, one ZIP, one use; every file must exist; stats count the use once and each file', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_urls: ['/files/book.pdf', '/files/cover.png', 'extras/notes.txt'], max_uses: 2 });
    expect(g).toMatchObject({ filename: 'bundle.zip', asset_url: '/files/book.pdf', asset_urls: ['/files/book.pdf', '/files/cover.png', '/extras/notes.txt'], content_disposition: 'attachment' });
    const r = await req(`/d/${g.token}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/zip');
    expect(r.headers.get('content-disposition')).toContain('bundle.zip');
    const zip = Buffer.from(await r.arrayBuffer());
    expect(Number(r.headers.get('content-length'))).toBe(zip.length);
    const files = unzip(zip);
    expect([...files.keys()]).toEqual(['book.pdf', 'cover.png', 'notes.txt']);
    expect(files.get('book.pdf')!.equals(PDF_REAL)).toBe(true);
    expect(files.get('notes.txt')!.toString()).toBe('Thanks for buying!');
    expect(await useCount(env, g.token_id)).toBe(1);

    // A Range continuation from the same client: the same bytes, no use.
    const part = await req(`/d/${g.token}`, { headers: { range: `bytes=100-`, 'if-range': r.headers.get('etag')! } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(zip.subarray(100))).toBe(true);
    expect(await useCount(env, g.token_id)).toBe(1);
    expect((await req(`/d/${g.token}`, { method: 'HEAD' })).headers.get('content-length')).toBe(String(zip.length));

    // Nothing lost: a missing file of the bundle refuses without a use, and the same link works once it is back.
    // (assets_delete refuses while active links sell a file; the file goes here as it would under an instance
    // of an older version during a rolling upgrade, without that check.)
    const guard = env.core.assets.deleteGuard;
    env.core.assets.deleteGuard = undefined;
    await env.core.assets.delete(env.project, 'files/cover.png');
    env.core.assets.deleteGuard = guard;
    const gone = await req(`/d/${g.token}`);
    expect(gone.status).toBe(404);
    const e = await rejection(env.core.downloads.verify(env.project, { token: g.token }));
    expect(e).toMatchObject({ type: 'NOT_FOUND', details: { token_id: g.token_id, missing_asset_urls: ['/files/cover.png'] } });
    expect(await useCount(env, g.token_id)).toBe(1);
    await env.core.assets.upload(env.project, { slug: 'files/cover.png', content: b64(PNG_1PX), private: true });
    await expect(env.core.downloads.verify(env.project, { token: g.token })).resolves.toMatchObject({ use_count: 2, remaining_uses: 0, asset_urls: g.asset_urls });

    const stats = await env.core.downloads.stats(env.project, 1, false);
    expect(stats.total_downloads).toBe(2);
    expect(stats.top_files).toEqual([
      { asset_url: '/extras/notes.txt', downloads: 2 },
      { asset_url: '/files/book.pdf', downloads: 2 },
      { asset_url: '/files/cover.png', downloads: 2 },
    ]);
    expect(stats.refusals).toEqual([{ reason: 'NOT_FOUND', attempts: 2 }]);
    expect(stats.daily).toEqual([{ date: '2026-03-01', downloads: 2, refused: 2 }]);
    const listed = await env.core.downloads.list(env.project, { asset_url: '/files/cover.png' });
    expect(listed.downloads.map((d) => d.token_id)).toEqual([g.token_id]);
    expect(listed.downloads[0]!.asset_urls).toEqual(g.asset_urls);
  });

  it('bundle and stamp input is checked before anything is stored', async () => {
    const bad = async (args: Record<string, unknown>) => (await rejection(env.core.downloads.generate(env.project, args as never))).toBody();
    expect(await bad({ asset_urls: ['/files/book.pdf'] })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'asset_urls' });
    expect(await bad({ asset_urls: ['/files/book.pdf', 'files/book.pdf'] })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'asset_urls.1' });
    expect(await bad({ asset_urls: ['/files/book.pdf', '/nope.pdf'] })).toMatchObject({ type: 'NOT_FOUND', field: 'asset_urls.1' });
    expect(await bad({ asset_url: '/files/book.pdf', asset_urls: ['/files/book.pdf', '/files/cover.png'] })).toMatchObject({ type: 'VALIDATION_ERROR' });
    expect(await bad({ asset_url: '/files/book.pdf', stamp: 'For {visitor_id}' })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'stamp' });
    expect(await bad({ asset_url: '/files/book.pdf', stamp: 'For {metadata.email}', metadata: { order: '1' } })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'stamp' });
    expect(await bad({ asset_url: '/files/book.pdf', stamp: 'For {name}' })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'stamp' });
    expect(await bad({ asset_url: '/files/cover.png', stamp: 'For {date}' })).toMatchObject({ type: 'VALIDATION_ERROR', field: 'stamp' });
    await env.core.assets.upload(env.project, { slug: 'files/broken.pdf', content: b64(PDF_MIN), private: true });
    expect(await bad({ asset_url: '/files/broken.pdf', stamp: 'For {date}' })).toMatchObject({ type: 'UNSUPPORTED_MEDIA_TYPE', field: 'stamp' });
    const n = await env.core.db.kysely.selectFrom('download_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('a stamped PDF names its buyer on every page; continuations and the same day get the same bytes', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 3, metadata: { email: 'ana@example.com', order_id: 1042 }, stamp: 'Licensed to {metadata.email}, order {metadata.order_id}, {date}' });
    expect(g.stamp).toBe('Licensed to {metadata.email}, order {metadata.order_id}, {date}');
    const r = await req(`/d/${g.token}`);
    expect(r.status).toBe(200);
    const pdf = Buffer.from(await r.arrayBuffer());
    expect(drawsText(pdf, 'Licensed to ana@example.com, order 1042, 2026-03-01')).toBe(true);
    expect((await PDFDocument.load(pdf)).getPageCount()).toBe(2);
    expect(r.headers.get('etag')).toMatch(/^"s-/);
    expect(await useCount(env, g.token_id)).toBe(1);
    const part = await req(`/d/${g.token}`, { headers: { range: 'bytes=500-', 'if-range': r.headers.get('etag')! } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(pdf.subarray(500))).toBe(true);
    expect(await useCount(env, g.token_id)).toBe(1);
    // A bundle stamps its PDFs and leaves the rest as they are.
    const b = await env.core.downloads.generate(env.project, { asset_urls: ['/files/book.pdf', '/extras/notes.txt'], visitor_id: 'buyer-7', stamp: 'For {visitor_id}' });
    const zr = await req(`/d/${b.token}?visitor_id=buyer-7`);
    expect(zr.status).toBe(200);
    const files = unzip(Buffer.from(await zr.arrayBuffer()));
    expect(drawsText(files.get('book.pdf')!, 'For buyer-7')).toBe(true);
    expect(files.get('notes.txt')!.toString()).toBe('Thanks for buying!');
  });

  it('a PDF replaced by one that cannot be stamped is refused without taking a use, and recorded', async () => {
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', stamp: 'For {date}' });
    await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: b64(PDF_MIN), private: true, overwrite: true });
    const r = await req(`/d/${g.token}`);
    expect(r.status).toBe(403);
    expect(await useCount(env, g.token_id)).toBe(0);
    expect(await count(env, 'download_events', { outcome: 'UNSUPPORTED_MEDIA_TYPE' })).toBe(1);
    await env.core.assets.upload(env.project, { slug: 'files/book.pdf', content: b64(PDF_REAL), private: true, overwrite: true });
    expect((await req(`/d/${g.token}`)).status).toBe(200);
    expect(await useCount(env, g.token_id)).toBe(1);
  });

  it('update_token: more uses, new expiry, a fresh count; counters stay exact; recorded in the log', async () => {
    const db = env.core.db.kysely;
    const counters = async () => {
      const rows = await db.selectFrom('download_token_daily').selectAll().where('tokens', '!=', 0).orderBy('expiry_hour').execute();
      return rows.map((r) => ({ ...r, tokens: Number(r.tokens), revoked: Number(r.revoked), exhausted: Number(r.exhausted) }));
    };
    const exact = async () => {
      const kept = await counters();
      await rebuildTokenCounters(db as never);
      expect(kept).toEqual(await counters());
    };
    const g = await env.core.downloads.generate(env.project, { asset_url: '/files/book.pdf', max_uses: 1 });
    await env.core.downloads.verify(env.project, { token: g.token });
    await expect(env.core.downloads.verify(env.project, { token: g.token })).rejects.toMatchObject({ type: 'TOKEN_EXHAUSTED' });
    await exact();
    const u = await env.core.downloads.update(env.project, { token_id: g.token_id, add_uses: 1 });
    expect(u).toMatchObject({ status: 'active', use_count: 1, max_uses: 2, remaining_uses: 1, changes: { max_uses: { from: 1, to: 2 } } });
    await exact();
    await env.core.downloads.verify(env.project, { token: g.token });
    await exact();
    env.clock.advance(25 * 3_600_000);
    await expect(env.core.downloads.verify(env.project, { token: g.token })).rejects.toMatchObject({ type: 'TOKEN_EXPIRED' });
    const revived = await env.core.downloads.update(env.project, { token_id: g.token_id, expires_in_hours: 48, reset_use_count: true });
    expect(revived).toMatchObject({ status: 'active', use_count: 0, expires_at: '2026-03-04T13:00:00.000Z' });
    await exact();
    expect((await env.core.downloads.stats(env.project, 5)).active_tokens).toBe(1);
    await env.core.downloads.update(env.project, { token_id: g.token_id, max_uses: 0, expires_in_minutes: 0 });
    await exact();
    const log = await env.core.downloads.attempts(env.project, { token_id: g.token_id, outcome: 'updated' });
    expect(log.total).toBe(3);
    expect(log.attempts.at(-1)!.user_agent).toBe('update-token: max_uses 1->2');
    // list_attempts' "refused" leaves updates out.
    expect((await env.core.downloads.attempts(env.project, { token_id: g.token_id, outcome: 'refused' })).attempts.map((a) => a.outcome)).toEqual(['TOKEN_EXPIRED', 'TOKEN_EXHAUSTED']);
    const bad = async (input: Record<string, unknown>) => (await rejection(env.core.downloads.update(env.project, { token_id: g.token_id, ...input }))).type;
    expect(await bad({})).toBe('VALIDATION_ERROR');
    expect(await bad({ add_uses: 1 })).toBe('VALIDATION_ERROR'); // unlimited now
    expect(await bad({ add_uses: 1, max_uses: 3 })).toBe('VALIDATION_ERROR');
    expect((await rejection(env.core.downloads.update(env.project, { token_id: 'dlt_nope', add_uses: 1 }))).type).toBe('TOKEN_INVALID');
    await env.core.downloads.revoke(env.project, { token_id: g.token_id });
    expect(await bad({ max_uses: 5 })).toBe('TOKEN_REVOKED');
    await exact();
  });

  it('tools: list_attempts with its filters, get_stats with refusals and active days, update_token', async () => {
    const client = await connect(env.core);
    const g = (await call<{ token: string; token_id: string }>(client, 'file-downloads_generate_token', { asset_url: '/files/book.pdf', visitor_id: 'v1' })).data;
    expect((await req(`/d/${g.token}`, { headers: { 'x-forwarded-for': '203.0.113.77', 'user-agent': 'Buyer/1' } })).status).toBe(403); // wrong visitor
    expect((await req(`/d/${g.token}?visitor_id=v1`, { headers: { 'x-forwarded-for': '203.0.113.77' } })).status).toBe(200);
    const all = await call<{ attempts: Array<Record<string, unknown>>; total: number }>(client, 'file-downloads_list_attempts', { token_id: g.token_id });
    expect(all.data.total).toBe(2);
    expect(all.data.attempts[1]).toMatchObject({ outcome: 'TOKEN_WRONG_VISITOR', ip: '203.0.113.0/24', user_agent: 'Buyer/1', asset_url: '/files/book.pdf' });
    expect((await call(client, 'file-downloads_list_attempts', { outcome: 'ok', visitor_id: 'v1' })).data).toMatchObject({ total: 1 });
    expect((await call(client, 'file-downloads_list_attempts', { since: 'yesterday' })).error).toMatchObject({ type: 'VALIDATION_ERROR' });
    const stats = await call<{ daily: unknown[]; refusals: unknown[]; refused_attempts: number }>(client, 'file-downloads_get_stats', { days: 30 });
    expect(stats.data.daily).toEqual([{ date: '2026-03-01', downloads: 1, refused: 1 }]);
    expect(stats.data).toMatchObject({ refused_attempts: 1, refusals: [{ reason: 'TOKEN_WRONG_VISITOR', attempts: 1 }] });
    expect((await call<{ daily: unknown[] }>(client, 'file-downloads_get_stats', { days: 30, every_day: true })).data.daily).toHaveLength(30);
    const u = await call(client, 'file-downloads_update_token', { token_id: g.token_id, add_uses: 2 });
    expect(u.data).toMatchObject({ max_uses: 3, remaining_uses: 2 });
    await client.close();
  });
});
