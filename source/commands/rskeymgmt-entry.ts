#!/usr/bin/env node
import process from 'node:process';
import {processIo} from './command-io.ts';
import {runRskeymgmt} from './rskeymgmt.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
	// when-exit (loaded by conf) re-raises these signals, which would look like a second Ctrl+C: see cli.tsx.
	process.removeAllListeners(signal);
	process.on(signal, () => {
		if (controller.signal.aborted) process.exit(130);
		controller.abort();
	});
}

process.exitCode = await runRskeymgmt(process.argv.slice(2), processIo(controller.signal));
