/**
 * `percept notebooks` run as a process on fixture notebooks: a passing one with every display helper, and the four
 * bad inputs of issue 7 (syntax error, thrown error, infinite loop, killed kernel), each with the failure report and
 * an executed copy that keeps the outputs up to the failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsPython } from '../testing.ts';
import { projectRoot } from '../paths.ts';
import { VEGA_LITE_MIME } from './display.ts';
import type { NotebookResult } from './runner.ts';

const root = projectRoot();
const fixtures = join(root, 'src', 'notebook', 'fixtures');

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: Output[] }[];
  metadata: { percept?: Record<string, unknown> };
}

function runCli(
  fixture: string,
  ...args: string[]
): { status: number | null; stderr: string; results: NotebookResult[]; executed: Notebook } {
  const out = mkdtempSync(join(tmpdir(), 'percept-notebooks-'));
  try {
    const result = spawnSync(
      process.execPath,
      [join(root, 'src', 'cli', 'bin.mjs'), 'notebooks', join(fixtures, fixture), '--out', out, '--json', ...args],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const executed = JSON.parse(readFileSync(join(out, fixture), 'utf8')) as Notebook;
    return {
      status: result.status,
      stderr: result.stderr,
      results: JSON.parse(result.stdout) as NotebookResult[],
      executed,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const text = (output: Output): string => (Array.isArray(output.text) ? output.text.join('') : (output.text ?? ''));

function assertFailure(
  fixture: string,
  index: number,
  kind: string,
  firstLine: string,
  error: RegExp,
  ...args: string[]
): void {
  const { status, stderr, results, executed } = runCli(fixture, ...args);
  assert.equal(status, 1, stderr);
  assert.equal(results.length, 1);
  const [result] = results;
  assert.equal(result!.ok, false);
  assert.equal(result!.failedCell?.index, index);
  assert.equal(result!.failedCell?.kind, kind);
  assert.equal(result!.failedCell?.firstLine, firstLine);
  assert.match(result!.failedCell?.error ?? '', error);
  assert.match(stderr, new RegExp(`FAIL .*${fixture}: cell ${index} failed`));
  // The outputs before the failure are kept; the cells after it never ran.
  assert.equal(text(executed.cells[0]!.outputs![0]!), 'before the failure\n');
  assert.deepEqual(executed.cells.at(-1)!.outputs, []);
  assert.equal(executed.metadata.percept?.['ok'], false);
}

test('a syntax error fails the run at its cell with the TypeScript diagnostic', needsPython('nbclient'), () => {
  assertFailure('syntax_error.ipynb', 2, 'error', 'const broken = (1 +;', /^TypeScript: 1:20 - Expression expected\.$/);
});

test('a thrown error fails the run with its name and message', needsPython('nbclient'), () => {
  assertFailure('thrown_error.ipynb', 1, 'error', 'function fail(): never {', /^RangeError: fixture failure$/);
});

test(
  'an infinite loop is stopped by the per-cell timeout and reported as CellTimeoutError',
  needsPython('nbclient'),
  () => {
    assertFailure(
      'infinite_loop.ipynb',
      1,
      'timeout',
      'while (true) {}',
      /^CellTimeoutError: .*3 s timeout/,
      '--timeout',
      '3',
    );
  },
);

test('a killed kernel is reported as DeadKernelError', needsPython('nbclient'), () => {
  assertFailure('killed_kernel.ipynb', 1, 'dead-kernel', "process.kill(process.pid, 'SIGKILL');", /^DeadKernelError: /);
});

test(
  'a passing notebook gets its parameters, a native Vega-Lite chart with SVG fallback, a table and a progress display',
  needsPython('nbclient'),
  () => {
    const { status, stderr, results, executed } = runCli('display.ipynb', '--profile', 'quick', '--set', 'epochs=3');
    assert.equal(status, 0, stderr);
    assert.equal(results[0]!.ok, true);
    const outputs = (index: number): Output[] => executed.cells[index]!.outputs ?? [];
    assert.ok(outputs(1).some((output) => text(output).includes('{"epochs":3,"label":"q","profile":"quick"}')));
    const table = outputs(2)[0]!.data!;
    assert.match(String(table['text/html']), /<caption>fixture<\/caption>.*<td>a&#60;b<\/td>/);
    const chart = outputs(3)[0]!.data!;
    // A JSON object, not a string: a string is double-encoded and does not render (docs/ARCHITECTURE.md §7).
    assert.equal(typeof chart[VEGA_LITE_MIME], 'object');
    assert.equal((chart[VEGA_LITE_MIME] as { title: string }).title, 'fixture chart');
    assert.match(String(chart['image/svg+xml']), /^<svg[^>]*>.*<path/s);
    // Updates replaced the display in place: one output, showing the end of the third epoch.
    const progress = outputs(4);
    assert.equal(progress.length, 1);
    assert.match(String(progress[0]!.data!['text/plain']), /^100% epoch 3\/3 · done/);
  },
);
