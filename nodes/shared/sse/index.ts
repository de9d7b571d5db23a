export * from './reader';
export * from './assembler';
export * from './errorEvent';
