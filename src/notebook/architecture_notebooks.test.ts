import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeImage } from '../data/test_fixtures.ts';
import { needsPython } from '../testing.ts';
import { ARCHITECTURE_NOTEBOOKS, architectureNotebookText } from './architecture_notebooks.ts';

const BIN = new URL('../cli/bin.mjs', import.meta.url).pathname;
const NOTEBOOKS = new URL('../../notebooks/', import.meta.url).pathname;

test('the committed architecture notebooks are exactly what their one template makes (edit the template, then npm run notebooks:generate)', () => {
  assert.equal(ARCHITECTURE_NOTEBOOKS.length, 7);
  for (const spec of ARCHITECTURE_NOTEBOOKS) {
    assert.equal(
      readFileSync(join(NOTEBOOKS, spec.file), 'utf8'),
      architectureNotebookText(spec),
      `${spec.file} differs from its template`,
    );
  }
  const parameters = JSON.parse(architectureNotebookText(ARCHITECTURE_NOTEBOOKS[0]!)) as {
    cells: { metadata: { tags?: string[] }; source: string[] }[];
  };
  const cell = parameters.cells.find((entry) => entry.metadata.tags?.includes('parameters'))!.source.join('');
  for (const name of ['data', 'format', 'weights', 'size', 'epochs', 'zeroInitResidual'])
    assert.match(cell, new RegExp(`\\b${name}: `), `parameter ${name}`);
});

test(
  'an architecture notebook trains on the data, format and settings passed with percept notebooks --set',
  needsPython('nbclient'),
  async () => {
    const dir = tempDir('percept-nb-params-');
    try {
      for (const [label, rgb] of [
        ['cat', [200, 40, 40]],
        ['dog', [40, 40, 200]],
      ] as const) {
        mkdirSync(join(dir, 'photos', label), { recursive: true });
        for (let i = 0; i < 12; i++)
          await writeImage(join(dir, 'photos', label, `${i}.png`), {
            width: 40,
            height: 40,
            rgb: [rgb[0] + i, rgb[1], rgb[2]],
            png: true,
          });
      }
      const args = [
        'notebooks',
        join(NOTEBOOKS, '03-resnet18.ipynb'),
        '--profile',
        'quick',
        '--json',
        '--out',
        join(dir, 'executed'),
      ];
      for (const set of [
        `data=${join(dir, 'photos')}`,
        'format=imagefolder',
        'size=32',
        'epochs=2',
        'zeroInitResidual=true',
      ])
        args.push('--set', set);
      const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(result.status, 0, result.stdout + result.stderr.split('\n').slice(-20).join('\n'));
      const executed = readFileSync(join(dir, 'executed', '03-resnet18.ipynb'), 'utf8');
      // The notebook ran the experiment the parameters describe: the config its run saved.
      assert.match(executed, /nb_resnet18_quick/);
      const run = JSON.parse(readFileSync('runs/notebooks/nb_resnet18_quick/config.json', 'utf8')) as {
        data: { format: string; path: string; imageSize: number };
        model: { zeroInitResidual: boolean };
        train: { epochs: number };
      };
      assert.deepEqual(
        [run.data.format, run.data.path, run.data.imageSize, run.model.zeroInitResidual, run.train.epochs],
        ['imagefolder', join(dir, 'photos'), 32, true, 2],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
