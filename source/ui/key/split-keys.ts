import type {Key} from 'ink';

/**
 * Ink parses escape sequences one by one, but hands over a run of plain bytes as one event: Tab then Enter typed
 * quickly over SSH (or read together while the UI was busy drawing) arrive as the single input "\t\r", which no
 * handler recognises, and both keys are lost. This splits such an event back into keys. Printable runs stay whole,
 * so a paste into a text field is still one insertion.
 */

export const blankKey: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

function controlKey(char: string): [string, Key] {
	switch (char) {
		case '\t': {
			return ['', {...blankKey, tab: true}];
		}

		case '\r': {
			return ['', {...blankKey, return: true}];
		}

		case '\n': {
			return ['\n', {...blankKey}];
		}

		case '\b': {
			return ['', {...blankKey, backspace: true}];
		}

		case '\u007F': {
			// As Ink reports a lone DEL: the Backspace key of most terminals.
			return ['', {...blankKey, delete: true}];
		}

		default: {
			// Ctrl+letter: Ink reports the letter with ctrl set (Ctrl+C is "c").
			const letter = String.fromCodePoint(char.codePointAt(0)! + 96);
			return [letter, {...blankKey, ctrl: true}];
		}
	}
}

// eslint-disable-next-line no-control-regex
const control = /[\u0000-\u0008\u000A-\u001A\u007F]|\t/;

export function splitKeys(input: string, key: Key): Array<[string, Key]> {
	if (input.length < 2 || !control.test(input)) return [[input, key]];
	const events: Array<[string, Key]> = [];
	let text = '';
	for (const char of input) {
		if (control.test(char)) {
			if (text !== '') events.push([text, {...blankKey}]);
			text = '';
			events.push(controlKey(char));
		} else {
			text += char;
		}
	}

	if (text !== '') events.push([text, {...blankKey}]);
	return events;
}
