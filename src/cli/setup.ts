/**
 * `percept setup [--rebuild] [--require-native] [--python GROUP...] [--quiet]`
 * Runs after `npm install` (postinstall) and before `npm test`: makes the native backend work offline and,
 * on request, the Python environment. It never fails an install over the native backend: without it percept
 * runs on pure JS and says so; `--require-native` (CI) turns that into an error.
 */
import { parseCommandArgs } from './args.ts';
import { ensureNativeBackend } from '../setup/native_backend.ts';
import { ensurePythonEnv, type PythonGroup } from '../setup/python_env.ts';
import { UserError, errorMessage } from '../errors.ts';

const USAGE = 'percept setup [--rebuild] [--require-native] [--python keras|jupyter]... [--quiet]';
const PYTHON_GROUPS: readonly PythonGroup[] = ['keras', 'jupyter'];

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('setup', args, {
    rebuild: { type: 'boolean' },
    'require-native': { type: 'boolean' },
    python: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`percept setup: ${line}\n`);
  if (process.env['PERCEPT_SKIP_NATIVE'] === '1') {
    log('PERCEPT_SKIP_NATIVE=1: native backend setup skipped; percept runs on pure JS');
  } else {
    try {
      const status = ensureNativeBackend({ rebuild: values.rebuild ?? false, log });
      if (!values.quiet) log(`native backend ready (libtensorflow ${status.tfVersion})`);
    } catch (error) {
      const message = `native backend unavailable: ${errorMessage(error)}`;
      if (values['require-native']) throw new UserError(message);
      log(`WARNING: ${message}\npercept setup: percept will run on pure-JS TensorFlow.js, typically 10-50x slower. Fix the cause above, then run: npx percept setup`);
    }
  }
  for (const group of values.python ?? []) {
    if (!(PYTHON_GROUPS as readonly string[]).includes(group)) throw new UserError(`--python ${group}: valid groups are ${PYTHON_GROUPS.join(', ')}`);
  }
  if ((values.python ?? []).length > 0) ensurePythonEnv(values.python as PythonGroup[], log);
  return 0;
}
