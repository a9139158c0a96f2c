import {parseArgs} from 'node:util';
import {RscmError} from '../errors.ts';

/** One option as the parser needs it; `value` names its argument in messages (`PATH` in `--file PATH`). */
export type ParsedOptionSpec = {type: 'string' | 'boolean'; short?: string | undefined; value?: string | undefined};

export type OptionSyntax = {
	options: Record<string, ParsedOptionSpec>;
	/** What the messages call the program or command the options belong to: `rscm status`, `rskeymgmt`. */
	what: string;
	/** Where to read about the options, given as every error's hint: "Run `rscm status --help` for its options." */
	hint: string;
};

export type ParsedOptions = {values: Record<string, string | boolean | undefined>; positionals: string[]};

/**
 * The command line, checked in our own words: node's parseArgs reads it (tokens, without its strict mode, whose
 * messages name its internals: `Option '-p, --p <value>' argument missing`), and each problem is a USAGE error that
 * names the option as the user typed it and the option's own usage (`--file PATH`).
 */
export function parseOptions(argv: string[], syntax: OptionSyntax): ParsedOptions {
	const options = Object.fromEntries(
		Object.entries(syntax.options).map(([name, spec]) => [name, spec.short ? {type: spec.type, short: spec.short} : {type: spec.type}]),
	);
	const {tokens} = parseArgs({args: argv, options, allowPositionals: true, strict: false, tokens: true});
	const values: Record<string, string | boolean | undefined> = {};
	const positionals: string[] = [];
	const usage = (message: string) => new RscmError('USAGE', message, {hint: syntax.hint});
	for (const token of tokens) {
		if (token.kind === 'positional') {
			positionals.push(token.value);
			continue;
		}

		if (token.kind === 'option-terminator') continue;
		const spec = syntax.options[token.name];
		if (spec === undefined) throw usage(`Unknown option ${token.rawName} for \`${syntax.what}\`.`);
		const shape = `${token.rawName}${spec.value ? ` ${spec.value}` : ''}`;
		if (spec.type === 'boolean') {
			if (token.value !== undefined) throw usage(`${token.rawName} takes no value (\`${token.rawName}=${token.value}\` was given).`);
			values[token.name] = true;
			continue;
		}

		// A value that looks like an option (`-e -f -p`) is taken as a forgotten value rather than as a file named -p;
		// a lone `-` (stdin) is a value.
		const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-');
		if (missing) throw usage(`${token.rawName} needs a value: ${shape}.`);
		values[token.name] = token.value;
	}

	return {values, positionals};
}
