import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { needsPython } from '../testing.ts';

const BIN = new URL('../cli/bin.mjs', import.meta.url).pathname;
const NOTEBOOKS = new URL('../../notebooks/', import.meta.url).pathname;

interface NotebookResult {
  path: string;
  ok: boolean;
  seconds: number;
  failedCell?: unknown;
}

test(
  'every notebook runs headless on the real tslab kernel in the quick profile, as CI does',
  needsPython('nbclient'),
  () => {
    const result = spawnSync(process.execPath, [BIN, 'notebooks', '--profile', 'quick', '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const expected = readdirSync(NOTEBOOKS)
      .filter((file) => file.endsWith('.ipynb'))
      .sort();
    assert.deepEqual(expected.slice(0, 2), ['00-data.ipynb', '01-mobilenet_v2.ipynb']);
    assert.equal(expected.length, 10);
    assert.equal(result.status, 0, result.stdout + result.stderr.split('\n').slice(-20).join('\n'));
    const results = JSON.parse(result.stdout) as NotebookResult[];
    assert.deepEqual(results.map((entry) => entry.path.split('/').pop()).sort(), expected);
    for (const entry of results) assert.ok(entry.ok, `${entry.path} failed: ${JSON.stringify(entry.failedCell)}`);
  },
);
