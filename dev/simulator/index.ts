// The call simulator's public surface: start it, wire the app's settings from it, read what it saw.

export { SIMULATOR_DEFAULTS } from './defaults';
export { simulatorAppSettings } from './appSettings';
export { startSimulator, type RunningSimulator } from './server';
export type { CommsNotifications } from './notifications';
export type { DeliveryRecord, GraphRequestRecord } from './state';
