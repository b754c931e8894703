/**
 * The report's front matter (title page): from a small YAML or JSON file and/or CLI flags, flags winning, with
 * defaults so a report renders with none given.
 */
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { UserError } from '../errors.ts';

/** YAML reads `date: 2025-01-31` as a Date and `id: 12345` as a number; the title page wants text. */
const text = z.preprocess(
  (value) =>
    value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'number' ? String(value) : value,
  z.string().min(1),
);

export const REPORT_META = z.strictObject({
  title: text.default('Perception models: training, evaluation and comparison'),
  subtitle: text.optional(),
  course: text.optional(),
  author: text.optional(),
  /** Student or group id. */
  id: text.optional(),
  section: text.optional(),
  institution: text.optional(),
  /** Defaults to today (YYYY-MM-DD). */
  date: text.optional(),
});

export type ReportMeta = z.infer<typeof REPORT_META> & { date: string };

/**
 * Reads a meta file (.yaml/.yml/.json), merges `overrides` over it and fills in the defaults.
 *
 * @example
 * const meta = resolveMeta('report.yaml', { author: 'Ada' });
 */
export function resolveMeta(
  file: string | undefined,
  overrides: Partial<Record<keyof ReportMeta, string>> = {},
  today = new Date(),
): ReportMeta {
  let raw: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UserError(
        `${file}: cannot be read. Fix: give --meta a YAML or JSON file with title, course, author, id, section, date.`,
      );
    }
    try {
      raw = /\.json$/i.test(file) ? JSON.parse(text) : (loadYaml(text) ?? {});
    } catch (error) {
      throw new UserError(
        `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]}). Fix: correct the syntax.`,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const parsed = REPORT_META.safeParse({ ...(raw as object), ...defined });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(
      `${file ?? 'report flags'}: ${issue.path.join('.') || '(top level)'}: ${issue.message}. Fix: the fields are ${Object.keys(REPORT_META.shape).join(', ')} (all text).`,
    );
  }
  return { ...parsed.data, date: parsed.data.date ?? today.toISOString().slice(0, 10) };
}
