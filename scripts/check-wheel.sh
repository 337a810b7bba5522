#!/usr/bin/env bash
# The project as users install it: build the wheel, install it (no -e, no dev extras) into a
# fresh virtualenv, and run the quickstart from it: validate, apply, a `plan
# --detailed-exitcode` that exits 0, a `uses: [postgres]` project that validates, destroy.
# Run by scripts/test.sh (the README's test command). Leaves nothing behind: its temp dir
# (wheel, venv, project copies) is removed on exit, and destroy runs even after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${RECONCILER_WHEEL_PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reconciler-wheel.XXXXXX")
SESSION="wheel$$"
cleanup() {
  if [ -x "$WORK/venv/bin/reconciler" ] && [ -d "$WORK/quickstart" ]; then
    "$WORK/venv/bin/reconciler" -C "$WORK/quickstart" --session "$SESSION" \
      destroy --auto-approve >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "-- wheel: $*"; }

step "build"
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 \
  || "$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$ROOT" >>"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
wheel=$(ls "$WORK"/dist/reconciler-*.whl)
step "install $(basename "$wheel") into a fresh venv (no dev extras)"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$wheel" >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log"; exit 1; }
R="$WORK/venv/bin/reconciler"
# the installed package must not be shadowed by the checkout
(cd "$WORK" && "$WORK/venv/bin/python" -c 'import reconciler, sys; sys.exit(0 if "/site-packages/" in reconciler.__file__ else 1)') \
  || { echo "wheel check: reconciler imported from outside the venv"; exit 1; }

cp -r "$ROOT/examples/quickstart" "$WORK/quickstart"
rm -rf "$WORK/quickstart/.reconciler" "$WORK/quickstart/data"
cd "$WORK"
step "validate"; "$R" -C quickstart --session "$SESSION" validate
step "apply"; "$R" -C quickstart --session "$SESSION" apply --auto-approve >/dev/null
step "plan --detailed-exitcode (no changes: exit 0)"
"$R" -C quickstart --session "$SESSION" plan --detailed-exitcode >/dev/null
mkdir -p stacks-project
printf 'name: wheelstacks\nuses: [postgres]\nservices:\n  app:\n    command: "exec sleep 60"\n    depends_on: [postgres]\n' \
  >stacks-project/services.yaml
step "a uses: [postgres] project validates (stacks catalog shipped)"
"$R" -C stacks-project validate
step "destroy"; "$R" -C quickstart --session "$SESSION" destroy --auto-approve >/dev/null
echo "wheel check: ok"
