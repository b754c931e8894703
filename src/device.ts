/**
 * Where TensorFlow is asked to compute, and whether this machine has an NVIDIA driver loaded, decided without
 * loading TensorFlow: the backend choice (src/tf.ts), `--device` (src/cli/main.ts) and `percept setup`
 * (src/setup/gpu_backend.ts) need it before any libtensorflow is in the process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from './errors.ts';

/** Where TensorFlow computes: `gpu` is an error when no GPU is used, `cpu` never loads or uses one. */
export type DeviceRequest = 'auto' | 'cpu' | 'gpu';
export const DEVICE_REQUESTS: readonly DeviceRequest[] = ['auto', 'cpu', 'gpu'];

/** One of `valid` from an environment variable; an unknown value is a user error naming the valid ones. */
export function parseChoice<T extends string>(
  variable: string,
  value: string | undefined,
  valid: readonly T[],
  what: string,
): T {
  const choice = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(valid as readonly string[]).includes(choice)) {
    throw new UserError(
      `${variable}=${value} is not a ${what}. Fix: set ${variable} to one of ${valid.join(', ')} (or unset it for auto).`,
    );
  }
  return choice as T;
}

/** Parses `PERCEPT_DEVICE` (which `--device` on train, bench and demo sets). */
export function parseDeviceRequest(value: string | undefined): DeviceRequest {
  return parseChoice('PERCEPT_DEVICE', value, DEVICE_REQUESTS, 'device');
}

/** The NVIDIA driver's version line, or undefined when this machine has no NVIDIA driver loaded. */
export function nvidiaDriver(procFile = '/proc/driver/nvidia/version'): string | undefined {
  if (!existsSync(procFile)) return undefined;
  return readFileSync(procFile, 'utf8').split('\n')[0]?.trim() || 'NVIDIA driver (version unreadable)';
}

/** Why TensorFlow has no GPU to use here, in one line. */
export function noGpuReason(driver = nvidiaDriver()): string {
  return driver === undefined
    ? 'no NVIDIA driver on this machine (/proc/driver/nvidia is missing)'
    : `TensorFlow found no usable GPU although the driver is loaded (${driver}); run with TF_CPP_MIN_LOG_LEVEL=0 to see TensorFlow's reason`;
}
