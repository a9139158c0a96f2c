import {parseArgs} from 'node:util';
import {isRscmError, RscmError} from '../core/errors.ts';
import {openSession} from '../core/session.ts';
import type {CommandIo} from './command-io.ts';
import {globalOptions} from './invocation.ts';
import {commands, findCommand, type CommandSpec, type OptionSpec} from './commands.ts';
import {printError, printJson} from './output.ts';
import {signalExitCode, terminationSignalOf} from './termination-signals.ts';
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

export function commandHelp(command: CommandSpec): string {
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
		'Global options (--catalog, --instance-dir, --json) apply too; see `rscm --help`.',
		'',
	].join('\n');
}

/** Runs one non-interactive command; returns the process exit code. */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
	const json = argv.includes('--json');
	const words = commandWords(argv);
	if (words.length === 0) {
		if (argv.includes('--version') || argv.includes('-v')) {
			io.stdout.write(`${version}\n`);
			return 0;
		}

		io.stdout.write(generalHelp());
		return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
	}

	const command = findCommand(words);
	if (!command) {
		const known = commands.filter(entry => entry.words[0] === words[0]);
		const hint = `${known.length > 0 ? `Did you mean: ${known.map(entry => entry.words.join(' ')).join(', ')}? ` : ''}Run \`rscm --help\` for the commands.`;
		return printError(io, new RscmError('USAGE', `Unknown command: ${words.join(' ')}.`, {hint}), json);
	}

	if (argv.includes('--help') || argv.includes('-h')) {
		io.stdout.write(commandHelp(command));
		return 0;
	}

	let parsed;
	try {
		const options = Object.fromEntries(
			Object.entries({...globalOptions, ...command.options}).map(([name, spec]) => [name, spec.short ? {type: spec.type, short: spec.short} : {type: spec.type}]),
		);
		parsed = parseArgs({args: argv, options, allowPositionals: true, strict: true});
	} catch (error) {
		return printError(io, new RscmError('USAGE', (error as Error).message, {hint: `Run \`rscm ${command.words.join(' ')} --help\`.`}), json);
	}

	const positionals = parsed.positionals.slice(command.words.length);
	const wanted = command.positionals ?? [];
	if (positionals.length !== wanted.length) {
		return printError(
			io,
			new RscmError('USAGE', `Expected ${wanted.length === 0 ? 'no arguments' : wanted.join(' ')} after \`rscm ${command.words.join(' ')}\`.`, {
				hint: `Usage: ${usageLine(command)}`,
			}),
			json,
		);
	}

	const values = parsed.values as Record<string, string | boolean | undefined>;
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
		if (json) printJson(io, result);
		return 0;
	} catch (error) {
		// A usage error found by the command itself (--file missing, no password source) still tells how to call it.
		if (isRscmError(error, 'USAGE') && error.hint === undefined) {
			return printError(io, new RscmError('USAGE', error.message, {hint: `Usage: ${usageLine(command)} [options]; run \`rscm ${command.words.join(' ')} --help\`.`}), json);
		}

		const code = printError(io, error, json);
		// Stopped by Ctrl+C, SIGTERM or SIGHUP (the operation ended after its step with CANCELLED): the shell's
		// 128 + signal number, so a script tells "stopped" from "failed" (README, Output and exit codes).
		const signal = terminationSignalOf(io.signal);
		return signal !== undefined && isRscmError(error, 'CANCELLED') ? signalExitCode(signal) : code;
	}
}
