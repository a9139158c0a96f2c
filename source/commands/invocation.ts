// What the entry needs to choose between the Configuration Manager and a command, kept apart from the command table
// (source/commands/commands.ts and everything the commands import): `rscm` alone must reach its first frame without
// loading any of it.
import {catalogLocationKinds} from '../core/catalog-kinds.ts';
import type {OptionSpec} from './commands.ts';

export const globalOptions: Record<string, OptionSpec> = {
	catalog: {type: 'string', value: 'LOCATION', description: `Catalog: ${catalogLocationKinds()} (env RSCM_CATALOG).`},
	'instance-dir': {type: 'string', value: 'DIR', description: 'Instance directory: identity and local settings (env RSCM_INSTANCE_DIR).'},
	json: {type: 'boolean', description: 'Print the result or the error as one JSON document on stdout.'},
	ascii: {type: 'boolean', description: 'Configuration Manager: draw in plain ASCII (the default where the locale is not UTF-8 or TERM is linux/vt100/dumb).'},
	unicode: {type: 'boolean', description: 'Configuration Manager: draw in Unicode even where the locale or TERM suggests ASCII.'},
	'screen-reader': {type: 'boolean', description: 'Configuration Manager: a linear, labelled reading for screen readers (env INK_SCREEN_READER=true).'},
	help: {type: 'boolean', short: 'h', description: 'Show help.'},
	version: {type: 'boolean', short: 'v', description: 'Show the version.'},
};

const globalValueOptions = new Set(
	Object.entries(globalOptions).flatMap(([name, spec]) => (spec.type === 'string' ? [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])] : [])),
);

/**
 * `rscm` alone, with global options only, opens the Configuration Manager; anything else is a command. Anything
 * that is not a global option (a command word, a command's option) goes to the command runner, which explains it:
 * `rscm --file x` gets the usage instead of a Configuration Manager that would ignore --file.
 */
export function isInteractiveInvocation(argv: string[]): boolean {
	for (let index = 0; index < argv.length; index++) {
		const token = argv[index]!;
		if (!token.startsWith('-') || ['--help', '-h', '--version', '-v'].includes(token)) return false;
		const name = token.startsWith('--') ? token.slice(2).split('=', 1)[0]! : '';
		if (!Object.hasOwn(globalOptions, name)) return false;
		if (globalValueOptions.has(token)) index++;
	}

	return true;
}
