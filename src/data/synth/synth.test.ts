import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../random.ts';
import { openDataset } from '../open.ts';
import { tempDir } from '../test_fixtures.ts';
import { annotate, classCounts, NEIGHBOURS, sampleAffect } from './expressions.ts';
import { synthesizeFaces } from './index.ts';

test('class counts follow AffectNet: Happy then Neutral most frequent, Contempt rarest, summing to n', () => {
  for (const n of [1, 37, 4000, 20000])
    assert.equal(
      classCounts(n).reduce((a, b) => a + b, 0),
      n,
    );
  const counts = classCounts(4000);
  const order = counts
    .map((count, label) => [count, label])
    .sort((a, b) => b[0]! - a[0]!)
    .map(([, label]) => label);
  assert.deepEqual(order.slice(0, 2), [1, 0]);
  assert.equal(order.at(-1), 7);
});

test('about 10% of labels move, always to a neighbour; valence/arousal sit on the circumplex', () => {
  const random = seededRandom(3);
  const moves: [number, number][] = [];
  for (let i = 0; i < 8000; i++) {
    const label = i % 8;
    const annotated = annotate(label, 0.1, random);
    if (annotated !== label) moves.push([label, annotated]);
  }
  const moved = moves.length;
  assert.ok(moved > 700 && moved < 900, `moved ${moved} of 8000`);
  assert.deepEqual(
    moves.filter(([label, annotated]) => !NEIGHBOURS[label]!.includes(annotated)),
    [],
  );
  const mean = (label: number, key: 'valence' | 'arousal') => {
    let sum = 0;
    for (let i = 0; i < 500; i++) sum += sampleAffect(label, 0.9, random)[key];
    return sum / 500;
  };
  assert.ok(mean(1, 'valence') > 0.4, 'Happy is positive');
  assert.ok(mean(2, 'valence') < -0.4 && mean(2, 'arousal') < -0.1, 'Sad is negative and calm');
  assert.ok(mean(3, 'arousal') > 0.5, 'Surprise is aroused');
  assert.ok(Math.abs(mean(0, 'valence')) < 0.05, 'Neutral is centred');
});

test('synthesizeFaces writes a deterministic AffectNet-layout set that the affectnet reader reads', async () => {
  const dir = tempDir('percept-synth-');
  const a = await synthesizeFaces({ out: join(dir, 'a'), n: 24, size: 48, seed: 5 });
  const b = await synthesizeFaces({ out: join(dir, 'b'), n: 24, size: 48, seed: 5 });
  await synthesizeFaces({ out: join(dir, 'c'), n: 24, size: 48, seed: 6 });
  assert.equal(a.count, 24);
  const files = readdirSync(join(dir, 'a', 'images')).sort();
  assert.equal(files.length, 24);
  assert.equal(readdirSync(join(dir, 'a', 'annotations')).length, 72);
  const bytes = (set: string, name: string) => readFileSync(join(dir, set, 'images', name));
  assert.ok(
    files.every((name) => bytes('a', name).equals(bytes('b', name))),
    'same seed, same bytes',
  );
  assert.ok(!bytes('a', '0.jpg').equals(bytes('c', '0.jpg')), 'another seed, another face');
  const dataset = await openDataset(join(dir, 'a'));
  assert.equal(dataset.items.length, 24);
  assert.equal(dataset.problems.length, 0);
  assert.ok(
    dataset.items.every(
      (item) => item.valence! >= -1 && item.valence! <= 1 && item.arousal! >= -1 && item.arousal! <= 1,
    ),
  );
  assert.deepEqual(
    Object.values(a.classes).reduce((x, y) => x + y, 0),
    24,
  );
  assert.deepEqual(a.classes, b.classes);
  // Regenerating into an existing synthetic set replaces it; a folder with other content is refused.
  await synthesizeFaces({ out: join(dir, 'a'), n: 4, size: 48, seed: 5 });
  assert.equal(readdirSync(join(dir, 'a', 'images')).length, 4);
  await assert.rejects(synthesizeFaces({ out: join(dir, 'a', 'images'), n: 4 }), /is not a synthetic set/);
});
