#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds from scratch, then runs every runner
# (ctest for the C++ suites; vitest for ts/, end-to-end and conformance) and prints one combined line.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

./scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }
start=$(date +%s)
./scripts/build.sh || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
echo "build took $(( $(date +%s) - start )) s"

passed=0; failed=0

echo "== ctest (C++ suites)"
ctest --test-dir build --output-on-failure -j"$(nproc)" 2>&1 | tee build/ctest.log
line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" build/ctest.log | tail -n1)
if [ -n "$line" ]; then
  f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  t=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + t - f)); failed=$((failed + f))
else
  echo "ctest printed no summary"; failed=$((failed + 1))
fi

echo "== vitest (ts/: unit, decoder, CLI, end-to-end, conformance)"
if [ -d ../shared/corpus ]; then
  echo "conformance corpus: $(cd ../shared/corpus && pwd)"
else
  echo "conformance corpus: ../shared/corpus is absent, so the conformance suite is not run"
fi
(cd ts && npx vitest run --reporter=default --reporter=json --outputFile="$root/build/vitest.json") 2>&1
vitest_rc=$?
if [ -f build/vitest.json ]; then
  # A test still "pending" when the report is written never finished (its worker died): a failure, as
  # is an unhandled error, which vitest reports only through its exit status.
  read -r vp vf vu < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites||0), r.testResults.flatMap((f)=>f.assertionResults).filter((a)=>a.status==="pending").length)' "$root/build/vitest.json")
  [ "$vu" -eq 0 ] || echo "vitest: $vu test(s) never finished; counted as failed"
  vf=$((vf + vu))
  if [ "$vitest_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then
    echo "vitest exited $vitest_rc with no failed test (an unhandled error): counted as one failure"; vf=1
  fi
  passed=$((passed + vp)); failed=$((failed + vf))
else
  echo "vitest wrote no report"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
