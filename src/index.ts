export * from './web-app';
export * from './eip-failover';
export * from './beanstalk';
