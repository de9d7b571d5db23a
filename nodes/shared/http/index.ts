export * from './client';
export * from './dispatcher';
export * from './errors';
