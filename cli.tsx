#!/usr/bin/env node
// The entry decides early between the two front ends that share one core: the Configuration Manager (Ink, needs a
// terminal) and the non-interactive commands for scripts. The UI is imported lazily so commands never load React.
import process from 'node:process';
import {processIo} from './source/commands/command-io.ts';
import {printError} from './source/commands/output.ts';
import {isInteractiveInvocation, runCommand} from './source/commands/run-cli.ts';
import {RscmError} from './source/core/errors.ts';

const argv = process.argv.slice(2);

async function main(): Promise<number> {
	if (isInteractiveInvocation(argv)) {
		if (!process.stdin.isTTY || !process.stdout.isTTY) {
			return printError(
				processIo(new AbortController().signal),
				new RscmError('NOT_A_TERMINAL', 'rscm opens the Configuration Manager only on a terminal; for scripts use the commands (rscm --help).'),
				// A script that passed --json expects the error as JSON on stdout, like every other failure.
				argv.includes('--json'),
			);
		}

		const {startConfigurationManager} = await import('./source/ui/start.tsx');
		return startConfigurationManager(argv);
	}

	// First Ctrl+C (or SIGTERM/SIGHUP) asks the running operation to stop after its current step — a key change
	// finishes its batch and stays resumable; a second one exits at once.
	const controller = new AbortController();
	const stop = () => {
		if (controller.signal.aborted) process.exit(130);
		controller.abort();
	};

	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		// conf's atomic writer (via when-exit) hooks these signals when it loads and re-raises each one to the process:
		// the re-raised copy looked like a second Ctrl+C and exited with 130 at once, so a key change never stopped
		// after its batch and a backup was cut mid-way. Our handler owns them; when-exit still cleans up on 'exit'.
		process.removeAllListeners(signal);
		process.on(signal, stop);
	}
	return runCommand(argv, processIo(controller.signal));
}

process.exitCode = await main();
