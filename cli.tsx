#!/usr/bin/env node
// The entry decides early between the two front ends that share one core: the Configuration Manager (Ink, needs a
// terminal) and the non-interactive commands for scripts. Both are imported lazily: commands never load React, and
// the Configuration Manager's first frame never waits for the command table and what the commands import.
import process from 'node:process';
import {isInteractiveInvocation} from './source/commands/invocation.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from './source/commands/termination-signals.ts';

const argv = process.argv.slice(2);

async function main(): Promise<number> {
	if (isInteractiveInvocation(argv)) {
		if (!process.stdin.isTTY || !process.stdout.isTTY) {
			const [{processIo}, {printError}, {RscmError}] = await Promise.all([
				import('./source/commands/command-io.ts'),
				import('./source/commands/output.ts'),
				import('./source/core/errors.ts'),
			]);
			return printError(
				processIo(new AbortController().signal),
				new RscmError('NOT_A_TERMINAL', 'rscm opens the Configuration Manager only on a terminal; for scripts use the commands (rscm --help).'),
				// A script that passed --json expects the error as JSON on stdout, like every other failure.
				argv.includes('--json'),
			);
		}

		const {startConfigurationManager} = await import('./source/ui/start.tsx');
		// After the import, not before: conf (via when-exit) hooks the signals when it loads. start.tsx claims them
		// again once the UI's own modules have loaded.
		claimTerminationSignals();
		return startConfigurationManager(argv);
	}

	const [{processIo}, {runCommand}] = await Promise.all([import('./source/commands/command-io.ts'), import('./source/commands/run-cli.ts')]);
	// After the imports, which load conf and with it when-exit's signal hooks (see termination-signals.ts).
	claimTerminationSignals();
	return runCommand(argv, processIo(abortOnTerminationSignals()));
}

process.exitCode = await main();
