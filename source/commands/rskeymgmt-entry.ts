#!/usr/bin/env node
import process from 'node:process';

process.stdout.write('rskeymgmt\n');
