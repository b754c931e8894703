import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { venvDir } from '../setup/python_env.ts';

/** The tslab kernelspec percept registers inside its own Python environment (no global Jupyter state touched). */
export function kernelSpecFile(): string {
  return join(venvDir(), 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');
}

export interface KernelCheck {
  found: boolean;
  /** The kernelspec's file when found. */
  spec?: string;
  /** The fix when not found. */
  fix?: string;
}

/** Whether Jupyter (in .venv) and the tslab kernelspec pointing at this project's tslab are in place. */
export function checkKernel(): KernelCheck {
  const jupyter = join(venvDir(), 'bin', 'jupyter');
  const spec = kernelSpecFile();
  if (!existsSync(jupyter)) return { found: false, fix: 'npx percept setup --python jupyter (creates .venv with Jupyter)' };
  if (!existsSync(spec)) return { found: false, fix: 'npm run kernel (registers the tslab kernel)' };
  const argv = (JSON.parse(readFileSync(spec, 'utf8')) as { argv?: string[] }).argv ?? [];
  const tslab = argv.find((arg) => arg.includes('tslab'));
  if (tslab === undefined || !existsSync(tslab)) return { found: false, spec, fix: 'npm run kernel (the kernelspec points at a tslab that is gone)' };
  return { found: true, spec };
}
