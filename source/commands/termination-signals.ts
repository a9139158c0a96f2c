import process from 'node:process';

export const terminationSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

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
 * The commands' handling: the first signal asks the running operation to stop after its current step (a key
 * change finishes its batch and stays resumable), a second one exits at once.
 */
export function abortOnTerminationSignals(): AbortSignal {
	const controller = new AbortController();
	for (const signal of terminationSignals) {
		process.on(signal, () => {
			if (controller.signal.aborted) process.exit(130);
			controller.abort();
		});
	}

	return controller.signal;
}
