import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCase } from './harness.ts';
import { torchScriptPeer, torchTrainPeer } from './torch_peer.ts';
import type { BenchCase } from './case.ts';
import { installedPython } from '../src/setup/python_env.ts';
import { projectRoot } from '../src/paths.ts';
import { needsTorch } from '../src/testing.ts';

const BIN = join(projectRoot(), 'src', 'cli', 'bin.mjs');
const spec = { arch: 'simple_cnn', input: 32, classes: 10, batch: 32 };
const budget = () => ({ warmup: 1, minSteps: 1, minSeconds: 0 });

test('percept setup --python lists torch among the valid groups', () => {
  const result = spawnSync(process.execPath, [BIN, 'setup', '--python', 'nonsense'], {
    encoding: 'utf8',
    env: { ...process.env, PERCEPT_SKIP_NATIVE: '1' },
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /--python nonsense: valid groups are keras, jupyter, torch/);
});

test('every train/*, epoch/* and predict/* case lists torch as a peer', () => {
  const result = spawnSync(process.execPath, [BIN, 'bench', '--list'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  // train/frozen-base/* times Keras's fit of a frozen base, which has no torch script.
  const lines = result.stdout
    .trim()
    .split('\n')
    .filter((line) => /^(train|epoch|predict)\//.test(line) && !line.startsWith('train/frozen-base/'));
  assert.equal(lines.length, 11);
  for (const line of lines) assert.match(line, /^\S+ .*peers: keras, torch\b/);
});

test('without .venv-torch every torch peer is unavailable with the setup command as its reason', async () => {
  const benchCase: BenchCase = {
    name: 'harness/torch-missing',
    unit: 'images/s',
    higherIsBetter: true,
    percept: async () => 1,
    peers: {
      train: torchTrainPeer(spec, budget),
      predict: torchScriptPeer('torch_predict.py', () => []),
      epoch: torchScriptPeer('torch_epoch.py', () => {
        throw new Error('the arguments are built after the venv check');
      }),
    },
  };
  const result = await runCase(benchCase, {
    profile: 'quick',
    python: undefined,
    torchPython: undefined,
    keep: false,
    log: () => {},
  });
  assert.deepEqual(result.peers, { train: null, predict: null, epoch: null });
  for (const reason of Object.values(result.unavailable ?? {}))
    assert.match(reason, /Fix: npx percept setup --python torch$/);
});

test(
  "torch_train.py builds percept's simple_cnn: the same parameter count as percept's model",
  needsTorch(),
  async () => {
    const { buildArchitecture } = await import('../src/models/index.ts');
    for (const input of [28, 32]) {
      const model = buildArchitecture('simple_cnn', { inputSize: input, classes: 10, includeTop: true, seed: 1 });
      const args = [
        join(projectRoot(), 'bench', 'peers', 'torch_train.py'),
        '--arch',
        'simple_cnn',
        '--input',
        String(input),
        '--channels',
        '1',
        '--batch',
        '4',
      ];
      const result = spawnSync(
        installedPython('torch')!,
        [...args, '--warmup', '0', '--min-steps', '1', '--min-seconds', '0', '--memory-format', 'contiguous'],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
      const figures = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
        value: number;
        params: number;
        memory_format: string;
      };
      assert.equal(figures.params, model.countParams());
      assert.equal(figures.memory_format, 'contiguous');
      assert.ok(figures.value > 0);
      model.dispose();
    }
  },
);
