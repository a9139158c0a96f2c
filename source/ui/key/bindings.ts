import type {Key} from 'ink';

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
	| 'dialog.next'
	| 'dialog.previous'
	| 'dialog.press'
	| 'dialog.toggle'
	| 'dialog.cancel';

export type Binding = {
	readonly id: BindingId;
	readonly scope: Scope;
	readonly keys: readonly KeyStroke[];
	/** How the keys are written in the help overlay. */
	readonly label: string;
	readonly description: string;
	/** Short form for the footer line; bindings without one appear only in the help overlay. */
	readonly hint?: {readonly keys: string; readonly text: string};
};

const digits: readonly KeyStroke[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'].map(char => ({char}));

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
		keys: digits,
		label: '1-9, 0',
		description: 'Jump to page 1-9; 0 is page 10',
		hint: {keys: '1-0', text: 'jump'},
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
 * (dialogs), so the footer never advertises a dead key.
 */
export function hintsFor(scope: Exclude<Scope, 'global'>): Hint[] {
	const own = bindings.filter(binding => binding.scope === scope);
	const global = bindings.filter(
		binding => binding.scope === 'global' && !(scope === 'dialog' && binding.id === 'global.help'),
	);
	// The list has its own `q`; showing ^C as well would crowd 80 columns with a second "quit".
	const globalShown = scope === 'list' ? global.filter(binding => binding.id !== 'global.quit') : global;
	return [...own, ...globalShown].flatMap(binding => (binding.hint === undefined ? [] : [binding.hint]));
}

export const scopeTitles: Record<Scope, string> = {
	global: 'Anywhere',
	list: 'Page list',
	page: 'Inside a page',
	dialog: 'Dialogs',
};

export function bindingsByScope(): Array<{scope: Scope; title: string; bindings: Binding[]}> {
	const order: Scope[] = ['list', 'page', 'dialog', 'global'];
	return order.map(scope => ({
		scope,
		title: scopeTitles[scope],
		bindings: bindings.filter(binding => binding.scope === scope),
	}));
}
