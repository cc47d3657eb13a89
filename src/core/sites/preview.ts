import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/** Where a site answers draft previews: under the reserved `_sitepub/` prefix no page or asset can use. */
export const PREVIEW_PREFIX = '_sitepub/preview/';
export const DEFAULT_PREVIEW_HOURS = 24;
export const MAX_PREVIEW_HOURS = 24 * 7;

export interface PreviewGrant {
  projectId: string;
  slug: string;
  version: number;
  /** Unix seconds. */
  exp: number;
}

/**
 * Signed, expiring links to one version of one page (`pages_preview`): the URL carries the page,
 * the version and the expiry, and an HMAC-SHA256 of them under a key kept in `site_keys`, so any
 * instance checks any link without a lookup per link, and nothing needs cleaning up.
 */
export class PreviewSigner {
  private key: Promise<Buffer> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  private keyOf(): Promise<Buffer> {
    this.key ??= (async () => {
      await this.db
        .insertInto('site_keys')
        .values({ name: 'preview', value: randomBytes(32).toString('base64url'), created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await this.db.selectFrom('site_keys').select('value').where('name', '=', 'preview').executeTakeFirstOrThrow();
      return Buffer.from(row.value, 'base64url');
    })().catch((e: unknown) => {
      this.key = undefined;
      throw e;
    });
    return this.key;
  }

  private static message(g: PreviewGrant): string {
    return `${g.projectId}\n${g.slug}\n${g.version}\n${g.exp}`;
  }

  /** The query string of a preview URL: `v`, `exp`, `sig`. */
  async sign(g: PreviewGrant): Promise<string> {
    const sig = createHmac('sha256', await this.keyOf()).update(PreviewSigner.message(g)).digest('base64url');
    return `v=${g.version}&exp=${g.exp}&sig=${sig}`;
  }

  /** 'ok', 'expired' or 'invalid' for a preview request's page and query. */
  async check(projectId: string, slug: string, query: URLSearchParams, nowSec: number): Promise<{ state: 'ok' | 'expired' | 'invalid'; version: number }> {
    const version = Number(query.get('v'));
    const exp = Number(query.get('exp'));
    const sig = query.get('sig') ?? '';
    if (!Number.isSafeInteger(version) || version < 1 || !Number.isSafeInteger(exp)) return { state: 'invalid', version: 0 };
    const want = createHmac('sha256', await this.keyOf()).update(PreviewSigner.message({ projectId, slug, version, exp })).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { state: 'invalid', version };
    return { state: exp < nowSec ? 'expired' : 'ok', version };
  }
}
