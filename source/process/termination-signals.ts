import {writeSync} from 'node:fs';
import process from 'node:process';

export const terminationSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export type TerminationSignal = (typeof terminationSignals)[number];

const signalNumbers: Record<TerminationSignal, number> = {SIGHUP: 1, SIGINT: 2, SIGTERM: 15};

/** The shell's convention for a program stopped by a signal: 128 + its number (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: TerminationSignal): number {
	return 128 + signalNumbers[signal];
}

/** The abort reason of the commands' signal: which signal asked the command to stop. */
export class TerminationRequest extends Error {
	override readonly name = 'TerminationRequest';
	constructor(readonly signal: TerminationSignal) {
		super(`Stopped by ${signal}`);
	}
}

/** The signal that aborted `signal`, if a termination signal did (not a timeout or the program itself). */
export function terminationSignalOf(signal: AbortSignal): TerminationSignal | undefined {
	return signal.aborted && signal.reason instanceof TerminationRequest ? signal.reason.signal : undefined;
}

/**
 * Makes rscm the only owner of Ctrl+C, SIGTERM and SIGHUP. conf's atomic writer loads when-exit, which hooks these
 * signals as soon as it is imported and re-raises each one to the process: a key change would then see a second
 * signal at once and exit mid-way instead of finishing its batch, and the UI would die before its clean-ups ran and
 * the terminal was restored. when-exit still runs its clean-up on 'exit'.
 *
 * Call it at the top of each entry, before installing the entry's own handlers.
 */
export function claimTerminationSignals(): void {
	for (const signal of terminationSignals) process.removeAllListeners(signal);
}

/**
 * The commands' handling (README, Output and exit codes): the first signal asks the running operation to stop
 * after its current step (a key change finishes its batch and stays resumable); the command then fails with
 * CANCELLED and exits 128 + the signal's number. A second signal exits at once with that status.
 */
export function abortOnTerminationSignals(): AbortSignal {
	const controller = new AbortController();
	for (const signal of terminationSignals) {
		process.on(signal, () => {
			if (controller.signal.aborted) {
				try {
					// A line of its own: a progress line (and the terminal's ^C) may be on the current one.
					writeSync(2, `\nrscm: Stopped at once by a second ${signal}; the step under way was not finished. [CANCELLED]\nA key change resumes when run again.\n`);
				} catch {
					// No stderr left.
				}

				process.exit(signalExitCode(signal));
			}

			controller.abort(new TerminationRequest(signal));
		});
	}

	return controller.signal;
}
