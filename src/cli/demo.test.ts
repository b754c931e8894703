import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsChromium } from '../testing.ts';
import { FASHION_MNIST_DIR } from '../setup/system_packages.ts';

const BIN = new URL('./bin.mjs', import.meta.url).pathname;

interface DemoJson {
  pdf: string;
  html: string;
  pages: number;
  seconds: number;
  runs: { section: string; name: string; dir: string; reused: boolean }[];
}

function demo(out: string): DemoJson {
  const result = spawnSync(
    process.execPath,
    [BIN, 'demo', '--profile', 'quick', '--out', join(out, 'runs'), '--report', join(out, 'demo.pdf'), '--json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(result.status, 0, result.stderr.split('\n').slice(-20).join('\n'));
  assert.match(result.stderr, /percept demo: \[1\/\d+\] faces: faces_mobilenet_v2/);
  return JSON.parse(result.stdout) as DemoJson;
}

test(
  'npm run demo (quick profile) trains every section, writes the PDF and HTML, and a second run reuses every run',
  needsChromium(),
  () => {
    const out = mkdtempSync(join(tmpdir(), 'percept-demo-'));
    try {
      const first = demo(out);
      const sections = new Set(first.runs.map((run) => run.section));
      // Fashion-MNIST is trained when Debian's dataset-fashion-mnist is installed (CI installs it).
      const expected = existsSync(FASHION_MNIST_DIR)
        ? ['faces', 'fashion', 'series', 'transfer']
        : ['faces', 'series', 'transfer'];
      assert.deepEqual([...sections].sort(), expected);
      for (const name of [
        'faces_mobilenet_v2',
        'faces_resnet18',
        'faces_vgg16',
        'faces_simple_cnn',
        'transfer_scratch',
        'transfer_frozen',
        'transfer_finetune',
        'series_lstm',
      ]) {
        assert.ok(
          first.runs.some((run) => run.name === name),
          `${name} is part of the demo`,
        );
      }
      assert.ok(first.runs.every((run) => !run.reused && existsSync(join(run.dir, 'metrics.json'))));
      assert.ok(existsSync(first.pdf) && existsSync(first.html));
      assert.ok(first.pages >= 10, `${first.pages} pages`);
      const text = spawnSync('pdftotext', ['-layout', first.pdf, '-'], { encoding: 'utf8' }).stdout;
      for (const heading of [
        'Network Details',
        'Dataset Splits',
        'Training Graphs',
        'Performance Measures',
        'Comparison of Architectures',
        'Time Series',
        'Discussion',
      ]) {
        assert.match(text, new RegExp(heading), `the report has ${heading}`);
      }
      assert.match(text, /faces_densenet121/);

      const second = demo(out);
      assert.ok(
        second.runs.every((run) => run.reused),
        'every run is reused the second time',
      );
      assert.ok(second.seconds < first.seconds / 2, `second run ${second.seconds} s vs first ${first.seconds} s`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
