// The call simulator's public surface: start it, wire the app's settings from it, read what it saw.

export { SIMULATOR_DEFAULTS, SIMULATOR_PATHS } from './defaults';
export { simulatorAppSettings } from './appSettings';
export { startSimulator, type RunningSimulator, type SimulatorOptions, type TestCallInput } from './server';
export type { SimulatorEndpoints } from './endpoints';
export type { Faults, ScriptedResponse } from './faults';
export type { CommsNotification, CommsNotifications } from './notifications';
export type { CallStats, DeliveryRecord, GraphRequestRecord, SimulatorStats } from './state';
