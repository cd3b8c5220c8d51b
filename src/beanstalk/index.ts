export * from './application';
export * from './environment';
export * from './environment-options';
export * from './environment-pair';
export * from './options';
export * from './platform';
export * from './source-bundle';
