import test from 'ava';
import {bindings, bindingsByScope, findBinding, hintsFor, matchesBinding, toKeyStroke} from '../../source/ui/key/bindings.ts';
import {blankKey, splitKeys} from '../../source/ui/key/split-keys.ts';

// No modifier, no special key: a plain character.
const noKey = blankKey;

test('every binding has keys, a label and a description; ids are unique', t => {
	const ids = new Set<string>();
	for (const binding of bindings) {
		t.true(binding.keys.length > 0, binding.id);
		t.not(binding.label, '');
		t.not(binding.description, '');
		t.false(ids.has(binding.id));
		ids.add(binding.id);
	}
});

test('the documented keys (README, Keys) are in the table', t => {
	t.true(matchesBinding('list.previous', 'k', noKey));
	t.true(matchesBinding('list.next', 'j', noKey));
	t.true(matchesBinding('list.next', '', {...noKey, downArrow: true}));
	for (const digit of '1234567890') t.true(matchesBinding('list.jump', digit, noKey));
	for (const key of [{return: true}, {rightArrow: true}, {tab: true}]) t.true(matchesBinding('list.enter', '', {...noKey, ...key}));
	t.true(matchesBinding('list.quit', 'q', noKey));
	t.true(matchesBinding('page.previous', '', {...noKey, tab: true, shift: true}));
	t.false(matchesBinding('page.next', '', {...noKey, tab: true, shift: true}));
	t.true(matchesBinding('page.back', '', {...noKey, escape: true}));
	t.true(matchesBinding('page.back', '', {...noKey, leftArrow: true}));
	t.true(matchesBinding('page.toggle', ' ', noKey));
	t.true(matchesBinding('dialog.cancel', '', {...noKey, escape: true}));
	t.true(matchesBinding('global.help', '?', noKey));
	t.true(matchesBinding('global.quit', 'c', {...noKey, ctrl: true}));
	t.false(matchesBinding('list.quit', 'q', {...noKey, ctrl: true}));
});

test('a line feed counts as Enter; a paste never triggers a single-key binding', t => {
	t.deepEqual(toKeyStroke('\n', noKey), {name: 'enter'});
	t.is(toKeyStroke('qq', noKey), undefined);
	t.is(findBinding(['list'], 'q', noKey)?.id, 'list.quit');
});

test('footer hints come from the table and fit 80 columns', t => {
	for (const scope of ['list', 'page', 'dialog'] as const) {
		const text = hintsFor(scope)
			.map(hint => `${hint.keys} ${hint.text}`)
			.join('  ');
		t.true(text.length <= 80, scope);
	}

	t.true(hintsFor('list').some(hint => hint.text === 'quit' && hint.keys === 'q'));
	t.false(hintsFor('dialog').some(hint => hint.keys === '?'));
	t.deepEqual(
		bindingsByScope().map(section => section.title),
		['Page list', 'Inside a page', 'Dialogs', 'Anywhere'],
	);
	t.deepEqual(
		bindingsByScope('data-sources').map(section => section.title),
		['Page list', 'Inside a page', 'Dialogs', 'Anywhere', 'Data Sources page'],
	);
	t.deepEqual(bindingsByScope('status').length, 4);
});

test('keys of one page are hinted on that page only, first, and listed under its title in the help', t => {
	const onDataSources = hintsFor('page', 'data-sources');
	t.deepEqual(onDataSources.slice(0, 4), [
		{keys: '/', text: 'filter'},
		{keys: 'n', text: 'new'},
		{keys: 'Enter', text: 'edit'},
		{keys: 'x', text: 'remove'},
	]);
	// Enter "edit" replaces Enter "press" there, and the line still fits 80 columns with ? help.
	t.false(onDataSources.some(hint => hint.text === 'press'));
	const line = onDataSources.map(hint => `${hint.keys} ${hint.text}`).join('  ');
	t.true(line.slice(0, 80).includes('? help'), line);
	for (const page of [undefined, 'status', 'scale-out']) t.false(hintsFor('page', page).some(hint => hint.keys === '/' || hint.keys === 'n'));
	t.false(bindingsByScope('data-sources')[1]!.bindings.some(binding => binding.id.startsWith('dataSources.')));
	t.true(matchesBinding('dataSources.pageDown', '', {...noKey, pageDown: true}));
	t.true(matchesBinding('dataSources.pageUp', '', {...noKey, pageUp: true}));
	// Ink's Delete key (and Backspace) both arrive as `delete`.
	t.true(matchesBinding('dataSources.remove', '', {...noKey, delete: true}));
	t.true(matchesBinding('dataSources.remove', 'x', noKey));
});

test('splitKeys separates keys that arrived in one read, keeps printable runs whole', t => {
	t.deepEqual(
		splitKeys('\t\r', noKey).map(([input, key]) => [input, key.tab, key.return]),
		[
			['', true, false],
			['', false, true],
		],
	);
	const pasted = splitKeys('abc\u007Fd', noKey);
	t.deepEqual(
		pasted.map(([input, key]) => [input, key.delete]),
		[
			['abc', false],
			['', true],
			['d', false],
		],
	);
	t.deepEqual(splitKeys('x\u0003', noKey)[1]?.[0], 'c');
	t.true(splitKeys('x\u0003', noKey)[1]?.[1].ctrl);
	t.is(splitKeys('hello', noKey).length, 1);
});
