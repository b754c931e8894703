/**
 * `percept setup [--rebuild] [--require-native] [--gpu] [--system] [--python GROUP]... [--for-tests] [--quiet]`
 *
 * Runs after `npm install` (postinstall) and before `npm test`, so both work on a fresh machine:
 * - the native backend, offline (src/setup/native_backend.ts). It never fails an install over it: without it percept
 *   runs on pure JS and says so; `--require-native` (CI) makes that an error;
 * - the GPU build (src/setup/gpu_backend.ts) with `--gpu`, or by itself where an NVIDIA driver is loaded; asked for,
 *   a failure is an error, found by itself it is a warning (the CPU build still runs);
 * - `--system`: the Debian packages features need (apt-get when root, else the command to run);
 * - `--python keras|jupyter|torch|keras-gpu`: the project's venvs with those pinned groups (torch in `.venv-torch`,
 *   keras-gpu in `.venv-gpu`, both on demand);
 * - `--for-tests`: all of the above that the test suite needs (not torch: several GB for one optional bench peer).
 */
import { parseCommandArgs } from './args.ts';
import { ensureNativeBackend } from '../setup/native_backend.ts';
import { ensureGpuBackend } from '../setup/gpu_backend.ts';
import { noGpuReason, nvidiaDriver } from '../device.ts';
import { ensurePythonEnv, venvOf, type PythonGroup } from '../setup/python_env.ts';
import { ensureSystemPackages } from '../setup/system_packages.ts';
import { UserError, errorMessage } from '../errors.ts';
import { projectRoot } from '../paths.ts';

const USAGE =
  'percept setup [--rebuild] [--require-native] [--gpu] [--system] [--python keras|jupyter|torch|keras-gpu]... [--for-tests] [--quiet]';
const PYTHON_GROUPS: readonly PythonGroup[] = ['keras', 'jupyter', 'torch', 'keras-gpu'];
/** What `--for-tests` installs: torch is left out, the bench's torch peer is opt-in (`--python torch`). */
const TEST_GROUPS: readonly PythonGroup[] = ['keras', 'jupyter'];

function parsePythonGroups(values: readonly string[]): PythonGroup[] {
  for (const group of values) {
    if (!(PYTHON_GROUPS as readonly string[]).includes(group))
      throw new UserError(`--python ${group}: valid groups are ${PYTHON_GROUPS.join(', ')}`);
  }
  return values as PythonGroup[];
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'setup',
    args,
    {
      rebuild: { type: 'boolean' },
      'require-native': { type: 'boolean' },
      gpu: { type: 'boolean' },
      system: { type: 'boolean' },
      python: { type: 'string', multiple: true },
      'for-tests': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const forTests = values['for-tests'] ?? false;
  const pythonGroups = parsePythonGroups([...new Set([...(forTests ? TEST_GROUPS : []), ...(values.python ?? [])])]);
  const log = (line: string): void => void process.stderr.write(`percept setup: ${line}\n`);

  if (values.system || forTests) ensureSystemPackages(log);
  if (process.env['PERCEPT_SKIP_NATIVE'] === '1') {
    log('PERCEPT_SKIP_NATIVE=1: native backend setup skipped; percept runs on pure JS');
  } else {
    try {
      const status = ensureNativeBackend({ rebuild: values.rebuild ?? false, log });
      if (!values.quiet) log(`native backend ready (libtensorflow ${status.tfVersion})`);
    } catch (error) {
      const message = `native backend unavailable: ${errorMessage(error)}`;
      if (values['require-native']) throw new UserError(message);
      log(`WARNING: ${message}`);
      log(
        'percept will run on pure-JS TensorFlow.js, hundreds of times slower for convolutional training. Fix the cause above, then run: npx percept setup',
      );
    }
  }
  const driver = nvidiaDriver();
  if (values.gpu === true || (driver !== undefined && process.env['PERCEPT_SKIP_NATIVE'] !== '1')) {
    if (values.gpu !== true)
      log(`NVIDIA driver found (${driver}): setting up the GPU build too (about 2.1 GB to download once)`);
    try {
      const status = ensureGpuBackend({ rebuild: values.rebuild ?? false, log });
      if (!values.quiet)
        log(
          `GPU build ready (libtensorflow ${status.tfVersion}, ${status.gpu === true ? 'a GPU is in use' : `no GPU in use: ${noGpuReason(driver)}`})`,
        );
    } catch (error) {
      if (values.gpu === true) throw new UserError(`GPU build unavailable: ${errorMessage(error)}`);
      log(
        `WARNING: GPU build unavailable: ${errorMessage(error)}. percept runs on the CPU; fix the cause and run npx percept setup --gpu`,
      );
    }
  }
  for (const venv of new Set(pythonGroups.map(venvOf)))
    ensurePythonEnv(
      pythonGroups.filter((group) => venvOf(group) === venv),
      log,
    );
  if (pythonGroups.includes('jupyter')) {
    const { registerKernel } = await import('../notebook/kernel.ts');
    const registered = registerKernel();
    if (!values.quiet) log(`tslab kernel: ${registered}`);
  }
  // Notebooks import 'percept' from the CommonJS bundle (tslab cannot load the ESM sources: docs/ARCHITECTURE.md §7).
  const { ensureBundle } = await import('../notebook/bundle.ts');
  const bundle = await ensureBundle(projectRoot());
  if (bundle.rebuilt && !values.quiet)
    log(`notebook bundle built (${bundle.reason}) in ${bundle.seconds.toFixed(1)} s`);
  return 0;
}
