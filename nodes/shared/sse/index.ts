export * from './reader';
export * from './assembler';
