import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { getLiteralValue, getObjectShape, safeParse, type AnyObjectSchema, type SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  type Notification,
  type Request,
  type Result,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

// The same types as Server's own setRequestHandler (its default type parameters).
type Extra = RequestHandlerExtra<ServerRequest | Request, ServerNotification | Notification>;
type Answer = ServerResult | Result;
type Handler<T extends AnyObjectSchema> = (request: SchemaOutput<T>, extra: Extra) => Answer | Promise<Answer>;
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
}

const MAX_ISSUES = 3;
const MAX_MESSAGE = 500;

function methodOf(schema: AnyObjectSchema): string {
  const literal = getObjectShape(schema)?.method;
  const method = literal ? getLiteralValue(literal) : undefined;
  if (typeof method !== 'string') throw new Error('Request schema is missing a method literal');
  return method;
}

/** Accepts any request of one method: the real schema is applied by the handler wrapper below. */
const anyOf = new Map<string, AnyObjectSchema>();
function looseSchema(method: string): AnyObjectSchema {
  let s = anyOf.get(method);
  if (!s) anyOf.set(method, (s = z.object({ method: z.literal(method) }).loose()));
  return s;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = { record: 'a JSON object', object: 'a JSON object', array: 'an array', string: 'a string', number: 'a number', boolean: 'a boolean' };

/** One issue as a sentence about the field, e.g. "params.arguments must be a JSON object, not a string". */
function describe(issue: Issue, request: unknown): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the request';
  if (issue.code === 'invalid_type' && issue.expected) {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    const got = valueAt(request, issue.path);
    return got === undefined ? `${where} is required (${expected})` : `${where} must be ${expected}, not ${kindOf(got)}`;
  }
  if (issue.code === 'invalid_union') return `${where} matches none of the accepted forms`;
  return `${where}: ${issue.message.replace(/\s+/g, ' ')}`;
}

const HINTS: Record<string, string> = {
  'tools/call': ' Send {"name": "<tool>", "arguments": {...}} with the tool\'s arguments as a JSON object ({} for none); tools/list shows each tool\'s inputSchema.',
  'completion/complete':
    ' Send {"ref": {"type": "ref/resource", "uri": "<template>"} or {"type": "ref/prompt", "name": "<prompt>"}, "argument": {"name": "...", "value": "..."}}.',
};

/**
 * A malformed request as -32602 (Invalid params) with a readable message. The SDK would let the
 * ZodError escape from its own parse, which becomes -32603 (Internal error) carrying a raw,
 * multi-line zod dump.
 */
export function invalidParams(method: string, issues: readonly Issue[], request: unknown): McpError {
  const parts = issues.slice(0, MAX_ISSUES).map((i) => describe(i, request));
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  let text = `Invalid ${method} request: ${parts.join('; ')}.${HINTS[method] ?? ''}`;
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE - 3)}...`;
  return new McpError(ErrorCode.InvalidParams, text);
}

/**
 * The SDK's low-level Server, except that every request handler validates its request itself and
 * answers a malformed one with -32602 instead of -32603. Applies to the handlers the SDK registers
 * (initialize, ping) as well as ours. Handlers are registered on the Protocol base directly, so
 * tools/call also skips the Server subclass's wrapper, which would parse the request a second time
 * and copy every result through CallToolResultSchema although results here are built from
 * schema-checked data.
 */
export class StrictServer extends Server {
  override setRequestHandler<T extends AnyObjectSchema>(requestSchema: T, handler: Handler<T>): void {
    // Runs from the base constructors too (initialize, ping): use no instance fields here.
    const method = methodOf(requestSchema);
    const wrapped = (request: unknown, extra: Extra): Answer | Promise<Answer> => {
      const parsed = safeParse(requestSchema, request);
      if (!parsed.success) throw invalidParams(method, (parsed.error as { issues?: Issue[] }).issues ?? [], request);
      return handler(parsed.data as SchemaOutput<T>, extra);
    };
    Protocol.prototype.setRequestHandler.call(this, looseSchema(method), wrapped as never);
  }
}
