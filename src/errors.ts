/**
 * A problem the user can fix: bad input, a missing file, a wrong setting.
 * The CLI prints its message (which names the file or field and the fix) and exits 1,
 * where any other error is an internal one and exits 2 (docs/ARCHITECTURE.md §3).
 *
 * @example
 * throw new UserError(`${path}: no usable item. Fix: point data.path at an AffectNet-layout folder`);
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Message of any thrown value, without a stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
