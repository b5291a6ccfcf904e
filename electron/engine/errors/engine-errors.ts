/** Typed errors the engine raises for bad input; every message says what happened and what to do. Never a secret. */
export class ValidationError extends Error {
  override name = 'ValidationError'
  constructor(
    message: string,
    readonly fields: Array<{ field: string; message: string }> = [],
  ) {
    super(message)
  }
}

export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

export class ConflictError extends Error {
  override name = 'ConflictError'
}
