#!/usr/bin/env bash
# alternating A/B: old build vs new build, cases given in $CASES
cd /work/main
for round in 1 2 3; do
  for which in old new; do
    dir=/work/wt-old/build; [ $which = new ] && dir=/work/main/build
    out=/tmp/ab_$which.$round
    BUILD_DIR=$dir NO_BUILD=1 RUNS=1 bench/run.sh $CASES > $out.txt 2>&1 || echo "fail $which $round"
  done
done
