import pino, { type Logger } from 'pino';

/**
 * Structured logs to stderr (stdout belongs to MCP over stdio). Secrets are redacted by path,
 * and callers log token ids and prefixes, never tokens.
 */
export function createLogger(level = process.env.SITEPUB_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
export type { Logger };
