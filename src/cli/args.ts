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
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError(`${command}: ${(error as Error).message}\nUsage: ${usage}`);
  }
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
