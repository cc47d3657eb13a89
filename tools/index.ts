import { assetTools } from './assets.js';
import type { ToolDef, Toolset } from './define.js';
import { domainTools } from './domains.js';
import { downloadTools } from './file-downloads.js';
import { pageVersionTools } from './page-versions.js';
import { pageTools } from './pages.js';
import { projectTools } from './project.js';
import { siteTools } from './sites.js';
import { webhookTools } from './webhooks.js';

export type { ToolDef, Toolset } from './define.js';

/** Every tool, in the order clients list them. */
export const ALL_TOOLS: readonly ToolDef[] = [...projectTools, ...pageTools, ...pageVersionTools, ...assetTools, ...downloadTools, ...webhookTools, ...siteTools, ...domainTools];
export const TOOLSETS: readonly Toolset[] = ['project', 'pages', 'assets', 'downloads'];

export interface ToolFilter {
  toolsets?: readonly Toolset[] | undefined;
  readOnly?: boolean | undefined;
}

/** Toolsets and read-only mode are one filter over static metadata, not checks inside tools. */
export function selectTools(filter: ToolFilter = {}): ToolDef[] {
  return ALL_TOOLS.filter(
    (t) => (!filter.toolsets || t.toolset === 'project' || filter.toolsets.includes(t.toolset)) && (!filter.readOnly || t.annotations.readOnlyHint),
  );
}
