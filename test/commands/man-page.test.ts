// rscm(1): generated from the command table (scripts/man-page.ts), written into dist/ by the build, read by groff and
// mandoc without a warning.
import {spawnSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import {commands, type CommandSpec} from '../../source/commands/commands.ts';
import {globalOptions} from '../../source/commands/invocation.ts';
import {version} from '../../source/commands/version.ts';
import {manPage, roffProse, roffText} from '../../scripts/man-page.ts';
import {tempDirectory} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, root} from '../helpers/run-cli.ts';

const date = '2026-12-03';
const page = manPage(commands, {version, date});

function installed(program: string): boolean {
	// mandoc has no --version: ask the shell whether the program is there.
	return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;
}

/** A test that needs a program: skipped without it outside CI only (.ci/run installs it; there its absence fails). */
function withProgram(program: string) {
	return installed(program) || process.env['CI'] === 'true' ? test : test.skip;
}

/** The page as a reader sees it: groff's rendering without the bold and underline overstrikes, lines unbroken. */
function rendered(source: string): string {
	const result = spawnSync('groff', ['-man', '-Tutf8', '-P-cbou', '-rLL=200n', '-rHY=0'], {input: source, encoding: 'utf8'});
	if (result.status !== 0) throw new Error(result.stderr);
	return result.stdout;
}

/** The text of one section: from its heading to the next one. */
function section(text: string, heading: string): string {
	const start = text.indexOf(`\n${heading}\n`);
	if (start < 0) throw new Error(`no section ${heading}`);
	const next = text.slice(start + heading.length + 2).search(/\n[A-Z][A-Z ]+\n/);
	return text.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
}

test('the page has the sections of a man page, in order', t => {
	const headings = [...page.matchAll(/^\.SH "?([^"\n]+)"?$/gm)].map(match => match[1]);
	t.deepEqual(headings, ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES', 'SEE ALSO']);
	t.regex(page, new RegExp(`^\\.TH RSCM 1 ${date} "rscm ${version.replaceAll('.', '\\.')}" "User Commands"$`, 'm'));
	t.regex(page, /^rscm \\- Report Server Configuration Manager for the terminal$/m);
});

withProgram('groff')('every command of the table, its summary, options and examples appear; every global option', t => {
	const text = rendered(page);
	const commandsSection = section(text, 'COMMANDS');
	const examples = section(text, 'EXAMPLES');
	for (const command of commands) {
		const usage = ['rscm', ...command.words, ...(command.positionals ?? [])].join(' ');
		t.regex(commandsSection, new RegExp(`^ +${usage.replaceAll(/[|.]/g, '\\$&')}\\n +${command.summary.replaceAll(/[().|]/g, '\\$&')}\\.$`, 'm'), usage);
		for (const [name, spec] of Object.entries(command.options)) {
			const shape = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
			t.true(commandsSection.includes(shape), `${usage}: ${shape}`);
		}

		for (const example of command.examples) t.true(examples.includes(example), example);
	}

	const options = section(text, 'OPTIONS');
	for (const [name, spec] of Object.entries(globalOptions)) {
		t.true(options.includes(`--${name}`), name);
		t.true(options.replaceAll(/\s+/g, ' ').includes(spec.description), spec.description);
	}
});

test('a command added to the table appears in the page', t => {
	const widget: CommandSpec = {
		words: ['widget', 'spin'],
		summary: 'Spin the widget',
		options: {speed: {type: 'string', value: 'N', description: 'How fast.'}},
		examples: ['rscm widget spin --speed 3'],
		run: async () => undefined,
	};
	const withWidget = manPage([...commands, widget], {version, date});
	t.false(page.includes('widget'));
	t.true(withWidget.includes('\\fBrscm widget spin\\fR\nSpin the widget.'));
	t.true(withWidget.includes('\\fB\\-\\-speed\\fR \\fIN\\fR\nHow fast.'));
	t.true(withWidget.includes('rscm widget spin \\-\\-speed 3'));
});

test('roff text: control characters at a line start, backslashes, hyphens and non-ASCII are escaped', t => {
	t.is(roffText(".snk and 'quoted'"), "\\&.snk and 'quoted'");
	t.is(roffText("'quoted'"), "\\&'quoted'");
	t.is(roffText('a\\b --file — ✔'), 'a\\eb \\-\\-file \\[u2014] \\[u2714]');
	// Prose: a line per sentence, none over 79 columns, a wrapped line that would start with a dot guarded.
	const prose = roffProse(`First sentence. ${'word '.repeat(16)}.hidden end.`);
	const lines = prose.split('\n');
	t.is(lines[0], 'First sentence.');
	t.true(lines.every(line => line.length <= 79), prose);
	t.is(lines[2], '\\&.hidden end.', prose);
});

withProgram('groff')('groff reads the page without a warning', t => {
	const result = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], {input: page, encoding: 'utf8'});
	t.is(result.status, 0);
	t.is(result.stderr, '');
});

withProgram('mandoc')('mandoc -Tlint finds nothing to say', async t => {
	// mandoc names its input in every message; a file keeps them readable.
	const file = path.join(await tempDirectory(t), 'rscm.1');
	writeFileSync(file, page);
	const result = spawnSync('mandoc', ['-Tlint', '-W', 'style', file], {encoding: 'utf8'});
	t.is(result.stdout + result.stderr, '');
	t.is(result.status, 0);
});

test('the build writes this page to dist/rscm.1, which package.json installs as rscm(1)', async t => {
	assertBuilt();
	const built = readFileSync(path.join(root, 'dist', 'rscm.1'), 'utf8');
	const builtDate = /^\.TH RSCM 1 (\S+) /m.exec(built)?.[1];
	t.is(built, manPage(commands, {version, date: builtDate!}));
	const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {man: string[]; scripts: Record<string, string>};
	t.deepEqual(packageJson.man, ['./dist/rscm.1']);
	t.is(packageJson.scripts['prepack'], 'node scripts/build.js');
});
