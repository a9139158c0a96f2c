// rscm(1), written in roff from the command table that `--help` and `rscm completion` are built from: a command or
// option added to source/commands/commands.ts appears here at the next build (scripts/man.ts writes dist/rscm.1).
import type {CommandSpec, OptionSpec} from '../source/commands/commands.ts';
import {globalOptions} from '../source/commands/invocation.ts';

/**
 * Text as roff reads it: backslashes and hyphens escaped (an unescaped `-` may print as a hyphen, which a reader
 * cannot paste into a shell), every character beyond ASCII named by its code point (so neither groff nor mandoc
 * depends on the locale), and a line that would start with a control character (`.` or `'`) guarded with `\&`.
 */
export function roffText(text: string): string {
	return guardLines(escaped(text));
}

function escaped(text: string): string {
	return [...text.replaceAll('\\', '\\e').replaceAll('-', '\\-')]
		.map(character => (character.codePointAt(0)! > 0x7e ? `\\[u${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]` : character))
		.join('');
}

function guardLines(text: string): string {
	return text.replaceAll(/^[.']/gm, '\\&$&');
}

/**
 * Prose for a filled paragraph: each sentence on a line of its own (so roff knows where sentences end), lines wrapped
 * at spaces below 80 columns (the man page lint's style). roff joins them again.
 */
export function roffProse(text: string): string {
	const lines: string[] = [];
	for (const sentence of escaped(text).split(/(?<=\.) +/)) {
		let line = '';
		for (const word of sentence.split(' ')) {
			if (line !== '' && line.length + 1 + word.length > 79) {
				lines.push(line);
				line = word;
			} else {
				line = line === '' ? word : `${line} ${word}`;
			}
		}

		lines.push(line);
	}

	return guardLines(lines.join('\n'));
}

function bold(text: string): string {
	return `\\fB${roffText(text)}\\fR`;
}

function italic(text: string): string {
	return `\\fI${roffText(text)}\\fR`;
}

function usage(command: CommandSpec): string {
	return [bold(['rscm', ...command.words].join(' ')), ...(command.positionals ?? []).map(name => italic(name))].join(' ');
}

function optionItems(options: Record<string, OptionSpec>): string[] {
	return Object.entries(options).flatMap(([name, spec]) => [
		'.TP',
		[...(spec.short ? [`${bold(`-${spec.short}`)}, `] : []), bold(`--${name}`), ...(spec.value ? [` ${italic(spec.value)}`] : [])].join(''),
		roffProse(spec.description),
	]);
}

function exampleBlock(lines: string[]): string[] {
	return ['.PP', '.RS 4', '.nf', ...lines.map(line => roffText(line)), '.fi', '.RE'];
}

export type ManPageOptions = {version: string; /** YYYY-MM-DD */ date: string};

export function manPage(commands: CommandSpec[], {version, date}: ManPageOptions): string {
	const commandItems = commands.flatMap(command => [
		'.TP',
		usage(command),
		`${roffProse(command.summary)}.`,
		...(Object.keys(command.options).length > 0 ? ['.RS', ...optionItems(command.options), '.RE'] : []),
	]);
	const lines = [
		`.\\" Generated from rscm's command table by scripts/man.ts; edit source/commands/commands.ts, not this file.`,
		`.TH RSCM 1 ${date} "rscm ${roffText(version)}" "User Commands"`,
		'.SH NAME',
		'rscm \\- Report Server Configuration Manager for the terminal',
		'.SH SYNOPSIS',
		`${bold('rscm')} [${italic('global options')}]`,
		'.br',
		`${bold('rscm')} ${italic('command')} [${italic('arguments')}] [${italic('options')}]`,
		'.br',
		`${bold('rskeymgmt')} ${italic('flags')}`,
		'.SH DESCRIPTION',
		roffProse(
			'rscm manages a report server\'s encryption key, the symmetric key that protects every connection string and stored credential in the report server database (the catalog): it backs the key up to a password-protected file, restores it, changes it (re-encrypting everything, online and resumable) and deletes encrypted content when the key is lost, on one server or on many servers sharing one catalog (scale-out).',
		),
		'.PP',
		roffProse('Run alone on a terminal, rscm opens the Configuration Manager, laid out as the SQL Server Reporting Services Configuration Manager. With a command it runs non-interactively, for scripts. rskeymgmt takes the flags of the SSRS key management tool and runs the matching rscm command; run rskeymgmt -? for them.'),
		'.PP',
		roffProse('Passwords are never taken from the command line: a no-echo prompt on a terminal, --password-stdin or --password-file. Destructive commands ask on a terminal and need --yes when stdin is not one.'),
		'.SH COMMANDS',
		...commandItems,
		'.SH OPTIONS',
		roffProse('These options apply to every command, and to rscm alone:'),
		...optionItems(globalOptions),
		'.SH "EXIT STATUS"',
		'.TP',
		'.B 0',
		roffProse('Success (also when the reader of stdout went away).'),
		'.TP',
		'.B 1',
		roffProse('The operation failed; the error\'s code is printed (rscm: MESSAGE [CODE] on stderr, or the JSON error with --json).'),
		'.TP',
		'.B 2',
		roffProse('Usage error (USAGE, NOT_A_TERMINAL).'),
		'.TP',
		'.B 129, 130, 143',
		roffProse('Stopped by SIGHUP, SIGINT or SIGTERM: the operation stopped after its current step; a key change resumes when run again.'),
		'.SH ENVIRONMENT',
		...[
			['RSCM_CATALOG', 'The catalog, as --catalog: a SQLite file path or a postgres:// URL.'],
			['RSCM_INSTANCE_DIR', 'The instance directory, as --instance-dir.'],
			['RSCM_DEBUG', 'Any value but empty, 0 or false: an unexpected error also prints its stack, for a report.'],
			['RSCM_ASCII', '1 draws the Configuration Manager in plain ASCII, as --ascii; 0 in Unicode, as --unicode.'],
			['INK_SCREEN_READER', 'true: the Configuration Manager\'s screen-reader reading, as --screen-reader.'],
			['NO_COLOR', 'Set: the Configuration Manager draws without colour.'],
			['XDG_DATA_HOME, XDG_CONFIG_HOME', 'Where the default catalog and instance directory live (see FILES).'],
			['PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE', 'Fill in what a postgres:// catalog URL leaves out; keep the password there or in ~/.pgpass rather than in the URL.'],
		].flatMap(([name, text]) => ['.TP', bold(name!), roffProse(text!)]),
		'.SH FILES',
		...[
			['$XDG_DATA_HOME/rscm/catalog.db', 'The default SQLite catalog (~/.local/share/rscm/catalog.db).'],
			['$XDG_CONFIG_HOME/rscm/', 'The default instance directory, mode 0700 (~/.config/rscm).'],
			['<instance dir>/identity.key', 'This instance\'s service identity (an X25519 private key), mode 0600.'],
			['<instance dir>/settings.json', 'Local settings: installation id, names, the chosen catalog, URLs; mode 0600.'],
			['<instance dir>/trust.json', 'Per catalog, the newest key version and keyring seal this instance trusted; mode 0600.'],
		].flatMap(([name, text]) => ['.TP', italic(name!), roffProse(text!)]),
		'.SH EXAMPLES',
		// A paragraph per command: its summary, then its examples as they are typed.
		...commands.flatMap((command, index) => [...(index > 0 ? ['.PP'] : []), `${roffProse(command.summary)}:`, ...exampleBlock(command.examples)]),
		'.SH "SEE ALSO"',
		roffProse('The README of the rscm package (Commands, Error codes, Scale-out deployment) and its SECURITY.md; rscm --help and rscm COMMAND --help.'),
		'',
	];
	return lines.join('\n');
}
