#!/usr/bin/env bash
# `npm run infra:check`: restores the Bicep CLI, compiles infra/main.bicep to dist/infra/main.json and lints
# it, failing on any diagnostic at all (warnings included: bicepconfig.json raises the linter's rules to
# errors, and the compiler's own warnings, such as BCP081 for an API version its type data does not know or
# BCP037 for a property the resource type does not have, fail here too), then runs the template test
# (test/infra), which checks the compiled template and its evaluation for the parameter sets users deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
bicep="$(infra/bicep/restore.sh)"
export BICEP_CLI="$bicep"
"$bicep" --version

npm run build --silent
mkdir -p dist/infra
failed=0
for step in build lint; do
  if [ "$step" = build ]; then
    output="$("$bicep" build infra/main.bicep --outfile dist/infra/main.json 2>&1)" || failed=1
  else
    output="$("$bicep" lint infra/main.bicep 2>&1)" || failed=1
  fi
  if [ -n "$output" ]; then
    printf '%s\n' "$output"
    failed=1
  fi
  if [ "$failed" -ne 0 ]; then
    echo "infra check: bicep $step reported the diagnostics above; the template must compile and lint with none." >&2
    exit 1
  fi
  echo "bicep $step infra/main.bicep: no diagnostics"
done

node --test --test-reporter=spec dist/test/infra/*.test.js
