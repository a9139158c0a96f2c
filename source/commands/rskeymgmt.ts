import {Readable} from 'node:stream';
import {isRscmError, RscmError, toRscmError} from '../errors.ts';
import {findWaitingInstanceByName} from '../core/instances.ts';
import {openSession} from '../core/session.ts';
import {displayText} from '../core/terminal-text.ts';
import type {CommandIo} from './command-io.ts';
import {printError} from './output.ts';
import {parseOptions, type ParsedOptionSpec} from './parse-options.ts';
import {runCommand} from './run-cli.ts';

export const rskeymgmtHelp = `rskeymgmt — the SSRS key management tool's flags, on rscm's core

Usage:
  rskeymgmt -e -f FILE [-p PASSWORD|-p -]   back up (extract) the key          = rscm key backup
  rskeymgmt -a -f FILE [-p PASSWORD|-p -]   restore (apply) the key            = rscm key restore
  rskeymgmt -d                              delete encrypted content           = rscm key delete-content
  rskeymgmt -s                              change (reset) the key             = rscm key change
  rskeymgmt -l                              list instances                     = rscm instance list
  rskeymgmt -r INSTALLATION_ID              remove an instance                 = rscm instance remove
  rskeymgmt -j -m MACHINE -n INSTANCE       add a waiting instance             = rscm instance add

Options:
  -i DIR        instance directory (like --instance-dir)
  --catalog L   catalog location (or RSCM_CATALOG)
  -y            confirm a destructive operation without asking (needed when stdin is not a terminal)
  -t            trace: print the equivalent rscm command on stderr
  -p -          read the password from stdin; -p PASSWORD works but is visible to other users (ps, history)
  -?, -h        show this help
`;

const flagOptions = {
	e: {type: 'boolean', short: 'e'},
	a: {type: 'boolean', short: 'a'},
	d: {type: 'boolean', short: 'd'},
	s: {type: 'boolean', short: 's'},
	l: {type: 'boolean', short: 'l'},
	j: {type: 'boolean', short: 'j'},
	r: {type: 'string', short: 'r', value: 'INSTALLATION_ID'},
	f: {type: 'string', short: 'f', value: 'FILE'},
	p: {type: 'string', short: 'p', value: 'PASSWORD (or - to read it from stdin)'},
	m: {type: 'string', short: 'm', value: 'MACHINE'},
	n: {type: 'string', short: 'n', value: 'INSTANCE'},
	i: {type: 'string', short: 'i', value: 'DIR'},
	t: {type: 'boolean', short: 't'},
	y: {type: 'boolean', short: 'y'},
	catalog: {type: 'string', value: 'LOCATION'},
	json: {type: 'boolean'},
	help: {type: 'boolean', short: 'h'},
} satisfies Record<string, ParsedOptionSpec>;

type Flags = {[name in keyof typeof flagOptions]?: (typeof flagOptions)[name]['type'] extends 'string' ? string : boolean};

const helpHint = 'Run `rskeymgmt -?` for the flags.';

/** `-?` and `/?` are how Windows tools are asked for help; SSRS admins type them out of habit. */
const windowsHelp = new Set(['-?', '/?']);

/**
 * The hints of rscm's errors in rskeymgmt's terms: the flags it takes, not rscm's options (rskeymgmt has no
 * --force and no --yes). Code and message stay as they are.
 */
function inRskeymgmtTerms(error: RscmError): RscmError {
	const hints: Partial<Record<string, string>> = {
		FILE_EXISTS: 'rskeymgmt never overwrites a backup: give another file with -f, or move the existing file away first.',
		CONFIRMATION_REQUIRED: 'Pass -y to confirm.',
		USAGE: error.hint === undefined ? helpHint : undefined,
	};
	const hint = hints[error.code];
	return hint === undefined ? error : new RscmError(error.code, error.message, {hint, field: error.field, details: error.details, cause: error});
}

/**
 * rskeymgmt for SSRS admins' muscle memory: the flags are translated into the rscm command that does the same,
 * so both run the same core with the same errors and exit codes.
 */
export async function runRskeymgmt(argv: string[], io: CommandIo): Promise<number> {
	io = {...io, program: 'rskeymgmt'};
	const json = argv.includes('--json');
	if (argv.some(argument => windowsHelp.has(argument))) {
		io.stdout.write(rskeymgmtHelp);
		return 0;
	}

	let parsed;
	try {
		parsed = parseOptions(argv, {options: flagOptions, what: 'rskeymgmt', hint: helpHint});
	} catch (error) {
		io.stderr.write(rskeymgmtHelp);
		return printError(io, error, json);
	}

	const flags = parsed.values as Flags;
	if (flags.help) {
		io.stdout.write(rskeymgmtHelp);
		return 0;
	}

	if (parsed.positionals.length > 0) {
		io.stderr.write(rskeymgmtHelp);
		return printError(io, new RscmError('USAGE', `Unexpected argument ${parsed.positionals[0]!}: rskeymgmt takes flags only.`, {hint: helpHint}), json);
	}

	const actions = (['e', 'a', 'd', 's', 'l', 'j'] as const).filter(flag => flags[flag]);
	if (flags.r !== undefined) actions.push('r' as never);
	if (actions.length !== 1) {
		io.stderr.write(rskeymgmtHelp);
		return printError(io, new RscmError('USAGE', 'Give exactly one of -e, -a, -d, -s, -l, -r, -j.', {hint: helpHint}), json);
	}

	const common = [
		...(flags.catalog ? ['--catalog', flags.catalog] : []),
		...(flags.i ? ['--instance-dir', flags.i] : []),
		...(json ? ['--json'] : []),
	];
	const yes = flags.y ? ['--yes'] : [];
	let commandIo = io;
	let rscmArgv: string[];
	try {
		const passwordArguments = () => {
			if (flags.p === undefined) return [];
			if (flags.p === '-') return ['--password-stdin'];
			io.stderr.write('warning: a password on the command line is visible to other users (ps, shell history); use -p - to read it from stdin.\n');
			// Handed to the command as its stdin, so it never travels further as an argument.
			commandIo = {...io, stdin: Readable.from([`${flags.p}\n`])};
			return ['--password-stdin'];
		};

		switch (actions[0]) {
			case 'e':
			case 'a': {
				if (!flags.f) throw new RscmError('USAGE', `-${actions[0]} needs -f FILE.`);
				rscmArgv = ['key', actions[0] === 'e' ? 'backup' : 'restore', '--file', flags.f, ...passwordArguments()];
				break;
			}

			case 'd':
				rscmArgv = ['key', 'delete-content', ...yes];
				break;
			case 's':
				rscmArgv = ['key', 'change', ...yes];
				break;
			case 'l':
				rscmArgv = ['instance', 'list'];
				break;
			case 'j': {
				if (!flags.m || !flags.n) throw new RscmError('USAGE', '-j needs -m MACHINE and -n INSTANCE.');
				const session = await openSession({catalog: flags.catalog, instanceDirectory: flags.i, env: io.env});
				try {
					const target = await findWaitingInstanceByName(session, flags.m, flags.n);
					rscmArgv = ['instance', 'add', target.installationId, ...yes];
				} finally {
					await session.close();
				}

				break;
			}

			default:
				rscmArgv = ['instance', 'remove', flags.r!, ...yes];
		}
	} catch (error) {
		// A flag combination that cannot work (-e without -f, -j without -m/-n) gets the help, like a bad flag.
		if (isRscmError(error, 'USAGE')) io.stderr.write(rskeymgmtHelp);
		return printError(io, inRskeymgmtTerms(toRscmError(error)), json);
	}

	// The arguments are the user's, echoed to the terminal: their control characters are made visible.
	if (flags.t) io.stderr.write(`trace: rscm ${displayText([...rscmArgv, ...common].join(' '))}\n`);
	return runCommand([...rscmArgv, ...common], commandIo, {explain: inRskeymgmtTerms});
}
