import {existsSync, readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import test from 'ava';
import {oneColumnTextWidth} from '../../source/ui/text-width.ts';

type StringWidth = (text: string) => number;

// Every copy of string-width the bundle puts a facade in front of (scripts/build.js): version 8 and later. Ink's is one.
const require = createRequire(import.meta.url);
const nodeModules = path.dirname(path.dirname(path.dirname(require.resolve('ink'))));
const copies = ['string-width', 'wrap-ansi/node_modules/string-width', 'cli-truncate/node_modules/string-width', 'widest-line/node_modules/string-width']
	.map(directory => path.join(nodeModules, directory))
	.filter(directory => existsSync(path.join(directory, 'package.json')))
	.filter(directory => Number.parseInt((JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {version: string}).version, 10) >= 8)
	.map(directory => path.join(directory, 'index.js'));

async function loadCopies(): Promise<Array<{file: string; stringWidth: StringWidth}>> {
	return Promise.all(
		copies.map(async file => ({file, stringWidth: ((await import(pathToFileURL(file).href)) as {default: StringWidth}).default})),
	);
}

function allCodePoints(): string[] {
	const characters: string[] = [];
	for (let codePoint = 0x20; codePoint <= 0x2f_ff; codePoint++) {
		if (codePoint >= 0xd8_00 && codePoint <= 0xdf_ff) continue;
		characters.push(String.fromCodePoint(codePoint));
	}

	return characters;
}

test('Ink’s string-width is found, so the comparisons below run', t => {
	t.true(copies.length > 0, 'no string-width under node_modules');
});

test('every character answered as one column is one column for every string-width copy', async t => {
	const widths = await loadCopies();
	let answered = 0;
	for (const character of allCodePoints()) {
		if (oneColumnTextWidth(character) === undefined) continue;
		answered++;
		for (const {file, stringWidth} of widths) {
			t.is(stringWidth(character), 1, `U+${character.codePointAt(0)!.toString(16).toUpperCase()} in ${file}`);
		}
	}

	// The set covers what the frames use, not a handful of characters.
	t.true(answered > 500, `${answered} characters`);
});

test('lines as the Configuration Manager draws them: the same width as string-width', async t => {
	const widths = await loadCopies();
	const lines = [
		'Report Server Configuration Manager — HOST\\SSRS',
		'┌─ Results ──────────────────┐',
		'┏━━━━━━━━━━━━━━━┓',
		'› 1 Report Server Status ',
		'SQLite · /var/lib/rscm/catalog.db',
		'✔ Backed up the encryption key · ✖ Wrong password',
		'↑↓ move  1-0 jump  Enter open  q quit  ? help',
		'\u001B[1m\u001B[36mBold cyan\u001B[39m\u001B[22m plain \u001B[7minverse\u001B[27m',
		'Crème brûlée, Łódź, Ærøskøbing — “quoted” …',
		'',
	];
	for (const line of lines) {
		const width = oneColumnTextWidth(line);
		t.not(width, undefined, line);
		for (const {file, stringWidth} of widths) t.is(width, stringWidth(line), `${JSON.stringify(line)} in ${file}`);
	}
});

test('anything else is left to string-width: wide, zero-width, combining, emoji and other escape sequences', t => {
	for (const text of [
		'名前', // East Asian wide
		'e\u0301', // combining accent
		'soft\u00ADhyphen', // invisible
		'zero\u200Bwidth',
		'✅ done', // emoji presentation
		'◽',
		'👍🏽',
		'\u001B]8;;https://example.com\u0007link\u001B]8;;\u0007', // a hyperlink, not a colour
		'tab\there',
	]) {
		t.is(oneColumnTextWidth(text), undefined, JSON.stringify(text));
	}
});
