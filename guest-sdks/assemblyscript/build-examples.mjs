// Compiles every example in one node process (starting the compiler once per example costs
// more than compiling it). Called by build.sh; output in build/<name>.wasm.
import asc from "assemblyscript/asc";
import { statSync } from "node:fs";

for (const name of ["hello", "echo", "order", "sha256", "config", "counter", "webhook", "fetch"]) {
  const out = `build/${name}.wasm`;
  const { error, stderr } = await asc.main([`examples/${name}.ts`, "--config", "asconfig.json", "-o", out]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-examples: ${name}: ${error.message}`);
    process.exit(1);
  }
  console.log(`built ${out} (${statSync(out).size} bytes)`);
}
