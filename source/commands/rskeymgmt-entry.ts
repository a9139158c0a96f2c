#!/usr/bin/env node
import process from 'node:process';
import {processIo} from './command-io.ts';
import {runRskeymgmt} from './rskeymgmt.ts';
import {abortOnTerminationSignals, claimTerminationSignals} from './termination-signals.ts';

claimTerminationSignals();
process.exitCode = await runRskeymgmt(process.argv.slice(2), processIo(abortOnTerminationSignals()));
