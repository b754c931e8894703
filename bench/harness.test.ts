import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatResults, matchesGlob, median, ratioOf, runCase, type CaseResult } from './harness.ts';
import type { BenchCase } from './case.ts';
import { needsPython, needsTorch } from '../src/testing.ts';

const quiet = { profile: 'quick' as const, python: undefined, keep: false, log: () => {} };

test('ratios are oriented so that > 1 means percept is better', () => {
  assert.equal(ratioOf(50, 25, true), 2);
  assert.equal(ratioOf(2, 4, false), 2);
});

test('median: the middle figure, or the mean of the two middle ones', () => {
  assert.equal(median([5]), 5);
  assert.equal(median([3, 100, 1]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
});

test('--only globs: * stays within a path segment, ** crosses them', () => {
  assert.ok(matchesGlob('train/small_cnn/32', 'train/**'));
  assert.ok(matchesGlob('train/small_cnn/32', 'train/*/32'));
  assert.ok(!matchesGlob('train/small_cnn/32', 'train/*'));
  assert.ok(matchesGlob('data/decode/96', 'data/decode/96'));
  assert.ok(!matchesGlob('data/decode/960', 'data/decode/96'));
});

test('a case reports percept, every peer and the ratios; a failing peer is unavailable with its reason, not fatal', async () => {
  const benchCase: BenchCase = {
    name: 'harness/check',
    unit: 'images/s',
    higherIsBetter: true,
    percept: async (context) => {
      assert.equal(context.profile, 'quick');
      return 30;
    },
    peers: {
      keras: async () => 40,
      broken: async () => {
        throw new Error('no python');
      },
    },
  };
  const result = await runCase(benchCase, quiet);
  assert.deepEqual(result.peers, { keras: 40, broken: null });
  assert.equal(result.ratio['keras'], 0.75);
  assert.equal(result.ratio['broken'], null);
  assert.deepEqual(result.unavailable, { broken: 'no python' });
  const table = formatResults([result]);
  assert.match(table, /harness\/check\s+images\/s\s+30\.0\s+keras\s+40\.0\s+0\.75x/);
  assert.match(table, /broken\s+n\/a\s+n\/a/);
  assert.deepEqual(result.samples, { percept: [30], keras: [40], broken: [] });
});

/** A measurement that returns the next figure of `figures` at each call and records the order of calls in `calls`. */
function sequence(name: string, figures: number[], calls: string[]): () => Promise<number> {
  let next = 0;
  return async () => {
    calls.push(name);
    const figure = figures[next++];
    if (figure === undefined) throw new Error(`${name}: no figure left`);
    return figure;
  };
}

test('repeats alternate percept and the peers, and ratios are median against median with every figure kept', async () => {
  const calls: string[] = [];
  const benchCase: BenchCase = {
    name: 'harness/repeats',
    unit: 's',
    higherIsBetter: false,
    percept: sequence('percept', [10, 30, 12], calls),
    peers: { keras: sequence('keras', [20, 26, 24], calls), torch: sequence('torch', [9, 100], calls) },
  };
  const result = await runCase(benchCase, { ...quiet, repeats: 3 });
  assert.deepEqual(calls, ['percept', 'keras', 'torch', 'percept', 'keras', 'torch', 'percept', 'keras', 'torch']);
  assert.equal(result.percept, 12);
  assert.equal(result.peers['keras'], 24);
  assert.equal(result.ratio['keras'], 2);
  // A peer failing in a later repeat is unavailable: its median would rest on fewer repeats than percept's.
  assert.equal(result.peers['torch'], null);
  assert.match(result.unavailable!['torch']!, /no figure left/);
  assert.deepEqual(result.samples, { percept: [10, 30, 12], keras: [20, 26, 24], torch: [9, 100] });
  assert.match(
    formatResults([result]),
    /harness\/repeats\s+s\s+12\.0 \(10\.0\.\.30\.0\)\s+keras\s+24\.0 \(20\.0\.\.26\.0\)\s+2\.00x/,
  );
});

const BIN = new URL('../src/cli/bin.mjs', import.meta.url).pathname;

test('percept bench --only with no matching case is a user error listing the cases', () => {
  const result = spawnSync(process.execPath, [BIN, 'bench', '--only', 'nothing/*'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /--only nothing\/\* matches no case\. Cases: train\/mobilenet_v2\/96, train\/simple_cnn\/32/,
  );
});

// torch is opt-in (needsTorch): npm test's set-up does not install it.
for (const [peer, requirement] of [
  ['keras', needsPython('tensorflow')],
  ['torch', needsTorch()],
] as const) {
  test(`percept bench --peer ${peer} runs a real case and prints the JSON contract`, requirement, () => {
    const result = spawnSync(
      process.execPath,
      [BIN, 'bench', '--only', 'train/simple_cnn/32', '--peer', peer, '--profile', 'quick', '--json'],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    const { cases } = JSON.parse(result.stdout) as {
      cases: {
        case: string;
        unit: string;
        percept: number;
        peers: Record<string, number>;
        ratio: Record<string, number>;
      }[];
    };
    assert.equal(cases.length, 1);
    const [measured] = cases;
    assert.equal(measured!.case, 'train/simple_cnn/32');
    assert.equal(measured!.unit, 'images/s');
    assert.deepEqual(Object.keys(measured!.peers), [peer]);
    assert.ok(measured!.percept > 0 && measured!.peers[peer]! > 0);
    assert.ok(Math.abs(measured!.ratio[peer]! - measured!.percept / measured!.peers[peer]!) < 1e-9);
  });
}

/** Runs `percept bench` on one case in quick profile against Keras and checks the JSON contract; returns the case. */
function benchAgainstKeras(caseName: string, unit: string): CaseResult {
  const result = spawnSync(
    process.execPath,
    [BIN, 'bench', '--only', caseName, '--peer', 'keras', '--profile', 'quick', '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  const { repeats, cases } = JSON.parse(result.stdout) as { repeats: number; cases: CaseResult[] };
  assert.equal(repeats, 1);
  assert.equal(cases.length, 1);
  const [measured] = cases;
  assert.equal(measured!.case, caseName);
  assert.equal(measured!.unit, unit);
  assert.ok(measured!.percept > 0 && measured!.peers['keras']! > 0, JSON.stringify(measured));
  assert.ok(Math.abs(measured!.ratio['keras']! - measured!.percept / measured!.peers['keras']!) < 1e-9);
  assert.deepEqual(measured!.samples, { percept: [measured!.percept], keras: [measured!.peers['keras']] });
  return measured!;
}

test('percept bench runs a real case against Keras and prints the JSON contract', needsPython('tensorflow'), () => {
  benchAgainstKeras('train/simple_cnn/32', 'images/s');
});

test('the epoch case trains a whole epoch from an image folder on both sides', needsPython('tensorflow'), () => {
  benchAgainstKeras('epoch/imagefolder/mobilenet_v2/96', 'images/s');
});

test('the predict case predicts through the run prediction path and Keras predict', needsPython('tensorflow'), () => {
  benchAgainstKeras('predict/mobilenet_v2/224', 'images/s');
});
