// `rscm completion bash|zsh`: the scripts are run in the real shells, asked what they complete after a given command
// line, and checked against the command table they are generated from.
import {spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test, {type ExecutionContext} from 'ava';
import {commands, type CommandSpec, type OptionSpec} from '../../source/commands/commands.ts';
import {bashCompletion, zshCompletion} from '../../source/commands/completion.ts';
import {globalOptions} from '../../source/commands/invocation.ts';
import {tempDirectory} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type JsonError} from '../helpers/run-cli.ts';

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;
// Skipped only outside CI: .ci/run installs zsh, and there a missing zsh fails the tests that need it.
const zshTest = hasZsh || process.env['CI'] === 'true' ? test : test.skip;

function flags(options: Record<string, OptionSpec>): string[] {
	return Object.entries(options).flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]);
}

/** The words a command line may complete to, one list per line typed (the last word is the one being completed). */
type Query = string[];

function shellWords(words: string[]): string {
	return words.map(word => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
}

/** Each query answered by bash's own completion machinery (COMP_WORDS, COMP_CWORD, COMPREPLY). */
function bashComplete(script: string, queries: Query[]): string[][] {
	const program = [
		script,
		'ask() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _rscm; printf "%s\\n" "${COMPREPLY[*]}"; }',
		...queries.map(query => `ask rscm ${shellWords(query)}`),
	].join('\n');
	const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
	return result.stdout.split('\n').slice(0, queries.length).map(line => line.split(' ').filter(Boolean));
}

/**
 * Each query answered by the zsh function, loaded as compinit loads it (autoloaded from a directory on fpath). The
 * completion system's _describe, _files and _message are replaced by functions that print what they were given.
 */
function zshComplete(directory: string, script: string, queries: Query[]): string[][] {
	writeFileSync(path.join(directory, '_rscm'), script);
	const program = [
		`fpath=(${shellWords([directory])} $fpath)`,
		'autoload -Uz _rscm',
		// `_describe -t TAG DESCRIPTION ARRAY`: the words of the array's "word:description" entries.
		'_describe() { local entry; local -a out; for entry in "${(@P)4}"; do out+=("${entry%%:*}"); done; print -r -- "${out[*]}"; }',
		'_files() { print -r -- "<files>"; }',
		'_message() { print -r -- "<message>"; }',
		// A query that offers nothing prints nothing: each answer ends with a line of its own.
		'ask() { local -a words; words=("$@"); local CURRENT=$#words; _rscm; print -r -- "<end>"; }',
		...queries.map(query => `ask rscm ${shellWords(query)}`),
	].join('\n');
	const result = spawnSync('zsh', ['-f', '-c', program], {encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`zsh failed: ${result.stderr}`);
	const answers = result.stdout.split('<end>\n').slice(0, queries.length);
	return answers.map(answer => answer.split(/\s+/).filter(Boolean));
}

/** For every command: each of its words after the ones before it, and every option it takes after its words. */
function tableQueries(table: CommandSpec[]): Array<{query: Query; expected: string[]; exact: boolean}> {
	return table.flatMap(command => [
		...command.words.map((word, index) => ({query: [...command.words.slice(0, index), ''], expected: [word], exact: false})),
		{query: [...command.words, '-'], expected: [...new Set([...flags(command.options), ...flags(globalOptions)])], exact: true},
	]);
}

function checkTable(t: ExecutionContext, table: CommandSpec[], complete: (queries: Query[]) => string[][]) {
	const cases = tableQueries(table);
	const answers = complete(cases.map(entry => entry.query));
	cases.forEach(({query, expected, exact}, index) => {
		const answer = answers[index]!;
		if (exact) t.deepEqual([...answer].sort(), [...expected].sort(), `rscm ${query.join(' ')}`);
		else for (const word of expected) t.true(answer.includes(word), `rscm ${query.join(' ')} offers ${word}: ${answer.join(' ')}`);
	});
}

test('bash -n accepts the bash script', t => {
	const result = spawnSync('bash', ['-n'], {input: bashCompletion(commands), encoding: 'utf8'});
	t.is(result.status, 0, result.stderr);
});

test('bash completes every command word and every option of the table', t => {
	checkTable(t, commands, queries => bashComplete(bashCompletion(commands), queries));
});

test('bash: values, positionals and options before the command', t => {
	const answers = bashComplete(bashCompletion(commands), [
		[''],
		['key', 'b'],
		['--catalog', 'a.db', 'key', ''],
		['completion', ''],
		['completion', 'bash', ''],
		['instance', 'add', '5c1e', ''],
		['instance', 'add', '5c1e', '--fi'],
		['init', '--name', ''],
		['bogus', ''],
	]);
	t.deepEqual(answers[0], [...new Set(commands.map(command => command.words[0]!))]);
	t.deepEqual(answers[1], ['backup']);
	t.deepEqual(answers[2], commands.filter(command => command.words[0] === 'key').map(command => command.words[1]!));
	t.deepEqual(answers[3], ['bash', 'zsh']);
	t.deepEqual(answers[4], [], 'nothing after the shell');
	t.deepEqual(answers[5], [], 'an instance id is not completed');
	t.deepEqual(answers[6], ['--fingerprint']);
	t.deepEqual(answers[7], [], 'a value that is not a path is not completed');
	t.deepEqual(answers[8], []);
});

test('bash completes file names after an option that takes a path', async t => {
	const directory = await tempDirectory(t);
	writeFileSync(path.join(directory, 'rskey-a.snk'), '');
	for (const option of ['--file', '-f', '--password-file', '--catalog', '--instance-dir', '--to']) {
		const [answer] = bashComplete(bashCompletion(commands), [['key', 'backup', option, path.join(directory, 'rskey')]]);
		t.deepEqual(answer, [path.join(directory, 'rskey-a.snk')], option);
	}
});

test('the scripts are generated from the table they are given: a new command and option complete', t => {
	const widget: CommandSpec = {
		words: ['widget', 'spin'],
		summary: 'Spin: the widget',
		options: {speed: {type: 'string', value: 'N', description: "Its speed: it's fast"}, wobble: {type: 'boolean', short: 'w', description: 'Wobble.'}},
		examples: [],
		run: async () => undefined,
	};
	const table = [...commands, widget];
	checkTable(t, table, queries => bashComplete(bashCompletion(table), queries));
	t.deepEqual(bashComplete(bashCompletion(table), [['widget', 'spin', '--speed', '']])[0], [], '--speed takes a value');
	t.throws(() => bashCompletion([...commands, {...widget, words: ['widget;rm']}]), {message: /not a plain word/});
});

zshTest('zsh -n accepts the zsh script', t => {
	const result = spawnSync('zsh', ['-n'], {input: zshCompletion(commands), encoding: 'utf8'});
	t.is(result.status, 0, result.stderr);
});

zshTest('zsh completes every command word and every option of the table', async t => {
	const directory = await tempDirectory(t);
	checkTable(t, commands, queries => zshComplete(directory, zshCompletion(commands), queries));
	const [values, positional, shellName, path_] = zshComplete(directory, zshCompletion(commands), [
		['init', '--name', ''],
		['instance', 'add', '5c1e', ''],
		['completion', ''],
		['key', 'backup', '--file', ''],
	]);
	t.deepEqual(values, ['<message>']);
	t.deepEqual(positional, []);
	t.deepEqual(shellName, ['bash', 'zsh']);
	t.deepEqual(path_, ['<files>']);
});

zshTest('zsh: sourced, the script registers _rscm for rscm with compdef', async t => {
	const file = path.join(await tempDirectory(t), 'rscm.zsh');
	writeFileSync(file, zshCompletion(commands));
	const program = ['compdef() { print -r -- "compdef $*"; }', `source ${shellWords([file])}`].join('\n');
	const result = spawnSync('zsh', ['-f', '-c', program], {encoding: 'utf8'});
	t.is(result.status, 0, result.stderr);
	t.is(result.stdout, 'compdef _rscm rscm\n');
});

test('rscm completion bash|zsh prints the script of the command table; another shell is a usage error', async t => {
	assertBuilt();
	const bash = await runCli(['completion', 'bash']);
	t.is(bash.code, 0, bash.stderr);
	t.is(bash.stdout, bashCompletion(commands));
	const zsh = await runCli(['completion', 'zsh']);
	t.is(zsh.code, 0, zsh.stderr);
	t.is(zsh.stdout, zshCompletion(commands));
	const json = await runCli(['completion', 'zsh', '--json']);
	t.deepEqual(parseJson(json), {shell: 'zsh', script: zshCompletion(commands)});

	const fish = await runCli(['completion', 'fish', '--json']);
	t.is(fish.code, 2);
	t.is(parseJson<JsonError>(fish).error.code, 'USAGE');
	const missing = await runCli(['completion']);
	t.is(missing.code, 2);
	t.regex(missing.stderr, /bash\|zsh/);
});
