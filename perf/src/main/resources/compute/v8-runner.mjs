// Times perf/workloads' run(n) in node's V8 exactly as ComputeBench times it in the JVM: run for
// warmupMs (at least 3 times), then time single runs for at least measureMs and minIterations;
// report the median. Usage: node v8-runner.mjs '{"workloads":[{"name","file","n"}],
// "warmupMs":3000,"measureMs":5000,"minIterations":10}'. Prints one JSON object.
import { readFileSync } from "node:fs";

const spec = JSON.parse(process.argv[2]);
const MAX_SAMPLES = 1_000_000;
const results = {};
for (const w of spec.workloads) {
  const module = new WebAssembly.Module(readFileSync(w.file));
  const { run } = new WebAssembly.Instance(module, {}).exports;
  results[w.name] = time(() => run(w.n));
}
process.stdout.write(JSON.stringify(results) + "\n");

function time(fn) {
  let result;
  const warmupEnd = performance.now() + spec.warmupMs;
  for (let warm = 0; performance.now() < warmupEnd || warm < 3; warm++) {
    result = fn();
  }
  const samples = [];
  const measureEnd = performance.now() + spec.measureMs;
  while ((performance.now() < measureEnd || samples.length < spec.minIterations)
         && samples.length < MAX_SAMPLES) {
    const t0 = process.hrtime.bigint();
    result = fn();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  samples.sort((a, b) => a - b);
  return {
    medianNanos: samples[samples.length >> 1],
    minNanos: samples[0],
    iterations: samples.length,
    result: String(result),
  };
}
