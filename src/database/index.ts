export * from './detachable-database';
export * from './database-backup-plan';
