/**
 * `percept metrics FILE.jsonl [--json] [--classes A,B,...] [--seed N] [--resamples N]`: scores predictions made
 * anywhere (one JSON object per line with `true`, `pred`, `probs`, `valence`, `arousal`, `predValence`, `predArousal`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import { evaluatePredictions } from '../metrics/evaluate.ts';
import { formatMetrics } from '../metrics/format.ts';
import { checkClassLabels, type LocatedRecord } from '../metrics/labels.ts';

const USAGE = 'percept metrics FILE.jsonl [--json] [--classes A,B,...] [--seed N] [--resamples N]';

const label = z.union([z.number().int().nonnegative(), z.string()]).nullish();
const value = z.number().nullish();
const RECORD = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String).optional(),
  split: z.string().optional(),
  true: label,
  pred: label,
  probs: z.array(z.number()).nullish(),
  valence: value,
  arousal: value,
  predValence: value,
  predArousal: value,
  target: value,
  forecast: value,
  last: value,
});

/**
 * Reads and validates a predictions file, each record with its `file:line`; a bad line is a UserError naming the
 * file, line and field.
 *
 * @example
 * const rows = readPredictions('runs/a/predictions.jsonl'); // rows[0].where === 'runs/a/predictions.jsonl:1'
 */
export function readPredictions(file: string): LocatedRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Fix: give the path of a predictions .jsonl file`,
    );
  }
  const rows: LocatedRecord[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new UserError(`${file}:${index + 1}: not JSON. Fix: one JSON object per line`);
    }
    const parsed = RECORD.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UserError(
        `${file}:${index + 1}: field '${issue.path.join('.')}': ${issue.message}. Fix: true/pred are class indices or names, probs an array of numbers, valence/arousal numbers or null`,
      );
    }
    rows.push({ record: parsed.data, where: `${file}:${index + 1}` });
  });
  if (rows.length === 0)
    throw new UserError(
      `${file}: no predictions. Fix: one JSON object per line with true and pred (or valence/predValence)`,
    );
  return rows;
}

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const parsed = Number(text);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UserError(`--${flag} ${text}: must be a non-negative integer`);
  return parsed;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'metrics',
    args,
    { json: { type: 'boolean' }, classes: { type: 'string' }, seed: { type: 'string' }, resamples: { type: 'string' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UserError(`metrics: expected one predictions file, got ${positionals.length}\nUsage: ${USAGE}`);
  const rows = readPredictions(positionals[0]!);
  const classNames = values.classes?.split(',');
  checkClassLabels(rows, classNames);
  const metrics = evaluatePredictions(
    rows.map((row) => row.record),
    {
      ...(classNames === undefined ? {} : { classNames }),
      seed: positiveInteger('seed', values.seed, 0),
      resamples: positiveInteger('resamples', values.resamples, 1000),
    },
  );
  if (Object.keys(metrics).length === 0)
    throw new UserError(
      `${positionals[0]}: no line has both true and pred, or valence/predValence, or arousal/predArousal`,
    );
  if (values.json) printJson(metrics);
  else process.stdout.write(formatMetrics(metrics));
  return 0;
}
