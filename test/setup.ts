// Snapshots hold templates; asset hashes change with every bundler or dependency bump, so they
// are replaced by a marker and a snapshot changes only when the template does.
const ASSET_HASH = /[0-9a-f]{64}/g;

expect.addSnapshotSerializer({
  test: (value: unknown) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '[ASSET HASH]')),
});
