/**
 * `percept models [NAME] [--input N] [--classes N] [--no-top [--pooling avg|max]] [--alpha A] [--minimalistic]
 * [--summary] [--json]`: every architecture of the registry (or one) with its parameter counts, built with the
 * classifier top as Keras's `include_top=True` does unless `--no-top`; `--pooling` is Keras's `pooling` of a base
 * without top, `--minimalistic` MobileNetV3's variant (listing every architecture, each flag applies where it can);
 * `NAME --summary` prints the Keras-style per-layer summary with trainable flags.
 */
import { UserError } from '../errors.ts';
import type { ArchitectureSpec, GlobalPooling } from '../models/types.ts';
import { parseCommandArgs, positiveIntFlag, printJson } from './args.ts';

const USAGE =
  'percept models [NAME] [--input N] [--classes N] [--no-top [--pooling avg|max]] [--alpha A] [--minimalistic] [--summary] [--json]';

/** One line of `percept models --json` (docs/ARCHITECTURE.md §3). */
export interface ModelInfo {
  name: string;
  /** Input side in pixels (time steps for recurrent models). */
  input: number;
  inputShape: number[];
  includeTop: boolean;
  alpha?: number;
  /** Present where the build took `--pooling`. */
  pooling?: GlobalPooling;
  /** Present where the build took `--minimalistic`. */
  minimalistic?: true;
  params: number;
  trainable: number;
  nonTrainable: number;
  layers: number;
}

function poolingFlag(value: string | undefined, noTop: boolean): GlobalPooling | undefined {
  if (value === undefined) return undefined;
  if (value !== 'avg' && value !== 'max')
    throw new UserError(
      `models: --pooling '${value}' is not avg or max (Keras's GlobalAveragePooling2D or GlobalMaxPooling2D). Usage: ${USAGE}`,
    );
  if (!noTop)
    throw new UserError(
      `models: --pooling pools a base without its top (Keras's include_top=False, pooling='${value}'); the top pools on its own. Fix: add --no-top`,
    );
  return value;
}

/**
 * `--pooling` and `--minimalistic` for one architecture: what it takes of them (a named one must take each given;
 * `all` is the registry, to name the architectures that do).
 */
function optionFlags(
  spec: ArchitectureSpec,
  all: readonly ArchitectureSpec[],
  named: boolean,
  pooling: GlobalPooling | undefined,
  minimalistic: boolean,
): { pooling?: GlobalPooling; minimalistic?: true } {
  if (named && pooling !== undefined && !spec.options.includes('pooling'))
    throw new UserError(
      `models: --pooling: ${spec.name} has no feature map to pool. Fix: remove --pooling, or name an image architecture`,
    );
  if (named && minimalistic && !spec.options.includes('minimalistic'))
    throw new UserError(
      `models: --minimalistic is MobileNetV3's variant; ${spec.name} has none. Fix: remove --minimalistic, or name one of ${all
        .filter((other) => other.options.includes('minimalistic'))
        .map((other) => other.name)
        .join(', ')}`,
    );
  return {
    ...(pooling !== undefined && spec.options.includes('pooling') ? { pooling } : {}),
    ...(minimalistic && spec.options.includes('minimalistic') ? { minimalistic: true as const } : {}),
  };
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'models',
    args,
    {
      input: { type: 'string' },
      classes: { type: 'string' },
      'no-top': { type: 'boolean' },
      pooling: { type: 'string' },
      alpha: { type: 'string' },
      minimalistic: { type: 'boolean' },
      summary: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1)
    throw new UserError(`models: one architecture at most, got ${positionals.join(' ')}. Usage: ${USAGE}`);
  const input = positiveIntFlag('input', values.input, USAGE);
  const classes = positiveIntFlag('classes', values.classes, USAGE);
  const pooling = poolingFlag(values.pooling, values['no-top'] === true);
  const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
  if (alpha !== undefined && !(alpha > 0))
    throw new UserError(`models: --alpha '${values.alpha}' is not a positive number (MobileNetV2 takes 0.35-1.4)`);
  const name = positionals[0];
  if (values.summary === true && name === undefined)
    throw new UserError(`models: --summary needs an architecture NAME. Usage: ${USAGE}`);

  process.env['PERCEPT_QUIET_BACKEND'] = '1';
  const { architectures, buildArchitecture, countParams } = await import('../models/index.ts');
  const { summaryRows, summaryText } = await import('../models/summary.ts');
  const specs = name === undefined ? architectures.all() : [architectures.get(name)];
  if (alpha !== undefined && name !== undefined && specs[0]!.family !== 'mobilenet') {
    throw new UserError(`models: --alpha is a MobileNet width multiplier; ${name} has none`);
  }
  const infos: ModelInfo[] = [];
  for (const spec of specs) {
    const side = input ?? spec.defaultInput;
    const withAlpha = alpha !== undefined && spec.family === 'mobilenet';
    const options = optionFlags(spec, architectures.all(), name !== undefined, pooling, values.minimalistic === true);
    const model = buildArchitecture(spec.name, {
      inputSize: side,
      includeTop: values['no-top'] !== true,
      ...(classes === undefined ? {} : { classes }),
      ...(withAlpha ? { alpha } : {}),
      ...options,
    });
    try {
      const counts = countParams(model);
      const info: ModelInfo = {
        name: spec.name,
        input: side,
        inputShape: model.inputs[0]!.shape.slice(1) as number[],
        includeTop: values['no-top'] !== true,
        ...(withAlpha ? { alpha } : {}),
        ...options,
        params: counts.total,
        trainable: counts.trainable,
        nonTrainable: counts.nonTrainable,
        layers: model.layers.length,
      };
      if (values.summary === true) {
        if (values.json === true) printJson({ ...info, summary: summaryRows(model) });
        else process.stdout.write(summaryText(model));
        return 0;
      }
      infos.push(info);
    } finally {
      model.dispose();
    }
  }
  if (values.json === true) {
    printJson(name === undefined ? infos : infos[0]);
    return 0;
  }
  const rows = [
    ['name', 'input', 'params', 'trainable', 'non-trainable', 'layers'],
    ...infos.map((info) => [
      info.name,
      info.inputShape.join('x'),
      ...[info.params, info.trainable, info.nonTrainable, info.layers].map((n) => n.toLocaleString('en-US')),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    process.stdout.write(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ') + '\n',
    );
  return 0;
}
