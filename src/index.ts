export * from './web-app';
export * from './eip-failover';
export * from './database';
export * from './beanstalk';
export * from './common/alarm-setting';
export * from './resilience';
