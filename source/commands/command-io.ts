import type {Readable, Writable} from 'node:stream';
import {RscmError} from '../errors.ts';

/** The streams a command talks to; the real process in production, buffers in tests. */
export type CommandIo = {
	stdin: Readable & {isTTY?: boolean; setRawMode?: (mode: boolean) => unknown};
	stdout: Writable;
	stderr: Writable & {isTTY?: boolean};
	env: NodeJS.ProcessEnv;
	/** Aborted on SIGINT/SIGTERM/SIGHUP: long operations stop cleanly after their current step. */
	signal: AbortSignal;
	/** The program human errors are printed under (`rskeymgmt: …`); rscm when not given. */
	program?: ProgramName | undefined;
};

export type ProgramName = 'rscm' | 'rskeymgmt';

export function processIo(signal: AbortSignal): CommandIo {
	guardProcessOutput();
	return {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signal};
}

export function stdinIsTerminal(io: CommandIo): boolean {
	return Boolean(io.stdin.isTTY);
}

type OutputName = 'stdout' | 'stderr';

/** What became of the process's stdout and stderr since guardProcessOutput() (README, Output and exit codes). */
export type OutputGuard = {
	/** The reader went away (EPIPE: `| head` exited; EIO on a terminal that hung up): the rest is dropped quietly. */
	closed(name: OutputName): boolean;
	/** Another write error on stdout (a full disk under `> file`): the output is incomplete, the command fails with it. */
	readonly failure: RscmError | undefined;
	/** Resolves once the errors of the writes made so far have arrived (streams report them a tick later). */
	settled(): Promise<void>;
};

let guard: OutputGuard | undefined;

function readerGone(error: NodeJS.ErrnoException, stream: NodeJS.WriteStream): boolean {
	return error.code === 'EPIPE' || error.code === 'ECONNRESET' || (error.code === 'EIO' && stream.isTTY === true);
}

function outputFailure(error: NodeJS.ErrnoException): RscmError {
	if (error.code === 'ENOSPC' || error.code === 'EDQUOT') {
		return new RscmError('DISK_FULL', 'No space left on the device: the output on stdout is incomplete.', {
			cause: error,
			hint: 'Free some space, or send the output elsewhere.',
		});
	}

	return new RscmError('IO_ERROR', `Cannot write the output on stdout (${error.code ?? error.message}): it is incomplete.`, {cause: error});
}

/**
 * Handles the write errors of stdout and stderr, once per process. Without a listener a stream error is an
 * uncaught exception: `rscm datasource list | head` printed Node's EPIPE stack trace. A closed output ends the
 * output quietly, as POSIX tools do: nothing is printed about it, and the command goes on (a key change finishes
 * rather than stopping mid-way) and exits with its own status. Writes after that are dropped by the stream.
 */
export function guardProcessOutput(): OutputGuard {
	if (guard) return guard;
	const closed = new Set<OutputName>();
	let failure: RscmError | undefined;
	for (const name of ['stdout', 'stderr'] as const) {
		const stream = process[name];
		stream.on('error', (error: NodeJS.ErrnoException) => {
			if (readerGone(error, stream)) closed.add(name);
			// stderr carries progress and messages, not the result: a failure there changes nothing a script reads.
			else if (name === 'stdout') failure ??= outputFailure(error);
			else closed.add(name);
		});
	}

	guard = {
		closed: name => closed.has(name),
		get failure() {
			return failure;
		},
		settled: async () =>
			new Promise(resolve => {
				setImmediate(resolve);
			}),
	};
	return guard;
}
