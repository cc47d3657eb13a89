import { assetTooLarge, hasNul, notUtf8, verifyAssetBytes, verifyAssetHead, type AssetKind } from './asset-types.js';
import type { StreamCheck } from './blob-store.js';
import { invalid } from './errors.js';

/**
 * Up to this many bytes a streamed file is checked exactly as one sent whole (verifyAssetBytes):
 * every public file fits (5 MB at most), so the site's rules never depend on how a file came in.
 */
export const WHOLE_CHECK_BYTES = 5 * 1024 * 1024;

/**
 * The type and size rules of assets_upload, applied to bytes as they stream in (upload URLs,
 * source_url). The size is counted on every piece, so an upload is refused the moment it passes
 * its limit. The first WHOLE_CHECK_BYTES are kept: a file that ends within them is checked whole;
 * a larger one (a private file) is checked by that beginning (its signature, or for text the shape
 * it opens with) as soon as it is in, then held no longer, while text stays checked to its last
 * byte (valid UTF-8 across piece boundaries, no NUL byte).
 */
export class AssetStreamCheck implements StreamCheck {
  private head: Buffer[] = [];
  private size = 0;
  /** Past WHOLE_CHECK_BYTES: the head was checked and let go. */
  private streaming = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly kind: AssetKind,
    private readonly maxBytes: number,
  ) {}

  async push(bytes: Buffer): Promise<void> {
    this.size += bytes.length;
    if (this.size > this.maxBytes) throw assetTooLarge(this.kind, this.size, this.maxBytes, true);
    if (this.streaming) {
      if (this.kind.text) this.text(bytes);
      return;
    }
    this.head.push(bytes);
    if (this.size <= WHOLE_CHECK_BYTES) return;
    const head = Buffer.concat(this.head);
    this.head = [];
    this.streaming = true;
    await verifyAssetHead(this.kind, head, this.kind.text ? this.text(head) : '');
  }

  /** Decodes a piece of text as part of the stream: refuses invalid UTF-8 and NUL bytes. */
  private text(bytes: Buffer): string {
    if (bytes.includes(0)) throw hasNul(this.kind);
    try {
      return this.decoder.decode(bytes, { stream: true });
    } catch {
      throw notUtf8(this.kind);
    }
  }

  async end(): Promise<string> {
    if (!this.streaming) {
      if (this.size === 0) throw invalid('The file is empty.');
      return verifyAssetBytes(this.kind, this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head), this.maxBytes);
    }
    if (this.kind.text) {
      try {
        this.decoder.decode();
      } catch {
        throw notUtf8(this.kind);
      }
    }
    return this.kind.contentType;
  }
}
