export * from './detachable-database';
