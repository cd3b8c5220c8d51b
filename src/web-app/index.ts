export * from './highly-available-web-app';
