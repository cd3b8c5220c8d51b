export * from './highly-available-web-app';
export { WebAcl } from './web-acl';
