import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * A tool result carries its data twice (structuredContent, and the same JSON as text). The adapter
 * builds the result's JSON once from that text (see resultJson) and records it here, so the
 * transport splices it in instead of serialising the data again; an unchanged answer served from
 * the result cache is not serialised at all.
 */
const knownJson = new WeakMap<object, string>();

/** The JSON of a tool result whose text content is `text` = JSON.stringify(structuredContent). */
export function resultJson(content: unknown[], text: string): string {
  return `{"content":${JSON.stringify(content)},"structuredContent":${text}}`;
}

/** Marks `result` as serialising to `json` exactly. */
export function withJson<T extends object>(result: T, json: string): T {
  knownJson.set(result, json);
  return result;
}

/** The JSON text of a JSON-RPC message; equal (as JSON) to JSON.stringify(message). */
export function serializeMessage(message: JSONRPCMessage): string {
  const m = message as { jsonrpc?: unknown; id?: unknown; result?: object };
  const json = m.result && typeof m.result === 'object' ? knownJson.get(m.result) : undefined;
  if (json === undefined || m.id === undefined || Object.keys(message).length !== 3) return JSON.stringify(message);
  return `{"jsonrpc":${JSON.stringify(m.jsonrpc)},"id":${JSON.stringify(m.id)},"result":${json}}`;
}

/** The SDK's stdio transport, sending with serializeMessage. */
export class StdioTransport extends StdioServerTransport {
  constructor(
    stdin: NodeJS.ReadableStream = process.stdin,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {
    super(stdin as never, out as never);
  }

  override send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.write(`${serializeMessage(message)}\n`)) resolve();
      else this.out.once('drain', resolve);
    });
  }
}
