export { Size } from 'aws-cdk-lib';
export { ElasticIpFailoverInstance, FailoverStrategy, HealthProbe, StandbyState } from '../../src';
