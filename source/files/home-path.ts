import os from 'node:os';
import path from 'node:path';

/** `~` and `~/…` as a shell expands them, for every path rscm is given (catalog files, instance directories, certificates). */
export function expandHome(location: string): string {
	return location === '~' || location.startsWith('~/') ? path.join(os.homedir(), location.slice(1)) : location;
}
