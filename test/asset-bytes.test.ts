import { describe, expect, it } from 'vitest';
import { ASSET_KINDS, assetKindForSlug, decodeBase64Strict, verifyAssetBytes } from '../src/core/asset-types.js';
import { SitepubError } from '../src/core/errors.js';
import { PDF_MIN, PNG_1PX } from './helpers.js';

const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(18)]);
const WOFF = Buffer.concat([Buffer.from('wOFF'), Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.alloc(40)]);
const WOFF2 = Buffer.concat([Buffer.from('wOF2'), Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.alloc(40)]);
const TTF = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x00]), Buffer.alloc(40)]);
const ICO = Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0]), Buffer.alloc(40)]);

async function type(slug: string, bytes: Uint8Array): Promise<string> {
  return verifyAssetBytes(assetKindForSlug(slug), bytes);
}
async function refusal(slug: string, bytes: Uint8Array): Promise<string> {
  try {
    await type(slug, bytes);
  } catch (e) {
    return (e as SitepubError).type;
  }
  return 'accepted';
}

describe('asset bytes must match the extension', () => {
  it.each([
    ['a.png', PNG_1PX, 'image/png'],
    ['a.gif', GIF, 'image/gif'],
    ['a.jpg', JPEG, 'image/jpeg'],
    ['a.jpeg', JPEG, 'image/jpeg'],
    ['a.webp', WEBP, 'image/webp'],
    ['a.pdf', PDF_MIN, 'application/pdf'],
    ['a.woff', WOFF, 'font/woff'],
    ['a.woff2', WOFF2, 'font/woff2'],
    ['a.ttf', TTF, 'font/ttf'],
    ['favicon.ico', ICO, 'image/x-icon'],
    ['a.svg', Buffer.from('<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
    ['a.json', Buffer.from('{"a": [1, 2]}'), 'application/json; charset=utf-8'],
    ['a.css', Buffer.from('body { color: red }'), 'text/css; charset=utf-8'],
    ['a.js', Buffer.from('console.log(1)'), 'text/javascript; charset=utf-8'],
    ['a.txt', Buffer.from('\uFEFFplain text \u00e9'), 'text/plain; charset=utf-8'],
    ['a.xml', Buffer.from('<?xml version="1.0"?><urlset/>'), 'application/xml; charset=utf-8'],
    ['a.html', Buffer.from('<!doctype html><p>hi'), 'text/html; charset=utf-8'],
    ['IMG/Photo.PNG', PNG_1PX, 'image/png'],
  ])('%s is accepted as %s', async (slug, bytes, ct) => {
    expect(await type(slug, bytes)).toBe(ct);
  });

  it.each([
    ['png named .jpg', 'a.jpg', PNG_1PX],
    ['html named .png', 'a.png', Buffer.from('<html><script>alert(1)</script></html>')],
    ['script named .svg', 'a.svg', Buffer.from('<script>alert(1)</script>')],
    ['html named .svg', 'a.svg', Buffer.from('<html><svg></svg></html>')],
    ['bad json', 'a.json', Buffer.from('{nope')],
    ['NUL in text', 'a.txt', Buffer.from('ab\u0000cd')],
    ['invalid utf-8', 'a.css', Buffer.from([0xc3, 0x28, 0x41])],
    ['png named .txt', 'a.txt', PNG_1PX],
    ['pdf named .png', 'a.png', PDF_MIN],
    ['text named .xml', 'a.xml', Buffer.from('hello')],
  ])('%s is refused', async (_what, slug, bytes) => {
    expect(await refusal(slug, bytes)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it.each(['tool.exe', 'shell.php', 'noext', 'a.svgz', 'a.htm'])('extension of %s is not allowed', (slug) => {
    expect(() => assetKindForSlug(slug)).toThrow(SitepubError);
  });

  it('enforces per-type size limits', async () => {
    const big = Buffer.concat([PNG_1PX, Buffer.alloc(5 * 1024 * 1024)]);
    expect(await refusal('a.png', big)).toBe('PAYLOAD_TOO_LARGE');
    expect(ASSET_KINDS.woff2!.maxBytes).toBe(2 * 1024 * 1024);
    expect(await refusal('a.json', Buffer.from(`"${'x'.repeat(1024 * 1024)}"`))).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('strict base64', () => {
  it('accepts data: URLs, whitespace and the url-safe alphabet', () => {
    expect(decodeBase64Strict(`data:image/png;base64,${PNG_1PX.toString('base64')}`, 1000).equals(PNG_1PX)).toBe(true);
    expect(decodeBase64Strict('aGVs\nbG8=', 100).toString()).toBe('hello');
    expect(decodeBase64Strict(Buffer.from([0xfb, 0xff]).toString('base64url'), 100)).toEqual(Buffer.from([0xfb, 0xff]));
  });
  it('refuses junk, empties and oversize before decoding', () => {
    const type = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as SitepubError).type;
      }
      return 'accepted';
    };
    expect(type(() => decodeBase64Strict('aGVsbG8*', 100))).toBe('VALIDATION_ERROR');
    expect(type(() => decodeBase64Strict('', 100))).toBe('VALIDATION_ERROR');
    expect(type(() => decodeBase64Strict('data:text/plain,hello', 100))).toBe('VALIDATION_ERROR');
    expect(type(() => decodeBase64Strict('A'.repeat(50_000_000), 5 * 1024 * 1024))).toBe('PAYLOAD_TOO_LARGE');
  });
});
