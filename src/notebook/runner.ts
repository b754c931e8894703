/**
 * The headless notebook runner behind `percept notebooks`: each notebook runs through Jupyter's own execution client
 * (execute_notebook.py with .venv's Python) on the tslab kernel, with the repository root as working directory, the
 * profile and overrides in the kernel's environment, and the executed copy written whatever happens.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseJsonOrUndefined, readJsonFile } from '../json_file.ts';
import { venvPython } from '../setup/python_env.ts';
import { checkKernel, KERNEL_NAME } from './kernel.ts';
import { PARAMS_ENV, PROFILE_ENV, type Profile } from './params.ts';

const FAILURE_KINDS = ['error', 'timeout', 'dead-kernel'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailedCell {
  /** 0-based position in the notebook's cells (markdown cells count). */
  index: number;
  kind: FailureKind;
  /** The cell's first non-empty source line. */
  firstLine: string;
  /** One line: the error, the timeout or the kernel's death. */
  error: string;
}

export interface NotebookResult {
  /** The notebook, relative to the project root. */
  path: string;
  ok: boolean;
  seconds: number;
  /** The executed copy (outputs up to the failure when one failed). */
  executed: string;
  failedCell?: FailedCell;
  /** A failure outside any cell (the kernel did not start). */
  error?: string;
}

export interface RunOptions {
  root: string;
  profile: Profile;
  /** Overrides passed to the notebook's `parameters` cell (`notebookParams`). */
  params: Record<string, string>;
  /** Seconds a cell may run. */
  timeout: number;
  /** Folder for the executed copies. */
  outDir: string;
}

/** The last line execute_notebook.py prints. */
const DRIVER_RESULT = z.object({
  ok: z.boolean(),
  seconds: z.number(),
  failedCell: z
    .object({
      index: z.number().int().min(0).nullable(),
      kind: z.enum(FAILURE_KINDS),
      stderr: z.string(),
      ename: z.string().optional(),
      evalue: z.string().optional(),
    })
    .optional(),
  error: z.string().optional(),
});
type DriverResult = z.infer<typeof DRIVER_RESULT>;

/** The part of a notebook file (nbformat 4) that a failure report quotes. */
const NOTEBOOK_CELLS = z.looseObject({
  cells: z.array(z.looseObject({ source: z.union([z.string(), z.array(z.string())]) })),
});

const STARTUP_TIMEOUT_S = 60;

/** Relative to the project root when inside it, else absolute. */
function displayPath(root: string, file: string): string {
  const path = relative(root, resolve(file));
  return path.startsWith('..') ? resolve(file) : path;
}

/**
 * A regular expression for a file-name glob: `*` any run of characters, `?` one, `[...]` a set.
 *
 * @example
 * globToRegExp('0[1-3]*').test('02-resnet.ipynb'); // true
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') pattern += '.*';
    else if (char === '?') pattern += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) throw new UserError(`--only ${glob}: '[' without ']'. Fix: close the set, e.g. 0[1-3]*`);
      pattern += `[${glob
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else pattern += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

/**
 * The notebooks to run: each path is a notebook or a folder (its `*.ipynb`, sorted); `only` keeps those whose file
 * name matches the glob. Throws a user error when a path is missing or nothing is left.
 *
 * @example
 * findNotebooks(['notebooks'], '0[0-2]*'); // ['notebooks/00-data.ipynb', 'notebooks/01-mobilenet_v2.ipynb', ...]
 */
export function findNotebooks(paths: readonly string[], only?: string): string[] {
  const found: string[] = [];
  for (const path of paths) {
    if (!existsSync(path))
      throw new UserError(`${path}: no such notebook or folder. Fix: pass a .ipynb file or a folder of them`);
    if (statSync(path).isDirectory()) {
      found.push(
        ...readdirSync(path)
          .filter((name) => name.endsWith('.ipynb'))
          .sort()
          .map((name) => join(path, name)),
      );
    } else if (path.endsWith('.ipynb')) found.push(path);
    else throw new UserError(`${path}: not a notebook (.ipynb). Fix: pass a .ipynb file or a folder of them`);
  }
  const matcher = only === undefined ? undefined : globToRegExp(only);
  const selected = matcher === undefined ? found : found.filter((file) => matcher.test(basename(file)));
  if (selected.length === 0) {
    throw new UserError(
      `no notebook in ${paths.join(', ')}${only === undefined ? '' : ` matches --only ${only}`}. Fix: check the paths${only === undefined ? '' : ' and the glob'}`,
    );
  }
  return selected;
}

/** The first non-empty line of a cell's source, at most 80 characters. */
export function firstLine(source: string): string {
  const line =
    source
      .split('\n')
      .find((text) => text.trim() !== '')
      ?.trim() ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

const ERROR_LINE =
  /^(?:Uncaught |UnhandledPromiseRejection: )?[A-Za-z_$][\w$]*(?:Error|Exception|Rejection)\b(?: \[[\w_]+\])?:? .*/;
const DIAGNOSTIC_LINE = /^\d+:\d+ - .+/;

/**
 * One line from a failed cell's stderr as tslab writes it: TypeScript diagnostics (`1:5 - Type 'string' is not
 * assignable…`) for a cell that does not compile, else the `Name: message` line of a thrown error.
 *
 * @example
 * summarizeError("evalmachine.<anonymous>:2\nthrow new Error('boom');\n^\n\nError: boom\n    at …"); // 'Error: boom'
 */
export function summarizeError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const diagnostics = lines.filter((line) => DIAGNOSTIC_LINE.test(line));
  if (diagnostics.length > 0)
    return `TypeScript: ${diagnostics.slice(0, 3).join('; ')}${diagnostics.length > 3 ? ` (+${diagnostics.length - 3} more)` : ''}`;
  const thrown = lines.find((line) => ERROR_LINE.test(line));
  if (thrown !== undefined) return thrown;
  const rest = lines.filter(
    (line) => !/^\s+at /.test(line) && !/^\s*\^+\s*$/.test(line) && !/^evalmachine\./.test(line),
  );
  return rest.at(-1) ?? 'the cell failed without a message';
}

function failureText(failed: NonNullable<DriverResult['failedCell']>, timeout: number): string {
  switch (failed.kind) {
    case 'timeout':
      return `CellTimeoutError: the cell ran past the ${timeout} s timeout (--timeout)`;
    case 'dead-kernel':
      return 'DeadKernelError: the kernel died while the cell ran (killed, crashed or out of memory)';
    case 'error':
      return summarizeError(failed.stderr);
  }
}

function runDriver(root: string, job: object, env: NodeJS.ProcessEnv): Promise<DriverResult> {
  const driver = join(root, 'src', 'notebook', 'execute_notebook.py');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(venvPython(root), [driver, JSON.stringify(job)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const result =
        code === 0 ? parseJsonOrUndefined(stdout.trim().split('\n').at(-1) ?? '', DRIVER_RESULT) : undefined;
      if (result !== undefined) resolvePromise(result);
      else reject(new Error(`execute_notebook.py exited ${code}: ${stderr.trim().split('\n').slice(-8).join('\n')}`));
    });
  });
}

/** Fails with the fix when the Python client or the kernelspec is missing. */
export function checkRunnerPrerequisites(root: string): void {
  if (!existsSync(venvPython(root)))
    throw new UserError(
      `${venvPython(root)} missing: the runner needs Jupyter's client. Fix: npx percept setup --python jupyter`,
    );
  const kernel = checkKernel();
  if (!kernel.found) throw new UserError(`the tslab kernel is not registered. Fix: ${kernel.fix ?? 'npm run kernel'}`);
}

/**
 * Executes one notebook and returns its result; the executed copy goes to `outDir/<name>.ipynb`.
 *
 * @example
 * const result = await runNotebook('notebooks/00-data.ipynb', { root, profile: 'quick', params: {}, timeout: 600, outDir: 'reports/notebooks' });
 */
export async function runNotebook(notebook: string, options: RunOptions): Promise<NotebookResult> {
  const path = displayPath(options.root, notebook);
  const executed = join(options.outDir, basename(notebook));
  const job = {
    notebook: resolve(notebook),
    output: resolve(executed),
    cwd: options.root,
    kernel: KERNEL_NAME,
    timeout: options.timeout,
    startupTimeout: STARTUP_TIMEOUT_S,
    metadata: { profile: options.profile, params: options.params, executedAt: new Date().toISOString() },
  };
  const env = { ...process.env, [PROFILE_ENV]: options.profile, [PARAMS_ENV]: JSON.stringify(options.params) };
  const result = await runDriver(options.root, job, env);
  const base = {
    path,
    ok: result.ok,
    seconds: Math.round(result.seconds * 100) / 100,
    executed: displayPath(options.root, executed),
  };
  const failed = result.failedCell;
  // No index: the kernel died or timed out before any cell ran.
  if (failed !== undefined && failed.index === null)
    return { ...base, error: `${failed.kind}: ${failed.evalue ?? failed.ename ?? 'before the first cell'}` };
  if (failed !== undefined && failed.index !== null) {
    const { cells } = readJsonFile(resolve(notebook), NOTEBOOK_CELLS, 'give a Jupyter notebook (.ipynb, nbformat 4)');
    const source = cells[failed.index]?.source ?? '';
    return {
      ...base,
      failedCell: {
        index: failed.index,
        kind: failed.kind,
        firstLine: firstLine(Array.isArray(source) ? source.join('') : source),
        error: failureText(failed, options.timeout),
      },
    };
  }
  return result.error === undefined ? base : { ...base, error: result.error };
}

/**
 * The report line of a failure: notebook, cell index, the cell's first line, the error.
 *
 * @example
 * failureReport(result); // "notebooks/x.ipynb: cell 2 failed (`throw new Error('boom')`): Error: boom"
 */
export function failureReport(result: NotebookResult): string {
  if (result.failedCell === undefined) return `${result.path}: ${result.error ?? 'failed'}`;
  const cell = result.failedCell;
  return `${result.path}: cell ${cell.index} failed (\`${cell.firstLine}\`): ${cell.error}`;
}
