import type { FirstRun } from '../bootstrap.js';

/**
 * What `sitepub serve` prints on its first start: the new project's token, shown this once
 * (only its hash is stored), and an MCP client config a user can paste as it is.
 */
export function firstRunBanner(first: FirstRun, platformUrl: string): string {
  return [
    '',
    '  sitepub: first start. A project was created for you.',
    `  Site:    ${first.project.url}/`,
    `  Project: ${first.project.id}`,
    `  Token:   ${first.token.token}`,
    '  (The token is shown only now; sitepub stores only its hash. Make another with `sitepub token create`.)',
    '',
    '  MCP client config (Streamable HTTP), ready to paste:',
    clientConfig(first.token.token, platformUrl)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
  ].join('\n');
}

function clientConfig(token: string, url: string): string {
  return JSON.stringify({ mcpServers: { sitepub: { type: 'http', url: `${url}/mcp`, headers: { Authorization: `Bearer ${token}` } } } }, null, 2);
}
