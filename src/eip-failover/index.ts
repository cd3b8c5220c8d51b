export * from './elastic-ip-failover-instance';
export * from './failover-strategy';
export * from './options';
export * from './data-volume-backup-plan';
export * from './health-probe';
