/**
 * Draws a synthetic face as SVG (rendered by sharp's librsvg): the expression lives in the brows, eyes and mouth;
 * everything else (pose, scale, position, skin tone, hair, lighting, background, occlusion) varies independently
 * so that a model must find the expression rather than a shortcut.
 */
import { gaussian, type Expression } from './expressions.ts';

/** Skin tones from light to dark (sRGB), jittered per face. */
const SKIN_TONES: readonly (readonly [number, number, number])[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 130],
  [198, 134, 94],
  [161, 102, 66],
  [120, 74, 46],
  [87, 52, 34],
];
const HAIR_COLOURS: readonly (readonly [number, number, number])[] = [
  [30, 22, 18],
  [70, 45, 30],
  [120, 80, 45],
  [190, 150, 90],
  [140, 140, 140],
  [160, 60, 30],
];

/** Everything about a face image except its expression. */
export interface Appearance {
  /** Face centre in the 100×100 view box. */
  cx: number;
  cy: number;
  scale: number;
  /** In-plane head tilt, degrees. */
  roll: number;
  /** Head turn, -1..1: features shift sideways and the face narrows. */
  yaw: number;
  skin: [number, number, number];
  hair: [number, number, number];
  hairVolume: number;
  background: [[number, number, number], [number, number, number]];
  /** Background clutter: circles as [x, y, r, grey]. */
  clutter: [number, number, number, number][];
  /** Direction (degrees) and strength (0..1) of a light gradient over the image. */
  light: { angle: number; strength: number };
  occlusion: { kind: 'none' | 'hand' | 'glasses' | 'band'; x: number; y: number; size: number };
  /** Std-dev of the Gaussian sensor noise in 0..255 units. */
  noise: number;
  /** JPEG quality. */
  quality: number;
}

const clamp255 = (value: number): number => Math.round(Math.min(255, Math.max(0, value)));
const rgb = ([r, g, b]: readonly number[]): string => `rgb(${clamp255(r!)},${clamp255(g!)},${clamp255(b!)})`;
const shade = (colour: readonly number[], factor: number): [number, number, number] => [
  colour[0]! * factor,
  colour[1]! * factor,
  colour[2]! * factor,
];
const f = (value: number): string => value.toFixed(2);

/**
 * Draws the non-expression variation of one face.
 *
 * @example
 * const appearance = sampleAppearance(seededRandom(1));
 */
export function sampleAppearance(random: () => number): Appearance {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const jitter = (colour: readonly number[], amount: number): [number, number, number] =>
    colour.map((c) => c + amount * gaussian(random)) as [number, number, number];
  const hue = (): [number, number, number] => [40 + 200 * random(), 40 + 200 * random(), 40 + 200 * random()];
  const occlusionRoll = random();
  return {
    // A face crop, as AffectNet's are: the face fills most of the frame, so the features span enough pixels at 48 px.
    cx: 50 + 3 * gaussian(random),
    cy: 53 + 3 * gaussian(random),
    scale: 1.0 + 0.2 * random(),
    roll: 7 * gaussian(random),
    yaw: Math.max(-0.6, Math.min(0.6, 0.25 * gaussian(random))),
    skin: jitter(pick(SKIN_TONES), 8),
    hair: jitter(pick(HAIR_COLOURS), 10),
    hairVolume: random(),
    background: [hue(), hue()],
    clutter: Array.from({ length: Math.floor(4 * random()) }, () => [
      100 * random(),
      100 * random(),
      5 + 15 * random(),
      40 + 180 * random(),
    ]),
    light: { angle: 360 * random(), strength: 0.3 * random() },
    occlusion: {
      kind: occlusionRoll < 0.06 ? 'hand' : occlusionRoll < 0.14 ? 'glasses' : occlusionRoll < 0.18 ? 'band' : 'none',
      x: -1 + 2 * random(),
      y: -1 + 2 * random(),
      size: 0.6 + 0.6 * random(),
    },
    noise: 2 + 6 * random(),
    quality: Math.round(70 + 25 * random()),
  };
}

function eye(x: number, y: number, s: number, e: Expression, iris: string): string {
  const rx = 6 * s;
  const ry = Math.max(0.6, 3.4 * s * e.eyeOpen);
  return [
    `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(rx)}" ry="${f(ry)}" fill="#f4f1ec"/>`,
    `<circle cx="${f(x)}" cy="${f(y)}" r="${f(Math.min(2.6 * s, ry))}" fill="${iris}"/>`,
    `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(rx)}" ry="${f(ry)}" fill="none" stroke="#2a1d18" stroke-width="${f(0.9 * s)}"/>`,
  ].join('');
}

function brow(side: -1 | 1, cx: number, eyeY: number, s: number, e: Expression, colour: string): string {
  const base = eyeY - 8 * s - e.browRaise * 5 * s;
  const innerX = cx + side * 4.5 * s;
  const outerX = cx + side * 18 * s;
  const innerY = base - e.browInner * 5 * s;
  const outerY = base + e.browInner * 2 * s;
  const midY = (innerY + outerY) / 2 - 1.5 * s;
  return `<path d="M${f(innerX)},${f(innerY)} Q${f((innerX + outerX) / 2)},${f(midY)} ${f(outerX)},${f(outerY)}" fill="none" stroke="${colour}" stroke-width="${f(4.6 * s)}" stroke-linecap="round"/>`;
}

/*
 * Brow and lip strokes are ~4.5 view-box units, i.e. 2 px or more at 48 px: at 2.6-3.4 units (generator 2) they
 * blurred into the skin after resizing and JPEG, and VGG16 or DenseNet121 trained from scratch in the demo's four
 * epochs predicted the majority class (with version 3 they reach kappa 0.37-0.44).
 */
function mouth(mx: number, my: number, s: number, e: Expression, lips: string): string {
  const half = 12 * s * e.mouthWidth;
  const lift = e.mouthCurve * 8 * s;
  const leftY = my - lift;
  const rightY = my - lift - e.asymmetry * 4.5 * s;
  const upper = my + e.mouthCurve * 4 * s - e.mouthOpen * 2 * s;
  const lower = my + e.mouthCurve * 4 * s + e.mouthOpen * 13 * s;
  const l = `${f(mx - half)},${f(leftY)}`;
  const r = `${f(mx + half)},${f(rightY)}`;
  if (e.mouthOpen < 0.12) {
    return `<path d="M${l} Q${f(mx)},${f(my + e.mouthCurve * 7 * s)} ${r}" fill="none" stroke="${lips}" stroke-width="${f(4.4 * s)}" stroke-linecap="round"/>`;
  }
  return [
    `<path d="M${l} Q${f(mx)},${f(upper)} ${r} Q${f(mx)},${f(lower)} ${l} Z" fill="#3a0d12" stroke="${lips}" stroke-width="${f(2.8 * s)}" stroke-linejoin="round"/>`,
    e.mouthCurve > 0.4
      ? `<path d="M${l} Q${f(mx)},${f(upper + 2.5 * s)} ${r}" fill="none" stroke="#f2efe6" stroke-width="${f(2.4 * s)}"/>`
      : '',
  ].join('');
}

function occlusion(a: Appearance, skin: string, s: number): string {
  const { kind, x, y, size } = a.occlusion;
  const ox = a.cx + x * 18 * s;
  const oy = a.cy + y * 22 * s;
  if (kind === 'hand')
    return `<ellipse cx="${f(ox)}" cy="${f(oy + 10 * s)}" rx="${f(11 * s * size)}" ry="${f(8 * s * size)}" fill="${skin}" stroke="#00000033" stroke-width="1"/>`;
  if (kind === 'band')
    return `<rect x="${f(ox - 30)}" y="${f(oy)}" width="60" height="${f(7 * s * size)}" fill="${rgb([80 + 120 * size, 60, 90])}" transform="rotate(${f(30 * x)} ${f(ox)} ${f(oy)})"/>`;
  return '';
}

/**
 * The SVG of one face at `size`×`size` pixels.
 *
 * @example
 * const svg = faceSvg(PROTOTYPES[1], sampleAppearance(random), 96);
 */
export function faceSvg(e: Expression, a: Appearance, size: number): string {
  const s = a.scale;
  const skin = rgb(a.skin);
  const shift = a.yaw * 7 * s;
  const width = 29 * s * (1 - 0.25 * Math.abs(a.yaw));
  const height = 37 * s;
  const eyeY = a.cy - 5 * s;
  const fx = a.cx + shift;
  const hair = rgb(a.hair);
  // Brows and lips darker than any hair or skin tone, so the expression reads on every face, as real brows and lips do.
  const browColour = rgb(shade(a.hair, 0.45));
  const lips = rgb(shade(a.skin, 0.3));
  const iris = rgb(shade(a.hair, 0.9));
  const light = a.light;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">`,
    '<defs>',
    `<linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${rgb(a.background[0])}"/><stop offset="1" stop-color="${rgb(a.background[1])}"/></linearGradient>`,
    `<linearGradient id="light" gradientTransform="rotate(${f(light.angle)} 0.5 0.5)"><stop offset="0" stop-color="#fff" stop-opacity="${f(light.strength)}"/><stop offset="1" stop-color="#000" stop-opacity="${f(light.strength)}"/></linearGradient>`,
    '</defs>',
    '<rect width="100" height="100" fill="url(#bg)"/>',
    ...a.clutter.map(
      ([x, y, r, g]) =>
        `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${rgb([g, g * 0.9, g * 0.8])}" opacity="0.6"/>`,
    ),
    `<g transform="rotate(${f(a.roll)} ${f(a.cx)} ${f(a.cy)})">`,
    `<ellipse cx="${f(a.cx)}" cy="${f(a.cy - 6 * s)}" rx="${f(width + 4 * s * a.hairVolume)}" ry="${f(height + 2 * s)}" fill="${hair}"/>`,
    `<rect x="${f(a.cx - 6 * s)}" y="${f(a.cy + 25 * s)}" width="${f(12 * s)}" height="${f(30 * s)}" fill="${rgb(shade(a.skin, 0.85))}"/>`,
    `<ellipse cx="${f(a.cx)}" cy="${f(a.cy + 2 * s)}" rx="${f(width)}" ry="${f(height)}" fill="${skin}"/>`,
    `<path d="M${f(a.cx - width)},${f(a.cy - 10 * s)} Q${f(a.cx)},${f(a.cy - (34 + 10 * a.hairVolume) * s)} ${f(a.cx + width)},${f(a.cy - 10 * s)} L${f(a.cx + width)},${f(a.cy - 22 * s)} Q${f(a.cx)},${f(a.cy - 48 * s)} ${f(a.cx - width)},${f(a.cy - 22 * s)} Z" fill="${hair}"/>`,
    eye(fx - 11 * s, eyeY, s, e, iris),
    eye(fx + 11 * s, eyeY, s, e, iris),
    brow(-1, fx, eyeY, s, e, browColour),
    brow(1, fx, eyeY, s, e, browColour),
    `<path d="M${f(fx + 1.5 * a.yaw)},${f(eyeY + 3 * s)} L${f(fx - 2.5 * s + 3 * a.yaw)},${f(eyeY + 13 * s)} L${f(fx + 2 * s)},${f(eyeY + 14 * s)}" fill="none" stroke="${rgb(shade(a.skin, 0.7))}" stroke-width="${f(1.1 * s)}"/>`,
    e.noseWrinkle > 0.3
      ? `<path d="M${f(fx - 5 * s)},${f(eyeY + 6 * s)} l${f(2.5 * s)},${f(2 * s)} M${f(fx + 5 * s)},${f(eyeY + 6 * s)} l${f(-2.5 * s)},${f(2 * s)}" stroke="${rgb(shade(a.skin, 0.6))}" stroke-width="${f(0.9 * s * Math.min(1.5, e.noseWrinkle))}"/>`
      : '',
    mouth(fx, a.cy + 18 * s, s, e, lips),
    a.occlusion.kind === 'glasses'
      ? `<g fill="none" stroke="#151515" stroke-width="${f(1.2 * s)}"><circle cx="${f(fx - 11 * s)}" cy="${f(eyeY)}" r="${f(7.5 * s)}"/><circle cx="${f(fx + 11 * s)}" cy="${f(eyeY)}" r="${f(7.5 * s)}"/><path d="M${f(fx - 3.5 * s)},${f(eyeY)} L${f(fx + 3.5 * s)},${f(eyeY)}"/></g>`
      : '',
    occlusion(a, skin, s),
    '</g>',
    '<rect width="100" height="100" fill="url(#light)"/>',
    '</svg>',
  ];
  return parts.join('');
}
