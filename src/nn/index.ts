// Neural-network building blocks on the tensor engine.
export { Module, parameter, isParameter, type LoadOptions, type LoadReport } from './module.js';
export { Linear, Embedding, LayerNorm, RMSNorm, Dropout, withoutInit } from './layers.js';
