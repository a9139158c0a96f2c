#!/usr/bin/env node
// The entry decides early between the two front ends that share one core: the Configuration Manager (Ink, needs a
// terminal) and the non-interactive commands for scripts. Both are imported lazily: commands never load React, and
// the Configuration Manager's first frame never waits for the command table and what the commands import.
import process from 'node:process';
import {guardProcessOutput, processIo} from './source/commands/command-io.ts';
import {isInteractiveInvocation} from './source/commands/invocation.ts';
import {installFatalHandlers, printFatal, settleOutput} from './source/commands/output.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from './source/process/termination-signals.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
// Before anything can fail: no failure reaches the user as a stack trace (README, Error codes: INTERNAL), and a
// stdout or stderr whose reader went away (`| head`) is no error at all (README, Output and exit codes).
installFatalHandlers(json);
const output = guardProcessOutput();

async function main(): Promise<number> {
	if (isInteractiveInvocation(argv)) {
		if (!process.stdin.isTTY || !process.stdout.isTTY) {
			const [{printError}, {RscmError}] = await Promise.all([import('./source/commands/output.ts'), import('./source/errors.ts')]);
			return printError(
				processIo(new AbortController().signal),
				new RscmError('NOT_A_TERMINAL', 'rscm opens the Configuration Manager only on a terminal; for scripts use the commands (rscm --help).'),
				// A script that passed --json expects the error as JSON on stdout, like every other failure.
				json,
			);
		}

		const {startConfigurationManager} = await import('./source/ui/start.tsx');
		// After the import, not before: conf (via when-exit) hooks the signals when it loads. start.tsx claims them
		// again once the UI's own modules have loaded.
		claimTerminationSignals();
		return startConfigurationManager(argv);
	}

	const {runCommand} = await import('./source/commands/run-cli.ts');
	// After the imports, which load conf and with it when-exit's signal hooks (see termination-signals.ts).
	claimTerminationSignals();
	return runCommand(argv, processIo(abortOnTerminationSignals()));
}

let code: number;
try {
	code = await main();
} catch (error) {
	// What the front ends did not catch themselves (opening the UI's session, a failure while printing an error).
	code = printFatal(process, error, json);
}

process.exitCode = await settleOutput(process, output, code);
