import { ProtocolError, ProtocolErrorCode, specTypeSchemas, type Server, type ServerContext, type StandardSchemaV1 } from '@modelcontextprotocol/server';
import * as z from 'zod';

interface Issue {
  code?: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
  expected?: string;
}

const MAX_ISSUES = 3;
const MAX_MESSAGE = 500;

const keyOf = (p: PropertyKey | { key: PropertyKey }): PropertyKey => (typeof p === 'object' && p !== null ? p.key : p);

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

/** One issue as a sentence about the field, e.g. "params.cursor must be a string, not a number". */
function describe(issue: Issue, params: unknown): string {
  const path = (issue.path ?? []).map(keyOf);
  const where = ['params', ...path.map(String)].join('.');
  if (issue.code === 'invalid_type' && issue.expected) {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    const got = valueAt(params, path);
    return got === undefined ? `${where} is required (${expected})` : `${where} must be ${expected}, not ${kindOf(got)}`;
  }
  if (issue.code === 'invalid_union') return `${where} matches none of the accepted forms`;
  return `${where}: ${issue.message.replace(/\s+/g, ' ')}`;
}

const HINTS: Record<string, string> = {
  'completion/complete':
    ' Send {"ref": {"type": "ref/resource", "uri": "<template>"} or {"type": "ref/prompt", "name": "<prompt>"}, "argument": {"name": "...", "value": "..."}}.',
};

/** A malformed request as -32602 (Invalid params) with a short, one-line message. */
export function invalidParams(method: string, issues: readonly Issue[], params: unknown): ProtocolError {
  const parts = issues.slice(0, MAX_ISSUES).map((i) => describe(i, params));
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  let text = `Invalid ${method} request: ${parts.join('; ')}.${HINTS[method] ?? ''}`;
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE - 3)}...`;
  return new ProtocolError(ProtocolErrorCode.InvalidParams, text);
}

/** The SDK's own wire schemas of request params, by method (public: specTypeSchemas). */
const PARAMS = {
  'tools/list': specTypeSchemas.PaginatedRequestParams,
  'resources/list': specTypeSchemas.PaginatedRequestParams,
  'resources/templates/list': specTypeSchemas.PaginatedRequestParams,
  'prompts/list': specTypeSchemas.PaginatedRequestParams,
  'resources/read': specTypeSchemas.ReadResourceRequestParams,
  'prompts/get': specTypeSchemas.GetPromptRequestParams,
  'completion/complete': specTypeSchemas.CompleteRequestParams,
  'logging/setLevel': specTypeSchemas.SetLevelRequestParams,
} satisfies Record<string, StandardSchemaV1>;

type Method = keyof typeof PARAMS;
type ParamsOf<M extends Method> = StandardSchemaV1.InferOutput<(typeof PARAMS)[M]>;

/** Lets every params object through to the handler below, which checks it against the spec schema. */
const anyParams = z.looseObject({});

/**
 * Registers a spec request handler whose malformed requests answer -32602 with a one-line message
 * naming the field (the SDK's default is -32603 carrying a multi-line zod dump). Uses the SDK's
 * public three-argument setRequestHandler with a permissive params schema, then validates with the
 * SDK's own exported wire schema for the method. tools/call is not registered here: the SDK itself
 * validates its envelope (-32602) before any handler runs. The handler also gets the request's
 * context (the 2026-07-28 envelope with the client's capabilities, among others).
 */
export function handle<M extends Method>(server: Server, method: M, handler: (params: ParamsOf<M>, ctx: ServerContext) => unknown): void {
  const schema = PARAMS[method] as StandardSchemaV1;
  server.setRequestHandler(method, { params: anyParams }, (params, ctx) => {
    const out = schema['~standard'].validate(params);
    if (out instanceof Promise) throw new Error(`${method}: asynchronous params schema`);
    if (out.issues) throw invalidParams(method, out.issues as readonly Issue[], params);
    return handler(out.value as ParamsOf<M>, ctx) as never;
  });
}
