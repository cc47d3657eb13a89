import { TOOLSETS, type ToolFilter, type Toolset } from '../../tools/index.js';
import { UsageError } from './usage-error.js';

/** The MCP tools a `serve` or `mcp` command line asks for: `--toolsets a,b` and `--read-only`. */
export function toolFilterOf(values: { toolsets?: string | undefined; 'read-only'?: boolean | undefined }): ToolFilter {
  return { toolsets: parseToolsets(values.toolsets), readOnly: values['read-only'] ?? false };
}

function parseToolsets(v: string | undefined): Toolset[] | undefined {
  if (!v) return undefined;
  const sets = v.split(',').map((s) => s.trim()) as Toolset[];
  for (const s of sets) if (!TOOLSETS.includes(s)) throw new UsageError(`Unknown toolset "${s}". Known: ${TOOLSETS.join(', ')}`);
  return sets;
}
