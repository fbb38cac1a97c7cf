// Generates the report like `allure generate`, and also validates the quality gate into it (generate alone does not).
// Usage: node reporting/generate.mjs TOOLS_DIR CONFIG RESULTS_DIR
//        node reporting/generate.mjs TOOLS_DIR -   loads Allure first, then reads {"config", "results", "cwd"} as
//        JSON on stdin: started while the scenarios run, it spends no time loading when the evidence is built.
import { pathToFileURL } from "node:url";
import { join } from "node:path";

// Allure's quality gate uses Iterator.prototype.toArray (Node 22+); Node 20, which the suite supports, lacks it.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
if (typeof iteratorPrototype.toArray !== "function") {
  Object.defineProperty(iteratorPrototype, "toArray", { value() { return Array.from(this); }, configurable: true });
}

const [toolsDir, configArg, resultsArg] = process.argv.slice(2);
// The pinned Allure lives in .tools/node_modules, not beside this file: import it by path.
const core = await import(pathToFileURL(join(toolsDir, "node_modules", "@allurereport", "core", "dist", "index.js")));
const job = configArg === "-" ? await readJob() : { config: configArg, results: resultsArg };
if (job.cwd) process.chdir(job.cwd);
const [configPath, resultsDir] = [job.config, job.results];
const config = await core.readConfig(process.cwd(), configPath);
const report = new core.AllureReport(config);
await report.start();
await report.readDirectory(resultsDir);
if (report.hasQualityGate) {
  const trs = await report.store.allTestResults({ includeRetries: false });
  const { results } = await report.validate({ trs });
  // What `allure run` does while tests run: the results land in the store, so the report shows the gate.
  report.realtimeDispatcher.sendQualityGateResults(results);
  const failed = core.filterFailedQualityGateResults(results);
  console.log(failed.length ? `quality gate failed: ${failed.map((r) => r.message).join("; ")}` : "quality gate passed");
}
await report.done();

async function readJob() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}
