export * from './experiments';
export * from './options';
