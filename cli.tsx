#!/usr/bin/env node
import process from 'node:process';

// Placeholder entry: replaced by the command dispatcher.
process.stdout.write('rscm\n');
