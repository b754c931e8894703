/**
 * `percept data synth`: a synthetic face set in the AffectNet layout, the embedded default of the demo. Learnable
 * (the expression is carried by brows, eyes and mouth), imbalanced like AffectNet, with ~10% of labels moved to a
 * neighbouring class as annotators do, valence/arousal from the circumplex plus noise; deterministic per seed
 * (each image draws from its own PRNG stream, so parallel rendering cannot change the result).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../errors.ts';
import { seededRandom } from '../../random.ts';
import { writeJsonAtomic } from '../../atomic.ts';
import { mapConcurrent } from '../listing.ts';
import { encodeNpy } from '../npy.ts';
import { AFFECTNET_CLASSES } from '../types.ts';
import { faceSvg, sampleAppearance } from './draw.ts';
import { annotate, classCounts, gaussian, sampleAffect, sampleExpression } from './expressions.ts';

export interface SynthOptions {
  /** Output folder; replaced if it holds an earlier synthetic set, refused if it holds anything else. */
  out: string;
  /** Images. Default 4000. */
  n?: number;
  /** Side in pixels. Default 96. */
  size?: number;
  /** Default 1. */
  seed?: number;
  /** Fraction of labels moved to a neighbouring class. Default 0.1. */
  labelNoise?: number;
  /** Called every 500 images. */
  onProgress?: (done: number, total: number) => void;
}

/** What `synthesizeFaces` wrote; also saved as `OUT/synth.json`. */
export interface SynthSummary {
  count: number;
  out: string;
  size: number;
  seed: number;
  /** Annotated labels per class. */
  classes: Record<string, number>;
  /** Images whose annotated label differs from the drawn expression. */
  flipped: number;
  seconds: number;
}

const MARKER = 'synth.json';

/**
 * Bumped whenever a change to the drawing or labelling changes the images, so that a set made by older code is
 * regenerated rather than silently reused (the demo compares it).
 */
export const SYNTH_GENERATOR_VERSION = 3;

/** The true label of each image: exact AffectNet-proportion counts, in a seeded random order. */
function trueLabels(n: number, seed: number): number[] {
  const labels = classCounts(n).flatMap((count, label) => Array<number>(count).fill(label));
  const random = seededRandom(seed);
  const keys = labels.map(() => random());
  return labels
    .map((_, i) => i)
    .sort((a, b) => keys[a]! - keys[b]!)
    .map((i) => labels[i]!);
}

async function renderImage(
  index: number,
  label: number,
  options: Required<Pick<SynthOptions, 'size' | 'seed' | 'labelNoise'>>,
  dir: string,
) {
  // One stream per image: seed and index mixed through an odd multiplier, so streams of nearby seeds differ.
  const random = seededRandom(Math.imul(options.seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
  const { expression, intensity } = sampleExpression(label, random);
  const appearance = sampleAppearance(random);
  const affect = sampleAffect(label, intensity, random);
  const annotated = annotate(label, options.labelNoise, random);
  const { data, info } = await sharp(Buffer.from(faceSvg(expression, appearance, options.size)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++)
    data[i] = Math.min(255, Math.max(0, Math.round(data[i]! + appearance.noise * gaussian(random))));
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: appearance.quality })
    .toBuffer();
  const id = String(index);
  await Promise.all([
    writeFile(join(dir, 'images', `${id}.jpg`), jpeg),
    writeFile(join(dir, 'annotations', `${id}_exp.npy`), encodeNpy([annotated], '<i8', [])),
    writeFile(join(dir, 'annotations', `${id}_val.npy`), encodeNpy([affect.valence], '<f8', [])),
    writeFile(join(dir, 'annotations', `${id}_aro.npy`), encodeNpy([affect.arousal], '<f8', [])),
  ]);
  return annotated;
}

/**
 * Writes the synthetic set: `OUT/images/<i>.jpg`, `OUT/annotations/<i>_{exp,val,aro}.npy`, `OUT/synth.json`.
 * It is built in a temporary sibling folder and renamed into place, so OUT is never half-written.
 *
 * @example
 * await synthesizeFaces({ out: 'data/synth', n: 4000, size: 96, seed: 1 });
 */
export async function synthesizeFaces(options: SynthOptions): Promise<SynthSummary> {
  const n = options.n ?? 4000;
  const size = options.size ?? 96;
  const seed = options.seed ?? 1;
  const labelNoise = options.labelNoise ?? 0.1;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--n ${n}: must be an integer >= 1`);
  if (!Number.isInteger(size) || size < 16 || size > 1024)
    throw new UserError(`--size ${size}: must be an integer in 16..1024`);
  if (!Number.isInteger(seed)) throw new UserError(`--seed ${seed}: must be an integer`);
  if (existsSync(options.out) && readdirSync(options.out).length > 0 && !existsSync(join(options.out, MARKER))) {
    throw new UserError(
      `${options.out}: exists and is not a synthetic set (no ${MARKER}). Fix: pick an empty or new folder`,
    );
  }
  const start = performance.now();
  const temp = `${options.out.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'images'), { recursive: true });
  mkdirSync(join(temp, 'annotations'), { recursive: true });
  const labels = trueLabels(n, seed);
  let done = 0;
  try {
    const annotated = await mapConcurrent(labels, 2 * availableParallelism(), async (label, index) => {
      const result = await renderImage(index, label, { size, seed, labelNoise }, temp);
      if (++done % 500 === 0) options.onProgress?.(done, n);
      return result;
    });
    const classes: Record<string, number> = Object.fromEntries(AFFECTNET_CLASSES.map((name) => [name, 0]));
    for (const label of annotated) classes[AFFECTNET_CLASSES[label]!]! += 1;
    const summary: SynthSummary = {
      count: n,
      out: options.out,
      size,
      seed,
      classes,
      flipped: annotated.filter((label, i) => label !== labels[i]).length,
      seconds: 0,
    };
    writeJsonAtomic(join(temp, MARKER), {
      generator: SYNTH_GENERATOR_VERSION,
      count: n,
      size,
      seed,
      labelNoise,
      classes,
      flipped: summary.flipped,
    });
    rmSync(options.out, { recursive: true, force: true });
    renameSync(temp, options.out);
    return { ...summary, seconds: (performance.now() - start) / 1000 };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}
