/**
 * The tslab kernelspec, registered inside the project's own Python environment so that no global Jupyter state is
 * touched and no IPython is needed (tslab's own `tslab install` runs a Python script that imports IPython).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonOrUndefined } from '../json_file.ts';
import { writeJsonAtomic } from '../atomic.ts';
import { projectRoot } from '../paths.ts';
import { venvDir } from '../setup/python_env.ts';

/** The kernel's name in Jupyter (the folder under `share/jupyter/kernels/`) and in a notebook's metadata. */
export const KERNEL_NAME = 'tslab';

/** What a notebook's `metadata.kernelspec` carries, so JupyterLab and the runner pick this kernel. */
export const NOTEBOOK_KERNELSPEC = {
  name: KERNEL_NAME,
  display_name: 'TypeScript (tslab)',
  language: 'typescript',
} as const;

/** A Jupyter kernelspec file (jupyter_client's `kernel.json`). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
}

/** The tslab kernelspec percept registers inside its own Python environment (no global Jupyter state touched). */
export function kernelSpecFile(): string {
  return join(venvDir(), 'share', 'jupyter', 'kernels', KERNEL_NAME, 'kernel.json');
}

/** This project's tslab launcher (node_modules/tslab/bin/tslab). */
export function tslabBin(root = projectRoot()): string {
  return join(root, 'node_modules', 'tslab', 'bin', 'tslab');
}

/**
 * The kernelspec: the argv of tslab's own `install.py` (`tslab kernel --config-path {connection_file}`, split in
 * two arguments for yunabe/tslab#36), started by the Node that runs percept rather than by `#!/usr/bin/env node`,
 * so that JupyterLab launched from a shell with another Node on PATH still gets this one.
 *
 * @example
 * tslabKernelSpec('/work/percept').argv; // ['/usr/bin/node', '/work/percept/node_modules/tslab/bin/tslab', 'kernel', ...]
 */
export function tslabKernelSpec(root = projectRoot(), node = process.execPath): KernelSpec {
  return {
    argv: [node, tslabBin(root), 'kernel', '--config-path', '{connection_file}'],
    display_name: NOTEBOOK_KERNELSPEC.display_name,
    language: NOTEBOOK_KERNELSPEC.language,
  };
}

/**
 * Writes the kernelspec into `.venv/share/jupyter/kernels/tslab/` (where .venv's Jupyter looks first) and returns
 * its path.
 *
 * @example
 * registerKernel(); // '/work/percept/.venv/share/jupyter/kernels/tslab/kernel.json'
 */
export function registerKernel(): string {
  const file = kernelSpecFile();
  writeJsonAtomic(file, tslabKernelSpec());
  return file;
}

export interface KernelCheck {
  found: boolean;
  /** The kernelspec's file when found. */
  spec?: string;
  /** The fix when not found. */
  fix?: string;
}

/** The part of a Jupyter kernelspec (kernel.json) percept checks: the command that starts the kernel. */
const KERNEL_SPEC = z.looseObject({ argv: z.array(z.string()).optional() });

/** Whether Jupyter (in .venv) and the tslab kernelspec pointing at this project's tslab and an existing Node are in place. */
export function checkKernel(): KernelCheck {
  const jupyter = join(venvDir(), 'bin', 'jupyter');
  const spec = kernelSpecFile();
  if (!existsSync(jupyter))
    return { found: false, fix: 'npx percept setup --python jupyter (creates .venv with Jupyter)' };
  if (!existsSync(spec)) return { found: false, fix: 'npm run kernel (registers the tslab kernel)' };
  const argv = readJsonOrUndefined(spec, KERNEL_SPEC)?.argv ?? [];
  const tslab = argv.find((arg) => arg.includes('tslab'));
  if (tslab === undefined || !existsSync(tslab))
    return { found: false, spec, fix: 'npm run kernel (the kernelspec points at a tslab that is gone)' };
  const node = argv[0];
  if (node === undefined || !existsSync(node))
    return { found: false, spec, fix: 'npm run kernel (the kernelspec points at a Node that is gone)' };
  return { found: true, spec };
}
