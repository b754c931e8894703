/**
 * The percept side of the memory/train/* cases, run in a fresh process so that nothing measured before it (other
 * cases' tensors, the harness itself) counts: trains through percept's trainer exactly as the train/* cases do and
 * prints the process's peak RSS in MB as `{"value": ...}`.
 *
 *   node --import tsx bench/train_peak_rss.ts '{"arch":"resnet50","input":224,"batch":32}' '{"warmup":1,"minSteps":3,"minSeconds":0}'
 */
import { trainerImagesPerSecond, type StepSpec } from './cases/training.ts';
import type { StepBudget } from './peer_args.ts';
import { peakRssMB } from './peak_rss.ts';

const spec = JSON.parse(process.argv[2]!) as StepSpec;
const budget = JSON.parse(process.argv[3]!) as StepBudget;
const imagesPerSecond = await trainerImagesPerSecond(spec, budget);
process.stdout.write(JSON.stringify({ value: peakRssMB(), imagesPerSecond }) + '\n');
