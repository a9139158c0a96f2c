import type {Key} from 'ink';
import {designPages} from '../page-types.ts';
import {pageJump} from './page-jump.ts';

/**
 * Key bindings as data. The input handlers (`matchesBinding`), the footer hint line (`hintsFor`) and the `?` help
 * overlay (`bindingsByScope`) all read this one table, so a key that is shown is a key that works, and the reverse.
 *
 * Scopes follow where the focus is: `list` (the navigation list), `page` (inside the selected page), `dialog`
 * (a modal dialog or the help overlay) and `global` (wherever the binding is not shadowed: `?` is ignored while the
 * user types into a field or a dialog is open; Ctrl+C always works).
 */

export type Scope = 'global' | 'list' | 'page' | 'dialog';

/** Named keys as Ink reports them; `char` strokes match a literal typed character. */
export type KeyName =
	| 'up'
	| 'down'
	| 'left'
	| 'right'
	| 'enter'
	| 'escape'
	| 'tab'
	| 'shiftTab'
	| 'space'
	| 'backspace'
	| 'pageUp'
	| 'pageDown'
	| 'ctrlC';

export type KeyStroke = {readonly name: KeyName} | {readonly char: string};

export type BindingId =
	| 'global.help'
	| 'global.quit'
	| 'list.previous'
	| 'list.next'
	| 'list.jump'
	| 'list.enter'
	| 'list.quit'
	| 'page.next'
	| 'page.previous'
	| 'page.press'
	| 'page.toggle'
	| 'page.back'
	| 'dataSources.filter'
	| 'dataSources.new'
	| 'dataSources.edit'
	| 'dataSources.remove'
	| 'dataSources.pageUp'
	| 'dataSources.pageDown'
	| 'dialog.next'
	| 'dialog.previous'
	| 'dialog.press'
	| 'dialog.toggle'
	| 'dialog.cancel';

export type Binding = {
	readonly id: BindingId;
	readonly scope: Scope;
	/**
	 * The id of the one page the binding works on (scope `page`): the hint line shows it only there, and the help
	 * lists it under that page's title. Without one it works on every page.
	 */
	readonly page?: string;
	readonly keys: readonly KeyStroke[];
	/** How the keys are written in the help overlay. */
	readonly label: string;
	readonly description: string;
	/** Short form for the footer line; bindings without one appear only in the help overlay. */
	readonly hint?: {readonly keys: string; readonly text: string};
};

/** The digits of the registry's first ten pages. */
const jump = pageJump(designPages);

export const bindings: readonly Binding[] = [
	{
		id: 'list.previous',
		scope: 'list',
		keys: [{name: 'up'}, {char: 'k'}],
		label: '↑ / k',
		description: 'Previous page (shown at once)',
		hint: {keys: '↑↓', text: 'move'},
	},
	{
		id: 'list.next',
		scope: 'list',
		keys: [{name: 'down'}, {char: 'j'}],
		label: '↓ / j',
		description: 'Next page (shown at once)',
	},
	{
		id: 'list.jump',
		scope: 'list',
		keys: jump.digits.map(char => ({char})),
		label: jump.label,
		description: jump.description,
		hint: {keys: jump.hint, text: 'jump'},
	},
	{
		id: 'list.enter',
		scope: 'list',
		keys: [{name: 'enter'}, {name: 'right'}, {name: 'tab'}],
		label: 'Enter / → / Tab',
		description: 'Enter the page',
		hint: {keys: 'Enter', text: 'open'},
	},
	{
		id: 'list.quit',
		scope: 'list',
		keys: [{char: 'q'}],
		label: 'q',
		description: 'Quit',
		hint: {keys: 'q', text: 'quit'},
	},
	{
		id: 'page.next',
		scope: 'page',
		keys: [{name: 'tab'}, {name: 'down'}],
		label: 'Tab / ↓',
		description: 'Next field or button',
		hint: {keys: 'Tab', text: 'next'},
	},
	{
		id: 'page.previous',
		scope: 'page',
		keys: [{name: 'shiftTab'}, {name: 'up'}],
		label: 'Shift+Tab / ↑',
		description: 'Previous field or button',
	},
	{
		id: 'page.press',
		scope: 'page',
		keys: [{name: 'enter'}],
		label: 'Enter',
		description: 'Press the focused button',
		hint: {keys: 'Enter', text: 'press'},
	},
	{
		id: 'page.toggle',
		scope: 'page',
		keys: [{name: 'space'}],
		label: 'Space',
		description: 'Toggle the focused checkbox or option',
		hint: {keys: 'Space', text: 'toggle'},
	},
	{
		id: 'page.back',
		scope: 'page',
		keys: [{name: 'escape'}, {name: 'left'}],
		label: 'Esc / ←',
		description: 'Back to the page list (← moves the cursor in a text field)',
		hint: {keys: 'Esc', text: 'back'},
	},
	{
		id: 'dataSources.filter',
		scope: 'page',
		page: 'data-sources',
		keys: [{char: '/'}],
		label: '/',
		description: 'Filter by name (Enter keeps it)',
		hint: {keys: '/', text: 'filter'},
	},
	{
		id: 'dataSources.new',
		scope: 'page',
		page: 'data-sources',
		keys: [{char: 'n'}],
		label: 'n',
		description: 'New data source',
		hint: {keys: 'n', text: 'new'},
	},
	{
		id: 'dataSources.edit',
		scope: 'page',
		page: 'data-sources',
		keys: [{name: 'enter'}],
		label: 'Enter',
		description: 'Edit the selected one',
		hint: {keys: 'Enter', text: 'edit'},
	},
	{
		id: 'dataSources.remove',
		scope: 'page',
		page: 'data-sources',
		// Ink reports the Delete key and Backspace alike; either asks first, as x does.
		keys: [{char: 'x'}, {name: 'backspace'}],
		label: 'x / Del',
		description: 'Remove the selected one (asks)',
		hint: {keys: 'x', text: 'remove'},
	},
	{
		id: 'dataSources.pageUp',
		scope: 'page',
		page: 'data-sources',
		keys: [{name: 'pageUp'}],
		label: 'PgUp',
		description: 'Previous screen of the list',
	},
	{
		id: 'dataSources.pageDown',
		scope: 'page',
		page: 'data-sources',
		keys: [{name: 'pageDown'}],
		label: 'PgDn',
		description: 'Next screen of the list',
	},
	{
		id: 'dialog.next',
		scope: 'dialog',
		keys: [{name: 'tab'}, {name: 'down'}],
		label: 'Tab / ↓',
		description: 'Next field or button',
		hint: {keys: 'Tab', text: 'next'},
	},
	{
		id: 'dialog.previous',
		scope: 'dialog',
		keys: [{name: 'shiftTab'}, {name: 'up'}],
		label: 'Shift+Tab / ↑',
		description: 'Previous field or button',
	},
	{
		id: 'dialog.press',
		scope: 'dialog',
		keys: [{name: 'enter'}],
		label: 'Enter',
		description: 'Press the focused button',
		hint: {keys: 'Enter', text: 'press'},
	},
	{
		id: 'dialog.toggle',
		scope: 'dialog',
		keys: [{name: 'space'}],
		label: 'Space',
		description: 'Toggle the focused checkbox or option',
	},
	{
		id: 'dialog.cancel',
		scope: 'dialog',
		keys: [{name: 'escape'}],
		label: 'Esc',
		description: 'Cancel and close',
		hint: {keys: 'Esc', text: 'cancel'},
	},
	{
		id: 'global.help',
		scope: 'global',
		keys: [{char: '?'}],
		label: '?',
		description: 'Show or hide this help',
		hint: {keys: '?', text: 'help'},
	},
	{
		id: 'global.quit',
		scope: 'global',
		keys: [{name: 'ctrlC'}],
		label: 'Ctrl+C',
		description: 'Quit from anywhere (a running operation stops after its current step)',
		hint: {keys: '^C', text: 'quit'},
	},
];

const byId = new Map<BindingId, Binding>(bindings.map(binding => [binding.id, binding]));

export function getBinding(id: BindingId): Binding {
	const binding = byId.get(id);
	if (binding === undefined) throw new Error(`Unknown key binding ${id}`);
	return binding;
}

/** Turns one Ink input event into the stroke the table speaks of, or undefined for keys no binding can use. */
export function toKeyStroke(input: string, key: Key): KeyStroke | undefined {
	if (key.ctrl && input === 'c') return {name: 'ctrlC'};
	if (key.tab) return {name: key.shift ? 'shiftTab' : 'tab'};
	if (key.upArrow) return {name: 'up'};
	if (key.downArrow) return {name: 'down'};
	if (key.pageUp) return {name: 'pageUp'};
	if (key.pageDown) return {name: 'pageDown'};
	if (key.leftArrow) return {name: 'left'};
	if (key.rightArrow) return {name: 'right'};
	// A terminal still in cooked mode (keys typed before raw mode was on) turns Enter into a line feed.
	if (key.return || input === '\n' || input === '\r\n') return {name: 'enter'};
	if (key.escape) return {name: 'escape'};
	if (key.backspace || key.delete) return {name: 'backspace'};
	if (key.ctrl || key.meta) return undefined;
	if (input === ' ') return {name: 'space'};
	// A paste arrives as one event with many characters; it never triggers a single-key binding.
	if ([...input].length === 1) return {char: input};
	return undefined;
}

function sameStroke(a: KeyStroke, b: KeyStroke): boolean {
	if ('name' in a) return 'name' in b && a.name === b.name;
	return 'char' in b && a.char === b.char;
}

export function matchesBinding(id: BindingId, input: string, key: Key): boolean {
	const stroke = toKeyStroke(input, key);
	if (stroke === undefined) return false;
	return getBinding(id).keys.some(candidate => sameStroke(candidate, stroke));
}

/** The first binding of the given scopes that the event matches, in table order. */
export function findBinding(scopes: readonly Scope[], input: string, key: Key): Binding | undefined {
	const stroke = toKeyStroke(input, key);
	if (stroke === undefined) return undefined;
	return bindings.find(
		binding => scopes.includes(binding.scope) && binding.keys.some(candidate => sameStroke(candidate, stroke)),
	);
}

export type Hint = {readonly keys: string; readonly text: string};

/**
 * The footer hints for a scope: the scope's own hints, then the global ones. `?` is left out where it does nothing
 * (dialogs), so the footer never advertises a dead key. Inside a page (`page`: its id), that page's own bindings
 * come first, and one of them replaces the general hint for the same key (Enter "edit" for Enter "press").
 */
export function hintsFor(scope: Exclude<Scope, 'global'>, page?: string): Hint[] {
	const pageOwn = scope === 'page' && page !== undefined ? bindings.filter(binding => binding.page === page) : [];
	const own = bindings.filter(binding => binding.scope === scope && binding.page === undefined);
	const global = bindings.filter(
		binding => binding.scope === 'global' && !(scope === 'dialog' && binding.id === 'global.help'),
	);
	// The list has its own `q`; showing ^C as well would crowd 80 columns with a second "quit".
	const globalShown = scope === 'list' ? global.filter(binding => binding.id !== 'global.quit') : global;
	const pageHints = pageOwn.flatMap(binding => (binding.hint === undefined ? [] : [binding.hint]));
	const rest = [...own, ...globalShown].flatMap(binding => (binding.hint === undefined ? [] : [binding.hint]));
	return [...pageHints, ...rest.filter(hint => !pageHints.some(pageHint => pageHint.keys === hint.keys))];
}

export const scopeTitles: Record<Scope, string> = {
	global: 'Anywhere',
	list: 'Page list',
	page: 'Inside a page',
	dialog: 'Dialogs',
};

/**
 * Every binding for the help overlay: one section per scope (the bindings of every page), then, inside a page with
 * bindings of its own (`page`: its id), a section of those, titled after the page.
 */
export function bindingsByScope(page?: string): Array<{scope: Scope; title: string; bindings: Binding[]}> {
	const order: Scope[] = ['list', 'page', 'dialog', 'global'];
	const general = order.map(scope => ({
		scope,
		title: scopeTitles[scope],
		bindings: bindings.filter(binding => binding.scope === scope && binding.page === undefined),
	}));
	const own = bindings.filter(binding => binding.page !== undefined && binding.page === page);
	const title = designPages.find(entry => entry.id === page)?.title;
	return own.length === 0 ? general : [...general, {scope: 'page', title: `${title ?? page} page`, bindings: own}];
}
