/**
 * Typed domain errors. `type` is the stable error name callers see (docs/errors.md);
 * every edge (MCP, REST, download links) maps these in exactly one place.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 422,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  VERSION_CONFLICT: 409,
  PATCH_FIND_NOT_FOUND: 422,
  PATCH_FIND_AMBIGUOUS: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SOURCE_URL_BLOCKED: 422,
  SOURCE_URL_FAILED: 422,
  TOKEN_INVALID: 404,
  TOKEN_EXPIRED: 403,
  TOKEN_EXHAUSTED: 403,
  TOKEN_REVOKED: 403,
  TOKEN_WRONG_VISITOR: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;
export const ERROR_TYPES = Object.keys(ERROR_STATUS) as ErrorType[];

/** Extra machine-readable fields a caller (often a model) can act on, e.g. `current_version_hash`. */
export type ErrorDetails = Record<string, unknown>;

export interface ErrorBody {
  code: number;
  type: ErrorType;
  message: string;
  [detail: string]: unknown;
}

export class SitepubError extends Error {
  readonly type: ErrorType;
  readonly details: ErrorDetails;
  /** Only for the few HTTP-level cases the type table cannot express (400 for malformed JSON). */
  private readonly statusOverride: number | undefined;

  constructor(type: ErrorType, message: string, details: ErrorDetails = {}, statusOverride?: number) {
    super(message);
    this.name = 'SitepubError';
    this.type = type;
    this.details = details;
    this.statusOverride = statusOverride;
  }

  get status(): number {
    return this.statusOverride ?? ERROR_STATUS[this.type];
  }

  toBody(): ErrorBody {
    return { code: this.status, type: this.type, message: this.message, ...this.details };
  }
}

export const isSitepubError = (e: unknown): e is SitepubError => e instanceof SitepubError;

/** Shorthands keep call sites readable. */
export const notFound = (what: string, details?: ErrorDetails): SitepubError =>
  new SitepubError('NOT_FOUND', `${what} not found`, details);
export const invalid = (message: string, details?: ErrorDetails): SitepubError =>
  new SitepubError('VALIDATION_ERROR', message, details);

/**
 * The one mapping from anything thrown to the error body of docs/errors.md. Unknown errors become
 * INTERNAL with a generic message: stack traces and SQL never reach a caller.
 */
export function toErrorBody(e: unknown): ErrorBody {
  if (isSitepubError(e)) return e.toBody();
  return { code: 500, type: 'INTERNAL', message: 'Internal error. The request was not completed; retry or report it.' };
}
