import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { seededRandom } from '../random.ts';
import { readRun } from '../runs/run_files.ts';

const root = tempDir('percept-resume-cli-');

function train(args: string[]) {
  return spawnSync(process.execPath, ['src/cli/bin.mjs', 'train', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

function writeConfig(name: string, config: object): string {
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, seed: 5, ...config }));
  return file;
}

/** Asserts that two parsed JSON values agree, numbers to 1e-6 (relative above 1), naming the first difference. */
function assertClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(
      Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
      `${where}: ${actual} vs ${expected}`,
    );
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: ${JSON.stringify(actual)} vs an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
    for (const [key, value] of Object.entries(expected))
      assertClose((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
  } else {
    assert.equal(actual, expected, where);
  }
}

/** Every logged number of every epoch (lr, stage and the logs; not the seconds, which no two runs share). */
function assertSameHistory(runDir: string, referenceDir: string): void {
  const strip = (dir: string) =>
    readRun(dir).history!.epochs.map(({ epoch, stage, lr, logs }) => ({ epoch, stage, lr, logs }));
  const expected = strip(referenceDir);
  assert.ok(expected.length > 0);
  assertClose(strip(runDir), expected, 'history');
}

let synth = '';

before(async () => {
  synth = join(root, 'synth');
  await synthesizeFaces({ out: synth, n: 160, size: 32, seed: 3 });
});

after(() => rmSync(root, { recursive: true, force: true }));

/**
 * Starts `percept train` on a pseudo-terminal (util-linux `script`), so that it draws its per-batch progress bar, and
 * kills it with SIGKILL as soon as the bar shows `batch` of `epoch` finished.
 */
async function killAtBatch(args: string[], epoch: number, batch: number): Promise<void> {
  const command = `echo pid $$; exec ${[process.execPath, 'src/cli/bin.mjs', 'train', ...args].map((arg) => `'${arg}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let output = '';
  let pid: number | undefined;
  let killed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    pid ??= Number(/pid (\d+)/.exec(output)?.[1]) || undefined;
    const bars = [...output.matchAll(/epoch (\d+)\/\d+ \[[= ]*\] (\d+)\//g)];
    const last = bars.at(-1);
    if (
      !killed &&
      pid !== undefined &&
      last !== undefined &&
      (Number(last[1]) > epoch || (Number(last[1]) === epoch && Number(last[2]) >= batch))
    ) {
      killed = true;
      process.kill(pid, 'SIGKILL');
    }
  });
  await exited;
  assert.ok(killed, `never reached epoch ${epoch} batch ${batch}; output:\n${output}`);
}

test('killed with SIGKILL at a random batch, a run resumed with --resume has the uninterrupted run history, metrics and total training time', async () => {
  const epochs = 3;
  const batchSize = 4;
  const config = writeConfig('exact', {
    data: {
      format: 'affectnet',
      path: synth,
      imageSize: 16,
      augment: { flip: true, rotation: 10, zoom: 0.1, brightness: 0.1, contrast: 0.1 },
    },
    model: { arch: 'simple_cnn', head: { dense: [16], dropout: 0.3 } },
    train: {
      batchSize,
      epochs,
      optimizer: { name: 'adamw', lr: 0.002, weightDecay: 0.01 },
      schedule: { name: 'cosine', minLr: 0 },
    },
  });
  const whole = train([config, '--out', join(root, 'whole')]);
  assert.equal(whole.status, 0, whole.stderr);
  const reference = join(root, 'whole', 'exact');
  const batches = Math.ceil(readRun(reference).split!.splits['train']!.count / batchSize);

  // Seeded, so that a failure reproduces; any epoch after the first (so that a checkpoint exists), any batch.
  const random = seededRandom(2026);
  const killEpoch = 2 + Math.floor(random() * (epochs - 1));
  const killBatch = 1 + Math.floor(random() * batches);
  const out = join(root, 'killed');
  await killAtBatch([config, '--out', out], killEpoch, killBatch);

  const resumed = train([config, '--out', out, '--resume', '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(
    (JSON.parse(resumed.stdout) as { resumedFrom: number }).resumedFrom,
    killEpoch - 1,
    `killed in epoch ${killEpoch} at batch ${killBatch}/${batches}`,
  );
  const run = join(out, 'exact');
  assertSameHistory(run, reference);
  assertClose(
    JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')),
    JSON.parse(readFileSync(join(reference, 'metrics.json'), 'utf8')),
    'metrics',
  );

  const { summary, history } = readRun(run);
  const epochSeconds = history!.epochs.reduce((sum, record) => sum + record.seconds, 0);
  assert.ok(
    summary.timings.trainSeconds >= epochSeconds,
    `trainSeconds ${summary.timings.trainSeconds} counts every epoch (${epochSeconds} s), not only the resumed ones`,
  );
  assert.ok(summary.timings.totalSeconds >= summary.timings.trainSeconds);
});

test('a damaged checkpoint is named and resume falls back to the previous intact one, or stops with a user error and the fix', async (t) => {
  const config = writeConfig('damage', {
    data: { format: 'affectnet', path: synth, imageSize: 16, limit: 48, augment: { flip: true } },
    model: { arch: 'simple_cnn', head: { dense: [8] } },
    train: { batchSize: 8, epochs: 2, optimizer: { name: 'adamw', lr: 0.002 } },
  });
  const finished = train([config, '--out', join(root, 'intact')]);
  assert.equal(finished.status, 0, finished.stderr);
  const reference = join(root, 'intact', 'damage');

  /** A copy of the finished run as a run killed after its last checkpoint, damaged, then resumed. */
  const resumeDamaged = (name: string, damage: (checkpoint: string) => void) => {
    const out = join(root, name);
    cpSync(reference, join(out, 'damage'), { recursive: true });
    rmSync(join(out, 'damage', 'summary.json'));
    damage(join(out, 'damage', 'checkpoint'));
    const result = train([config, '--out', out, '--resume', '--json']);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, 'no stack trace');
    return { ...result, run: join(out, 'damage') };
  };
  const truncate = (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2));
  const fallbacks: [string, (checkpoint: string) => void, RegExp][] = [
    [
      'truncated model.bin',
      (c) => truncate(join(c, 'epoch-0002', 'model.bin')),
      /epoch-0002\/model\.bin is damaged: \d+ bytes where .* records \d+/,
    ],
    [
      'truncated optimizer.bin',
      (c) => truncate(join(c, 'epoch-0002', 'optimizer.bin')),
      /epoch-0002\/optimizer\.bin is damaged/,
    ],
    // Same length, other bytes: decoding would accept it; only the checksum can tell.
    [
      'overwritten model.bin',
      (c) =>
        writeFileSync(
          join(c, 'epoch-0002', 'model.bin'),
          Buffer.alloc(statSync(join(c, 'epoch-0002', 'model.bin')).size, 7),
        ),
      /epoch-0002\/model\.bin is damaged: its SHA-256 differs/,
    ],
    [
      'garbage optimizer.json',
      (c) => writeFileSync(join(c, 'epoch-0002', 'optimizer.json'), 'garbage'),
      /epoch-0002\/optimizer\.json is damaged/,
    ],
    [
      'garbage state.json',
      (c) => writeFileSync(join(c, 'epoch-0002', 'state.json'), '{"epoch": tru'),
      /epoch-0002\/state\.json is damaged/,
    ],
  ];
  for (const [what, damage, named] of fallbacks) {
    await t.test(`${what}: falls back to epoch 1 and trains epoch 2 again`, () => {
      const result = resumeDamaged(what.replace(/\W+/g, '-'), damage);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, named);
      assert.match(result.stderr, /resuming from the newest intact checkpoint instead, \S*epoch-0001 \(epoch 1\)/);
      assert.equal((JSON.parse(result.stdout) as { resumedFrom: number }).resumedFrom, 1);
      assertSameHistory(result.run, reference);
    });
  }
  await t.test('garbage latest.json: named, and the newest intact epoch folder is used', () => {
    const result = resumeDamaged('garbage-latest', (c) => writeFileSync(join(c, 'latest.json'), '\0\0\0'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      /latest\.json is not valid JSON.*resuming from the newest intact checkpoint instead, \S*epoch-0002 \(epoch 2\)/,
    );
    assert.equal((JSON.parse(result.stdout) as { resumedFrom: number }).resumedFrom, 2);
  });
  await t.test('no intact checkpoint left: exit 1 naming the damage and --force', () => {
    const result = resumeDamaged('nothing-intact', (c) => {
      rmSync(join(c, 'epoch-0001'), { recursive: true });
      truncate(join(c, 'epoch-0002', 'model.bin'));
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /no intact checkpoint to resume from: .*epoch-0002\/model\.bin is damaged.*Fix: pass --force to start over/,
    );
  });
});
