import type { Settings } from '../config.js';

/** Settings meant for tests only, announced on stderr at every start so they are never left on unnoticed. */
export function warnTestOnlySettings(settings: Settings): void {
  if (settings.fetchAllowAddresses.length > 0) {
    process.stderr.write(
      `sitepub: WARNING: SITEPUB_FETCH_ALLOW_ADDRESSES is set (${settings.fetchAllowAddresses.join(', ')}): source_url may reach these addresses despite the SSRF guard. It is for tests only; unset it in production.\n`,
    );
  }
  if (settings.dnsTxtFile) {
    process.stderr.write(
      `sitepub: WARNING: SITEPUB_DNS_TXT_FILE is set (${settings.dnsTxtFile}): custom domains are verified against this file instead of DNS, so anyone who can write it can take any domain. It is for tests only; unset it in production.\n`,
    );
  }
}
