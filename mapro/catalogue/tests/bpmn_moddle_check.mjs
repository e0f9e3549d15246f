// Reads every .bpmn file named on the command line with bpmn-moddle (the model behind bpmn.io and the
// web page's viewer) and prints one JSON line per file: its warnings (unknown elements, broken references).
import { readFileSync } from "node:fs";
import { BpmnModdle } from "bpmn-moddle";

const moddle = new BpmnModdle();
for (const path of process.argv.slice(2)) {
  const { warnings } = await moddle.fromXML(readFileSync(path, "utf8"));
  console.log(JSON.stringify({ path, warnings: warnings.map((w) => w.message) }));
}
