import { describe, expect, it } from 'vitest';
import { assetKindForSlug, verifyAssetBytes } from '../src/core/asset-types.js';
import { SitepubError } from '../src/core/errors.js';

/**
 * The inputs here are sized so that the quadratic code this file guards against would run for
 * minutes to hours, while linear code answers in milliseconds: each test's timeout of a few seconds
 * is the assertion (speed itself is measured in the benchmarks, never here).
 */
const FAST = 5000;
const MB = 1024 * 1024;

async function svgVerdict(text: string | Uint8Array): Promise<string> {
  try {
    return await verifyAssetBytes(assetKindForSlug('logo.svg'), typeof text === 'string' ? Buffer.from(text) : text);
  } catch (e) {
    if (e instanceof SitepubError) return e.type;
    throw e;
  }
}

describe('SVG prolog scanning is linear', () => {
  it('a 5 MB "<!DOCTYPE" followed by whitespace answers a typed refusal', async () => {
    expect(await svgVerdict('<!DOCTYPE' + ' '.repeat(5 * MB - 9))).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  it('whitespace of every kind after "<!DOCTYPE", then a valid root, is accepted', async () => {
    expect(await svgVerdict('<!DOCTYPE svg' + ' \t\r\n'.repeat(MB) + '><svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!DOCTYPE svg [' + ' '.repeat(2 * MB) + ']' + ' '.repeat(2 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  it('an internal subset of many "]" not followed by ">" is scanned once', async () => {
    expect(await svgVerdict('<!DOCTYPE svg [' + '] '.repeat(2 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<!DOCTYPE svg [' + ']\t'.repeat(MB) + '] ><svg/>')).toBe('image/svg+xml');
  }, FAST);

  it('long runs of comments, declarations and unterminated constructs', async () => {
    expect(await svgVerdict('<!---->'.repeat(700_000) + '<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict(' <!-- x --> <?xml v?>'.repeat(200_000) + '\n<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!--' + '-'.repeat(4 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<?xml' + '?'.repeat(4 * MB))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await svgVerdict('<!DOCTYPE' + '<!DOCTYPE'.repeat(500_000))).toBe('UNSUPPORTED_MEDIA_TYPE');
    // Many short constructs: finding the end of one must not scan the rest of the file.
    expect(await svgVerdict('<!DOCTYPE svg>'.repeat(300_000) + '<svg/>')).toBe('image/svg+xml');
    expect(await svgVerdict('<!DOCTYPE svg>'.repeat(300_000) + '[' + '<svg/>')).toBe('UNSUPPORTED_MEDIA_TYPE');
  }, FAST);

  const BOM = '\uFEFF';
  const SUBSET = '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n  <!ENTITY ns "http://www.w3.org/2000/svg">\n  <!ENTITY br "]">\n]>';
  it.each([
    ['bare root', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['root with a newline', '<svg\nwidth="1"></svg>'],
    ['root closed at once', '<svg>'],
    ['XML declaration', '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg/>'],
    ['stylesheet instruction', '<?xml version="1.0"?><?xml-stylesheet href="a.css"?><svg/>'],
    ['comments', '<!-- one --><!----><!-- two -- > --> \n<svg/>'],
    ['DOCTYPE', '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg/>'],
    ['lowercase doctype', '<!doctype svg><svg/>'],
    ['DOCTYPE with internal subset', `<?xml version="1.0"?>\n${SUBSET}\n<svg xmlns="&ns;"/>`],
    ['space before the subset close', '<!DOCTYPE svg [ <!ENTITY a "b"> ] \n >\n<svg/>'],
    ['BOM', `${BOM}<?xml version="1.0"?><svg/>`],
    ['BOM and everything', `${BOM}  <?xml version="1.0"?>\n<!-- c -->\n${SUBSET}\n<!-- d --><svg/>`],
  ])('valid SVG passes: %s', async (_name, text) => {
    expect(await svgVerdict(text)).toBe('image/svg+xml');
  });

  it.each([
    ['html', '<html><svg></svg></html>'],
    ['html doctype', '<!DOCTYPE html><html></html>'],
    ['script', '<script>alert(1)</script>'],
    ['plain text', 'hello <svg/>'],
    ['svg-like name', '<svgx/>'],
    ['uppercase root', '<SVG/>'],
    ['unterminated comment', '<!-- <svg/>'],
    ['unterminated declaration', '<?xml version="1.0" <svg/>'],
    ['unterminated DOCTYPE', '<!DOCTYPE svg '],
    ['unterminated subset', '<!DOCTYPE svg [ <!ENTITY a "b"> <svg/>'],
    ['subset closed without ">"', '<!DOCTYPE svg [ ] <svg/>'],
    ['content after the root check fails', '<!DOCTYPE svg><p/>'],
    ['empty after prolog', '<?xml version="1.0"?>\n'],
  ])('non-SVG fails: %s', async (_name, text) => {
    expect(await svgVerdict(text)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
