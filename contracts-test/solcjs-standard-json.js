// Minimal solc command line for forge, backed by the npm `solc` package's compile() (solcjs's own CLI
// rejects `--allow-paths` and prints an SMT notice on stdout, which breaks forge's JSON parsing).
// Supports: `--version`; `[--allow-paths X] [--base-path X] [--include-path X] --standard-json` (stdin).
'use strict';
const fs = require('fs');
const path = require('path');

const solcDir = process.env.SOLCJS_DIR || path.join(__dirname, '..', 'node_modules', 'solc');
const solc = require(solcDir);
const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('this wrapper supports only --version and --standard-json\n');
  process.exit(2);
}

function flagValues(name) {
  const out = [];
  args.forEach((a, i) => {
    if (a === name && i + 1 < args.length) out.push(...args[i + 1].split(','));
  });
  return out;
}
const roots = [...flagValues('--base-path'), ...flagValues('--include-path'), process.cwd()];

// forge inlines every source; this callback only serves an import it did not inline.
function findImports(p) {
  for (const root of roots) {
    const full = path.resolve(root, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
  }
  return { error: `not found: ${p}` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
