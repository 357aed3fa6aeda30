/** The reporters an audit writes when `--reporter` is not given (kept apart so the command line can name them without loading the reporters). */
export const DEFAULT_REPORTERS = ['list', 'json', 'md', 'html'] as const;
