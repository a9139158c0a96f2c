#!/usr/bin/env node
// The entry decides early between the two front ends that share one core: the Configuration Manager (Ink, needs a
// terminal) and the non-interactive commands for scripts. The UI is imported lazily so commands never load React.
import process from 'node:process';
import {processIo} from './source/commands/command-io.ts';
import {printError} from './source/commands/output.ts';
import {isInteractiveInvocation, runCommand} from './source/commands/run-cli.ts';
import {RscmError} from './source/core/errors.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from './source/commands/termination-signals.ts';

const argv = process.argv.slice(2);

async function main(): Promise<number> {
	claimTerminationSignals();
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

	return runCommand(argv, processIo(abortOnTerminationSignals()));
}

process.exitCode = await main();
