export * from './elastic-ip-failover-instance';
export * from './failover-strategy';
export * from './options';
