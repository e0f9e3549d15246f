// Copies the browser builds of the npm packages the web app uses into web/static/vendor/, with their
// licences, so Django serves them itself (no CDN at run time). Run by scripts/bootstrap.sh after `npm ci`;
// see docs/decisions/0007-frontend-assets.md.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "web", "static", "vendor");

const assets = {
  "htmx.org": { dir: "htmx", files: { "dist/htmx.min.js": "htmx.min.js", LICENSE: "LICENSE" } },
  "bpmn-js": {
    dir: "bpmn-js",
    files: {
      "dist/bpmn-navigated-viewer.production.min.js": "bpmn-navigated-viewer.production.min.js",
      "dist/assets/diagram-js.css": "diagram-js.css",
      "dist/assets/bpmn-js.css": "bpmn-js.css",
      LICENSE: "LICENSE",
    },
  },
};

const manifest = {};
for (const [pkg, { dir, files }] of Object.entries(assets)) {
  const source = join(root, "node_modules", pkg);
  const version = JSON.parse(readFileSync(join(source, "package.json"), "utf8")).version;
  rmSync(join(target, dir), { recursive: true, force: true });
  mkdirSync(join(target, dir), { recursive: true });
  for (const [from, to] of Object.entries(files)) {
    cpSync(join(source, from), join(target, dir, to));
  }
  manifest[pkg] = version;
}
writeFileSync(join(target, "versions.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`web/static/vendor: ${Object.entries(manifest).map(([p, v]) => `${p}@${v}`).join(", ")}`);
