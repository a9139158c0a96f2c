#!/usr/bin/env node
import process from 'node:process';
import {guardProcessOutput, processIo} from './command-io.ts';
import {installFatalHandlers, printFatal, settleOutput} from './output.ts';
import {runRskeymgmt} from './rskeymgmt.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from './termination-signals.ts';

// As in cli.tsx: no stack trace for anything uncaught, no error for a reader that went away.
const json = process.argv.includes('--json');
installFatalHandlers(json);
const output = guardProcessOutput();
claimTerminationSignals();
let code: number;
try {
	code = await runRskeymgmt(process.argv.slice(2), processIo(abortOnTerminationSignals()));
} catch (error) {
	code = printFatal(process, error, json);
}

process.exitCode = await settleOutput(process, output, code);
