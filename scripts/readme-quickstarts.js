#!/usr/bin/env node
/*
 * The README's Python, Java and Go quick starts are the files the consumer apps run
 * (test/consumers/<language>/...), so every language's first example is one CI synthesizes.
 * Each quick start in README.md is a fenced block right after a marker naming its file:
 *
 *   <!-- quickstart: test/consumers/python/quickstart.py -->
 *   ```python
 *   ...
 *   ```
 *
 *   node scripts/readme-quickstarts.js          rewrites each block from its file
 *   node scripts/readme-quickstarts.js --check  fails when a block differs from its file
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const readmeFile = path.join(root, 'README.md');
const check = process.argv.includes('--check');
const readme = fs.readFileSync(readmeFile, 'utf-8');

const marker = /<!-- quickstart: (\S+) -->\n```(\w+)\n([\s\S]*?)```\n/g;
let count = 0;
const stale = [];
const updated = readme.replace(marker, (_all, file, language, body) => {
  count++;
  const source = fs.readFileSync(path.join(root, file), 'utf-8');
  if (source !== body) stale.push(file);
  return `<!-- quickstart: ${file} -->\n\`\`\`${language}\n${source}\`\`\`\n`;
});

if (count === 0) {
  console.error('readme-quickstarts: README.md has no quick start markers');
  process.exit(1);
}
if (check) {
  if (stale.length > 0) {
    console.error(`readme-quickstarts: README.md differs from ${stale.join(', ')}; run npx projen readme`);
    process.exit(1);
  }
  console.log(`readme-quickstarts: ${count} quick start(s) match their consumer files`);
} else {
  fs.writeFileSync(readmeFile, updated);
  console.log(`readme-quickstarts: ${stale.length} of ${count} quick start(s) rewritten`);
}
