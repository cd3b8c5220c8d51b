#!/usr/bin/env node
/*
 * Fails when the public API (the compiled .jsii assembly) has an exported type or member without a
 * doc comment, an optional struct property without `@default`, or a construct without `@example`.
 * Runs after compile, so it checks exactly what users of every language see.
 */
const fs = require('fs');
const path = require('path');

const assembly = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.jsii'), 'utf-8'));
const problems = [];
for (const [fqn, type] of Object.entries(assembly.types)) {
  if (!type.docs || !type.docs.summary) problems.push(`${fqn}: no doc comment`);
  const isConstruct = type.kind === 'class' && hasConstructBase(type);
  if (isConstruct && !(type.docs && type.docs.example)) problems.push(`${fqn}: construct without @example`);
  const members = [...(type.properties || []), ...(type.methods || [])];
  for (const member of members) {
    const docs = member.docs || {};
    if (!docs.summary) problems.push(`${fqn}.${member.name}: no doc comment`);
    if (type.kind === 'interface' && type.datatype && member.optional && docs.default === undefined) {
      problems.push(`${fqn}.${member.name}: optional property without @default`);
    }
  }
}

function hasConstructBase(type) {
  for (let t = type; t && t.base; t = assembly.types[t.base]) {
    if (t.base === 'constructs.Construct') return true;
  }
  return false;
}

if (problems.length > 0) {
  console.error(`check-api-docs: ${problems.length} problem(s) in the public API:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-api-docs: ${Object.keys(assembly.types).length} exported types documented`);
