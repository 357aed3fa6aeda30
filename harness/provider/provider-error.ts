/** The error the provider answers a request it cannot serve with (no such device, user or group; not the admin). */
export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}
