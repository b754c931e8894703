/**
 * What each synthetic expression looks like and how it is labelled: facial-feature prototypes per class (after the
 * action units of Ekman & Friesen's FACS: brow raise AU1+2, brow lowering AU4, lid tightening AU7, lip corner pull
 * AU12, depression AU15, jaw drop AU26, nose wrinkle AU9, one-sided AU12/14 for contempt), AffectNet's class
 * frequencies, the classes' places on the valence/arousal circumplex, and the neighbours annotators confuse.
 */
import { AFFECTNET_CLASSES } from '../types.ts';

/** Feature settings of a face; 0 is neutral for every field except `eyeOpen` and `mouthWidth` (1 is neutral). */
export interface Expression {
  /** Both brows up (+) or down (-). */
  browRaise: number;
  /** Inner brow ends up (+, sadness/fear) or down into a V (-, anger). */
  browInner: number;
  /** Eye opening relative to neutral. */
  eyeOpen: number;
  /** Mouth corners up (+, smile) or down (-). */
  mouthCurve: number;
  /** Jaw drop: 0 closed, 1 wide open. */
  mouthOpen: number;
  /** Mouth width relative to neutral. */
  mouthWidth: number;
  /** One corner raised (contempt's smirk). */
  asymmetry: number;
  /** Nose wrinkle lines (disgust). */
  noseWrinkle: number;
}

/** Prototypes in AFFECTNET_CLASSES order. */
export const PROTOTYPES: readonly Expression[] = [
  { browRaise: 0, browInner: 0, eyeOpen: 1, mouthCurve: 0, mouthOpen: 0, mouthWidth: 1, asymmetry: 0, noseWrinkle: 0 }, // Neutral
  {
    browRaise: 0.2,
    browInner: 0,
    eyeOpen: 0.75,
    mouthCurve: 1,
    mouthOpen: 0.35,
    mouthWidth: 1.25,
    asymmetry: 0,
    noseWrinkle: 0,
  }, // Happy
  {
    browRaise: 0,
    browInner: 1,
    eyeOpen: 0.7,
    mouthCurve: -0.8,
    mouthOpen: 0,
    mouthWidth: 0.9,
    asymmetry: 0,
    noseWrinkle: 0,
  }, // Sad
  {
    browRaise: 1.3,
    browInner: 0.2,
    eyeOpen: 1.5,
    mouthCurve: 0,
    mouthOpen: 1,
    mouthWidth: 0.8,
    asymmetry: 0,
    noseWrinkle: 0,
  }, // Surprise
  {
    browRaise: 0.9,
    browInner: 0.9,
    eyeOpen: 1.4,
    mouthCurve: -0.4,
    mouthOpen: 0.55,
    mouthWidth: 1.2,
    asymmetry: 0,
    noseWrinkle: 0,
  }, // Fear
  {
    browRaise: -0.5,
    browInner: -0.3,
    eyeOpen: 0.55,
    mouthCurve: -0.5,
    mouthOpen: 0.25,
    mouthWidth: 0.95,
    asymmetry: 0,
    noseWrinkle: 1,
  }, // Disgust
  {
    browRaise: -0.9,
    browInner: -1.2,
    eyeOpen: 0.85,
    mouthCurve: -0.3,
    mouthOpen: 0.05,
    mouthWidth: 0.9,
    asymmetry: 0,
    noseWrinkle: 0.2,
  }, // Anger
  {
    browRaise: 0.1,
    browInner: 0,
    eyeOpen: 0.9,
    mouthCurve: 0.15,
    mouthOpen: 0,
    mouthWidth: 1,
    asymmetry: 0.9,
    noseWrinkle: 0,
  }, // Contempt
];

/**
 * Manually annotated training images per class in AffectNet (Mollahosseini, Hasani & Mahoor 2017, Table 4):
 * the synthetic set keeps these proportions (Happy most frequent, then Neutral; Contempt rarest).
 */
export const AFFECTNET_COUNTS: readonly number[] = [74874, 134415, 25459, 14090, 6378, 3803, 24882, 3750];

/** Each class's (valence, arousal) on Russell's circumplex, as AffectNet's annotations place them on average. */
export const CIRCUMPLEX: readonly (readonly [number, number])[] = [
  [0, 0], // Neutral
  [0.7, 0.25], // Happy
  [-0.65, -0.3], // Sad
  [0.25, 0.75], // Surprise
  [-0.55, 0.7], // Fear
  [-0.65, 0.35], // Disgust
  [-0.6, 0.6], // Anger
  [-0.45, 0.2], // Contempt
];

/** The classes an annotator confuses each class with (AffectNet's inter-annotator disagreements run along these). */
export const NEIGHBOURS: readonly (readonly number[])[] = [
  [2, 7, 1], // Neutral: Sad, Contempt, Happy
  [0, 3], // Happy: Neutral, Surprise
  [0, 4, 5], // Sad: Neutral, Fear, Disgust
  [4, 1], // Surprise: Fear, Happy
  [3, 2], // Fear: Surprise, Sad
  [6, 7, 2], // Disgust: Anger, Contempt, Sad
  [5, 2], // Anger: Disgust, Sad
  [0, 5, 1], // Contempt: Neutral, Disgust, Happy
];

/**
 * Exact class counts for `n` images in AffectNet's proportions (largest remainder, so they sum to n).
 *
 * @example
 * classCounts(4000); // [1036, 1862, 352, 195, 88, 53, 344, 52]... in AFFECTNET_CLASSES order
 */
export function classCounts(n: number): number[] {
  const total = AFFECTNET_COUNTS.reduce((sum, count) => sum + count, 0);
  const exact = AFFECTNET_COUNTS.map((count) => (n * count) / total);
  const counts = exact.map(Math.floor);
  const order = exact
    .map((value, i) => [value - Math.floor(value), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = n - counts.reduce((sum, count) => sum + count, 0);
  for (let k = 0; k < missing; k++) counts[order[k]![1]]! += 1;
  return counts;
}

/** A standard normal draw (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A face's expression: the class prototype at a random intensity, blended from neutral, with per-feature jitter,
 * so weak expressions overlap neutral as real ones do.
 */
export function sampleExpression(label: number, random: () => number): { expression: Expression; intensity: number } {
  const intensity = 0.8 + 0.4 * random();
  const neutral = PROTOTYPES[0]!;
  const prototype = PROTOTYPES[label]!;
  const expression = {} as Expression;
  for (const key of Object.keys(neutral) as (keyof Expression)[]) {
    const jitter = key === 'mouthOpen' ? 0.1 : 0.12;
    expression[key] = neutral[key] + intensity * (prototype[key] - neutral[key]) + jitter * gaussian(random);
  }
  expression.mouthOpen = Math.max(0, expression.mouthOpen);
  expression.eyeOpen = Math.max(0.25, expression.eyeOpen);
  return { expression, intensity };
}

/** Valence/arousal of a face: its class's circumplex point scaled by intensity, plus annotator noise, in [-1, 1]. */
export function sampleAffect(
  label: number,
  intensity: number,
  random: () => number,
): { valence: number; arousal: number } {
  const [valence, arousal] = CIRCUMPLEX[label]!;
  const clip = (value: number): number => Math.round(Math.min(1, Math.max(-1, value)) * 1e6) / 1e6;
  return {
    valence: clip(valence * Math.min(1, intensity) + 0.1 * gaussian(random)),
    arousal: clip(arousal * Math.min(1, intensity) + 0.1 * gaussian(random)),
  };
}

/** The annotated label: the true one, or with probability `noise` one of its neighbours. */
export function annotate(label: number, noise: number, random: () => number): number {
  if (random() >= noise) return label;
  const neighbours = NEIGHBOURS[label]!;
  return neighbours[Math.floor(random() * neighbours.length)]!;
}

export const CLASS_COUNT = AFFECTNET_CLASSES.length;
