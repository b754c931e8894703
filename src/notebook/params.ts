/**
 * Notebook parameters. The first code cell of every notebook (tagged `parameters`) calls `notebookParams` with the
 * values of each profile; `percept notebooks --profile P --set name=value` passes the profile and the overrides to
 * the kernel through the environment, so one notebook serves CI (`quick`) and real work (`full`) unchanged.
 */
import { UserError } from '../errors.ts';

export const PROFILES = ['quick', 'full'] as const;
export type Profile = (typeof PROFILES)[number];

/** Environment variable with the profile (default `full`). */
export const PROFILE_ENV = 'PERCEPT_PROFILE';
/** Environment variable with the overrides, a JSON object of strings (`--set name=value`). */
export const PARAMS_ENV = 'PERCEPT_PARAMS';

type ParamValue = string | number | boolean;

/** Parses `PERCEPT_PROFILE`; unset or empty means `full`. */
export function readProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const value = env[PROFILE_ENV] ?? '';
  if (value === '') return 'full';
  if (!(PROFILES as readonly string[]).includes(value)) {
    throw new UserError(
      `${PROFILE_ENV}=${value} is not a profile. Fix: set it to one of ${PROFILES.join(', ')} (or unset it for full)`,
    );
  }
  return value as Profile;
}

function coerce(name: string, text: string, like: ParamValue): ParamValue {
  if (typeof like === 'number') {
    const number = Number(text);
    if (text.trim() === '' || !Number.isFinite(number))
      throw new UserError(`${PARAMS_ENV}: ${name}=${text} is not a number. Fix: --set ${name}=<number>`);
    return number;
  }
  if (typeof like === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new UserError(`${PARAMS_ENV}: ${name}=${text} is not true or false. Fix: --set ${name}=true|false`);
    return text === 'true';
  }
  return text;
}

/**
 * The parameters of this run: the profile's values with the overrides applied (each converted to the type of the
 * default it replaces), plus `profile`. An override of an unknown name or of the wrong type is a user error.
 *
 * @example
 * const params = notebookParams({ quick: { epochs: 1, limit: 64 }, full: { epochs: 30, limit: 0 } });
 * params.epochs; // 1 under `percept notebooks --profile quick`, 5 with `--set epochs=5`
 */
export function notebookParams<T extends Record<string, ParamValue>>(
  profiles: Record<Profile, T>,
  env: NodeJS.ProcessEnv = process.env,
): T & { profile: Profile } {
  const profile = readProfile(env);
  const values: Record<string, ParamValue> = { ...profiles[profile] };
  const raw = env[PARAMS_ENV] ?? '';
  if (raw !== '') {
    let overrides: unknown;
    try {
      overrides = JSON.parse(raw);
    } catch {
      throw new UserError(`${PARAMS_ENV} is not JSON (${raw}). Fix: pass overrides as --set name=value`);
    }
    if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
      throw new UserError(
        `${PARAMS_ENV} must be a JSON object of name: value. Fix: pass overrides as --set name=value`,
      );
    }
    for (const [name, text] of Object.entries(overrides)) {
      const like = values[name];
      if (like === undefined)
        throw new UserError(
          `${PARAMS_ENV}: this notebook has no parameter '${name}'. Valid: ${Object.keys(values).join(', ')}`,
        );
      values[name] = coerce(name, String(text), like);
    }
  }
  return { ...(values as T), profile };
}
