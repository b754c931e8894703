import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs with percept's conventions: unknown flags are user errors that name the command's usage.
 *
 * @example
 * const { values, positionals } = parseCommandArgs('doctor', args, { json: { type: 'boolean' } }, 'percept doctor [--json]');
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, usage: string) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UserError(`${command}: ${(error as Error).message}\nUsage: ${usage}`);
  }
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * A flag that takes a positive integer, or undefined when it was not given; anything else is a user error naming the
 * command's usage (the CLI prefixes the command's name).
 *
 * @example
 * positiveIntFlag('input', values.input, USAGE); // 224 for --input 224
 */
export function positiveIntFlag(flag: string, value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UserError(`--${flag} '${value}' is not a positive integer. Usage: ${usage}`);
  return n;
}
