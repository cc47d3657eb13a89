/** A command line sitepub cannot act on: printed without a stack, exit code 2. */
export class UsageError extends Error {}
