#!/usr/bin/env bash
# The GPU check, in one call on a machine with an NVIDIA GPU and driver (README, "Training on a GPU"):
#   0. install   npm ci, where node_modules is missing (its postinstall finds the driver and builds the GPU build)
#   1. setup     the GPU build from PyPI's wheels, and Keras on the same TensorFlow wheel (.venv-gpu)
#   2. doctor    what TensorFlow computes on: GPU name, compute capability, memory, driver, CUDA, cuDNN
#   3. parity    issue 9's Keras training-parity test with percept on the GPU
#   4. bench     train/resnet50/224 and train/mobilenet_v2/224 on the GPU against Keras on the same GPU and wheel
#   5. demo      a short demo run (--profile quick: one or two epochs a section) on the GPU
# It prints one JSON object ({ machine, steps: [{ name, command, status, seconds, result }] }) on stdout, and writes
# it to --out FILE (default: $OUT/gpu_check.json when OUT is set). A failed step is recorded and the next runs.
#
#   bench/gpu_check.sh             run it (about 10 minutes on a fresh machine, most of it the 2.1 GB download)
#   bench/gpu_check.sh --dry-run   check the plan here, with no GPU: every command's files, cases and profiles exist
set -uo pipefail
cd "$(dirname "$0")/.."

DRY_RUN=0
OUT_FILE="${OUT:+$OUT/gpu_check.json}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --out) OUT_FILE="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check.sh: unknown option $1 (--dry-run, --out FILE)" >&2; exit 1 ;;
  esac
  shift
done

PERCEPT="node src/cli/bin.mjs"
WORK="$(mktemp -d -t percept-gpu-check-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# name|command: each runs from the repository root; a command's stdout is its result (JSON where it prints JSON).
STEPS=(
  "install|[ -d node_modules ] || npm ci --no-audit --no-fund"
  "setup|$PERCEPT setup --gpu --require-native --python keras-gpu --for-tests --quiet"
  "doctor|PERCEPT_DEVICE=gpu $PERCEPT doctor --json"
  "parity|PERCEPT_DEVICE=gpu PERCEPT_TEST_ALL=1 node --import tsx --test src/train/keras_training_parity.test.ts"
  "bench_resnet50|$PERCEPT bench --device gpu --only train/resnet50/224 --peer keras --repeats 1 --json"
  "bench_mobilenet_v2|$PERCEPT bench --device gpu --only train/mobilenet_v2/224 --peer keras --repeats 1 --json"
  "demo|$PERCEPT demo --device gpu --profile quick --out $WORK/demo --report $WORK/demo.pdf --json"
)

# Checks, without running it, that a step's command can run here: the files it names exist, the bench cases it
# selects are listed by `percept bench --list`, and the demo profile is one percept knows.
plan_problem() {
  local command="$1"
  local word
  for word in $command; do
    case "$word" in
      src/*.ts|src/*.mjs) [ -f "$word" ] || { echo "missing file $word"; return; } ;;
    esac
  done
  if [[ "$command" == *" bench "* ]]; then
    local case_name
    case_name="$(sed -E 's/.*--only ([^ ]+).*/\1/' <<<"$command")"
    PERCEPT_QUIET_BACKEND=1 $PERCEPT bench --list 2>/dev/null | grep -q "^$case_name " || { echo "no bench case $case_name"; return; }
  fi
  if [[ "$command" == *" demo "* ]]; then
    $PERCEPT demo --help 2>/dev/null | grep -q -- "--profile demo|quick" || { echo "percept demo has no quick profile"; return; }
  fi
  echo ""
}

RESULTS="$WORK/steps.jsonl"
: > "$RESULTS"
for step in "${STEPS[@]}"; do
  name="${step%%|*}"
  command="${step#*|}"
  start=$(date +%s.%N)
  if [ "$DRY_RUN" = 1 ]; then
    problem="$(plan_problem "$command")"
    status=$([ -z "$problem" ] && echo planned || echo invalid)
    printf '%s' "$problem" > "$WORK/output"
  else
    echo "gpu_check: $name: $command" >&2
    bash -c "$command" > "$WORK/output" 2> "$WORK/stderr"
    code=$?
    status=$([ $code = 0 ] && echo ok || echo "failed ($code)")
    [ $code = 0 ] || tail -n 20 "$WORK/stderr" >> "$WORK/output"
  fi
  python3 - "$name" "$command" "$status" "$start" "$WORK/output" >> "$RESULTS" <<'PY'
import json, sys, time
name, command, status, start, output = sys.argv[1:6]
seconds = time.time() - float(start)
text = open(output, errors="replace").read().strip()
try:
    result = json.loads(text)
except ValueError:
    result = "\n".join(text.splitlines()[-30:])
print(json.dumps({"name": name, "command": command, "status": status, "seconds": round(seconds, 1), "result": result}))
PY
done

MACHINE="$(nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi on this machine")"
python3 - "$RESULTS" "$MACHINE" "$DRY_RUN" "$OUT_FILE" <<'PY'
import json, sys
results, machine, dry_run, out_file = sys.argv[1:5]
steps = [json.loads(line) for line in open(results)]
report = {"dryRun": dry_run == "1", "machine": machine, "steps": steps}
text = json.dumps(report, indent=2)
print(text)
if out_file:
    with open(out_file, "w") as handle:
        handle.write(text + "\n")
PY
# The exit status says whether every step ran (or, with --dry-run, is runnable).
! grep -q -E '"status": "(failed|invalid)' "$RESULTS"
