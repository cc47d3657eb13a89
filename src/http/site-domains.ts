import type { Hono } from 'hono';
import type { Core } from '../core/core.js';

/** Where a TLS proxy asks whether to get a certificate for a host (Caddy's on_demand_tls `ask`). */
export const TLS_ASK_PATH = '/tls/ask';

/**
 * `GET /tls/ask?domain=HOST`: 200 for a verified custom domain or an existing site's subdomain, 404
 * for anything else, so the proxy never requests certificates for names nobody serves (which would
 * also burn the CA's rate limits). Read from the database, not the router's map, so a domain just
 * verified on another instance is answered at once.
 */
export function mountTlsAsk(app: Hono, core: Core): void {
  app.get(TLS_ASK_PATH, async (c) => {
    const domain = c.req.query('domain') ?? '';
    const ok = domain !== '' && domain.length <= 253 && (await core.domains.allowsCertificate(domain));
    c.header('Cache-Control', 'no-store');
    return ok ? c.text('ok\n', 200) : c.text('not served here\n', 404);
  });
}
