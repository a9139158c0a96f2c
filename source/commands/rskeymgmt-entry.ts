#!/usr/bin/env node
import process from 'node:process';
import {guardProcessOutput, processIo} from './command-io.ts';
import {installFatalHandlers, printFatal, settleOutput} from './output.ts';
import {runRskeymgmt} from './rskeymgmt.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from '../process/termination-signals.ts';

// As in cli.tsx: no stack trace for anything uncaught, no error for a reader that went away; errors say `rskeymgmt:`.
const json = process.argv.includes('--json');
const program = 'rskeymgmt';
installFatalHandlers(json, program);
const output = guardProcessOutput();
claimTerminationSignals();
const io = {...processIo(abortOnTerminationSignals()), program} as const;
let code: number;
try {
	code = await runRskeymgmt(process.argv.slice(2), io);
} catch (error) {
	code = printFatal(io, error, json);
}

process.exitCode = await settleOutput(io, output, code);
