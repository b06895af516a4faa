/** Errors the registry and `load` raise; `code` lets the CLI and callers tell them apart. */
export class GymnosError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GymnosError';
    this.code = code;
  }
}
