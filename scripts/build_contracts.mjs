#!/usr/bin/env node
// Compiles contracts/*.sol with the pinned solcjs into ogcli/protocol/artifacts/<Name>.json.
// The artifacts are committed so users need neither node nor solc; `--check` compares a fresh
// compile with what is committed and exits 1 when they differ (used by the test suite).
// `--sources DIR --out DIR` compiles another folder's contracts (tests/contracts, the test
// harnesses) with the same settings, their imports resolved against contracts/ as well.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const contractsDir = path.join(root, "contracts");
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? path.resolve(args.splice(at, 2)[1]) : null;
};
const sourcesDir = option("--sources") || contractsDir;
const artifactsDir = option("--out") || path.join(root, "ogcli", "protocol", "artifacts");
const check = args.includes("--check");
const only = args.filter((a) => !a.startsWith("--"));

// Settings are part of the artifact: any change here is a change of bytecode.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "prague",
  viaIR: true,
  metadata: { bytecodeHash: "none" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function findImports(importPath) {
  const candidates = [
    path.join(root, "node_modules", importPath),
    path.join(contractsDir, importPath),
  ];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `not found: ${importPath}` };
}

const files = fs
  .readdirSync(sourcesDir, { recursive: true })
  .filter((f) => f.endsWith(".sol"))
  .sort();
const sources = {};
for (const file of files) {
  sources[file] = { content: fs.readFileSync(path.join(sourcesDir, file), "utf8") };
}

const input = { language: "Solidity", sources, settings: SETTINGS };
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const diagnostic of output.errors || []) {
  // Warnings inside OpenZeppelin's sources are theirs to fix; ours and every error are shown.
  const file = diagnostic.sourceLocation ? diagnostic.sourceLocation.file : "";
  if (diagnostic.severity === "error" || !file.startsWith("@")) {
    process.stderr.write(diagnostic.formattedMessage + "\n");
  }
}
if (errors.length) process.exit(2);

// Only contracts defined in our own files (not OpenZeppelin's) and with bytecode or an ABI
// the CLI needs become artifacts; abstract contracts, interfaces and libraries of our own are skipped.
const artifacts = {};
for (const file of files) {
  for (const [name, contract] of Object.entries(output.contracts[file] || {})) {
    if (only.length && !only.includes(name)) continue;
    if (!contract.evm.bytecode.object) continue;
    // A library of internal functions compiles to a stub nobody deploys: it lives in its users.
    if (new RegExp(`\\blibrary\\s+${name}\\b`).test(sources[file].content)) continue;
    artifacts[name] = {
      contractName: name,
      sourceName: path.relative(root, path.join(sourcesDir, file)),
      compiler: `solc-js ${solc.version()}`,
      settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, viaIR: SETTINGS.viaIR },
      abi: contract.abi,
      bytecode: "0x" + contract.evm.bytecode.object,
      deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
    };
  }
}

let stale = [];
fs.mkdirSync(artifactsDir, { recursive: true });
for (const [name, artifact] of Object.entries(artifacts)) {
  const target = path.join(artifactsDir, `${name}.json`);
  const text = JSON.stringify(artifact, null, 1) + "\n";
  if (check) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
    if (current !== text) stale.push(name);
  } else {
    fs.writeFileSync(target, text);
  }
}
if (check && !only.length) {
  const committed = fs.readdirSync(artifactsDir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
  for (const name of committed) if (!(name in artifacts)) stale.push(`${name} (no longer in contracts/)`);
}
if (stale.length) {
  process.stderr.write(`stale artifacts: ${stale.join(", ")}; run scripts/build_contracts.mjs\n`);
  process.exit(1);
}
process.stderr.write(`${check ? "checked" : "wrote"} ${Object.keys(artifacts).length} artifacts\n`);
