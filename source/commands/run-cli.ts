import {isRscmError, RscmError, toRscmError} from '../errors.ts';
import {openSession} from '../core/session.ts';
import type {CommandIo} from './command-io.ts';
import {globalOptions} from './invocation.ts';
import {commands, findCommand, type CommandSpec, type OptionSpec} from './commands.ts';
import {printError, printJson} from './output.ts';
import {parseOptions} from './parse-options.ts';
import {signalExitCode, terminationSignalOf} from '../process/termination-signals.ts';
import {version} from './version.ts';

const valueOptions = new Set(
	[globalOptions, ...commands.map(command => command.options)].flatMap(options =>
		Object.entries(options).flatMap(([name, spec]) => (spec.type === 'string' ? [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])] : [])),
	),
);

/** The words before the options: `rscm --catalog x key backup --file y` → ['key', 'backup']. */
function commandWords(argv: string[]): string[] {
	const words: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const token = argv[index]!;
		if (token.startsWith('-')) {
			if (valueOptions.has(token)) index++;
			continue;
		}

		words.push(token);
	}

	return words;
}

export function generalHelp(): string {
	const width = Math.max(...commands.map(command => usageLine(command).length));
	return [
		'rscm — Report Server Configuration Manager for the terminal',
		'',
		'Usage:',
		`  ${'rscm'.padEnd(width)}  open the Configuration Manager (needs a terminal)`,
		...commands.map(command => `  ${usageLine(command).padEnd(width)}  ${command.summary}`),
		'',
		'Global options:',
		...optionLines(globalOptions),
		'',
		'Passwords are never taken from the command line: a no-echo prompt on a terminal, --password-stdin or --password-file.',
		'Exit codes: 0 success, 1 the operation failed, 2 usage error, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.',
		'Run `rscm <command> --help` for examples.',
		'',
	].join('\n');
}

function usageLine(command: CommandSpec): string {
	const positionals = (command.positionals ?? []).join(' ');
	return ['rscm', ...command.words, positionals].filter(Boolean).join(' ');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
	const rows = Object.entries(options).map(([name, spec]) => [
		`${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`,
		spec.description,
	]);
	const width = Math.max(...rows.map(([left]) => left!.length));
	return rows.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`);
}

/** The commands that start with these words and go further: `rscm key` → key backup, key restore, … */
function commandsUnder(words: string[]): CommandSpec[] {
	return commands.filter(command => command.words.length > words.length && words.every((word, index) => command.words[index] === word));
}

function commandList(list: CommandSpec[]): string[] {
	const width = Math.max(...list.map(command => usageLine(command).length));
	return list.map(command => `  ${usageLine(command).padEnd(width)}  ${command.summary}`);
}

export function commandHelp(command: CommandSpec): string {
	const related = commandsUnder(command.words);
	return [
		`Usage: ${usageLine(command)} [options]`,
		'',
		command.summary + '.',
		'',
		'Options:',
		...optionLines(command.options),
		'',
		'Examples:',
		...command.examples.map(example => `  ${example}`),
		'',
		...(related.length > 0 ? ['See also:', ...commandList(related), ''] : []),
		'Global options (--catalog, --instance-dir, --json) apply too; see `rscm --help`.',
		'',
	].join('\n');
}

/** `rscm key --help`: the commands of one group (key, instance, datasource…), each with its summary. */
export function groupHelp(word: string, list: CommandSpec[]): string {
	return [
		`Usage: rscm ${word} <command> [options]`,
		'',
		'Commands:',
		...commandList(list),
		'',
		`Run \`rscm ${word} <command> --help\` for a command's options and examples.`,
		'',
	].join('\n');
}

export type RunOptions = {
	/**
	 * Rewords a command's error for another front end: rskeymgmt's own flags in the hints (`-y`, not `--yes`). Only
	 * the hint may change; the code and message stay what scripts match on.
	 */
	explain?: (error: RscmError) => RscmError;
};

/** Runs one non-interactive command; returns the process exit code. */
export async function runCommand(argv: string[], io: CommandIo, options: RunOptions = {}): Promise<number> {
	const json = argv.includes('--json');
	const words = commandWords(argv);
	if (words.length === 0) {
		if (argv.includes('--version') || argv.includes('-v')) {
			io.stdout.write(`${version}\n`);
			return 0;
		}

		if (argv.includes('--help') || argv.includes('-h')) {
			io.stdout.write(generalHelp());
			return 0;
		}

		// `rscm --bogus`, `rscm --file x`: an option rscm alone does not take is named, as after a command.
		try {
			parseOptions(argv, {options: globalOptions, what: 'rscm', hint: 'Run `rscm --help` for the commands and their options.'});
		} catch (error) {
			return printError(io, error, json);
		}

		io.stdout.write(generalHelp());
		return 2;
	}

	const command = findCommand(words);
	const wantsHelp = argv.includes('--help') || argv.includes('-h');
	// A group's word alone (`rscm key`): its help lists the group's commands.
	const group = command === undefined && words.length === 1 ? commandsUnder(words) : [];
	if (group.length > 0) {
		if (wantsHelp) {
			io.stdout.write(groupHelp(words[0]!, group));
			return 0;
		}

		const names = group.map(entry => entry.words.slice(1).join(' '));
		return printError(io, new RscmError('USAGE', `\`rscm ${words[0]}\` needs a command: ${names.join(', ')}.`, {hint: `Run \`rscm ${words[0]} --help\`.`}), json);
	}

	if (!command) {
		const known = commands.filter(entry => entry.words[0] === words[0]);
		const hint = `${known.length > 0 ? `Did you mean: ${known.map(entry => entry.words.join(' ')).join(', ')}? ` : ''}Run \`rscm --help\` for the commands.`;
		return printError(io, new RscmError('USAGE', `Unknown command: ${words.join(' ')}.`, {hint}), json);
	}

	if (wantsHelp) {
		io.stdout.write(commandHelp(command));
		return 0;
	}

	/** Prints an error; the exit code is the command's own when it has one (`rscm check`: 3, UNKNOWN). */
	const failed = (error: unknown): number => {
		const code = printError(io, error, json);
		return command.exitCodes?.onError ?? code;
	};

	let parsed;
	try {
		const name = `rscm ${command.words.join(' ')}`;
		parsed = parseOptions(argv, {options: {...globalOptions, ...command.options}, what: name, hint: `Run \`${name} --help\` for its options.`});
	} catch (error) {
		return failed(error);
	}

	const positionals = parsed.positionals.slice(command.words.length);
	const wanted = command.positionals ?? [];
	if (positionals.length !== wanted.length) {
		return failed(
			new RscmError('USAGE', `Expected ${wanted.length === 0 ? 'no arguments' : wanted.join(' ')} after \`rscm ${command.words.join(' ')}\`.`, {
				hint: `Usage: ${usageLine(command)}`,
			}),
		);
	}

	const {values} = parsed;
	try {
		const result = await command.run({
			io,
			values,
			positionals,
			json,
			openSession: async () =>
				openSession({
					catalog: values['catalog'] as string | undefined,
					instanceDirectory: values['instance-dir'] as string | undefined,
					env: io.env,
				}),
		});
		if (json && !command.streamsJson) printJson(io, result);
		return command.exitCodes?.ofResult(result) ?? 0;
	} catch (thrown) {
		const error = options.explain ? options.explain(toRscmError(thrown)) : thrown;
		// A usage error found by the command itself (--file missing, no password source) still tells how to call it.
		if (isRscmError(error, 'USAGE') && error.hint === undefined) {
			return failed(new RscmError('USAGE', error.message, {hint: `Usage: ${usageLine(command)} [options]; run \`rscm ${command.words.join(' ')} --help\`.`}));
		}

		const code = failed(error);
		// Stopped by Ctrl+C, SIGTERM or SIGHUP (the operation ended after its step with CANCELLED): the shell's
		// 128 + signal number, so a script tells "stopped" from "failed" (README, Output and exit codes).
		const signal = terminationSignalOf(io.signal);
		return signal !== undefined && isRscmError(error, 'CANCELLED') ? signalExitCode(signal) : code;
	}
}
