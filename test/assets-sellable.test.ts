import yazl from 'yazl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ASSET_GET_MAX_BYTES, ASSET_KINDS, PRIVATE_ONLY_EXTENSIONS, PUBLIC_EXTENSIONS, assetKindForSlug, verifyAssetBytes } from '../src/core/asset-types.js';
import { byteSize, loadSettings } from '../src/config.js';
import { DIALECTS, pgLabel } from './dialects.js';
import { PDF_MIN, PNG_1PX, b64, call, connect, makeEnv, rejection, type TestEnv } from './helpers.js';

const MB = 1024 * 1024;

async function zip(entries: Array<[string, string]>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of entries) z.addBuffer(Buffer.from(data), name, { compress: false, mtime: new Date(0) });
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
const box = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};
const ftyp = (brand: string): Buffer => Buffer.concat([box('ftyp', Buffer.concat([Buffer.from(brand, 'latin1'), Buffer.alloc(4), Buffer.from(`${brand}isom`, 'latin1')])), Buffer.alloc(64)]);

/** The smallest real-looking file of each sellable type, as file-type recognises it (or text). */
const SAMPLES: Record<string, Buffer> = {
  zip: await zip([['readme.txt', 'hello']]),
  epub: await zip([['mimetype', 'application/epub+zip'], ['META-INF/container.xml', '<container/>']]),
  docx: await zip([['[Content_Types].xml', '<Types/>'], ['word/document.xml', '<w:document/>']]),
  xlsx: await zip([['[Content_Types].xml', '<Types/>'], ['xl/workbook.xml', '<workbook/>']]),
  pptx: await zip([['[Content_Types].xml', '<Types/>'], ['ppt/presentation.xml', '<p:presentation/>']]),
  mp3: Buffer.concat([Buffer.from('ID3'), Buffer.from([3, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400)]),
  m4a: ftyp('M4A '),
  wav: Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(40)]),
  flac: Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(60)]),
  ogg: Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2]), Buffer.alloc(20), Buffer.from([1, 0x1e]), Buffer.from('\x01vorbis', 'latin1'), Buffer.alloc(40)]),
  mp4: ftyp('isom'),
  webm: Buffer.from('1a45dfa39f4286810142f7810142f2810442f381084282847765626d4287810442858102', 'hex'),
  mov: ftyp('qt  '),
  csv: Buffer.from('title,price\n"Course, part 1",49\n'),
  md: Buffer.from('# Workbook\n\nChapter one \u00e9.\n'),
};

describe('sellable types (CONTRACT section 10)', () => {
  it('the contract list is private-only; the public list is unchanged', () => {
    for (const ext of ['zip', 'epub', 'mp3', 'm4a', 'wav', 'flac', 'mp4', 'webm', 'mov', 'docx', 'xlsx', 'pptx', 'csv', 'md']) expect(PRIVATE_ONLY_EXTENSIONS).toContain(ext);
    expect(PUBLIC_EXTENSIONS).toEqual(['jpg', 'jpeg', 'png', 'gif', 'webp', 'svg', 'pdf', 'woff', 'woff2', 'ttf', 'ico', 'json', 'css', 'js', 'txt', 'xml', 'html']);
    expect(Object.keys(SAMPLES).sort()).toEqual([...PRIVATE_ONLY_EXTENSIONS].sort());
  });

  it.each(Object.entries(SAMPLES))('.%s is recognised by content', async (ext, bytes) => {
    expect(await verifyAssetBytes(assetKindForSlug(`f.${ext}`), bytes, MB)).toBe(ASSET_KINDS[ext]!.contentType);
  });

  it.each(Object.keys(SAMPLES))('.%s refuses bytes of another type', async (ext) => {
    const wrong = ext === 'csv' || ext === 'md' ? PNG_1PX : ext === 'zip' ? PDF_MIN : SAMPLES[ext === 'mp3' ? 'flac' : 'mp3']!;
    expect((await rejection(verifyAssetBytes(assetKindForSlug(`f.${ext}`), wrong, MB))).type).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a refusal names the type the bytes really are', async () => {
    const e = await rejection(verifyAssetBytes(assetKindForSlug('song.mp3'), SAMPLES.mp4!, MB));
    expect(e.message).toMatch(/MP4 file/);
    expect(e.message).toMatch(/Rename it to \.mp4/);
  });

  it('SITEPUB_MAX_PRIVATE_BYTES: a size with or without a unit, 500 MB by default, below 2 GiB', () => {
    expect(loadSettings({}, {}).maxPrivateBytes).toBe(500 * MB);
    expect(loadSettings({}, { SITEPUB_MAX_PRIVATE_BYTES: '2047MB' }).maxPrivateBytes).toBe(2047 * MB);
    expect(() => loadSettings({}, { SITEPUB_MAX_PRIVATE_BYTES: '2GB' })).toThrow(/below 2 GiB/);
    expect(loadSettings({}, { SITEPUB_MAX_PRIVATE_BYTES: '500MB' }).maxPrivateBytes).toBe(500 * MB);
    expect(byteSize('X', '1.5 GiB', 0)).toBe(1.5 * 1024 * MB);
    expect(byteSize('X', '4096', 0)).toBe(4096);
    expect(() => loadSettings({}, { SITEPUB_MAX_PRIVATE_BYTES: 'lots' })).toThrow(/SITEPUB_MAX_PRIVATE_BYTES/);
    expect(() => loadSettings({}, { SITEPUB_MAX_PRIVATE_BYTES: '0' })).toThrow(/SITEPUB_MAX_PRIVATE_BYTES/);
  });
});

for (const dialect of DIALECTS) {
  describe(`sellable assets on ${dialect === 'postgres' ? pgLabel : dialect}`, () => {
    let env: TestEnv;
    let client: Client;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
      env.core.limits.maxPrivateBytes = 6 * MB;
      client = await connect(env.core);
    });
    afterEach(async () => {
      await client.close();
      await env.close();
    });

    it.each(Object.entries(SAMPLES))('.%s is stored private, refused public, refused with wrong bytes', async (ext, bytes) => {
      const ok = await call(client, 'assets_upload', { slug: `shop/item.${ext}`, content: b64(bytes), private: true });
      expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
      expect(ok.data).toMatchObject({ private: true, url: null, size_bytes: bytes.length, content_type: ASSET_KINDS[ext]!.contentType });

      const pub = await call(client, 'assets_upload', { slug: `pub/item.${ext}`, content: b64(bytes) });
      expect(pub.error).toMatchObject({ type: 'UNSUPPORTED_MEDIA_TYPE', field: 'private' });
      expect(pub.error.message).toMatch(/private: true/);

      const wrong = await call(client, 'assets_upload', { slug: `shop/wrong.${ext}`, content: b64(ext === 'csv' || ext === 'md' ? PNG_1PX : PDF_MIN), private: true });
      expect(wrong.error.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((await env.core.assets.list(env.project)).total).toBe(1);
    });

    it('overwriting keeps a sellable file private, and refuses to make it public', async () => {
      await env.core.assets.upload(env.project, { slug: 'a.zip', content: b64(SAMPLES.zip!), private: true });
      const again = await env.core.assets.upload(env.project, { slug: 'a.zip', content: b64(SAMPLES.epub!), overwrite: true });
      expect(again.private).toBe(true);
      const e = await rejection(env.core.assets.upload(env.project, { slug: 'a.zip', content: b64(SAMPLES.zip!), overwrite: true, private: false }));
      expect(e.type).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((await env.core.assets.getInfo(env.project, 'a.zip')).sha256).toBe(again.sha256);
    });

    it('private files go up to SITEPUB_MAX_PRIVATE_BYTES; public ones keep the web limits', async () => {
      const pdf = Buffer.concat([PDF_MIN, Buffer.alloc(5.5 * MB)]);
      const pub = await rejection(env.core.assets.upload(env.project, { slug: 'big.pdf', content: b64(pdf) }));
      expect(pub.type).toBe('PAYLOAD_TOO_LARGE');
      expect(pub.message).toMatch(/private: true/);
      const priv = await env.core.assets.upload(env.project, { slug: 'big.pdf', content: b64(pdf), private: true });
      expect(priv.size_bytes).toBe(pdf.length);
      // Making a large private file public is refused: it is over the public limit.
      const flip = await rejection(env.core.assets.upload(env.project, { slug: 'big.pdf', content: b64(pdf), overwrite: true, private: false }));
      expect(flip.type).toBe('PAYLOAD_TOO_LARGE');

      const over = Buffer.concat([SAMPLES.zip!, Buffer.alloc(6 * MB)]);
      const e = await rejection(env.core.assets.upload(env.project, { slug: 'course.zip', content: b64(over), private: true }));
      expect(e.type).toBe('PAYLOAD_TOO_LARGE');
      expect(e.details).toMatchObject({ max_bytes: 6 * MB });
      const text = await rejection(env.core.assets.upload(env.project, { slug: 'data.csv', content_text: 'a,b\n'.repeat(1.6 * MB), private: true }));
      expect(text.type).toBe('PAYLOAD_TOO_LARGE');
      expect((await env.core.assets.list(env.project)).total).toBe(1);
    });

    it('bulk upload applies the same rules, all or nothing', async () => {
      const r = await call(client, 'assets_bulk_upload', {
        assets: [
          { slug: 'a.mp3', content: b64(SAMPLES.mp3!), private: true },
          { slug: 'b.mp4', content: b64(SAMPLES.mp4!) },
        ],
      });
      expect(r.error).toMatchObject({ type: 'UNSUPPORTED_MEDIA_TYPE', index: 1 });
      expect((await env.core.assets.list(env.project)).total).toBe(0);
    });

    it('assets_get refuses to base64 a large private file and names the download link tool', async () => {
      const pdf = Buffer.concat([PDF_MIN, Buffer.alloc(ASSET_GET_MAX_BYTES)]);
      await env.core.assets.upload(env.project, { slug: 'files/ebook.pdf', content: b64(pdf), private: true });
      const r = await call(client, 'assets_get', { slug: 'files/ebook.pdf' });
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ code: 413, type: 'PAYLOAD_TOO_LARGE', private: true, use_tool: 'file-downloads_generate_token', asset_url: '/files/ebook.pdf', size_bytes: pdf.length, max_bytes: ASSET_GET_MAX_BYTES });
      expect(r.error.message).toMatch(/file-downloads_generate_token/);
      // The way it names works: a download link for the file.
      const link = await call<{ download_url: string }>(client, 'file-downloads_generate_token', { asset_url: r.error.asset_url });
      expect(link.ok, JSON.stringify(link.error)).toBe(true);
      // Small files still come back as base64, and metadata stays available.
      await env.core.assets.upload(env.project, { slug: 'small.zip', content: b64(SAMPLES.zip!), private: true });
      const small = await call<{ content: string }>(client, 'assets_get', { slug: 'small.zip' });
      expect(Buffer.from(small.data.content, 'base64').equals(SAMPLES.zip!)).toBe(true);
      expect((await call<{ size_bytes: number }>(client, 'assets_list', {})).ok).toBe(true);
    });

    it('assets_get points a large public file to its site URL', async () => {
      const pdf = Buffer.concat([PDF_MIN, Buffer.alloc(ASSET_GET_MAX_BYTES)]);
      await env.core.assets.upload(env.project, { slug: 'menu.pdf', content: b64(pdf), private: true });
      // Only reachable through data written before the limits (or by hand): flip the row.
      await env.core.db.kysely.updateTable('assets').set({ private: 0 }).where('slug', '=', 'menu.pdf').execute();
      const r = await call(client, 'assets_get', { slug: 'menu.pdf' });
      expect(r.error).toMatchObject({ type: 'PAYLOAD_TOO_LARGE', private: false, url: 'http://bakery.localhost:8787/menu.pdf' });
      expect(r.error.message).toMatch(/download it from http:\/\/bakery\.localhost:8787\/menu\.pdf/);
    });
  });
}
