// Optimisers and schedules.
export { AdamW, SGD, type AdamWOptions, type AdamWState } from './adamw.js';
export { lrFactor, clipGradNorm, type ScheduleKind } from './schedule.js';
