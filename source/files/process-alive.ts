import process from 'node:process';

/**
 * Whether a process of this host still runs (signal 0 probes without touching it). EPERM means it runs as another
 * user. Used to tell a dead writer's leftovers (temp files, a key-change lease) from a live one's.
 */
export function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
