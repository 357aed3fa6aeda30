/** `offline`, `online`, `link-device` and `unlink-device` steps: the devices of a user over time. */
import { deviceAddress } from '../types.ts';
import type { StepChecker } from './context.ts';

/** A device that exists now and is online goes offline. */
export const offlineStep: StepChecker<'offline'> = (device, { index, at }, state) => {
  const address = state.currentDevice(device, at('offline'), index);
  if (!address) return undefined;
  const since = state.offlineSince.get(address);
  if (since !== undefined) state.add(at('offline'), `device '${address}' is already offline (since steps[${since}])`);
  else state.offlineSince.set(address, index);
  return { kind: 'offline', device: address };
};

/** A device that exists now and is offline comes back online. */
export const onlineStep: StepChecker<'online'> = (device, { index, at }, state) => {
  const address = state.currentDevice(device, at('online'), index);
  if (!address) return undefined;
  if (!state.offlineSince.has(address)) state.add(at('online'), `device '${address}' is already online`);
  state.offlineSince.delete(address);
  return { kind: 'online', device: address };
};

/** A known user gets a device with a name it never had. */
export const linkDeviceStep: StepChecker<'link-device'> = ({ user, device }, { at }, state) => {
  if (!state.knownUser(user, at('link-device', 'user'))) return undefined;
  const address = deviceAddress(user, device);
  const devices = state.devices.get(user)!;
  const unlinked = state.unlinkedAt.get(address);
  if (devices.includes(device)) {
    state.add(at('link-device', 'device'), `device '${address}' already exists (${state.has(user)})`);
  } else if (unlinked !== undefined) {
    state.add(
      at('link-device', 'device'),
      `device '${address}' was unlinked at steps[${unlinked}]; a newly linked device needs a new name`,
    );
  } else {
    devices.push(device);
    state.everDevices.add(address);
  }
  return { kind: 'link-device', user, device };
};

/** A device that exists now, and is not its user's primary, is unlinked (and no longer offline). */
export const unlinkDeviceStep: StepChecker<'unlink-device'> = ({ device }, { index, at }, state) => {
  const path = at('unlink-device', 'device');
  const address = state.currentDevice(device, path, index);
  if (!address) return undefined;
  const dot = address.indexOf('.');
  const user = address.slice(0, dot);
  const devices = state.devices.get(user)!;
  const position = devices.indexOf(address.slice(dot + 1));
  if (position === 0) {
    state.add(path, `cannot unlink '${address}': it is ${user}'s primary device`);
  } else {
    devices.splice(position, 1);
    state.unlinkedAt.set(address, index);
    state.offlineSince.delete(address);
  }
  return { kind: 'unlink-device', device: address };
};
