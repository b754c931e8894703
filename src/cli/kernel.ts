/**
 * `percept kernel [--build] [--json]` (`npm run kernel`, `npm run build`)
 *
 * Makes notebooks runnable: registers the tslab kernelspec in .venv (without IPython), links `node_modules/percept`
 * and rebuilds the CommonJS notebook bundle when src/ changed. `--build` only rebuilds the bundle, always.
 */
import { parseCommandArgs, printJson } from './args.ts';
import { ensureBundle } from '../notebook/bundle.ts';
import { registerKernel } from '../notebook/kernel.ts';
import { projectRoot } from '../paths.ts';

const USAGE = 'percept kernel [--build] [--json]';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('kernel', args, { build: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const kernel = values.build ? null : registerKernel();
  const bundle = await ensureBundle(projectRoot(), values.build ?? false);
  if (values.json) {
    printJson({ kernel, bundle: bundle.file, rebuilt: bundle.rebuilt, seconds: bundle.seconds });
    return 0;
  }
  if (kernel !== null) process.stdout.write(`tslab kernel registered: ${kernel}\n`);
  process.stdout.write(
    `notebook bundle ${bundle.rebuilt ? `built (${bundle.reason}) in ${bundle.seconds.toFixed(1)} s` : 'up to date'}: ${bundle.file}\n`,
  );
  return 0;
}
