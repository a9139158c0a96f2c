import type {Readable, Writable} from 'node:stream';

/** The streams a command talks to; the real process in production, buffers in tests. */
export type CommandIo = {
	stdin: Readable & {isTTY?: boolean; setRawMode?: (mode: boolean) => unknown};
	stdout: Writable;
	stderr: Writable & {isTTY?: boolean};
	env: NodeJS.ProcessEnv;
	/** Aborted on SIGINT/SIGTERM/SIGHUP: long operations stop cleanly after their current step. */
	signal: AbortSignal;
};

export function processIo(signal: AbortSignal): CommandIo {
	return {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signal};
}

export function stdinIsTerminal(io: CommandIo): boolean {
	return Boolean(io.stdin.isTTY);
}
