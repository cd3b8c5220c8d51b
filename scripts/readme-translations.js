#!/usr/bin/env node
/*
 * Puts the Python translation of every TypeScript example in README.md right after it, taken from
 * the jsii-rosetta tablet (.jsii.tabl.json) that `rosetta:extract` writes after compiling each
 * example in strict mode. `--check` changes nothing and fails when README.md is not up to date.
 *
 * A translation is shown as:
 *   <details><summary>Python</summary>
 *
 *   ```python
 *   ...
 *   ```
 *
 *   </details>
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const readmeFile = path.join(root, 'README.md');
const tabletFile = path.join(root, '.jsii.tabl.json');
const check = process.argv.includes('--check');

const tablet = JSON.parse(fs.readFileSync(tabletFile, 'utf-8'));
const python = new Map();
for (const snippet of Object.values(tablet.snippets)) {
  const ts = snippet.translations.$ && snippet.translations.$.source;
  const py = snippet.translations.python && snippet.translations.python.source;
  if (ts && py) python.set(ts.trim(), py.trim());
}

const readme = fs.readFileSync(readmeFile, 'utf-8');
const block = /```ts\n([\s\S]*?)```\n(\n<details><summary>Python<\/summary>\n\n```python\n[\s\S]*?```\n\n<\/details>\n)?/g;
const missing = [];
const updated = readme.replace(block, (_all, ts) => {
  const py = python.get(ts.trim());
  if (py === undefined) {
    missing.push(ts.split('\n')[0]);
    return _all;
  }
  return '```ts\n' + ts + '```\n\n<details><summary>Python</summary>\n\n```python\n' + py + '\n```\n\n</details>\n';
});

if (missing.length > 0) {
  console.error(`readme-translations: no translation in ${path.basename(tabletFile)} for ${missing.length} example(s), first lines:`);
  for (const m of missing) console.error(`  ${m}`);
  console.error('Run the build (compile + rosetta:extract) first.');
  process.exit(1);
}
if (check) {
  if (updated !== readme) {
    console.error('readme-translations: README.md Python translations are out of date; run `npx projen readme`.');
    process.exit(1);
  }
  console.log('readme-translations: README.md translations are up to date');
} else if (updated !== readme) {
  fs.writeFileSync(readmeFile, updated);
  console.log('readme-translations: README.md updated');
} else {
  console.log('readme-translations: README.md already up to date');
}
