// Writes dist/rscm.1 from the command table (scripts/man-page.ts); run by scripts/build.js after the bundle, so every
// build, and so `npm pack` (prepack builds), carries a man page that matches `rscm --help`.
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import {commands} from '../source/commands/commands.ts';
import {version} from '../source/commands/version.ts';
import {manPage} from './man-page.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// SOURCE_DATE_EPOCH (reproducible builds) fixes the date; otherwise the day of the build.
const epoch = process.env['SOURCE_DATE_EPOCH'];
const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().slice(0, 10);
mkdirSync(path.join(root, 'dist'), {recursive: true});
writeFileSync(path.join(root, 'dist', 'rscm.1'), manPage(commands, {version, date}));
