// `rscm completion bash|zsh`: shell completion scripts generated from the command table, the same table `--help`
// and the man page are built from, so a command or option added there completes without a change here. The table is
// passed in at run time (commands.ts calls this from its own `completion` entry), which keeps this module free of an
// import cycle.
import {RscmError} from '../errors.ts';
import type {CommandSpec, OptionSpec} from './commands.ts';
import {globalOptions} from './invocation.ts';

export const completionShells = ['bash', 'zsh'] as const;

/** Values of these shapes are paths (a SQLite catalog is a file too), so the shell completes file names for them. */
const fileValues = new Set(['PATH', 'DIR', 'LOCATION']);

// Everything written into a script unquoted is checked first: a word or option name the shell would read as syntax
// fails here, in the tests, not in a user's shell.
const plainWord = /^[a-z][a-z\d-]*$/;

function checkedWord(word: string): string {
	if (!plainWord.test(word)) throw new Error(`completion: "${word}" is not a plain word; the generator writes words unquoted.`);
	return word;
}

/** How one option is typed, long and short: ['--file', '-f']. */
function flagsOf(name: string, spec: OptionSpec): string[] {
	return [`--${checkedWord(name)}`, ...(spec.short ? [`-${checkedWord(spec.short)}`] : [])];
}

/** The option spellings a command takes: ['--file', '-f', '--force', …]. */
function optionFlags(options: Record<string, OptionSpec>): string[] {
	return Object.entries(options).flatMap(([name, spec]) => flagsOf(name, spec));
}

/** Every option of the table that takes a value, split by what the value is. */
function valueFlags(commands: CommandSpec[]): {files: string[]; other: string[]} {
	const files = new Set<string>();
	const other = new Set<string>();
	for (const options of [globalOptions, ...commands.map(command => command.options)]) {
		for (const [name, spec] of Object.entries(options)) {
			if (spec.type !== 'string') continue;
			const target = fileValues.has(spec.value ?? '') ? files : other;
			for (const flag of flagsOf(name, spec)) target.add(flag);
		}
	}

	return {files: [...files], other: [...other]};
}

/**
 * A positional written as choices (`bash|zsh`) completes to them; a free one (ID, NAME) completes to nothing, as
 * its values live in the catalog.
 */
function positionalChoices(command: CommandSpec): string[] {
	const first = command.positionals?.[0];
	if (first === undefined || !first.includes('|')) return [];
	return first.split('|').map(choice => checkedWord(choice));
}

type Level = {
	/** The command words typed so far, space-separated ('' before any). */
	path: string;
	/** The words that can come next, each with what it does. */
	next: Array<{word: string; summary: string}>;
	/** The command these words name, if they name one (a group's word alone names none). */
	command: CommandSpec | undefined;
};

/** Every prefix of every command's words, with the words that may follow it: '' → init, status, key…; 'key' → backup… */
function levels(commands: CommandSpec[]): Level[] {
	const byPath = new Map<string, Level>();
	const level = (path: string) => {
		let found = byPath.get(path);
		if (found === undefined) {
			found = {path, next: [], command: undefined};
			byPath.set(path, found);
		}

		return found;
	};

	for (const command of commands) {
		const words = command.words.map(word => checkedWord(word));
		words.forEach((word, index) => {
			const parent = level(words.slice(0, index).join(' '));
			const isLast = index === words.length - 1;
			// A group word (key, instance) is described by its commands; a word that is also a command (audit) by that command.
			const summary = isLast ? command.summary : `${word} commands`;
			const existing = parent.next.find(entry => entry.word === word);
			if (existing === undefined) parent.next.push({word, summary});
			else if (isLast) existing.summary = summary;
		});
		const own = level(words.join(' '));
		own.command = command;
		for (const choice of positionalChoices(command)) own.next.push({word: choice, summary: `rscm ${words.join(' ')} ${choice}`});
	}

	return [...byPath.values()];
}

/**
 * The options these words take: the command's own, then the global ones. `--json` is both: listed once, where the
 * command lists it, with the command's description (a key keeps the place of its first spread, the value of its last).
 */
function levelOptions(command: CommandSpec | undefined): Record<string, OptionSpec> {
	return {...command?.options, ...globalOptions, ...command?.options};
}

/** A `case` branch at this indent, left out when it would match nothing (an empty pattern is a syntax error). */
function caseBranch(indent: string, patterns: string[], lines: string[]): string {
	if (patterns.length === 0) return '';
	return [`${patterns.join('|')})`, ...lines.map(line => `\t${line}`), '\t;;'].map(line => `${indent}${line}\n`).join('');
}

/** Single-quoted for both shells: the quote itself is closed, escaped and reopened. */
function quoted(text: string): string {
	return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * Shell code (the same in bash and zsh) that sets `typed` to the command words on the line before the cursor, options
 * and their values skipped, and counts in `extra` the words after a whole command (its positionals).
 */
function typedWords(values: {files: string[]; other: string[]}, known: string[], line: {words: string; first: number; current: string}): string {
	return `	# The command words typed so far (options and their values skipped); words after a whole command are positionals.
	local typed= word skip= i
	local -i extra=0
	for ((i = ${line.first}; i < ${line.current}; i++)); do
		word=\${${line.words}[i]}
		if [[ -n $skip ]]; then
			skip=
			continue
		fi

		case $word in
${caseBranch('\t\t\t', [...values.files, ...values.other], ['skip=1'])}			-*) ;;
			*)
				case "\${typed:+$typed }$word" in
${caseBranch('\t\t\t\t\t', known, ['if ((extra == 0)); then typed="${typed:+$typed }$word"; else extra+=1; fi'])}					*) extra+=1 ;;
				esac
				;;
		esac
	done
`;
}

export function bashCompletion(commands: CommandSpec[]): string {
	const values = valueFlags(commands);
	const all = levels(commands);
	const known = all.filter(level => level.path !== '').map(level => quoted(level.path));
	const cases = all.map(({path, next, command}) =>
		caseBranch('\t\t', [quoted(path)], [
			`next=${quoted(next.map(entry => entry.word).join(' '))}`,
			`options=${quoted(optionFlags(levelOptions(command)).join(' '))}`,
		]),
	);
	return `# bash completion for rscm, generated from its command table by \`rscm completion bash\`.
# Load it in ~/.bashrc with: source <(rscm completion bash)
_rscm() {
	local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
${caseBranch('\t\t', values.files, ['compopt -o filenames 2>/dev/null', 'COMPREPLY=($(compgen -f -- "$cur"))', 'return'])}${caseBranch('\t\t', values.other, ['COMPREPLY=()', 'return'])}	esac

${typedWords(values, known, {words: 'COMP_WORDS', first: 1, current: 'COMP_CWORD'})}
	local next= options=
	case $typed in
${cases.join('')}	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$options" -- "$cur"))
	elif ((extra == 0)); then
		COMPREPLY=($(compgen -W "$next" -- "$cur"))
	else
		COMPREPLY=()
	fi
}
complete -F _rscm rscm
`;
}

/** One `_describe` entry: the colon separates the word from its description, so colons in the text are escaped. */
function zshEntry(word: string, description: string): string {
	return quoted(`${word}:${description.replaceAll('\\', '\\\\').replaceAll(':', '\\:')}`);
}

function zshOptionEntries(options: Record<string, OptionSpec>): string[] {
	return Object.entries(options).flatMap(([name, spec]) => flagsOf(name, spec).map(flag => zshEntry(flag, spec.description)));
}

export function zshCompletion(commands: CommandSpec[]): string {
	const values = valueFlags(commands);
	const all = levels(commands);
	const known = all.filter(level => level.path !== '').map(level => quoted(level.path));
	const cases = all.map(({path, next, command}) =>
		caseBranch('\t\t', [quoted(path)], [
			`next=(${next.map(entry => zshEntry(entry.word, entry.summary)).join(' ')})`,
			`options=(${zshOptionEntries(levelOptions(command)).join(' ')})`,
		]),
	);
	// No variable is named `path`: in zsh it is the array tied to PATH.
	return `#compdef rscm
# zsh completion for rscm, generated from its command table by \`rscm completion zsh\`.
# Install it with: rscm completion zsh > ~/.zfunc/_rscm, with fpath=(~/.zfunc $fpath) in ~/.zshrc before compinit;
# or load it in ~/.zshrc, after compinit, with: source <(rscm completion zsh)
_rscm() {
	local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
	case $prev in
${caseBranch('\t\t', values.files, ['_files', 'return'])}${caseBranch('\t\t', values.other, ['_message value', 'return'])}	esac

${typedWords(values, known, {words: 'words', first: 2, current: 'CURRENT'})}
	local -a next options
	case $typed in
${cases.join('')}	esac
	if [[ $cur == -* ]]; then
		_describe -t options option options
	elif ((extra == 0)); then
		_describe -t commands command next
	fi
}
# Autoloaded from fpath, this file is the body of _rscm: define it, then complete. Sourced, it registers _rscm.
if [[ $funcstack[1] == _rscm ]]; then
	_rscm "$@"
else
	compdef _rscm rscm
fi
`;
}

export function completionScript(shell: string, commands: CommandSpec[]): string {
	if (shell === 'bash') return bashCompletion(commands);
	if (shell === 'zsh') return zshCompletion(commands);
	throw new RscmError('USAGE', `No completion for the shell "${shell}".`, {hint: `Give one of: ${completionShells.join(', ')}.`});
}
